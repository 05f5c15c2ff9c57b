"""`nianbao schema --json`: the public contract of field keys, labels, types and template cells."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils import absolute_coordinate

from nianbao.cli import main
from nianbao.form import FORM, layout, official
from nianbao.form.layout import text_item_label

ROOT = Path(__file__).parents[1]
COMMITTED = ROOT / "workbook_templates" / "政府信息公开工作年度报告填报表.xlsx"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = CliRunner().invoke(main, ["schema", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_two_hundred_table_numbers_with_official_labels(schema: dict[str, Any]) -> None:
    tables = [f for f in schema["fields"] if f["table"] in ("表二", "表三", "表四")]
    assert len(tables) == 200
    assert {f["type"] for f in tables} == {"int", "decimal"}
    by_key = {f["key"]: f for f in tables}
    assert by_key["t3.new.natural_person"]["row"] == ["一、本年新收政府信息公开申请数量"]
    assert by_key["t3.new.natural_person"]["column"] == ["申请人情况", "自然人"]
    assert by_key["t3.withheld_security.business"]["row"][-1] == "3.危及“三安全一稳定”"
    assert by_key["t2.fees.amount"]["column"] == ["本年收费金额（单位：万元）"]
    assert by_key["t2.fees.amount"]["type"] == "decimal"
    assert by_key["t4.suit_after_review.total"]["column"] == ["行政诉讼", "复议后起诉", "总计"]
    assert by_key["t4.suit_after_review.total"]["input"] is False
    assert schema["headings"] == list(official.HEADINGS)
    assert schema["template_version"] == FORM.template_version


def test_every_field_listed_with_its_template_cell(schema: dict[str, Any]) -> None:
    assert [f["key"] for f in schema["fields"]] == [f.key for f in FORM.fields]
    assert {f["type"] for f in schema["fields"] if f["key"].startswith("text.")} == {"text"}
    for f in schema["fields"]:
        loc = layout.location(f["key"])
        assert (f["sheet"], f["cell"]) == (loc.sheet, loc.cell), f["key"]
        assert f["name"] == layout.defined_name(f["key"])


def test_schema_cells_are_where_the_committed_template_shows_them(schema: dict[str, Any]) -> None:
    """Every label in the schema appears in the template next to (or above) the cell it names."""
    wb = load_workbook(COMMITTED)
    shown_labels = {
        ws.title: {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)} for ws in wb.worksheets
    }
    for f in schema["fields"]:
        assert f["sheet"] in wb.sheetnames
        labels = shown_labels[f["sheet"]]
        if f["sheet"] == layout.SHEET_TEXTS:
            assert text_item_label(FORM.by_key[f["key"]]) in labels
        else:
            assert set(f["row"]) | set(f["column"]) <= labels, f["key"]
        target = f"{layout.quote_sheet(f['sheet'])}!{absolute_coordinate(f['cell'])}"
        assert wb.defined_names[f["name"]].attr_text == target
