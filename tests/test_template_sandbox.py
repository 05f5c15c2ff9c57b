"""A user-edited Word template is refused before rendering when it does more than fill in the form,
and every template renders in a bounded sandbox."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner
from docxtpl import DocxTemplate
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment, StrictUndefined
from jinja2.defaults import DEFAULT_NAMESPACE
from report_helpers import zero_data

from nianbao.cli import main
from nianbao.errors import UsageError
from nianbao.report import names, render
from nianbao.report.context import build_context, read_report_data
from nianbao.report.placeholders import ALLOWED_FILTERS, check_template, source_problems
from nianbao.report.render import default_template_path, render_docx_bytes, render_report

DAY = dt.date(2025, 1, 8)
_ANCHOR = "要求编制。"  # the end of the standard template's opening paragraph
_PARAGRAPH = re.compile(r"<w:p[ >]")


def _with_paragraph(tmp_path: Path, text: str, name: str = "hostile.docx") -> tuple[Path, int]:
    """The standard template with one new paragraph after the opening one (as typed in Word): the copy
    and the new paragraph's number in the body."""
    source = default_template_path()
    assert source is not None
    target = tmp_path / name
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                xml = data.decode("utf-8")
                at = xml.index("</w:p>", xml.index(_ANCHOR)) + len("</w:p>")
                number = len(_PARAGRAPH.findall(xml[:at])) + 1
                new = f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'
                data = (xml[:at] + new + xml[at:]).encode("utf-8")
            zout.writestr(item, data)
    return target, number


def _probe(tmp_path: Path) -> Path:
    return tmp_path / "probe-created-by-template"


def _hostile(probe: Path) -> list[str]:
    mkdir = f"os.mkdir('{probe}')"
    return [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ lipsum.__globals__ }}",
        "{{ lipsum.__globals__." + mkdir + " }}",
        "{{ cycler.__init__.__globals__." + mkdir + " }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ joiner }}",
        "{{ namespace() }}",
        "{{ t3|attr('__class__') }}",
        "{% for i in range(100000000) %}x{% endfor %}",
        "{% for a in text.problems %}{% for b in text.problems %}{{ body }}{% endfor %}{% endfor %}",
        "{{ 'x' * 100000000 }}",
        "{% include 'a' %}",
        "{% import 'a' as b %}",
        "{% extends 'a' %}",
        "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
        "{{ self }}",
        "{{ self._TemplateReference__context.cycler.__init__.__globals__." + mkdir + " }}",
        "{{ config }}",
        "{% set body = 'x' %}{{ body }}",
        "{% set text = namespace() %}",
        "{{ body.upper() }}",
        "{{ '{0.__class__}'.format(body) }}",
        "{% autoescape false %}{{ body }}{% endautoescape %}",
    ]


def _data_file(tmp_path: Path) -> Path:
    path = tmp_path / "merged.json"
    path.write_text(json.dumps(zero_data(text__problems="问题一\n问题二")), encoding="utf-8")
    return path


def _flat(text: str) -> str:
    return "".join(text.split())  # the console wraps long lines


@pytest.mark.parametrize("index", range(len(_hostile(Path("p")))))
def test_hostile_template_is_refused_naming_its_paragraph(tmp_path: Path, index: int) -> None:
    probe = _probe(tmp_path)
    snippet = _hostile(probe)[index]
    template, number = _with_paragraph(tmp_path, snippet)

    check = check_template(template)
    (violation,) = check.violations
    assert (violation.part, violation.paragraph) == ("", number)
    assert violation.excerpt.startswith(snippet[:20])
    assert f"第 {number} 段" in violation.message() and violation.problems

    out = tmp_path / "报告.docx"
    result = CliRunner().invoke(
        main,
        [
            "render",
            str(_data_file(tmp_path)),
            "--out",
            str(out),
            "--template",
            str(template),
            "--date",
            "2025-01-08",
            "--draft",
        ],
    )
    assert result.exit_code == 1, result.output
    flat = _flat(result.output)
    assert "R-TPL" in flat and f"第{number}段" in flat and "Traceback" not in flat
    assert not out.exists() and not probe.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.docx", "merged.json"]


