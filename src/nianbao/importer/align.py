"""Align the tables of a published report to the form's keys.

Every reader (plain text, web page, PDF, Word) turns a report into the same `Document`: a sequence of
blocks, each a paragraph or a table row of cell texts. The aligner does not trust the table structure,
which differs between sources (merged cells, wrapped cells, PDF columns), but walks the cells in reading
order: runs of numbers are rows of values, and the text just before a run (or, for a label wrapped
round its numbers in a PDF, just after) names the row. Rows are matched to the form's rows in the
form's order, tolerantly (`labels.similarity`), and every non-verbatim label is recorded.

A table or row that cannot be matched is reported as a problem; its keys are left out, never zero.
Blank, `—` and `/` cells are read as 0 with one warning per table (what they mean in published tables).

When a row's label is printed on a line of its own, apart from its numbers (long labels in PDF and web
text), label order alone can pair numbers with the wrong row. The straightforward alignment is tried
first; when some rows were not labelled on their own line and the table's sum rules (`FORM.rules`:
T3-1/2/3, T4-1) fail, the other readings (labels after their numbers, rows by position) are tried and the
one the rules accept is taken. When no reading, or more than one, satisfies them, the rows not labelled
on the line of their numbers are left out with an IM-10 problem: shifted numbers are never returned.
A row whose cells ran together (`120300015`) is split by the rules too (`runtogether`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from functools import cache

from ..findings import Finding, codes
from ..form import FORM, CellRule, FieldType, Severity, SumRule, official
from . import labels as lb
from . import runtogether

# Row labels are accepted from this similarity on (typos such as 三类内容事务信息 score ~0.9).
ROW_THRESHOLD = 0.8
# Header labels are reported as edited (X2) from this similarity on.
HEADER_THRESHOLD = 0.7
# How many neighbouring text cells may make up one (wrapped) row label.
_MAX_LABEL_PARTS = 6
# How many text cells on each side of a run the interleaved (PDF) match looks at.
_MAX_WINDOW = 12

# Problem codes of the importer (the audit shows them next to the §8 rule ids).
IMPORT_CODES: dict[str, str] = codes(*(f"IM-{n}" for n in range(1, 13)))
# How many combinations of ambiguous run-together rows the table's column rules may choose among.
_MAX_COMBINATIONS = 4096


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
    own: list[str] = field(default_factory=list)  # the text cells on the run's own line, before it


@dataclass
class TableResult:
    table: str  # "t2"
    values: dict[str, int | Decimal] = field(default_factory=dict)
    deviations: list[lb.LabelDeviation] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)
    found: bool = False
    rows_found: int = 0
    anchored: set[str] = field(default_factory=set)  # rows whose label is on the same line as their numbers
    blank: list[str] = field(default_factory=list)  # value keys printed blank, `—`, `/` … (read as 0)
    split: dict[str, list[tuple[int, ...]]] = field(default_factory=dict)  # run-together rows: possible splits
    how: str = "labels"  # "labels", "labels after numbers" or "position"
    values_2019: dict[str, int | Decimal] = field(default_factory=dict)  # the 2019 format's own row, as printed

    @property
    def complete(self) -> bool:
        """Every row of the table was found, with the right number of cells."""
        return self.rows_found == len(row_specs(self.table)) and not any(
            p.code in ("IM-3", "IM-4", "IM-12") for p in self.problems
        )


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
        specs.append(
            RowSpec(f"{table_key}.{row.key}", row.label, tuple(f.key for f in fields if f.key.startswith(prefix)))
        )
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


def value_runs(tokens: Sequence[Token], headers: frozenset[str] = frozenset()) -> list[Run]:
    """Maximal runs of number (or blank) cells within one row, each with the text cells before it.

    Blank cells only count as values after a label in the same row, so the empty cells a merged
    row-label leaves at the start of a row are not mistaken for values.
    """
    runs: list[Run] = []
    texts: list[str] = []
    current: list[Token] = []
    own: list[str] = []
    last_row: int | None = None

    def close() -> None:
        labelled = any(lb.match_key(t) not in headers for t in own)
        if current and (labelled or any(t.number is not None or lb.squash(t.text) for t in current)):
            runs.append(Run(current.copy(), texts.copy(), own=own.copy()))
            texts.clear()
            own.clear()
        current.clear()  # empty cells after a header (a Markdown table's header row) hold no values

    for tok in tokens:
        if tok.row != last_row:
            close()
            own.clear()
            last_row = tok.row
        if tok.number is not None or (tok.blank and (own or current or lb.squash(tok.text))):
            current.append(tok)
            continue
        close()
        if not tok.blank:
            texts.append(tok.text)
            own.append(tok.text)
    close()
    for j, run in enumerate(runs):
        run.after = runs[j + 1].before if j + 1 < len(runs) else texts.copy()
    return runs


# -- matching rows ---------------------------------------------------------------------------------
def _candidates(run: Run, skip: frozenset[str], side: str = "before") -> list[str]:
    """Possible row labels: the last text cells before the run, optionally continued after it; or, for
    labels printed below their numbers (`side="after"`), the first text cells after it."""
    before = [t for t in run.before if lb.match_key(t) not in skip]
    after = [t for t in run.after if lb.match_key(t) not in skip]
    if side == "after":
        return ["".join(after[:k]) for k in range(1, min(len(after), _MAX_LABEL_PARTS) + 1)]
    out: list[str] = []
    for k in range(1, min(len(before), _MAX_LABEL_PARTS) + 1):
        head = "".join(before[-k:])
        out.append(head)
        for m in range(1, min(len(after), 2) + 1):
            out.append(head + "".join(after[:m]))
    return out


def _best_label(run: Run, spec: RowSpec, skip: frozenset[str], side: str = "before") -> tuple[float, str]:
    """The best-matching label for a run: (score, label text as printed)."""
    best = (0.0, "")
    for cand in _candidates(run, skip, side):
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


def _problem(
    code: str, message: str, table: str, where: str = "", key: str = "", severity: str = Severity.ERROR, **extra: object
) -> Finding:
    return Finding(code=code, severity=severity, message=message, sheet=table, cell=where, key=key, extra=dict(extra))


def _store_values(result: TableResult, spec: RowSpec, run: Run, table_name: str, row_label: str) -> None:
    if len(run.values) != len(spec.keys):
        cells = runtogether.digit_cells([t.text for t in run.values])
        if cells is not None and len(run.values) < len(spec.keys):
            _store_split(result, spec, cells, table_name, row_label)
            return
        result.problems.append(
            _problem(
                "IM-4",
                f"{table_name}“{row_label}”一行应有{len(spec.keys)}个数，报告中有{len(run.values)}个，本行未读取。",
                table_name,
                row_label,
                spec.key,
                value=len(run.values),
                expected=len(spec.keys),
            )
        )
        return
    for key, tok in zip(spec.keys, run.values, strict=True):
        field_ = FORM.by_key[key]
        col = " / ".join(field_.column)
        if tok.number is None:  # blank, `—`, `/`, `无`: 0 in published tables, one warning per table
            result.values[key] = 0 if field_.type is FieldType.INT else Decimal(0)
            result.blank.append(key)
            continue
        if lb.has_note(tok.text):
            result.problems.append(
                _problem(
                    "IM-6",
                    f"{table_name}“{row_label}”的“{col}”写成“{tok.text.strip()}”，只读取了数字{tok.number}。",
                    table_name,
                    f"{row_label} / {col}",
                    key,
                    severity=Severity.WARNING,
                    value=tok.text,
                )
            )
        if field_.type is FieldType.INT:
            if tok.number != tok.number.to_integral_value():
                code = _cell_rule_codes().get(key, "IM-4")
                result.problems.append(
                    _problem(
                        code,
                        f"{table_name}“{row_label}”的“{col}”应为整数，报告中为{tok.number}。",
                        table_name,
                        f"{row_label} / {col}",
                        key,
                        value=str(tok.number),
                    )
                )
                continue
            result.values[key] = int(tok.number)
        else:
            result.values[key] = tok.number


def _store_split(result: TableResult, spec: RowSpec, cells: list[str], table_name: str, row_label: str) -> None:
    """A row whose numbers ran together: every split its own rules allow (the table chooses later)."""
    options = runtogether.splits(cells, spec.keys)
    printed = " ".join(cells)
    if not options:
        result.problems.append(
            _problem(
                "IM-12",
                f"{table_name}“{row_label}”一行的数字连在一起（“{printed}”），无法按勾稽关系拆分为"
                f"{len(spec.keys)}个数，本行未读取。",
                table_name,
                row_label,
                spec.key,
                value=printed,
            )
        )
        return
    result.split[spec.key] = options
    result.values.update(zip(spec.keys, options[0], strict=True))


def _resolve_splits(result: TableResult, table_name: str) -> None:
    """Choose among the possible splits of run-together rows: the one combination the table's rules accept."""
    if not result.split:
        return
    specs = {s.key: s for s in row_specs(result.table)}
    for row, options in list(result.split.items()):  # one split within the row's own rules: take it
        if len(options) == 1:
            _note_split(result, specs[row], options[0], table_name)
            del result.split[row]
    rows = list(result.split)
    combinations = 1
    for row in rows:
        combinations *= len(result.split[row])
    chosen: list[tuple[tuple[int, ...], ...]] = []
    if combinations <= _MAX_COMBINATIONS:
        for combo in itertools.product(*(result.split[r] for r in rows)):
            values = dict(result.values)
            for row, numbers in zip(rows, combo, strict=True):
                values.update(zip(specs[row].keys, numbers, strict=True))
            if rules_hold(result.table, values):
                chosen.append(combo)
    for n, row in enumerate(rows):
        spec = specs[row]
        label = spec.label or table_name
        agreed = {combo[n] for combo in chosen}
        if len(agreed) == 1:  # every combination the rules accept splits this row the same way
            _note_split(result, spec, agreed.pop(), table_name)
            continue
        for key in spec.keys:
            result.values.pop(key, None)
        result.problems.append(
            _problem(
                "IM-12",
                f"{table_name}“{label}”一行的数字连在一起，有{len(result.split[row])}种拆分方式，"
                f"{'没有一种' if not chosen else '不止一种'}能使全表勾稽关系成立，本行未读取。",
                table_name,
                label,
                spec.key,
            )
        )
    result.split.clear()


