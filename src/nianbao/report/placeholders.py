"""Which placeholders a (possibly user-edited) template uses, compared with the ones the form needs.

A user template is also checked against a whitelist before it is ever rendered: the form's placeholders,
the constructs of the standard template (`{% if path %}`, `{% for p in path %}`), `{% set %}` of new names,
and a few filters. Anything else (Jinja globals, calls, `_` attributes, `|attr`, includes, macros, nested
loops, arithmetic) is a violation named by its paragraph, so the user can find it in Word.
"""

from __future__ import annotations

import html
import io
import itertools
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import OpcError
from docx.oxml.document import CT_Document
from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml
from docxtpl import DocxTemplate
from jinja2 import Environment, TemplateSyntaxError, nodes
from jinja2.defaults import DEFAULT_NAMESPACE
from lxml import etree

from ..errors import UsageError
from ..fileio import read_input_bytes
from ..reader.sniff import MAX_DOCX_BYTES, check_docx
from . import names
from .template_builder import template_bytes

_SHOWN = 5
_EXCERPT_CHARS = 30

# What a template may use besides the form's names. The renderer's sandbox offers exactly these too.
ALLOWED_FILTERS: frozenset[str] = frozenset({"default", "d", "trim", "length", "count", "first", "last"})
ALLOWED_TESTS: frozenset[str] = frozenset({"defined", "undefined", "none", "string", "number"})
LOOP_ATTRIBUTES: frozenset[str] = frozenset(
    {"index", "index0", "revindex", "revindex0", "first", "last", "length", "depth", "depth0", "previtem", "nextitem"}
)
# Jinja's own globals and `self`: none of them is data, all of them reach Python objects.
JINJA_GLOBALS: frozenset[str] = frozenset({*DEFAULT_NAMESPACE, "self"})
# Statements a report template never needs; they include other files, define code or buffer output.
REFUSED_STATEMENTS: dict[type[nodes.Node], str] = {
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from … import %}",
    nodes.Extends: "{% extends %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.Block: "{% block %}",
    nodes.FilterBlock: "{% filter %}",
    nodes.AssignBlock: "{% set %}…{% endset %}",
    nodes.With: "{% with %}",
    nodes.ScopedEvalContextModifier: "{% autoescape %}",
    nodes.EvalContextModifier: "{% autoescape %}",
}

_PARAGRAPH_START = re.compile(r"<w:p([ >])")
_MARK = "nb-paragraph"
_MARKED_LINE = re.compile(rf'<w:p {_MARK}="(\d+)"')
_TEXT_RUN = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")


@dataclass(frozen=True)
class Violation:
    """What a template may not do, at one paragraph."""

    part: str  # "" for the body, else 页眉 / 页脚
    paragraph: int  # 1-based within its part, in document order (table cells included)
    excerpt: str  # the first words of the paragraph, as Word shows them
    problems: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"Word 模板{self.part}第 {self.paragraph} 段（“{self.excerpt}”）"

    def message(self) -> str:
        return f"{self.where}：{'；'.join(self.problems)}。请在 Word 中删去或改回标准模板的写法。"


@dataclass(frozen=True)
class TemplateCheck:
    used: frozenset[str]
    missing: tuple[str, ...]  # expected by the standard template but absent
    unknown: tuple[str, ...]  # not a name nianbao provides
    violations: tuple[Violation, ...] = ()  # what the template may not do, paragraph by paragraph

    @property
    def missing_values(self) -> tuple[str, ...]:
        """Missing table numbers: the report would have a blank cell."""
        return tuple(p for p in self.missing if p in names.value_paths())

    @property
    def ok(self) -> bool:
        return not self.missing and not self.unknown and not self.violations

    def summary(self) -> str:
        """One line of Chinese for the user."""
        if self.ok:
            return "模板占位符检查通过。"
        parts = []
        for label, items in (("缺少", self.missing), ("未知", self.unknown)):
            if items:
                parts.append(f"{label} {len(items)} 个（{_shown(items)}）")
        if self.violations:
            where = _shown([f"{v.part}第 {v.paragraph} 段" for v in self.violations])
            parts.append(f"不允许的写法 {len(self.violations)} 处（{where}）")
        return "模板占位符：" + "；".join(parts) + "。"

    def missing_summary(self) -> str:
        """The missing placeholders alone, for their finding (violations have one finding each)."""
        return f"模板占位符：缺少 {len(self.missing)} 个（{_shown(self.missing)}）。"


