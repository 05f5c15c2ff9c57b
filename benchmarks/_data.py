"""Plausible, rule-abiding report data for the benchmark: department workbooks and render inputs.

Values are drawn per department from a seeded generator, so the same N always gives the same files.
Every table value is built so that the rules of the form hold (sums, bounds, zero rules), and the
totals come from `FORM.compute_derived`, never typed here.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

from nianbao.form import FORM, BoundRule, SumRule, ZeroRule, official
from nianbao.numbers import to_json

# Bump when the generator changes, so cached files are rebuilt.
GENERATOR_VERSION = "4"

CACHE = Path(__file__).resolve().parent / ".cache"
BODY = "青山区人民政府"
YEAR = 2024

_AREAS = (
    "区", "城关", "东城", "西城", "南湖", "北山", "河口", "新港", "高新", "临江", "长安", "安平", "永宁",
    "青石", "白沙", "金台", "柳林", "桃源", "松岭", "龙泉", "凤凰", "梅溪", "石门", "清河", "双桥",
    "望江", "红星", "太平", "兴隆", "和平", "光明", "胜利", "向阳", "新华", "朝阳", "建设", "团结",
    "东风", "前进", "五里",
)
_OFFICES = (
    "发展和改革局", "教育局", "科学技术局", "工业和信息化局", "公安分局", "民政局", "司法局", "财政局",
    "人力资源和社会保障局", "自然资源分局", "生态环境分局", "住房和城乡建设局", "交通运输局", "水利局",
    "农业农村局", "商务局", "文化和旅游局", "卫生健康局", "退役军人事务局", "应急管理局", "审计局",
    "市场监督管理局", "统计局", "医疗保障局", "城市管理局", "行政审批局", "信访局", "街道办事处",
    "镇人民政府", "综合行政执法局",
)

_PARAGRAPHS = (
    "围绕年度政务公开工作要点，{dept}健全工作机制，明确分管领导和责任科室，把政府信息公开纳入年度工作计划统筹推进。",
    "严格落实公开前保密审查和三级审核制度，对拟公开的信息逐条核对，确保公开内容全面真实、及时准确。",
    "依托政府门户网站信息公开专栏及时发布机构职能、规范性文件、财政预决算、行政执法等信息，并同步做好政策解读。",
    "畅通依申请公开渠道，规范受理、登记、办理、答复等各环节，严格在法定期限内答复，切实保障申请人合法权益。",
    "动态更新政府信息公开指南和公开目录，加强公文类信息公开属性源头认定，推进历史信息清理和归档。",
    "加强政务新媒体管理，定期开展巡查和内容审核，做到信息发布及时、回应关切有力、互动交流顺畅。",
    "组织开展政府信息公开业务培训，提升工作人员依法公开意识和业务能力，将政务公开纳入年度绩效考核。",
    "主动接受社会监督，公布监督举报电话，本年度未发生因政府信息公开工作被追究责任的情况。",
)
_PROBLEMS = (
    "一是政策解读形式还比较单一，图解、视频等多元化解读偏少；二是部分栏目更新不够及时。",
    "下一步，{dept}将丰富解读形式，建立栏目更新台账，定期自查，确保信息公开及时、准确、规范。",
    "上年度报告提出的栏目内容不全问题已完成整改。",
)


def department_names(n: int) -> list[str]:
    """n distinct, plausible department names (area × office)."""
    names = [f"{area}{office}" if area != "区" else f"区{office}" for area in _AREAS for office in _OFFICES]
    if n > len(names):
        raise ValueError(f"at most {len(names)} departments")
    return names[:n]


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """total split into `parts` non-negative integers, lumpy like real data."""
    weights = [rng.random() ** 2 for _ in range(parts)]
    s = sum(weights) or 1.0
    out = [int(total * w / s) for w in weights]
    out[rng.randrange(parts)] += total - sum(out)
    return out


def table_inputs(rng: random.Random) -> dict[str, int | Decimal]:
    """The input cells of 表二/表三/表四 for one department."""
    v: dict[str, int | Decimal] = {}
    t2 = [f for f in FORM.table("t2").fields if f.input]
    for f in t2:
        v[f.key] = 0
    # No 规章制定权 at district level: 规章 stays 0 (a warning otherwise).
    issued, repealed = rng.randint(0, 12), rng.randint(0, 3)
    v["t2.normative_docs.issued"] = issued
    v["t2.normative_docs.repealed"] = repealed
    v["t2.normative_docs.in_force"] = repealed + rng.randint(issued, issued + 60)
    v["t2.licensing.decisions"] = rng.choice([0, 0, rng.randint(1, 2000)])
    v["t2.penalty.decisions"] = rng.choice([0, rng.randint(1, 400)])
    v["t2.enforcement.decisions"] = rng.choice([0, 0, rng.randint(1, 40)])
    v["t2.fees.amount"] = rng.choice([Decimal(0), Decimal(rng.randint(0, 99999)) / 100])

    columns = [c.key for c in official.T3_COLUMNS if c.key != "total"]
    results = official.T3_RESULT_ROWS
    busy = rng.random() < 0.8  # some departments receive no application at all
    for col in columns:
        concluded = rng.randint(0, 60 if col == "natural_person" else 6) if busy else 0
        for row, n in zip(results, _split(rng, concluded, len(results)), strict=True):
            v[f"t3.{row}.{col}"] = n
        forward = rng.randint(0, 3) if concluded else 0
        carried_over = rng.randint(0, concluded + forward) if concluded else 0
        v[f"t3.carried_forward.{col}"] = forward
        v[f"t3.carried_over.{col}"] = carried_over
        v[f"t3.new.{col}"] = concluded + forward - carried_over

    applications = sum(int(v[f"t3.new.{c}"]) + int(v[f"t3.carried_over.{c}"]) for c in columns)
    for block, _labels in official.T4_BLOCKS:
        for outcome in official.T4_OUTCOMES:
            if outcome.key != "total":
                v[f"t4.{block}.{outcome.key}"] = 0
    if applications >= 8:
        cases = rng.randint(0, min(4, applications // 4))
        for outcome, n in zip(("upheld", "corrected", "other", "pending"), _split(rng, cases, 4), strict=True):
            v[f"t4.review.{outcome}"] = n
        if cases:
            v["t4.suit_direct.upheld"] = rng.randint(0, 1)
            v["t4.suit_after_review.upheld"] = rng.randint(0, 1)
    return v


def fee_inputs(rng: random.Random, values: dict[str, int | Decimal]) -> dict[str, int | Decimal]:
    """信息处理费 in 元, consistent with 表三（六）2."""
    unpaid = sum(int(values[k]) for k in values if k.startswith("t3.other_unpaid_fee."))
    notices = unpaid + (rng.randint(0, 2) if unpaid else 0)
    amount = Decimal(notices * rng.randint(100, 600))
    return {"fee.notices": notices, "fee.notice_amount": amount, "fee.collected": Decimal(0)}


def texts_for(rng: random.Random, dept: str, fee: dict[str, int | Decimal]) -> dict[str, str]:
    def para(k: int) -> str:
        return "".join(p.format(dept=dept) for p in rng.sample(_PARAGRAPHS, k))

    texts = {key: para(rng.randint(2, 4)) for key in FORM.text_keys if key.startswith("text.overview.")}
    texts["text.problems"] = "".join(p.format(dept=dept) for p in _PROBLEMS)
    texts["text.other"] = (
        "本年度未收取信息处理费。" if not fee["fee.notices"]
        else f"本年度发出收费通知{fee['fee.notices']}件，金额{fee['fee.notice_amount']}元，实际未收取。"
    )
    texts["text.report.contact_office"] = f"{dept}办公室"
    texts["text.report.phone"] = f"0571-8{rng.randint(1000000, 9999999)}"
    return texts


def department_data(index: int, dept: str) -> dict[str, Any]:
    """One department's inputs: table values, fee figures, texts and metadata."""
    rng = random.Random(f"nianbao-bench-{index}")
    values = table_inputs(rng)
    fee = fee_inputs(rng, values)
    values.update(fee)
    meta = {"meta.preparer": "王" + "明华丽军芳"[index % 5], "meta.phone": f"1390000{index:04d}",
            "meta.date": f"{YEAR + 1}-01-{rng.randint(5, 20):02d}"}
    return {"department": dept, "values": values, "texts": texts_for(rng, dept, fee), "meta": meta}


