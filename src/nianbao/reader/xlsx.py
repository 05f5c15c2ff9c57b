"""Read one returned workbook: guards, structure, identity, values and texts, without trusting totals.

python-calamine does the reading (many times faster than openpyxl); openpyxl is never used here. Every problem
becomes a `Finding` naming the file, sheet and cell; nothing raises for bad input.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import os
import posixpath
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any
from xml.etree import ElementTree

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from ..data import Provenance, ReportData
from ..findings import Finding
from ..form import FORM, Field, FieldType, Table, entry, layout
from ..form.entry import ENTRY_KINDS
from ..form.layout import range_refs, text_item_label
from ..naming import name_key
from ..numbers import Number
from .sniff import (
    MAX_ENTRY_BYTES,
    MAX_FILE_BYTES,
    MAX_READ_PART_BYTES,
    ZIP_ERRORS,
    Parts,
    Refusal,
    SheetScan,
    check_container,
    check_shared_strings,
    damaged,
    open_zip,
    part_too_large,
    refuse_dtds,
    refuse_macros,
    scan_sheet,
    sniff_bytes,
    stored_zip,
    verify_parts,
)
from .values import Outcome, parse_value

__all__ = ["CoverIdentity", "WorkbookRead", "crashed_bytes", "crashed_read", "read_workbook", "read_workbook_bytes"]

_INPUT_NUMERIC = tuple(FORM.by_key[k] for k in FORM.input_numeric_keys)
_DERIVED = tuple(f for f in FORM.table_fields if not f.input)
_TEXT_FIELDS = tuple(FORM.by_key[k] for k in FORM.text_keys)
_SHEETS_READ = (layout.SHEET_COVER, *layout.TABLE_SHEETS.values(), layout.SHEET_TEXTS)
# Parts calamine parses: `verify_parts` bounds their size and `refuse_dtds` refuses DTDs in them (and in
# docProps/custom.xml, parsed here) before calamine runs.
_PART_PREFIXES = ("xl/worksheets/", "xl/sharedStrings", "xl/workbook", "xl/styles", "xl/_rels/")
_CUSTOM_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@dataclass(frozen=True)
class CoverIdentity:
    """What the cover sheet (and the document properties) say about the file."""

    version: str = ""
    body: str = ""
    year: int | None = None
    department: str = ""
    preparer: str = ""
    phone: str = ""
    date: str = ""  # 填报日期 as typed, ISO when the cell holds a date
    all_zero: bool = False  # the cover confirms that every number of the tables is 0


@dataclass
class WorkbookRead:
    """Everything taken from one file. `values` holds all 200 table numbers (recomputed) and the fees."""

    file: str  # the name shown to users (relative to the folder being merged)
    path: Path
    sha256: str = ""
    size: int = 0
    mtime: float = 0.0
    identity: CoverIdentity = field(default_factory=CoverIdentity)
    properties: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, Number] = field(default_factory=dict)  # valid input cells, as typed (normalized)
    invalid: set[str] = field(default_factory=set)  # input keys whose cell could not be used
    as_text: set[str] = field(default_factory=set)  # input keys typed as text (SUM in the sheet ignores them)
    cached: dict[str, Any] = field(default_factory=dict)  # derived key → what the sheet showed (not trusted)
    values: dict[str, Number] = field(default_factory=dict)  # set by nianbao.checks: all 200 numbers + fees
    texts: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    readable: bool = False  # False when the file was refused before its values could be read

    @property
    def department(self) -> str:
        return self.identity.department

    @property
    def has_errors(self) -> bool:
        return any(f.is_error for f in self.findings)

    def to_data(self) -> ReportData:
        """This workbook's data (for rules and checks that compare with other data)."""
        return ReportData(
            body=self.identity.body,
            year=self.identity.year,
            values=dict(self.values),
            texts=dict(self.texts),
            provenance=(self.provenance(),),
        )

    def __getstate__(self) -> dict[str, Any]:
        """What crosses to the merging process: a dict in its usual key order travels as its values alone."""
        state = dict(self.__dict__)
        for name, keys in _PACKED_KEYS:
            found = state[name]
            if len(found) == len(keys) and tuple(found) == keys:
                state[name] = tuple(found.values())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, keys in _PACKED_KEYS:
            if isinstance(state[name], tuple):
                state[name] = dict(zip(keys, state[name], strict=True))
        self.__dict__.update(state)

    def provenance(self, department: str = "", status: str = "") -> Provenance:
        modified = dt.datetime.fromtimestamp(self.mtime).strftime("%Y-%m-%d %H:%M:%S") if self.mtime else ""
        return Provenance(
            file=self.file,
            kind="workbook",
            department=department or self.department,
            sha256=self.sha256,
            status=status,
            modified=modified,
            date=self.identity.date,
            size=self.size,
        )