def _shown(items: Iterable[str]) -> str:
    items = list(items)
    return "、".join(items[:_SHOWN]) + (" 等" if len(items) > _SHOWN else "")


# -- the template's Jinja source, part by part ----------------------------------------------------------
@dataclass(frozen=True)
class TemplatePart:
    """One rendered part (body, a header, a footer): its Jinja source and where each line came from."""

    label: str
    source: str  # what docxtpl renders, plus one line per paragraph (docxtpl adds the same line breaks)
    texts: tuple[str, ...]  # paragraph n's text is texts[n - 1]
    line_paragraphs: tuple[int, ...]  # source line n lies in paragraph line_paragraphs[n - 1]

    def paragraph_at(self, lineno: int) -> int:
        index = min(max(lineno, 1), len(self.line_paragraphs)) - 1
        return max(self.line_paragraphs[index], 1) if self.line_paragraphs else 1

    def excerpt(self, paragraph: int) -> str:
        text = " ".join(self.texts[paragraph - 1].split()) if 0 < paragraph <= len(self.texts) else ""
        if not text:
            return "空段落"
        return text[:_EXCERPT_CHARS] + ("……" if len(text) > _EXCERPT_CHARS else "")


def _xml_parts(docx_bytes: bytes) -> Iterator[tuple[str, str]]:
    tpl = DocxTemplate(io.BytesIO(docx_bytes))
    document = Document(io.BytesIO(docx_bytes))
    element = document.element
    if element.tag != qn("w:document") or not isinstance(element, CT_Document):
        raise ValueError("the main part is not a Word document body")
    yield "", tpl.xml_to_string(element.body)
    for rel in document.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER) and not rel.is_external:
            label = "页眉" if rel.reltype == RT.HEADER else "页脚"
            yield label, tpl.xml_to_string(parse_xml(rel.target_part.blob))


def template_source(docx_bytes: bytes) -> str:
    """The Jinja source docxtpl would see: the body plus headers and footers, after its XML clean-up."""
    tpl = DocxTemplate(io.BytesIO(docx_bytes))
    return "".join(tpl.patch_xml(xml) for _label, xml in _xml_parts(docx_bytes))


def _part(label: str, xml: str, tpl: DocxTemplate) -> TemplatePart:
    """Each paragraph starts a line and carries its number, so a Jinja line number names a paragraph."""
    counter = itertools.count(1)
    marked = _PARAGRAPH_START.sub(lambda m: f'\n<w:p {_MARK}="{next(counter)}"{m.group(1)}', xml)
    texts = tuple(html.unescape("".join(_TEXT_RUN.findall(line))) for line in marked.split("\n")[1:])
    source = tpl.patch_xml(marked)
    # A paragraph docxtpl replaced by its tag ({%p … %}) keeps its line but loses its mark: count on.
    line_paragraphs: list[int] = []
    last, since = 0, 0
    for line in source.split("\n"):
        mark = _MARKED_LINE.match(line)
        if mark:
            last, since = int(mark.group(1)), 0
        elif line_paragraphs:
            since += 1
        line_paragraphs.append(last + since)
    return TemplatePart(label, source, texts, tuple(line_paragraphs))


def template_parts(docx_bytes: bytes) -> list[TemplatePart]:
    tpl = DocxTemplate(io.BytesIO(docx_bytes))
    return [_part(label, xml, tpl) for label, xml in _xml_parts(docx_bytes)]


