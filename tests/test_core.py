"""The typed core: one report data with a versioned JSON form and schema, one rule registry, nothing changed in place."""

from __future__ import annotations

import copy
import dataclasses
import json
import random
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_helpers import zero_data
from test_merge_support import consistent_values, write_department

from nianbao.audit import audit_file
from nianbao.checks import check_read
from nianbao.cli import main
from nianbao.data import DATA_FORMAT_VERSION, ReportData, json_schema
from nianbao.errors import UsageError
from nianbao.findings import CODES
from nianbao.form import FORM
from nianbao.merge import merge_reads, run_merge
from nianbao.numbers import jsonable
from nianbao.reader.xlsx import read_workbook
from nianbao.report.render import render_report
from nianbao.rules import REGISTRY, RuleInput, Scope, run

VALIDATOR = jsonschema.Draft202012Validator(json_schema())


def _json(data: dict) -> dict:
    """As a file holds it: through the JSON text."""
    return json.loads(json.dumps(jsonable(data), ensure_ascii=False))


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("core")
    for i, name in enumerate(("甲科", "乙科")):
        write_department(
            folder / f"{name}.xlsx",
            name,
            consistent_values(random.Random(i)),
            texts={"text.overview.active": f"{name}主动公开。"},
        )
    return run_merge(folder, ["甲科", "乙科", "丙科"])


def test_merged_json_is_the_data_and_validates_against_the_published_schema(merged) -> None:
    document = _json(merged.to_json_dict())
    VALIDATOR.validate(document)
    assert document["format_version"] == DATA_FORMAT_VERSION
    back = ReportData.from_json(document)
    assert back == merged.data
    assert back.collection is not None and back.collection.not_returned == ["丙科"]
    assert {p.department for p in back.provenance} == {"甲科", "乙科"}


def test_the_schema_refuses_what_the_form_does_not_allow(merged) -> None:
    document = _json(merged.to_json_dict())
    document["values"]["t3.new.total"] = -1
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(document)
    document = _json(merged.to_json_dict())
    document["values"]["t3.no_such_cell"] = 1
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR.validate(document)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), year=st.integers(2021, 2030), body=st.text(min_size=1, max_size=20))
def test_to_json_and_back_is_the_identity(seed: int, year: int, body: str) -> None:
    values = FORM.compute_derived(consistent_values(random.Random(seed), high=999))
    data = ReportData(
        body,
        year,
        {**values, "fee.collected": consistent_values(random.Random(seed))["fee.collected"]},
        {"text.problems": "问题。"},
        body_type="街道",
        date="2025-01-06",
    )
    document = _json(data.to_json())
    VALIDATOR.validate(document)
    assert ReportData.from_json(document) == data


def test_from_json_names_what_it_cannot_read() -> None:
    with pytest.raises(UsageError, match="格式版本"):
        ReportData.from_json({"format_version": DATA_FORMAT_VERSION + 1, "values": {}})
    with pytest.raises(UsageError, match=r"t3\.new\.natural_person"):
        ReportData.from_json({"values": {"t3.new.natural_person": "NaN"}})
    with pytest.raises(UsageError, match="values"):
        ReportData.from_json({"body": "某局"})
    old = ReportData.from_json({"body": "某局", "year": 2023, "values": {"t3.new.total": 3}, "texts": {}})
    assert old.values == {"t3.new.total": 3} and old.collection is None  # a merged.json of the first version


def test_schema_command_prints_the_data_schema() -> None:
    result = CliRunner().invoke(main, ["schema", "--data"])
    assert result.exit_code == 0
    assert json.loads(result.output) == json_schema()


def test_every_registered_rule_has_a_title_a_scope_and_a_template() -> None:
    assert REGISTRY, "the registry is empty"
    for code, rule in REGISTRY.items():
        assert code in CODES and rule.scopes and rule.message
        assert rule.severity in ("error", "warning", "info")
    form_codes = {r.code for r in FORM.rules}
    assert form_codes <= set(REGISTRY)
    assert {"X3", "T2-2", "T2-4", "T3-7", "T4-3", "T4-4", "C1", "C2", "C3", "C-SWING", "T2-3"} <= set(REGISTRY)


def test_a_rule_message_comes_from_its_template() -> None:
    data = ReportData("某街道", 2024, {**FORM.compute_derived({}), "t2.rules.issued": 2})
    (finding,) = run(Scope.MERGED, RuleInput(data), only=["T2-2"])
    assert finding.message == REGISTRY["T2-2"].message.format(body="某街道", kind="街道", row="规章")


def test_render_and_audit_of_one_report_agree_on_x3(tmp_path: Path) -> None:
    """The same narrative, judged where the report is made and where it is read back: one rule, one verdict."""
    data = zero_data(text__overview__on_request="本年度共收到政府信息公开申请3件，行政复议2件。")
    rendered = render_report(data, tmp_path / "r.docx", draft=True)
    assert rendered.output is not None
    at_render = sorted((f.code, f.severity, f.key, f.value, f.expected) for f in rendered.findings if f.code == "X3")
    at_audit = sorted(
        (f.code, f.severity, f.key, f.value, f.expected)
        for f in audit_file(tmp_path / "r.docx").findings
        if f.code == "X3"
    )
    assert (
        at_render == at_audit == [("X3", "warning", "t3.new.total", 3, 0), ("X3", "warning", "t4.review.total", 2, 0)]
    )


def test_x3_leaves_claims_about_a_wider_area_alone(tmp_path: Path) -> None:
    data = ReportData(
        "某区人民政府办公室",
        2024,
        FORM.compute_derived({}),
        {"text.overview.on_request": "全区各部门共收到政府信息公开申请95件。本单位未收到政府信息公开申请。"},
    )
    assert run(Scope.RENDER, RuleInput(data), only=["X3"]) == []
    own = dataclasses.replace(data, texts={"text.overview.on_request": "本单位收到政府信息公开申请95件。"})
    assert [f.value for f in run(Scope.RENDER, RuleInput(own), only=["X3"])] == [95]


def test_x3_does_not_take_a_stock_for_a_count_issued() -> None:
    values = {**FORM.compute_derived({"t2.normative_docs.issued": 4, "t2.normative_docs.in_force": 393})}
    data = ReportData("某局", 2024, values, {"text.overview.management": "制发规范性文件现行有效393件。"})
    assert run(Scope.RENDER, RuleInput(data), only=["X3"]) == []


def test_checking_and_merging_change_no_read_in_place(tmp_path: Path) -> None:
    path = write_department(tmp_path / "甲科.xlsx", "甲科", consistent_values(random.Random(3)))
    write_department(tmp_path / "甲科副本.xlsx", "甲科", consistent_values(random.Random(4)))
    read = read_workbook(path, "甲科.xlsx")
    before = copy.deepcopy(read)
    checked = check_read(read)
    assert read == before and checked is not read and checked.values
    other = check_read(read_workbook(tmp_path / "甲科副本.xlsx", "甲科副本.xlsx"))
    reads = [checked, other]
    snapshot = copy.deepcopy(reads)
    result = merge_reads(reads)
    assert reads == snapshot
    assert {f.code for f in result.findings} >= {"F-DUPLICATE"}
