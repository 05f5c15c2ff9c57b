"""Excel formulas for the live checks and totals, built from the rule objects in `FORM.rules`.

Nothing here knows a rule by heart: each formula is a translation of a `SumRule`, `BoundRule`,
`ZeroRule` or `CellRule`, so the workbook checks exactly what the reader and the merge check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..form import FORM, BoundRule, CellRule, FieldType, Rule, Severity, SumRule, ZeroRule, entry
from ..form.layout import Location, address, location, range_refs

CHECK_OK = "正确"
CHECK_BAD = "错误"
CHECK_WARN = "提示"  # passes, but something the reader also warns about
STATUS_LABEL = "校验结果"


def _same_sheet(keys: Sequence[str]) -> list[Location]:
    locs = [location(k) for k in keys]
    if len({loc.sheet for loc in locs}) != 1:  # pragma: no cover - declaration error
        raise ValueError(f"rule spans several sheets: {keys}")
    return locs


def _refs(keys: Sequence[str]) -> str:
    return ",".join(range_refs(_same_sheet(keys)))


def sum_formula(keys: Sequence[str]) -> str:
    """The formula of a derived (total) cell."""
    return f"=SUM({_refs(keys)})"


def _normalized_text(ref: str) -> str:
    """1 for each text cell of `ref` the reader reads as a number ≥ 0 (full-width digits, spaces, a unit).

    ASC folds full-width forms like NFKC does; the units and separators come from the form. ISNUMBER
    swallows the #VALUE! of text that is no number, so no IFERROR (which needs array entry in older Excel).
    """
    folded = f"ASC({ref})"
    for piece in (" ", ",", *entry.NUMBER_UNITS):
        folded = f'SUBSTITUTE({folded},"{piece}","")'
    return f'SUMPRODUCT(ISTEXT({ref})*ISNUMBER(VALUE({folded}))*ISERR(FIND("-",{ref})))'


def spaces_only(ref: str) -> str:
    """How many cells of `ref` hold only spaces (half- or full-width): the reader takes them as blank."""
    return f'SUMPRODUCT(ISTEXT({ref})*(LEN(SUBSTITUTE(SUBSTITUTE({ref}," ",""),"\u3000",""))=0))'


def normalized_text_count(refs: Sequence[str]) -> str:
    """How many cells hold a number written as text: a warning, not an error, when the form says so."""
    return "+".join(_normalized_text(r) for r in refs)


def _cell_rule_condition(rule: CellRule) -> str:
    """Every cell blank or a number ≥ 0; integer cells also whole; text only where the reader tolerates it.

    Which text is an error follows `form.entry.ENTRY_KINDS`: "无", "—" and other words are, a number in
    full-width digits or with a unit is not (it has its warning on the cover). The nested IFs matter:
    Excel's IF evaluates only the chosen branch, so the arithmetic test never sees text (which would turn
    the check itself into #VALUE!).
    """
    refs = _refs(rule.keys).split(",")
    all_refs = ",".join(refs)
    text = f"(COUNTA({all_refs})-COUNT({all_refs}))"
    tolerated = [normalized_text_count(refs)] if entry.ENTRY_KINDS["normalized"].severity != Severity.ERROR else []
    if entry.ENTRY_KINDS["blank"].severity != Severity.ERROR:  # spaces only: the reader sees a blank cell
        tolerated += [spaces_only(r) for r in refs]
    bad_text = f"{text}-({'+'.join(tolerated)})" if tolerated else text
    negative = "+".join(f'COUNTIF({r},"<0")' for r in refs)
    ints = [k for k in rule.keys if FORM.by_key[k].type is FieldType.INT]
    fraction = "+".join(f"SUMPRODUCT(ABS({r}-ROUND({r},0)))" for r in _refs(ints).split(","))
    return (
        f'IF({bad_text}>0,"{CHECK_BAD}",IF({negative}>0,"{CHECK_BAD}",'
        f'IF({text}>0,"{CHECK_OK}",IF({fraction}>0,"{CHECK_BAD}","{CHECK_OK}"))))'
    )


def check_formula(rule: Rule) -> str:
    """A formula showing CHECK_OK or CHECK_BAD for one rule."""
    if isinstance(rule, CellRule):
        return "=" + _cell_rule_condition(rule)
    if isinstance(rule, SumRule):
        cond = f"SUM({_refs(rule.lhs)})=SUM({_refs(rule.rhs)})"
    elif isinstance(rule, BoundRule):
        cond = f"SUM({_refs(rule.lhs)})<=SUM({_refs(rule.rhs)})"
    elif isinstance(rule, ZeroRule):
        # SUMSQ is 0 only when every target is 0 (negatives cannot cancel out), and it ignores text.
        cond = f"OR(SUM({_refs(rule.condition)})<>0,SUMSQ({_refs(rule.targets)})=0)"
    else:  # pragma: no cover
        raise TypeError(rule)
    return f'=IF({cond},"{CHECK_OK}","{CHECK_BAD}")'


def rule_keys(rule: Rule) -> tuple[str, ...]:
    """The keys a rule reads, the first one anchoring where its check is shown."""
    if isinstance(rule, CellRule):
        return rule.keys
    if isinstance(rule, ZeroRule):
        return (*rule.condition, *rule.targets)
    return (*rule.lhs, *rule.rhs)


def rule_table(rule: Rule) -> str:
    """ "t2", "t3" or "t4": the table whose cells the rule reads."""
    return rule_keys(rule)[0].split(".", 1)[0]


@dataclass(frozen=True)
class CheckCell:
    """Where one rule's live check is shown."""

    rule: Rule
    sheet: str
    row: int
    col: int

    @property
    def cell(self) -> str:
        return address(self.row, self.col)


