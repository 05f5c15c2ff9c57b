"""The official form of 国办公开办函〔2021〕30号, declared once.

Every label here is verbatim from the official template (full-width punctuation). Everything else in
nianbao (the Excel template, the reader, the checks, the merge, the Word tables, the importer) is derived
from these declarations; never type a label anywhere else.
"""

from __future__ import annotations

from .model import Axis

FORMAT_NAME = "国办公开办函〔2021〕30号"
TEMPLATE_VERSION = "2021.30-v2"

TITLE_SUFFIX = "年政府信息公开工作年度报告"

# Publication deadlines for the report (条例第四十九条); 乡镇/街道 follow local notices. Shown in the
# workbook's instructions and usable for the publication-date warning (X7).
DEADLINES: tuple[tuple[str, str], ...] = (
    ("县级以上人民政府部门", "每年1月31日前向本级政府信息公开工作主管部门提交并公布上一年度报告（条例第四十九条）"),
    ("县级以上地方人民政府", "每年3月31日前公布本级政府上一年度报告（条例第四十九条）"),
    ("乡镇人民政府、街道办事处", "按上级或本地通知规定的时间，通常在次年1月"),
)

# 六个部分的标题（顺序即报告顺序）。
HEADINGS: tuple[str, ...] = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)
# Sections that must have text (国办公开办函〔2021〕30号): 一 and 五 the body's own narrative, 六 at least the
# 信息处理费 statement. Printed as a bare heading they make a report incomplete (X8).
MANDATORY_SECTIONS: tuple[str, ...] = (HEADINGS[0], HEADINGS[4], HEADINGS[5])

# ---------------------------------------------------------------------------------------------
# 表二 主动公开政府信息情况: four stacked blocks, each with its own column headers.
# ---------------------------------------------------------------------------------------------
T2_CONTENT_HEADER = "信息内容"

T2_DOC_COLUMNS: tuple[Axis, ...] = (
    Axis("issued", ("本年制发件数",), "本年度本机关制定发布的件数（含修订后重新发布的）。"),
    Axis("repealed", ("本年废止件数",), "本年度宣布废止或失效的件数。"),
    Axis("in_force", ("现行有效件数",), "截至12月31日本机关现行有效的件数（存量，不是本年新增）。"),
)
T2_DECISION_COLUMN = Axis("decisions", ("本年处理决定数量",), "本年度作出的处理决定数量（含准予和不予）。")
T2_AMOUNT_COLUMN = Axis(
    "amount",
    ("本年收费金额（单位：万元）",),
    "本年度实际收取的行政事业性收费金额，单位为万元，可填小数。不是信息处理费。",
)

# (block key, block header, ((row key, row label, help), ...), columns)
T2_BLOCKS: tuple[tuple[str, str, tuple[Axis, ...], tuple[Axis, ...]], ...] = (
    (
        "item1",
        "第二十条第（一）项",
        (
            Axis(
                "rules",
                ("规章",),
                "只有国务院部门和省、设区的市、自治州人民政府有规章制定权；乡镇、街道、县级政府及其部门通常填0。",
            ),
            Axis("normative_docs", ("行政规范性文件",), "本机关制发的行政规范性文件。"),
        ),
        T2_DOC_COLUMNS,
    ),
    (
        "item5",
        "第二十条第（五）项",
        (Axis("licensing", ("行政许可",), "本年度作出的行政许可决定数量。"),),
        (T2_DECISION_COLUMN,),
    ),
    (
        "item6",
        "第二十条第（六）项",
        (
            Axis("penalty", ("行政处罚",), "本年度作出的行政处罚决定数量。"),
            Axis("enforcement", ("行政强制",), "本年度作出的行政强制决定数量。"),
        ),
        (T2_DECISION_COLUMN,),
    ),
    (
        "item8",
        "第二十条第（八）项",
        (Axis("fees", ("行政事业性收费",), "本年度实际收取的行政事业性收费金额（万元）。"),),
        (T2_AMOUNT_COLUMN,),
    ),
)

# ---------------------------------------------------------------------------------------------
# 表三 收到和处理政府信息公开申请情况
# ---------------------------------------------------------------------------------------------
T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T3_APPLICANT = "申请人情况"
T3_ORG = "法人或其他组织"

