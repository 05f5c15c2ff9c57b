"""One report's data, typed: what the reader, the merge and the importer produce and the report and checks consume.

`ReportData` is immutable. Its JSON form is the merged.json contract, versioned (`format`, `format_version`) and
described by a JSON Schema generated from the form (`json_schema()`, printed by `nianbao schema --data`).
Amounts stay `Decimal` where the form says decimal; counts are `int`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from .errors import UsageError
from .form import FORM, FieldType
from .numbers import NotANumber, Number, to_decimal, to_json

__all__ = [
    "AREA_BODY_TYPE",
    "BODY_TYPES",
    "DATA_FORMAT",
    "DATA_FORMAT_VERSION",
    "Collection",
    "Provenance",
    "ReportData",
    "guess_body_type",
    "json_schema",
    "typed_value",
]

DATA_FORMAT = "nianbao.report-data"
# 1: merged.json as first published (no format fields); 2: adds format, format_version, body_type, provenance.
DATA_FORMAT_VERSION = 2

# What kind of body a report is of ("" = not said); "区域汇总" is an area's report compiled from other bodies'.
AREA_BODY_TYPE = "区域汇总"
BODY_TYPES = ("", "街道", "乡镇", "县级", "其他", AREA_BODY_TYPE)


def guess_body_type(name: str) -> str:
    """街道 / 乡镇 / 县级 / 其他, from the body's name (best effort, when the data does not say)."""
    name = re.sub(r"\s+", "", name.replace("\u3000", " "))
    if re.search(r"街道(办事处)?$|街道$", name) or name.endswith("街道办事处"):
        return "街道"
    if re.search(r"(乡|镇)(人民政府)?$", name):
        return "乡镇"
    if re.search(r"(县|旗)(人民政府)?", name) or re.search(r"[^自治]区(人民政府)?", name.replace("自治区", "")):
        return "县级"
    return "其他"


SOURCE_KINDS = ("workbook", "report", "merged")


@dataclass(frozen=True)
class Provenance:
    """One input the numbers came from: a returned workbook, a published report, or another merge's data."""

    file: str
    kind: str = "workbook"  # one of SOURCE_KINDS
    department: str = ""  # the department (workbook) or body (report, merged data) it speaks for
    sha256: str = ""
    status: str = ""  # for a workbook in a merge: merged / rejected / duplicate / copy
    modified: str = ""  # the file's modification time, "YYYY-MM-DD HH:MM:SS"
    date: str = ""  # 填报日期 as typed on the workbook's cover
    size: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "department": self.department,
            "sha256": self.sha256,
            "status": self.status,
            "modified": self.modified,
            "date": self.date,
            "size": self.size,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Provenance:
        kind = str(data.get("kind") or "workbook")
        return cls(
            file=str(data.get("file") or ""),
            kind=kind if kind in SOURCE_KINDS else "workbook",
            department=str(data.get("department") or ""),
            sha256=str(data.get("sha256") or ""),
            status=str(data.get("status") or ""),
            modified=str(data.get("modified") or ""),
            date=str(data.get("date") or ""),
            size=_int_or_zero(data.get("size")),
        )


@dataclass(frozen=True)
class Collection:
    """How a merge's inputs came in: who was merged, who did not return, what report was made of it."""

    departments: tuple[str, ...] = ()  # merged, in roster order
    department_status: Mapping[str, str] = field(default_factory=dict)  # department → status key
    allowed_missing: tuple[str, ...] = ()  # roster departments knowingly left out
    report: str | None = None  # "final" / "draft" once a report was written from this merge

    @property
    def not_returned(self) -> list[str]:
        return [d for d, s in self.department_status.items() if s == "not_returned"]


