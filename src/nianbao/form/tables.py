"""Build the three official tables (fields and published layout) from the declarations in `official.py`.

The layout grid is what both the Excel sheets and the Word tables draw, so merged headers and row-label
cells are computed here once, from the label paths.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import official as o
from .model import Axis, Field, FieldType, GridCell, Table


def _runs(paths: Sequence[tuple[str, ...]], level: int) -> list[tuple[int, int]]:
    """Consecutive index runs whose label paths share the same prefix up to and including `level`."""
    runs: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(paths) + 1):
        if i == len(paths) or paths[i][: level + 1] != paths[start][: level + 1] or len(paths[i]) <= level:
            runs.append((start, i - start))
            start = i
    return runs


def _header_cells(columns: Sequence[Axis], top: int, left: int) -> list[GridCell]:
    """Merged column headers: equal labels side by side merge across; a short path spans down."""
    depth = max(len(c.labels) for c in columns)
    paths = [c.labels for c in columns]
    cells: list[GridCell] = []
    for level in range(depth):
        for start, width in _runs(paths, level):
            path = paths[start]
            if len(path) <= level:
                continue
            last = level == len(path) - 1
            cells.append(
                GridCell(
                    row=top + level,
                    col=left + start,
                    text=path[level],
                    rowspan=depth - level if last else 1,
                    colspan=width,
                    kind="header",
                )
            )
    return cells


def _row_label_cells(rows: Sequence[Axis], top: int, depth: int) -> list[GridCell]:
    """Merged row labels: equal labels one above another merge down; a short path spans across."""
    paths = [r.labels for r in rows]
    cells: list[GridCell] = []
    for level in range(depth):
        for start, height in _runs(paths, level):
            path = paths[start]
            if len(path) <= level:
                continue
            last = level == len(path) - 1
            cells.append(
                GridCell(
                    row=top + start,
                    col=level,
                    text=path[level],
                    rowspan=height,
                    colspan=depth - level if last else 1,
                    kind="label",
                )
            )
    return cells


def _field(
    key: str,
    part: str,
    row: tuple[str, ...],
    column: tuple[str, ...],
    type_: FieldType,
    input_: bool,
    unit: str,
    help_: str = "",
) -> Field:
    return Field(key=key, part=part, row=row, column=column, type=type_, input=input_, unit=unit, help=help_)


def build_table2() -> Table:
    width = 1 + len(o.T2_DOC_COLUMNS)
    grid: list[GridCell] = []
    fields: list[Field] = []
    rows: list[Axis] = []
    columns: dict[str, Axis] = {}
    r = 0
    for _block_key, header, block_rows, block_cols in o.T2_BLOCKS:
        grid.append(GridCell(r, 0, header, colspan=width, kind="header"))
        grid.append(GridCell(r + 1, 0, o.T2_CONTENT_HEADER, kind="header"))
        span = (width - 1) // len(block_cols)
        for j, col in enumerate(block_cols):
            columns.setdefault(col.key, col)
            grid.append(GridCell(r + 1, 1 + j * span, col.label, colspan=span, kind="header"))
        r += 2
        for row in block_rows:
            rows.append(Axis(row.key, (header, *row.labels), row.help))
            grid.append(GridCell(r, 0, row.label, kind="label"))
            for j, col in enumerate(block_cols):
                key = f"t2.{row.key}.{col.key}"
                is_amount = col.key == o.T2_AMOUNT_COLUMN.key
                fields.append(
                    _field(
                        key,
                        "表二",
                        (header, row.label),
                        col.labels,
                        FieldType.DECIMAL if is_amount else FieldType.INT,
                        True,
                        "万元" if is_amount else "件",
                        row.help or col.help,
                    )
                )
                grid.append(GridCell(r, 1 + j * span, colspan=span, kind="value", key=key))
            r += 1
    return Table(
        "t2", "表二", o.HEADINGS[1], tuple(rows), tuple(columns.values()), tuple(grid), r, width, tuple(fields)
    )


def build_table3() -> Table:
    depth = max(len(r.labels) for r in o.T3_ROWS)
    header_depth = max(len(c.labels) for c in o.T3_COLUMNS)
    grid: list[GridCell] = [GridCell(0, 0, o.T3_NOTE, rowspan=header_depth, colspan=depth, kind="note")]
    grid += _header_cells(o.T3_COLUMNS, 0, depth)
    grid += _row_label_cells(o.T3_ROWS, header_depth, depth)
    fields: list[Field] = []
    for i, row in enumerate(o.T3_ROWS):
        for j, col in enumerate(o.T3_COLUMNS):
            key = f"t3.{row.key}.{col.key}"
            derived = col.key == "total" or row.key == "concluded_total"
            fields.append(_field(key, "表三", row.labels, col.labels, FieldType.INT, not derived, "件", row.help))
            grid.append(GridCell(header_depth + i, depth + j, kind="value", key=key))
    return Table(
        "t3",
        "表三",
        o.HEADINGS[2],
        o.T3_ROWS,
        o.T3_COLUMNS,
        tuple(grid),
        header_depth + len(o.T3_ROWS),
        depth + len(o.T3_COLUMNS),
        tuple(fields),
    )


def t4_columns() -> tuple[Axis, ...]:
    return tuple(
        Axis(f"{block}.{outcome.key}", (*labels, *outcome.labels), outcome.help)
        for block, labels in o.T4_BLOCKS
        for outcome in o.T4_OUTCOMES
    )


def build_table4() -> Table:
    columns = t4_columns()
    header_depth = max(len(c.labels) for c in columns)
    grid = _header_cells(columns, 0, 0)
    fields: list[Field] = []
    for j, col in enumerate(columns):
        key = f"t4.{col.key}"
        derived = col.key.endswith(".total")
        fields.append(_field(key, "表四", (), col.labels, FieldType.INT, not derived, "件", col.help))
        grid.append(GridCell(header_depth, j, kind="value", key=key))
    return Table("t4", "表四", o.HEADINGS[3], (), columns, tuple(grid), header_depth + 1, len(columns), tuple(fields))
