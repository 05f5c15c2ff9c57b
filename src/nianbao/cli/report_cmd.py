"""`nianbao render`, `build`, `demo` and `import`: the Word report and reading it back."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from ..errors import UsageError
from ..findings import Finding
from .common import EXIT_FINDINGS, OutputPath, console, err_console, handle_errors, more_than_one
from .merge_cmd import ALLOW_MISSING_HELP, BODY_HELP, split_names

# Shipped as package data (pyproject.toml), so the demo runs from any folder after `pip install`.
DEMO_EXAMPLE = Path("data") / "examples" / "大榭街道-2024"
DEMO_ROSTER = "departments.csv"
DEMO_DATE = dt.date(2025, 1, 8)  # the date of the published report the example reproduces
DEMO_OUT = Path("nianbao-demo")
# The area example (区域汇总), beside the demo's own: its bodies, its roster and the area's name and signing date.
REGION_EXAMPLE = "示例区-2024"
REGION_ROSTER = "units.csv"
REGION_AREA = "示例区人民政府"
REGION_DATE = dt.date(2025, 2, 10)
_MAX_LISTED = 20


# -- shared helpers ---------------------------------------------------------------------------------
def _parse_date_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    from ..dates import parse_date

    try:
        return parse_date(value)
    except ValueError:
        raise click.BadParameter(f"日期格式应为 2025-01-08，实际为 {value}") from None


def _print_findings(findings: Sequence[Finding]) -> None:
    from .printing import print_findings

    print_findings(err_console, findings, limit=_MAX_LISTED, rest="，完整清单见 merged.json 的 findings")


def _print_render(outcome: Any, out: Path) -> bool:
    """Print what rendering one report came to. False when no report was written."""
    if outcome.template_summary:
        console.print(outcome.template_summary)
    if outcome.findings:
        _print_findings(outcome.findings)
    if outcome.docx is None:
        if outcome.template_refused:
            err_console.print(
                "[bold red]Word 模板不能使用，未生成报告。[/]按上面列出的段落改正模板（--draft 也不会使用这样的模板）。"
            )
        else:
            err_console.print(
                "[bold red]数据有错误，未生成报告。[/]改正后重试；如需先看效果，可加 --draft 生成标有“草稿”的报告。"
            )
        return False
    console.print(f"已生成报告：[bold]{escape(str(out))}[/]" + ("（草稿）" if outcome.draft else ""))
    if outcome.pdf is not None:
        console.print(f"已生成 PDF：[bold]{escape(str(outcome.pdf))}[/]")
    return True


HTML_HELP = "同时生成网页版（与 Word 报告同名的 .html）：无障碍、可在手机上阅读，内嵌可供 nianbao import 读取的数据。"
CHARTS_HELP = "在 Word 报告的表格之后加入图解（办理结果构成；有 --last-year 时与上年对比；汇总多个部门时各部门对比）。"


def _print_editions(editions: Any) -> None:
    """What --html and --charts produced, and why charts were left out."""
    for note in editions.notes:
        err_console.print(f"[yellow]{escape(note)}[/]")
    if editions.charts:
        console.print(f"图解 {len(editions.charts)} 幅：" + "、".join(escape(c.title) for c in editions.charts))
    if editions.html is not None:
        console.print(f"已生成网页：[bold]{escape(str(editions.html))}[/]")


def _charts_pdf(docx: Path, convert: bool) -> None:
    """--pdf with --charts converts after the charts are in the Word report, not before."""
    if convert:
        from ..report.pdf import convert_to_pdf

        (pdf_path,) = convert_to_pdf([docx], docx.parent)
        console.print(f"已生成 PDF：[bold]{escape(str(pdf_path))}[/]")


# -- render -----------------------------------------------------------------------------------------
@click.command("render")
@click.argument(
    "data_files", metavar="MERGED_JSON...", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False)
)
@click.option(
    "--out",
    type=OutputPath("any", lock=more_than_one("data_files")),
    required=True,
    help="输出的 Word 报告（.docx）；给出多个数据文件时为输出文件夹。",
)
@click.option(
    "--template", type=click.Path(path_type=Path, dir_okay=False), help="使用修改过的 Word 模板（先检查其中的占位符）。"
)
@click.option(
    "--date",
    "report_date",
    callback=_parse_date_option,
    help="落款日期，如 2025-01-08；默认取数据中的 date（汇总时为各部门最晚的填报日期），没有时必须给出。",
)
@click.option("--draft", is_flag=True, help="数据有错误也生成，每页标“草稿”。")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 转为 PDF。")
@click.option("--jobs", type=click.IntRange(min=1), help="同时生成报告的进程数；默认报告多时每个 CPU 核一个。")
@click.option("--html", is_flag=True, help=HTML_HELP)
@click.option("--charts", is_flag=True, help=CHARTS_HELP)
@click.option(
    "--last-year",
    type=click.Path(path_type=Path, dir_okay=False),
    help="上年数据（merged.json 或已发布的报告），图解中画出本年与上年的对比。",
)
@handle_errors
def render(
    data_files: tuple[Path, ...],
    out: Path,
    template: Path | None,
    report_date: dt.date | None,
    draft: bool,
    pdf: bool,
    jobs: int | None,
    html: bool,
    charts: bool,
    last_year: Path | None,
) -> None:
    """按官方格式把汇总数据（merged.json）生成 Word 报告；可一次生成多份。

    数据只需 body、year、values、texts 四项，其他系统导出的数字也可以生成。合计由各项重新计算。

    例：nianbao render 汇总结果/merged.json --out 报告.docx --pdf
        nianbao render 甲镇.json 乙镇.json 丙镇.json --out 报告
    """
    from .. import pipeline

    if len(data_files) == 1:
        from ..crossyear import load_last_year

        last = load_last_year(last_year) if last_year else None  # a bad file stops before any output
        outcome = pipeline.render(
            data_files[0], out, template=template, report_date=report_date, draft=draft, pdf=pdf and not charts
        )
        if not _print_render(outcome, out):
            sys.exit(EXIT_FINDINGS)
        if html or charts:
            from ..report.editions import render_editions

            _print_editions(
                render_editions(
                    data_files[0], out, html=html, charts=charts, draft=draft, report_date=report_date, last=last
                )
            )
            _charts_pdf(out, pdf and charts)
        return
    if last_year:
        raise UsageError("--last-year 只用于单个数据文件（上年数据属于一个机关），请逐份生成。")
    if out.suffix.lower() == ".docx" or out.is_file():
        raise UsageError(f"给出多个数据文件时，--out 应为文件夹，而不是 {out}。")
    if not _render_batch(
        data_files,
        out,
        template=template,
        report_date=report_date,
        draft=draft,
        pdf=pdf,
        jobs=jobs,
        html=html,
        charts=charts,
    ):
        sys.exit(EXIT_FINDINGS)


def _render_batch(
    sources: Sequence[Path],
    outdir: Path,
    *,
    template: Path | None,
    report_date: dt.date | None,
    draft: bool,
    pdf: bool,
    jobs: int | None,
    html: bool = False,
    charts: bool = False,
) -> bool:
    """Render many reports; one line per report that was not written. False when any was not."""
    from .. import pipeline
    from .progress import progress_bar

    with progress_bar("生成报告") as bar:
        outcomes, pdfs = pipeline.render_many(
            sources,
            outdir,
            template=template,
            report_date=report_date,
            draft=draft,
            jobs=jobs,
            pdf=pdf,
            progress=(lambda _w, d, t: bar(d, t)) if bar else None,
            html=html,
            charts=charts,
        )
    written = [o.output for o in outcomes if o.output is not None]
    for outcome in outcomes:
        if outcome.output is None:
            reason = outcome.error or "；".join(f.message for f in outcome.findings if f.is_error)
            err_console.print(f"[red]未生成[/] {escape(str(outcome.source))}：{escape(reason)}")
    warned = sum(1 for o in outcomes if o.output is not None and o.findings)
    console.print(
        f"已生成 {len(written)} 份报告（共 {len(outcomes)} 份数据），在 [bold]{escape(str(outdir))}[/]"
        + (f"；其中 {warned} 份有警告，可逐份用 nianbao render 查看" if warned else "")
    )
    if html or charts:
        _print_batch_editions(outcomes)
    if pdfs:
        console.print(f"已生成 PDF {len(pdfs)} 份。")
    return len(written) == len(outcomes)


def _print_batch_editions(outcomes: Sequence[Any]) -> None:
    """How many pages and charts the batch made; each reason for a missing chart once."""
    for note in dict.fromkeys(n for o in outcomes for n in o.notes):
        err_console.print(f"[yellow]{escape(note)}[/]")
    pages = sum(1 for o in outcomes if o.html is not None)
    if pages:
        console.print(f"已生成网页 {pages} 份（与各 Word 报告同名的 .html）。")
    drawn = sum(len(o.charts) for o in outcomes)
    if drawn:
        console.print(f"图解共 {drawn} 幅（{sum(1 for o in outcomes if o.charts)} 份报告）。")


# -- build ------------------------------------------------------------------------------------------
def _no_final_report(findings: Sequence[Finding], not_returned: Sequence[str]) -> None:
    """Why no final report was written, and the two ways to get one."""
    reasons = []
    if not_returned:
        reasons.append(f"{len(not_returned)} 个部门未报送（{'、'.join(not_returned)}）")
    others = [f for f in findings if f.is_error and f.code != "F-MISSING"]
    if others:
        reasons.append(f"有 {len(others)} 个错误（见上面的清单）")
    options = ["改正后重新运行" if others else "催报后重新运行", "加 --draft 先生成每页标“草稿”的报告"]
    if not_returned:
        options.insert(1, f"如这些部门经同意不报送，加 --allow-missing {','.join(not_returned)} 生成正式报告")
    err_console.print(
        f"[bold red]未生成报告[/]：{escape('；'.join(reasons))}，不能生成正式报告。"
        f"可以：{escape('；'.join(f'{i}. {o}' for i, o in enumerate(options, start=1)))}。"
    )


def _print_merge_summary(result: Any, written: Sequence[Path], outdir: Path) -> None:
    console.print("汇总结果：" + "、".join(escape(p.name) for p in written) + f"（在 {escape(str(outdir))}）")
    if result.allowed_missing:
        console.print(f"经同意不报送（{len(result.allowed_missing)} 个）：{escape('、'.join(result.allowed_missing))}")
    warnings = sum(1 for f in result.findings if not f.is_error)
    if warnings and not result.has_errors:
        console.print(f"[yellow]汇总有 {warnings} 条警告[/]，请在 汇总.xlsx 的问题清单中核实。")


def build_report(
    directory: Path,
    roster: Path | None,
    outdir: Path,
    *,
    template: Path | None = None,
    report_date: dt.date | None = None,
    draft: bool = False,
    pdf: bool = False,
    last_year: Path | None = None,
    allowed_missing: Sequence[str] = (),
    body: str | None = None,
) -> Path | None:
    """`pipeline.build`, with what it came to printed; the report path, or None if blocked."""
    from .. import pipeline
    from .progress import progress_bar

    with progress_bar("读取工作簿") as bar:
        result = pipeline.build(
            directory,
            outdir,
            roster=roster,
            template=template,
            report_date=report_date,
            draft=draft,
            pdf=pdf,
            last_year=last_year,
            allowed_missing=allowed_missing,
            body=body,
            progress=(lambda _w, d, t: bar(d, t)) if bar else None,
        )
    if result.blocked == "template":
        _print_findings(result.findings)
        err_console.print("[bold red]Word 模板不能使用，未汇总，也未生成报告。[/]按上面列出的段落改正模板后重试。")
        return None
    assert result.merge is not None
    _print_merge_summary(result.merge, result.outputs, outdir)
    if result.blocked == "date":
        raise UsageError(result.message)
    if result.blocked == "findings":
        _print_findings(result.findings)
        _no_final_report(result.findings, result.merge.not_returned)
        return None
    if result.merge.has_errors:
        _print_findings(result.merge.findings)
    assert result.render is not None
    out = outdir / result.render.docx.name if result.render.docx is not None else outdir
    return result.report if _print_render(result.render, out) else None


@click.command("build")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--roster", type=click.Path(path_type=Path, dir_okay=False), help="部门名单（CSV 或 .xlsx，含“部门”列）。"
)
@click.option(
    "--out",
    "outdir",
    type=OutputPath("folder", lock=True),
    default=Path("汇总结果"),
    show_default=True,
    help="输出文件夹：汇总结果和 Word 报告。",
)
@click.option("--template", type=click.Path(path_type=Path, dir_okay=False), help="使用修改过的 Word 模板。")
@click.option(
    "--date",
    "report_date",
    callback=_parse_date_option,
    help="落款日期，如 2025-01-08；默认为各部门最晚的填报日期，都没有填写时必须给出。",
)
@click.option("--draft", is_flag=True, help="有部门未报送、汇总有错误或必填的部分没有文字时也生成报告，每页标“草稿”。")
@click.option("--allow-missing", "allow_missing", multiple=True, metavar="部门", help=ALLOW_MISSING_HELP)
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 转为 PDF。")
@click.option(
    "--last-year",
    type=click.Path(path_type=Path, dir_okay=False),
    help="上年数据（merged.json 或已发布的报告），用于跨年度核对；核对出错误时不生成报告（除非 --draft）。",
)
@click.option("--body", help=BODY_HELP)
@click.option("--html", is_flag=True, help=HTML_HELP)
@click.option("--charts", is_flag=True, help=CHARTS_HELP + "汇总.xlsx 中另加“图解”表。")
@handle_errors
def build(
    directory: Path,
    roster: Path | None,
    outdir: Path,
    template: Path | None,
    report_date: dt.date | None,
    draft: bool,
    allow_missing: tuple[str, ...],
    pdf: bool,
    last_year: Path | None,
    body: str | None,
    html: bool,
    charts: bool,
) -> None:
    """汇总文件夹中各部门交回的工作簿，然后生成 Word 报告（一步完成）。

    只有名单中的部门都已报送（或用 --allow-missing 注明经同意不报送）、汇总没有错误、必填的部分都有文字时，
    才生成正式报告；否则可加 --draft 生成标有“草稿”的报告。

    例：nianbao build 收到的报表 --roster 部门名单.csv --out 汇总结果
    """
    if (
        _build_editions(
            directory,
            roster,
            outdir,
            template=template,
            report_date=report_date,
            draft=draft,
            pdf=pdf,
            last_year=last_year,
            allowed_missing=split_names(allow_missing),
            body=body,
            html=html,
            charts=charts,
        )
        is None
    ):
        sys.exit(EXIT_FINDINGS)


def _build_editions(
    directory: Path,
    roster: Path | None,
    outdir: Path,
    *,
    html: bool,
    charts: bool,
    pdf: bool,
    draft: bool = False,
    report_date: dt.date | None = None,
    last_year: Path | None = None,
    **options: Any,
) -> Path | None:
    """`build_report`, then the web page and the charts when asked; the report path, or None if blocked."""
    report = build_report(
        directory,
        roster,
        outdir,
        report_date=report_date,
        draft=draft,
        pdf=pdf and not charts,
        last_year=last_year,
        **options,
    )
    if report is not None and (html or charts):
        from ..report.editions import build_editions

        _print_editions(
            build_editions(
                outdir, report, html=html, charts=charts, draft=draft, report_date=report_date, last_year=last_year
            )
        )
        _charts_pdf(report, pdf and charts)
    return report


# -- demo -------------------------------------------------------------------------------------------
def find_example() -> Path | None:
    """The bundled example, installed with the package (a wheel installs it as plain files)."""
    candidate = Path(__file__).resolve().parents[1] / DEMO_EXAMPLE
    return candidate if (candidate / DEMO_ROSTER).is_file() else None


@click.command("demo")
@click.option(
    "--out", "outdir", type=OutputPath("folder", lock=True), default=DEMO_OUT, show_default=True, help="输出文件夹。"
)
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 转为 PDF。")
@click.option(
    "--region",
    is_flag=True,
    help="演示区域汇总：示例区的 4 个单位（大榭街道的科室报表、示例镇的报表、区教育局发布的网页、"
    "区政府办公室的报表）汇成全区的报告，并生成网页版和图解。",
)
@handle_errors
def demo(outdir: Path, pdf: bool, region: bool) -> None:
    """用自带的示例（大榭街道 2024 年，6 个科室的报表）演示汇总并生成报告；加 --region 演示区域汇总。"""
    example = find_example()
    if example is None:
        raise UsageError(
            f"找不到自带的示例文件夹 nianbao/{DEMO_EXAMPLE.as_posix()}：安装可能不完整，请重新安装 nianbao。"
        )
    if region:
        _demo_region(example, outdir, pdf)
        return
    console.print(f"示例：{escape(str(example))}（{len(list(example.glob('*.xlsx')))} 个部门的报表）")
    report = build_report(example, example / DEMO_ROSTER, outdir, report_date=DEMO_DATE, pdf=pdf)
    if report is None:
        sys.exit(EXIT_FINDINGS)
    console.print(f"[bold green]完成。[/]报告在：[bold]{escape(str(report.resolve()))}[/]")


def _demo_region(example: Path, outdir: Path, pdf: bool) -> None:
    """The area example's bodies, with 大榭街道's workbooks taken from the demo's own example, in one inbox."""
    import shutil
    import tempfile

    region = example.parent / REGION_EXAMPLE
    if not (region / REGION_ROSTER).is_file():
        raise UsageError("找不到自带的区域汇总示例：安装可能不完整，请重新安装 nianbao。")
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "各单位报送"
        shutil.copytree(region, inbox)
        shutil.copytree(example, inbox / "大榭街道", ignore=shutil.ignore_patterns("*.csv"))
        console.print(
            f"示例：{REGION_AREA} 的 4 个单位（{escape(str(region))}，大榭街道的报表取自 {escape(str(example))}）"
        )
        report = _build_editions(
            inbox,
            inbox / REGION_ROSTER,
            outdir,
            report_date=REGION_DATE,
            pdf=pdf,
            html=True,
            charts=True,
            body=REGION_AREA,
        )
    if report is None:
        sys.exit(EXIT_FINDINGS)
    console.print(
        f"[bold green]完成。[/]全区的报告在：[bold]{escape(str(report.resolve()))}[/]（网页版和图解在同一文件夹）"
    )


