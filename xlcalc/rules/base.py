"""Rule nodes: the base class, shared clauses (conditions, 通报 penalties, vetoes) and the registry.

A rule kind is a frozen dataclass with ``KIND`` (its YAML ``kind``), a ``parse`` classmethod
reading its fields from YAML, and a ``lower`` method emitting IR. Clauses every kind may carry
(extra per-incident penalties, vetoes, a floor) are handled here once, so each kind only states
its own arithmetic and its own sentence of explanation.

Everything else a consumer needs to know about a kind is asked of the kind (never found out with
``isinstance``): its boundary probes (verifier), the parameters it names (loader), its threshold,
completion ratio, incident counting and reason/tier inputs (audit), and its row of the rule-kind
table in docs/spec.md (``FIELDS_DOC``, ``SCORE_DOC``, ``PATTERNS``).
"""

from __future__ import annotations

import math
import re
from dataclasses import MISSING, dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from xlcalc import ir
from xlcalc.yamlread import Reader

if TYPE_CHECKING:
    from xlcalc.lowering import Lowering
    from xlcalc.spec.model import Node

# Chinese wording of each comparison, used in explanations.
OP_WORDS = {">=": "达到", ">": "超过", "<=": "不超过", "<": "低于", "=": "等于"}
OP_FAIL_WORDS = {">=": "未达到", ">": "未超过", "<=": "超过", "<": "未低于", "=": "不等于"}
OPS = tuple(OP_WORDS)


