"""The API's one parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]), and the JSON reading it
shares with the import. A module of its own: DRF imports it while it defines APIView, so it
must not import views."""

import codecs
import json
from typing import Any

from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError, UnsupportedMediaType, ValidationError
from rest_framework.utils.json import strict_constant

REPEATED_KEY_MESSAGE = "Given more than once: each key of a JSON object once."


class RepeatedKeyError(Exception):
    """A JSON text whose objects repeat keys; `paths` names each (`a.b`, `items.1.c`)."""

    def __init__(self, paths: list[str]):
        super().__init__(paths)
        self.paths = paths


class _Repeated(dict):
    """An object that repeated keys, marked for strict_json_loads to find."""

    repeated: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict:
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    marked = _Repeated(value)
    marked.repeated = []
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen and key not in marked.repeated:
            marked.repeated.append(key)
        seen.add(key)
    return marked


def strict_json_loads(text: str) -> Any:
    """JSON as RFC 8259 has it: no NaN or Infinity (ValueError), and no object that repeats
    a key (RepeatedKeyError). Python's json keeps the last of a repeated key silently, so
    `{"body": "a", "body": "b"}` would say "b" to the API and "a" to whatever read it first."""
    value = json.loads(text, object_pairs_hook=_object, parse_constant=strict_constant)
    paths: list[str] = []
    # Depth first, in the text's order, without recursion: the text may nest deeply.
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, dict):
            if isinstance(item, _Repeated):
                paths += [f"{path}.{key}" if path else key for key in item.repeated]
            children = [(v, f"{path}.{k}" if path else k) for k, v in item.items()]
        elif isinstance(item, list):
            children = [(v, f"{path}.{i}" if path else str(i)) for i, v in enumerate(item)]
        else:
            continue
        stack.extend(reversed(children))
    if paths:
        raise RepeatedKeyError(paths)
    return value


class StrictJSONParser(parsers.JSONParser):
    """DRF's JSON parser, hardened against hostile bodies.

    - A body nested deeper than Python's recursion limit (`[[[[...`: 30,000 levels fit in the
      body limit) is a 400 parse error; DRF lets the RecursionError escape, a 500.
    - UTF-8 only, as RFC 8259 requires of JSON: DRF would decode with any text codec the
      `charset` parameter names (UTF-16, Latin-1, ...). Another charset is a 415.
    - NaN and Infinity are refused, as DRF does (`strict`): they are not JSON.
    - An object that repeats a key is a 400 validation error naming it (`duplicate_key`).

    The body is at most API_MAX_BODY_BYTES (botbeat.middleware), so it is read whole.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            is_utf8 = codecs.lookup(encoding).name == "utf-8"
        except LookupError:
            is_utf8 = False
        if not is_utf8:
            raise UnsupportedMediaType(
                media_type, detail="JSON bodies are UTF-8: drop the charset or say utf-8."
            )
        try:
            return strict_json_loads(stream.read().decode("utf-8"))
        except RepeatedKeyError as exc:
            raise ValidationError(
                {
                    path: [serializers.ErrorDetail(REPEATED_KEY_MESSAGE, code="duplicate_key")]
                    for path in exc.paths
                }
            ) from None
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except ValueError as exc:  # invalid UTF-8, invalid JSON, NaN
            raise ParseError(f"JSON parse error - {exc}") from None
