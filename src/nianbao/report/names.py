"""The names a report template uses, shared by the template builder, the context and the checks.

Form values keep their schema keys as dotted paths (`{{ t3.new.total }}`, `text.overview.active`), so a
user editing the template in Word sees the same keys as `nianbao schema` prints.
"""

from __future__ import annotations

from ..form import FORM

BODY = "body"
YEAR = "year"
CONTACT = "contact"  # the contact/e-version sentence of the opening paragraph ("" when nothing is known)
FEE_STATEMENT = "fee_statement"  # paragraphs stating the 信息处理费 (empty when the clerk wrote one)
ISSUER = "issuer"
DATE = "date_cn"
DRAFT_MARK = "draft_mark"

SCALARS: tuple[str, ...] = (BODY, YEAR, CONTACT, FEE_STATEMENT, ISSUER, DATE, DRAFT_MARK)
NAMESPACES: tuple[str, ...] = tuple(sorted({f.key.split(".")[0] for f in (*FORM.table_fields, *FORM.texts)}))


def known_paths() -> frozenset[str]:
    """Every placeholder path a template may use."""
    return frozenset((*SCALARS, *(f.key for f in FORM.table_fields), *(f.key for f in FORM.texts)))


def value_paths() -> frozenset[str]:
    """The 200 table numbers: a template must print every one of them."""
    return frozenset(f.key for f in FORM.table_fields)