def rule_violations(values: dict[str, int | Decimal]) -> list[str]:
    """Codes of the form's rules the (derived) values break; the generator must produce none."""
    full = {**values, **FORM.compute_derived(values)}
    bad: list[str] = []
    for rule in FORM.rules:
        if isinstance(rule, SumRule) and sum(full[k] for k in rule.lhs) != sum(full[k] for k in rule.rhs):
            bad.append(rule.code)
        elif isinstance(rule, BoundRule) and sum(full[k] for k in rule.lhs) > sum(full[k] for k in rule.rhs):
            bad.append(rule.code)
        elif isinstance(rule, ZeroRule) and not any(full[k] for k in rule.condition) and any(full[k] for k in rule.targets):
            bad.append(rule.code)
    return bad


# -- workbooks ------------------------------------------------------------------------------------
def source_digest() -> str:
    """A short hash of the code that shapes the files (the form and the template writer)."""
    import nianbao

    root = Path(nianbao.__file__).parent
    h = hashlib.sha256(GENERATOR_VERSION.encode())
    for sub in ("form", "workbook"):
        for path in sorted((root / sub).glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:10]


def workbook_dir(n: int) -> Path:
    # Keyed by N and the template version (plus the generator's own version); the code digest is
    # recorded inside, so a stale cache is reported rather than silently rebuilt under a running benchmark.
    return CACHE / f"workbooks-{FORM.template_version}-g{GENERATOR_VERSION}-n{n}"


