"""Rule kinds, one module per family; importing this package registers them all."""

from xlcalc.rules import deduction, fallback, manual, monitor, period, proportional, rank, threshold  # noqa: F401
from xlcalc.rules.base import REGISTRY, Rule

__all__ = ["REGISTRY", "Rule"]