# The key order of `inputs`, `cached`, `texts` and (once checked) `values` of a workbook read in full.
_TABLE_KEYS = tuple(f.key for f in FORM.table_fields)
_PACKED_KEYS = (
    ("inputs", FORM.input_numeric_keys),
    ("cached", tuple(f.key for f in _DERIVED)),
    ("values", (*_TABLE_KEYS, *(k for k in FORM.input_numeric_keys if k not in _TABLE_KEYS))),
    ("texts", FORM.text_keys),
)


def read_workbook(path: Path, display: str | None = None) -> WorkbookRead:
    """Read and check one file. Never raises for bad input; the file itself is only ever read."""
    try:
        with path.open("rb") as stream:  # one open for the bytes and the modification time
            stat = os.fstat(stream.fileno())
            data = stream.read()
    except OSError as exc:
        result = WorkbookRead(file=display or path.name, path=path)
        result.findings.append(_file_finding(result, Refusal("F-CORRUPT", f"无法读取文件（{exc.strerror or exc}）")))
        return result
    return read_workbook_bytes(data, display or path.name, mtime=stat.st_mtime, path=path)


def read_workbook_bytes(data: bytes, name: str, *, mtime: float = 0.0, path: Path | None = None) -> WorkbookRead:
    """Read one workbook given as bytes (an upload); `name` is shown to users and gives the file type."""
    result = WorkbookRead(file=name, path=path if path is not None else Path(PurePath(name).name))
    result.sha256 = hashlib.sha256(data).hexdigest()
    result.size, result.mtime = len(data), mtime
    refusal = _guard(data, PurePath(name).suffix)
    if isinstance(refusal, Refusal):
        result.findings.append(_file_finding(result, refusal))
        return result
    parts = refusal
    result.properties = _custom_properties(parts)
    sheet_parts: list[str] = []
    scans = _scan_sheets(parts, result, sheet_parts)
    if scans is None:
        return result
    try:
        _read_with_calamine(parts, sheet_parts, scans, result)
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - also pyo3's PanicException (a panic in calamine): this file's problem
        result.findings.append(crash_finding(result, f"程序内部错误 {type(exc).__name__}"))
        result.readable = False
    return result


def _read_with_calamine(
    parts: Parts, sheet_parts: list[str], scans: dict[str, SheetScan], result: WorkbookRead
) -> None:
    package = _calamine_package(parts, sheet_parts)
    if isinstance(package, Refusal):
        result.findings.append(_file_finding(result, package))
        return
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(package))
    except _DAMAGED as exc:
        result.findings.append(_file_finding(result, _calamine_refusal(exc)))
        return
    try:
        _read_book(book, scans, result)
    except _DAMAGED as exc:  # a damaged sheet is this file's problem, not the whole merge's
        result.findings.append(_file_finding(result, _calamine_refusal(exc)))
    finally:
        book.close()


# Parts calamine may open besides the sheets read: the package relationships (how it finds the workbook), the
# content types, and those of `_PART_PREFIXES` outside xl/worksheets/ (the workbook, its relationships, styles,
# shared strings). Only the sheets read are given, each with its own relationships.
_PACKAGE_PARTS = ("_rels/.rels", "[Content_Types].xml")