def stale_note(folder: Path) -> str:
    """A warning when the cached files were made by other template code than the installed one."""
    marker = folder / ".complete"
    made_by = marker.read_text(encoding="utf-8").strip() if marker.exists() else ""
    if made_by and made_by != source_digest():
        return f"{folder.name} was generated by other template code ({made_by}); use --regenerate to rebuild it"
    return ""


def _publish(tmp: Path, out: Path) -> None:
    """Move a finished folder into place; if a concurrent run got there first, keep theirs."""
    (tmp / ".complete").write_text(source_digest() + "\n", encoding="utf-8")
    try:
        tmp.rename(out)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)


def _write_one(args: tuple[Path, int, str]) -> None:
    from nianbao.workbook.template import Identity, write_filled

    path, index, dept = args
    data = department_data(index, dept)
    write_filled(path, Identity(BODY, YEAR, dept), data["values"], data["texts"], data["meta"])


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _start(out: Path, regenerate: bool) -> Path | None:
    """None when `out` is complete already; else a fresh partial folder to fill and then publish."""
    if regenerate and out.exists():
        shutil.rmtree(out)
    if (out / ".complete").exists():
        return None
    CACHE.mkdir(parents=True, exist_ok=True)  # a fresh checkout has no cache folder yet
    return Path(tempfile.mkdtemp(prefix=out.name + ".", suffix=".partial", dir=CACHE))