def number_or_percent(value: object) -> float | None:
    """Spec literals: 110, 0.8 or "80%" (a percentage written as in the rubric text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value) if abs(value) <= 1e15 else math.nan
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        # A plain decimal as the rubric prints it: no NaN/inf, no Python-only underscores.
        m = _SPEC_NUMBER.fullmatch(value.strip())
        if m is None:
            return None
        number = float(m.group(1)) / (100 if m.group(2) else 1)
        return number if math.isfinite(number) and abs(number) <= 1e15 else None
    return None


_SPEC_NUMBER = re.compile(r"([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?)(%?)")


def read_amount(r: Reader, key: str, default: object = None, required: bool = True) -> float | None:
    """A numeric field that may be written as a percentage string."""
    r.used.add(key)
    if key not in r.data:
        if required and default is None:
            r.error(f"missing required key '{key}'")
        return default  # type: ignore[return-value]
    value = number_or_percent(r.data[key])
    if value is None:
        r.error(f"'{key}' must be a number or a percentage like \"80%\", found '{r.data[key]}'", key)
    return value


@dataclass(frozen=True)
class Condition:
    """``value op than`` or a yes/no flag; one clause of a (conjunctive) condition."""

    value: str
    op: str = ">="
    than: float | str | None = None  # a number, or the id of another quantity
    flag: bool = False  # true: a 是/否 input that must be 是 (or 否 with expect=False)
    expect: bool = True
    label: str = ""

    @classmethod
    def parse(cls, r: Reader) -> Condition:
        if r.has("flag"):
            value = r.get("flag", str)
            expect = r.get("is", bool, True)
            label = r.get("label", str, "")
            r.finish()
            return cls(value=value or "", flag=True, expect=expect, label=label)
        value = r.get("value", str)
        op = r.choice("op", OPS, ">=")
        than = read_amount_or_id(r, "than", required=True)
        label = r.get("label", str, "")
        r.finish()
        return cls(value=value or "", op=op or ">=", than=than, label=label)

    def refs(self) -> list[str]:
        out = [self.value]
        if isinstance(self.than, str):
            out.append(self.than)
        return out

    def expr(self, lw: Lowering) -> ir.Expr:
        if self.flag:
            return lw.val(self.value).cmp("=", "是" if self.expect else "否")
        than = lw.val(self.than) if isinstance(self.than, str) else ir.Num(self.than or 0.0)
        return lw.val(self.value).cmp(self.op, than)

    def filled(self, lw: Lowering) -> ir.Expr | None:
        """Every quantity the condition reads is filled in (None: nothing to fill)."""
        return lw.ready(self.refs())

    def holds(self, lw: Lowering) -> ir.Expr:
        """Filled and true: safe to evaluate on blank inputs in both back ends (never compares a blank)."""
        if self.flag:  # a blank never equals 是 or 否
            return self.expr(lw)
        filled = self.filled(lw)
        return ir.and_(filled, self.expr(lw)) if filled is not None else self.expr(lw)

    def fails(self, lw: Lowering) -> ir.Expr:
        """Filled and false: the condition is decided against."""
        if self.flag:
            return lw.val(self.value).cmp("=", "否" if self.expect else "是")
        filled = self.filled(lw)
        not_ok = ir.call("NOT", self.expr(lw))
        return ir.and_(filled, not_ok) if filled is not None else not_ok

    def describe(self, lw: Lowering, passed: bool) -> ir.Expr:
        """e.g. "每10万人办案数105.3件，未达到110件"."""
        if self.flag:
            label = self.label or lw.label(self.value)
            return ir.concat(label, "：", lw.val(self.value))
        if isinstance(self.than, str):
            than_text: ir.Expr = lw.show(self.than)
        else:
            than_text = lw.show_literal(self.value, self.than or 0.0)
        words = OP_WORDS if passed else OP_FAIL_WORDS
        than = lw.val(self.than) if isinstance(self.than, str) else ir.Num(self.than or 0.0)
        shown = lw.show_against(self.value, than)
        return ir.concat(lw.label(self.value), shown, "，", words[self.op], than_text)


@dataclass(frozen=True)
class Penalty:
    """An extra per-incident deduction attached to a rule (每通报一次扣0.5分)."""

    count: str
    per: float
    label: str = ""
    unit: str = "次"

    @classmethod
    def parse(cls, r: Reader) -> Penalty:
        return parse_declared(cls, r)


@dataclass(frozen=True)
class Veto:
    """A condition that zeroes a score (经查实的，本项不得分). ``scope_param`` names the
    parameter choosing which node the veto zeroes; without it the rule itself is zeroed."""

    flag: str
    label: str = ""
    scope_param: str = ""

    @classmethod
    def parse(cls, r: Reader) -> Veto:
        return parse_declared(cls, r)


@dataclass(frozen=True)
class Lowered:
    """What a rule kind contributes: its raw score, its own sentence, and what it reads."""

    raw: ir.Expr
    why: ir.Expr
    deps: tuple[str, ...]
    ready: ir.Expr | None = None  # extra readiness condition beyond "every dep filled"
    # True when the score is decided although some deps are blank (a condition already false makes
    # an all-or-nothing rule fail whatever the blank would say, as Excel's AND does).
    decided: ir.Expr | None = None
    clamp: bool = True  # False for pure penalties whose score is ≤ 0 by design
    # Bounds of ``raw`` over every valid input (None: unbounded or unknown). The floor and the
    # cap are emitted only where they can bite, so no formula carries dead code.
    lo: float | None = None
    hi: float | None = None


# A partial assignment of inputs aimed at one rule's boundary (see xlcalc/verify/cases.py).
Probe = dict[str, Any]


class ProbeSolver(Protocol):
    """What a kind's ``probes`` may ask of the verifier: "make quantity X equal v" as inputs."""

    inputs: dict[str, Any]

    def set_value(self, ref: str, value: float) -> Probe | None: ...

    def near(self, ref: str, threshold: float, step: float) -> list[Probe]: ...

    def resolution(self, ref: str) -> float: ...


def condition_probes(pm: ProbeSolver, c: Condition) -> list[Probe]:
    """A flag both ways and blank; a numeric condition on its threshold and one step either side."""
    if c.flag:
        return [{c.value: "是"}, {c.value: "否"}, {c.value: None}]
    if isinstance(c.than, int | float):
        return pm.near(c.value, float(c.than), pm.resolution(c.value))
    return []


def clean_number(x: float) -> float:
    """A probe value without float noise (0.30000000000000004 → 0.3)."""
    return float(f"{x:.10g}")


def single_threshold(conditions: tuple[Condition, ...], only: bool = True) -> tuple[str, float] | None:
    """The operator and number of the numeric conditions' first one (``only``: when it is the only one)."""
    nums = [c for c in conditions if not c.flag and isinstance(c.than, int | float)]
    if not nums or (only and len(nums) != 1):
        return None
    return nums[0].op, float(nums[0].than)  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True)
