"""Many reports at once: one per data file, on worker processes, a bad file never stops the batch."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from report_helpers import zero_data

from nianbao.cli import main
from nianbao.importer import import_report
from nianbao.report.render import render_many, report_filename


def _write(path: Path, body: str, penalty: int) -> Path:
    data = zero_data()
    data["body"] = body
    data["values"]["t2.penalty.decisions"] = penalty
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_render_many_on_two_processes_keeps_order_and_numbers(tmp_path: Path) -> None:
    sources = [_write(tmp_path / f"{i}.json", f"第{i}镇", i * 10) for i in range(10)]
    outcomes = render_many(sources, tmp_path / "out", jobs=2)
    assert [o.source for o in outcomes] == sources
    for i, outcome in enumerate(outcomes):
        assert outcome.output == tmp_path / "out" / report_filename(f"第{i}镇", 2024)
        assert import_report(outcome.output)["values"]["t2.penalty.decisions"] == i * 10


def test_bad_file_and_same_body_in_a_batch(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.json", "甲镇", 1)
    b = _write(tmp_path / "b.json", "甲镇", 2)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    outcomes = render_many([a, bad, b], tmp_path / "out", jobs=1)
    assert outcomes[1].output is None and "不是有效的 JSON" in outcomes[1].error
    first, second = outcomes[0].output, outcomes[2].output
    assert first is not None and second is not None and first != second  # never overwrites a sibling
    assert import_report(second)["values"]["t2.penalty.decisions"] == 2


def test_cli_renders_many_into_a_folder(tmp_path: Path) -> None:
    sources = [str(_write(tmp_path / f"{i}.json", f"第{i}镇", i)) for i in range(3)]
    result = CliRunner().invoke(main, ["render", *sources, "--out", str(tmp_path / "报告")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "报告").glob("*.docx"))) == 3
    refused = CliRunner().invoke(main, ["render", *sources, "--out", str(tmp_path / "x.docx")])
    assert refused.exit_code == 2


def _with_requests(path: Path, body: str) -> Path:
    """A report with concluded requests, so its charts have something to draw."""
    data = zero_data()
    data["body"] = body
    data["values"]["t3.new.natural_person"] = data["values"]["t3.disclosed.natural_person"] = 5
    data["values"]["t3.new.business"] = data["values"]["t3.unavailable_not_held.business"] = 2
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _pictures(docx: Path) -> int:
    from docx import Document

    return len(Document(str(docx)).inline_shapes)


def test_a_batch_makes_each_reports_page_and_charts_as_one_render_does(tmp_path: Path) -> None:
    from nianbao import pipeline
    from nianbao.report.editions import html_path, render_editions

    sources = [_with_requests(tmp_path / f"{i}.json", f"第{i}镇") for i in range(3)]
    outcomes, _ = pipeline.render_many(sources, tmp_path / "out", jobs=2, html=True, charts=True)
    for source, outcome in zip(sources, outcomes, strict=True):
        assert outcome.output is not None and outcome.html == html_path(outcome.output)
        assert outcome.charts and not outcome.notes
        single = tmp_path / "one" / outcome.output.name
        assert pipeline.render(source, single).docx == single
        alone = render_editions(source, single, html=True, charts=True, draft=False)
        assert [c.title for c in alone.charts] == outcome.charts
        assert _pictures(outcome.output) == _pictures(single) == len(outcome.charts)
        assert outcome.html.read_bytes() == html_path(single).read_bytes()


def test_a_batch_without_editions_writes_no_page(tmp_path: Path) -> None:
    sources = [_with_requests(tmp_path / f"{i}.json", f"第{i}镇") for i in range(2)]
    outcomes = render_many(sources, tmp_path / "out", jobs=1)
    assert all(o.html is None and not o.charts for o in outcomes)
    assert not list((tmp_path / "out").glob("*.html"))
    assert all(_pictures(o.output) == 0 for o in outcomes if o.output is not None)


def test_cli_batch_with_html_and_charts(tmp_path: Path) -> None:
    sources = [str(_with_requests(tmp_path / f"{i}.json", f"第{i}镇")) for i in range(2)]
    out = tmp_path / "报告"
    result = CliRunner().invoke(main, ["render", *sources, "--out", str(out), "--html", "--charts"])
    assert result.exit_code == 0, result.output
    docx = sorted(out.glob("*.docx"))
    assert [p.with_suffix(".html") for p in docx] == sorted(out.glob("*.html")) and len(docx) == 2
    assert "已生成网页 2 份" in result.output and "图解共" in result.output
    refused = CliRunner().invoke(main, ["render", *sources, "--out", str(out), "--last-year", sources[0]])
    assert refused.exit_code == 2 and "--last-year" in refused.output
