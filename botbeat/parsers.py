"""The API's one parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]). A module of its own: DRF
imports it while it defines APIView, so it must not import views."""

import codecs

from rest_framework import parsers
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.utils import json


class StrictJSONParser(parsers.JSONParser):
    """DRF's JSON parser, hardened against hostile bodies.

    - A body nested deeper than Python's recursion limit (`[[[[...`: 30,000 levels fit in the
      body limit) is a 400 parse error; DRF lets the RecursionError escape, a 500.
    - UTF-8 only, as RFC 8259 requires of JSON: DRF would decode with any text codec the
      `charset` parameter names (UTF-16, Latin-1, ...). Another charset is a 415.
    - NaN and Infinity are refused, as DRF does (`strict`): they are not JSON.

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
            return json.loads(stream.read().decode("utf-8"), parse_constant=json.strict_constant)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except ValueError as exc:  # invalid UTF-8, invalid JSON, NaN
            raise ParseError(f"JSON parse error - {exc}") from None