class Rule:
    """Base of every rule kind: the clauses every kind may carry are declared here, once, as
    keyword-only fields (``parse_common`` reads them), so a kind declares only its own fields."""

    KIND: ClassVar[str] = ""
    # The kind as a spreadsheet user reads it (规则原文 sheet); the code stays in the hidden spec.
    LABEL: ClassVar[str] = "评分规则"
    # docs/spec.md's rule-kind table is generated from these three (xlcalc/rules/doc.py).
    FIELDS_DOC: ClassVar[str] = ""
    SCORE_DOC: ClassVar[str] = ""
    PATTERNS: ClassVar[tuple[str, ...]] = ()
    # Fields naming a rubric parameter (the loader checks each is declared), in the order checked.
    PARAM_FIELDS: ClassVar[tuple[str, ...]] = ()
    # No score of its own (monitoring status): no full marks, no lint warning for 0 points.
    SCORELESS: ClassVar[bool] = False
    # A pure penalty that lives on a 0-point node (its deduction lands elsewhere).
    ZERO_POINTS: ClassVar[bool] = False
    # Compares the units of a cohort (rankings): the spec must list them in meta.units.
    COHORT: ClassVar[bool] = False

    penalties: tuple[Penalty, ...] = ()
    vetoes: tuple[Veto, ...] = ()
    floor: str = "param"  # "zero" (扣完为止 stated), "param" (rubric parameter decides), "none"
    # An ancestor's id: the rule has no points of its own and deducts from that ancestor, floored
    # at the ancestor's declared floor (少于3人的扣2分 listed under a 30-point section).
    pool: str = ""

    @classmethod
    def parse(cls, r: Reader) -> Rule:
        """Read the kind's declared fields (see :func:`read_declared`) and the common clauses, then
        :meth:`check_fields`; a kind whose YAML does not follow its fields overrides this."""
        rule = cls(**read_declared(cls, r), **parse_common(r))
        rule.check_fields(r)
        return rule

    def check_fields(self, r: Reader) -> None:
        """Report (``r.error``) field combinations the kind refuses; nothing by default."""

    def lower(self, lw: Lowering, node: Node) -> Lowered:
        raise NotImplementedError

    def full_marks(self) -> float | None:
        """The rule's own stated full marks, when its text promises a number."""
        return None

    def pending_text(self, lw: Lowering, node: Node, deps: list[str]) -> ir.ExprLike:
        """The explanation while the rule is 待填: by default the inputs still blank or invalid."""
        return lw.missing_text(deps)

    def refs(self) -> list[str]:
        """Every input or derived id the rule reads (for reference checks)."""
        return []

    def nodes_read(self) -> list[str]:
        """Every indicator whose score the rule reads (ranking a node; the loader refuses a cycle)."""
        return []

    def params_read(self) -> list[tuple[str, str]]:
        """(field, parameter name) for every ``PARAM_FIELDS`` entry that is set."""
        return [(f, name) for f in self.PARAM_FIELDS if (name := getattr(self, f))]

    @classmethod
    def lower_summary(cls, lw: Lowering) -> None:
        """Cells summarising every rule of this kind in the rubric, added after the tree (none by default)."""

    # ---- verifier ----
    def probes(self, pm: ProbeSolver, points: float) -> list[Probe]:
        """Boundary probes: every threshold and a step either side, floors, caps, blanks."""
        raise NotImplementedError(f"no boundary probes for rule kind {self.KIND}")

    # ---- audit facts ----
    def stated_threshold(self) -> tuple[str, float] | None:
        """The operator and threshold the rule tests its actual against, when it has a single one."""
        return None

    def counts_incidents(self) -> bool:
        """Deducts per counted incident (a stated rate target is then not what it scores)."""
        return False

    def completion_ratio(self, lw: Lowering) -> ir.Expr | None:
        """Completion ratio of a positive or equality indicator (for the over-completion flag)."""
        return None

    def reason_input(self) -> str:
        """The text input holding the 偏差原因 the rule asks for."""
        return ""

    def funds_line(self) -> tuple[str, str] | None:
        """(budget, executed) inputs when the rule scores the national form's 资金 line."""
        return None

    def tier_input(self) -> str:
        """The input holding the 完成档次 (达成/部分达成/未达成) the self-score must agree with."""
        return ""