def _calamine_package(parts: Parts, sheet_parts: list[str]) -> bytes | Refusal:
    """The stored zip calamine reads: exactly the bytes inflated (and the sheets scanned) here."""
    names = [
        n
        for n in dict.fromkeys(parts.zf.namelist())
        if n in _PACKAGE_PARTS or (n.startswith(_PART_PREFIXES) and not n.startswith("xl/worksheets/"))
    ]
    for part in dict.fromkeys(sheet_parts):
        folder, base = posixpath.split(part)
        names += [part, f"{folder}/_rels/{base}.rels"]
    chosen = []
    for name in dict.fromkeys(names):
        try:
            info = parts.zf.getinfo(name)
        except KeyError:
            continue
        if info.file_size > MAX_READ_PART_BYTES:
            return part_too_large(info)
        try:
            chosen.append((name, parts.read(name), info.CRC))
        except ZIP_ERRORS:
            return damaged(info)
    return stored_zip(chosen)


def crash_finding(result: WorkbookRead, reason: str) -> Finding:
    return _file_finding(
        result,
        Refusal(
            "F-READER-CRASH",
            f"读取此文件时程序异常退出（{reason}），未能读取，其他文件不受影响；请在 Excel/WPS 中打开此文件，"
            "“另存为”Excel 工作簿(.xlsx)后重新发送，如仍出现请把文件交给技术人员检查",
        ),
        value=reason,
    )


def crashed_bytes(data: bytes, display: str, reason: str) -> WorkbookRead:
    """The same for an upload given as bytes."""
    result = WorkbookRead(
        file=display, path=Path(PurePath(display).name), size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )
    result.findings.append(crash_finding(result, reason))
    return result


def crashed_read(path: Path, display: str, reason: str) -> WorkbookRead:
    """What is known of a file whose reader died (the process aborted or was killed): one error finding."""
    result = WorkbookRead(file=display, path=path)
    try:
        stat = path.stat()
        result.size, result.mtime = stat.st_size, stat.st_mtime
        if stat.st_size <= MAX_FILE_BYTES:
            result.sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        pass
    result.findings.append(crash_finding(result, reason))
    return result


# What calamine raises for damaged content (cell values it cannot convert give ValueError/OverflowError).
# Anything else is a bug in nianbao and is left to the CLI's one-line internal-error report.
_DAMAGED = (CalamineError, ValueError, OverflowError, UnicodeError, zipfile.BadZipFile, EOFError)


def _guard(data: bytes, suffix: str) -> Refusal | Parts:
    refusal = sniff_bytes(data, suffix)
    if refusal:
        return refusal
    zf = open_zip(data)
    if isinstance(zf, Refusal):
        return zf
    parts = Parts(data, zf)
    refusal = (
        check_container(zf)
        or refuse_macros(zf, suffix, parts)
        or refuse_dtds(zf, data)
        or verify_parts(zf, [i.filename for i in zf.infolist() if i.filename.startswith(_PART_PREFIXES)], data)
        or check_shared_strings(zf, data)
    )
    return refusal or parts


# -- the used range of each sheet read ---------------------------------------------------------------

# How far content may reach beyond the template's own cells (a clerk's notes below or beside a table).
# Anything further is refused before calamine allocates a cell for every position up to it.
ROW_MARGIN = 300
COL_MARGIN = 40


@functools.cache
def _sheet_bounds(sheet: str) -> tuple[int, int]:
    """(rows, columns) a sheet of the template may plausibly use: its layout plus the margins."""
    cols = [loc.col for loc in layout.locations().values() if loc.sheet == sheet]
    cols += [col for name, _row, col, _text in _EXPECTED_LABELS if name == sheet]
    for table in FORM.tables:
        if layout.TABLE_SHEETS[table.key] == sheet:
            cols.append(layout.TABLE_ORIGIN_COL + table.n_cols - 1)
    return _BOTTOM_ROWS[sheet] + ROW_MARGIN, max(cols) + COL_MARGIN