def test_the_probe_would_have_fired_without_the_sandbox(tmp_path: Path) -> None:
    # The same expression in a plain Jinja environment does create the folder: the probe is real.
    probe = _probe(tmp_path)
    Environment().from_string(_hostile(probe)[4]).render()
    assert probe.is_dir()


def test_build_with_a_hostile_template_writes_no_report(tmp_path: Path) -> None:
    import shutil

    from report_helpers import EXAMPLE

    folder = tmp_path / "收到的报表"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    probe = _probe(tmp_path)
    template, number = _with_paragraph(tmp_path, _hostile(probe)[4])
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "build",
            str(folder),
            "--roster",
            str(folder / "departments.csv"),
            "--out",
            str(out),
            "--template",
            str(template),
            "--date",
            "2025-01-08",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "R-TPL" in result.output and f"第{number}段" in _flat(result.output)
    assert not list(out.glob("*.docx")) and not probe.exists()
    # The template is refused before the merge, so the folder holds no outputs that look like a finished run.
    assert not (out / "merged.json").exists() and not (out / "汇总.xlsx").exists()
    assert "--draft" not in _flat(result.output).split("Word 模板不能使用")[-1]


def test_batch_render_with_a_hostile_template_writes_nothing(tmp_path: Path) -> None:
    template, number = _with_paragraph(tmp_path, "{{ lipsum }}")
    data = _data_file(tmp_path)
    second = tmp_path / "second.json"
    second.write_text(data.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "reports"
    result = CliRunner().invoke(
        main, ["render", str(data), str(second), "--out", str(out), "--template", str(template), "--date", "2025-01-08"]
    )
    assert result.exit_code == 1, result.output
    assert f"第{number}段" in _flat(result.output) and "lipsum" in result.output
    assert not out.exists() or not list(out.iterdir())


def test_allowed_edits_pass_the_check(tmp_path: Path) -> None:
    snippet = (
        "{% set who = body %}{{ who }}{{ text.report.phone|default('无') }}"
        "{% if year is defined and year > 2000 %}{{ year }}{% endif %}"
    )
    template, _ = _with_paragraph(tmp_path, snippet)
    assert check_template(template).ok
    out = tmp_path / "r.docx"
    assert render_report(zero_data(), out, template=template, report_date=DAY).output == out


# -- the standard template renders as it did before the sandbox -------------------------------------
def _parts(docx: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(docx)) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("word/") and n.endswith(".xml")}


def _unsandboxed(context: dict[str, Any], template: Path) -> bytes:
    """The renderer as it was: a plain Jinja environment with the same options."""
    env = Environment(undefined=StrictUndefined, autoescape=True, finalize=render._finalize, keep_trailing_newline=True)
    tpl = DocxTemplate(template)
    tpl.render(dict(context), env, autoescape=True)
    buffer = io.BytesIO()
    tpl.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("edit", ["none", "wording", "extra paragraph"])
def test_standard_and_harmless_templates_render_as_before(tmp_path: Path, edit: str) -> None:
    template = default_template_path()
    assert template is not None
    if edit == "wording":
        template, _ = _with_paragraph(tmp_path, "经主要负责同志审定。")
        template.write_bytes(template.read_bytes())  # unchanged bytes, new file: no cache shared
    elif edit == "extra paragraph":
        template, _ = _with_paragraph(tmp_path, "本机关{{ year }}年继续做好政府信息公开工作。")
    data = zero_data(text__problems="问题一\n问题二", text__other="其他事项")
    context = build_context(read_report_data(data), report_date=DAY)
    assert check_template(template).ok
    sandboxed = _parts(render_docx_bytes(context, template))
    before = _parts(_unsandboxed(context, template))
    assert sandboxed["word/document.xml"] == before["word/document.xml"]
    assert {k: v for k, v in sandboxed.items() if "header" in k or "footer" in k} == {
        k: v for k, v in before.items() if "header" in k or "footer" in k
    }


# -- the sandbox's own bounds, for a template that never went through the check ----------------------
def _raw_template(tmp_path: Path, snippet: str) -> Path:
    return _with_paragraph(tmp_path, snippet)[0]


