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
# subheading.overview.active is true when the form's own sub-heading of text.overview.active is printed
# (not when the department wrote sub-headings of its own and left the field empty).
SUBHEADING = "subheading"

SCALARS: tuple[str, ...] = (BODY, YEAR, CONTACT, FEE_STATEMENT, ISSUER, DATE, DRAFT_MARK)
NAMESPACES: tuple[str, ...] = tuple(sorted({f.key.split(".")[0] for f in (*FORM.table_fields, *FORM.texts)}))


def standard_subheading(key: str) -> str | None:
    """'（一）主动公开' for a text printed under a sub-heading of the form; None for a lead text such as 概述."""
    label = FORM.by_key[key].row[0]
    return label if label.startswith("（") else None


def subheading_path(key: str) -> str:
    """text.overview.active → subheading.overview.active"""
    return SUBHEADING + key.removeprefix(key.split(".")[0])


def subheading_keys() -> tuple[str, ...]:
    return tuple(f.key for f in FORM.texts if standard_subheading(f.key))


def known_paths() -> frozenset[str]:
    """Every placeholder path a template may use."""
    return frozenset(
        (
            *SCALARS,
            *(f.key for f in FORM.table_fields),
            *(f.key for f in FORM.texts),
            *(subheading_path(k) for k in subheading_keys()),
        )
    )


def value_paths() -> frozenset[str]:
    """The 200 table numbers: a template must print every one of them."""
    return frozenset(f.key for f in FORM.table_fields)