T3_COLUMNS: tuple[Axis, ...] = (
    Axis("natural_person", (T3_APPLICANT, "自然人"), "以个人名义申请的（律师以个人名义申请的也算自然人）。"),
    Axis("business", (T3_APPLICANT, T3_ORG, "商业企业")),
    Axis("research", (T3_APPLICANT, T3_ORG, "科研机构")),
    Axis("public_interest", (T3_APPLICANT, T3_ORG, "社会公益组织")),
    Axis("legal_service", (T3_APPLICANT, T3_ORG, "法律服务机构"), "以律师事务所等名义申请的。"),
    Axis("other_org", (T3_APPLICANT, T3_ORG, "其他")),
    Axis("total", (T3_APPLICANT, "总计"), "自动计算：前六列之和。"),
)

_RESULTS = "三、本年度办理结果"
_WITHHELD = "（三）不予公开"
_UNAVAILABLE = "（四）无法提供"
_NOT_PROCESSED = "（五）不予处理"
_OTHER = "（六）其他处理"

T3_ROWS: tuple[Axis, ...] = (
    Axis("new", ("一、本年新收政府信息公开申请数量",), "本年1月1日至12月31日收到的申请，一件申请计一件。"),
    Axis(
        "carried_over",
        ("二、上年结转政府信息公开申请数量",),
        "上年度收到、跨年仍在办理的申请，应等于上年报告的“四、结转下年度继续办理”。",
    ),
    Axis("disclosed", (_RESULTS, "（一）予以公开"), "全部公开，或告知获取途径的。"),
    Axis(
        "partly_disclosed",
        (_RESULTS, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
        "区分处理、部分公开的，只计在这一行，不再计入其他行。",
    ),
    Axis("withheld_state_secret", (_RESULTS, _WITHHELD, "1.属于国家秘密")),
    Axis("withheld_prohibited", (_RESULTS, _WITHHELD, "2.其他法律行政法规禁止公开")),
    Axis(
        "withheld_security",
        (_RESULTS, _WITHHELD, "3.危及“三安全一稳定”"),
        "公开后可能危及国家安全、公共安全、经济安全、社会稳定的。",
    ),
    Axis(
        "withheld_third_party",
        (_RESULTS, _WITHHELD, "4.保护第三方合法权益"),
        "涉及商业秘密、个人隐私等，公开会损害第三方合法权益的。",
    ),
    Axis(
        "withheld_internal",
        (_RESULTS, _WITHHELD, "5.属于三类内部事务信息"),
        "人事管理、后勤管理、内部工作流程等内部事务信息。",
    ),
    Axis(
        "withheld_process",
        (_RESULTS, _WITHHELD, "6.属于四类过程性信息"),
        "讨论记录、过程稿、磋商信函、请示报告等过程性信息。",
    ),
    Axis("withheld_enforcement_file", (_RESULTS, _WITHHELD, "7.属于行政执法案卷")),
    Axis(
        "withheld_query",
        (_RESULTS, _WITHHELD, "8.属于行政查询事项"),
        "法律法规对信息的获取有专门规定、应通过查询渠道获取的。",
    ),
    Axis(
        "unavailable_not_held",
        (_RESULTS, _UNAVAILABLE, "1.本机关不掌握相关政府信息"),
        "信息不存在，或不属于本机关公开的，都计在这一行。",
    ),
    Axis(
        "unavailable_needs_creation",
        (_RESULTS, _UNAVAILABLE, "2.没有现成信息需要另行制作"),
        "需要对现有信息加工、分析才能提供的。",
    ),
    Axis("unavailable_unclear", (_RESULTS, _UNAVAILABLE, "3.补正后申请内容仍不明确")),
    Axis("refused_petition", (_RESULTS, _NOT_PROCESSED, "1.信访举报投诉类申请")),
    Axis("refused_repeat", (_RESULTS, _NOT_PROCESSED, "2.重复申请")),
    Axis("refused_publication", (_RESULTS, _NOT_PROCESSED, "3.要求提供公开出版物")),
    Axis("refused_excessive", (_RESULTS, _NOT_PROCESSED, "4.无正当理由大量反复申请")),
    Axis("refused_confirmation", (_RESULTS, _NOT_PROCESSED, "5.要求行政机关确认或重新出具已获取信息")),
    Axis(
        "other_no_correction",
        (_RESULTS, _OTHER, "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
        "申请人逾期不补正，视为放弃申请的。",
    ),
    Axis(
        "other_unpaid_fee",
        (_RESULTS, _OTHER, "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
        "发出收费通知后申请人逾期未缴费的；有此项时，“六、其他需要报告的事项”应写明收费通知情况。",
    ),
    Axis("other_other", (_RESULTS, _OTHER, "3.其他"), "申请人撤回申请等其他情形。"),
    Axis("concluded_total", (_RESULTS, "（七）总计"), "自动计算：（一）至（六）各行之和，即本年办结的申请数。"),
    Axis("carried_forward", ("四、结转下年度继续办理",), "截至12月31日仍在办理、结转到下一年度的申请。"),
)

# The 20 result rows that （七）总计 adds up: everything between 三、 and （七）.
T3_RESULT_ROWS: tuple[str, ...] = tuple(r.key for r in T3_ROWS[2:23])

# ---------------------------------------------------------------------------------------------
# 表四 政府信息公开行政复议、行政诉讼情况: one data row, three blocks of five columns.
# ---------------------------------------------------------------------------------------------
T4_OUTCOMES: tuple[Axis, ...] = (
    Axis("upheld", ("结果维持",), "复议机关或法院维持本机关答复的（含驳回复议请求、驳回诉讼请求）。"),
    Axis("corrected", ("结果纠正",), "撤销、变更、确认违法、责令重新答复等。"),
    Axis("other", ("其他结果",), "终止、撤回、驳回起诉、不予受理、调解等。"),
    Axis("pending", ("尚未审结",), "截至12月31日尚未审结的。"),
    Axis("total", ("总计",), "自动计算：前四项之和。"),
)
T4_REVIEW = "行政复议"
T4_SUIT = "行政诉讼"
T4_BLOCKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("review", (T4_REVIEW,)),
    ("suit_direct", (T4_SUIT, "未经复议直接起诉")),
    ("suit_after_review", (T4_SUIT, "复议后起诉")),
)

# ---------------------------------------------------------------------------------------------
# Narrative, fee statement and metadata.
# ---------------------------------------------------------------------------------------------
# (key, label, help, required)
OVERVIEW_TEXTS: tuple[tuple[str, str, str, bool], ...] = (
    ("text.overview.summary", "概述", "可选：总体情况的开头段落。", False),
    (
        "text.overview.active",
        "（一）主动公开",
        "本年主动公开的做法和数量（如公开信息条数、栏目更新、政策解读）。",
        True,
    ),
    ("text.overview.on_request", "（二）依申请公开", "依申请公开的受理、办理情况；没有申请的也请说明。", True),
    ("text.overview.management", "（三）政府信息管理", "公开目录、公开指南、保密审查、规范性文件管理等。", True),
    ("text.overview.platform", "（四）政府信息公开平台建设", "政府网站公开专栏、政务新媒体等平台建设情况。", True),
    ("text.overview.supervision", "（五）监督保障", "组织领导、培训、考核、社会评议和责任追究情况。", True),
)
PROBLEMS_TEXT = (
    "text.problems",
    "存在的主要问题及改进情况",
    "存在的主要问题、改进措施，以及上年问题的整改情况。",
    True,
)
OTHER_TEXT = (
    "text.other",
    "其他需要报告的事项",
    "如人大代表建议和政协提案办理结果公开、年度政务公开工作要点落实、创新做法等。",
    False,
)

FEE_SUBJECT = "信息处理费"
FEE_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    # (key, label, type, unit) — 信息处理费 is reported in 元, not 万元.
    ("fee.notices", "本年发出收费通知件数", "int", "件"),
    ("fee.notice_amount", "收费通知总金额（单位：元）", "decimal", "元"),
    ("fee.collected", "本年实际收取信息处理费金额（单位：元）", "decimal", "元"),
)

# Report-level facts used in the opening paragraph and the signature (normally filled by the office
# that coordinates the report; other departments may leave them blank).
REPORT_INFO_TEXTS: tuple[tuple[str, str, str], ...] = (
    ("text.report.issuer", "落款机关（全称）", "报告落款使用的机关全称；不填则使用机关名称。"),
    ("text.report.contact_office", "联系机构", "负责解答本报告问题的机构，如“党政综合办公室”。"),
    ("text.report.address", "联系地址", ""),
    ("text.report.postcode", "邮政编码", ""),
    ("text.report.phone", "联系电话", "对外公布的咨询电话。"),
    ("text.report.website", "报告电子版网址", "本报告电子版可在何处查阅或下载。"),
)

# The answers of the "all numbers are 0" confirmation; only the first one confirms.
CONFIRM_CHOICES: tuple[str, ...] = ("是", "否")

# (key, label, locked in the personalized copy, help, severity when left empty, format).
# The coordinator has to call the clerk back about any question, so a missing name or phone is an
# error (the file cannot be used); a missing date only delays nothing, so it is a warning. The locked
# identity fields have their own checks (F-BODY, F-YEAR, F-DEPARTMENT); the confirmation is optional.
META_FIELDS: tuple[tuple[str, str, bool, str, str, str], ...] = (
    ("meta.body", "机关名称", True, "由汇总单位预先填好，不能修改。", "", ""),
    ("meta.year", "报告年度", True, "由汇总单位预先填好，不能修改。", "", ""),
    ("meta.department", "填报部门", True, "由汇总单位预先填好，不能修改。", "", ""),
    ("meta.preparer", "填报人", False, "填报人姓名，汇总单位有疑问时联系。", "error", ""),
    ("meta.phone", "联系电话", False, "填报人的联系电话，便于汇总单位核对。", "error", "phone"),
    ("meta.date", "填报日期", False, "如 2025-01-06。", "warning", "date"),
    (
        "meta.all_zero",
        "本部门本年度各表数字全部为0（确认）",
        False,
        "本年度各表确实没有发生任何事项时选“是”，各表可以不填；否则请在各表中逐项填写。",
        "",
        "choice",
    ),
)

# ---------------------------------------------------------------------------------------------
# The superseded 2019 trial format (国办公开办函〔2019〕60号), for reading reports of 2019 and 2020 and
# recognising later reports that still use it (rule X6). 表二 differs throughout; 表三 only in its single
# （六）其他处理 row; 表四 is unchanged (official-format.md §9). Keys are `t2_2019.<row>.<column>`, never
# 2021 keys: none of these cells maps onto a 2021 cell.
# ---------------------------------------------------------------------------------------------
FORMAT_2019_NAME = "国办公开办函〔2019〕60号"
_2019_MADE = Axis("made", ("本年新制作数量",))
_2019_PUBLISHED = Axis("published", ("本年新公开数量",))
_2019_TOTAL_PUBLISHED = Axis("total_published", ("对外公开总数量",))
_2019_LAST_YEAR_ITEMS = Axis("last_year_items", ("上一年项目数量",))
_2019_CHANGE = Axis("change", ("本年增/减",), "可为负数。")
_2019_DECISIONS = Axis("decisions", ("处理决定数量",))
_2019_ITEM9 = "第二十条第（九）项"
_2019_PROCUREMENT = Axis("procurement", ("政府集中采购",))
_2019_PURCHASES = Axis("items", ("采购项目数量",))
_2019_PURCHASE_AMOUNT = Axis("amount", ("采购总金额",), "单位：万元，可填小数。")

# (block key, block header, rows, columns), as T2_BLOCKS.
T2_2019_BLOCKS: tuple[tuple[str, str, tuple[Axis, ...], tuple[Axis, ...]], ...] = (
    (
        "item1",
        T2_BLOCKS[0][1],
        (T2_BLOCKS[0][2][0], Axis("normative_docs", ("规范性文件",))),
        (_2019_MADE, _2019_PUBLISHED, _2019_TOTAL_PUBLISHED),
    ),
    (
        "item5",
        T2_BLOCKS[1][1],
        (T2_BLOCKS[1][2][0], Axis("other_services", ("其他对外管理服务事项",))),
        (_2019_LAST_YEAR_ITEMS, _2019_CHANGE, _2019_DECISIONS),
    ),
    ("item6", T2_BLOCKS[2][1], T2_BLOCKS[2][2], (_2019_LAST_YEAR_ITEMS, _2019_CHANGE, _2019_DECISIONS)),
    ("item8", T2_BLOCKS[3][1], T2_BLOCKS[3][2], (_2019_LAST_YEAR_ITEMS, _2019_CHANGE)),
    ("item9", _2019_ITEM9, (_2019_PROCUREMENT,), (_2019_PURCHASES, _2019_PURCHASE_AMOUNT)),
)
# 表三 of the 2019 format has one （六）其他处理 row where 2021 has three; compared with 2021 it counts as
# （六）3.其他 (official-format.md §9). Its keys are `t3_2019.other.<column>`, columns as T3_COLUMNS.
T3_2019_OTHER_ROW = Axis("other", (_RESULTS, _OTHER))
# Columns that hold amounts (decimals) and changes (which may be negative) rather than counts.
T2_2019_DECIMAL_COLUMNS: tuple[str, ...] = (_2019_PURCHASE_AMOUNT.key,)
T2_2019_SIGNED_COLUMNS: tuple[str, ...] = (_2019_CHANGE.key,)

# Labels found only in the 2019 trial layout of 表二. They identify a report that used the superseded
# layout (rule X6); none of them is part of a 2021 label.
T2_2019_LABELS: tuple[str, ...] = (
    *(a.label for a in (_2019_MADE, _2019_PUBLISHED, _2019_TOTAL_PUBLISHED)),
    _2019_ITEM9,
    *(a.label for a in (_2019_PROCUREMENT, _2019_PURCHASES, _2019_PURCHASE_AMOUNT, _2019_LAST_YEAR_ITEMS)),
)
