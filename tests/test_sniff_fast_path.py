"""The quick sheet scan takes a faster path when no tag has a namespace prefix: it must find the same."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from nianbao.reader.sniff import _quick_scan, _quick_scan_any_prefix, column_letters

MAX_ROWS, MAX_COLS = 60, 12

_refs = st.tuples(st.integers(1, 80), st.integers(1, 16)).map(lambda rc: f"{column_letters(rc[1])}{rc[0]}")
_cells = st.one_of(
    _refs.map(lambda r: f'<c r="{r}" t="n"><v>3</v></c>'),
    _refs.map(lambda r: f"<c r='{r.lower()}'><v>1</v></c>"),
    _refs.map(lambda r: f'<c r="{r}" s="2"/>'),
    _refs.map(lambda r: f'<c r="{r}" t="e"><v>#DIV/0!</v></c>'),
    _refs.map(lambda r: f'<c  r = "{r}" t="e" ><v> #N/A </v></c>'),
    _refs.map(lambda r: f'<c r="{r}"><f>SUM(A1:B2)</f><v></v></c>'),
    _refs.map(lambda r: f'<c r="{r}"><f>SUM(A1:B2)</f><v>7</v></c>'),
    _refs.map(lambda r: f'<c r="{r}"><f t="shared" si="0"/></c>'),
    st.just('<c t="n"><v>2</v></c>'),
    st.just("<c><f>1+1</f></c>"),
    st.just('<is><t>"e" 文字 &lt;c r="A1"&gt;</t></is>'),
    _refs.map(lambda r: f'<x:c r="{r}"><x:f>A1</x:f></x:c>'),
    _refs.map(lambda r: f'<c r="{r}"><f>A1</x:f><v></v></c>'),
    st.just("<mc:AlternateContent/>"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_cells, max_size=6), max_size=8))
def test_fast_path_finds_what_the_general_patterns_find(rows: list[list[str]]) -> None:
    body = "".join(f'<row r="{i}">{"".join(cells)}</row>' for i, cells in enumerate(rows, start=1))
    xml = f'<worksheet xmlns="urn:main"><sheetData>{body}</sheetData></worksheet>'.encode()
    assert _quick_scan(xml, MAX_ROWS, MAX_COLS) == _quick_scan_any_prefix(xml, MAX_ROWS, MAX_COLS)


def test_the_fast_path_is_taken_and_can_fail() -> None:
    """Without prefixes, a far cell, a cell without reference and uncached formulas are still found."""
    far = (
        b'<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c><c r="Z900"><v>2</v></c></row></sheetData></worksheet>'
    )
    assert _quick_scan(far, MAX_ROWS, MAX_COLS) is None
    plain = (
        b'<worksheet><sheetData><row r="1"><c r="B2"><f>A1</f><v></v></c>'
        b'<c r="C3" t="e"><v>#REF!</v></c></row></sheetData></worksheet>'
    )
    scan = _quick_scan(plain, MAX_ROWS, MAX_COLS)
    assert scan is not None and scan.uncached_formulas == {"B2"} and scan.errors == {"C3": "#REF!"}
