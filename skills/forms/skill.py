"""`run_forms`: the router's entry point for goals that fill in a web form.

The goal's field values come in `params` (extracted once by the router). The form is the front
browser tab (reached over CDP), or, on a computer without a browser but with an accessibility
tree (a VM's /accessibility), the window or dialog in front, read through that tree. If the
goal names another page, the skill opens it with two counted steps (focus the address bar,
type the URL). Every press that submits a form (Next
and Submit alike) passes the episode policy's gate inside `act`; a refusal ends the skill
BLOCKED with nothing sent.
"""

from __future__ import annotations

from gui_agent import context as ctx
from gui_agent.actions import Key, Type
from gui_agent.computers.base import Computer, HasAccessibilityTree, HasCDP
from gui_agent.errors import GuiAgentError
from skills.base import SkillResult, SkillStatus, act, observe
from skills.forms.consent import always_yes
from skills.forms.desktop import DesktopForm
from skills.forms.filling import fill_form
from skills.forms.outcome import FillReport
from skills.forms.web import open_web_form
from skills.routes import FormsParams


def run_forms(goal: str, computer: Computer, *, params: FormsParams) -> SkillResult:
    """Fill the form the goal is about with the values it states; submit if asked and allowed."""
    with ctx.frame("forms.run_forms", arguments={"goal": goal, "params": params}) as node:
        result = _run(computer, params)
        node.summary = result.summary_line()
        return result


def _run(computer: Computer, params: FormsParams) -> SkillResult:
    if not params.fields:
        return SkillResult(SkillStatus.HANDOFF, "the goal states no field values to fill")
    cdp_url = _cdp_url(computer)
    if cdp_url is None:
        if isinstance(computer, HasAccessibilityTree) and not params.url:
            # No browser to read: the form in front, through the accessibility tree.
            tree = DesktopForm(computer.accessibility_tree)
            return _result(fill_form(params.fields, computer, tree, submit=params.submit,
                                     confirm=always_yes, ask_model=True, target="desktop"))  # fmt: skip
        return SkillResult(SkillStatus.HANDOFF, "no browser reachable over CDP here")
    with open_web_form(cdp_url) as form:
        if params.url and form.url.rstrip("/") != params.url.rstrip("/"):
            before = form.read()
            act(computer, Key(keys="ctrl+l"), why="focus the address bar")
            act(computer, Type(text=params.url + "\n"), why=f"open {params.url}")
            form.wait_for_change(before)
        observe("form page", form.url)
        # Consent is the policy's: its gate in `act` sees each press that submits a form.
        report = fill_form(params.fields, computer, form, submit=params.submit,
                           confirm=always_yes, ask_model=True, target=form.url)  # fmt: skip
    return _result(report)


def _cdp_url(computer: Computer) -> str | None:
    try:  # isinstance() reads the property too: a computer without a browser raises
        return computer.cdp_url if isinstance(computer, HasCDP) else None
    except GuiAgentError:
        return None


def _result(report: FillReport) -> SkillResult:
    line = report.summary_line()
    match report.status:
        case "done":
            return SkillResult(SkillStatus.DONE, line)
        case "blocked":
            return SkillResult(SkillStatus.BLOCKED, line)
        case "failed" | "max_steps":
            return SkillResult(SkillStatus.HANDOFF, line)
        case "env_error" | "model_error":
            return SkillResult(SkillStatus.FAILED, line)
