"""`fill_form`: the program owns the page sequence and the field iteration.

Per page: read the fields (free), decide each value in code (`choose_value`), ask a model only
for a field code cannot decide, fill the page in ONE `fill_page` step, read every value back,
then press the page's Next (or, with consent, Submit) control found in the DOM or tree: a
second step. If the page answers with validation errors, each rejected value is corrected
(code first, then one scoped model call) and the page is filled and pressed again, once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Literal, Protocol

from gui_agent import context as ctx
from gui_agent.actions import Fill, FillPage, Scroll
from gui_agent.agentic import use_model
from gui_agent.computers.base import Computer
from gui_agent.errors import ActionRejected, GuiAgentError, PolicyBlocked
from gui_agent.loop import status_for, total_usage
from gui_agent.models.base import Model
from skills.base import act, observe
from skills.forms.consent import Confirm, ask_on_terminal
from skills.forms.fields import Box, Button, FormField, FormPage
from skills.forms.formats import correct_by_rule, parse_number
from skills.forms.mapping import choose_value
from skills.forms.outcome import FieldOutcome, FillReport, FillStatus, ValueSource
from skills.forms.questions import answer_field, correct_value

log = logging.getLogger(__name__)
MAX_PAGES = 10
MAX_SCROLLS = 4
MAX_SCROLL_CLICKS = 10
WHEEL_PX = 100
"""Pixels a browser scrolls per wheel click (Chromium)."""
READ_BACK_WAIT_S = 2.0


class FormSurface(Protocol):
    """A form shown somewhere (a browser tab, a desktop dialog) that can be read and filled."""

    def read(self) -> FormPage: ...

    def fill_for(self, field: FormField, value: str) -> Fill | None: ...

    def wait_for_change(self, before: FormPage) -> None: ...


def fill_form(
    data: Mapping[str, str],
    computer: Computer,
    surface: FormSurface,
    *,
    submit: bool = False,
    confirm: Confirm = ask_on_terminal,
    model: Model | str | None = None,
    ask_model: bool | None = None,
    target: str = "",
) -> FillReport:
    """Fill every page of the form on `surface` from `data`; submit only with consent.

    Without `model` no model is ever called (unless `ask_model=True`: then the context's
    model, as inside an episode): fields code cannot decide stay empty and are listed as such. Ends `done` (every required field filled and read back; submitted if
    asked), `failed` (naming what is missing or rejected), `blocked` (consent refused), or the
    status of the error that stopped it.
    """
    started = time.monotonic()
    report = FillReport(status="failed", target=target)
    chosen = use_model(model) if model is not None else nullcontext()
    node: ctx.CallNode | None = None
    try:
        with chosen, ctx.frame("forms.fill_form", arguments={"data keys": sorted(data),
                                                             "target": target}) as node:  # fmt: skip
            asking = model is not None if ask_model is None else ask_model
            filler = _PageFiller(data, computer, surface, report, use_model=asking)
            report.status, report.reason = filler.run(submit=submit, confirm=confirm)
            node.output = report.summary_line()
    except _Rejected as exc:
        report.status, report.reason = "failed", exc.message
    except ActionRejected as exc:
        report.status, report.reason = "failed", f"an action was refused: {exc.message}"
    except (GuiAgentError, KeyboardInterrupt) as exc:
        status, report.reason = status_for(exc)
        report.status = _fill_status(status.value)
    finally:
        report.duration_s = round(time.monotonic() - started, 2)
        if node is not None:
            usage = total_usage(node)
            report.tokens, report.cost_usd = usage.total_tokens, round(usage.cost_usd, 6)
    return report


def _fill_status(value: str) -> FillStatus:
    allowed: tuple[FillStatus, ...] = ("done", "failed", "blocked", "env_error", "model_error",
                                       "max_steps")  # fmt: skip
    return next((s for s in allowed if s == value), "failed")


class _PageFiller:
    def __init__(self, data: Mapping[str, str], computer: Computer, surface: FormSurface,
                 report: FillReport, *, use_model: bool) -> None:  # fmt: skip
        self.data = dict(data)
        self.computer = computer
        self.surface = surface
        self.report = report
        self.use_model = use_model

    def run(self, *, submit: bool, confirm: Confirm) -> tuple[FillStatus, str]:
        page = self.surface.read()
        for number in range(1, MAX_PAGES + 1):
            self.report.pages = number
            outcomes = self.fill_page(number, page)
            missing = [o.label for o in outcomes if o.required and not o.read_back_ok]
            if missing:
                return "failed", "required fields not filled: " + ", ".join(missing)
            page = self.surface.read()
            button = page.button("next") or page.button("submit")
            if button is None:
                return "done", "no Next or Submit control on the last page"
            if button.role == "submit":
                if not submit:
                    return "done", "filled; not submitted (submit was not asked for)"
                if not confirm(f"Submit the form ({button.text!r})?"):
                    raise PolicyBlocked(f"submitting ({button.text!r}) was not confirmed")
            page = self.press(button, page)
            if page.errors or any(f.error for f in page.fields):
                page = self.recover(number, page, button, outcomes)
            if button.role == "submit":
                self.report.submitted = True
                return "done", ""
        return "failed", f"more than {MAX_PAGES} pages"

    # -- one page ---------------------------------------------------------------------------

    def fill_page(self, number: int, page: FormPage) -> list[FieldOutcome]:
        observe(f"form page {number}", f"{page.title or page.url}: "
                + ", ".join(f"{f.label} ({f.kind})" for f in page.fields)
                + " | buttons: " + ", ".join(b.text for b in page.buttons))  # fmt: skip
        outcomes = [self.decide(number, field, page) for field in page.fields]
        self.enter(number, page, outcomes, why=f"fill page {number}")
        self.report.fields.extend(outcomes)
        return outcomes

    def enter(self, number: int, page: FormPage, outcomes: list[FieldOutcome], *,
              why: str) -> None:  # fmt: skip
        """Fill every decided value that is on screen in one fill_page step and read back; once
        more for values that differ; scroll (a step) to fields below or above the fold."""
        for _ in range(MAX_SCROLLS + 1):
            page = self.enter_visible(number, page, outcomes, why=why)
            hidden = [f for o in outcomes if o.source != "empty" and not o.read_back_ok
                      and (f := page.field(o.key)) is not None and not f.on_screen]  # fmt: skip
            if not hidden or hidden[0].box is None:
                return
            page = self.scroll_towards(hidden[0].box)

    def enter_visible(self, number: int, page: FormPage, outcomes: list[FieldOutcome], *,
                      why: str) -> FormPage:  # fmt: skip
        for attempt in (1, 2):
            fills = self.fills(page, [o for o in outcomes if o.read_back_ok is not True])
            if fills:
                act(self.computer, FillPage(fills=tuple(fills)), why=why if attempt == 1 else
                    f"{why}: again for values that read back differently")  # fmt: skip
                self.report.steps += 1
            page = self.read_back(page_number=number, outcomes=outcomes)
            if not fills or all(o.read_back_ok for o in outcomes if o.source != "empty"):
                break
            differing = [(o.label, o.value, o.read_back) for o in outcomes if o.read_back_ok is False]
            log.info("page %d: read back differs for %s", number, differing)
        return page

    def scroll_towards(self, box: Box) -> FormPage:
        """One Scroll step toward an element outside the visible part of the page."""
        width, height = self.computer.size
        direction: Literal["up", "down"] = "down" if box.y > height // 2 else "up"
        distance = abs(box.y + box.height // 2 - height // 2)
        amount = max(1, min(MAX_SCROLL_CLICKS, round(distance / WHEEL_PX)))
        act(self.computer, Scroll(x=width // 2, y=height // 2, direction=direction, amount=amount),
            why="bring the next fields into view")  # fmt: skip
        self.report.steps += 1
        return self.surface.read()

    def fills(self, page: FormPage, outcomes: list[FieldOutcome]) -> list[Fill]:
        """One Fill per field that needs one, bottom of the page first: the list a field opens
        while typed into (autofill, a drop-down) drops below it, over fields already filled."""
        fills: list[Fill] = []
        for outcome in outcomes:
            field = page.field(outcome.key)
            if field is None or outcome.source == "empty" or not field.on_screen:
                continue
            if fill := self.surface.fill_for(field, outcome.value):
                fills.append(fill)
        return sorted(fills, key=lambda fill: (-fill.y, fill.x))

    def decide(self, number: int, field: FormField, page: FormPage) -> FieldOutcome:
        outcome = FieldOutcome(page=number, label=field.label, key=field.key, kind=field.kind,
                               required=field.required)  # fmt: skip
        decision = choose_value(field, self.data)
        outcome.data_key = decision.data_key
        if decision.value is not None:
            outcome.value, outcome.source = decision.value, "code"
            outcome.shown = option_text(field, decision.value)
            return outcome
        if not self.use_model:
            outcome.note = f"left for a model (none configured): {decision.note}"
            return outcome
        answer = answer_field(field, self.data, page.title, page.text[:1500])
        self.report.model_calls += 1
        if answer.value is None or not answer.value.strip():
            outcome.note = f"model left it empty: {answer.reason}"
            return outcome
        outcome.value, outcome.source, outcome.note = answer.value, "model", answer.reason
        outcome.shown = option_text(field, answer.value)
        return outcome

    def read_back(self, *, page_number: int, outcomes: list[FieldOutcome]) -> FormPage:
        """Compare what each field holds with what it was given (an observation, polled while
        the program behind the window catches up with the input events)."""
        deadline = time.monotonic() + READ_BACK_WAIT_S
        while True:
            page = self.surface.read()
            for outcome in outcomes:
                field = page.field(outcome.key)
                outcome.read_back = field.value if field else None
                if field is None:
                    outcome.read_back_ok = False
                elif outcome.source == "empty":
                    outcome.read_back_ok = bool(field.value) and field.value != "false"
                else:
                    outcome.read_back_ok = same_value(field, field.value, outcome.value)
            settled = all(o.read_back_ok for o in outcomes if o.source != "empty")
            if settled or time.monotonic() > deadline:
                observe(f"read back page {page_number}", "; ".join(
                    f"{o.label}={o.read_back!r} {'ok' if o.read_back_ok else 'differs'}"
                    for o in outcomes if o.source != "empty"))  # fmt: skip
                return page
            time.sleep(0.05)

    def press(self, button: Button, before: FormPage) -> FormPage:
        for _ in range(MAX_SCROLLS):
            if button.on_screen:
                break
            before = self.scroll_towards(button.box)
            button = next((b for b in before.buttons if b.text == button.text), button)
        x, y = button.box.centre
        act(self.computer, Fill(x=x, y=y, text="", replace=False), why=f"press {button.text!r}")
        self.report.steps += 1
        self.surface.wait_for_change(before)
        return self.surface.read()

    def recover(self, number: int, page: FormPage, button: Button,
                outcomes: list[FieldOutcome]) -> FormPage:  # fmt: skip
        """Correct each rejected value once (code, then a model), refill, press again."""
        self.report.page_errors.extend(page.errors)
        by_key = {o.key: o for o in outcomes}
        for field in page.fields:
            if not field.error:
                continue
            outcome = by_key.get(field.key)
            if outcome is None:
                continue
            outcome.errors.append(field.error)
            rejected = outcome.value or field.value
            corrected = correct_by_rule(rejected, field.error)
            source: ValueSource = "code"
            if corrected is None and self.use_model:
                proposal = correct_value(field, rejected, field.error, self.data)
                self.report.model_calls += 1
                corrected, source = proposal.value, "model"
            if not corrected or not corrected.strip() or corrected == rejected:
                continue
            outcome.value = corrected
            outcome.corrected_by = source
            outcome.read_back_ok = None
        if not any(o.read_back_ok is None for o in outcomes):
            errors = [f.error for f in page.fields if f.error] + list(page.errors)
            raise _Rejected("the page rejected the values: " + "; ".join(errors))
        steps_before = self.report.steps
        self.enter(number, page, outcomes, why=f"correct page {number}")
        again = self.surface.read()
        pressed = again.button(button.role) or button
        after = self.press(pressed, again)
        self.report.correction_steps += self.report.steps - steps_before
        if after.errors or any(f.error for f in after.fields):
            errors = [f.error for f in after.fields if f.error] + list(after.errors)
            raise _Rejected("the page still rejects the values: " + "; ".join(errors))
        return after


class _Rejected(GuiAgentError):
    """The page kept rejecting values after one correction: the fill fails."""


def option_text(field: FormField, value: str) -> str:
    """The visible text of the option `value` names ('' for fields without options)."""
    return next((o.label for o in field.options if o.value == value), "")


def same_value(field: FormField, shown: str, expected: str) -> bool:
    """Whether a field showing `shown` holds `expected` (numbers compare as numbers)."""
    if field.kind == "number":
        a, b = parse_number(shown), parse_number(expected)
        return a is not None and b is not None and float(a) == float(b)
    if field.kind in ("text", "textarea"):
        return " ".join(shown.split()) == " ".join(expected.split())
    return shown == expected
