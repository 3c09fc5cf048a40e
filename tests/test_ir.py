"""xlcalc/ir.py: the formula IR both back ends consume (lifting, folding, flattening, walking)."""

from __future__ import annotations

import pytest

from xlcalc import ir


def test_lift_turns_literals_into_nodes() -> None:
    assert ir.lift(2) == ir.Num(2.0)
    assert ir.lift(True) == ir.Bool(True)  # a bool is not a number here
    assert ir.lift("待填") == ir.Str("待填")
    ref = ir.Ref("a")
    assert ir.lift(ref) is ref
    with pytest.raises(TypeError):
        ir.lift(None)  # type: ignore[arg-type]


def test_operators_build_binops_on_either_side() -> None:
    a = ir.Ref("a")
    assert a + 1 == ir.BinOp("+", a, ir.Num(1.0))
    assert 1 - a == ir.BinOp("-", ir.Num(1.0), a)
    assert -a == ir.Neg(a)
    assert a.cmp(">=", 80) == ir.BinOp(">=", a, ir.Num(80.0))


def test_call_refuses_functions_outside_the_portable_set() -> None:
    assert ir.call("ROUND", 1, 2).fn == "ROUND"
    with pytest.raises(ValueError, match="portable"):
        ir.call("XLOOKUP", 1)


def test_and_or_flatten_and_drop_repeated_operands() -> None:
    a, b, c = ir.Ref("a"), ir.Ref("b"), ir.Ref("c")
    assert ir.and_(a) is a
    assert ir.and_(ir.and_(a, b), c, a) == ir.Call("AND", (a, b, c))
    assert ir.or_(a, ir.or_(b, a)) == ir.Call("OR", (a, b))
    assert ir.and_(ir.or_(a, b), c) == ir.Call("AND", (ir.Call("OR", (a, b)), c))  # only same-kind nesting


def test_concat_merges_adjacent_literals_and_drops_empty_ones() -> None:
    a = ir.Ref("a")
    assert ir.concat("得", "", "分") == ir.Str("得分")
    assert ir.concat() == ir.Str("")
    assert ir.concat("x=", a, "，", "完") == ir.BinOp("&", ir.BinOp("&", ir.Str("x="), a), ir.Str("，完"))
    assert ir.concat(ir.concat("a", a), "b") == ir.concat("a", a, "b")


def test_text_of_a_literal_is_folded_at_compile_time() -> None:
    assert ir.num_text(2.005, 2) == ir.Str("2.01")  # Excel's ROUND, not the binary value
    assert ir.pct_text(0.875, 1) == ir.Str("87.5%")
    assert ir.fixed_text(3, 1) == ir.Str("3.0")
    assert ir.num_text(ir.Ref("a"), 2) == ir.NumText(ir.Ref("a"), 2)


def test_walk_refs_and_column_refs() -> None:
    a, b = ir.Ref("a"), ir.Ref("b")
    expr = ir.if_(a.cmp(">", 0), ir.num_text(b, 1), ir.call("RANK.EQ", a, ir.Column("k")))
    nodes = ir.walk(expr)
    assert nodes[0] is expr  # parents first
    assert ir.refs(expr) == {"a", "b"}
    assert ir.column_refs(expr) == {"k"}
    assert ir.column_refs(ir.call("COUNTIF", ir.ColumnPrefix("k"), a)) == {"k"}
