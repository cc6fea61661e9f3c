"""Hypothesis strategies for the JSON schemas pydantic writes (what @agentic functions send).

Covers the subset pydantic emits: $ref/$defs, const, enum, oneOf/anyOf/allOf, the JSON types with
their length and range bounds, pattern, prefixItems, additionalProperties. `minimal=True` draws
objects with their required properties only: what a strict decoder emits at least.
(hypothesis-jsonschema does this too, but its release lags Hypothesis's internals.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
_DEFS_PREFIX = "#/$defs/"


def from_schema(schema: Mapping[str, Any], *, minimal: bool = False) -> st.SearchStrategy[Any]:
    return _strategy(schema, schema.get("$defs", {}), minimal=minimal)


def _strategy(node: Mapping[str, Any], defs: Mapping[str, Any], *, minimal: bool) -> Any:
    def sub(child: Mapping[str, Any]) -> Any:
        return _strategy(child, defs, minimal=minimal)

    if "$ref" in node:
        return st.deferred(lambda: sub(defs[node["$ref"].removeprefix(_DEFS_PREFIX)]))
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    for key in ("oneOf", "anyOf"):
        if key in node:
            return st.one_of([sub(member) for member in node[key]])
    if "allOf" in node:
        (only,) = node["allOf"]
        return sub(only)
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of([sub({**node, "type": one}) for one in kind])
    match kind:
        case "string":
            if "pattern" in node:
                return st.from_regex(node["pattern"])
            low = node.get("minLength", 0)
            return st.text(min_size=low, max_size=node.get("maxLength", low + 20))
        case "integer":
            return st.integers(*_bounds(node, step=1))
        case "number":
            low, high = _bounds(node, step=0)
            return st.floats(low, high, allow_nan=False, allow_infinity=False,
                             exclude_min="exclusiveMinimum" in node,
                             exclude_max="exclusiveMaximum" in node)  # fmt: skip
        case "boolean":
            return st.booleans()
        case "null":
            return st.none()
        case "array":
            return _array(node, sub)
        case "object":
            return _object(node, sub, minimal=minimal)
        case None:
            return JSON_SCALARS
    raise NotImplementedError(f"schema type {kind!r}")


def _bounds(node: Mapping[str, Any], *, step: int) -> tuple[Any, Any]:
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    if step and "exclusiveMinimum" in node:
        low += step
    if step and "exclusiveMaximum" in node:
        high -= step
    return low, high


def _array(node: Mapping[str, Any], sub: Any) -> Any:
    if "prefixItems" in node:
        return st.tuples(*[sub(item) for item in node["prefixItems"]]).map(list)
    low = node.get("minItems", 0)
    high = node.get("maxItems", low + 3)
    items = sub(node.get("items", {}))
    if node.get("uniqueItems"):
        return st.lists(items, min_size=low, max_size=high, unique_by=json.dumps)
    return st.lists(items, min_size=low, max_size=high)


def _object(node: Mapping[str, Any], sub: Any, *, minimal: bool) -> Any:
    properties = node.get("properties", {})
    required = set(node.get("required", []))
    fixed = {key: sub(value) for key, value in properties.items() if key in required}
    optional = {} if minimal else {
        key: sub(value) for key, value in properties.items() if key not in required
    }  # fmt: skip
    known = st.fixed_dictionaries(fixed, optional=optional)
    extra = node.get("additionalProperties")
    if minimal or not isinstance(extra, dict):
        return known
    keys = st.text(max_size=8).filter(lambda key: key not in properties)
    return st.tuples(known, st.dictionaries(keys, sub(extra), max_size=3)).map(
        lambda parts: {**parts[1], **parts[0]}
    )
