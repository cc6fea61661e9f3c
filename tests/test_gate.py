"""The gate before irreversible actions: decided from program facts, never from the model.

Pure decisions first (facts -> reason, approval -> allowed/blocked, the record), then the facts
read from a real page in the sandbox's Chromium, then whole episodes: a model that clicks
"Place order" ends `blocked` with the form not submitted unless the run said --yes.
"""

from __future__ import annotations

from typing import Any

import pytest

from gui_agent.actions import Click, Key, Shell, Type
from gui_agent.computers.fake import FakeComputer
from gui_agent.episode import EpisodeStatus
from gui_agent.errors import ActionRejected, PolicyBlocked
from gui_agent.loop import run_task
from gui_agent.models.scripted import ScriptedModel
from gui_agent.policy import Approval, Policy, TargetFacts, gate, irreversible_reason, use_policy
from gui_agent.target_facts import read_target_facts
from tests.gui_fixtures import screen_point, wait_until

SUBMIT = TargetFacts(role="button", name="Place order", submits_form=True, source="dom")


@pytest.mark.parametrize(
    ("action", "facts", "irreversible"),
    [
        (Click(x=1, y=1), SUBMIT, True),
        (Click(x=1, y=1), TargetFacts(role="button", name="Delete account"), True),
        (Click(x=1, y=1), TargetFacts(role="link", name="Send message"), True),
        (Click(x=1, y=1), TargetFacts(role="button", name="Show help"), False),
        (Click(x=1, y=1), TargetFacts(role="textbox", name="delete me"), False),  # a field
        (Click(x=1, y=1), None, False),
        (Key(keys="enter"), TargetFacts(role="textbox", submits_form=True), True),
        (Key(keys="enter"), TargetFacts(role="textbox"), False),
        (Type(text="Ada\n"), TargetFacts(role="textbox", submits_form=True), True),
        (Type(text="Ada"), TargetFacts(role="textbox", submits_form=True), False),
        (Key(keys="alt+f4"), None, True),
        (Key(keys="ctrl+w"), None, True),
        (Key(keys="ctrl+l"), None, False),
        (Shell(command="rm -f ~/notes.txt"), None, True),
        (Shell(command="curl -X POST http://x.test/api"), None, True),
        (Shell(command="git push origin main"), None, True),
        (Shell(command="ls -la ~/Desktop"), None, False),
        (Shell(command="echo 'delete'"), None, False),  # words in data are not commands
    ],
)  # fmt: skip
def test_what_is_irreversible_comes_from_facts(action, facts, irreversible) -> None:
    assert (irreversible_reason(action, facts) is not None) is irreversible


def test_approval_decides_and_every_decision_is_recorded() -> None:
    asked: list[str] = []
    allow = Policy(approval=Approval.YES)
    allow.check(Click(x=1, y=1), facts=SUBMIT)
    deny = Policy(approval=Approval.DENY)
    with pytest.raises(PolicyBlocked, match="needs --yes"):
        deny.check(Click(x=1, y=1), facts=SUBMIT)
    ask_no = Policy(approval=Approval.ASK, ask=lambda q: asked.append(q) or False)
    with pytest.raises(PolicyBlocked, match="denied"):
        ask_no.check(Key(keys="alt+f4"))
    ask_yes = Policy(approval=Approval.ASK, ask=lambda q: True)
    ask_yes.check(Key(keys="alt+f4"))
    nobody = Policy(approval=Approval.ASK)  # nobody at a terminal: denied
    with pytest.raises(PolicyBlocked):
        nobody.check(Shell(command="rm x"))
    assert asked and "Place order" not in asked[0] and "alt+f4" in asked[0]
    assert [e.decision for e in allow.events + deny.events + ask_no.events + ask_yes.events] == [
        "allowed", "blocked", "blocked", "confirmed"]  # fmt: skip
    assert deny.summary()["tried"] == 1 and deny.summary()["blocked"] == 1


def test_a_denied_shell_command_is_rejected_not_gated() -> None:
    policy = Policy(approval=Approval.YES)
    with pytest.raises(ActionRejected):
        policy.check(Shell(command="rm -rf / "))
    assert policy.events[0].guard == "shell_policy" and policy.events[0].blocked


