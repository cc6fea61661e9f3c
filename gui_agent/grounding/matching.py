"""Which element a short target description names: word overlap, a role hint, then rules.

A target is a few words such as "the Save button of the dialog" or "Font size field". It is
split into *content words* (what the element is called) and an optional *role hint* (button,
field, tab, menu item...). An element scores by how much of its name the target mentions
(most weight: "Save" is fully named by "the Save button of the dialog"), how much of the target
its name covers (so "Save As" beats "Save" for "Save As"), and whether its role fits the hint.
Ties are broken in code, never by asking a model: nearest to a hint point if there is one,
then an actionable role over plain text, a whole OCR line over part of one, then the larger box (a sliver at the screen's
edge is mostly hidden).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gui_agent.grounding.elements import Element

ACCEPT_SCORE = 0.5
"""The least score an element needs to count as named by a target."""
TIE_MARGIN = 0.03

STOPWORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "this",
        "that",
        "named",
        "labelled",
        "labeled",
        "called",
        "click",
        "press",
        "select",
        "choose",
        "tap",
    ]
)
ROLE_FAMILIES: dict[str, frozenset[str]] = {
    "button": frozenset(
        {"push button", "button", "toggle button", "split button", "menu button", "push-button"}
    ),
    "link": frozenset({"link"}),
    "tab": frozenset({"page tab", "tab"}),
    "menu": frozenset(
        {"menu", "menu item", "menuitem", "check menu item", "radio menu item", "menu bar"}
    ),
    "field": frozenset(
        {
            "text",
            "entry",
            "textbox",
            "password text",
            "combo box",
            "combobox",
            "spin button",
            "spinbutton",
            "searchbox",
            "textarea",
            "input",
        }
    ),
    "checkbox": frozenset({"check box", "checkbox", "switch"}),
    "radio": frozenset({"radio button", "radio"}),
    "icon": frozenset({"icon", "image", "img", "push button", "button", "toggle button"}),
    "heading": frozenset({"heading"}),
    "list": frozenset({"list item", "tree item", "option", "listitem", "table cell", "cell"}),
    "label": frozenset({"label", "text", "static", "paragraph", "heading"}),
}
ROLE_WORDS: dict[str, str] = {
    "button": "button", "btn": "button", "link": "link", "hyperlink": "link", "tab": "tab",
    "menu": "menu", "menuitem": "menu", "item": "menu", "field": "field", "input": "field",
    "textbox": "field", "textfield": "field", "box": "field", "checkbox": "checkbox",
    "radio": "radio", "icon": "icon", "heading": "heading", "dropdown": "field",
    "combobox": "field",
}  # fmt: skip
ACTIONABLE_ROLES = frozenset().union(
    *(
        ROLE_FAMILIES[name]
        for name in ("button", "link", "tab", "menu", "field", "checkbox", "radio", "list")
    )  # fmt: skip
)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-case words of `text` (letters and digits; punctuation dropped)."""
    return _WORD.findall(text.lower())


@dataclass(frozen=True)
class Target:
    """A target description split into the words that name the element and a role hint."""

    text: str
    content: tuple[str, ...]
    role_family: str | None

    @classmethod
    def parse(cls, text: str) -> Target:
        raw = words(_strip_context(text))
        tokens = [w for w in raw if w not in STOPWORDS] or raw
        role_family = None
        # A role word names a role when it ends the description ("Save button", "Font size
        # field"); elsewhere it is part of the name ("Insert Image", "Tab Color").
        if len(tokens) > 1 and tokens[-1] in ROLE_WORDS:
            role_family = ROLE_WORDS[tokens[-1]]
            tokens = tokens[:-1]
            if len(tokens) > 1 and tokens[-1] in _ROLE_MODIFIERS:
                # "File menu item", "Bold toggle button", "Wrap check box", "Free radio button"
                role_family = _ROLE_MODIFIERS[tokens[-1]] or role_family
                tokens = tokens[:-1]
        return cls(text=text, content=tuple(tokens), role_family=role_family)