@dataclass(frozen=True)
class ReportData:
    """The data of one report: body, year, the numbers, the texts, and where they came from."""

    body: str
    year: int | None
    values: Mapping[str, Number]  # table numbers and 信息处理费 figures, keyed by the form
    texts: Mapping[str, str] = field(default_factory=dict)
    body_type: str = ""  # one of BODY_TYPES ("" = not said)
    date: str = ""  # ISO date: the collection's latest 填报日期, or a report's signature date
    template_version: str = FORM.template_version
    collection: Collection | None = None  # set by a merge
    provenance: tuple[Provenance, ...] = ()

    def table_values(self) -> dict[str, Number]:
        """The 200 numbers of 表二, 表三 and 表四 that are present."""
        return {f.key: self.values[f.key] for f in FORM.table_fields if f.key in self.values}

    def with_(self, **changes: Any) -> ReportData:
        return replace(self, **changes)

    # -- the JSON contract ----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The merged.json form: JSON types only (amounts as numbers with their digits)."""
        out: dict[str, Any] = {
            "format": DATA_FORMAT,
            "format_version": DATA_FORMAT_VERSION,
            "body": self.body,
            "year": self.year,
            "body_type": self.body_type,
            "template_version": self.template_version,
            "values": {k: to_json(v) for k, v in self.values.items()},
            "texts": dict(self.texts),
            "date": self.date or None,
        }
        if self.collection is not None:
            c = self.collection
            out.update(
                {
                    "departments": list(c.departments),
                    "not_returned": c.not_returned,
                    "allowed_missing": list(c.allowed_missing),
                    "department_status": dict(c.department_status),
                    "report": c.report,
                }
            )
        out["sources"] = [p.to_json() for p in self.provenance]
        return out

    @classmethod
    def from_json(cls, data: Any, what: str = "数据") -> ReportData:
        """Read the merged.json form (any version up to this one); a UsageError in Chinese when it is unusable.

        Numbers are checked by the one number parser: a value that is not a finite, non-negative number is
        refused by key. Keys the form does not know are left out.
        """
        if not isinstance(data, Mapping):
            raise UsageError(f"{what}应为 JSON 对象（含 body、year、values、texts）。")
        version = data.get("format_version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version > DATA_FORMAT_VERSION:
            raise UsageError(
                f"{what}的格式版本为 {version!r}，本程序只能读取第 {DATA_FORMAT_VERSION} 版及以前的数据，"
                "请升级 nianbao。"
            )
        values = data.get("values")
        if not isinstance(values, Mapping):
            raise UsageError(f"{what}中没有 values（各表的数字），不是 nianbao 的报告数据。")
        texts = data.get("texts") or {}
        if not isinstance(texts, Mapping):
            raise UsageError(f"{what}中的 texts 应为 JSON 对象。")
        body = data.get("body") or ""
        body_type = str(data.get("body_type") or "")
        return cls(
            body=body if isinstance(body, str) else str(body),
            year=_year(data.get("year"), what),
            values=_values(values, what),
            texts={k: v for k, v in texts.items() if k in FORM.by_key and isinstance(v, str)},
            body_type=body_type if body_type in BODY_TYPES else "",
            date=str(data.get("date") or ""),
            template_version=str(data.get("template_version") or FORM.template_version),
            collection=_collection(data),
            provenance=tuple(Provenance.from_json(s) for s in data.get("sources") or () if isinstance(s, Mapping)),
        )


def _int_or_zero(raw: Any) -> int:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else 0


def _year(raw: Any, what: str) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        number = to_decimal(raw)
    except NotANumber:
        number = Decimal(-1)
    if number != number.to_integral_value() or not 1900 <= number <= 2999:
        raise UsageError(f"{what}中的报告年度 year 不正确：{raw!r}（应为如 2024 的四位年份）。")
    return int(number)


def typed_value(key: str, raw: Any) -> Number:
    """A value of the form's field `key`: int for counts, Decimal for amounts (NotANumber when it is not one)."""
    number = to_decimal(raw)
    if number < 0:
        raise NotANumber("不能为负数")
    if FORM.by_key[key].type is FieldType.INT and number == number.to_integral_value():
        return int(number)
    return number


def _values(values: Mapping[str, Any], what: str) -> dict[str, Number]:
    out: dict[str, Number] = {}
    for key, raw in values.items():
        if key not in FORM.by_key or not FORM.by_key[key].numeric or raw is None:
            continue
        try:
            out[key] = typed_value(key, raw)
        except NotANumber as exc:
            raise UsageError(f"{what}中 {key} 的值 {raw} {exc}，请核对数据。") from exc
    return out


def _collection(data: Mapping[str, Any]) -> Collection | None:
    status = data.get("department_status")
    if not isinstance(status, Mapping) and "departments" not in data:
        return None
    report = data.get("report")
    return Collection(
        departments=tuple(str(d) for d in data.get("departments") or ()),
        department_status={str(k): str(v) for k, v in (status or {}).items()},
        allowed_missing=tuple(str(d) for d in data.get("allowed_missing") or ()),
        report=report if report in ("final", "draft") else None,
    )


# -- the JSON Schema -----------------------------------------------------------------------------------
def _value_schema(key: str) -> dict[str, Any]:
    f = FORM.by_key[key]
    kind = "integer" if f.type is FieldType.INT else "number"
    return {"type": kind, "minimum": 0, "description": f.label + (f"（{f.unit}）" if f.unit else "")}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the merged.json contract, generated from the form."""
    numeric = [f.key for f in FORM.numeric_fields]
    source = {
        "type": "object",
        "properties": {
            "file": {"type": "string"},
            "kind": {"enum": list(SOURCE_KINDS)},
            "department": {"type": "string"},
            "sha256": {"type": "string"},
            "status": {"type": "string"},
            "modified": {"type": "string"},
            "date": {"type": ["string", "null"]},
            "size": {"type": "integer", "minimum": 0},
        },
        "required": ["file"],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{DATA_FORMAT}/{DATA_FORMAT_VERSION}",
        "title": "政府信息公开工作年度报告数据（merged.json）",
        "type": "object",
        "required": ["body", "year", "values", "texts"],
        "properties": {
            "format": {"const": DATA_FORMAT},
            "format_version": {"type": "integer", "minimum": 1, "maximum": DATA_FORMAT_VERSION},
            "body": {"type": "string", "description": "机关名称"},
            "year": {"type": ["integer", "null"], "minimum": 1900, "maximum": 2999, "description": "报告年度"},
            "body_type": {"enum": list(BODY_TYPES)},
            "template_version": {"type": "string"},
            "values": {
                "type": "object",
                "properties": {key: _value_schema(key) for key in numeric},
                "additionalProperties": False,
            },
            "texts": {
                "type": "object",
                "properties": {
                    key: {"type": "string", "description": FORM.by_key[key].label} for key in FORM.text_keys
                },
                "additionalProperties": False,
            },
            "date": {"type": ["string", "null"], "description": "落款日期或各部门最晚的填报日期（YYYY-MM-DD）"},
            "departments": {"type": "array", "items": {"type": "string"}},
            "not_returned": {"type": "array", "items": {"type": "string"}},
            "allowed_missing": {"type": "array", "items": {"type": "string"}},
            "department_status": {"type": "object", "additionalProperties": {"type": "string"}},
            "report": {"enum": ["final", "draft", None]},
            "sources": {"type": "array", "items": source},
            "findings": {"type": "array", "items": {"type": "object"}},
        },
    }
