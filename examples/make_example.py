"""Regenerate the bundled example: the roster and the workbooks the 科室 of 大榭街道 returned for 2024.

The numbers add up to the published 大榭街道 2024 report (252 行政处罚 decisions, nothing else, no
applications). The 党建综合办（党政办） writes the narrative and the report information.

The example ships inside the package (src/nianbao/data/examples/), so `nianbao demo` runs from any folder.
Run from the repository root:  python examples/make_example.py
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from nianbao.fileio import write_text_atomic
from nianbao.form import FORM
from nianbao.workbook.template import Identity, write_filled

HERE = Path(__file__).resolve().parents[1] / "src" / "nianbao" / "data" / "examples" / "大榭街道-2024"
BODY = "大榭街道"
YEAR = 2024
ROSTER = "departments.csv"
FILLED_ON = "2025-01-06"

# 行政处罚 decisions made by each office in 2024 (they add up to the published 252).
PENALTIES: dict[str, int] = {
    "党建综合办（党政办）": 0,
    "经济发展办": 6,
    "社会事务办": 9,
    "城市管理办": 41,
    "综合行政执法队": 183,
    "平安建设办": 13,
}
PREPARERS: dict[str, str] = {
    "党建综合办（党政办）": "王敏",
    "经济发展办": "陈立",
    "社会事务办": "张静",
    "城市管理办": "李洋",
    "综合行政执法队": "周斌",
    "平安建设办": "吴昊",
}
# Each preparer's office line (fictional numbers in the 0574 area code), for the coordinator's call-backs.
PHONES: dict[str, str] = {department: f"0574-8676{1001 + i}" for i, department in enumerate(PREPARERS)}
COORDINATOR = "党建综合办（党政办）"

NARRATIVE: dict[str, str] = {
    "text.overview.summary": (
        "2024年，大榭街道在区委、区政府的领导下，认真贯彻落实《中华人民共和国政府信息公开条例》，"
        "围绕街道中心工作，不断健全政府信息公开工作机制，规范公开流程，提升公开质量，"
        "切实保障公民、法人和其他组织依法获取政府信息。"
    ),
    "text.overview.active": (
        "严格按照规定的公开类别、公开时间和公开程序，以群众关心的政策文件、依法行政、民生实事等信息为重点，"
        "按时发布制度性、政策性信息。根据机构设置和人事变动情况及时调整内设机构与领导信息，"
        "及时发布政府采购、财务预算决算及审计、巡察反馈等信息。\n"
        "2024年度，我街道共公开政务信息209条，作出行政处罚决定252件，各栏目均正常有效更新。"
    ),
    "text.overview.on_request": (
        "畅通依申请公开渠道，规范受理、办理、答复流程。2024年度，我街道未收到政府信息公开申请，"
        "无上年结转的申请，未发生因政府信息公开工作被申请行政复议、提起行政诉讼的情况。"
    ),
    "text.overview.management": (
        "对照上级政府信息公开有关要求，及时调整街道公开指南和公开目录，进一步明确有关科室的公开事项和责任。"
        "完善政府信息主动公开、依申请公开、保密审查、公文类信息公开发布等制度，"
        "严格落实三级审核制度，确保公开内容全面真实、及时准确。"
    ),
    "text.overview.platform": (
        "依托北仑区人民政府门户网站大榭街道政府信息公开专栏集中发布政府信息，"
        "不定期对栏目更新情况进行检查，并根据区政务公开中心检查、监测发现的问题及时整改。"
    ),
    "text.overview.supervision": (
        "街道通过召开党工委会议和政务公开领导小组会议研究部署相关工作，动态调整政务公开领导小组，"
        "由党建综合办负责政务公开日常工作，构建主要领导带头抓、分管领导具体抓、相关科室落实抓的责任体系，"
        "并组织信息公开业务培训。\n"
        "本年度，我街道没有发生因政务公开工作失误被追究责任的情况。"
    ),
    "text.problems": (
        "本年度我街道进一步完善了政府信息公开制度和工作机制，较好地完成了政府信息公开各项工作要求，"
        "但也存在一些问题和不足：一是公开内容还不够全面，政务公开平台部分栏目依然没有设置或无内容公开，"
        "政务新媒体的新旧更替和有效使用也不太到位；二是政策宣传解读力度有待加强，"
        "宣传的形式和渠道相对单一，缺乏创新性和互动性。\n"
        "针对上述问题，我们将采取以下改进措施：一是对政务公开平台进行全面梳理，"
        "针对缺失或内容不完整的栏目，及时补充和完善相关信息；二是拓宽政策宣传渠道，"
        "利用微信公众号等新媒体平台加强与公众的互动交流；三是对政务新媒体进行规范管理，"
        "明确责任分工，确保新旧媒体有序更替和有效利用。"
    ),
    "text.other": (
        "根据国务院办公厅印发的《政府信息公开信息处理费管理办法》和浙江省政府办公厅、宁波市政府办公厅"
        "关于政府信息公开信息处理费收取工作的有关规定，我街道全年没有收到超出一定数量或者频次范围的"
        "政府信息公开申请，也未对申请人收取信息处理费。"
    ),
    "text.report.issuer": "宁波市北仑区人民政府大榭街道办事处",
    "text.report.contact_office": "大榭街道党建综合办（党政办）",
    "text.report.website": "北仑区人民政府门户网站大榭街道政府信息公开专栏",
}


def department_values(penalties: int) -> dict[str, int]:
    """Every input number of the form: 0, except this office's 行政处罚 decisions."""
    values = dict.fromkeys(FORM.input_numeric_keys, 0)
    values["t2.penalty.decisions"] = penalties
    return values


def roster_csv() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["部门"])
    writer.writerows([d] for d in PENALTIES)
    return buffer.getvalue()


def main() -> None:
    write_text_atomic(HERE / ROSTER, roster_csv())
    for department, penalties in PENALTIES.items():
        write_filled(
            HERE / f"{department}.xlsx",
            Identity(body=BODY, year=YEAR, department=department),
            department_values(penalties),
            texts=NARRATIVE if department == COORDINATOR else None,
            meta={"meta.preparer": PREPARERS[department], "meta.phone": PHONES[department], "meta.date": FILLED_ON},
        )
    print(f"已生成 {len(PENALTIES)} 个部门的工作簿和 {ROSTER}（{HERE.name}）")


if __name__ == "__main__":
    main()
