"""A user-edited template: its placeholders are checked against the form before rendering."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from report_helpers import all_text, zero_data

from nianbao.cli import main
from nianbao.errors import UsageError
from nianbao.report.placeholders import check_template, used_paths
from nianbao.report.render import default_template_path, render_report


def _edited(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """A copy of the standard template with text replaced in word/document.xml (as an edit in Word would)."""
    source = default_template_path()
    assert source is not None
    target = tmp_path / "edited.docx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode("utf-8")
                for old, new in replacements:
                    assert old in text, old
                    text = text.replace(old, new, 1)
                data = text.encode("utf-8")
            zout.writestr(item, data)
    return target


def test_standard_template_passes(tmp_path: Path) -> None:
    check = check_template(default_template_path())  # type: ignore[arg-type]
    assert check.ok and check.summary() == "模板占位符检查通过。"


def test_unknown_and_missing_placeholders_are_named_in_one_line(tmp_path: Path) -> None:
    template = _edited(tmp_path, ("{{ t3.new.total }}", "{{ t3.new.totl }}"), ("{{ contact }}", "{{ phone }}"))
    check = check_template(template)
    assert check.unknown == ("phone", "t3.new.totl")
    assert check.missing == ("contact", "t3.new.total")
    assert check.missing_values == ("t3.new.total",)
    line = check.summary()
    assert "\n" not in line and "缺少 2 个" in line and "未知 2 个" in line and "t3.new.totl" in line
    # Unknown names are refused paragraph by paragraph (not a usage error): the report is never written.
    result = render_report(zero_data(), tmp_path / "r.docx", template=template, draft=True)
    assert result.output is None and not (tmp_path / "r.docx").exists()
    unknown = [f.message for f in result.findings if f.is_error and "未知的占位符" in f.message]
    assert len(unknown) == 2 and all("段（“" in m for m in unknown)


def test_missing_number_blocks_but_missing_sentence_only_warns(tmp_path: Path) -> None:
    dropped_number = _edited(tmp_path, ("{{ t2.penalty.decisions }}", "—"))
    result = render_report(zero_data(), tmp_path / "a.docx", template=dropped_number)
    assert result.output is None and [f.code for f in result.findings] == ["R-TPL"]

    (tmp_path / "b").mkdir()
    dropped_sentence = _edited(tmp_path / "b", ("{{ contact }}", ""))
    result = render_report(zero_data(), tmp_path / "b.docx", template=dropped_sentence)
    assert result.output is not None
    assert [(f.code, f.severity) for f in result.findings] == [("R-TPL", "warning")]


def test_edited_wording_renders(tmp_path: Path) -> None:
    template = _edited(tmp_path, ("要求编制。", "要求编制，经主要负责同志审定。"))
    out = tmp_path / "r.docx"
    assert render_report(zero_data(), out, template=template).output == out
    assert "经主要负责同志审定" in all_text(out)


def test_jinja_syntax_error_is_a_usage_error(tmp_path: Path) -> None:
    template = _edited(tmp_path, ("{{ t2.penalty.decisions }}", "{{ t2.penalty.decisions "))
    result = CliRunner().invoke(main, ["render", "nonexistent.json", "--out", str(tmp_path / "r.docx")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    with pytest.raises(UsageError, match="语法"):
        check_template(template)


def test_loop_variables_are_not_placeholders() -> None:
    source = "{% for p in text.problems %}{{ p }}{{ loop.index }}{% endfor %}{{ t3['new'].total }}"
    assert used_paths(source) == {"text.problems", "t3.new.total"}
