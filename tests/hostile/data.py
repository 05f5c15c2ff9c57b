"""Hostile report data (merged.json) and hostile Word templates for `render`."""

from __future__ import annotations

import json
import os
import random
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .case import (
    PIPE_TIMEOUT,
    Case,
    command_case,
    good_data,
    laughs_doctype,
    standard_template,
    write_json,
)

COUNT_KEY = "t3.new.natural_person"
DEEP = 200_000


def _render(
    tmp: Path,
    source: Path,
    exit_code: int,
    name: str,
    *words: str,
    extra: tuple[str, ...] = (),
    inputs: tuple[Path, ...] = (),
    **options: Any,
) -> Case:
    out = tmp / "报告" / "报告.docx"
    args: list[str | Path] = ["render", source, "--out", out, *extra]
    options.setdefault("refused", exit_code != 0)
    return command_case(tmp, args, [source, *inputs], exit_code, name, *words, out=out, **options)


def _json_case(tmp: Path, name: str, raw: bytes, exit_code: int, *words: str, **options: Any) -> Case:
    source = tmp / "in" / name
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_bytes(raw)
    return _render(tmp, source, exit_code, name, *words, **options)


def _data_case(tmp: Path, name: str, data: Any, exit_code: int, *words: str, **options: Any) -> Case:
    return _render(tmp, write_json(tmp / "in" / name, data), exit_code, name, *words, **options)


def _with(**values: object) -> dict[str, Any]:
    data = good_data()
    data["values"].update(values)
    return data


def _text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


# -- the file is not JSON, or not text ----------------------------------------------------------------
def kind_render_json_in_gbk(tmp: Path) -> Case:
    return _json_case(tmp, "汇总GBK.json", _text(good_data()).encode("gbk"), 2, "编码|UTF-8|GBK")


def kind_render_json_in_utf16(tmp: Path) -> Case:
    return _json_case(tmp, "汇总UTF16.json", _text(good_data()).encode("utf-16"), 2, "编码|UTF-8|UTF-16")


def kind_render_binary_json(tmp: Path) -> Case:
    return _json_case(tmp, "乱码.json", random.Random(9).randbytes(4096), 2, "JSON|编码")


def kind_render_empty_json(tmp: Path) -> Case:
    return _json_case(tmp, "空.json", b"", 2, "空|JSON")


def kind_render_deeply_nested_json(tmp: Path) -> Case:
    return _json_case(tmp, "深层.json", b"[" * DEEP + b"]" * DEEP, 2, "嵌套|层|JSON", bomb=True)


def kind_render_deeply_nested_value(tmp: Path) -> Case:
    raw = _text(good_data()).replace('"texts": {', '"texts": {"deep": ' + "[" * DEEP + "]" * DEEP + ",", 1)
    return _json_case(tmp, "深层值.json", raw.encode(), 2, "嵌套|层|JSON", bomb=True)


def kind_render_huge_json(tmp: Path) -> Case:
    data = good_data()
    data["texts"]["text.other"] = "很长的文字。" * 5_000_000  # about 90 MB of UTF-8
    return _data_case(tmp, "巨大.json", data, 2, "大|MB|超出|过长", bomb=True)


# -- JSON of the wrong shape ----------------------------------------------------------------------------
def kind_render_json_list(tmp: Path) -> Case:
    return _data_case(tmp, "列表.json", [good_data()], 2, "对象")


def kind_render_json_string(tmp: Path) -> Case:
    return _data_case(tmp, "字符串.json", "merged", 2, "对象")


def kind_render_empty_mandatory_sections(tmp: Path) -> Case:
    """The final-report gate: 一、总体情况 and 五、存在的主要问题 must have text in a published report."""
    data = good_data()
    data["texts"] = {}
    return _data_case(tmp, "没有文字.json", data, 1, "没有内容|必须")


def kind_render_without_signature_date(tmp: Path) -> Case:
    data = good_data()
    del data["date"]
    return _data_case(tmp, "没有日期.json", data, 2, "落款日期")


def kind_render_values_a_list(tmp: Path) -> Case:
    data = good_data()
    data["values"] = list(data["values"].values())
    return _data_case(tmp, "值是列表.json", data, 2, "values|对象|格式")


def kind_render_text_that_is_a_list(tmp: Path) -> Case:
    """A section's text must be a string: a list would be printed as "['问题一', '问题二']" in the report."""
    data = good_data()
    data["texts"]["text.problems"] = ["问题一", "问题二"]
    return _data_case(tmp, "文字是列表.json", data, 1, "text.problems|存在的主要问题|文字")


def kind_render_values_not_numbers(tmp: Path) -> Case:
    return _data_case(tmp, "值是文字.json", _with(**{COUNT_KEY: "十二"}), 1, "整数|数字|不是")


