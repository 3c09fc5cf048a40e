"""Unit attributes and ``applies_when`` (issue 13, item 13), and the checks of rules that rank a node
(item 14): read from YAML and checked against the rest of the spec, with file, line and YAML path.

A unit attribute is an ordinary input (a text input with ``values``, or a 是/否 input) whose value
``meta.units`` may fix per unit::

    meta:
      units: [{name: 迎江区, level: 区级}, {name: 怀宁县, level: 县级}]
    inputs:
      - {id: level, label: 单位层级, type: text, values: [县级, 区级]}
    tree: … {id: county_only, …, applies_when: {level: 县级}, not_applicable: excluded}
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap

from xlcalc.spec.model import BOOL_FALSE, BOOL_TRUE, Node, Spec
from xlcalc.yamlread import Context, Reader

NOT_APPLICABLE = ("excluded", "reallocated")
UNIT_KIND = "unit"  # ctx.ids kind remembering where each unit was listed
UNIT_VALUE_KIND = "unit value"  # ctx.ids kind remembering where each fixed unit value was written


def read_units(r: Reader) -> tuple[tuple[str, ...], tuple[tuple[str, tuple[tuple[str, str], ...]], ...]]:
    """``meta.units``: names, or mappings ``{name: 迎江区, level: 区级}`` fixing inputs per unit."""
    names: list[str] = []
    fixed: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for item, path, line in r.items("units"):
        r.ctx.ids.setdefault(UNIT_KIND, []).append((str(item), line, path))
        if not isinstance(item, CommentedMap | dict):
            names.append(str(item))
            continue
        u = Reader(item, r.ctx, path, line)
        name = str(u.get("name", (str, int)) or "")
        values: list[tuple[str, str]] = []
        for key in u.data:
            if key == "name":
                continue
            value = u.get(str(key), (str, int))
            if value is not None:
                values.append((str(key), str(value)))
                r.ctx.ids.setdefault(UNIT_VALUE_KIND, []).append((str(key), u.key_line(str(key)), u.sub(key)))
        u.finish()
        names.append(name)
        if values:
            fixed.append((name, tuple(values)))
    return tuple(names), tuple(fixed)


def read_applies(r: Reader) -> dict[str, Any]:
    """A node's ``applies_when: {input: value | [values]}`` and ``not_applicable``:
    ``excluded`` (default: the root's maximum loses the points), ``{excluded_from: ancestor id}``,
    ``reallocated`` (to every sibling that always applies) or ``{reallocate: [sibling ids]}``."""
    conditions: list[tuple[str, tuple[str, ...]]] = []
    if r.has("applies_when"):
        a = r.child("applies_when")
        assert a is not None
        for key in a.data if a.ok else ():
            raw = a.data[key]
            accepted = tuple(str(v) for v, _, _ in a.items(str(key))) if isinstance(raw, list) else ()
            if not isinstance(raw, list):
                accepted = (str(a.get(str(key), (str, int)) or ""),)
            if not accepted or "" in accepted:
                a.error("an applies_when condition needs at least one value", str(key))
            conditions.append((str(key), accepted))
        a.finish()
        if a.ok and not conditions:
            r.error("'applies_when' needs at least one condition", "applies_when")
    mode, targets, scale_at = "excluded", (), ""
    if r.has("not_applicable"):
        raw = r.data["not_applicable"]
        if isinstance(raw, CommentedMap | dict):
            n = r.child("not_applicable")
            assert n is not None
            if n.has("excluded_from"):
                scale_at = n.get("excluded_from", str) or ""
            else:
                mode = "reallocated"
                targets = tuple(str(t) for t, _, _ in n.items("reallocate", required=True))
            n.finish()
        else:
            mode = r.choice("not_applicable", NOT_APPLICABLE, "excluded") or "excluded"
        if not conditions:
            r.error("'not_applicable' needs 'applies_when'", "not_applicable")
    return {
        "applies_when": tuple(conditions),
        "not_applicable": mode,
        "reallocate": targets,
        "excluded_from": scale_at,
    }


def accepted_values(spec: Spec, input_id: str) -> tuple[str, ...] | None:
    """The values an attribute input may hold (None: not an input that can be an attribute)."""
    inp = next((i for i in spec.inputs if i.id == input_id), None)
    if inp is None:
        return None
    if inp.is_bool:
        return (BOOL_TRUE, BOOL_FALSE)
    return inp.values if inp.is_text and inp.values else None


def reallocation_targets(spec: Spec, node: Node) -> list[Node]:
    """The siblings a not-applicable node's points go to (``reallocated`` without names: every
    sibling that always applies)."""
    parent = spec.parent_of(node.id)
    if parent is None or node.not_applicable != "reallocated":
        return []
    if node.reallocate:
        return [c for c in parent.children if c.id in node.reallocate]
    return [c for c in parent.children if c.id != node.id and not c.applies_when]


def check_applicability(spec: Spec, ctx: Context) -> None:
    """Attributes name 是/否 inputs or text inputs with ``values``; every value is one of them;
    reallocation targets are siblings that always apply."""
    fixed_keys = {k for _, values in spec.meta.unit_values for k, _ in values}
    sites = {k: (line, where) for k, line, where in ctx.ids.get(UNIT_VALUE_KIND, [])}
    for name, values in spec.meta.unit_values:
        for key, value in values:
            line, where = sites.get(key, (None, "meta.units"))
            allowed = accepted_values(spec, key)
            if allowed is None:
                ctx.error(
                    f"unit '{name}' fixes '{key}', which is not a 是/否 input or a text input with 'values'",
                    line,
                    where,
                )
            elif value not in allowed:
                ctx.error(f"unit '{name}': '{value}' is not one of {', '.join(allowed)}", line, where)
    given = {name: {k for k, _ in values} for name, values in spec.meta.unit_values}
    listed = [(line, where) for _, line, where in ctx.ids.get(UNIT_KIND, [])]
    for k, name in enumerate(spec.meta.units):
        missing = fixed_keys - given.get(name, set())
        if missing:
            line, where = listed[k] if k < len(listed) else (None, "meta.units")
            ctx.error(
                f"unit '{name}' does not give {', '.join(sorted(missing))}, as other units do", line, where
            )
    for n in spec.nodes():
        if not n.applies_when:
            continue
        where = f"{n.path}.applies_when"
        if n is spec.root:
            ctx.error("the root of the tree always applies", n.line, where)
        for key, accepted in n.applies_when:
            allowed = accepted_values(spec, key)
            if allowed is None:
                ctx.error(
                    f"applies_when names '{key}', which is not a 是/否 input or a text input with 'values'",
                    n.line,
                    where,
                )
                continue
            for value in accepted:
                if value not in allowed:
                    ctx.error(f"applies_when: '{value}' is not one of {', '.join(allowed)}", n.line, where)
        _check_targets(spec, n, ctx)


def excluded_from(spec: Spec, node: Node) -> str:
    """The ancestor whose score is converted over the points that apply (default: the root)."""
    return node.excluded_from or spec.root.id


def _check_targets(spec: Spec, n: Node, ctx: Context) -> None:
    if n.excluded_from and n.excluded_from not in {a.id for a in spec.ancestors(n.id)}:
        where = f"{n.path}.not_applicable"
        ctx.error(f"excluded_from '{n.excluded_from}' is not an ancestor of this node", n.line, where)
    if n.not_applicable != "reallocated":
        return
    where = f"{n.path}.not_applicable"
    parent = spec.parent_of(n.id)
    siblings = {c.id: c for c in parent.children} if parent is not None else {}
    for t in n.reallocate:
        if t == n.id or t not in siblings:
            ctx.error(f"reallocate target '{t}' is not a sibling of this node", n.line, where)
        elif siblings[t].applies_when:
            ctx.error(f"reallocate target '{t}' must always apply (it has applies_when)", n.line, where)
    if sum(t.points for t in reallocation_targets(spec, n)) <= 0:
        ctx.error("the points of a not-applicable node need siblings with points to go to", n.line, where)


def check_node_ranks(spec: Spec, ctx: Context) -> None:
    """A ranking rule has a cohort to rank, and one ranking a node's score names an indicator whose
    score does not depend on the rule itself (ranking the total cannot feed the total)."""
    nodes = {n.id: n for n in spec.nodes()}
    deps: dict[str, list[str]] = {
        n.id: [c.id for c in n.children] + (n.rule.nodes_read() if n.rule is not None else [])
        for n in nodes.values()
    }
    for n in nodes.values():
        if n.rule is None:
            continue
        if n.rule.COHORT and not spec.meta.ranked:
            ctx.error(
                "a ranking rule compares the units of a cohort: list them in meta.units "
                "(with one unit every rank would be 1)",
                n.line,
                f"{n.path}.rule",
            )
        for key in n.rule.nodes_read():
            where = f"{n.path}.rule"
            if key not in nodes:
                ctx.error(f"rule ranks unknown indicator '{key}'", n.line, where)
            elif any(a.applies_when for a in (nodes[key], *spec.ancestors(key))):
                ctx.error(
                    f"rule ranks '{key}', which does not apply to every unit (applies_when)", n.line, where
                )
            elif _reaches(deps, key, n.id):
                ctx.error(
                    f"rule ranks '{key}', whose score depends on this rule (it is this rule or one of its "
                    "ancestors): a ranking cannot feed what it ranks; put the ranking beside the ranked node",
                    n.line,
                    where,
                )


def _reaches(deps: dict[str, list[str]], start: str, goal: str) -> bool:
    seen: set[str] = set()
    stack = [start]
    while stack:
        cur = stack.pop()
        if cur == goal:
            return True
        if cur in seen:
            continue
        seen.add(cur)
        stack.extend(d for d in deps.get(cur, []) if d in deps)
    return False