def _scan_sheets(parts: Parts, result: WorkbookRead, read: list[str]) -> dict[str, SheetScan] | None:
    """Scan every sheet calamine will read (their parts are added to `read`); None (with a finding) when one is
    refused."""
    sheets = _sheet_parts(parts)
    if sheets is None:
        result.findings.append(
            _file_finding(
                result,
                Refusal(
                    "F-CORRUPT",
                    "工作簿目录（xl/workbook.xml）已损坏，无法读取，请在 Excel/WPS 中打开并重新保存后再发送",
                ),
            )
        )
        return None
    scans: dict[str, SheetScan] = {}
    for sheet in _SHEETS_READ:
        for part in sheets.get(sheet, []):  # a name listed twice: calamine may read either
            max_rows, max_cols = _sheet_bounds(sheet)
            scan = scan_sheet(parts.zf, part, max_rows, max_cols, parts)
            if isinstance(scan, Refusal):
                result.findings.append(_file_finding(result, scan, sheet=sheet))
                return None
            if scan.far_cell:
                result.findings.append(_far_cell_finding(result, sheet, scan, max_rows, max_cols))
                return None
            scans.setdefault(sheet, scan)
            read.append(part)
    return scans


def _far_cell_finding(result: WorkbookRead, sheet: str, scan: SheetScan, max_rows: int, max_cols: int) -> Finding:
    return _file_finding(
        result,
        Refusal(
            "F-TOO-LARGE",
            f"「{sheet}」的 {scan.far_cell} 单元格有内容（第 {scan.far_row} 行、第 {scan.far_col} 列），远超填报表的范围"
            f"（约 {max_rows} 行、{max_cols} 列以内），拒绝读取；请删除这个单元格（或粘贴的大片数据）后重新保存",
        ),
        sheet=sheet,
        cell=scan.far_cell,
        value=scan.far_cell,
        expected=f"{layout.Location(sheet, max_rows, max_cols).cell} 以内",
    )


def _sheet_parts(parts: Parts) -> dict[str, list[str]] | None:
    """Sheet name → its zip parts, resolved as calamine resolves them (relative to xl/, or absolute).

    The standard parser (C, four times faster than defusedxml's) is safe here: `refuse_dtds` has already
    refused any DOCTYPE, and without one XML can declare no entity.
    """
    try:
        workbook, rels = parts.read("xl/workbook.xml"), parts.read("xl/_rels/workbook.xml.rels")
    except Exception:  # noqa: BLE001 - zipfile raises many kinds for a damaged part
        return None
    found = _parse_sheet_parts(workbook, rels)
    return None if found is None else {name: list(targets) for name, targets in found.items()}


@functools.lru_cache(maxsize=8)
def _parse_sheet_parts(workbook_xml: bytes, rels_xml: bytes) -> dict[str, tuple[str, ...]] | None:
    """Parsed once per distinct content: the copies of one template share these two parts (~0.3 ms each)."""
    try:
        workbook = ElementTree.fromstring(workbook_xml)
        rels = ElementTree.fromstring(rels_xml)
    except Exception:  # noqa: BLE001 - the parser raises many kinds for a damaged part
        return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL_NS}Relationship")}
    out: dict[str, list[str]] = {}
    for s in workbook.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(s.get(f"{_REL_NS}id"), "")
        if target:
            out.setdefault(s.get("name", ""), []).append(_part_name(target))
    return {name: tuple(found) for name, found in out.items()}


def _part_name(target: str) -> str:
    if target.startswith("/"):
        name = target.lstrip("/")
    elif target.startswith("xl/"):
        name = target
    else:
        name = f"xl/{target}"
    return posixpath.normpath(name)


def _calamine_refusal(exc: Exception) -> Refusal:
    if isinstance(exc, PasswordError):
        return Refusal("F-ENCRYPTED", "文件设置了密码，无法读取，请取消密码后重新发送")
    return Refusal(
        "F-CORRUPT", f"文件内容已损坏，无法读取（{type(exc).__name__}），请在 Excel/WPS 中打开并重新保存后再发送"
    )


def _file_finding(result: WorkbookRead, refusal: Refusal, sheet: str = "", cell: str = "", **kw: Any) -> Finding:
    return Finding(
        code=refusal.code,
        severity="error",
        message=refusal.message,
        file=result.file,
        sheet=sheet,
        cell=cell,
        department=result.identity.department,
        **kw,
    )


