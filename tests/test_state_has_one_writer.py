"""Only tracker.workflow writes a case's state: at run time and in the source."""

import ast
from pathlib import Path

import pytest

from tracker.models import Case
from tracker.models import StateWriteRefused

SOURCE_ROOT = Path(__file__).resolve().parent.parent / "tracker"
WORKFLOW = SOURCE_ROOT / "workflow"


def test_assigning_state_outside_the_workflow_is_refused():
    case = Case()
    with pytest.raises(StateWriteRefused):
        case.state = "closed"


def _writes_state(tree: ast.AST) -> list[int]:
    """Line numbers of `<x>.state = ...`, `setattr(x, "state", ...)` or a use of state_write."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "state":
                    lines.append(node.lineno)
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name == "setattr" and len(node.args) >= 2 and getattr(node.args[1], "value", None) == "state":
                lines.append(node.lineno)
            if name == "state_write":
                lines.append(node.lineno)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "values":
            if any(keyword.arg == "state" for keyword in node.keywords):
                lines.append(node.lineno)
    return lines


def test_no_module_outside_the_workflow_assigns_the_state():
    offenders = []
    for path in SOURCE_ROOT.rglob("*.py"):
        if WORKFLOW in path.parents or path.name == "cases.py" and path.parent.name == "models":
            continue
        for line in _writes_state(ast.parse(path.read_text(), filename=str(path))):
            offenders.append(f"{path.relative_to(SOURCE_ROOT.parent)}:{line}")
    assert offenders == []


def test_the_scan_would_notice_an_assignment():
    assert _writes_state(ast.parse("case.state = 'closed'")) == [1]
    assert _writes_state(ast.parse("setattr(case, 'state', 'closed')")) == [1]
    assert _writes_state(ast.parse("update(Case).values(state='closed')")) == [1]
