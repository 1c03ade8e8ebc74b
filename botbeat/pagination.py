"""Pagination: keyset cursors for article lists, page numbers for the small lists.

The cursor pagination seeks on the whole ordering key (e.g. `published_at, id`), so every page
costs one index range scan however deep it is, and articles sharing a timestamp are neither
skipped nor repeated. A cursor is base64url JSON: `{"o": ordering, "k": [key values], "r":
reverse}`; it is opaque to clients, and any cursor that does not decode to the current ordering's
key is a 400 `invalid_cursor`.
"""

import base64
import binascii
import json
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from django.core.paginator import InvalidPage
from django.db.models import Q
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from botbeat.params import integer_schema, query_integer

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,512}$"
CURSOR_MAX_LENGTH = 512


class Keyset:
    """An ordering key: `(name, descending, kind)` triples, `kind` being "datetime" or "int"."""

    def __init__(self, name: str, *fields: tuple[str, bool, str]):
        self.name = name
        self.fields = fields

    def order_by(self, reverse: bool) -> list[str]:
        return [("-" if desc != reverse else "") + field for field, desc, _ in self.fields]

    def values_of(self, obj) -> list[Any]:
        """The key of `obj`: an instance, or a row (a dict, from `.values()`)."""
        values = []
        for field, _, kind in self.fields:
            value = obj[field] if isinstance(obj, dict) else getattr(obj, field)
            values.append(value.isoformat() if kind == "datetime" else value)
        return values

    def decode_values(self, raw: list) -> list[Any]:
        if not isinstance(raw, list) or len(raw) != len(self.fields):
            raise ValueError("wrong key length")
        values = []
        for (_, _, kind), value in zip(self.fields, raw, strict=True):
            if kind == "datetime":
                if not isinstance(value, str):
                    raise ValueError("not a timestamp")
                parsed = datetime.fromisoformat(value)
                if parsed.tzinfo is None:
                    raise ValueError("naive timestamp")
                # In UTC, as the database compares it: an offset can leave the year range
                # (0001-01-01T00:00+14:00), an OverflowError here rather than in the query.
                values.append(parsed.astimezone(UTC))
            else:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError("not an integer")
                if abs(value) > 2**63 - 1:
                    raise ValueError("integer out of range")
                values.append(value)
        return values

    def prepare(self, queryset, position: list[Any] | None):
        """The queryset with whatever the key needs annotated (`position`: the cursor's key,
        None on the first page). Most keys are columns: nothing to add."""
        return queryset

    def after(self, values: list[Any], reverse: bool) -> Q:
        """Rows strictly after `values` in this order (before it when `reverse`)."""
        clauses = Q()
        equal: dict[str, Any] = {}
        for (field, desc, _), value in zip(self.fields, values, strict=True):
            lookup = "lt" if desc != reverse else "gt"
            clauses |= Q(**equal, **{f"{field}__{lookup}": value})
            equal[field] = value
        # The redundant bound on the first field lets the database seek in the index instead of
        # scanning from its start and filtering the OR.
        first, desc, _ = self.fields[0]
        bound = Q(**{f"{first}__{'lte' if desc != reverse else 'gte'}": values[0]})
        return bound & clauses


class KeysetCursorPagination(BasePagination):
    """`{"next", "previous", "results"}` over a keyset the view chooses (`view.get_keyset()`)."""

    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    page_size = 20
    max_page_size = 100
    query_params = (cursor_query_param, page_size_query_param)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.keyset: Keyset = view.get_keyset()
        self.page_size_value = query_integer(
            request,
            self.page_size_query_param,
            default=self.page_size,
            maximum=self.max_page_size,
        )
        position, reverse = self.decode_cursor(request)
        queryset = self.keyset.prepare(queryset, position)
        if position is not None:
            queryset = queryset.filter(self.keyset.after(position, reverse))
        queryset = queryset.order_by(*self.keyset.order_by(reverse))
        rows = list(queryset[: self.page_size_value + 1])
        has_more = len(rows) > self.page_size_value
        rows = rows[: self.page_size_value]
        if reverse:
            rows.reverse()
            self.has_next, self.has_previous = True, has_more
        else:
            self.has_next, self.has_previous = has_more, position is not None
        self.rows = rows
        return rows

    def decode_cursor(self, request) -> tuple[list | None, bool]:
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None, False
        try:
            if len(raw) > CURSOR_MAX_LENGTH:
                raise ValueError("too long")
            payload = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            if not isinstance(payload, dict) or payload.get("o") != self.keyset.name:
                raise ValueError("cursor of another ordering")
            reverse = payload.get("r")
            if not isinstance(reverse, bool):
                raise ValueError("bad direction")
            return self.keyset.decode_values(payload.get("k")), reverse
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError):
            raise ValidationError(
                {
                    self.cursor_query_param: [
                        serializers.ErrorDetail(
                            "Invalid cursor: use the next or previous link of a page served "
                            "with the same ordering.",
                            code="invalid_cursor",
                        )
                    ]
                }
            ) from None

    def encode_cursor(self, obj, reverse: bool) -> str:
        payload = {"o": self.keyset.name, "k": self.keyset.values_of(obj), "r": reverse}
        raw = json.dumps(payload, separators=(",", ":")).encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        if not self.rows:  # a reversed page past the start: the next page is the first one
            return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        return self.encode_cursor(self.rows[-1], reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous or not self.rows:
            return None
        return self.encode_cursor(self.rows[0], reverse=True)

    def get_paginated_response(self, data):
        return Response(
            OrderedDict(
                [
                    ("next", self.get_next_link()),
                    ("previous", self.get_previous_link()),
                    ("results", data),
                ]
            )
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page, or null on the last one.",
                },
                "previous": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The previous page, or null on the first one.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "An opaque position from a page's `next` or `previous` link.",
                "schema": {
                    "type": "string",
                    "pattern": CURSOR_PATTERN,
                    "maxLength": CURSOR_MAX_LENGTH,
                },
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": "Items per page.",
                "schema": integer_schema(default=self.page_size, maximum=self.max_page_size),
            },
        ]


class StrictPageNumberPagination(PageNumberPagination):
    """Page numbers with a `count`, for the small lists; bad `page`/`page_size` answer 400."""

    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"
    query_params = ("page", "page_size")
    max_page = 999_999_999

    def get_page_size(self, request):
        return query_integer(
            request, self.page_size_query_param, default=self.page_size, maximum=self.max_page_size
        )

    def paginate_queryset(self, queryset, request, view=None):
        number = query_integer(request, self.page_query_param, default=1, maximum=self.max_page)
        self.request = request
        page_size = self.get_page_size(request)
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            raise NotFound("This page is past the last one.", code="page_not_found") from None
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "The page number, from 1.",
                "schema": integer_schema(default=1, maximum=self.max_page),
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": "Items per page.",
                "schema": integer_schema(default=self.page_size, maximum=self.max_page_size),
            },
        ]
