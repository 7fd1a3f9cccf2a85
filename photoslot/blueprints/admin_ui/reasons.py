"""The services' field reasons (jsonschema's and our own English sentences) recognised by kind,
so the templates can say them in Russian; an unknown reason is shown as it is."""

from __future__ import annotations

import re
from typing import Any

_KINDS = tuple((kind, re.compile(pattern)) for kind, pattern in (
    ("exclusive_maximum",
     r"^(?P<value>.+) is greater than or equal to the maximum of (?P<limit>.+)$"),
    ("maximum", r"^(?P<value>.+) is greater than the maximum of (?P<limit>.+)$"),
    ("exclusive_minimum",
     r"^(?P<value>.+) is less than or equal to the minimum of (?P<limit>.+)$"),
    ("minimum", r"^(?P<value>.+) is less than the minimum of (?P<limit>.+)$"),
    ("type", r"^(?P<value>.+) is not of type '(?P<type>\w+)'"),
    ("required", r"^'(?P<name>[^']+)' is a required property$"),
    ("enum", r"^(?P<value>.+) is not one of (?P<options>.+)$"),
    ("too_short", r"(should be non-empty|is too short)$"),
    ("too_long", r"is too long$"),
    ("pattern", r"does not match '(?P<pattern>.+)'$"),
    ("additional", r"^Additional properties are not allowed"),
    ("name", r"^must be a non-empty string of at most (?P<limit>\d+) characters$"),
    ("not_configured", r"^provider '(?P<provider>[^']+)' is not configured: (?P<hint>.+)$"),
    ("needs_template", r"^operation '(?P<operation>[^']+)' needs a template image first$"),
    ("unknown_provider", r"^unknown provider"),
    ("unknown_operation", r"^unknown operation"),
    ("template_limit", r"^at most (?P<limit>\d+) templates per slot$"),
    ("deleted_meanwhile", r"deleted meanwhile"),
    ("length_between", r"^must be a string of (?P<low>\d+)–(?P<high>\d+) characters$"),
    ("set_variable", r"^set (?P<variable>[A-Z][A-Z0-9_]*)$"),
))


def explain(reason: str) -> dict[str, Any]:
    """``{"kind": ..., <the values the sentence names>, "text": reason}``; kind None if unknown."""
    for kind, pattern in _KINDS:
        match = pattern.search(reason)
        if match:
            return {"kind": kind, **match.groupdict(), "text": reason}
    return {"kind": None, "text": reason}
