"""The bounded reader (xlcalc.workbook.untrusted) and every hostile file of the attacker study, as
named regression tests through check, verify (load_target) and the bridge's check entry."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import hostile
import pytest
from conftest import ROOT

import xlcalc.bridge as bridge
from xlcalc import cli
from xlcalc.check import check_workbook
from xlcalc.errors import XlcalcError
from xlcalc.spec.loader import load_spec
from xlcalc.verify.target import load_target
from xlcalc.workbook.build import build_workbook, write_workbook
from xlcalc.workbook.sheetxml import cast_number, external_ref
from xlcalc.workbook.untrusted import Limits, UntrustedBook
from xlcalc.workbook.zippackage import _Capped

SPECS = ROOT / "rubric_specs"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    spec = load_spec(SPECS / "anqing_2023.yaml")
    path = write_workbook(build_workbook(spec), tmp_path_factory.mktemp("tpl") / "anqing_2023.xlsx")
    return path.read_bytes()


def _write(tmp_path: Path, name: str, data: bytes) -> tuple[Path, str]:
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


# ---- the hostile files, through check -----------------------------------------------------
@pytest.mark.parametrize("name", list(hostile.CASES))
def test_hostile_file_gives_one_located_chinese_answer(name: str, template: bytes, tmp_path: Path) -> None:
    build, outcome, text = hostile.CASES[name]
    path, digest = _write(tmp_path, name, build(template))
    if outcome == "error":
        with pytest.raises(XlcalcError) as err:
            check_workbook(path)
        assert str(path) in str(err.value) and text in str(err.value)
    else:
        report = check_workbook(path)
        if outcome == "ok":
            assert report.ok, report.render()
        else:
            found = getattr(report, outcome)
            assert any(text in p for p in found), report.render()
            assert "结论：发现问题" in report.render()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.engine
@pytest.mark.parametrize("name", [n for n, (_, outcome, _) in hostile.CASES.items() if outcome != "ok"])
def test_hostile_file_is_refused_by_verify_and_the_bridge(
    name: str, template: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    build, outcome, text = hostile.CASES[name]
    path, _ = _write(tmp_path, name, build(template))
    with pytest.raises(XlcalcError) as err:
        load_target(path)
    assert str(path) in str(err.value)
    if outcome == "error":
        assert text in str(err.value)
    out = tmp_path / "out" / "checked.xlsx"
    assert bridge.cli(["check", str(path), "--out", str(out)]) == 2
    assert str(path) in capsys.readouterr().err
    assert not out.parent.exists()


def test_cli_check_keeps_going_after_an_unreadable_file(
    template: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad, _ = _write(tmp_path, "empty", b"")
    good, _ = _write(tmp_path, "good", template)
    assert cli.main(["check", str(bad), str(good)]) == 2
    out = capsys.readouterr().out
    assert "文件为空" in out and "结论：无法检查" in out and "结论：通过" in out


def test_honest_template_passes_and_names_the_spec_it_used(template: bytes, tmp_path: Path) -> None:
    path, _ = _write(tmp_path, "anqing", template)
    report = check_workbook(path)
    assert report.ok, report.render()
    assert any("anqing_2023.yaml" in n for n in report.notes)
    assert load_target(path).layout.n_units == 10


# ---- spec trust ----------------------------------------------------------------------------
def test_another_spec_named_with_spec_is_reported(template: bytes, tmp_path: Path) -> None:
    path, _ = _write(tmp_path, "anqing", template)
    report = check_workbook(path, load_spec(SPECS / "qingyunpu_2023.yaml"))
    assert any("_规格!A1" in p and "内容不同" in p for p in report.structure_problems), report.render()
    assert not report.ok


def test_embedded_spec_edited_is_reported(template: bytes, tmp_path: Path) -> None:
    data = hostile.edit_sheet(
        template, "_规格", lambda x: x.replace("total: 100", "total: 200", 1).replace("100</t>", "200</t>", 1)
    )
    path, _ = _write(tmp_path, "edited", data)
    report = check_workbook(path)
    assert any("内容不同" in p for p in report.structure_problems), report.render()


def test_alias_bomb_is_refused_even_when_the_embedded_spec_is_asked_for(
    template: bytes, tmp_path: Path
) -> None:
    path, _ = _write(tmp_path, "bomb", hostile.alias_bomb(template))
    report = check_workbook(path)  # the trusted spec by meta.id: the bomb is only hashed
    assert not report.ok
    from xlcalc.workbook.embedded import trusted_spec

    with pytest.raises(XlcalcError, match="别名炸弹"):
        trusted_spec(hostile.ALIAS_BOMB.replace("anqing_2023", "unknown_x"), "f.xlsx!_规格", None, True)


def test_no_spec_found_says_to_use_spec(template: bytes, tmp_path: Path) -> None:
    data = hostile.edit_sheet(template, "_规格", lambda x: x.replace("anqing_2023", "unknown_rubric", 1))
    path, _ = _write(tmp_path, "unknown", data)
    with pytest.raises(XlcalcError, match="--spec") as err:
        check_workbook(path)
    assert "unknown_rubric" in str(err.value)


def test_parameter_changed_on_the_sheet_is_reported(template: bytes, tmp_path: Path) -> None:
    spec = load_spec(SPECS / "anqing_2023.yaml")
    p = spec.param("partial_step")
    other = next(label for _, label in p.choices if label != p.label_of(str(p.default)))
    data = hostile.edit_sheet(
        template, "参数", lambda x: hostile.set_cell(x, "B4", f"<is><t>{other}</t></is>", ' t="inlineStr"')
    )
    path, _ = _write(tmp_path, "param", data)
    report = check_workbook(path)
    assert any("参数!B4" in x and other in x for x in report.param_problems), report.render()
    assert check_workbook(path, params={"partial_step": other}).param_problems == []


def test_formula_edited_and_overwritten_found_by_reading_those_cells(template: bytes, tmp_path: Path) -> None:
    def fn(x: str) -> str:
        x = hostile.set_cell(x, "C5", "<f>5</f><v>5</v>")
        return hostile.set_cell(x, "E4", "<v>6</v>")

    path, _ = _write(tmp_path, "tampered", hostile.edit_sheet(template, "评分", fn))
    report = check_workbook(path)
    assert any("评分!C5" in p and "修改为 =5" in p for p in report.formula_problems), report.render()
    assert any("评分!E4" in p and "覆盖" in p for p in report.formula_problems), report.render()


# ---- the reader ----------------------------------------------------------------------------
def _book(
    tmp_path: Path, sheet_xml: str, sst: str | None = None, limits: Limits | None = None
) -> UntrustedBook:
    main, rel, pkg = hostile.MAIN, hostile.REL, hostile.PKG
    parts = {
        "[Content_Types].xml": b"<Types/>",
        "_rels/.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="r" Type="{rel}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
        '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg}">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{sheet_xml}</sheetData></worksheet>',
    }
    if sst is not None:
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{main}">{sst}</sst>'
    path = tmp_path / "t.xlsx"
    path.write_bytes(hostile.pack({k: v.encode() if isinstance(v, str) else v for k, v in parts.items()}))
    return UntrustedBook(path, limits)


@pytest.mark.parametrize(
    ("xml", "sst", "rng", "want"),
    [
        ('<row r="1"><c r="A1"><v>5</v></c><c r="B1"><v>2.5</v></c></row>', None, "A1:B1", [[5, 2.5]]),
        ('<row r="2"><c><v>1</v></c><c><v>2</v></c></row>', None, "A2:B2", [[1, 2]]),  # no r attributes
        (
            '<row r="1"><c r="A1" t="b"><v>1</v></c><c r="B1" t="e"><v>#N/A</v></c></row>',
            None,
            "A1:B1",
            [[True, "#N/A"]],
        ),
        (
            '<row r="1"><c r="A1" t="s"><v>1</v></c></row>',
            "<si><t>a</t></si><si><r><t>b</t></r><r><t>c</t></r><rPh><t>ピン</t></rPh></si>",
            "A1",
            [["bc"]],
        ),
        ('<row r="3"><c r="C3" t="inlineStr"><is><t>是</t></is></c></row>', None, "B3:C3", [[None, "是"]]),
        ('<row r="1"><c r="A1"><v>x1</v></c></row>', None, "A1", [["x1"]]),  # junk number stays text
    ],
)
def test_reader_values(tmp_path: Path, xml: str, sst: str | None, rng: str, want: list) -> None:
    assert _book(tmp_path, xml, sst).read("S", rng) == want


def test_shared_formulas_are_translated(tmp_path: Path) -> None:
    xml = (
        '<row r="1"><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f><v>2</v></c></row>'
        '<row r="2"><c r="B2"><f t="shared" si="0"/><v>4</v></c></row>'
        '<row r="3"><c r="B3"><f t="shared" si="7"/></c></row>'
    )
    book = _book(tmp_path, xml)
    assert book.formula("S", 1, 2) == "=A1*2"
    assert book.formula("S", 2, 2) == "=A2*2"
    assert book.formula("S", 3, 2) == "=#共享公式缺失" and book.problems


def test_stream_stops_past_the_last_wanted_row(tmp_path: Path) -> None:
    xml = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 200_000))
    book = _book(tmp_path, xml)
    assert book.read("S", "A1:A2") == [[1], [2]]
    assert book.rows_seen["S"] == 2 and book.used < 1 << 20  # of about 7 MB


def test_long_cell_text_is_truncated_and_reported(tmp_path: Path) -> None:
    book = _book(
        tmp_path,
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>{"长" * 50}</t></is></c></row>',
        None,
        Limits(cell_chars=10),
    )
    assert book.read("S", "A1") == [["长" * 10]]
    assert any("截断" in m for _, _, m in book.problems)


def test_capped_stream_fails_past_its_cap() -> None:
    seen: list[int] = []

    def over() -> None:
        seen.append(1)
        raise XlcalcError("cap")

    stream = io.BufferedReader(_Capped(io.BytesIO(b"x" * 1000), 100, over), buffer_size=16)
    with pytest.raises(XlcalcError, match="cap"):
        stream.read()
    assert seen == [1]


def test_reading_past_the_total_cap_stops_while_decompressing(template: bytes, tmp_path: Path) -> None:
    path, _ = _write(tmp_path, "t", template)
    book = UntrustedBook(path)
    book.used = book.limits.total_bytes - 1000  # as if many parts had been read already
    with pytest.raises(XlcalcError, match="压缩炸弹"):
        book.read("扣分说明", "A4:B13")


@pytest.mark.parametrize(
    ("formula", "external"),
    [("=[1]Sheet1!A1", True), ("='[2]x'!B2+1", True), ('="[1]"&A1', False), ("=SUM(A1:A3)", False)],
)
def test_external_ref(formula: str, external: bool) -> None:
    assert external_ref(formula) is external


@pytest.mark.parametrize(("text", "want"), [("5", 5), ("5.0", 5.0), ("1E3", 1000.0), ("-2", -2), ("", "")])
def test_number_cast_as_openpyxl(text: str, want: object) -> None:
    assert cast_number(text) == want and type(cast_number(text)) is type(want)


@pytest.mark.parametrize(
    ("text", "ident"),
    [
        ("meta:\n  id: anqing_2023\n  title: x\n", "anqing_2023"),
        ("selfeval:\n  id: ezhou_2021_pufa\n  project: 普法\nrows: []\n", "ezhou_2021_pufa"),
        ("title: x\nid: not_meta\n", None),
        ("meta: [unclosed\n", None),
    ],
)
def test_embedded_spec_id_of_full_and_compact_specs(text, ident):
    from xlcalc.workbook.embedded import meta_id

    assert meta_id(text) == ident
