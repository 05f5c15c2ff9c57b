"""Golden test: `nianbao demo` reproduces the published 大榭街道 2024 report's tables, in the official format."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from report_helpers import SEED, all_text, strict_parts

from nianbao.cli import main
from nianbao.form import FORM, official
from nianbao.importer import import_report
from nianbao.report import styles

_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def seed_numbers() -> dict[str, int]:
    """The seed's table numbers, in form order: every number between one section heading and the next.

    The seed is the text of the published report: the tables are cell-per-line, in the official order.
    """
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    tails = [h.split("、", 1)[1] for h in official.HEADINGS]
    starts = [next(i for i, line in enumerate(lines) if line.endswith(tail)) for tail in tails]
    numbers: dict[str, int] = {}
    for section in FORM.sections:
        if not section.table:
            continue
        i = official.HEADINGS.index(section.heading)
        found = [int(x) for x in lines[starts[i] + 1 : starts[i + 1]] if _NUMBER.match(x)]
        keys = [f.key for f in FORM.table(section.table).fields]
        assert len(found) == len(keys), f"{section.heading}: {len(found)} numbers in the seed, {len(keys)} cells"
        numbers.update(zip(keys, found, strict=True))
    return numbers


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (report,) = out.glob("*.docx")
    assert str(report.name) in result.output.replace("\n", "")
    assert (out / "merged.json").is_file()
    return report


def test_seed_has_the_expected_figures() -> None:
    numbers = seed_numbers()
    assert numbers["t2.penalty.decisions"] == 252
    assert sum(numbers.values()) == 252


def test_demo_tables_equal_the_seed(demo_report: Path) -> None:
    values = import_report(demo_report)["values"]
    expected = seed_numbers()
    assert {k: values[k] for k in expected} == expected


def test_demo_headings_and_labels_are_official(demo_report: Path) -> None:
    doc = Document(str(demo_report))
    assert [p.text for p in doc.paragraphs if p.style.name == styles.STYLE_HEADING1] == list(official.HEADINGS)
    assert doc.paragraphs[0].text == "大榭街道2024" + official.TITLE_SUFFIX
    for docx_table, table in zip(doc.tables, FORM.tables, strict=True):
        cells = docx_table._cells
        for cell in table.grid:
            text = cells[cell.row * table.n_cols + cell.col].text
            if cell.kind == "value":
                assert _NUMBER.match(text), f"{table.name} {cell.key}: {text!r}"
            else:
                assert text == cell.text


def test_demo_narrative_and_signature(demo_report: Path) -> None:
    strict_parts(demo_report)
    text = all_text(demo_report)
    assert "共公开政务信息209条" in text
    assert "自2024年1月1日起至2024年12月31日止" in text
    assert text.count(official.FEE_SUBJECT) >= 1
    doc = Document(str(demo_report))
    signature = [p.text for p in doc.paragraphs if p.style.name == styles.STYLE_SIGNATURE]
    assert signature == ["宁波市北仑区人民政府大榭街道办事处", "2025年1月8日"]
    assert "草稿" not in [p.text for p in doc.sections[0].header.paragraphs]


def test_example_roster_matches_workbooks() -> None:
    import unicodedata

    from report_helpers import EXAMPLE

    from nianbao.roster import read_roster

    roster = read_roster(EXAMPLE / "departments.csv")  # names come back normalised (half-width brackets)
    assert len(roster) >= 5
    stems = [unicodedata.normalize("NFKC", p.stem) for p in EXAMPLE.glob("*.xlsx")]
    assert sorted(stems) == sorted(unicodedata.normalize("NFKC", r) for r in roster)


def test_demo_without_example_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nianbao.cli import report_cmd

    monkeypatch.setattr(report_cmd, "find_example", lambda: None)
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "找不到自带的示例" in result.output
