"""The order the fast formulas plan calls function nodes in, and what makes it give up.

:func:`topo` orders the function nodes of a dispatcher (the workbook's, or one formula's inner
one) the way schedula would fire them from the given sources; :class:`Unsupported` says the model
needs formulas' own scheduler.
"""

from __future__ import annotations

import collections
from collections.abc import Mapping
from typing import Any

__all__ = ["Unsupported", "topo"]


class Unsupported(Exception):
    """The model uses something the fast plan does not handle; use formulas' dispatcher."""


def topo(
    nodes: Mapping[Any, dict[str, Any]],
    succ: Mapping[Any, Any],
    sources: set[Any],
    functions: list[Any],
) -> tuple[list[Any], list[Any]]:
    """Order the function nodes that fire from ``sources``; also return the shadowed ones.

    A function fires once all its inputs are set; a function whose outputs are all set already
    (an inverse node: range → cells, defined name → cell) is shadowed and never called.
    """
    pending = {f: len(set(nodes[f]["inputs"])) for f in functions}
    ready = collections.deque(f for f in functions if pending[f] == 0)
    done: set[Any] = set(sources)
    for s in sources:
        for f in succ.get(s, ()):
            if f in pending:
                pending[f] -= 1
                if pending[f] == 0:
                    ready.append(f)
    order: list[Any] = []
    shadowed: list[Any] = []
    while ready:
        f = ready.popleft()
        outs = nodes[f]["outputs"]
        new = [o for o in outs if o not in done]
        if not new:
            shadowed.append(f)
            continue
        if len(new) != len(outs):
            raise Unsupported(f"function {f!r} would set only part of its outputs")
        order.append(f)
        for o in outs:
            done.add(o)
            for g in succ.get(o, ()):
                if g in pending:
                    pending[g] -= 1
                    if pending[g] == 0:
                        ready.append(g)
    return order, shadowed
