"""Imports point one way: nothing below the web layer reaches up into it or into the request."""

import ast
from pathlib import Path

import pytest

SOURCE_ROOT = Path(__file__).resolve().parent.parent / "tracker"
#: The app factory and the CLI sit beside the web layer; everything else is below it.
TOP_LEVEL = {SOURCE_ROOT / "__init__.py", SOURCE_ROOT / "commands.py"}
BELOW_THE_WEB = sorted(
    path for path in SOURCE_ROOT.rglob("*.py") if path not in TOP_LEVEL and (SOURCE_ROOT / "web") not in path.parents
)
#: Flask names that belong to a request; services take the actor and the settings as arguments instead.
REQUEST_GLOBALS = {"request", "session", "g", "current_app", "current_user"}


def imported_names(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every import in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names]
    return found


@pytest.mark.parametrize("path", BELOW_THE_WEB, ids=lambda path: str(path.relative_to(SOURCE_ROOT)))
def test_domain_modules_do_not_import_the_web_layer_or_request_globals(path):
    for module, name in imported_names(path):
        assert not module.startswith("tracker.web"), f"{path.name} imports {module}"
        if module in {"flask", "flask_login"}:
            assert name not in REQUEST_GLOBALS, f"{path.name} imports {name} from {module}"


def test_the_layer_list_covers_the_domain():
    names = {str(path.relative_to(SOURCE_ROOT)) for path in BELOW_THE_WEB}
    assert {"audit.py", "deadlines.py", "evidence.py", "services/filing.py", "workflow/engine.py",
            "models/cases.py"} <= names