# -- placeholders used ------------------------------------------------------------------------------
def _chain(node: nodes.Node) -> list[str] | None:
    """['t3', 'new', 'total'] for t3.new.total or t3['new']['total']; None for anything else."""
    if isinstance(node, nodes.Name):
        return [node.name]
    if isinstance(node, nodes.Getattr):
        inner = _chain(node.node)
        return None if inner is None else [*inner, node.attr]
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        inner = _chain(node.node)
        return None if inner is None else [*inner, node.arg.value]
    return None


def _collect(node: nodes.Node, found: set[str], local: set[str]) -> None:
    if isinstance(node, nodes.Name) and node.ctx in ("store", "param"):
        local.add(node.name)
        return
    if isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
        chain = _chain(node)
        if chain is not None:
            found.add(".".join(chain))
            return
    for child in node.iter_child_nodes():
        _collect(child, found, local)


def _parse(source: str, part: TemplatePart | None = None) -> nodes.Template:
    try:
        return Environment().parse(source)
    except TemplateSyntaxError as exc:
        where = "模板中"
        if part is not None and exc.lineno:
            paragraph = part.paragraph_at(exc.lineno)
            where = f"Word 模板{part.label}第 {paragraph} 段（“{part.excerpt(paragraph)}”）"
        raise UsageError(f"{where}的占位符语法有误（{exc.message}），请检查 {{{{ }}}} 和 {{% %}} 是否成对。") from exc


def _used(ast: nodes.Template) -> frozenset[str]:
    found: set[str] = set()
    local: set[str] = {"loop", *JINJA_GLOBALS}
    _collect(ast, found, local)
    return frozenset(p for p in found if p.split(".")[0] not in local)


def used_paths(source: str) -> frozenset[str]:
    """Dotted paths a Jinja source reads from its context (loop variables and `loop` excluded)."""
    return _used(_parse(source))


@cache
def standard_paths() -> frozenset[str]:
    return used_paths(template_source(template_bytes()))


def _is_known(path: str, known: frozenset[str]) -> bool:
    return path in known or any(k.startswith(path + ".") for k in known)


# -- what a template may do ------------------------------------------------------------------------
@cache
def _data_roots() -> frozenset[str]:
    return frozenset(p.split(".")[0] for p in names.known_paths())