def _note_split(result: TableResult, spec: RowSpec, numbers: tuple[int, ...], table_name: str) -> None:
    label = spec.label or table_name
    result.values.update(zip(spec.keys, numbers, strict=True))
    result.problems.append(
        _problem(
            "IM-11",
            f"{table_name}“{label}”一行的数字连在一起，已按勾稽关系拆分为 {' '.join(map(str, numbers))}，请核对。",
            table_name,
            label,
            spec.key,
            severity=Severity.WARNING,
            value=" ".join(map(str, numbers)),
        )
    )


def _record_label(result: TableResult, table_name: str, spec: RowSpec, found: str, *, fragments: bool = False) -> None:
    kind = lb.classify(found, spec.label)
    if fragments and kind is lb.Deviation.WORDING:
        return  # a wrapped label's first line, not an edit
    if kind is not None:
        result.deviations.append(lb.LabelDeviation(table_name, spec.label, found.strip(), kind, spec.key))


# -- the table's own rules choose the alignment -------------------------------------------------------
@cache
def _table_rules(table_key: str) -> tuple[SumRule, ...]:
    """The sum rules of the form that lie within one table (T3-1, T3-2, T3-3; T4-1)."""
    keys = {f.key for f in FORM.table(table_key).fields}
    return tuple(r for r in FORM.rules if isinstance(r, SumRule) and set(r.lhs) | set(r.rhs) <= keys)


