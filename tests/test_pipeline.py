"""The library pipeline: paths or bytes in, typed results out, progress through a callback, nothing printed."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from pathlib import Path

import pytest
from test_merge_support import BODY, YEAR, consistent_values, digest, set_cell, write_department

from nianbao import pipeline
from nianbao.errors import UsageError
from nianbao.fileio import Upload
from nianbao.outputs import MERGED_JSON

DEPARTMENTS = ["甲科", "乙科", "丙科"]


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pipeline") / "回收"
    rng = random.Random(7)
    for name in DEPARTMENTS:
        write_department(
            folder / f"{name}.xlsx",
            name,
            consistent_values(rng),
            texts={"text.overview.active": f"{name}的主动公开。", "text.problems": "问题。", "text.other": "其他。"},
            meta={"meta.date": "2025-01-06"},
        )
    return folder


def _upload(path: Path) -> Upload:
    return Upload(path.name, path.read_bytes(), path.stat().st_mtime)


def test_check_of_bytes_equals_check_of_the_file(inbox: Path, tmp_path: Path) -> None:
    bad = tmp_path / "乙科.xlsx"
    shutil.copy(inbox / "乙科.xlsx", bad)
    set_cell(bad, "t3.new.business", "十")
    by_path = pipeline.check([bad])
    by_bytes = pipeline.check([Upload(str(bad), bad.read_bytes())])
    assert by_path.has_errors and by_path.files[0].verdict == "error"
    assert by_bytes.findings_json() == by_path.findings_json()
    assert any(f.cell and f.code for f in by_bytes.findings)


def test_check_refuses_folders_and_missing_files(inbox: Path) -> None:
    with pytest.raises(UsageError, match="是文件夹"):
        pipeline.check([inbox])
    with pytest.raises(UsageError, match="找不到文件"):
        pipeline.check([inbox / "没有.xlsx"])


def test_merge_of_uploads_equals_merge_of_the_folder(inbox: Path) -> None:
    before = digest(inbox)
    folder = pipeline.merge(inbox, roster=DEPARTMENTS)
    uploads = pipeline.merge([(_upload(p), p.name) for p in sorted(inbox.glob("*.xlsx"))], roster=DEPARTMENTS)
    assert folder.values == uploads.values and folder.texts == uploads.texts
    assert folder.department_status == uploads.department_status == dict.fromkeys(DEPARTMENTS, "merged")
    assert (folder.body, folder.year) == (uploads.body, uploads.year) == (BODY, YEAR)
    assert digest(inbox) == before


def test_progress_is_reported_through_the_callback_and_nothing_is_printed(
    inbox: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[str, int, int]] = []
    pipeline.merge(inbox, progress=lambda what, done, total: seen.append((what, done, total)))
    assert seen[0] == (pipeline.READING, 0, 3) and seen[-1] == (pipeline.READING, 3, 3)
    out, err = capfd.readouterr()
    assert out == err == ""


def test_build_returns_what_it_made(inbox: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    result = pipeline.build(inbox, tmp_path / "out", roster=DEPARTMENTS)
    assert result.blocked == "" and result.kind == "final"
    assert result.report is not None and result.report.is_file()
    assert [p.name for p in result.outputs] == [MERGED_JSON, "汇总.xlsx", "provenance.csv"]
    assert json.loads((tmp_path / "out" / MERGED_JSON).read_text(encoding="utf-8"))["report"] == "final"
    assert capfd.readouterr() == ("", "")


def test_build_says_why_no_final_report(inbox: Path, tmp_path: Path) -> None:
    result = pipeline.build(inbox, tmp_path / "out", roster=[*DEPARTMENTS, "丁科"])
    assert result.blocked == "findings" and result.report is None and result.kind is None
    assert result.merge is not None and result.merge.not_returned == ["丁科"]
    draft = pipeline.build(inbox, tmp_path / "draft", roster=[*DEPARTMENTS, "丁科"], draft=True)
    assert draft.blocked == "" and draft.kind == "draft"


def test_render_takes_data_as_a_dict_a_file_or_bytes(inbox: Path, tmp_path: Path) -> None:
    merged = pipeline.merge(inbox)
    data = merged.to_json_dict()
    day = dt.date(2025, 1, 8)
    as_dict = pipeline.render(data, tmp_path / "a.docx", report_date=day)
    path = tmp_path / "merged.json"
    path.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    as_file = pipeline.render(path, tmp_path / "b.docx", report_date=day)
    as_bytes = pipeline.render(Upload("merged.json", path.read_bytes()), tmp_path / "c.docx", report_date=day)
    for outcome in (as_dict, as_file, as_bytes):
        assert outcome.docx is not None and outcome.docx.is_file() and not outcome.has_errors
    imported = pipeline.import_report(Upload("报告.docx", (tmp_path / "c.docx").read_bytes()))
    assert {k: imported["values"][k] for k in merged.values} == merged.values


def test_render_names_the_data_in_its_refusal(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"坏\.json"):
        pipeline.render(Upload("坏.json", b'{"body": "x"}'), tmp_path / "x.docx")


def test_audit_of_uploads(inbox: Path, tmp_path: Path) -> None:
    built = pipeline.build(inbox, tmp_path / "out")
    assert built.report is not None
    reports = pipeline.audit([Upload("../../上级/" + built.report.name, built.report.read_bytes())])
    assert reports[0].file == built.report.name and not reports[0].has_errors


def test_a_folder_merge_walks_the_folder_once(inbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nianbao import fileio, merge, rollup

    calls: list[Path] = []
    real_walk = fileio.walk_files

    def counting_walk(root: Path, exclude: object = ()) -> object:
        calls.append(Path(root))
        return real_walk(root, exclude)  # type: ignore[arg-type]

    monkeypatch.setattr(rollup, "walk_files", counting_walk)
    monkeypatch.setattr(merge, "walk_files", counting_walk)
    result = pipeline.merge(inbox)
    assert calls == [inbox] and len(result.departments) == len(DEPARTMENTS)


def test_a_folder_with_a_stray_merged_json_is_still_merged_whole(inbox: Path, tmp_path: Path) -> None:
    folder = tmp_path / "回收"
    shutil.copytree(inbox, folder)
    (folder / MERGED_JSON).write_text('{"说明": "不是汇总数据"}', encoding="utf-8")  # not report data
    result = pipeline.merge(folder)
    assert sorted(result.departments) == sorted(DEPARTMENTS) and MERGED_JSON in result.ignored
