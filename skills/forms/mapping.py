"""Which data value goes into which field, decided in code: `choose_value(field, data)`.

This is the stabilized side of the forms skill: it runs first for every field and costs no
model call. It matches a data key to the field (exact, normalised, synonyms, word overlap,
fuzzy), then shapes the value to what the field accepts (dates, numbers, `pattern`, options of
a select or radio group, checkbox truthiness). When it cannot decide it says so
(`Decision.value is None`) and the caller may ask a model (see questions.py).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from skills.forms.fields import FormField, Option
from skills.forms.formats import fit_pattern, format_date_like, parse_date, parse_number, truthiness

MATCH_THRESHOLD = 0.6
STOP_WORDS = frozenset({"your", "the", "a", "an", "please", "enter", "of", "to", "in", "for",
                        "my", "you", "select", "choose", "optional", "required", "is", "what"})  # fmt: skip
SYNONYMS: dict[str, tuple[str, ...]] = {
    "given_name": ("first name", "given name", "forename", "fname", "firstname"),
    "family_name": ("last name", "family name", "surname", "lname", "lastname"),
    "full_name": ("full name", "name", "your name"),
    "email": ("email", "e mail", "mail", "email address"),
    "phone": ("phone", "telephone", "tel", "mobile", "cell", "phone number"),
    "birth_date": ("dob", "date of birth", "birth date", "birthday", "born", "birthdate"),
    "postal_code": ("zip", "zip code", "postal code", "postcode", "post code", "zipcode"),
    "street": ("street", "address", "address line 1", "street address", "addr"),
    "city": ("city", "town", "locality"),
    "region": ("state", "province", "region", "county"),
    "country": ("country", "nation", "country region"),
    "company": ("company", "organisation", "organization", "employer", "org"),
    "job_title": ("job title", "position", "occupation", "job"),  # a bare "title" is Mr/Ms
    "newsletter": ("newsletter", "subscribe", "mailing list", "updates"),
    "terms": ("terms", "agree", "accept terms", "tos"),
    "website": ("website", "url", "homepage", "web site"),
}


class Decision(BaseModel):
    """What code decided for one field: the value to enter, or None when it cannot tell."""

    model_config = ConfigDict(frozen=True)

    data_key: str | None
    value: str | None
    note: str = ""


def normalise(text: str) -> str:
    """'firstName', 'first_name', 'First name:' -> 'first name'."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    text = re.sub(r"[^0-9a-zA-Z]+", " ", text).lower()
    return " ".join(text.split())


def words(text: str) -> tuple[str, ...]:
    return tuple(w.rstrip("s") if len(w) > 3 else w for w in normalise(text).split()
                 if w not in STOP_WORDS)  # fmt: skip


def concepts(text: str) -> set[str]:
    padded = f" {normalise(text)} "
    found = {concept for concept, phrases in SYNONYMS.items()
             if any(f" {phrase} " in padded for phrase in phrases)}  # fmt: skip
    if found - {"full_name"}:
        found.discard("full_name")  # "first name" is not also "name"
    return found


def key_score(key: str, field: FormField) -> float:
    """How well a data key names this field, 0..1."""
    names = [n for n in (field.label, field.name, field.placeholder) if n]
    best = 0.0
    key_norm, key_words, key_concepts = normalise(key), set(words(key)), concepts(key)
    for name in names:
        name_norm, name_words = normalise(name), set(words(name))
        if key_norm and key_norm == name_norm:
            return 1.0
        if key_concepts and key_concepts & concepts(name):
            best = max(best, 0.95)
        if key_words and name_words and key_words <= name_words:
            best = max(best, 0.85 - 0.02 * len(name_words - key_words))
        ratio = difflib.SequenceMatcher(None, key_norm, name_norm).ratio()
        if ratio >= 0.8:
            best = max(best, 0.9 * ratio)
        overlap = len(key_words & name_words) / max(1, len(key_words | name_words))
        best = max(best, 0.7 * overlap)
    return best


def match_key(field: FormField, data: Mapping[str, str]) -> str | None:
    """The data key naming this field best, or None if none clears the threshold or two tie."""
    scored = sorted(((key_score(k, field), k) for k in data), reverse=True)
    if not scored or scored[0][0] < MATCH_THRESHOLD:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0] and data[scored[0][1]] != data[scored[1][1]]:
        return None
    return scored[0][1]


def match_option(options: tuple[Option, ...], wanted: str) -> Option | None:
    """The option whose value or text is `wanted`: exact, case/punctuation-free, prefix, fuzzy."""
    real = [o for o in options if o.value or o.label]
    for same in (lambda o: o.value == wanted or o.label == wanted,
                 lambda o: normalise(o.value) == normalise(wanted)
                 or normalise(o.label) == normalise(wanted)):  # fmt: skip
        found = [o for o in real if same(o)]
        if found:
            return found[0]
    target = normalise(wanted)
    if not target:
        return None
    prefixed = [o for o in real if normalise(o.label).startswith(target) and o.value]
    if len(prefixed) == 1:
        return prefixed[0]
    truth = truthiness(wanted)
    if truth is not None:
        yes_no = [o for o in real if truthiness(o.label) is truth or truthiness(o.value) is truth]
        if len(yes_no) == 1:
            return yes_no[0]
    ratios = sorted(((difflib.SequenceMatcher(None, target, normalise(o.label)).ratio(), i)
                     for i, o in enumerate(real) if o.value), reverse=True)  # fmt: skip
    if ratios and ratios[0][0] >= 0.8 and (len(ratios) == 1 or ratios[1][0] < ratios[0][0]):
        return real[ratios[0][1]]
    return None


def shape(field: FormField, raw: str) -> tuple[str | None, str]:
    """(value to enter, note): the data value as this field accepts it; None if impossible."""
    match field.kind:
        case "checkbox":
            truth = truthiness(raw)
            if truth is None:
                return None, f"{raw!r} is not a yes/no value"
            return ("true" if truth else "false"), ""
        case "select" | "radio":
            option = match_option(field.options, raw)
            if option is None:
                return None, f"no option matches {raw!r}"
            return option.value, ""
        case "date":
            date = parse_date(raw)
            return (date.isoformat(), "") if date else (None, f"{raw!r} is not a date")
        case "number":
            number = parse_number(raw)
            return (number, "") if number is not None else (None, f"{raw!r} is not a number")
        case "text" | "textarea":
            return _shape_text(field, raw), ""


def _shape_text(field: FormField, raw: str) -> str:
    value = raw.strip()
    hint = f"{field.placeholder} {field.label}"
    date = parse_date(value)
    if date is not None and (formatted := format_date_like(date, hint)):
        value = formatted
    if field.pattern and (fitted := fit_pattern(value, field.pattern)):
        value = fitted
    return value


def choose_value(field: FormField, data: Mapping[str, str]) -> Decision:
    """Decide a field's value from `data` in code; `value=None` means code cannot tell."""
    key = match_key(field, data)
    if key is None:
        return Decision(data_key=None, value=None, note="no data key names this field")
    value, note = shape(field, data[key])
    return Decision(data_key=key, value=value, note=note)
