"""The only places the forms skill asks a model: a field code could not decide, and a page error.

Both are scoped @agentic calls: each sees the fill_form frame it runs under and its arguments
(one field, the data, the page's title and text), never the other fields' work. Code runs first
in both cases (`mapping.choose_value`, `formats.correct_by_rule`); these are the fallback.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from gui_agent.agentic import agentic
from skills.forms.fields import FormField


class FieldAnswer(BaseModel):
    value: str | None = Field(
        description="exactly what the field should hold (for a select or radio group: one "
        "option's value; for a checkbox: 'true' or 'false'); null to leave it empty"
    )
    reason: str = Field(description="one short sentence: which data you used, or why empty")


class Correction(BaseModel):
    value: str | None = Field(description="the corrected value; null if it cannot be fixed")
    explanation: str = Field(description="one short sentence: what the page objected to")


@agentic(max_retries=1)
def answer_field(field: FormField, data: dict[str, str], page_title: str, page_text: str) -> FieldAnswer:
    """Decide what this form field should hold, using only the user's data.

    The program could not match any data key to the field, or could not fit the matched value
    to the field's options. Answer from the data: pick the option that means the same thing,
    reformat a value, or, for a free-text question, write a short truthful answer (one or two
    sentences) in the user's voice built only from facts in the data. Never invent personal
    facts (names, numbers, addresses, dates) that the data does not contain; return null to
    leave the field empty when the data does not support an answer.
    """


@agentic(max_retries=1)
def correct_value(field: FormField, rejected_value: str, error: str, data: dict[str, str]) -> Correction:
    """The page rejected the value typed into this field; propose the value it will accept.

    Read the error message and the field's constraints (pattern, options, length, type) and
    rewrite `rejected_value` so that it says the same thing in the form the page asks for.
    Use only facts from `rejected_value` and the data; return null if the data cannot satisfy
    the page.
    """
