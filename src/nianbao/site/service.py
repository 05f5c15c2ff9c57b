"""What the site does with files, each step through `nianbao.pipeline`: check an upload for one department,
write a department's personalized workbook, and build the merged outputs and the report from the accepted files.

Nothing here knows about HTTP. Every function is synchronous and CPU- or disk-bound: the web layer runs it in
a worker thread.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import pipeline
from ..fileio import Upload, make_folder
from ..findings import Finding, finding_order
from ..form import layout
from ..naming import name_key
from ..outputs import MERGED_JSON, PROVENANCE_CSV, SUMMARY_XLSX, findings_json
from ..workbook.distribute import copy_filename
from ..workbook.template import Identity, save_template
from .store import Collection, Department, Store, StoredUpload


@dataclass(frozen=True)
class UploadCheck:
    """One upload checked for one department: what the page shows and the store keeps."""

    verdict: str  # "error", "warning", "passed"
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    def to_json(self) -> str:
        return findings_json(self.findings)


def verdict_of(findings: list[Finding]) -> str:
    if any(f.is_error for f in findings):
        return "error"
    return "warning" if any(f.severity == "warning" for f in findings) else "passed"


def safe_display_name(name: str) -> str:
    """The last part of an uploaded file's name, printable, never a path: what pages and findings show."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
    return base[:200] or "未命名.xlsx"


def check_upload(
    data: bytes, filename: str, collection: Collection, department: Department, roster: list[str]
) -> UploadCheck:
    """The same reader and checks as `nianbao merge`, for one file, against this collection's body, year and
    roster; plus whether the file is this department's (a link sees only its own department)."""
    name = safe_display_name(filename)
    result = pipeline.merge([(Upload(name, data), name)], roster=roster, body=collection.body, year=collection.year)
    findings = [f for f in result.findings if f.file == name]  # not the roster-wide "not returned" findings
    source = result.sources[0] if result.sources else None
    found = source.department if source else ""
    if found and found in roster and name_key(found) != name_key(department.name):
        findings.append(_other_department(name, found, department.name))
    findings.sort(key=finding_order)
    return UploadCheck(verdict_of(findings), findings)


def _other_department(file: str, found: str, expected: str) -> Finding:
    loc = layout.location("meta.department")
    return Finding(
        code="F-DEPARTMENT",
        severity="error",
        file=file,
        sheet=loc.sheet,
        cell=loc.cell,
        department=found,
        key="meta.department",
        value=found,
        expected=expected,
        message=f"这是「{found}」的填报表，本页面是「{expected}」的报送页面：请在本页面下载本部门的填报表填写后上传，"
        f"或把文件转给「{found}」",
    )


def check_api(data: bytes, filename: str) -> str:
    """Exactly what `nianbao check --json` prints for this one file."""
    return pipeline.check([Upload(safe_display_name(filename), data)]).findings_json()


# -- the personalized workbook ----------------------------------------------------------------------
def workbook_for(store: Store, collection: Collection, department: Department) -> tuple[str, Path]:
    """(download name, file) of the department's copy of the template, what `nianbao distribute` writes."""
    identity = Identity(collection.body, collection.year, department.name)
    key = hashlib.sha256(json.dumps([identity.body, identity.year, identity.department]).encode()).hexdigest()
    path = store.folder / "cache" / "workbooks" / f"{key}.xlsx"
    if not path.is_file():
        make_folder(path.parent)
        save_template(path, identity)
    return copy_filename(identity), path


# -- merged outputs and the report ------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """The outputs built from the accepted files at one moment, in a folder keyed by what went in."""

    folder: Path
    data: dict[str, Any]  # merged.json
    report: Path | None
    kind: str | None  # "final", "draft" or None
    blocked: str
    accepted: int

    def file(self, what: str) -> Path | None:
        names = {"xlsx": SUMMARY_XLSX, "json": MERGED_JSON, "csv": PROVENANCE_CSV}
        if what == "docx":
            return self.report
        if what == "pdf":
            return self.report.with_suffix(".pdf") if self.report else None
        return self.folder / names[what] if what in names else None


