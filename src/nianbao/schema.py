"""The public contract: the form as JSON, with where each field lives in the Excel template."""

from __future__ import annotations

from typing import Any

from .form import FORM, official
from .form.layout import defined_name, location


def schema_dict() -> dict[str, Any]:
    fields = []
    for f in FORM.fields:
        loc = location(f.key)
        fields.append(
            {
                "key": f.key,
                "table": f.part,
                "row": list(f.row),
                "column": list(f.column),
                "type": f.type.value,
                "input": f.input,
                "unit": f.unit,
                "sheet": loc.sheet,
                "cell": loc.cell,
                "name": defined_name(f.key),
            }
        )
    return {
        "template_version": FORM.template_version,
        "format": official.FORMAT_NAME,
        "headings": list(official.HEADINGS),
        "fields": fields,
    }
