"""Which placeholders a (possibly user-edited) template uses, compared with the ones the form needs."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from docx import Document
from docx.opc.exceptions import OpcError
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.parser import parse_xml
from docxtpl import DocxTemplate
from jinja2 import Environment, TemplateSyntaxError, nodes

from ..errors import UsageError
from . import names
from .template_builder import template_bytes

_SHOWN = 5


@dataclass(frozen=True)
class TemplateCheck:
    used: frozenset[str]
    missing: tuple[str, ...]  # expected by the standard template but absent
    unknown: tuple[str, ...]  # not a name nianbao provides

    @property
    def missing_values(self) -> tuple[str, ...]:
        """Missing table numbers: the report would have a blank cell."""
        return tuple(p for p in self.missing if p in names.value_paths())

    @property
    def ok(self) -> bool:
        return not self.missing and not self.unknown

    def summary(self) -> str:
        """One line of Chinese for the user."""
        if self.ok:
            return "模板占位符检查通过。"
        parts = []
        for label, items in (("缺少", self.missing), ("未知", self.unknown)):
            if items:
                shown = "、".join(items[:_SHOWN]) + (" 等" if len(items) > _SHOWN else "")
                parts.append(f"{label} {len(items)} 个（{shown}）")
        return "模板占位符：" + "；".join(parts) + "。"


def template_source(docx_bytes: bytes) -> str:
    """The Jinja source docxtpl would see: the body plus headers and footers, after its XML clean-up."""
    tpl = DocxTemplate(io.BytesIO(docx_bytes))
    document = Document(io.BytesIO(docx_bytes))
    xml = tpl.patch_xml(tpl.xml_to_string(document._element.body))
    for rel in document.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER) and not rel.is_external:
            xml += tpl.patch_xml(tpl.xml_to_string(parse_xml(rel.target_part.blob)))
    return xml


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


def used_paths(source: str) -> frozenset[str]:
    """Dotted paths a Jinja source reads from its context (loop variables and `loop` excluded)."""
    env = Environment()
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        raise UsageError(f"模板中的占位符语法有误（{exc.message}），请检查 {{{{ }}}} 和 {{% %}} 是否成对。") from exc
    found: set[str] = set()
    local: set[str] = {"loop", *env.globals}
    _collect(ast, found, local)
    return frozenset(p for p in found if p.split(".")[0] not in local)


@cache
def standard_paths() -> frozenset[str]:
    return used_paths(template_source(template_bytes()))


def _is_known(path: str, known: frozenset[str]) -> bool:
    return path in known or any(k.startswith(path + ".") for k in known)


def check_template(path: Path) -> TemplateCheck:
    """Compare a template's placeholders with the standard template's and with what nianbao provides."""
    try:
        data = path.read_bytes()
        used = used_paths(template_source(data))
    except UsageError:
        raise
    except (OSError, zipfile.BadZipFile, OpcError, ValueError, KeyError) as exc:
        raise UsageError(f"无法读取模板 {path.name}：它不是有效的 Word（.docx）文件。") from exc
    known = names.known_paths()
    covered = {p for p in used if p in known}
    missing = tuple(sorted(p for p in standard_paths() if p not in covered))
    unknown = tuple(sorted(p for p in used if not _is_known(p, known)))
    return TemplateCheck(used, missing, unknown)
