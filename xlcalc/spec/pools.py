"""Checks of the two constructs that let a score leave its node's ``[floor, points]``: a node's
``cap`` (bonus items and groups above their points, a total above 100) and a rule's ``pool`` (a
pure deduction with no points of its own, taken from an ancestor and floored at its floor)."""

from __future__ import annotations

from xlcalc.spec.model import Node, Spec
from xlcalc.yamlread import Context


def check_caps_and_pools(spec: Spec, ctx: Context) -> None:
    """Located errors for a ``cap`` below the node's floor and for a ``pool`` that is not an
    ancestor with a declared floor, on a node that has points of its own."""
    for n in spec.nodes():
        if n.cap is not None and n.floor is not None and n.cap < n.floor:
            ctx.error(f"'cap' {n.cap:g} is below the node's floor {n.floor:g}", n.line, f"{n.path}.cap")
        if n.rule is not None and n.rule.pool:
            _check_pool(spec, n, ctx)


def _check_pool(spec: Spec, n: Node, ctx: Context) -> None:
    assert n.rule is not None
    where = f"{n.path}.rule.pool"
    pool = n.rule.pool
    ancestors = spec.ancestors(n.id)
    target = next((a for a in ancestors if a.id == pool), None)
    if target is None:
        names = ", ".join(a.id for a in ancestors)
        ctx.error(f"pool '{pool}' must name an ancestor of this rule (one of: {names})", n.line, where)
    elif target.floor is None:
        ctx.error(
            f"pool '{pool}' declares no 'floor': write the floor its deductions stop at "
            "(floor: 0 for 扣完为止)",
            target.line,
            f"{target.path}.floor",
        )
    if n.points != 0:
        ctx.error(
            f"a rule with 'pool' has no points of its own (it deducts from '{pool}'): "
            f"write points: 0, found {n.points:g}",
            n.line,
            f"{n.path}.points",
        )
    if n.cap is not None:
        ctx.error("a node whose rule deducts from a pool takes no 'cap'", n.line, f"{n.path}.cap")
    if any(name for field, name in n.rule.params_read() if field == "pool_param"):
        ctx.error("'pool' and 'pool_param' exclude each other: name one pool", n.line, where)