def rules_hold(table_key: str, values: Mapping[str, int | Decimal]) -> bool:
    """Every sum rule of the table whose cells were all read holds on the numbers as printed."""
    for rule in _table_rules(table_key):
        keys = (*rule.lhs, *rule.rhs)
        if any(k not in values for k in keys):
            continue
        if sum(values[k] for k in rule.lhs) != sum(values[k] for k in rule.rhs):
            return False
    return True


def align_rows(table_key: str, tokens: Sequence[Token], *, interleaved: bool = False) -> TableResult:
    """Match the value rows of one table's region to the form's rows.

    The straightforward reading (labels before or around their numbers, in the form's order) is taken
    when every row was labelled on its own line, or when the table's rules hold. Otherwise the other
    readings are tried, and the table's rules choose (see the module's docstring)."""
    runs = value_runs(tokens, _skip(table_key))
    first = _align_by_labels(table_key, runs, interleaved=interleaved)
    # Every row found was labelled on its own line: nothing can have shifted.
    settled = not runs or (first.rows_found > 0 and len(first.anchored) >= first.rows_found)
    if settled or (first.complete and _rules_hold_after_splits(first)):
        _finish(first)
        return first
    others = [_align_by_position(table_key, runs), _align_by_labels(table_key, runs, side="after")]
    readings = [r for r in (first, *others) if r is not None]
    good = [r for r in readings if r.complete and _rules_hold_after_splits(r)]
    if good and all(r.values == good[0].values for r in good):
        chosen = good[0]
        _finish(chosen)
        if chosen is not first:
            chosen.problems.append(
                _problem(
                    "IM-9",
                    f"{FORM.table(table_key).name}的部分行标签与数字不在同一行，已按表格的勾稽关系确定各行的数字"
                    f"（{chosen.how}对齐），请核对。",
                    FORM.table(table_key).name,
                    severity=Severity.INFO,
                )
            )
        return chosen
    rivals = [r for r in readings[1:] if r.complete and r.values != first.values]
    if not good and not rivals and first.complete:  # the only reading: its failed rules are the report's own errors
        _finish(first)
        return first
    return _keep_anchored(first, table_key, ambiguous=bool(good))


