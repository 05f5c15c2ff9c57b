"""Every rule that judges report data, in one registry (see `registry`).

Importing the package registers them all, in the order findings are listed: the form's table rules, the
plausibility rules, X3, then the cross-year rules.
"""

from __future__ import annotations

# isort: off
from . import tables, plausibility, narrative, crossyear

# isort: on
from .registry import REGISTRY, RegisteredRule, RuleInput, Scope, rules_for, run

__all__ = [
    "REGISTRY",
    "RegisteredRule",
    "RuleInput",
    "Scope",
    "crossyear",
    "narrative",
    "plausibility",
    "rules_for",
    "run",
    "tables",
]
