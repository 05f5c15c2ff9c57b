"""Findings are data: a code, a severity, a location and a Chinese message a clerk can act on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .form import RULE_TITLES, Severity

__all__ = ["CODES", "Finding", "Severity", "has_errors"]

# Every finding code with a short Chinese title. Rule ids of official-format.md §8 are used as codes
# where a rule applies; other codes describe file-level problems.
CODES: dict[str, str] = dict(RULE_TITLES)
CODES.update({
    # Whole-file problems: the file is not merged.
    "F-NOT-XLSX": "不是 .xlsx 工作簿（如 CSV、Word 文档、PDF 改了扩展名）",
    "F-XLS": "旧版 .xls/.et 格式，需另存为 .xlsx",
    "F-CORRUPT": "文件已损坏或不完整，无法打开",
    "F-ENCRYPTED": "文件设置了打开密码",
    "F-TOO-LARGE": "文件或工作表大得不合理（可能粘贴了大量数据，或是压缩炸弹）",
    "F-UNSAFE": "文件含有不安全的内容（XML 实体声明）",
    "F-VERSION": "模板版本不符",
    "F-BODY": "机关名称与本次汇总不符",
    "F-YEAR": "报告年度与本次汇总不符",
    "F-DEPARTMENT": "填报部门缺失、不在部门名单中或被改动",
    "F-DUPLICATE": "同一部门交了多份工作簿",
    "F-STRUCTURE": "工作表被改名、删除，或表格中插入、删除了行列",
    # Single values.
    "V-BLANK": "空白单元格按0计算",
    "V-NORMALIZED": "数值的写法已自动规范（全角数字、空格、“件”等）",
    "V-INVALID": "不是不小于0的整数（或金额）",
    "V-CACHED-TOTAL": "总计单元格显示的数与按各项重新计算的结果不符（公式可能被改写）",
    "V-FORMULA": "填报单元格中是公式，且没有保存计算结果",
})


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # Severity.ERROR / WARNING / INFO
    message: str  # one line of Chinese telling the clerk what is wrong and what to do
    file: str = ""
    sheet: str = ""
    cell: str = ""  # the real Excel address, e.g. "D7"
    department: str = ""
    key: str = ""  # the form field, when there is one
    value: Any = None  # what was found
    expected: Any = None  # what was expected
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity == Severity.ERROR

    @property
    def address(self) -> str:
        """'Sheet'!D7, the form a spreadsheet accepts in a hyperlink or the name box."""
        if not self.sheet:
            return ""
        sheet = "'" + self.sheet.replace("'", "''") + "'"
        return f"{sheet}!{self.cell}" if self.cell else sheet

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not d["extra"]:
            d.pop("extra")
        return d


def has_errors(findings: list[Finding]) -> bool:
    return any(f.is_error for f in findings)
