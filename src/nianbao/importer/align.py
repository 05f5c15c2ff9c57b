"""Align the tables of a published report to the form's keys.

Every reader (plain text, web page, PDF, Word) turns a report into the same `Document`: a sequence of
blocks, each a paragraph or a table row of cell texts. The aligner does not trust the table structure,
which differs between sources (merged cells, wrapped cells, PDF columns), but walks the cells in reading
order: runs of numbers are rows of values, and the text just before a run (or, for a label wrapped
round its numbers in a PDF, just after) names the row. Rows are matched to the form's rows in the
form's order, tolerantly (`labels.similarity`), and every non-verbatim label is recorded.

A table or row that cannot be matched is reported as a problem; its keys are left out, never zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from functools import cache

from ..findings import Finding, codes
from ..form import FORM, CellRule, FieldType, Severity, official
from . import labels as lb

# Row labels are accepted from this similarity on (typos such as 三类内容事务信息 score ~0.9).
ROW_THRESHOLD = 0.8
# Header labels are reported as edited (X2) from this similarity on.
HEADER_THRESHOLD = 0.7
# How many neighbouring text cells may make up one (wrapped) row label.
_MAX_LABEL_PARTS = 6
# How many text cells on each side of a run the interleaved (PDF) match looks at.
_MAX_WINDOW = 12

# Problem codes of the importer (the audit shows them next to the §8 rule ids).
IMPORT_CODES: dict[str, str] = codes(*(f"IM-{n}" for n in range(1, 8)))


@dataclass(frozen=True)
class Block:
    """A paragraph (one cell) or one table row (its cells in reading order, merged cells once)."""

    cells: tuple[str, ...]
    is_row: bool = False

    @property
    def text(self) -> str:
        return "".join(self.cells) if not self.is_row else "\t".join(self.cells)


@dataclass
class Document:
    """A report as read from any source: blocks in reading order, plus where it came from."""

    blocks: list[Block]
    source: str = ""  # "text", "html", "pdf", "docx"
    title_hint: str = ""  # e.g. an HTML <title>
    columns_from_layout: bool = False  # cells recovered from column layout (PDF text): labels may interleave

    def paragraphs(self) -> list[tuple[int, str]]:
        return [(i, b.cells[0]) for i, b in enumerate(self.blocks) if not b.is_row and b.cells]


@dataclass(frozen=True)
class Token:
    text: str
    row: int  # index of the block it came from
    number: Decimal | None
    blank: bool  # an empty cell or `/`, where a number may belong


@dataclass(frozen=True)
class RowSpec:
    """One row of an official table as the aligner looks for it."""

    key: str  # e.g. "t3.carried_over"
    label: str  # the verbatim label of the row (its last label cell); "" for 表四's only row
    keys: tuple[str, ...]  # the value keys, in column order


@dataclass
class Run:
    """A run of value cells in one row, with the text cells around it."""

    values: list[Token]
    before: list[str]
    after: list[str] = field(default_factory=list)


@dataclass
class TableResult:
    table: str  # "t2"
    values: dict[str, int | Decimal] = field(default_factory=dict)
    deviations: list[lb.LabelDeviation] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    found: bool = False
    rows_found: int = 0


# -- the form, as the aligner needs it ------------------------------------------------------------
@cache
def row_specs(table_key: str) -> tuple[RowSpec, ...]:
    table = FORM.table(table_key)
    fields = table.fields
    if table_key == "t4":
        return (RowSpec("t4", "", tuple(f.key for f in fields)),)
    specs = []
    for row in table.rows:
        prefix = f"{table_key}.{row.key}."
        specs.append(RowSpec(f"{table_key}.{row.key}", row.label, tuple(f.key for f in fields if f.key.startswith(prefix))))
    return tuple(specs)


@cache
def header_labels(table_key: str) -> tuple[str, ...]:
    """Column headers, block headers and the note of a table, verbatim and without repeats."""
    table = FORM.table(table_key)
    seen: dict[str, None] = {}
    for cell in table.grid:
        if cell.kind in ("header", "note") and cell.text:
            seen.setdefault(cell.text, None)
    return tuple(seen)


@cache
def group_labels(table_key: str) -> tuple[str, ...]:
    """Row-group labels (三、本年度办理结果, （三）不予公开 …) that span several rows."""
    table = FORM.table(table_key)
    seen: dict[str, None] = {}
    for row in table.rows:
        for label in row.labels[:-1]:
            seen.setdefault(label, None)
    return tuple(seen)


@cache
def _cell_rule_codes() -> dict[str, str]:
    """Field key → the §8 rule that requires the cell to be a number (T2-1, T3-4, T4-2)."""
    return {k: r.code for r in FORM.rules if isinstance(r, CellRule) for k in r.keys}


# -- tokens and runs ------------------------------------------------------------------------------
def tokenize(blocks: Iterable[Block], start: int = 0) -> list[Token]:
    tokens: list[Token] = []
    for i, block in enumerate(blocks, start=start):
        for cell in block.cells:
            number = lb.parse_number(cell) if block.is_row else None
            blank = block.is_row and number is None and lb.is_blank_marker(cell)
            if number is None and not blank and not lb.squash(cell):
                continue
            tokens.append(Token(cell, i, number, blank))
    return tokens


def value_runs(tokens: Sequence[Token]) -> list[Run]:
    """Maximal runs of number (or blank) cells within one row, each with the text cells before it.

    Blank cells only count as values after a label in the same row, so the empty cells a merged
    row-label leaves at the start of a row are not mistaken for values.
    """
    runs: list[Run] = []
    texts: list[str] = []
    current: list[Token] = []
    row_has_text = False
    last_row: int | None = None

    def close() -> None:
        if current:
            runs.append(Run(current.copy(), texts.copy()))
            texts.clear()
            current.clear()

    for tok in tokens:
        if tok.row != last_row:
            close()
            row_has_text = False
            last_row = tok.row
        if tok.number is not None or (tok.blank and (row_has_text or current)):
            current.append(tok)
            continue
        close()
        if not tok.blank:
            texts.append(tok.text)
            row_has_text = True
    close()
    for j, run in enumerate(runs):
        run.after = runs[j + 1].before if j + 1 < len(runs) else texts.copy()
    return runs


# -- matching rows ---------------------------------------------------------------------------------
def _candidates(run: Run, skip: frozenset[str]) -> list[str]:
    """Possible row labels: the last text cells before the run, optionally continued after it."""
    before = [t for t in run.before if lb.match_key(t) not in skip]
    after = [t for t in run.after if lb.match_key(t) not in skip]
    out: list[str] = []
    for k in range(1, min(len(before), _MAX_LABEL_PARTS) + 1):
        head = "".join(before[-k:])
        out.append(head)
        for m in range(1, min(len(after), 2) + 1):
            out.append(head + "".join(after[:m]))
    return out


def _best_label(run: Run, spec: RowSpec, skip: frozenset[str]) -> tuple[float, str]:
    """The best-matching label for a run: (score, label text as printed)."""
    best = (0.0, "")
    for cand in _candidates(run, skip):
        score = lb.similarity(cand, spec.label)
        if score > best[0]:
            best = (score, cand)
    return best


def _interleaved_score(run: Run, spec: RowSpec) -> float:
    """How much of a label appears, in order, in the text around a run.

    PDF text of a table with wrapped cells interleaves the fragments of neighbouring label cells
    (`三、本 （一）予以公开` / `年度办 (二)部分公开(区` …), so no contiguous text equals the label;
    its characters still appear in order around the row's numbers.
    """
    label = lb.match_key(spec.label)
    if not label:
        return 0.0
    window = lb.match_key("".join(run.before[-_MAX_WINDOW:]) + "".join(run.after[:_MAX_WINDOW]))
    matcher = SequenceMatcher(None, label, window, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched / len(label)


def _is_2019_other_row(run: Run, group: str) -> bool:
    """The 2019 trial layout has one （六）其他处理 row where 2021 has three sub-rows."""
    return bool(run.before) and lb.match_key(run.before[-1]) == lb.match_key(group)


def _problem(code: str, message: str, table: str, where: str = "", key: str = "",
             severity: str = Severity.ERROR, **extra: object) -> Finding:
    return Finding(code=code, severity=severity, message=message, sheet=table, cell=where, key=key,
                   extra=dict(extra))


def _store_values(result: TableResult, spec: RowSpec, run: Run, table_name: str, row_label: str) -> None:
    if len(run.values) != len(spec.keys):
        result.problems.append(_problem(
            "IM-4", f"{table_name}“{row_label}”一行应有{len(spec.keys)}个数，报告中有{len(run.values)}个，本行未读取。",
            table_name, row_label, spec.key, value=len(run.values), expected=len(spec.keys)))
        return
    for key, tok in zip(spec.keys, run.values, strict=True):
        field_ = FORM.by_key[key]
        col = " / ".join(field_.column)
        if tok.number is None:
            code = _cell_rule_codes().get(key, "IM-4")
            result.problems.append(_problem(
                code, f"{table_name}“{row_label}”的“{col}”为空或不是数字（“{tok.text.strip()}”），应填0或实际数字。",
                table_name, f"{row_label} / {col}", key, value=tok.text))
            continue
        if lb.has_note(tok.text):
            result.problems.append(_problem(
                "IM-6", f"{table_name}“{row_label}”的“{col}”写成“{tok.text.strip()}”，只读取了数字{tok.number}。",
                table_name, f"{row_label} / {col}", key, severity=Severity.WARNING, value=tok.text))
        if field_.type is FieldType.INT:
            if tok.number != tok.number.to_integral_value():
                code = _cell_rule_codes().get(key, "IM-4")
                result.problems.append(_problem(
                    code, f"{table_name}“{row_label}”的“{col}”应为整数，报告中为{tok.number}。",
                    table_name, f"{row_label} / {col}", key, value=str(tok.number)))
                continue
            result.values[key] = int(tok.number)
        else:
            result.values[key] = tok.number


def _record_label(result: TableResult, table_name: str, spec: RowSpec, found: str, *, fragments: bool = False) -> None:
    kind = lb.classify(found, spec.label)
    if fragments and kind is lb.Deviation.WORDING:
        return  # a wrapped label's first line, not an edit
    if kind is not None:
        result.deviations.append(lb.LabelDeviation(table_name, spec.label, found.strip(), kind, spec.key))


def align_rows(table_key: str, tokens: Sequence[Token], *, interleaved: bool = False) -> TableResult:
    """Match the value rows of one table's region to the form's rows, in order."""
    table = FORM.table(table_key)
    result = TableResult(table_key)
    runs = value_runs(tokens)
    specs = row_specs(table_key)
    skip = frozenset(lb.match_key(t) for t in (*header_labels(table_key), *group_labels(table_key)))
    other_group = _other_processing_group(table_key)
    p = 0
    i = 0
    while i < len(specs):
        spec = specs[i]
        match = _find_row(runs, p, specs, i, skip, interleaved)
        if match is None and other_group and spec.key == other_group[1][0]:
            j = next((j for j in range(p, len(runs)) if _is_2019_other_row(runs[j], other_group[0])), None)
            if j is not None:
                _store_2019_other(result, table.name, other_group, runs[j])
                result.rows_found += len(other_group[1])
                p = j + 1
                i += len(other_group[1])
                continue
        if match is None:
            result.problems.append(_problem(
                "IM-3", f"{table.name}中找不到“{spec.label}”一行，本行数据未导入。", table.name, spec.label, spec.key))
            i += 1
            continue
        j, found = match
        if found:
            _record_label(result, table.name, spec, found, fragments=interleaved)
        _store_values(result, spec, runs[j], table.name, spec.label)
        result.rows_found += 1
        p = j + 1
        i += 1
    result.found = result.rows_found > 0
    return result


def _find_row(runs: Sequence[Run], start: int, specs: Sequence[RowSpec], i: int,
              skip: frozenset[str], interleaved: bool) -> tuple[int, str] | None:
    """The first run from `start` labelled as specs[i]; None when a later row's label comes first.

    Returns the label as printed, or "" when it was only found interleaved (then it cannot be
    compared verbatim)."""
    later = specs[i + 1:]
    for j in range(start, len(runs)):
        score, found = _best_label(runs[j], specs[i], skip)
        if score >= ROW_THRESHOLD:
            return j, found
        if any(_best_label(runs[j], s, skip)[0] >= ROW_THRESHOLD for s in later):
            return None
        if (
            interleaved
            and _interleaved_score(runs[j], specs[i]) >= ROW_THRESHOLD
            and _interleaved_score(runs[j], specs[i]) >= max((_interleaved_score(runs[j], s) for s in later[:1]), default=0)
        ):
            return j, ""
    return None


def _other_processing_group(table_key: str) -> tuple[str, tuple[str, ...]] | None:
    """（六）其他处理 and its sub-row keys, derived from the form (the only group 2019 kept as one row)."""
    if table_key != "t3":
        return None
    results = official.T3_ROWS
    last = next((r for r in reversed(results) if len(r.labels) == 3), None)
    if last is None:  # pragma: no cover - declaration error
        return None
    group = last.labels[1]
    return group, tuple(f"t3.{r.key}" for r in results if len(r.labels) == 3 and r.labels[1] == group)


def _store_2019_other(result: TableResult, table_name: str, group: tuple[str, tuple[str, ...]], run: Run) -> None:
    label, keys = group
    target = next(s for s in row_specs("t3") if s.key == keys[-1])
    _store_values(result, target, run, table_name, label)
    for key in keys[:-1]:
        spec = next(s for s in row_specs("t3") if s.key == key)
        for value_key in spec.keys:
            result.values.setdefault(value_key, 0)
    result.problems.append(_problem(
        "IM-5", f"{table_name}使用2019年试行格式的单行“{label}”，已计入“{target.label}”，其余两行按0处理。",
        table_name, label, target.key, severity=Severity.WARNING))


def align_single_row(table_key: str, tokens: Sequence[Token]) -> TableResult:
    """表四: one row of 15 numbers under its headers (possibly split over several lines)."""
    table = FORM.table(table_key)
    (spec,) = row_specs(table_key)
    result = TableResult(table_key)
    runs = value_runs(tokens)
    runs = [r for r in runs if any(t.number is not None for t in r.values)]
    values: list[Token] = [t for run in runs for t in run.values]
    if not values:
        return result
    if len(values) != len(spec.keys):
        result.problems.append(_problem(
            "IM-4", f"{table.name}应有{len(spec.keys)}个数，报告中有{len(values)}个，未导入。",
            table.name, "", spec.key, value=len(values), expected=len(spec.keys)))
        result.found = True
        return result
    _store_values(result, spec, Run(values, runs[0].before), table.name, table.name)
    result.rows_found = 1
    result.found = True
    return result


def check_headers(table_key: str, tokens: Sequence[Token]) -> list[lb.LabelDeviation]:
    """Headers that appear edited (`现行有效件数（历史累计）`, `现行有效件`) in a table's region.

    A header that is simply not found is not reported: PDF text splits headers over lines.
    """
    table_name = FORM.table(table_key).name
    texts = [t.text for t in tokens if t.number is None and not t.blank]
    row_keys = {lb.match_key(s.label) for s in row_specs(table_key)} | {lb.match_key(g) for g in group_labels(table_key)}
    deviations: list[lb.LabelDeviation] = []
    for header in header_labels(table_key):
        exact = [t for t in texts if lb.squash(t) == lb.squash(header)]
        if exact:
            continue
        hkey = lb.match_key(header)
        tolerant = [t for t in texts if lb.match_key(t) == hkey]
        if tolerant:
            kind = lb.classify(tolerant[0], header)
            if kind is not None:
                deviations.append(lb.LabelDeviation(table_name, header, tolerant[0].strip(), kind))
            continue
        for text in texts:
            tkey = lb.match_key(text)
            if tkey in row_keys or tkey in {lb.match_key(h) for h in header_labels(table_key)}:
                continue
            fragment = hkey.startswith(tkey) and len(tkey) <= len(hkey) - 2
            contains = hkey in tkey and len(tkey) <= len(hkey) + 12
            if fragment or not (contains or lb.similarity(text, header) >= HEADER_THRESHOLD):
                continue
            deviations.append(lb.LabelDeviation(table_name, header, text.strip(), lb.Deviation.WORDING))
            break
    return deviations
