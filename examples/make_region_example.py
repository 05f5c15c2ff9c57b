"""Regenerate the bundled area example (区域汇总): what the bodies of a small district sent its 主管部门 for 2024.

The district 示例区 compiles its report from four bodies, each in another form:
- 大榭街道: its 科室's returned workbooks (the demo's own example, copied in by `nianbao demo --region`, not kept twice);
- 示例镇人民政府: the workbooks of its two offices;
- 示例区教育局: its report as published on the web (the page `nianbao render --html` writes);
- 示例区人民政府: the district office's own workbook, which also writes the area report's narrative.
All names and figures except 大榭街道's are made up. Run from the repository root:
    python examples/make_region_example.py
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from nianbao.fileio import write_text_atomic
from nianbao.form import FORM
from nianbao.report.context import read_report_data
from nianbao.report.html import render_html
from nianbao.report.render import report_filename
from nianbao.workbook.template import Identity, write_filled

HERE = Path(__file__).resolve().parents[1] / "src" / "nianbao" / "data" / "examples" / "示例区-2024"
AREA = "示例区人民政府"
YEAR = 2024
ROSTER = "units.csv"
BODIES = (AREA, "大榭街道", "示例镇人民政府", "示例区教育局")
FILLED_ON = "2025-01-08"
PUBLISHED = dt.date(2025, 1, 20)

AREA_TEXTS: dict[str, str] = {
    "text.overview.summary": (
        "2024年，示例区认真贯彻落实《中华人民共和国政府信息公开条例》，以公开为常态、不公开为例外，"
        "统筹推进全区政务公开工作。本报告由示例区人民政府办公室根据区政府各部门和各镇（街道）的年度报告汇总编制。"
    ),
    "text.overview.active": "全区各部门、各镇（街道）围绕重点领域持续做好主动公开，及时发布政策文件、行政执法和民生实事等信息。",
    "text.overview.on_request": "全区畅通依申请公开渠道，规范受理、办理和答复流程，依法保障申请人的合法权益。",
    "text.overview.management": "全区及时调整政府信息公开指南和公开目录，严格落实保密审查，做好行政规范性文件的统一登记和公开。",
    "text.overview.platform": "依托区政府门户网站政府信息公开专栏集中发布政府信息，加强政务新媒体的日常管理。",
    "text.overview.supervision": "区政府办公室作为全区政务公开工作主管部门，组织业务培训，开展季度检查和年度考核。",
    "text.problems": (
        "全区政务公开工作仍存在一些不足：一是部分单位栏目更新不够及时；二是政策解读形式较为单一。"
        "下一步将加强日常监测和通报，丰富图解、视频等解读形式。"
    ),
    "text.other": "全区各单位本年度均未收取信息处理费。",
    "text.report.issuer": AREA,
    "text.report.contact_office": "示例区人民政府办公室",
    "text.report.website": "示例区人民政府门户网站政府信息公开专栏",
}
TOWN_TEXTS: dict[str, str] = {
    "text.overview.active": "本年度我镇通过镇政府信息公开专栏主动公开政府信息。",
    "text.problems": "信息公开的及时性有待提高，下一步将加强栏目日常维护。",
    "text.report.issuer": "示例镇人民政府",
}
BUREAU_TEXTS: dict[str, str] = {
    "text.overview.summary": "2024年，示例区教育局认真贯彻落实《中华人民共和国政府信息公开条例》，扎实做好教育领域政府信息公开。",
    "text.overview.active": "围绕招生入学、教育收费、学校安全等群众关心的事项，及时主动公开有关信息。",
    "text.overview.on_request": "规范办理政府信息公开申请，按时答复申请人。",
    "text.problems": "政策解读的针对性还需加强，下一步将围绕招生入学等事项做好解读。",
    "text.other": "本年度未收取信息处理费。",
    "text.report.issuer": "示例区教育局",
}


def _values(**given: int) -> dict[str, int]:
    """Every input number of the form: 0, except those given (keys with dots written as __)."""
    values = dict.fromkeys(FORM.input_numeric_keys, 0)
    values.update({k.replace("__", "."): v for k, v in given.items()})
    return values


def _applications(values: dict[str, int], column: str, new: int, disclosed: int, partly: int,
                  not_held: int) -> dict[str, int]:
    """Applications of one applicant column, all concluded within the year."""
    values[f"t3.new.{column}"] = new
    values[f"t3.disclosed.{column}"] = disclosed
    values[f"t3.partly_disclosed.{column}"] = partly
    values[f"t3.unavailable_not_held.{column}"] = not_held
    assert disclosed + partly + not_held == new
    return values


def _workbook(path: Path, body: str, department: str, values: dict[str, int], texts: dict[str, str] | None,
              preparer: str, phone: str) -> None:
    write_filled(path, Identity(body=body, year=YEAR, department=department), values, texts=texts,
                 meta={"meta.preparer": preparer, "meta.phone": phone, "meta.date": FILLED_ON})


def _roster() -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["部门"])  # the roster's column: for an area, its bodies
    writer.writerows([b] for b in BODIES)
    return buffer.getvalue()


def main() -> None:
    write_text_atomic(HERE / ROSTER, _roster())
    office = _applications(_values(t2__normative_docs__issued=3, t2__normative_docs__in_force=41), "natural_person",
                           new=6, disclosed=4, partly=1, not_held=1)
    _workbook(HERE / AREA / "区政府办公室.xlsx", AREA, "区政府办公室", office, AREA_TEXTS, "林芳", "0574-86000001")
    town = "示例镇人民政府"
    _workbook(HERE / town / "党政办.xlsx", town, "党政办",
              _applications(_values(), "natural_person", new=2, disclosed=2, partly=0, not_held=0), TOWN_TEXTS,
              "郑伟", "0574-86000011")
    _workbook(HERE / town / "综合执法办.xlsx", town, "综合执法办", _values(t2__penalty__decisions=37), None,
              "孙磊", "0574-86000012")
    bureau = _applications(_values(t2__licensing__decisions=120, t4__review__upheld=1), "natural_person",
                           new=9, disclosed=6, partly=2, not_held=1)
    bureau = _applications(bureau, "business", new=1, disclosed=1, partly=0, not_held=0)
    report = read_report_data({"body": "示例区教育局", "year": YEAR, "values": bureau, "texts": BUREAU_TEXTS,
                               "date": PUBLISHED.isoformat()})
    page = HERE / report_filename("示例区教育局", YEAR).replace(".docx", ".html")
    render_html(report, page, PUBLISHED)
    print(f"已生成示例区的区域汇总示例（{HERE.name}）：{len(BODIES)} 个单位，其中 大榭街道 的报表取自自带的大榭街道示例")


if __name__ == "__main__":
    main()
