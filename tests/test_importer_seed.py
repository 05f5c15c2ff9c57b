"""The seed report (大榭街道 2024, flattened one cell per line) imports to its published numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nianbao.form import FORM, official
from nianbao.importer.labels import Deviation
from nianbao.importer.published import import_published

SEED = Path(__file__).parent / "fixtures" / "reports" / "seed_daxie_2024.txt"


@pytest.fixture(scope="module")
def seed():
    return import_published(SEED)


def test_seed_numbers(seed) -> None:
    assert seed.complete
    assert seed.values["t2.penalty.decisions"] == 252
    assert {k: v for k, v in seed.table_values.items() if v} == {"t2.penalty.decisions": 252}
    assert not [p for p in seed.problems if p.severity == "error"]


def test_seed_identity(seed) -> None:
    assert seed.body == "大榭街道"
    assert seed.year == 2024
    assert seed.outline.period_year == 2024


def test_seed_headings_found_even_without_numerals(seed) -> None:
    hits = {h.number: h for h in seed.outline.headings}
    assert list(hits) == [s.number for s in FORM.sections]
    assert hits["二"].problem == "numeral"
    assert hits["五"].problem == "numeral"
    assert all(hits[n].problem == "" for n in "一三四六")


def test_seed_label_deviations_are_recorded(seed) -> None:
    found = {(d.key, d.kind) for d in seed.deviations}
    assert found == {("t3.carried_over", Deviation.SYNONYM), ("t3.carried_forward", Deviation.SYNONYM)}


def test_seed_texts(seed) -> None:
    assert "提高认识" in seed.texts["text.overview.summary"]
    assert "209条" in seed.texts["text.overview.summary"]
    assert seed.texts[official.PROBLEMS_TEXT[0]].startswith("本年度我街道")
    assert official.FEE_SUBJECT in seed.texts[official.OTHER_TEXT[0]]


def test_seed_json_has_the_merged_json_shape(seed) -> None:
    data = json.loads(json.dumps(seed.to_json_dict(), ensure_ascii=False))
    assert {"body", "year", "values", "texts", "problems"} <= set(data)
    assert len(data["values"]) == 200
    assert data["values"]["t2.penalty.decisions"] == 252


def test_seed_in_gbk_and_with_bom(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    for name, data in (
        ("gbk.txt", text.encode("gb18030")),
        ("bom.txt", b"\xef\xbb\xbf" + text.encode("utf-8")),
        ("crlf.txt", text.replace("\n", "\r\n").encode("utf-8")),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        result = import_published(path)
        assert result.table_values == import_published(SEED).values, name


def test_input_file_is_not_modified(tmp_path: Path) -> None:
    before = SEED.read_bytes()
    import_published(SEED)
    assert SEED.read_bytes() == before


def test_audit_seed_cli() -> None:
    from nianbao.cli import main

    result = CliRunner().invoke(main, ["audit", str(SEED), "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    codes = sorted(f["code"] for f in data[0]["findings"])
    assert codes == ["X1", "X1", "X1", "X2", "X2"]
