"""Findings are data: a code, a severity, a location and a Chinese message a clerk can act on."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .form import RULE_TITLES, Severity

__all__ = ["CODES", "Finding", "Severity", "codes", "finding_order", "has_errors", "visible"]

# Every finding code with a short Chinese title. The format's rule ids (T3-1 …, listed in docs/codes.md) are used as codes
# where a rule applies; other codes describe file-level problems.
CODES: dict[str, str] = dict(RULE_TITLES)
CODES.update(
    {
        # Whole-file problems: the file is not merged.
        "F-NOT-XLSX": "不是 .xlsx 工作簿（如 CSV、Word 文档、PDF 改了扩展名）",
        "F-XLS": "旧版 .xls/.et 格式，需另存为 .xlsx",
        "F-CORRUPT": "文件已损坏或不完整，无法打开",
        "F-ENCRYPTED": "文件设置了打开密码",
        "F-TOO-LARGE": "文件或工作表大得不合理（可能粘贴了大量数据，或是压缩炸弹）",
        "F-UNSAFE": "文件含有不安全的内容（XML 实体或文档类型声明）",
        "F-MACRO": "工作簿含有宏（或是启用宏的 .xlsm 格式），需另存为普通 .xlsx",
        "F-READER-CRASH": "读取此文件时程序异常退出",
        "F-EXTRA-SHEET": "工作簿中有模板以外的工作表，其内容不读取",
        "F-VERSION": "模板版本不符",
        "F-BODY": "机关名称与本次汇总不符",
        "F-YEAR": "报告年度与本次汇总不符",
        "F-DEPARTMENT": "填报部门缺失、不在部门名单中或被改动",
        "F-DUPLICATE": "同一部门交了多份工作簿",
        "F-SYMLINK": "快捷方式（符号链接）指向文件夹之外或已失效，未读取",
        "F-COPY": "同一部门的工作簿有内容完全相同的副本（只计一份）",
        "F-SPELLING": "各部门填写的机关名称或落款机关写法不一",
        "F-MISSING": "名单中的部门未报送（不能生成正式报告）",
        "F-ALLOWED": "注明经同意不报送的部门其实已报送",
        "F-STRUCTURE": "工作表被改名、删除，或表格中插入、删除了行列",
        # Single values.
        "V-BLANK": "空白单元格按0计算（按表格的部分汇总提示）",
        "V-NORMALIZED": "数值的写法已自动规范（全角数字、空格、“件”等）",
        "V-INVALID": "不是不小于0的整数（或金额）",
        "V-CACHED-TOTAL": "总计单元格显示的数与按各项重新计算的结果不符（公式可能被改写）",
        "V-FORMULA": "填报单元格中是公式，且没有保存计算结果",
        "V-UNFILLED": "各表数字都没有填写，也没有确认“全部为0”",
        "V-CONFIRM": "确认了“各表数字全部为0”，但表中有不为0的数字",
        "V-IMPLAUSIBLE": "数字大得不合理（超过该类数字的合理上限），可能多打了数字或填错了单位",
        "V-COVER": "基本信息中的填报人、联系电话或填报日期未填写或写法不对",
        "V-EXCEL-ERROR": "单元格显示 Excel 错误值（如 #DIV/0!、#N/A）",
        # Published reports (audit) and rules that need more than one workbook.
        "T2-2": "没有规章制定权的机关（乡镇、街道、县级政府及其部门）“规章”一行应为0",
        "T2-4": "行政事业性收费金额偏大，可能把“元”填成了“万元”",
        "T3-7": "（六）2 逾期未缴费不为0时，“六、其他需要报告的事项”应写明发出的收费通知",
        "T4-3": "有“复议后起诉”但本年（及上年）没有行政复议",
        "T4-4": "行政复议、行政诉讼件数远多于政府信息公开申请数，可能混入了非政府信息公开案件",
        "X1": "六个部分的标题齐全、顺序正确、文字规范；报告标题规范",
        "X2": "表格的行列标签与官方格式一字不差",
        "X3": "正文中的数字与表格一致",
        "X4": "报告年度前后一致（标题、统计期限、正文）",
        "X5": "“六、其他需要报告的事项”写明信息处理费收取情况",
        "X6": "2021年及以后的报告应使用2021年格式（不得使用2019年试行格式）",
        "X8": "必须有文字的部分只有标题、没有内容",
        # Across years.
        "C1": "本年“二、上年结转”应等于上年报告的“四、结转下年度继续办理”（逐列）",
        "C2": "现行有效件数 = 上年现行有效件数 + 本年制发件数 − 本年废止件数（逐行）",
        "T2-3": "本年废止件数 不应超过 上年现行有效件数 + 本年制发件数",
        "C-SWING": "与上年相比变化异常（10倍以上）",
        "C3": "正文中与上年比较的说法（较上年增加n件、同比增长x%）与上年报告的数字一致",
        "C-LAST": "上年报告读不出统计表（或部分表），相关跨年度核对未做",
        # An area's report compiled from its bodies' (区域汇总).
        "A-RULES": "某单位报送的表格不符合勾稽关系，未计入区域汇总",
        "A-INCOMPLETE": "某单位报送的数据或报告缺少表格数字，未计入区域汇总",
        "A-UNREADABLE": "某单位报送的数据或报告无法读取，未计入区域汇总",
        "A-TWICE": "同一单位既报送了填报表或数据、又报送了报告（只计一次）",
        "A-YEAR": "某单位报送的是其他年度的数据，未计入区域汇总",
        # Importing a published report.
        "IM-1": "报告文件无法读取",
        "IM-2": "表格未找到或无法与官方格式对齐",
        "IM-3": "表格中缺少某一行",
        "IM-4": "某一行的数值个数与官方格式不符",
        "IM-5": "2019年试行格式的单行“（六）其他处理”，已计入“（六）3.其他”",
        "IM-6": "数字单元格带有注释文字，只读取了数字",
        "IM-7": "找不到报告标题、标题中的机关名称或报告年度",
        "IM-8": "表格中的空白、“—”“/”“无”单元格已按0读取（每张表一条）",
        "IM-9": "行标签与数字不在同一行，已按表格的勾稽关系确定各行的数字",
        "IM-10": "行标签与数字不在同一行，无法确定对齐，相关行未导入（不返回错位的数字）",
        "IM-11": "一行的数字连在一起（缺少分隔），已按勾稽关系唯一拆分",
        "IM-12": "一行的数字连在一起，无法按勾稽关系唯一拆分，本行未导入",
        "IM-13": "网页的表格与其内嵌数据不一致",
        # Rendering the report.
        "R-KEY": "报告数据中有表单里没有的字段",
        "R-FEE": "信息处理费数字无效",
        "R-DATE": "落款日期无效",
        "R-TEXT": "报告数据中的文字不是一段文字（如列表、数字）",
        "R-TPL": "Word 模板的占位符与表单不符，或含有不允许的写法（模板只能填写表单中的数字和文字）",
    }
)


# C0/C1 control characters other than tab and newline: in a file name they could move a terminal's cursor
# or clear its screen, and a spreadsheet cell refuses them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """The text with each control character written out as \\xNN, so it is shown, never obeyed."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def codes(*names: str) -> dict[str, str]:
    """A subset of the registry, for a stage that wants to list the codes it can produce."""
    return {name: CODES[name] for name in names}


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

    def __post_init__(self) -> None:
        for name in ("message", "file", "sheet", "department"):
            text = getattr(self, name)
            if isinstance(text, str) and _CONTROL.search(text):
                object.__setattr__(self, name, visible(text))

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


def finding_order(f: Finding) -> tuple[bool, str, str, str]:
    """Errors first, then by file, sheet and cell: the order of every list of findings a person reads."""
    return (f.severity != Severity.ERROR, f.file, f.sheet, f.cell)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.is_error for f in findings)
