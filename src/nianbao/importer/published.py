"""Read any published report (.docx, .html/.htm, .pdf, .txt, .md) into the `merged.json` shape.

`import_published(path)` is the one entry point: it picks a reader by suffix and content, finds the
outline (title, year, the six headings), aligns the three tables to the form's keys and collects the
narrative. What could not be read is listed in `problems`, never filled in silently.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..data import Provenance, ReportData
from ..errors import NianbaoError, UsageError
from ..findings import Finding
from ..form import FORM, Severity, official
from ..numbers import to_json
from ..reader.sniff import MAX_DOCX_BYTES, REPORT_SUFFIXES
from . import format2019
from . import labels as lb
from .align import Document, TableResult, Token, align_rows, align_single_row, check_headers, tokenize
from .sections import Outline, narrative_texts, outline

__all__ = ["SUFFIXES", "ImportResult", "import_published", "read_document"]

SUFFIXES = REPORT_SUFFIXES
_TABLE_SECTIONS = {s.table: s.number for s in FORM.sections if s.table}
_TABLE_PREFIXES = tuple(f"{t.key}." for t in FORM.tables)
_FEE_SECTION = next(s.number for s in FORM.sections if s.heading == official.HEADINGS[5])
_FEE_KEYS = tuple(key for key, _label, _type, _unit in official.FEE_FIELDS)  # notices, notice amount, collected
_AMOUNT = r"(\d+(?:\.\d+)?)\s*元"
_FEE_PATTERNS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (0, re.compile(r"(?:发出|发送|开具|送达)[^。；;\d]{0,12}?收费通知(?:书)?[^。；;\d]{0,4}?(\d+)\s*(?:件|份|次)")),
    (1, re.compile(r"收费通知[^。；;]{0,24}?(?:金额|合计|共计|总额)[^。；;\d]{0,6}?" + _AMOUNT)),
    (2, re.compile(r"(?:实际)?收取[^。；;\d]{0,12}?(?:信息处理费)[^。；;\d]{0,8}?" + _AMOUNT)),
)
_NO_NOTICES = re.compile(r"(?:未|没有|无)(?:发出|发送|开具)[^。；;\d]{0,12}?收费通知")
_NO_FEES = re.compile(r"(?:未|没有|无|不)(?:收取|收)[^。；;\d]{0,6}?信息处理费")


@dataclass
class ImportResult:
    """A published report as data, in the shape of merged.json, plus what the audit needs."""

    file: str
    body: str = ""
    year: int | None = None
    values: dict[str, int | Decimal] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    problems: list[Finding] = field(default_factory=list)
    deviations: list[lb.LabelDeviation] = field(default_factory=list)
    outline: Outline = field(default_factory=Outline)
    tables_found: dict[str, bool] = field(default_factory=dict)
    layout_2019: list[str] = field(default_factory=list)  # 2019-only labels seen in 表二
    source: str = ""
    report_format: str = "2021"  # "2019": the superseded trial format (its 表二 is in `values_2019`)
    values_2019: dict[str, int | Decimal] = field(default_factory=dict)  # t2_2019.<row>.<column>

    @property
    def table_values(self) -> dict[str, int | Decimal]:
        """The numbers read from 表二, 表三 and 表四 (without the 信息处理费 figures of 六)."""
        return {k: v for k, v in self.values.items() if k.startswith(_TABLE_PREFIXES)}

    @property
    def complete(self) -> bool:
        """All 200 table numbers were read."""
        return all(f.key in self.values for f in FORM.table_fields)

    @property
    def data(self) -> ReportData:
        """What was read, typed (numbers only where they were read)."""
        return ReportData(
            body=self.body,
            year=self.year,
            values=dict(self.values),
            texts=dict(self.texts),
            provenance=(Provenance(file=self.file, kind="report", department=self.body),),
        )

    def to_json_dict(self) -> dict[str, Any]:
        data = self._json_dict()
        data["report_format"] = self.report_format  # not "format": that names the merged.json contract
        if self.report_format == format2019.FORMAT:
            names = format2019.labels()
            data["old_format"] = {
                "format": self.report_format,
                "name": official.FORMAT_2019_NAME,
                "values": {k: to_json(v) for k, v in self.values_2019.items()},
                "labels": {k: names[k] for k in self.values_2019},
            }
        return data

    def _json_dict(self) -> dict[str, Any]:
        return {
            "body": self.body,
            "year": self.year,
            "template_version": FORM.template_version,
            "values": {k: to_json(v) for k, v in self.values.items()},
            "texts": dict(self.texts),
            "problems": [p.to_dict() for p in self.problems],
            "source": {
                "file": self.file,
                "format": self.source,
                "title": self.outline.title,
                "headings": [dataclasses.asdict(h) for h in self.outline.headings],
                "label_deviations": [d.to_dict() for d in self.deviations],
            },
        }


# -- readers ----------------------------------------------------------------------------------------
def _reader(kind: str) -> Callable[[Path], Document]:
    if kind == "docx":
        from .published_docx import read_docx

        return read_docx
    if kind == "html":
        from .html import read_html

        return read_html
    if kind == "pdf":
        from .pdf import read_pdf

        return read_pdf
    from .text import read_text

    return read_text


def sniff(path: Path) -> str:
    """The kind of file, from its first bytes (a saved page may be named .txt, a .doc may be HTML)."""
    with path.open("rb") as fh:
        head = fh.read(2048)
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    lowered = head.lower()
    if b"<html" in lowered or b"<!doctype html" in lowered or b"<table" in lowered or b"<body" in lowered:
        return "html"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UsageError(f"{path.name} 是旧版 Word（.doc）文件，请先另存为 .docx 或 PDF 再导入。")
    return "text"


# A report is text and three tables (30-300 KB; a few MB with a scanned seal): a file far larger is refused
# by its size before it is read. A .docx is bounded further, part by part, by `published_docx.open_report`.
MAX_BYTES = {"docx": MAX_DOCX_BYTES, "pdf": 100 * 1024 * 1024, "html": 32 * 1024 * 1024, "text": 32 * 1024 * 1024}
_KIND_NAMES = {"docx": "Word 文件", "pdf": "PDF 文件", "html": "网页文件", "text": "文本文件"}
# Suffixes whose format has magic bytes (a page saved as .txt or .htm is read by its content).
_SUFFIX_KINDS = {".pdf": "pdf", ".docx": "docx"}


def read_document(path: Path) -> Document:
    if not path.is_file():
        raise UsageError(f"找不到文件：{path}")
    kind = sniff(path)
    expected = _SUFFIX_KINDS.get(path.suffix.lower())
    if expected and kind != expected:  # the bytes decide what is read; a .pdf that is not one is not guessed at
        raise UsageError(
            f"{path.name} 的扩展名是 {path.suffix}，但内容不是{_KIND_NAMES[expected]}"
            "（文件已损坏，或只是改了扩展名），无法读取。"
        )
    size = path.stat().st_size
    if size > MAX_BYTES[kind]:
        raise UsageError(
            f"{path.name}：{_KIND_NAMES[kind]}大小 {size // 1024 // 1024} MB，远超正常的年报"
            f"（应在 {MAX_BYTES[kind] // 1024 // 1024} MB 以内），拒绝读取。"
        )
    try:
        return _reader(kind)(path)
    except UsageError as exc:  # every answer names the file: an audit of a folder lists many
        if path.name in str(exc):
            raise
        raise UsageError(f"{path.name}：{exc}") from exc


# -- import -----------------------------------------------------------------------------------------
def import_published(path: Path) -> ImportResult:
    """Read a published report in any supported form. Raises `UsageError` only when the file itself
    cannot be opened; everything about its content is reported in `problems`."""
    path = Path(path)
    doc = read_document(path)
    return import_document(doc, path.name)


def import_document(doc: Document, file: str = "") -> ImportResult:
    out = outline(doc)
    result = ImportResult(file=file, body=out.body, year=out.year, outline=out, source=doc.source)
    result.texts = narrative_texts(out)
    result.values.update(fee_values(out.section_text.get(_FEE_SECTION, "")))
    for table in FORM.tables:
        start, end = out.region(_TABLE_SECTIONS[table.key])
        tokens = tokenize(doc.blocks[start:end], start)
        if table.key == "t2":
            result.layout_2019 = _labels_2019(tokens)
            if result.layout_2019:
                result.report_format = format2019.FORMAT
                result.values_2019 = format2019.read_table2(tokens)
        aligned = _align(table.key, tokens, result, doc.columns_from_layout)
        result.tables_found[table.key] = aligned.found
        result.values.update(aligned.values)
        if aligned.values_2019:  # 表三's single 2019 （六） row: kept as printed in the old-format result too
            result.report_format = format2019.FORMAT
            result.values_2019.update(aligned.values_2019)
        result.deviations.extend(aligned.deviations)
        result.problems.extend(aligned.problems)
        # Column layout (PDF text) splits headers over lines, so their wording cannot be checked there.
        if aligned.found and not doc.columns_from_layout and not (table.key == "t2" and result.layout_2019):
            result.deviations.extend(check_headers(table.key, tokens))
    result.problems = [dataclasses.replace(p, file=file) for p in result.problems]
    if not out.title:
        result.problems.append(
            Finding(
                "IM-7",
                Severity.WARNING,
                "找不到报告标题（应为“<机关全称><年份>年政府信息公开工作年度报告”），无法确定机关名称。",
                file=file,
                sheet="标题",
            )
        )
    elif not out.body:
        result.problems.append(
            Finding(
                "IM-7",
                Severity.WARNING,
                f"报告标题“{out.title}”中没有机关名称（应为“<机关全称><年份>年政府信息公开工作年度报告”）。",
                file=file,
                sheet="标题",
                value=out.title,
            )
        )
    if result.year is None:
        result.problems.append(
            Finding("IM-7", Severity.WARNING, "标题和统计期限中都找不到报告年度。", file=file, sheet="标题")
        )
    return result


def fee_values(text: str) -> dict[str, int | Decimal]:
    """The 信息处理费 figures stated in 六 (best effort): notices issued, their amount, amount collected."""
    squashed = lb.squash(lb.fold(text))
    out: dict[str, int | Decimal] = {}
    if _NO_NOTICES.search(squashed):
        out[_FEE_KEYS[0]] = 0
        out[_FEE_KEYS[1]] = Decimal(0)
    if _NO_FEES.search(squashed):
        out[_FEE_KEYS[2]] = Decimal(0)
    for index, pattern in _FEE_PATTERNS:
        match = pattern.search(squashed)
        if match:
            number = Decimal(match.group(1))
            out[_FEE_KEYS[index]] = int(number) if index == 0 else number
    return out


def _labels_2019(tokens: Sequence[Token]) -> list[str]:
    found = []
    for label in official.T2_2019_LABELS:
        key = lb.match_key(label)
        if any(key in lb.match_key(t.text) for t in tokens if t.number is None):
            found.append(label)
    return found


def _align(table_key: str, tokens: Sequence[Token], result: ImportResult, interleaved: bool) -> TableResult:
    table = FORM.table(table_key)
    if table_key == "t2" and result.layout_2019:
        aligned = TableResult(table_key, found=True)
        read = len(result.values_2019)
        aligned.problems.append(
            Finding(
                "IM-2",
                Severity.WARNING if read else Severity.ERROR,
                f"{table.name}使用2019年试行格式（{'、'.join(result.layout_2019[:3])}），与2021年格式无法一一对应，"
                + (
                    f"已按旧格式的标签读取{read}个数（另列为旧格式数据），未计入2021年格式的{table.name}。"
                    if read
                    else "未导入。"
                ),
                sheet=table.name,
                value=read,
            )
        )
        return aligned
    aligned = (
        align_single_row(table_key, tokens)
        if table_key == "t4"
        else align_rows(table_key, tokens, interleaved=interleaved)
    )
    if not aligned.found:
        aligned = TableResult(table_key)
        aligned.problems.append(
            Finding(
                "IM-2",
                Severity.ERROR,
                f"找不到{table.name}（“{table.section}”下的表格），或无法与官方格式对齐，{table.name}未导入。",
                sheet=table.name,
            )
        )
    return aligned


def import_or_error(path: Path) -> ImportResult:
    """Like `import_published`, but an unreadable file becomes a result with one IM-1 problem
    (used when auditing a folder, where one broken file must not stop the rest)."""
    try:
        return import_published(path)
    except NianbaoError as exc:
        return ImportResult(file=path.name, problems=[Finding("IM-1", Severity.ERROR, str(exc), file=path.name)])
    except Exception as exc:  # noqa: BLE001 - a reader failing on one report must not stop the folder
        message = f"{path.name} 读取时出错（{type(exc).__name__}），无法审核；请向发布单位索取重新保存的文件。"
        return ImportResult(file=path.name, problems=[Finding("IM-1", Severity.ERROR, message, file=path.name)])