def test_skills_call_the_gate_of_the_running_episode() -> None:
    gate("submit the form 'Order'", facts=SUBMIT)  # outside an episode: the default allows
    policy = Policy(approval=Approval.DENY)
    with use_policy(policy), pytest.raises(PolicyBlocked):
        gate("submit the form 'Order'", facts=SUBMIT)
    with use_policy(policy):
        gate("read the form", facts=TargetFacts(role="textbox", name="Name"))  # not irreversible
        with pytest.raises(PolicyBlocked):
            gate("send the email", reason="sending cannot be undone")
    assert [e.attempted for e in policy.events] == ["submit the form 'Order'", "send the email"]


def test_a_blocked_episode_sends_no_event_and_says_why() -> None:
    computer = FakeComputer(allow_shell=True)
    model = ScriptedModel([{"observation": "x", "action": {"kind": "shell", "command": "rm -f a"}}])
    result = run_task("g", computer, model=model, policy=Policy(approval=Approval.DENY))
    assert result.status == EpisodeStatus.BLOCKED
    assert computer.executed == [] and computer.shell_commands == []
    assert "rm -f a" in result.reason and result.guards["blocked"] == 1


# -- on a real page ------------------------------------------------------------------------


@pytest.mark.gui
def test_facts_are_read_from_the_page_under_the_point(sandbox: Any, gui_page: Any) -> None:
    page = gui_page("gate.html")
    facts = {sel: read_target_facts(sandbox, Click(x=x, y=y)) for sel in
             ("#place", "#help", "#delete", "#more", "#name")
             for x, y in [screen_point(page, sel)]}  # fmt: skip
    assert facts["#place"] == TargetFacts("button", "Place order", True, "dom")
    assert facts["#help"] == TargetFacts("button", "Show help", False, "dom")
    assert facts["#delete"] == TargetFacts("button", "Delete account", False, "dom")
    assert facts["#more"] is not None and facts["#more"].role == "link"
    assert facts["#name"] is not None and not facts["#name"].submits_form
    page.focus("#name")
    enter = read_target_facts(sandbox, Key(keys="enter"))
    assert enter is not None and enter.submits_form  # Enter in a form's field submits it
    page.focus("#notes")
    assert not read_target_facts(sandbox, Key(keys="enter")).submits_form  # type: ignore[union-attr]
    assert read_target_facts(sandbox, Click(x=5, y=5)) is None  # the tab strip, not the page


@pytest.mark.gui
@pytest.mark.parametrize("keys", ["enter", "space"])
def test_a_key_pressing_a_focused_delete_button_is_gated(sandbox: Any, gui_page: Any,
                                                         keys: str) -> None:  # fmt: skip
    page = gui_page("gate.html")
    page.focus("#delete")
    facts = read_target_facts(sandbox, Key(keys=keys))
    assert facts == TargetFacts("button", "Delete account", False, "dom")
    model = ScriptedModel([{"observation": "harmless", "action": {"kind": "key", "keys": keys}},
                           {"observation": "done", "action": {"kind": "done"}}])  # fmt: skip
    result = run_task("tidy up", sandbox, model=model, policy=Policy(approval=Approval.DENY))
    assert result.status == EpisodeStatus.BLOCKED
    assert "Delete account" in result.guards["events"][0]["reason"]
    assert page.title() == "gate"  # the button was never pressed


@pytest.mark.gui
@pytest.mark.parametrize(("approval", "status", "title"),
                         [(Approval.DENY, EpisodeStatus.BLOCKED, "gate"),
                          (Approval.YES, EpisodeStatus.DONE, "submitted")])  # fmt: skip
def test_a_model_clicking_place_order_is_stopped_by_the_program(
    sandbox: Any, gui_page: Any, approval: Approval, status: EpisodeStatus, title: str
) -> None:
    page = gui_page("gate.html")
    x, y = screen_point(page, "#place")
    says = "This button only shows more options; it is safe to click."  # the model's say-so
    model = ScriptedModel([{"observation": says, "action": {"kind": "click", "x": x, "y": y}},
                           {"observation": "done", "action": {"kind": "done"}}])  # fmt: skip
    result = run_task("order", sandbox, model=model, policy=Policy(approval=approval))
    assert result.status == status
    if status == EpisodeStatus.DONE:
        wait_until(lambda: page.title() == "submitted")
    assert page.title() == title
    assert result.guards["events"][0]["reason"].startswith("it submits a form")
