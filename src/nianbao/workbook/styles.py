"""The look of the template: fonts, fills, borders and widths shared by every sheet."""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

BODY_FONT = "宋体"
TITLE_FONT = "黑体"

FONT = Font(name=BODY_FONT, size=11)
FONT_BOLD = Font(name=BODY_FONT, size=11, bold=True)
FONT_SMALL = Font(name=BODY_FONT, size=10, color="595959")
FONT_TITLE = Font(name=TITLE_FONT, size=16)
FONT_HEADING = Font(name=TITLE_FONT, size=12)

INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # light yellow: type here
DERIVED_FILL = PatternFill("solid", fgColor="E7E6E6")  # grey: computed
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
OK_FILL = PatternFill("solid", fgColor="C6EFCE", bgColor="C6EFCE")
BAD_FILL = PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE")
OK_FONT = Font(color="006100", bold=True)
BAD_FONT = Font(color="9C0006", bold=True)
WARN_FILL = PatternFill("solid", fgColor="FFEB9C", bgColor="FFEB9C")  # amber: passes, but look again
WARN_FONT = Font(color="9C5700", bold=True)

_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
TOP_LEFT = Alignment(horizontal="left", vertical="top", wrap_text=True)


def box(ws: Worksheet, row1: int, col1: int, row2: int, col2: int) -> None:
    """Thin borders on every cell of a (possibly merged) block, so merged cells print framed."""
    for row in ws.iter_rows(min_row=row1, max_row=row2, min_col=col1, max_col=col2):
        for cell in row:
            cell.border = BORDER


def merge(ws: Worksheet, row1: int, col1: int, row2: int, col2: int) -> None:
    if (row1, col1) != (row2, col2):
        ws.merge_cells(start_row=row1, start_column=col1, end_row=row2, end_column=col2)


def page_footer(ws: Worksheet) -> None:
    """'第 N 页，共 M 页' in the middle of every page's footer."""
    footer = ws.oddFooter
    centre = footer.center if footer is not None else None
    assert centre is not None  # openpyxl creates every header and footer with its three parts
    centre.text = "第 &P 页，共 &N 页"


def landscape_a4(ws: Worksheet, fit_width: bool = True) -> None:
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    if fit_width:
        setup = ws.sheet_properties.pageSetUpPr
        assert setup is not None  # WorksheetProperties always creates one
        setup.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = True
    page_footer(ws)
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top, ws.page_margins.bottom = 0.4, 0.6
    # The footer sits 0.2 in from the edge, 0.4 in below the table: with openpyxl's default 0.5 in LibreOffice
    # had 0.1 in for the page number and clipped it. No header is printed, so the top margin gives the room back.
    ws.page_margins.header, ws.page_margins.footer = 0.2, 0.2