_ROLE_MODIFIERS: dict[str, str | None] = {
    "menu": "menu", "check": "checkbox", "radio": "radio", "text": None, "push": None,
    "toggle": None, "search": None, "page": "tab",
}  # fmt: skip
_CONTEXT = re.compile(
    r"\s+(?:of|in|on|at|inside|within|under|near|next to|beside|from)\s+(?:the|a|an|this|that)\b.*$",
    re.IGNORECASE,
)


def _strip_context(text: str) -> str:
    """Drop a trailing location phrase: "the Save button of the dialog" -> "the Save button"."""
    stripped = _CONTEXT.sub("", text.strip())
    return stripped if words(stripped) else text


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 3


def score(target: Target, element: Element) -> float:
    """How well `element` fits `target`, 0..1.2 (see the module docstring)."""
    name = [w for w in words(element.name) if w not in STOPWORDS] or words(element.name)
    if not name or not target.content:
        return 0.0
    matched_name = sum(1 for word in name if any(_same_word(word, t) for t in target.content))
    if matched_name == 0:
        return 0.0
    matched_target = sum(1 for t in target.content if any(_same_word(t, word) for word in name))
    name_coverage = matched_name / len(name)
    target_coverage = matched_target / len(target.content)
    value = 0.6 * name_coverage + 0.3 * target_coverage
    if target.role_family is not None:
        fits = element.role.lower() in ROLE_FAMILIES[target.role_family]
        value += 0.1 if fits else -0.05
    else:
        value += 0.05 if element.role.lower() in ACTIONABLE_ROLES else 0.0
    if tuple(name) == target.content:
        value += 0.05
    if element.name.strip().lower() == target.text.strip().lower():
        value += 0.1  # the very text, punctuation included: "Replace:" is the label
    return max(0.0, value)


@dataclass(frozen=True)
class Match:
    element: Element
    score: float
    unique: bool
    """No other element of a different place scored as well."""

    @property
    def confidence(self) -> float:
        score = min(self.score, 1.0)
        return round(score if self.unique else score * 0.7, 3)


def ranked(target: Target, elements: Iterable[Element]) -> list[tuple[float, Element]]:
    """Elements that `target` names (score >= ACCEPT_SCORE), best first."""
    scored = [(score(target, e), e) for e in elements]
    accepted = [(s, e) for s, e in scored if s >= ACCEPT_SCORE and e.box.area > 0]
    accepted.sort(key=lambda pair: -pair[0])
    return accepted


def best_match(
    target: Target | str,
    elements: Sequence[Element],
    *,
    hint_point: tuple[int, int] | None = None,
) -> Match | None:
    """The element `target` names, with the tie rules of the module docstring; None if none."""
    parsed = Target.parse(target) if isinstance(target, str) else target
    candidates = ranked(parsed, elements)
    if not candidates:
        return None
    top = candidates[0][0]
    tied = [(s, e) for s, e in candidates if s >= top - TIE_MARGIN]

    def order(pair: tuple[float, Element]) -> tuple[float, int, int, float, int]:
        s, element = pair
        distance = element.box.distance_to(*hint_point) if hint_point else 0.0
        actionable = 0 if element.role.lower() in ACTIONABLE_ROLES else 1
        part = {"text part": 1, "text glued": 2}.get(element.role, 0)
        return (distance, actionable, part, -s, -element.box.area)

    tied.sort(key=order)
    chosen_score, chosen = tied[0]
    others = [e for _, e in tied[1:] if not _overlaps(e, chosen)]
    return Match(element=chosen, score=chosen_score, unique=not others)


def _overlaps(a: Element, b: Element) -> bool:
    """True when the two boxes share their centre region (the same control seen twice)."""
    return a.box.contains(*b.box.centre) or b.box.contains(*a.box.centre)
