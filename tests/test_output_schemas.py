"""Every schema an @agentic function sends requires exactly what its validation requires.

A strict decoder (vLLM guided JSON, OpenAI strict mode, a llama.cpp grammar) emits only what
the schema demands. So: instances generated from each output schema the package defines - the
smallest (required fields only) and random ones - must validate into the return type, and every
example the docs give a model or a user must satisfy both the schema and the validator.
Functions are found by walking the packages, so a new one (or a new field) is covered here.
"""

from __future__ import annotations

import functools
import importlib
import json
import pkgutil
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gui_agent.agentic import AgenticFunction
from tests.schema_strategies import from_schema

PACKAGES = ("gui_agent", "skills", "osworld_eval")
README = Path(__file__).resolve().parents[1] / "README.md"


def _agentic_functions() -> dict[str, AgenticFunction[Any, Any]]:
    found: dict[str, AgenticFunction[Any, Any]] = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        modules = [package_name] + [
            info.name for info in pkgutil.walk_packages(package.__path__, package_name + ".")
        ]
        for name in modules:
            if name.endswith(("__main__", ".shims")):
                continue
            module = importlib.import_module(name)
            for value in vars(module).values():
                if isinstance(value, AgenticFunction):
                    found[f"{value.fn.__module__}.{value.name}"] = value
    return found


FUNCTIONS = _agentic_functions()


def test_the_walk_finds_the_packages_agentic_functions() -> None:
    names = set(FUNCTIONS)
    assert {"gui_agent.perception.perceive", "skills.router.route_goal"} <= names, names


@functools.cache
def _validator(function: AgenticFunction[Any, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(function.output_schema)


def _validates(function: AgenticFunction[Any, Any], instance: Any) -> None:
    _validator(function).validate(instance)  # the generator keeps to the schema
    try:
        function.adapter.validate_python(instance)
    except Exception as exc:  # the message names the function and the instance
        pytest.fail(f"{function.name}: schema-valid {json.dumps(instance)} failed: {exc}")


_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@_SETTINGS
@given(data=st.data())
def test_minimal_instances_of_the_schema_validate(name: str, data: st.DataObject) -> None:
    function = FUNCTIONS[name]
    instance = data.draw(from_schema(function.output_schema, minimal=True))
    _validates(function, instance)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@_SETTINGS
@given(data=st.data())
def test_random_instances_of_the_schema_validate(name: str, data: st.DataObject) -> None:
    function = FUNCTIONS[name]
    instance = data.draw(from_schema(function.output_schema))
    _validates(function, instance)


def test_every_action_requires_its_kind_in_the_perception_schema() -> None:
    schema = FUNCTIONS["gui_agent.perception.perceive"].output_schema
    members = schema["properties"]["action"]["oneOf"]
    assert len(members) >= 10
    for member in members:
        name = member["$ref"].rsplit("/", 1)[1]
        assert "kind" in schema["$defs"][name]["required"], name


_JSON_OBJECT = re.compile(r"\{.*\}")


def _examples(text: str) -> list[dict[str, Any]]:
    """JSON objects written on one line of `text` (inline examples in a docstring or README)."""
    found = []
    for match in _JSON_OBJECT.finditer(text):
        try:
            value = json.loads(match.group(0))
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found


def _documented_examples() -> list[tuple[str, dict[str, Any]]]:
    """(function name, example) for every example in an @agentic docstring, plus the README's
    `python:` model reply (a perception reply)."""
    pairs = [
        (name, example)
        for name, function in FUNCTIONS.items()
        for example in _examples(function.docstring)
    ]
    readme = README.read_text()
    start = readme.index("def respond(request):")
    python_model = readme[start : readme.index("```", start)]
    pairs += [("gui_agent.perception.perceive", e) for e in _examples(python_model)]
    return pairs


EXAMPLES = _documented_examples()


def test_the_documented_examples_are_found() -> None:
    assert any(name == "gui_agent.perception.perceive" for name, _ in EXAMPLES)


@pytest.mark.parametrize(("name", "example"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_documented_examples_satisfy_the_schema_and_the_validator(
    name: str, example: dict[str, Any]
) -> None:
    function = FUNCTIONS[name]
    jsonschema.validate(example, function.output_schema)
    _validates(function, example)


def test_the_schema_rejects_what_validation_rejects_for_a_missing_kind() -> None:
    perceive = FUNCTIONS["gui_agent.perception.perceive"]
    reply = {"observation": "a form", "action": {"x": 5, "y": 6}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(reply, perceive.output_schema)
    with pytest.raises(Exception, match="discriminator"):
        perceive.adapter.validate_python(reply)