# -- the workbook ------------------------------------------------------------------------------------


def _read_book(book: CalamineWorkbook, scans: dict[str, SheetScan], result: WorkbookRead) -> None:
    names = book.sheet_names
    grids = {name: _sheet_rows(book, name) for name in _SHEETS_READ if name in names and name in scans}
    if layout.SHEET_COVER in grids:  # who sent it, even when other sheets are missing
        result.identity = _cover_identity(grids[layout.SHEET_COVER], result.properties)
    missing = [name for name in _SHEETS_READ if name not in grids]
    if missing:
        result.findings.append(_missing_sheets_finding(result, missing, names))
        return
    extra = [name for name in names if name not in layout.SHEET_ORDER]
    if extra:
        result.findings.append(_extra_sheets_finding(result, extra))
    # The version first: a copy of an earlier template has another layout, and "use this year's template"
    # is the answer, not "rows were inserted".
    if result.identity.version != FORM.template_version:
        result.findings.append(_version_finding(result))
        return
    structure = _structure_finding(grids, result)
    if structure:
        result.findings.append(structure)
        return
    result.findings.extend(_property_mismatches(result))
    _read_values(grids, scans, result)
    result.texts = {f.key: _text(grids, f) for f in _TEXT_FIELDS}
    result.readable = True


def _bottom_row(sheet: str) -> int:
    """The last row the reader needs on a sheet; rows below it are never materialized."""
    rows = [loc.row for loc in layout.locations().values() if loc.sheet == sheet]
    if sheet == layout.SHEET_COVER:
        rows.append(max(r for _k, _l, r in layout.cover_rows()))
    for table in FORM.tables:
        if layout.TABLE_SHEETS[table.key] == sheet:
            rows.append(layout.table_bottom_row(table))
    return max(rows)


_BOTTOM_ROWS = {name: _bottom_row(name) for name in _SHEETS_READ}


def _sheet_rows(book: CalamineWorkbook, name: str) -> list[list[Any]]:
    # skip_empty_area=False keeps row 1 / column A at index 0 whatever the sheet holds; nrows bounds
    # memory for sheets with absurdly many rows.
    return book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=_BOTTOM_ROWS[name])


def _cell(rows: Sequence[Sequence[Any]], row: int, col: int) -> Any:
    if row - 1 < len(rows):
        line = rows[row - 1]
        if col - 1 < len(line):
            return line[col - 1]
    return ""


def _missing_sheets_finding(result: WorkbookRead, missing: list[str], present: list[str]) -> Finding:
    extra = [n for n in present if n not in layout.SHEET_ORDER]
    hint = f"（文件中有：{'、'.join(extra)}，可能是被改了名）" if extra else ""
    return _file_finding(
        result,
        Refusal(
            "F-STRUCTURE",
            f"缺少工作表「{'」「'.join(missing)}」{hint}；工作表被改名或删除，请用下发的模板重新填报，不要改动工作表",
        ),
        sheet=missing[0],
        value="、".join(present),
        expected="、".join(missing),
    )


def _extra_sheets_finding(result: WorkbookRead, extra: list[str]) -> Finding:
    return Finding(
        code="F-EXTRA-SHEET",
        severity="warning",
        file=result.file,
        sheet=extra[0],
        department=result.identity.department,
        value="、".join(extra),
        message=f"工作簿中有模板以外的工作表「{'」「'.join(extra)}」，其中的内容不会读取也不会汇总；"
        "需要上报的数字和文字请填在模板原有的工作表中",
    )


# -- identity ----------------------------------------------------------------------------------------


def _as_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, (dt.datetime, dt.date)):
        return raw.date().isoformat() if isinstance(raw, dt.datetime) else raw.isoformat()
    return str(raw).strip()


def _as_year(raw: Any) -> int | None:
    text = name_key(_as_text(raw))
    match = re.fullmatch(r"(\d{4})(年)?(度)?", text)
    return int(match.group(1)) if match else None