def _rules_hold_after_splits(result: TableResult) -> bool:
    if not result.split:
        return rules_hold(result.table, result.values)
    trial = dataclasses.replace(
        result,
        values=dict(result.values),
        problems=list(result.problems),
        split={k: list(v) for k, v in result.split.items()},
    )
    _resolve_splits(trial, FORM.table(result.table).name)
    return not any(p.code == "IM-12" for p in trial.problems) and rules_hold(result.table, trial.values)


def _finish(result: TableResult) -> None:
    """Resolve run-together rows and turn blank cells into one warning for the table."""
    table_name = FORM.table(result.table).name
    _resolve_splits(result, table_name)
    if result.blank:
        shown = "、".join(_cell_name(k) for k in result.blank[:3]) + ("等" if len(result.blank) > 3 else "")
        result.problems.append(
            _problem(
                "IM-8",
                f"{table_name}有{len(result.blank)}个单元格为空或写成“—”“/”“无”（{shown}），已按0读取；"
                "按官方格式应填0。",
                table_name,
                severity=Severity.WARNING,
                value=len(result.blank),
                keys=list(result.blank),
            )
        )


def _cell_name(key: str) -> str:
    field_ = FORM.by_key[key]
    return " / ".join(x for x in (*field_.row[-1:], *field_.column[-1:]) if x)


def _keep_anchored(first: TableResult, table_key: str, *, ambiguous: bool) -> TableResult:
    """No reading is certain: keep only the rows labelled on their own line, and say why the rest is left out."""
    table = FORM.table(table_key)
    rows = first.anchored

    def kept(key: str) -> bool:
        return key in rows or key.rsplit(".", 1)[0] in rows

    first.values = {k: v for k, v in first.values.items() if kept(k)}
    first.blank = [k for k in first.blank if kept(k)]
    first.split = {r: options for r, options in first.split.items() if r in rows}
    first.problems = [p for p in first.problems if kept(p.key)]
    first.deviations = [d for d in first.deviations if d.key in rows]
    first.rows_found = len(rows)
    _finish(first)
    left_out = [s for s in row_specs(table_key) if s.key not in rows]
    why = "有多种对齐方式都能使勾稽关系成立" if ambiguous else "没有一种对齐方式能使各行齐全且勾稽关系成立"
    names = "、".join(f"“{s.label}”" for s in left_out[:3]) + ("等" if len(left_out) > 3 else "")
    first.problems.append(
        _problem(
            "IM-10",
            f"{table.name}的行标签与数字不在同一行，{why}，无法确定{names}{len(left_out)}行的数字，这些行未导入。",
            table.name,
            "",
            table_key,
            rows=[s.key for s in left_out],
        )
    )
    return first


def _align_by_position(table_key: str, runs: Sequence[Run]) -> TableResult | None:
    """Rows in the form's order, one run each, ignoring labels: possible only when the counts agree."""
    specs = row_specs(table_key)
    if len(runs) != len(specs):
        return None
    table = FORM.table(table_key)
    result = TableResult(table_key, found=True, how="按行的位置")
    for spec, run in zip(specs, runs, strict=True):
        _store_values(result, spec, run, table.name, spec.label)
        result.rows_found += 1
    return result


def _align_by_labels(
    table_key: str, runs: Sequence[Run], *, interleaved: bool = False, side: str = "before"
) -> TableResult:
    """Match runs to the form's rows in order, by the label before (or, `side="after"`, after) each run."""
    table = FORM.table(table_key)
    result = TableResult(table_key, how="按数字下方的标签" if side == "after" else "按标签")
    specs = row_specs(table_key)
    skip = _skip(table_key)
    other_group = _other_processing_group(table_key)
    p = 0
    i = 0
    while i < len(specs):
        spec = specs[i]
        match = _find_row(runs, p, specs, i, skip, interleaved and side == "before", side)
        if match is None and other_group and spec.key == other_group[1][0]:
            j = next((j for j in range(p, len(runs)) if _is_2019_other_row(runs[j], other_group[0])), None)
            if j is not None:
                _store_2019_other(result, table.name, other_group, runs[j])
                result.rows_found += len(other_group[1])
                if runs[j].own:
                    result.anchored.update(other_group[1])
                p = j + 1
                i += len(other_group[1])
                continue
        if match is None:
            result.problems.append(
                _problem(
                    "IM-3",
                    f"{table.name}中找不到“{spec.label}”一行，本行数据未导入。",
                    table.name,
                    spec.label,
                    spec.key,
                )
            )
            i += 1
            continue
        j, found = match
        if found:
            _record_label(result, table.name, spec, found, fragments=interleaved)
        if side == "before" and _on_its_line(runs[j], spec, skip):
            result.anchored.add(spec.key)
        _store_values(result, spec, runs[j], table.name, spec.label)
        result.rows_found += 1
        p = j + 1
        i += 1
    result.found = result.rows_found > 0
    return result