def accepted_uploads(store: Store, cid: int) -> list[tuple[Department, StoredUpload]]:
    """Each department's newest upload when it is accepted (no error, not returned)."""
    history = store.uploads_in(cid)
    accepted = []
    for department in store.departments(cid):
        newest = history.get(department.id, [])
        if newest and newest[0].accepted:
            accepted.append((department, newest[0]))
    return accepted


def _item_names(accepted: list[tuple[Department, StoredUpload]]) -> list[str]:
    """The name each file goes by in the outputs: as uploaded, led by its department when names repeat."""
    names = [safe_display_name(u.filename) for _d, u in accepted]
    return [n if names.count(n) == 1 else f"{d.name}-{n}" for n, (d, _u) in zip(names, accepted, strict=True)]


def snapshot(store: Store, collection: Collection) -> Snapshot | None:
    """Merge the accepted files and write 汇总.xlsx, merged.json, provenance.csv and the Word report.

    A final report when everything allows it, else a draft (marked 草稿). Built once per set of accepted files;
    None while no file is accepted.
    """
    accepted = accepted_uploads(store, collection.id)
    if not accepted:
        return None
    roster = [d.name for d in store.departments(collection.id)]
    names = _item_names(accepted)
    key_data = [
        collection.body,
        collection.year,
        roster,
        [(n, u.sha256) for n, (_d, u) in zip(names, accepted, strict=True)],
    ]
    key = hashlib.sha256(json.dumps(key_data, ensure_ascii=False).encode()).hexdigest()[:32]
    folder = store.folder / "cache" / "builds" / key
    if not (folder / MERGED_JSON).is_file():
        _build_into(store, collection, accepted, names, roster, folder)
    data = json.loads((folder / MERGED_JSON).read_text(encoding="utf-8"))
    reports = sorted(folder.glob("*.docx"))
    blocked = (folder / "blocked.txt").read_text(encoding="utf-8") if (folder / "blocked.txt").is_file() else ""
    return Snapshot(folder, data, reports[0] if reports else None, data.get("report"), blocked, len(accepted))


def _build_into(
    store: Store,
    collection: Collection,
    accepted: list[tuple[Department, StoredUpload]],
    names: list[str],
    roster: list[str],
    folder: Path,
) -> None:
    make_folder(folder.parent)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".build-"))
    try:
        # Each file dated by its upload: provenance shows when the department sent it.
        items: list[tuple[Path | Upload, str]] = [
            (Upload(n, store.blob(u.sha256), mtime=u.uploaded_at), n)
            for n, (_d, u) in zip(names, accepted, strict=True)
        ]
        result = pipeline.build(items, tmp, roster=roster)
        blocked = result.blocked
        if result.blocked in ("findings", "date"):  # not everything is in yet: a draft shows how it stands
            pipeline.build(
                items, tmp, roster=roster, draft=True, report_date=dt.date.today() if result.blocked == "date" else None
            )
        (tmp / "blocked.txt").write_text(blocked, encoding="utf-8")
        try:
            tmp.rename(folder)
        except OSError:  # built at the same moment by another request: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


ACCEPTED_ZIP = "已通过的报表.zip"


def accepted_zip(store: Store, collection: Collection, snap: Snapshot) -> Path:
    """The accepted files themselves, under the names the outputs give them: `nianbao merge` on them, offline,
    gives the same merged.json. Written once beside the outputs it belongs to."""
    import io
    import zipfile

    from ..fileio import write_bytes_atomic

    target = snap.folder / ACCEPTED_ZIP
    if not target.is_file():
        accepted = accepted_uploads(store, collection.id)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, (_d, upload) in zip(_item_names(accepted), accepted, strict=True):
                zf.writestr(name, store.blob(upload.sha256))
        write_bytes_atomic(target, buffer.getvalue())
    return target


def pdf_of(snap: Snapshot) -> Path | None:
    """The report as PDF (LibreOffice), made once; None when LibreOffice is not installed or there is no report."""
    from ..report.pdf import convert_to_pdf, find_soffice

    if snap.report is None or find_soffice() is None:
        return None
    target = snap.report.with_suffix(".pdf")
    if not target.is_file():
        convert_to_pdf([snap.report], snap.folder)
    return target if target.is_file() else None