# -- import -----------------------------------------------------------------------------------------
@click.command("import")
@click.argument("report", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="以 merged.json 的格式输出到标准输出。")
@click.option("--out", type=OutputPath("file"), help="把 JSON 写入此文件。")
@handle_errors
def import_(report: Path, as_json: bool, out: Path | None) -> None:
    """读取已发布的年度报告（.docx、网页 .html/.htm、带文字层的 PDF、纯文本、Markdown .md），取回机关名称、年度、三张表的数字和各部分文字。

    本工具生成的 Word 报告可完整取回；其他机关的报告按标签容错对齐，读不出的内容列在 problems 中，不会用 0 代替。

    例：nianbao import 报告.docx --json > merged.json
    """
    from .. import pipeline
    from ..fileio import write_text_atomic
    from ..numbers import jsonable

    data = jsonable(pipeline.import_report(report))
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if out is not None:
        write_text_atomic(out, text + "\n")
        console.print(f"已写入：{escape(str(out))}")
    if as_json:
        click.echo(text)
    elif out is None:
        n = len(data["values"])
        console.print(
            f"{escape(data['body'])} {data['year']} 年报告：读到 {n} 个数字、{len(data['texts'])} 项文字。"
            "加 --json 输出全部内容。"
        )
        if data.get("missing"):
            console.print(f"[yellow]有 {len(data['missing'])} 个数字未找到[/]（见 --json 输出中的 missing）。")
        for problem in data.get("problems", []):
            console.print(f"[yellow]{escape(problem['code'])}[/] {escape(problem['message'])}")


COMMANDS = [render, build, demo, import_]