@cache
def _skip(table_key: str) -> frozenset[str]:
    """Match keys of the header and group labels: text that never names a value row by itself."""
    return frozenset(lb.match_key(t) for t in (*header_labels(table_key), *group_labels(table_key)))


def _on_its_line(run: Run, spec: RowSpec, skip: frozenset[str]) -> bool:
    """The row's label begins on the line of its numbers: the match cannot be a neighbour's label."""
    return bool(run.own) and _best_label(Run(run.values, run.own, run.after), spec, skip)[0] >= ROW_THRESHOLD


def _find_row(
    runs: Sequence[Run],
    start: int,
    specs: Sequence[RowSpec],
    i: int,
    skip: frozenset[str],
    interleaved: bool,
    side: str = "before",
) -> tuple[int, str] | None:
    """The first run from `start` labelled as specs[i]; None when a later row's label comes first.

    Returns the label as printed, or "" when it was only found interleaved (then it cannot be
    compared verbatim)."""
    later = specs[i + 1 :]
    for j in range(start, len(runs)):
        score, found = _best_label(runs[j], specs[i], skip, side)
        if score >= ROW_THRESHOLD:
            return j, found
        if any(_best_label(runs[j], s, skip, side)[0] >= ROW_THRESHOLD for s in later):
            return None
        if (
            interleaved
            and _interleaved_score(runs[j], specs[i]) >= ROW_THRESHOLD
            and _interleaved_score(runs[j], specs[i])
            >= max((_interleaved_score(runs[j], s) for s in later[:1]), default=0)
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
    old_row = f"t3_2019.{official.T3_2019_OTHER_ROW.key}"
    result.values_2019.update(
        {f"{old_row}.{k.rsplit('.', 1)[1]}": result.values[k] for k in target.keys if k in result.values}
    )
    for key in keys[:-1]:
        spec = next(s for s in row_specs("t3") if s.key == key)
        for value_key in spec.keys:
            result.values.setdefault(value_key, 0)
    result.problems.append(
        _problem(
            "IM-5",
            f"{table_name}使用2019年试行格式的单行“{label}”，已计入“{target.label}”，其余两行按0处理。",
            table_name,
            label,
            target.key,
            severity=Severity.WARNING,
        )
    )


def align_single_row(table_key: str, tokens: Sequence[Token]) -> TableResult:
    """表四: one row of 15 numbers under its headers (possibly split over several lines, or run together)."""
    table = FORM.table(table_key)
    (spec,) = row_specs(table_key)
    result = TableResult(table_key)
    runs = value_runs(tokens)
    runs = [r for r in runs if any(t.number is not None or lb.squash(t.text) for t in r.values)]
    values: list[Token] = [t for run in runs for t in run.values]
    if not values:
        return result
    result.found = True
    run_together = len(values) < len(spec.keys) and runtogether.digit_cells([t.text for t in values]) is not None
    if len(values) != len(spec.keys) and not run_together:
        result.problems.append(
            _problem(
                "IM-4",
                f"{table.name}应有{len(spec.keys)}个数，报告中有{len(values)}个，未导入。",
                table.name,
                "",
                spec.key,
                value=len(values),
                expected=len(spec.keys),
            )
        )
        return result
    _store_values(result, spec, Run(values, runs[0].before), table.name, table.name)
    result.rows_found = 1 if not any(p.code == "IM-12" for p in result.problems) else 0
    _finish(result)
    return result


def check_headers(table_key: str, tokens: Sequence[Token]) -> list[lb.LabelDeviation]:
    """Headers that appear edited (`现行有效件数（历史累计）`, `现行有效件`) in a table's region.

    A header that is simply not found is not reported: PDF text splits headers over lines.
    """
    table_name = FORM.table(table_key).name
    texts = [t.text for t in tokens if t.number is None and not t.blank]
    row_keys = {lb.match_key(s.label) for s in row_specs(table_key)} | {
        lb.match_key(g) for g in group_labels(table_key)
    }
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
