"""Auditing published reports: each §8 rule that can be checked on a report is flagged with its id."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures.reports.reportgen import Mangle, Report, clean_values, make_html
from openpyxl import load_workbook

from nianbao.audit import audit_file, rule_findings
from nianbao.cli import main
from nianbao.data import guess_body_type
from nianbao.form import FORM, official

FIXTURES = Path(__file__).parent / "fixtures" / "reports"
BODY = "宁波市北仑区某某局"


def _clean(seed: int = 1, **kw) -> Report:
    return Report(kw.pop("body", BODY), kw.pop("year", 2024), kw.pop("values", clean_values(seed)), **kw)


def _codes(path: Path, last: dict | None = None) -> list[str]:
    return sorted(f.code for f in audit_file(path, last).findings)


def test_clean_report_has_no_findings(tmp_path: Path) -> None:
    report = audit_file(make_html(tmp_path / "ok.html", _clean()))
    assert report.findings == []
    assert report.imported.complete


def test_broken_column_identity_is_t3_1(tmp_path: Path) -> None:
    values = clean_values(1)
    key = "t3.new.natural_person"
    mangle = Mangle(cells={key: str(values[key] + 1)})  # the printed 总计 stays as it was
    findings = audit_file(make_html(tmp_path / "r.html", _clean(mangle=mangle))).findings
    codes = sorted({f.code for f in findings})
    assert codes == ["T3-1", "T3-3"]
    t31 = next(f for f in findings if f.code == "T3-1")
    assert t31.severity == "error" and t31.sheet == "表三" and "自然人" in t31.cell
    assert t31.file == "r.html" and t31.department == BODY


def test_wrong_t4_total_is_t4_1(tmp_path: Path) -> None:
    values = clean_values(1)
    mangle = Mangle(cells={"t4.review.total": str(values["t4.review.total"] + 2)})
    findings = audit_file(make_html(tmp_path / "r.html", _clean(mangle=mangle, overview="本年工作平稳。"))).findings
    assert [(f.code, f.sheet, f.cell) for f in findings] == [("T4-1", "表四", "行政复议 / 总计")]


def test_year_mismatch_is_x4(tmp_path: Path) -> None:
    findings = audit_file(make_html(tmp_path / "r.html", _clean(period_year=2023))).findings
    assert [f.code for f in findings] == ["X4"]
    assert findings[0].value == 2023 and findings[0].expected == 2024


def test_narrative_year_used_as_this_year_is_x4(tmp_path: Path) -> None:
    overview = "2023年，我局认真贯彻《条例》。较2023年增加了公开条目。"
    findings = audit_file(make_html(tmp_path / "r.html", _clean(overview=overview))).findings
    assert [(f.code, f.value) for f in findings] == [("X4", 2023)]


def test_narrative_contradicting_the_table_is_x3(tmp_path: Path) -> None:
    values = clean_values(1)
    new = values["t3.new.total"]
    overview = f"本年共受理政府信息公开申请{new + 1}件，办结{values['t3.concluded_total.total']}件。"
    findings = audit_file(make_html(tmp_path / "r.html", _clean(overview=overview))).findings
    assert [(f.code, f.value, f.expected) for f in findings] == [("X3", new + 1, new)]


def test_narrative_matching_the_table_is_fine(tmp_path: Path) -> None:
    values = clean_values(1)
    overview = (
        f"本年共受理政府信息公开申请{values['t3.new.total']}件（另有上年结转{values['t3.carried_over.total']}件），"
        f"行政复议{values['t4.review.total']}件。"
    )
    assert audit_file(make_html(tmp_path / "r.html", _clean(overview=overview))).findings == []


def test_none_claims_are_checked(tmp_path: Path) -> None:
    values = clean_values(1)
    assert values["t4.review.total"] > 0
    overview = "本年度未发生政府信息公开行政复议。"
    findings = audit_file(make_html(tmp_path / "r.html", _clean(overview=overview))).findings
    assert [(f.code, f.value) for f in findings] == [("X3", 0)]


def test_missing_fee_statement_is_x5(tmp_path: Path) -> None:
    findings = audit_file(make_html(tmp_path / "r.html", _clean(other="无其他需要报告的事项。"))).findings
    assert [(f.code, f.severity) for f in findings] == [("X5", "error")]


def test_headings_missing_renamed_or_out_of_order_are_x1(tmp_path: Path) -> None:
    mangle = Mangle(
        headings={official.HEADINGS[4]: "五、存在的问题和改进措施", official.HEADINGS[5]: "其他需要报告的事项"}
    )
    findings = audit_file(make_html(tmp_path / "r.html", _clean(mangle=mangle))).findings
    assert sorted((f.code, f.sheet) for f in findings) == [("X1", official.HEADINGS[4]), ("X1", official.HEADINGS[5])]


def test_non_standard_title_is_a_warning(tmp_path: Path) -> None:
    path = make_html(tmp_path / "r.html", _clean())
    title = _clean().title()
    path.write_text(path.read_text(encoding="utf-8").replace(title, f"{BODY}2024年政务公开工作年报"), encoding="utf-8")
    findings = audit_file(path).findings
    assert [(f.code, f.severity, f.sheet) for f in findings] == [("X1", "warning", "标题")]


def test_edited_labels_are_x2(tmp_path: Path) -> None:
    stock = official.T2_DOC_COLUMNS[2].label
    row = next(r.label for r in official.T3_ROWS if r.label.startswith("5.属于"))
    mangle = Mangle(labels={stock: "现行有效件", row: row.replace("内部", "内容"), "1.属于国家秘密": "1、属于国家秘密"})
    findings = audit_file(make_html(tmp_path / "r.html", _clean(mangle=mangle))).findings
    got = sorted((f.code, f.severity, f.value) for f in findings)
    assert got == [
        ("X2", "error", "5.属于三类内容事务信息"),
        ("X2", "error", "现行有效件"),
        ("X2", "warning", "1、属于国家秘密"),
    ]


def test_2019_layout_is_x6_and_the_town_fixture() -> None:
    report = audit_file(FIXTURES / "town_2019_layout_2023.html")
    codes = sorted({f.code for f in report.findings})
    assert codes == ["IM-2", "IM-5", "X3", "X4", "X5", "X6"]
    assert report.has_errors


def test_rules_for_a_town(tmp_path: Path) -> None:
    values = dict(clean_values(1))
    values["t2.rules.issued"], values["t2.rules.in_force"], values["t2.rules.repealed"] = 1, 1, 0
    values["t2.fees.amount"] = Decimal("25000")
    findings = audit_file(make_html(tmp_path / "r.html", _clean(body="衡东县杨林镇人民政府", values=values))).findings
    assert sorted(f.code for f in findings) == ["T2-2", "T2-4"]
    assert all(f.severity == "warning" for f in findings)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("衡东县杨林镇人民政府", "乡镇"),
        ("宁波市北仑区人民政府大榭街道办事处", "街道"),
        ("大榭街道", "街道"),
        ("西宁市城中区人民政府", "县级"),
        ("宁波市北仑区市场监督管理局", "县级"),
        ("宁波市人民政府", "其他"),
        ("浙江省人民政府", "其他"),
        ("广西壮族自治区人民政府", "其他"),
    ],
)
def test_body_type(name: str, kind: str) -> None:
    assert guess_body_type(name) == kind


def test_t4_warnings(tmp_path: Path) -> None:
    inputs = {k: 0 for k in FORM.input_numeric_keys}
    inputs.update(
        {
            "t3.new.natural_person": 2,
            "t3.disclosed.natural_person": 2,
            "t4.suit_after_review.upheld": 1,
            "t4.suit_direct.upheld": 30,
        }
    )
    values = FORM.compute_derived(inputs)
    findings = audit_file(make_html(tmp_path / "r.html", _clean(values=values))).findings
    assert sorted(f.code for f in findings) == ["T4-3", "T4-4"]


def test_unpaid_fee_rows_need_a_fee_notice_statement(tmp_path: Path) -> None:
    inputs = {k: 0 for k in FORM.input_numeric_keys}
    inputs.update({"t3.new.natural_person": 1, "t3.other_unpaid_fee.natural_person": 1})
    values = FORM.compute_derived(inputs)
    findings = audit_file(make_html(tmp_path / "r.html", _clean(values=values))).findings
    assert [f.code for f in findings] == ["T3-7"]
    other = "本年度发出收费通知1件，金额合计100元，申请人逾期未缴纳，未收取信息处理费。"
    assert audit_file(make_html(tmp_path / "ok.html", _clean(values=values, other=other))).findings == []


def test_rule_findings_skip_rules_with_unread_cells() -> None:
    values = dict(clean_values(1))
    values["t3.new.natural_person"] += 5
    del values["t3.new.total"]
    codes = {f.code for f in rule_findings(values)}
    assert codes == {"T3-1"}  # T3-3 for that row needs the unread total


def test_implied_rules_are_not_repeated() -> None:
    inputs = {k: 0 for k in FORM.input_numeric_keys}
    values = dict(FORM.compute_derived(inputs))
    values["t3.carried_forward.natural_person"] = 3
    values["t3.carried_forward.total"] = 3
    codes = sorted(f.code for f in rule_findings(values))
    assert codes == ["T3-1", "T3-1"]  # 自然人 and 总计 columns; T3-5/T3-6 are implied


# -- the command -------------------------------------------------------------------------------------
def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    make_html(folder / "a_ok.html", _clean())
    values = clean_values(2)
    make_html(
        folder / "b_bad.html",
        _clean(
            seed=2,
            body="某某区教育局",
            overview="本年工作平稳。",
            mangle=Mangle(cells={"t4.review.total": str(values["t4.review.total"] + 1)}),
        ),
    )
    (folder / "c_seed.txt").write_bytes((FIXTURES / "seed_daxie_2024.txt").read_bytes())
    (folder / "d_broken.docx").write_bytes(b"PK\x03\x04 broken")
    (folder / "notes.odt").write_text("not a report", encoding="utf-8")
    return folder


def test_audit_folder_writes_one_workbook(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    out = tmp_path / "审核结果.xlsx"
    result = CliRunner().invoke(main, ["audit", str(folder), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # inputs untouched
    wb = load_workbook(out)
    assert wb.sheetnames == ["汇总", "审核发现"]
    summary = list(wb["汇总"].iter_rows(values_only=True))
    assert summary[0][:3] == ("机关", "报告年度", "文件")
    assert len(summary) == 5
    by_file = {row[2]: row for row in summary[1:]}
    assert by_file["a_ok.html"][3:5] == (0, 0)
    assert by_file["b_bad.html"][3] == 1
    assert by_file["d_broken.docx"][3] == 1
    findings = wb["审核发现"]
    assert findings.auto_filter.ref and findings.auto_filter.ref.startswith("A1:")
    rows = list(findings.iter_rows(min_row=2, values_only=True))
    assert {r[4] for r in rows} >= {"T4-1", "X1", "X2", "IM-1"}
    bodies = [r[0] for r in rows]
    assert bodies == sorted(bodies, key=lambda b: b or "\uffff")  # grouped by body
    assert not list(tmp_path.glob(".审核结果*"))  # no temporary file left


def test_audit_json_and_exit_codes(tmp_path: Path) -> None:
    ok = make_html(tmp_path / "ok.html", _clean())
    result = CliRunner().invoke(main, ["audit", str(ok), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["findings"] == []
    result = CliRunner().invoke(main, ["audit", str(tmp_path / "missing.html")])
    assert result.exit_code == 2 and "找不到" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(main, ["audit", str(empty)])
    assert result.exit_code == 2 and "没有可审核的报告" in result.output


def test_last_year_without_tables_does_not_stop_the_audit(tmp_path: Path) -> None:
    this = make_html(tmp_path / "this.html", _clean())
    broken = make_html(tmp_path / "last.html", _clean(seed=3, year=2023, mangle=Mangle(cells={"t3.new.total": "x"})))
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text[: text.index("<table border")] + "</td></tr></table></body></html>", encoding="utf-8")
    result = CliRunner().invoke(main, ["audit", str(this), "--last-year", str(broken), "--json"])
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    assert [(f["code"], f["severity"]) for f in report["findings"]] == [("C-LAST", "warning")]
    assert "last.html" in report["findings"][0]["message"] and report["findings"][0]["file"] == "this.html"


def test_last_year_with_one_table_missing_is_named(tmp_path: Path) -> None:
    from nianbao.audit import load_last_for_audit

    last_values = {k: v for k, v in clean_values(1).items() if not k.startswith("t2.")}
    last = tmp_path / "last.json"
    last.write_text(json.dumps({"body": BODY, "year": 2023, "values": last_values}), encoding="utf-8")
    data, problems = load_last_for_audit(last)
    assert data is not None and [p.code for p in problems] == ["C-LAST"] and "表二" in problems[0].message
    with pytest.raises(Exception, match="找不到上年报告"):
        load_last_for_audit(tmp_path / "missing.json")


def test_last_year_in_the_2019_format_says_why_table2_is_not_compared(tmp_path: Path) -> None:
    from nianbao.audit import load_last_for_audit

    last, problems = load_last_for_audit(FIXTURES / "town_2019_layout_2023.html")
    assert last is not None and not any(k.startswith("t2.") for k in last.values)
    assert [p.code for p in problems] == ["C-LAST"] and "表二" in problems[0].message
    assert "2019年试行格式" in problems[0].message


def test_a_folder_audited_on_two_processes_gives_the_same_reports(tmp_path: Path) -> None:
    from nianbao.audit import audit_paths

    values = clean_values(3)
    mangle = Mangle(cells={"t3.new.natural_person": str(values["t3.new.natural_person"] + 1)})
    paths = [
        make_html(tmp_path / f"r{i}.html", _clean(seed=i, **({"mangle": mangle} if i % 3 == 0 else {})))
        for i in range(1, 10)
    ]
    one = audit_paths(paths, jobs=1)
    two = audit_paths(paths, jobs=2)
    assert [r.file for r in two] == [p.name for p in paths]
    assert [r.findings for r in two] == [r.findings for r in one]
    assert [r.imported.values for r in two] == [r.imported.values for r in one]
    assert any(r.has_errors for r in two) and not all(r.has_errors for r in two)