def read_amount_or_id(
    r: Reader, key: str, default: float | None = None, required: bool = False
) -> float | str | None:
    """A literal amount (158, "90%") or the id of another quantity; absent, as :func:`read_amount`
    (``default``, or an error when ``required``)."""
    raw = r.data.get(key)
    if isinstance(raw, str) and number_or_percent(raw) is None:
        return r.get(key, str)
    return read_amount(r, key, default, required=required)


def choices(*allowed: str, key: str | None = None) -> dict[str, Any]:
    """Field metadata: the field is one of ``allowed`` (its default when absent)."""
    return {"choices": allowed} | ({"key": key} if key else {})


def items(item: type, key: str | None = None) -> dict[str, Any]:
    """Field metadata: the field is a YAML list of mappings, each parsed into ``item`` from its
    own declared fields (a tuple; required unless the field has a default)."""
    return {"items": item} | ({"key": key} if key else {})


def parse_declared(cls: type, r: Reader) -> Any:
    """An item of a nested list (a band, a tier) built from its declared fields; unknown keys are
    errors."""
    value = cls(**read_declared(cls, r))
    r.finish()
    return value


def read_declared(cls: type, r: Reader) -> dict[str, Any]:
    """A kind's own fields read from YAML in declaration order, each under its own name (or the
    ``key`` in its field metadata, e.g. ``min`` for ``lo``). Metadata ``choices`` (see
    :func:`choices`) makes it one of a few words, ``items`` (see :func:`items`) a list of nested
    mappings. Otherwise by its declared type: ``str`` an id or text, ``float`` an amount (a number
    or "80%"; an unset or zero amount with a default takes the default), ``float | None`` an
    optional amount, ``float | str | None`` an amount or the id of a quantity, ``int`` and
    ``bool`` as written."""
    out: dict[str, Any] = {}
    for f in fields(cls):
        if f.kw_only:  # the common clauses, read by parse_common
            continue
        key = f.metadata.get("key", f.name)
        has_default = f.default is not MISSING
        if allowed := f.metadata.get("choices"):
            default = f.default if has_default else allowed[0]
            out[f.name] = r.choice(key, allowed, default) or default
            continue
        if item := f.metadata.get("items"):
            parsed = tuple(parse_declared(item, sub) for sub in r.readers(key, required=not has_default))
            out[f.name] = parsed or (f.default if has_default else ())
            continue
        match f.type:
            case "str":
                out[f.name] = r.get(key, str, f.default) if has_default else (r.get(key, str) or "")
            case "float":
                if has_default:
                    out[f.name] = read_amount(r, key, f.default, required=False) or f.default
                else:
                    out[f.name] = read_amount(r, key) or 0.0
            case "float | None":
                out[f.name] = read_amount(r, key, None, required=False)
            case "float | str | None":
                out[f.name] = read_amount_or_id(r, key)
            case "int" | "bool":
                t = int if f.type == "int" else bool
                # a missing or mistyped value is reported by r.get; 0/False stand in meanwhile
                out[f.name] = r.get(key, t, f.default) if has_default else (r.get(key, t) or t())
            case _:
                raise TypeError(f"{cls.__name__}.{f.name}: type {f.type} has no YAML reader; override parse")
    return out


def parse_common(r: Reader) -> dict:
    """Clauses any rule kind may carry."""
    penalties = tuple(Penalty.parse(p) for p in r.readers("penalties"))
    vetoes = tuple(Veto.parse(v) for v in r.readers("vetoes"))
    floor = r.choice("floor", ("zero", "param", "none"), "param")
    pool = r.get("pool", str, "")
    return {"penalties": penalties, "vetoes": vetoes, "floor": floor, "pool": pool}


REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    if cls.KIND in REGISTRY:
        raise ValueError(f"rule kind {cls.KIND} registered twice")
    REGISTRY[cls.KIND] = cls
    return cls