_COVER_ROWS = layout.cover_rows()


def _cover_identity(rows: list[list[Any]], properties: dict[str, str]) -> CoverIdentity:
    cover = {key: _cell(rows, row, 2) for key, _label, row in _COVER_ROWS}
    return CoverIdentity(
        version=_as_text(cover["version"]) or properties.get(layout.PROP_VERSION, ""),
        body=_as_text(cover["meta.body"]),
        year=_as_year(cover["meta.year"]),
        department=_as_text(cover["meta.department"]),
        preparer=_as_text(cover.get("meta.preparer")),
        phone=_as_text(cover.get("meta.phone")),
        date=_as_text(cover.get("meta.date")),
        all_zero=_confirmed(cover.get(FORM.confirm_field.key)),
    )


def _confirmed(raw: Any) -> bool:
    """The confirmation holds only its first choice (是), however it was spaced or written in full width."""
    return name_key(_as_text(raw)) == FORM.confirm_field.choices[0]


def _custom_properties(parts: Parts) -> dict[str, str]:
    """docProps/custom.xml name → value. The standard parser is safe here, as in `_sheet_parts`: `refuse_dtds`
    has refused a DOCTYPE in it, and without one XML can declare no entity."""
    try:
        root = ElementTree.fromstring(parts.read("docProps/custom.xml", MAX_ENTRY_BYTES))
    except KeyError:
        return {}
    except Exception:  # noqa: BLE001 - damaged properties are reported as missing, not fatal
        return {}
    props: dict[str, str] = {}
    for prop in root.iter(f"{_CUSTOM_NS}property"):
        value = next(iter(prop), None)
        props[prop.get("name", "")] = (value.text or "").strip() if value is not None else ""
    return props


def _property_mismatches(result: WorkbookRead) -> list[Finding]:
    """The cover is locked, but unprotecting a sheet takes seconds: the hidden properties must agree."""
    ident, props = result.identity, result.properties
    pairs = (
        (layout.PROP_BODY, ident.body, "meta.body", "F-BODY"),
        (layout.PROP_YEAR, str(ident.year or ""), "meta.year", "F-YEAR"),
        (layout.PROP_DEPARTMENT, ident.department, "meta.department", "F-DEPARTMENT"),
    )
    findings = []
    for prop, shown, key, code in pairs:
        stored = props.get(prop)
        if stored is None or stored == shown or _same_label(stored, shown):
            continue
        loc = layout.location(key)
        label = FORM.by_key[key].row[-1]
        findings.append(
            _file_finding(
                result,
                Refusal(
                    code,
                    f"封面的{label}「{shown}」与下发时的「{stored}」不一致（封面被改动过），请使用汇总单位下发给本部门的模板重新填报",
                ),
                sheet=loc.sheet,
                cell=loc.cell,
                key=key,
                value=shown,
                expected=stored,
            )
        )
    return findings


def _version_finding(result: WorkbookRead) -> Finding:
    loc = layout.version_location()
    found = result.identity.version or "（空）"
    return _file_finding(
        result,
        Refusal(
            "F-VERSION",
            f"模板版本为「{found}」，本次汇总使用「{FORM.template_version}」，请使用汇总单位本次下发的模板重新填报",
        ),
        sheet=loc.sheet,
        cell=loc.cell,
        value=found,
        expected=FORM.template_version,
    )


# -- structure ---------------------------------------------------------------------------------------


def _same_label(a: str, b: str) -> bool:
    """Labels compare equal across full/half-width punctuation, spaces and line breaks (wrapped text)."""
    return name_key(a) == name_key(b)


def _expected_labels() -> list[tuple[str, int, int, str]]:
    """(sheet, row, col, text) of every label the reader relies on to know the rows did not move."""
    out = []
    for table in FORM.tables:
        out += _table_labels(table)
    for _key, label, row in layout.cover_rows():
        out.append((layout.SHEET_COVER, row, 1, label))
    for f, row in layout.text_rows():
        out.append((layout.SHEET_TEXTS, row, 2, text_item_label(f)))
    return out