def kind_render_negative_value(tmp: Path) -> Case:
    return _data_case(tmp, "负数.json", _with(**{COUNT_KEY: -5}), 1, "负|不小于0")


def kind_render_total_that_disagrees(tmp: Path) -> Case:
    return _data_case(tmp, "合计不符.json", _with(**{"t3.new.total": -7}), 1, "合计|总计|不一致|不符")


def kind_render_unknown_keys(tmp: Path) -> Case:
    """Accepted with a warning: the report is written, the unknown field is named."""
    return _data_case(tmp, "多余字段.json", _with(**{"t9.bogus": 1}), 0, "t9.bogus|没有的字段", refused=False)


def kind_render_nan(tmp: Path) -> Case:
    raw = _text(_with(**{COUNT_KEY: 0})).replace(f'"{COUNT_KEY}": 0', f'"{COUNT_KEY}": NaN', 1)
    return _json_case(tmp, "非数.json", raw.encode(), 1, "NaN|数字")


def kind_render_infinity(tmp: Path) -> Case:
    raw = _text(_with(**{COUNT_KEY: 0})).replace(f'"{COUNT_KEY}": 0', f'"{COUNT_KEY}": -Infinity', 1)
    return _json_case(tmp, "无穷.json", raw.encode(), 1, "Infinity|数字|范围")


def kind_render_number_1e400(tmp: Path) -> Case:
    raw = _text(_with(**{COUNT_KEY: 0})).replace(f'"{COUNT_KEY}": 0', f'"{COUNT_KEY}": 1e400', 1)
    return _json_case(tmp, "超大数.json", raw.encode(), 1, "1e400|1E\\+400|过大|整数|数字")


def kind_render_json_that_is_a_named_pipe(tmp: Path) -> Case:
    """Reading a FIFO blocks until someone writes to it: it must be refused, not waited on."""
    source = tmp / "in" / "管道.json"
    source.parent.mkdir(parents=True)
    os.mkfifo(source)
    return _render(tmp, source, 2, "管道.json", "不是普通文件|管道|无法读取|找不到", timeout=PIPE_TIMEOUT)


def kind_render_batch_body_too_long_for_a_file_name(tmp: Path) -> Case:
    """Batch reports are named after the body: a 300-character body must not end in an internal error."""
    long_name = write_json(tmp / "in" / "长名称.json", {**good_data(), "body": "某" * 300})
    other = write_json(tmp / "in" / "正常.json", good_data())
    out = tmp / "报告"
    return command_case(
        tmp,
        ["render", long_name, other, "--out", out],
        [long_name, other],
        1,
        "长名称.json",
        "太长|过长|名称",
        out=out,
        refused=False,
    )


def kind_render_out_under_a_file(tmp: Path) -> Case:
    source = write_json(tmp / "in" / "汇总.json", good_data())
    blocker = tmp / "占位.txt"
    blocker.write_text("别人的文件", encoding="utf-8")
    out = blocker / "报告.docx"
    return command_case(
        tmp, ["render", source, "--out", out], [source, blocker], 2, "占位.txt", "无法|不能|创建|写入", out=out
    )


def kind_render_out_is_the_data_file(tmp: Path) -> Case:
    """--out naming the input itself would replace the data with the report."""
    source = write_json(tmp / "in" / "汇总.json", good_data())
    return command_case(
        tmp, ["render", source, "--out", source], [source], 2, "汇总.json", "输入|同一|覆盖|不能", out=source
    )


def kind_render_bad_date(tmp: Path) -> Case:
    source = write_json(tmp / "in" / "汇总.json", good_data())
    return _render(tmp, source, 2, "2025-13-45", "日期", extra=("--date", "2025-13-45"))


# -- hostile Word templates -----------------------------------------------------------------------------
def _edited_template(dst: Path, old: str, new: str, part: str = "word/document.xml") -> Path:
    """The standard template with one text of `part` replaced, as an edit in Word would leave it."""
    return _template_with(dst, part, lambda text: _replace_once(text, old, new))