@dataclass
class _Policy:
    """Walks a template's syntax tree and notes, by line, everything outside the whitelist."""

    known: frozenset[str]
    problems: list[tuple[int, str]] = field(default_factory=list)
    local: set[str] = field(default_factory=set)
    in_loop: bool = False

    def refuse(self, node: nodes.Node, problem: str) -> None:
        # Some wrappers (the Scope around {% autoescape %}) carry no line; their contents do.
        lineno = node.lineno or next((n.lineno for n in node.find_all(nodes.Node) if n.lineno), 1)
        self.problems.append((lineno, problem))

    # statements
    def body(self, statements: Iterable[nodes.Node]) -> None:
        for node in statements:
            self.statement(node)

    def statement(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if not isinstance(child, nodes.TemplateData):
                    self.expr(child)
        elif isinstance(node, nodes.If):
            self.expr(node.test)
            self.body([*node.body, *node.elif_, *node.else_])
        elif isinstance(node, nodes.For):
            self.loop(node)
        elif isinstance(node, nodes.Assign):
            self.store(node.target, "{% set %}")
            self.expr(node.node)
        elif isinstance(node, nodes.Scope):  # only a wrapper: what it wraps is judged
            self.body(node.body)
        else:
            what = REFUSED_STATEMENTS.get(type(node), "这种语句")
            self.refuse(node, f"不允许使用 {what}（报告模板只能用 {{{{ }}}}、{{% if %}}、{{% for %}} 和 {{% set %}}）")

    def loop(self, node: nodes.For) -> None:
        if self.in_loop:
            self.refuse(node, "循环中不能再套循环")
        if node.recursive:
            self.refuse(node, "不允许递归循环（recursive）")
        chain = _chain(node.iter)
        if chain is None or chain[0] in self.local or chain[0] in JINJA_GLOBALS or chain[0] == "loop":
            self.refuse(node, "循环只能遍历表单中的文字（如 text.problems）")
        self.expr(node.iter)
        self.store(node.target, "循环变量")
        outer, self.in_loop = self.in_loop, True
        if node.test is not None:
            self.expr(node.test)
        self.body(node.body)
        self.in_loop = outer
        self.body(node.else_)

    def store(self, target: nodes.Node, what: str) -> None:
        if not isinstance(target, nodes.Name):
            self.refuse(target, f"{what}只能是一个名称")
            return
        if target.name in _data_roots() or target.name in JINJA_GLOBALS or target.name == "loop":
            self.refuse(target, f"{what} {target.name} 与表单中的名称或模板的保留名称重名，会改写数据")
            return
        self.local.add(target.name)

    # expressions
    def expr(self, node: nodes.Node | None) -> None:  # one branch per node type
        if node is None or isinstance(node, nodes.Const):
            return
        if isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
            self.access(node)
        elif isinstance(node, nodes.Filter):
            self.filter(node)
        elif isinstance(node, nodes.Test):
            if node.name not in ALLOWED_TESTS or node.args or node.kwargs or node.dyn_args or node.dyn_kwargs:
                self.refuse(node, f"不允许使用 is {node.name}")
            self.expr(node.node)
        elif isinstance(node, nodes.And | nodes.Or):
            self.expr(node.left)
            self.expr(node.right)
        elif isinstance(node, nodes.Not):
            self.expr(node.node)
        elif isinstance(node, nodes.Compare):
            self.expr(node.expr)
            for operand in node.ops:
                self.expr(operand.expr)
        elif isinstance(node, nodes.CondExpr):
            for child in (node.test, node.expr1, node.expr2):
                self.expr(child)
        elif isinstance(node, nodes.Call):
            self.call(node)
        elif isinstance(node, nodes.BinExpr | nodes.UnaryExpr | nodes.Concat):
            self.refuse(node, "不允许在模板中计算或拼接（+ - * / % ** ~）")
            for inner in node.iter_child_nodes():
                self.expr(inner)
        else:
            self.refuse(node, "不允许的写法（列表、字典、切片等）")

    def access(self, node: nodes.Name | nodes.Getattr | nodes.Getitem) -> None:
        attrs: list[str] = []
        base: nodes.Node = node
        while isinstance(base, nodes.Getattr | nodes.Getitem):
            if isinstance(base, nodes.Getattr):
                attrs.append(base.attr)
            elif isinstance(base.arg, nodes.Const) and isinstance(base.arg.value, str):
                attrs.append(base.arg.value)
            else:
                self.refuse(base, "不允许用下标取值（[…]）")
                self.expr(base.arg)
            base = base.node
        attrs.reverse()
        hidden = [a for a in attrs if a.startswith("_")]
        if isinstance(base, nodes.Name):
            self.name(base, attrs, quiet=bool(hidden))
        else:
            self.expr(base)
            if not hidden and not isinstance(base, nodes.Call):
                self.refuse(node, f"只能使用表单中的名称，不能取属性 {'、'.join(attrs)}")
        if hidden:
            self.refuse(node, f"不允许访问以下划线开头的属性 {'、'.join(hidden)}")

    def name(self, node: nodes.Name, attrs: list[str], *, quiet: bool) -> None:
        name = node.name
        if name in JINJA_GLOBALS:
            self.refuse(node, f"不允许使用 {name}（模板只能使用表单中的名称）")
        elif name == "loop":
            if not self.in_loop:
                self.refuse(node, "loop 只能在 {% for %} 循环中使用")
            elif (len(attrs) != 1 or attrs[0] not in LOOP_ATTRIBUTES) and not quiet:
                self.refuse(node, f"loop 只能用 {'、'.join(sorted(LOOP_ATTRIBUTES))} 之一")
        elif name in self.local:
            if attrs and not quiet:
                self.refuse(node, f"不能取 {name} 的属性 {'、'.join(attrs)}")
        elif not quiet:
            path = ".".join([name, *attrs])
            if not _is_known(path, self.known):
                self.refuse(node, f"未知的占位符 {path}（表单中没有这个名称）")

    def filter(self, node: nodes.Filter) -> None:
        if node.name == "attr":
            self.refuse(node, "不允许使用 |attr")
        elif node.name not in ALLOWED_FILTERS:
            self.refuse(node, f"不允许使用过滤器 |{node.name}（可用：{'、'.join(sorted(ALLOWED_FILTERS))}）")
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.refuse(node, "不允许使用 * 或 ** 传参")
        self.expr(node.node)
        for arg in (*node.args, *(kw.value for kw in node.kwargs)):
            self.expr(arg)

    def call(self, node: nodes.Call) -> None:
        callee = node.node
        if isinstance(callee, nodes.Name):
            if callee.name in JINJA_GLOBALS:
                self.refuse(callee, f"不允许使用 {callee.name}（模板只能使用表单中的名称）")
            else:
                self.refuse(callee, f"不允许调用 {callee.name}()")
        else:
            # The method itself is named below; only what it hangs on is checked as a placeholder.
            self.expr(callee.node if isinstance(callee, nodes.Getattr) else callee)
            shown = callee.attr if isinstance(callee, nodes.Getattr) else "…"
            self.refuse(node, f"不允许调用函数或方法（{shown}()）")
        for arg in (*node.args, *(kw.value for kw in node.kwargs), node.dyn_args, node.dyn_kwargs):
            self.expr(arg)


def template_violations(part: TemplatePart, ast: nodes.Template, known: frozenset[str]) -> list[Violation]:
    """Everything in one part outside the whitelist, one Violation per paragraph."""
    policy = _Policy(known)
    policy.body(ast.body)
    by_paragraph: dict[int, list[str]] = {}
    for lineno, problem in policy.problems:
        problems = by_paragraph.setdefault(part.paragraph_at(lineno), [])
        if problem not in problems:
            problems.append(problem)
    return [Violation(part.label, n, part.excerpt(n), tuple(problems)) for n, problems in sorted(by_paragraph.items())]


@lru_cache(maxsize=8)
def _check_bytes(data: bytes) -> TemplateCheck:
    """The check of a template's bytes: a batch (or a long process) checks the same template once."""
    known = names.known_paths()
    used: set[str] = set()
    violations: list[Violation] = []
    for part in template_parts(data):
        ast = _parse(part.source, part)
        used |= _used(ast)
        violations += template_violations(part, ast, known)
    covered = {p for p in used if p in known}
    # subheading.* only chooses whether a heading is printed: a template made before it still prints them all.
    optional = {names.subheading_path(k) for k in names.subheading_keys()}
    missing = tuple(sorted(p for p in standard_paths() if p not in covered and p not in optional))
    unknown = tuple(sorted(p for p in used if not _is_known(p, known)))
    return TemplateCheck(frozenset(used), missing, unknown, tuple(violations))


def check_template(path: Path) -> TemplateCheck:
    """Compare a template's placeholders with the standard template's and with what nianbao provides."""
    try:
        data = read_input_bytes(path, MAX_DOCX_BYTES, "模板 ")
        refusal = check_docx(data)  # a zip bomb or an entity bomb never reaches python-docx
        if refusal is not None:
            raise UsageError(f"无法使用模板 {path.name}：{refusal.message}。")
        return _check_bytes(data)
    except UsageError as exc:
        if path.name in str(exc):
            raise
        raise UsageError(f"{path.name}：{exc}") from exc  # a syntax error: say which file it is in
    except (OSError, zipfile.BadZipFile, OpcError, ValueError, KeyError, etree.XMLSyntaxError) as exc:
        raise UsageError(
            f"无法读取模板 {path.name}：它不是有效的 Word（.docx）文件（文件已损坏，或只是改了扩展名）。"
        ) from exc


def source_problems(source: str) -> list[str]:
    """What a bare Jinja source (no Word paragraphs) does outside the whitelist, in order."""
    policy = _Policy(names.known_paths())
    policy.body(_parse(source).body)
    return [problem for _lineno, problem in policy.problems]
