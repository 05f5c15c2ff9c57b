"""provenance.csv is assembled from texts quoted one by one: the bytes must be csv.writer's own."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from nianbao.outputs import _csv_quoted

_texts = st.text(alphabet=st.sampled_from(["a", "甲", ",", '"', "'", "\n", "\r", " ", "，", "\t"]), max_size=6)


@given(st.lists(st.tuples(_texts, _texts), min_size=1, max_size=5))
def test_rows_are_what_csv_writer_writes(rows: list[tuple[str, str]]) -> None:
    expected = io.StringIO(newline="")
    csv.writer(expected).writerows([(a, 7, b) for a, b in rows])
    firsts, seconds = _csv_quoted([a for a, _b in rows]), _csv_quoted([b for _a, b in rows])
    assert "".join(f"{a},7,{b}\r\n" for a, b in zip(firsts, seconds, strict=True)) == expected.getvalue()