def rules_by_table() -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = {}
    for rule in FORM.rules:
        out.setdefault(rule_table(rule), []).append(rule)
    return out


# -- the cover's checks on the whole workbook ---------------------------------------------------------


def input_refs(keys: Iterable[str] | None = None) -> list[str]:
    """Sheet-qualified ranges covering the given input cells (all input numbers by default)."""
    by_sheet: dict[str, list[Location]] = {}
    for key in FORM.input_numeric_keys if keys is None else keys:
        loc = location(key)
        by_sheet.setdefault(loc.sheet, []).append(loc)
    return [ref for sheet, locs in by_sheet.items() for ref in range_refs(locs, sheet)]


def confirmed() -> str:
    """True when the cover confirms that every number is 0 (the form's confirmation field)."""
    field = FORM.confirm_field
    return f'TRIM({location(field.key).ref(absolute=True)})="{field.choices[0]}"'


def unfilled() -> str:
    """No number cell holds anything and nothing confirms zeros: the reader's V-UNFILLED."""
    return f"AND(COUNTA({','.join(input_refs())})=0,NOT({confirmed()}))"


def contradicted() -> str:
    """Zeros confirmed, yet a number is not 0: the reader's V-CONFIRM."""
    return f"AND({confirmed()},SUMSQ({','.join(input_refs())})>0)"


def blank_sections() -> str:
    """How many sections of the form have a blank cell: one V-BLANK warning each, as the reader gives."""
    parts = []
    for _label, keys in FORM.entry_sections:
        blanks = "+".join(f"COUNTBLANK({r})+{spaces_only(r)}" for r in input_refs(keys))
        parts.append(f"(({blanks})>0)")
    return f"IF(OR({confirmed()},COUNTA({','.join(input_refs())})=0),0,{'+'.join(parts)})"


def implausible() -> str:
    """How many numbers exceed the plausible bound of their unit: the reader's V-IMPLAUSIBLE."""
    parts = []
    for unit, bound in entry.PLAUSIBLE_MAX.items():
        keys = [k for k in FORM.input_numeric_keys if FORM.by_key[k].unit == unit]
        parts += [f'COUNTIF({r},">{bound}")' for r in input_refs(keys)] if keys else []
    return "+".join(parts) or "0"


def empty(key: str) -> str:
    return f"LEN(TRIM({location(key).ref(absolute=True)}))=0"
