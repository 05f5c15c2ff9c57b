"""Reports nianbao renders, mangled as real reports are, converted by LibreOffice to .docx/.html/.pdf,
import back exactly (issue 5, "Done when")."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document as open_docx
from fixtures.reports.reportgen import random_values, typical_mangle

from nianbao.importer.labels import Deviation
from nianbao.importer.published import import_published

pytestmark = pytest.mark.libreoffice

BODIES = ("宁波市北仑区人民政府大榭街道办事处", "宁波市北仑区市场监督管理局", "宁波市北仑区人民政府")
FORMATS = ("docx", "html", "pdf")


def _data(i: int) -> dict:
    values = random_values(10 + i)
    return {
        "body": BODIES[i],
        "year": 2024,
        "values": {k: float(v) if isinstance(v, Decimal) else v for k, v in values.items()}
        | {"fee.notices": 0, "fee.notice_amount": 0, "fee.collected": 0},
        "texts": {"text.overview.active": f"本年主动公开政府信息{100 + i}条。", "text.problems": "一是解读形式单一。"},
        "date": "2025-01-08",  # the signature date no longer defaults to today
    }


def _mangle_docx(path: Path, labels: dict[str, str]) -> None:
    """Replace label cells in the tables the way editors retype them."""
    doc = open_docx(str(path))
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    if p.text in labels and p.runs:
                        p.runs[0].text = labels[p.text]
                        for run in p.runs[1:]:
                            run.text = ""
    doc.save(str(path))


def _convert(files: list[Path], target: str, outdir: Path) -> None:
    """One LibreOffice run converts every file (own profile: parallel runs must not share one)."""
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(
            [
                "soffice",
                "--headless",
                "--norestore",
                "--nologo",
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--convert-to",
                target,
                "--outdir",
                str(outdir),
                *map(str, files),
            ],
            check=True,
            capture_output=True,
            timeout=240,
            env={**os.environ, "HOME": profile},
        )


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[dict, Path]]]:
    from nianbao.report.render import render_report

    src = tmp_path_factory.mktemp("rendered")
    datas, files = [], []
    for i in range(len(BODIES)):
        data = _data(i)
        path = src / f"report{i}.docx"
        result = render_report(data, path)
        assert result.output == path, result.findings
        if i > 0:  # report0 stays verbatim; the others carry the usual edits
            _mangle_docx(path, typical_mangle().labels)
        datas.append(data)
        files.append(path)
    out: dict[str, list[tuple[dict, Path]]] = {}
    for fmt in FORMATS:
        outdir = tmp_path_factory.mktemp(fmt)
        _convert(files, fmt if fmt != "html" else "html:HTML (StarWriter)", outdir)
        out[fmt] = [(d, outdir / f"report{i}.{fmt}") for i, d in enumerate(datas)]
    out["rendered"] = list(zip(datas, files, strict=True))
    return out


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler pdftotext 未安装")
@pytest.mark.parametrize("fmt", ["rendered", *FORMATS])
def test_converted_reports_import_exactly(converted, fmt: str) -> None:
    for data, path in converted[fmt]:
        result = import_published(path)
        expected = {k: v for k, v in data["values"].items() if not k.startswith("fee.")}
        got = {
            k: float(v) if isinstance(v, Decimal) else v for k, v in result.values.items() if not k.startswith("fee.")
        }
        assert got == expected, (path.name, {k for k in expected if got.get(k) != expected[k]})
        assert result.body == data["body"] and result.year == data["year"]
        assert not [p for p in result.problems if p.severity == "error"], [p.message for p in result.problems]
        assert [h.problem for h in result.outline.headings] == [""] * 6
        assert result.texts.get("text.problems", "").startswith("一是解读形式单一")


@pytest.mark.parametrize("fmt", ["rendered", "docx", "html"])
def test_edited_labels_survive_conversion_and_are_recorded(converted, fmt: str) -> None:
    (_, verbatim), *mangled = converted[fmt]
    assert not import_published(verbatim).deviations
    for _, path in mangled:
        kinds = {d.key: d.kind for d in import_published(path).deviations}
        assert kinds.get("t3.carried_over") is Deviation.SYNONYM
        assert kinds.get("t2.normative_docs") is Deviation.SYNONYM
        assert kinds.get("t3.withheld_state_secret") is Deviation.NUMBERING


def test_pdf_keeps_synonym_edits(converted) -> None:
    """In PDF text a wrapped label is split, yet the single-line edits are still seen."""
    for _, path in converted["pdf"][1:]:
        keys = {d.key for d in import_published(path).deviations}
        assert "t2.normative_docs" in keys
