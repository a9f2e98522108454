"""Pydantic's validation errors as our text codes, so that a malformed request is answered in
the caller's language with the same `code` in every language."""

from __future__ import annotations

from typing import Any

from domain.shared.text import Text, literal, text

# Pydantic's error type → (our code, {our parameter: pydantic's context key}).
_BY_TYPE: dict[str, tuple[str, dict[str, str]]] = {
    "missing": ("required", {}),
    "extra_forbidden": ("unknown_field", {}),
    "string_too_long": ("too_long", {"max": "max_length"}),
    "string_too_short": ("too_short", {"min": "min_length"}),
    "too_long": ("too_many_items", {"max": "max_length"}),
    "too_short": ("too_few_items", {"min": "min_length"}),
    "string_pattern_mismatch": ("bad_format", {}),
    "greater_than_equal": ("at_least", {"low": "ge"}),
    "less_than_equal": ("at_most", {"high": "le"}),
    "greater_than": ("greater_than", {"low": "gt"}),
    "less_than": ("less_than", {"high": "lt"}),
    "literal_error": ("one_of", {"choices": "expected"}),
    "enum": ("one_of", {"choices": "expected"}),
    "int_parsing": ("not_an_integer", {}),
    "int_type": ("not_an_integer", {}),
    "int_from_float": ("not_an_integer", {}),
    "float_parsing": ("not_a_number", {}),
    "float_type": ("not_a_number", {}),
    "decimal_parsing": ("not_a_decimal", {}),
    "decimal_type": ("not_a_decimal", {}),
    "decimal_text": ("not_a_decimal", {}),
    "decimal_max_places": ("too_many_decimals", {"max": "decimal_places"}),
    "decimal_max_digits": ("too_long", {"max": "max_digits"}),
    "bool_parsing": ("not_a_bool", {}),
    "bool_type": ("not_a_bool", {}),
    "string_type": ("not_a_string", {}),
    "string_unicode": ("not_a_string", {}),
    "list_type": ("not_a_list", {}),
    "dict_type": ("not_an_object", {}),
    "model_type": ("not_an_object", {}),
    "model_attributes_type": ("not_an_object", {}),
    "date_parsing": ("not_a_date", {}),
    "date_type": ("not_a_date", {}),
    "date_text": ("not_a_date", {}),
    "date_from_datetime_inexact": ("not_a_date", {}),
    "date_from_datetime_parsing": ("not_a_date", {}),
    "datetime_parsing": ("not_a_datetime", {}),
    "datetime_type": ("not_a_datetime", {}),
    "datetime_from_date_parsing": ("not_a_datetime", {}),
    "date_time_text": ("not_a_datetime", {}),
    "timezone_aware": ("not_a_datetime", {}),
    "uuid_parsing": ("not_a_uuid", {}),
    "uuid_type": ("not_a_uuid", {}),
    "value_error": ("invalid", {}),
    "unstorable": ("problem.unstorable", {}),
    "none_required": ("invalid", {}),
    "json_type": ("not_json", {}),
    "json_invalid": ("not_json", {}),
}


def pydantic_text(error: Any) -> Text:
    """Our text for one of pydantic's errors; one we do not know keeps pydantic's words."""
    kind = error.get("type", "")
    known = _BY_TYPE.get(kind)
    if known is None:
        return literal(str(error.get("msg", "is invalid")))
    code, wanted = known
    context = error.get("ctx") or {}
    params = {ours: _readable(context.get(theirs, "")) for ours, theirs in wanted.items()}
    return text(code, **params)


def _readable(value: Any) -> Any:
    """Pydantic writes the choices of a Literal as "'a', 'b' or 'c'": we list them plainly."""
    if isinstance(value, str) and "'" in value:
        return value.replace("'", "").replace(" or ", ", ")
    return value
