"""Shape a data value into what a field declares it accepts: dates, numbers, patterns, examples.

Pure functions, no I/O. Each returns None when it cannot shape the value; callers then keep the
value as written (and the page's validation has the last word).
"""

from __future__ import annotations

import datetime as dt
import re

TRUE_WORDS = frozenset({"yes", "y", "true", "1", "on", "checked", "x", "agree", "accept", "ok"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "off", "unchecked", "", "none", "decline"})

_TEXT_DATE_FORMATS = (
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y",
    "%B %d %Y", "%b %d %Y", "%d. %B %Y", "%Y%m%d",
)  # fmt: skip
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")


def truthiness(value: str) -> bool | None:
    """True/False for the usual yes/no spellings; None when the text is not one of them."""
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def parse_date(value: str) -> dt.date | None:
    """A calendar date from ISO, written-out month, or d/m/y / m/d/y text.

    `01/02/2000` is ambiguous: a part above 12 decides; otherwise month first (the way the
    date inputs here are laid out), which a later validation error can still correct.
    """
    text = " ".join(value.strip().split())
    for fmt in _TEXT_DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    match = _NUMERIC_DATE.match(text)
    if match is None:
        return None
    first, second, year = (int(part) for part in match.groups())
    month, day = (second, first) if first > 12 else (first, second)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def date_keystrokes(date: dt.date, order: str) -> str:
    """The digits to type into a browser date input whose segments come in `order` ('mdy')."""
    parts = {"d": f"{date.day:02d}", "m": f"{date.month:02d}", "y": f"{date.year:04d}"}
    return "".join(parts[letter] for letter in order if letter in parts)


def format_date_like(date: dt.date, hint: str) -> str | None:
    """Format `date` the way a hint such as 'DD/MM/YYYY' or 'mm-dd-yyyy' shows it."""
    match = re.search(r"(dd|mm|yyyy|yy)([/.\-\s])(dd|mm)\2(dd|mm|yyyy|yy)", hint.lower())
    if match is None:
        match = re.search(r"(yyyy)([/.\-])(mm)\2(dd)", hint.lower())
        if match is None:
            return None
    separator = match.group(2)
    codes = {"dd": f"{date.day:02d}", "mm": f"{date.month:02d}", "yyyy": f"{date.year:04d}",
             "yy": f"{date.year % 100:02d}"}  # fmt: skip
    return separator.join(codes[match.group(i)] for i in (1, 3, 4))


def parse_number(value: str) -> str | None:
    """'$1,250.50' -> '1250.50'; None when the text holds no single number."""
    cleaned = re.sub(r"[\s,$€£¥%]", "", value.strip())
    if re.fullmatch(r"[-+]?\d+(\.\d+)?", cleaned):
        return cleaned
    return None


def digits_only(value: str) -> str:
    return re.sub(r"\D", "", value)


def shape_like(value: str, example: str) -> str | None:
    """Re-punctuate `value`'s digits the way `example` is punctuated ('4155550132', '415-555-0132').

    Only for digit-shaped examples; a leading country code beyond the example's digit count is
    dropped.
    """
    example = example.strip().rstrip(".,;:!?")
    example_digits = digits_only(example)
    if len(example_digits) < 3 or re.search(r"[A-Za-z]", example):
        return None
    digits = digits_only(value)
    extra = len(digits) - len(example_digits)
    if extra > 0 and _has_country_code(value, digits[:extra]):
        digits = digits[extra:]
    if len(digits) != len(example_digits):
        return None
    out, index = [], 0
    for char in example:
        if char.isdigit():
            out.append(digits[index])
            index += 1
        else:
            out.append(char)
    return "".join(out)


def _has_country_code(value: str, leading: str) -> bool:
    """Whether the extra leading digits are an international prefix ('+44', '0044', '1 ')."""
    start = value.strip()
    return start.startswith(("+", "00")) or (leading == "1" and len(leading) == 1)


PHONE_TEMPLATES = ("ddd-ddd-dddd", "(ddd) ddd-dddd", "ddd ddd dddd", "ddd.ddd.dddd", "dddddddddd")


def fit_pattern(value: str, pattern: str) -> str | None:
    """A rewriting of `value` that matches the HTML `pattern` in full, or None."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return None
    candidates = [value, value.strip(), digits_only(value), value.strip().upper(),
                  value.strip().lower(), re.sub(r"\s+", "", value)]  # fmt: skip
    candidates += [s for t in PHONE_TEMPLATES if (s := shape_like(value, t.replace("d", "0")))]
    date = parse_date(value)
    if date is not None:
        candidates += [date.isoformat(), date.strftime("%d/%m/%Y"), date.strftime("%m/%d/%Y")]
    return next((c for c in candidates if compiled.fullmatch(c)), None)


_DIGIT_COUNT = re.compile(r"\b(\d+)\s*digits?\b", re.IGNORECASE)
_MAX_CHARS = re.compile(r"\b(?:at most|maximum of|max\.?|up to|no more than)\s*(\d+)\s*(?:char|letter)", re.I)
_EXAMPLE = re.compile(r"\b(?:e\.g\.|eg|for example|example|like|such as)[:\s]+[\"']?([^\s\"',;)]+)", re.I)


def correct_by_rule(value: str, error: str) -> str | None:
    """A corrected value for a validation message code understands, or None.

    Understood: an example to imitate ("e.g. 4155550132"), a digit count or "digits only",
    "no spaces", upper/lower case, a character limit, and a date format named in the message.
    """
    message = error.strip()
    example = _EXAMPLE.search(message)
    if example and (shaped := shape_like(value, example.group(1))) and shaped != value:
        return shaped
    count = _DIGIT_COUNT.search(message)
    lowered = message.lower()
    if count or "digits only" in lowered or "only digits" in lowered or "numbers only" in lowered:
        digits = digits_only(value)
        wanted = int(count.group(1)) if count else len(digits)
        extra = len(digits) - wanted
        if extra > 0 and _has_country_code(value, digits[:extra]):
            digits = digits[extra:]
        if len(digits) != wanted:
            return None
        return digits if digits != value else None
    if "no spaces" in lowered or "without spaces" in lowered:
        return re.sub(r"\s+", "", value) if " " in value else None
    if "upper" in lowered or "capital" in lowered:
        return value.upper() if value.upper() != value else None
    if "lower case" in lowered or "lowercase" in lowered:
        return value.lower() if value.lower() != value else None
    limit = _MAX_CHARS.search(message)
    if limit and len(value) > int(limit.group(1)):
        return value[: int(limit.group(1))].rstrip()
    date = parse_date(value)
    if date is not None and (formatted := format_date_like(date, message)) and formatted != value:
        return formatted
    return None
