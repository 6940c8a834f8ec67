"""axe-core in the browser tests: the copy of axe.min.js that the axe-playwright-python package ships."""

from functools import cache
from importlib.resources import files

#: The impacts a page must not have; minor and moderate findings are reported by axe but not failed on.
FAILING_IMPACTS = frozenset({"serious", "critical"})


@cache
def _axe_source() -> str:
    """The axe-core script, read once per run."""
    return files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def serious_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now; the serious and critical violations, each with its nodes.

    The script is evaluated through the DevTools protocol, which the page's CSP (no inline script) does not
    block, so the page is checked under its real policy.
    """
    page.evaluate(_axe_source())
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
        if v["impact"] in FAILING_IMPACTS
    ]