def ensure_workbooks(n: int, workers: int | None = None, regenerate: bool = False) -> Path:
    """The directory of n filled workbooks plus departments.csv, generated once (both cores)."""
    out = workbook_dir(n)
    tmp = _start(out, regenerate)
    if tmp is None:
        return out
    (tmp / "returned").mkdir()
    names = department_names(n)
    jobs = [(tmp / "returned" / f"{i:04d}_{name}.xlsx", i, name) for i, name in enumerate(names, start=1)]
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        list(pool.map(_write_one, jobs, chunksize=max(1, n // 40)))
    with open(tmp / "departments.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["部门"])
        writer.writerows([name] for name in names)
    _publish(tmp, out)
    return out


# -- render inputs ----------------------------------------------------------------------------------
def report_data(index: int, dept: str) -> dict[str, Any]:
    """A merged.json-shaped document for one department's report."""
    d = department_data(index, dept)
    numbers = {**FORM.compute_derived(d["values"]), **{k: d["values"][k] for k in d["values"] if k.startswith("fee.")}}
    return {
        "body": dept, "year": YEAR, "template_version": FORM.template_version,
        "values": {k: to_json(v) for k, v in numbers.items()},
        "texts": d["texts"], "departments": [dept], "sources": [], "findings": [],
        "date": d["meta"]["meta.date"],  # the signature date, as a merge takes it from 填报日期
    }


def report_dir(r: int) -> Path:
    return CACHE / f"reports-{FORM.template_version}-g{GENERATOR_VERSION}-r{r}"


def ensure_reports(r: int, regenerate: bool = False) -> Path:
    """r merged.json-shaped files (report_0001.json …), generated once."""
    out = report_dir(r)
    tmp = _start(out, regenerate)
    if tmp is None:
        return out
    for i, name in enumerate(department_names(r), start=1):
        (tmp / f"report_{i:04d}.json").write_text(
            json.dumps(report_data(i, name), ensure_ascii=False), encoding="utf-8")
    _publish(tmp, out)
    return out


# -- published reports (import and audit) ------------------------------------------------------------
# Every third report stays a .docx, one in three becomes a PDF and one in three a web page, all converted
# by LibreOffice from nianbao's own rendering. Layouts vary: every fourth report is a draft (草稿 on every
# page), and every other web page is wrapped in a portal page (navigation, breadcrumb, footer) as a
# government site publishes it, the rest are LibreOffice's plain export.
PUBLISHED_FORMATS = ("docx", "pdf", "html")
_PORTAL_HEAD = ('<div class="site-header"><a href="/">首页</a> | <a href="/zwgk/">政务公开</a> | '
                '<a href="/zwgk/ndbg/">政府信息公开年报</a></div>\n<div class="crumb">当前位置：首页 &gt; 政务公开 &gt; '
                '政府信息公开年报</div>\n<div class="article">')
_PORTAL_FOOT = ('</div>\n<div class="site-footer">主办单位：{body}　网站标识码：3301000000　'
                '<a href="/sitemap/">网站地图</a></div>')


def published_dir(p: int) -> Path:
    return CACHE / f"published-{FORM.template_version}-g{GENERATOR_VERSION}-p{p}"


def published_format(index: int) -> str:
    return PUBLISHED_FORMATS[index % len(PUBLISHED_FORMATS)]


def _render_published(args: tuple[Path, int, str]) -> None:
    from nianbao.report.render import render_report

    path, index, dept = args
    data = report_data(index, dept)
    result = render_report(data, path, draft=index % 4 == 0)
    if result.output is None:
        raise RuntimeError(f"report {index} was not rendered: {[f.message for f in result.findings]}")


def _soffice_convert(documents: list[Path], outdir: Path, target: str) -> None:
    """LibreOffice converts a batch to `target` (pdf or html), with its own profile and the report's fonts."""
    import subprocess

    from nianbao.report.fonts import write_fontconfig
    from nianbao.report.pdf import find_soffice

    soffice = find_soffice()
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is needed to make the PDF and HTML reports")
    with tempfile.TemporaryDirectory(prefix="bench-lo-") as profile:
        env = {**os.environ, "HOME": profile, "FONTCONFIG_FILE": str(write_fontconfig(Path(profile)))}
        subprocess.run([soffice, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
                        f"-env:UserInstallation={Path(profile).as_uri()}", "--convert-to", target,
                        "--outdir", str(outdir), *map(str, documents)],
                       check=True, capture_output=True, env=env, timeout=3600)


def _portal_page(path: Path, body: str) -> None:
    html = path.read_text(encoding="utf-8", errors="replace")
    start = html.lower().find("<body")
    start = html.find(">", start) + 1
    end = html.lower().rfind("</body>")
    html = html[:start] + _PORTAL_HEAD + html[start:end] + _PORTAL_FOOT.format(body=body) + html[end:]
    path.write_text(html, encoding="utf-8")


def ensure_published(p: int, workers: int | None = None, regenerate: bool = False) -> Path:
    """p published reports (report_0001.docx, report_0002.pdf, report_0003.html …), generated once."""
    from concurrent.futures import ThreadPoolExecutor

    out = published_dir(p)
    tmp = _start(out, regenerate)
    if tmp is None:
        return out
    names = department_names(p)
    src = tmp / "src"
    src.mkdir()
    jobs = [(src / f"report_{i:04d}.docx", i, name) for i, name in enumerate(names, start=1)]
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        list(pool.map(_render_published, jobs, chunksize=max(1, p // 40)))
    batches: list[tuple[list[Path], str]] = []
    for target in ("pdf", "html"):
        docs = [path for path, i, _n in jobs if published_format(i) == target]
        half = len(docs) // 2
        batches += [(docs[:half], target), (docs[half:], target)]
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        list(pool.map(lambda b: _soffice_convert(b[0], tmp, b[1]), [b for b in batches if b[0]]))
    for path, i, name in jobs:
        kind = published_format(i)
        if kind == "docx":
            path.rename(tmp / path.name)
        elif kind == "html" and i % 2 == 0:
            _portal_page(tmp / f"{path.stem}.html", name)
    missing = [path.stem for path, i, _n in jobs if not (tmp / f"{path.stem}.{published_format(i)}").is_file()]
    if missing:
        raise RuntimeError(f"LibreOffice did not convert {len(missing)} reports, e.g. {missing[:3]}")
    shutil.rmtree(src)
    _publish(tmp, out)
    return out
