"""Which differences between two OpenAPI 3.0 schemas break a client of the older one.

A client reads responses and writes requests, so the rules go two ways. In a response, the
server must not send what the client was not told to expect: a property removed or no longer
required, a type changed, `nullable` added, a format dropped. In a request, the server must go
on accepting what the client was told it may send: a parameter, a property or a media type
removed, one newly required, `nullable` taken away, a range narrowed, a pattern or a format
imposed. A removal is a break wherever it happens (an operation, a response status or header,
an enum value, an alternative of a `oneOf`): a client may branch on it. Additions are fine,
except what the rules above name (a new required parameter or property).

Schemas are compared through their `$ref`s. A component is compared once per direction, and its
breaks are reported where it is defined (`response schema CompanyRef.logo_url`) rather than at
each of the many operations that use it: one line of intended-breaks.txt then marks it.
"""

from dataclasses import dataclass
from typing import Any, Literal

Document = dict[str, Any]
Direction = Literal["request", "response"]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ALTERNATIVES = ("oneOf", "anyOf")
# Request constraints that a valid input may fall foul of when they tighten: an upper bound
# lowered, a lower bound raised, either set where there was none.
UPPER_BOUNDS = ("maximum", "maxLength", "maxItems", "maxProperties")
LOWER_BOUNDS = ("minimum", "minLength", "minItems", "minProperties")
COMPONENT_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class Break:
    """One incompatible difference: where it is, and what changed."""

    location: str
    change: str

    def __str__(self) -> str:
        return f"{self.location}: {self.change}"


def breaking_changes(old: Document, new: Document) -> list[Break]:
    """Every break a client of `old` meets when the server serves `new`, in the order met."""
    comparison = _Comparison(old, new)
    comparison.paths()
    return comparison.breaks


