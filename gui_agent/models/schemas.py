"""Output schemas on the wire: what validation requires, object-rooted for the providers.

`output_schema` is the schema an @agentic function sends. Pydantic marks a discriminator field
with a default (`kind: Literal["click"] = "click"`) optional, yet a discriminated union cannot
pick a member without it; strict decoders (vLLM guided JSON, OpenAI strict mode, llama.cpp
grammars) emit only what a schema requires. So each discriminated union's members require
their tag: the schema requires exactly what validation does (tests/test_output_schemas.py).

A function returning `int` or `list[Box]` is sent the schema {"value": <schema>} and its reply
unwrapped again; `$defs` move to the root so references still resolve.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

WRAP_KEY = "value"
_DEFS_PREFIX = "#/$defs/"


def output_schema(adapter: TypeAdapter[Any]) -> dict[str, Any]:
    """The JSON schema for values `adapter` validates, with every union tag required and
    without pydantic's titles (see compact_schema)."""
    schema = copy.deepcopy(adapter.json_schema())
    require_discriminators(schema, schema.get("$defs", {}))
    compact: dict[str, Any] = compact_schema(schema)
    return compact


def require_discriminators(node: Any, defs: Mapping[str, Any]) -> None:
    """In place: add each discriminated union's `propertyName` to its members' `required`."""
    if isinstance(node, list):
        for item in node:
            require_discriminators(item, defs)
        return
    if not isinstance(node, dict):
        return
    discriminator = node.get("discriminator")
    if isinstance(discriminator, dict) and "propertyName" in discriminator:
        tag = discriminator["propertyName"]
        members: list[dict[str, Any]] = node.get("oneOf") or node.get("anyOf") or []
        for member in members:
            target = _resolve(member, defs)
            required = target.setdefault("required", [])
            if tag not in required:
                required.insert(0, tag)
    for value in node.values():
        require_discriminators(value, defs)


def _resolve(member: dict[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    ref = member.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
        resolved: dict[str, Any] = defs[ref.removeprefix(_DEFS_PREFIX)]
        return resolved
    return member


def needs_wrapping(schema: Mapping[str, Any]) -> bool:
    """True when the schema's root is not a plain object (a string, a list, a union...)."""
    return schema.get("type") != "object"


def object_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema as providers accept it: object-rooted, with `$defs` kept at the root.

    A non-object schema becomes {"value": schema}; `$defs` move up with it so that
    "#/$defs/..." references still resolve.
    """
    if not needs_wrapping(schema):
        return dict(schema)
    inner = {k: v for k, v in schema.items() if k not in ("$defs", "definitions")}
    wrapped: dict[str, Any] = {
        "type": "object",
        "properties": {WRAP_KEY: inner},
        "required": [WRAP_KEY],
    }
    for key in ("$defs", "definitions"):
        if key in schema:
            wrapped[key] = schema[key]
    return wrapped


def unwrap_value(data: Any, schema: Mapping[str, Any]) -> Any:
    """Undo `object_schema` on a reply; a reply missing the wrapper is passed on for validation."""
    if needs_wrapping(schema) and isinstance(data, dict) and WRAP_KEY in data:
        return data[WRAP_KEY]
    return data


def rewrap_reply(reply_text: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """Turn an earlier reply (as returned to the caller) back into what the model sent."""
    try:
        data: Any = json.loads(reply_text)
    except ValueError:
        data = reply_text
    if needs_wrapping(schema) or not isinstance(data, dict):
        return {WRAP_KEY: data}
    return data


def compact_schema(schema: Any) -> Any:
    """The schema without pydantic's `title` annotations: the model gains nothing from "X" as the
    title of `x`, and they were a quarter of the perception schema's tokens. Property names
    (keys of `properties`) are kept even when one is called "title"."""
    if isinstance(schema, list):
        return [compact_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    compact: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs", "definitions") and isinstance(value, dict):
            compact[key] = {name: compact_schema(sub) for name, sub in value.items()}
        else:
            compact[key] = compact_schema(value)
    return compact


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