def _replace_once(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _template_with(dst: Path, part: str, change: Callable[[str], str]) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(standard_template()) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            zout.writestr(item, data)
    return dst


def _template_case(tmp: Path, name: str, template: Path, *words: str, exit_code: int = 2, **options: Any) -> Case:
    """A template that is not a usable Word file is a usage error (2)."""
    source = write_json(tmp / "in" / "汇总.json", good_data())
    return _render(
        tmp, source, exit_code, name, *words, extra=("--template", str(template)), inputs=(template,), **options
    )


def _placeholder(tmp: Path, name: str, new: str, *words: str, exit_code: int = 1, **options: Any) -> Case:
    """A placeholder the form does not know, or one the sandbox forbids, is an R-TPL finding (1)."""
    template = _edited_template(tmp / "in" / name, "{{ contact }}", new)
    return _template_case(tmp, name, template, *words, exit_code=exit_code, **options)


SANDBOX = "不安全|不允许|禁止|模板"


def kind_render_template_unknown_placeholder(tmp: Path) -> Case:
    return _placeholder(tmp, "未知占位符.docx", "{{ phone }}", "未知|phone")


def kind_render_template_syntax_error(tmp: Path) -> Case:
    return _placeholder(tmp, "语法错误.docx", "{% if %}", "语法|模板", exit_code=2)


def kind_render_template_class_escape(tmp: Path) -> Case:
    return _placeholder(tmp, "类逃逸.docx", "{{ ''.__class__.__mro__[1].__subclasses__() }}", SANDBOX)


def kind_render_template_lipsum_globals(tmp: Path) -> Case:
    return _placeholder(tmp, "lipsum.docx", "{{ lipsum.__globals__['os'].popen('id').read() }}", SANDBOX)


def kind_render_template_cycler_globals(tmp: Path) -> Case:
    return _placeholder(tmp, "cycler.docx", "{{ cycler.__init__.__globals__.os.popen('id').read() }}", SANDBOX)


def kind_render_template_huge_range_loop(tmp: Path) -> Case:
    return _placeholder(
        tmp,
        "大循环.docx",
        "{% for i in range(10**9) %}{{ i }}{% endfor %}",
        SANDBOX + "|循环|range",
        bomb=True,
        timeout=30.0,
    )


def kind_render_template_string_multiplication(tmp: Path) -> Case:
    return _placeholder(tmp, "乘法.docx", "{{ 'x' * 10**10 }}", SANDBOX, bomb=True, timeout=30.0)


def kind_render_template_escape_in_the_footer(tmp: Path) -> Case:
    """Headers and footers are rendered too: the sandbox must cover them."""
    template = _edited_template(
        tmp / "in" / "页脚逃逸.docx",
        "</w:ftr>",
        "<w:p><w:r><w:t>{{ lipsum.__globals__ }}</w:t></w:r></w:p></w:ftr>",
        part="word/footer1.xml",
    )
    return _template_case(tmp, "页脚逃逸.docx", template, SANDBOX, exit_code=1)


def kind_render_template_with_a_foreign_document_part(tmp: Path) -> Case:
    template = _template_with(
        tmp / "in" / "异类模板.docx",
        "word/document.xml",
        lambda _text: '<?xml version="1.0" encoding="UTF-8"?><report xmlns="urn:example:x"/>',
    )
    return _template_case(tmp, "异类模板.docx", template, "Word|不是|无法使用")


def kind_render_template_with_broken_xml(tmp: Path) -> Case:
    template = _template_with(tmp / "in" / "半截模板.docx", "word/document.xml", lambda text: text[: len(text) // 2])
    return _template_case(tmp, "半截模板.docx", template, "Word|损坏|无法使用")


def kind_render_template_zero_bytes(tmp: Path) -> Case:
    template = tmp / "in" / "空模板.docx"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_bytes(b"")
    return _template_case(tmp, "空模板.docx", template, "空|Word|docx")


def kind_render_template_not_a_docx(tmp: Path) -> Case:
    template = tmp / "in" / "文本模板.docx"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_text("{{ body }}", encoding="utf-8")
    return _template_case(tmp, "文本模板.docx", template, "Word|docx|损坏")


def kind_render_template_that_is_a_named_pipe(tmp: Path) -> Case:
    template = tmp / "in" / "管道模板.docx"
    template.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(template)
    return _template_case(tmp, "管道模板.docx", template, "不是普通文件|管道|无法读取|找不到", timeout=PIPE_TIMEOUT)


def kind_render_template_zip_bomb(tmp: Path) -> Case:
    template = tmp / "in" / "炸弹模板.docx"
    _edited_template(template, "{{ contact }}", "{{ contact }}")
    with zipfile.ZipFile(template, "a", zipfile.ZIP_DEFLATED) as zf, zf.open("word/media/bomb.bin", "w") as part:
        for _ in range(100):
            part.write(b"\0" * (1024 * 1024))
    return _template_case(tmp, "炸弹模板.docx", template, "压缩|大|超出", bomb=True)


def kind_render_template_billion_laughs(tmp: Path) -> Case:
    template = tmp / "in" / "实体模板.docx"
    _edited_template(template, "?>", "?>" + laughs_doctype("w:document"))
    return _template_case(tmp, "实体模板.docx", template, "实体|不安全|DOCTYPE", bomb=True)