def _table_labels(table: Table) -> list[tuple[str, int, int, str]]:
    out = []
    for cell in table.grid:
        if cell.text and cell.kind != "value":
            loc = layout.grid_location(table, cell)
            out.append((loc.sheet, loc.row, loc.col, cell.text))
    return out


_EXPECTED_LABELS = _expected_labels()


def _structure_finding(grids: dict[str, list[list[Any]]], result: WorkbookRead) -> Finding | None:
    """The first label out of place: one clear error per file (inserted rows shift everything below)."""
    for sheet, row, col, text in _EXPECTED_LABELS:
        try:  # `_cell`, inlined: this runs for a hundred labels per workbook
            raw = grids[sheet][row - 1][col - 1]
        except IndexError:
            raw = ""
        if raw == text:  # the usual case, without normalizing
            continue
        found = _as_text(raw)
        if _same_label(found, text):
            continue
        cell = f"{layout.Location(sheet, row, col).cell}"
        return _file_finding(
            result,
            Refusal(
                "F-STRUCTURE",
                f"「{sheet}」{cell} 应为「{text}」，实际为「{found or '空白'}」：表格中插入、删除或改动了行列，"
                f"数据位置已不可靠，请用下发的模板重新填报，不要插入或删除行列",
            ),
            sheet=sheet,
            cell=cell,
            value=found,
            expected=text,
        )
    return None


# -- values ------------------------------------------------------------------------------------------

# (field, location) of every cell read, resolved once rather than per workbook.
_INPUT_CELLS = tuple((f, layout.location(f.key)) for f in _INPUT_NUMERIC)
_DERIVED_CELLS = tuple((f, layout.location(f.key)) for f in _DERIVED)
_DERIVED_PLAN = tuple((f.key, loc.sheet, loc.row - 1, loc.col - 1) for f, loc in _DERIVED_CELLS)  # 0-based
_INPUT_PLAN = tuple((f, loc, f.key, loc.row - 1, loc.col - 1) for f, loc in _INPUT_CELLS)  # 0-based indexes


def _read_values(grids: dict[str, list[list[Any]]], scans: dict[str, SheetScan], result: WorkbookRead) -> None:
    blanks: dict[str, list[Field]] = {}
    inputs = result.inputs
    for f, loc, key, row, col in _INPUT_PLAN:
        rows = grids[loc.sheet]
        try:
            raw = rows[row][col]
        except IndexError:
            raw = ""
        if type(raw) is float and raw >= 0 and raw.is_integer():  # the usual case: a whole number
            inputs[key] = int(raw)
            continue
        scan = scans[loc.sheet]
        if raw == "" and loc.cell in scan.errors:  # calamine reads an error cell as blank
            raw = scan.errors[loc.cell]
        parsed = parse_value(raw, f)
        if parsed.outcome is Outcome.EXCEL_ERROR or loc.cell in scan.errors:
            result.invalid.add(f.key)
            result.findings.append(
                _value_finding(
                    result,
                    f,
                    "V-EXCEL-ERROR",
                    "error",
                    raw,
                    f"显示 Excel 错误值“{_as_text(raw)}”（公式出错），未计入；请改正公式或直接填写数字",
                )
            )
            continue
        if parsed.outcome is Outcome.BLANK and loc.cell in scan.uncached_formulas:
            result.findings.append(
                _value_finding(
                    result,
                    f,
                    "V-FORMULA",
                    "error",
                    raw,
                    "是公式但没有保存计算结果，请在 Excel/WPS 中打开后保存，或直接填写数字",
                )
            )
            result.invalid.add(f.key)
            continue
        if parsed.outcome is Outcome.INVALID:
            result.invalid.add(f.key)
            kind = ENTRY_KINDS[Outcome.INVALID.value]
            result.findings.append(_value_finding(result, f, kind.code, kind.severity, raw, parsed.reason))
            continue
        result.inputs[f.key] = parsed.value or 0
        if isinstance(raw, str) and parsed.value:
            result.as_text.add(f.key)
        if parsed.outcome is Outcome.BLANK:
            blanks.setdefault(loc.sheet, []).append(f)
        elif parsed.outcome is Outcome.PLACEHOLDER:
            kind = ENTRY_KINDS[parsed.outcome.value]
            result.findings.append(
                _value_finding(
                    result, f, kind.code, kind.severity, raw, f"填了“{str(raw).strip()}”，不是数字；没有发生请填0"
                )
            )
        elif parsed.outcome is Outcome.NORMALIZED:
            kind = ENTRY_KINDS[parsed.outcome.value]
            result.findings.append(
                _value_finding(
                    result, f, kind.code, kind.severity, raw, f"写法不规范，已按 {parsed.value} 读取，请只填阿拉伯数字"
                )
            )
    cached = result.cached
    for key, sheet, row, col in _DERIVED_PLAN:
        try:
            cached[key] = grids[sheet][row][col]
        except IndexError:
            cached[key] = ""
    result.findings.extend(_blank_findings(result, [f for fields in blanks.values() for f in fields]))


