"""What the model is sent as an output schema: compact, and still what validation checks."""

from __future__ import annotations

import json

from pydantic import BaseModel, TypeAdapter

from gui_agent.agentic import agentic
from gui_agent.models.schemas import compact_schema
from gui_agent.perception import perceive


class Book(BaseModel):
    title: str
    pages: int


def test_titles_go_but_a_property_named_title_stays() -> None:
    schema = compact_schema(TypeAdapter(list[Book]).json_schema())
    assert schema["$defs"]["Book"]["properties"].keys() == {"title", "pages"}
    assert '"title": "' not in json.dumps(schema)
    assert schema["$defs"]["Book"]["required"] == ["title", "pages"]


def test_agentic_functions_send_the_compact_schema() -> None:
    @agentic
    def shelf(text: str) -> list[Book]:
        """List the books."""

    assert shelf.output_schema == compact_schema(TypeAdapter(list[Book]).json_schema())
    full = json.dumps(TypeAdapter(perceive.return_type).json_schema())
    sent = json.dumps(perceive.output_schema)
    assert '"title": "' in full and '"title": "' not in sent and len(sent) < len(full)