def _context(**texts: str) -> dict[str, Any]:
    return build_context(read_report_data(zero_data(**texts)), report_date=DAY)


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("{{ ''.__class__ }}", "不允许访问 str 的属性 __class__"),
        ("{{ t3.__dict__ }}", "不允许访问"),
        ("{{ body.upper() }}", "不允许调用"),
        ("{{ lipsum }}", "不允许使用 lipsum"),
        ("{% for i in range(100000000) %}x{% endfor %}", "不允许使用 range"),
        ("{% include 'a' %}", "include"),
        ("{% set a %}x{% endset %}", "set"),
        ("{{ 'x' * 100000000 }}", "超过 8 MB"),
        ("{{ 9 ** 999999999 }}", "乘方"),
        ("{{ '%099999999d' % 1 }}", "%"),
        ("{% set a = 'xxxxxxxx' %}" + "{% set a = a ~ a %}" * 30 + "{{ a }}", "超过 8 MB"),
        ("{{ t3|attr('__class__') }}", "attr"),
    ],
)
def test_sandbox_refuses_at_render_time(tmp_path: Path, snippet: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        render_docx_bytes(_context(), _raw_template(tmp_path, snippet))


def test_sandbox_bounds_loops_over_data(tmp_path: Path) -> None:
    nested = (
        "{% for a in text.problems %}{% for b in text.problems %}{% for c in text.problems %}"
        "{% endfor %}{% endfor %}{% endfor %}"
    )
    many = "\n".join(f"第{i}段" for i in range(1000))
    with pytest.raises(UsageError, match="循环超过"):
        render_docx_bytes(_context(text__problems=many), _raw_template(tmp_path, nested))


def test_sandbox_bounds_the_output(tmp_path: Path) -> None:
    loop = "{% for p in text.problems %}" + "{{ text.other }}" * 50 + "{% endfor %}"
    context = _context(text__problems="\n".join(f"第{i}段" for i in range(2000)), text__other="长" * 200)
    with pytest.raises(UsageError, match="超过 8 MB"):
        render_docx_bytes(context, _raw_template(tmp_path, loop))


# -- the whitelist, as properties -----------------------------------------------------------------
_KNOWN = sorted(names.known_paths())
_hidden = st.from_regex(r"_[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True)


@given(st.sampled_from(_KNOWN))
def test_every_declared_placeholder_is_allowed(path: str) -> None:
    assert source_problems(f"{{{{ {path} }}}}") == []


@given(st.sampled_from(_KNOWN), _hidden)
def test_underscore_attributes_of_any_placeholder_are_refused(path: str, attr: str) -> None:
    (problem,) = source_problems(f"{{{{ {path}.{attr} }}}}")
    assert attr in problem and "下划线" in problem


@given(st.sampled_from(sorted(DEFAULT_NAMESPACE)), st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), max_size=3))
def test_jinja_globals_are_refused_whatever_follows(name: str, attrs: list[str]) -> None:
    problems = source_problems("{{ " + ".".join([name, *attrs]) + " }}")
    assert problems and name in problems[0]


@given(st.sampled_from(_KNOWN), st.from_regex(r"[a-z]{1,12}", fullmatch=True))
def test_only_whitelisted_filters_are_allowed(path: str, name: str) -> None:
    problems = source_problems(f"{{{{ {path}|{name} }}}}")
    assert (problems == []) == (name in ALLOWED_FILTERS)


def test_a_syntax_error_names_its_paragraph(tmp_path: Path) -> None:
    template, number = _with_paragraph(tmp_path, "{{ body + }}")
    with pytest.raises(UsageError, match=re.escape(f"第 {number} 段（“{{{{ body + }}}}”）")) as caught:
        check_template(template)
    assert "语法" in str(caught.value) and str(caught.value).startswith(f"{template.name}：")


def test_a_bomb_in_the_template_file_is_refused_before_reading(tmp_path: Path) -> None:
    template, _ = _with_paragraph(tmp_path, "经主要负责同志审定。")
    with zipfile.ZipFile(template, "a", zipfile.ZIP_DEFLATED) as zf, zf.open("word/media/bomb.bin", "w") as part:
        for _ in range(80):
            part.write(b"\0" * (1024 * 1024))
    with pytest.raises(UsageError, match=f"无法使用模板 {template.name}"):
        check_template(template)
