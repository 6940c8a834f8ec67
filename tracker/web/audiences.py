"""The four staff-side audiences, one blueprint each, whose views are split into one module per capability.

Each package under `tracker/web/<audience>/` defines `bp` in its `__init__.py`; every other module in it
attaches routes to that blueprint. Loading the package's modules here, before the blueprint is registered,
means a new capability is one new module and no edit to a shared list.
"""

import importlib
import pkgutil
from collections.abc import Iterator

from flask import Blueprint

AUDIENCES = ("officer", "enterprise", "expert", "admin")


def blueprints() -> Iterator[Blueprint]:
    """Each audience's blueprint, with every view module of its package imported."""
    for audience in AUDIENCES:
        package = importlib.import_module(f"tracker.web.{audience}")
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
        yield package.bp
