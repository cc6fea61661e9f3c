"""What a form page is made of, as discovered from a DOM or an accessibility tree.

The same types describe a web page (read over CDP) and a desktop dialog (read from the
accessibility tree), so mapping data to fields and checking values read back is one piece of
code for both. Boxes are in screen pixels.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FieldKind = Literal["text", "textarea", "number", "date", "select", "radio", "checkbox"]
"""How a field is operated: typed into, picked from a list, or clicked."""

ButtonRole = Literal["next", "submit", "back", "other"]


class Box(BaseModel):
    model_config = ConfigDict(frozen=True)

    x: int
    y: int
    width: int
    height: int

    @property
    def centre(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2


class Option(BaseModel):
    """One choice of a select or radio group; radio options carry their own box."""

    model_config = ConfigDict(frozen=True)

    value: str
    label: str
    box: Box | None = None


class FormField(BaseModel):
    """One field a user would fill: its label as a person reads it, and what it accepts."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(description="a stable handle on the page (CSS selector or tree path)")
    label: str
    kind: FieldKind
    name: str = ""
    input_type: str = Field(default="", description="the page's own type: email, tel, ...")
    options: tuple[Option, ...] = ()
    required: bool = False
    value: str = Field(default="", description="current value; 'true'/'false' for a checkbox")
    pattern: str = ""
    max_length: int | None = None
    minimum: str = ""
    maximum: str = ""
    placeholder: str = ""
    error: str = Field(default="", description="the validation message shown for this field")
    date_order: str = Field(default="", description="typing order of a date field, e.g. 'mdy'")
    box: Box | None = None
    on_screen: bool = Field(default=True, description="inside the visible part of the page")


class Button(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    role: ButtonRole
    box: Box
    on_screen: bool = True


class FormPage(BaseModel):
    """Everything read from one page (or dialog) at one moment: an observation."""

    model_config = ConfigDict(frozen=True)

    title: str = ""
    url: str = ""
    fields: tuple[FormField, ...] = ()
    buttons: tuple[Button, ...] = ()
    errors: tuple[str, ...] = Field(default=(), description="page-level error messages")
    text: str = Field(default="", description="the page's visible text, shortened")

    def field(self, key: str) -> FormField | None:
        return next((f for f in self.fields if f.key == key), None)

    def button(self, role: ButtonRole) -> Button | None:
        """The first button with this role; for "submit" the last (OK after Apply, Send after
        Save draft: the one that finishes comes last)."""
        found = [b for b in self.buttons if b.role == role]
        if not found:
            return None
        return found[-1] if role == "submit" else found[0]


NEXT_WORDS = ("next", "continue", "proceed", "forward", "weiter", "suivant", "siguiente")
SUBMIT_WORDS = (
    "submit", "send", "finish", "complete", "register", "sign up", "place order", "apply",
    "confirm", "done", "save", "ok", "create", "book", "pay",
)  # fmt: skip
BACK_WORDS = ("back", "previous", "prev", "cancel", "reset", "clear")


def button_role(text: str, *, is_submit_type: bool = False) -> ButtonRole:
    """What a button does, read from its visible text (and whether the page marks it submit).

    A "Next" is a submit-type button too on most multi-page forms, so the text decides first.
    """
    words = " ".join(text.lower().replace("›", " ").replace("»", " ").split())
    if any(words == w or words.startswith(w + " ") for w in BACK_WORDS):
        return "back"
    if any(w in words.split() or words.startswith(w) for w in NEXT_WORDS):
        return "next"
    if any(words == w or words.startswith(w) for w in SUBMIT_WORDS):
        return "submit"
    return "submit" if is_submit_type else "other"