def resolve(document: Document, node: Any) -> Any:
    """`node` with its `$ref` chain followed (local `#/...` pointers into `document`)."""
    while isinstance(node, dict) and "$ref" in node:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, not {ref!r}")
        node = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _component(schema: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The component a schema stands for, and what it says beside the reference.

    drf-spectacular writes a nested serializer as `$ref`, or as `allOf: [$ref]` when it adds
    `nullable`, `readOnly` or a description: both are the component.
    """
    ref = schema.get("$ref")
    siblings = schema
    if ref is None and len(schema.get("allOf", [])) == 1:
        ref = schema["allOf"][0].get("$ref")
        siblings = {key: value for key, value in schema.items() if key != "allOf"}
    if isinstance(ref, str) and ref.startswith(COMPONENT_PREFIX):
        return ref.removeprefix(COMPONENT_PREFIX), siblings
    return None, schema


def _inline(document: Document, name: str | None, schema: dict[str, Any]) -> dict[str, Any]:
    """The schema itself: a component's with what the reference adds beside it, and the
    members of an `allOf` merged into one (their properties and requirements together)."""
    if name is not None:
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        schema = {**document["components"]["schemas"][name], **siblings}
    schema = resolve(document, schema)
    if "allOf" not in schema:
        return schema
    merged: dict[str, Any] = {"properties": {}, "required": []}
    for member in [*schema["allOf"], {k: v for k, v in schema.items() if k != "allOf"}]:
        member = _inline(document, None, member)
        merged["properties"].update(member.get("properties", {}))
        merged["required"] += member.get("required", [])
        merged.update({k: v for k, v in member.items() if k not in ("properties", "required")})
    return merged


class _Comparison:
    """One walk of the old schema, looking each part up in the new one; it collects `breaks`."""

    def __init__(self, old: Document, new: Document) -> None:
        self.old = old
        self.new = new
        self.breaks: list[Break] = []
        # (old component, new component, direction): compared, or being compared (a cycle).
        self.components_seen: set[tuple[str, str, Direction]] = set()

    def broke(self, location: str, change: str) -> None:
        self.breaks.append(Break(location, change))

    def paths(self) -> None:
        old_paths, new_paths = self.old.get("paths", {}), self.new.get("paths", {})
        for path, old_item in old_paths.items():
            new_item = resolve(self.new, new_paths.get(path, {}))
            old_item = resolve(self.old, old_item)
            for method in METHODS:
                if method not in old_item:
                    continue
                where = f"{method.upper()} {path}"
                if method not in new_item:
                    self.broke(where, "operation removed")
                    continue
                self.operation(where, old_item, new_item, method)

    def operation(self, where: str, old_item: dict, new_item: dict, method: str) -> None:
        old_op, new_op = old_item[method], new_item[method]
        self.parameters(
            where,
            self.parameters_of(self.old, old_item, old_op),
            self.parameters_of(self.new, new_item, new_op),
        )
        self.request_body(where, old_op.get("requestBody"), new_op.get("requestBody"))
        old_responses, new_responses = old_op.get("responses", {}), new_op.get("responses", {})
        for status, old_response in old_responses.items():
            if status not in new_responses:
                self.broke(f"{where} response {status}", "status removed")
                continue
            self.response(
                f"{where} response {status}",
                resolve(self.old, old_response),
                resolve(self.new, new_responses[status]),
            )

    @staticmethod
    def parameters_of(document: Document, item: dict, operation: dict) -> dict[tuple, dict]:
        """The operation's parameters by (in, name): the path's, overridden by its own."""
        parameters = {}
        for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
            parameter = resolve(document, parameter)
            parameters[parameter["in"], parameter["name"]] = parameter
        return parameters

    def parameters(self, where: str, old: dict[tuple, dict], new: dict[tuple, dict]) -> None:
        for key, parameter in new.items():
            if parameter.get("required") and not old.get(key, {}).get("required"):
                self.broke(f"{where} parameter {key[0]} {key[1]}", "now required")
        for key, old_parameter in old.items():
            location = f"{where} parameter {key[0]} {key[1]}"
            if key not in new:
                self.broke(location, "parameter removed")
                continue
            self.schema(
                location,
                old_parameter.get("schema", {}),
                new[key].get("schema", {}),
                "request",
            )

    def request_body(self, where: str, old: dict | None, new: dict | None) -> None:
        old = resolve(self.old, old) if old is not None else None
        new = resolve(self.new, new) if new is not None else None
        location = f"{where} request"
        if new is not None and new.get("required") and not (old or {}).get("required"):
            self.broke(location, "body now required")
        if old is None:
            return
        if new is None:
            self.broke(location, "body removed")
            return
        self.content(location, old.get("content", {}), new.get("content", {}), "request")

    def response(self, location: str, old: dict, new: dict) -> None:
        self.content(location, old.get("content", {}), new.get("content", {}), "response")
        old_headers, new_headers = old.get("headers", {}), new.get("headers", {})
        for name, old_header in old_headers.items():
            if name not in new_headers:
                self.broke(f"{location} header {name}", "header removed")
                continue
            self.schema(
                f"{location} header {name}",
                resolve(self.old, old_header).get("schema", {}),
                resolve(self.new, new_headers[name]).get("schema", {}),
                "response",
            )

    def content(self, location: str, old: dict, new: dict, direction: Direction) -> None:
        for media_type, old_media in old.items():
            if media_type not in new:
                self.broke(f"{location} {media_type}", "media type removed")
                continue
            self.schema(
                f"{location} {media_type}",
                old_media.get("schema", {}),
                new[media_type].get("schema", {}),
                direction,
            )

    def schema(self, location: str, old: dict, new: dict, direction: Direction) -> None:
        """Compares two schemas met at `location`, through their components when both are one."""
        old_name, old_here = _component(old)
        new_name, new_here = _component(new)
        if old_name is not None and new_name is not None:
            self.nullable(location, old_here, new_here, direction)
            self.component(old_name, new_name, direction)
            return
        old_body = _inline(self.old, old_name, old_here)
        new_body = _inline(self.new, new_name, new_here)
        self.nullable(location, old_body, new_body, direction)
        self.schema_body(location, old_body, new_body, direction)

    def component(self, old_name: str, new_name: str, direction: Direction) -> None:
        key = (old_name, new_name, direction)
        if key in self.components_seen:
            return
        self.components_seen.add(key)
        old = _inline(self.old, old_name, {})
        new = _inline(self.new, new_name, {})
        location = f"{direction} schema {new_name}"
        self.nullable(location, old, new, direction)
        self.schema_body(location, old, new, direction)

    def schema_body(self, location: str, old: dict, new: dict, direction: Direction) -> None:
        """Everything but `nullable` and the `$ref` itself, which the callers compare."""
        # A `type` or `format` that only one side has is a widening or a narrowing, unless the
        # other side is a choice (`oneOf`, ...): its members have them, and are compared below.
        one_sided = not any(keyword in side for keyword in ALTERNATIVES for side in (old, new))
        # A schema turned into a choice or out of one is a break of its own (alternatives()):
        # its properties are then its members', not comparable one by one.
        reshaped = any((keyword in old) != (keyword in new) for keyword in ALTERNATIVES)
        for keyword in ("type", "format"):
            was, now = old.get(keyword), new.get(keyword)
            if was is not None and now is not None and was != now:
                self.broke(location, f"{keyword} changed from {was} to {now}")
            elif one_sided and direction == "response" and was is not None and now is None:
                self.broke(location, f"{keyword} {was} no longer promised")
            elif one_sided and direction == "request" and was is None and now is not None:
                self.broke(location, f"now restricted to {keyword} {now}")

        self.enum(location, old.get("enum"), new.get("enum"), direction)
        if direction == "request":
            self.constraints(location, old, new)
        self.alternatives(location, old, new, direction)
        if not reshaped:
            self.properties(location, old, new, direction)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.schema(f"{location}[]", old["items"], new["items"], direction)
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self.schema(f"{location}{{}}", old_extra, new_extra, direction)

    def nullable(self, location: str, old: dict, new: dict, direction: Direction) -> None:
        old_null, new_null = bool(old.get("nullable")), bool(new.get("nullable"))
        if direction == "response" and new_null and not old_null:
            self.broke(location, "now nullable")
        elif direction == "request" and old_null and not new_null:
            self.broke(location, "no longer nullable")

    def enum(self, location: str, old: list | None, new: list | None, direction: Direction) -> None:
        if old is not None and new is not None:
            for value in old:
                if value not in new:
                    self.broke(location, f"enum value {value!r} removed")
        elif direction == "request" and old is None and new is not None:
            self.broke(location, "now restricted to an enum")

    def constraints(self, location: str, old: dict, new: dict) -> None:
        for bound in UPPER_BOUNDS + LOWER_BOUNDS:
            was, now = old.get(bound), new.get(bound)
            if now is None or was == now:
                continue
            tighter = was is None or (now < was if bound in UPPER_BOUNDS else now > was)
            if tighter:
                self.broke(location, f"{bound} tightened from {was} to {now}")
        if new.get("pattern") not in (None, old.get("pattern")):  # not quoted: they run long
            self.broke(location, "pattern changed" if "pattern" in old else "pattern imposed")
        if new.get("additionalProperties") is False and old.get("additionalProperties") in (
            None,
            True,
        ):
            self.broke(location, "no longer accepts other properties")

    def alternatives(self, location: str, old: dict, new: dict, direction: Direction) -> None:
        """`oneOf`/`anyOf` members, matched by component name, else by position."""
        for keyword in ALTERNATIVES:
            old_members, new_members = old.get(keyword), new.get(keyword)
            if old_members is None and new_members is None:
                continue
            if old_members is None or new_members is None:
                self.broke(location, f"{keyword} {'added' if old_members is None else 'removed'}")
                continue
            new_by_key = {_member_key(i, m): m for i, m in enumerate(new_members)}
            for index, member in enumerate(old_members):
                key = _member_key(index, member)
                if key not in new_by_key:
                    self.broke(location, f"{keyword} alternative {key} removed")
                    continue
                self.schema(f"{location}<{keyword} {key}>", member, new_by_key[key], direction)

    def properties(self, location: str, old: dict, new: dict, direction: Direction) -> None:
        old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        for name, old_property in old_properties.items():
            where = f"{location}.{name}"
            if name not in new_properties:
                self.broke(where, "property removed")
                continue
            if direction == "response" and name in old_required - new_required:
                self.broke(where, "no longer required: may be absent")
            self.schema(where, old_property, new_properties[name], direction)
        if direction == "request":
            for name in new_properties:
                if name in new_required - old_required:
                    self.broke(f"{location}.{name}", "now required")


def _member_key(index: int, member: dict) -> str:
    name, _ = _component(member)
    return name if name is not None else f"#{index}"