def _blank_findings(result: WorkbookRead, fields: list[Field]) -> list[Finding]:
    """Blank number cells. Nothing when the cover confirms that every number is 0; one error when no number
    was filled at all (an untouched template is not a report of zeros); otherwise one warning per section
    of the form (a body with no applications leaves most of 表三 blank: a warning per cell would bury the
    real problems)."""
    if result.identity.all_zero or not fields:
        return []
    blank = {f.key for f in fields}
    if len(blank) == len(_INPUT_CELLS):
        return [_unfilled_finding(result)]
    out = []
    for label, keys in FORM.entry_sections:
        empty = [k for k in keys if k in blank]
        if empty:
            out.append(_section_blank_finding(result, label, empty))
    return out


def _section_blank_finding(result: WorkbookRead, label: str, keys: list[str]) -> Finding:
    locs = [layout.location(k) for k in keys]
    ranges = "、".join(range_refs(locs))
    kind = ENTRY_KINDS[Outcome.BLANK.value]
    return Finding(
        code=kind.code,
        severity=kind.severity,
        file=result.file,
        sheet=locs[0].sheet,
        cell=locs[0].cell,
        department=result.department,
        key=keys[0],
        value="",
        expected="不小于0的数",
        message=f"{label} 有 {len(keys)} 个单元格未填写（「{locs[0].sheet}」{ranges}），按0计算；没有发生的请填0",
        extra={"cells": [loc.cell for loc in locs], "section": label},
    )


def _unfilled_finding(result: WorkbookRead) -> Finding:
    confirm = FORM.confirm_field
    loc = layout.location(confirm.key)
    yes = confirm.choices[0]
    return Finding(
        code=entry.UNFILLED_CODE,
        severity=entry.UNFILLED_SEVERITY,
        file=result.file,
        sheet=loc.sheet,
        cell=loc.cell,
        department=result.department,
        key=confirm.key,
        value="",
        expected=yes,
        message=(
            f"各表的数字都没有填写，不能当作全部为0汇总：请在各表中逐项填写（没有发生的填0）；"
            f"如果本部门本年度确实没有发生任何事项，请在「{loc.sheet}」{loc.cell}“{confirm.row[0]}”中选“{yes}”"
        ),
    )


def _value_finding(result: WorkbookRead, f: Field, code: str, severity: str, raw: Any, what: str) -> Finding:
    loc = layout.location(f.key)
    name = f"{f.part}「{' / '.join(x for x in (*f.row[-1:], *f.column[-1:]) if x)}」"
    expected = "不小于0的数（万元/元，最多4位小数）" if f.type is FieldType.DECIMAL else "不小于0的整数"
    return Finding(
        code=code,
        severity=severity,
        message=f"{name} {loc.cell} {what}",
        file=result.file,
        sheet=loc.sheet,
        cell=loc.cell,
        department=result.department,
        key=f.key,
        value=_as_text(raw),
        expected=expected,
    )


def _text(grids: dict[str, list[list[Any]]], f: Field) -> str:
    loc = layout.location(f.key)
    return _as_text(_cell(grids[loc.sheet], loc.row, loc.col)).replace("\r\n", "\n")
