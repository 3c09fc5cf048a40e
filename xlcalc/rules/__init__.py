"""Rule kinds, one module each (or per family); importing this package registers every module in it,
so a new kind is one new module here (see docs/authoring.md, "Adding a rule kind")."""

import importlib
import pkgutil

from xlcalc.rules.base import REGISTRY, Rule

# Not kinds: the base classes and the docs-table generator (which imports this package).
_NOT_KINDS = {"base", "doc"}
for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _NOT_KINDS:
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["REGISTRY", "Rule"]
