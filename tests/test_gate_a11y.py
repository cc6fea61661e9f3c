"""The gate on a desktop program: facts about a click read from the accessibility tree.

`tests/data/gate/calc-save-changes.a11y.xml.gz` is a whole real tree (gui_agent's own AT-SPI
dump) of LibreOffice Calc with its "Save changes to document?" alert open over a modified
document: the alert is modal, its buttons are "Don’t Save" (a typographic apostrophe),
"Cancel" and "Save". The end-to-end case with LibreOffice running is in
tests/test_gate_desktop.py.
"""

from __future__ import annotations

import gzip
import time
from pathlib import Path
from typing import Any

import pytest

from gui_agent import target_facts
from gui_agent.actions import Click, Key, Type
from gui_agent.computers.fake import FakeComputer
from gui_agent.episode import EpisodeStatus
from gui_agent.errors import EnvError, PolicyBlocked
from gui_agent.grounding.a11y import element_at, focused_element
from gui_agent.loop import run_task
from gui_agent.models.scripted import ScriptedModel
from gui_agent.policy import Approval, Policy, TargetFacts, irreversible_reason
from gui_agent.target_facts import read_target_facts

TREE = gzip.decompress((Path(__file__).parent / "data/gate/calc-save-changes.a11y.xml.gz")
                       .read_bytes()).decode()  # fmt: skip
DONT_SAVE = (474, 444)  # centre of the push button "Don’t Save" (391, 427)-(557, 461)
CANCEL = (639, 444)
SAVE = (804, 444)
BEHIND_THE_DIALOG = (300, 600)  # a cell of the sheet: the modal alert takes every click


class TreeComputer(FakeComputer):
    """A computer without a browser whose accessibility tree is `tree` (or a callable's)."""

    def __init__(self, tree: str | Any) -> None:
        super().__init__((1280, 800))
        self._tree = tree
        self.tree_reads = 0

    def accessibility_tree(self) -> str:
        self.tree_reads += 1
        return self._tree() if callable(self._tree) else self._tree


def test_the_element_under_a_click_in_the_real_dialog() -> None:
    dont = element_at(TREE, *DONT_SAVE, screen_size=(1280, 800))
    assert dont is not None and (dont.role, dont.name) == ("push button", "Don\u2019t Save")
    save = element_at(TREE, *SAVE, screen_size=(1280, 800))
    assert save is not None and save.name == "Save"
    assert element_at(TREE, *BEHIND_THE_DIALOG, screen_size=(1280, 800)) is None


@pytest.mark.parametrize(("point", "gated"), [(DONT_SAVE, True), (CANCEL, False), (SAVE, False)])
def test_dont_save_is_irreversible_cancel_and_save_are_not(point: tuple[int, int],
                                                           gated: bool) -> None:  # fmt: skip
    computer = TreeComputer(TREE)
    facts = read_target_facts(computer, Click(x=point[0], y=point[1]))
    assert facts is not None and facts.source == "accessibility"
    reason = irreversible_reason(Click(x=point[0], y=point[1]), facts)
    assert (reason is not None) is gated
    if gated:
        assert reason == "it presses the push button 'Don\u2019t Save' (don't save)"


def test_denied_without_yes_allowed_with_it() -> None:
    click = Click(x=DONT_SAVE[0], y=DONT_SAVE[1])
    facts = read_target_facts(TreeComputer(TREE), click)
    denying = Policy(approval=Approval.DENY)
    with pytest.raises(PolicyBlocked, match="needs --yes"):
        denying.check(click, facts=facts)
    assert [(e.guard, e.decision) for e in denying.events] == [("gate", "blocked")]
    allowing = Policy(approval=Approval.YES)
    allowing.check(click, facts=facts)
    assert [(e.guard, e.decision) for e in allowing.events] == [("gate", "allowed")]
    asked: list[str] = []
    Policy(approval=Approval.ASK, ask=lambda q: asked.append(q) is None).check(click, facts=facts)
    assert asked and "Don\u2019t Save" in asked[0]


def _clicks_dont_save() -> ScriptedModel:
    """A model that clicks "Don't Save" (calling it safe), then says done."""
    return ScriptedModel([
        {"observation": "a save dialog", "action": {"kind": "click", "x": DONT_SAVE[0],
                                                    "y": DONT_SAVE[1]}},
        {"observation": "closed", "action": {"kind": "done"}},
    ])  # fmt: skip


def test_a_model_clicking_dont_save_ends_blocked_with_nothing_sent() -> None:
    computer = TreeComputer(TREE)
    model = _clicks_dont_save()
    result = run_task("close the document", computer, model=model,
                      policy=Policy(approval=Approval.DENY), snap=False)  # fmt: skip
    assert result.status is EpisodeStatus.BLOCKED
    assert computer.executed == []  # no input event reached the desktop


def test_only_clicks_and_pressing_keys_read_the_tree() -> None:
    computer = TreeComputer(TREE)
    assert read_target_facts(computer, Key(keys="tab")) is None
    assert read_target_facts(computer, Type(text="hello")) is None
    assert computer.tree_reads == 0
    assert read_target_facts(computer, Type(text="hello\n")) is not None  # Enter presses the focus
    assert computer.tree_reads == 1


def test_a_slow_tree_is_given_up_on_within_the_bound() -> None:
    def slow() -> str:
        time.sleep(5)
        return TREE

    started = time.monotonic()
    facts = read_target_facts(TreeComputer(slow), Click(x=DONT_SAVE[0], y=DONT_SAVE[1]),
                              a11y_timeout=0.3)  # fmt: skip
    assert facts is None
    assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("tree", ["<html", "not xml at all", ""])
def test_an_unreadable_tree_gives_no_facts(tree: str) -> None:
    assert read_target_facts(TreeComputer(tree), Click(x=10, y=10)) is None


def test_a_failing_tree_read_gives_no_facts() -> None:
    def broken() -> str:
        raise EnvError("GET /accessibility failed: HTTP 500")

    assert read_target_facts(TreeComputer(broken), Click(x=10, y=10)) is None


def test_a_focused_page_decides_from_the_dom_and_the_tree_is_not_read(monkeypatch: Any) -> None:
    computer = TreeComputer(TREE)
    page = TargetFacts(role="button", name="Open", source="dom")
    monkeypatch.setattr(target_facts, "_dom_facts", lambda *a, **k: (page, True))
    assert read_target_facts(computer, Click(x=DONT_SAVE[0], y=DONT_SAVE[1])) == page
    assert computer.tree_reads == 0
    # The page lost the focus (a desktop dialog is in front): the tree says what is clicked.
    monkeypatch.setattr(target_facts, "_dom_facts", lambda *a, **k: (page, False))
    facts = read_target_facts(computer, Click(x=DONT_SAVE[0], y=DONT_SAVE[1]))
    assert facts is not None and facts.name == "Don\u2019t Save" and computer.tree_reads == 1


ACTIVE_IN_FRONT = """<desktop-frame xmlns:st="s" xmlns:cp="c">
<application name="files">
  <frame name="Files" st:active="false" cp:screencoord="(0, 0)" cp:size="(1280, 800)">
    <push-button name="Delete" cp:screencoord="(100, 100)" cp:size="(80, 30)"/>
  </frame>
</application>
<application name="editor">
  <frame name="Editor" st:active="true" cp:screencoord="(50, 50)" cp:size="(600, 400)">
    <panel name="canvas" cp:screencoord="(50, 80)" cp:size="(600, 370)"/>
    <label name="Untitled" cp:screencoord="(60, 60)" cp:size="(400, 200)"/>
  </frame>
</application>
</desktop-frame>"""


def test_a_button_of_a_window_behind_the_active_one_is_not_what_a_click_hits() -> None:
    under = element_at(ACTIVE_IN_FRONT, 120, 110)
    assert under is not None and under.name == "Untitled"  # the editor in front, not Delete
    outside = element_at(ACTIVE_IN_FRONT, 900, 700)  # off the active window: the whole tree
    assert outside is None
    assert element_at(ACTIVE_IN_FRONT.replace('st:active="true"', 'st:active="false"'),
                      120, 110).name == "Delete"  # type: ignore[union-attr]  # fmt: skip


def test_with_yes_the_tree_is_not_read_and_the_click_runs() -> None:
    computer = TreeComputer(TREE)
    model = _clicks_dont_save()
    result = run_task("close the document", computer, model=model,
                      policy=Policy(approval=Approval.YES), snap=False)  # fmt: skip
    assert result.status is EpisodeStatus.DONE
    assert computer.executed == [Click(x=DONT_SAVE[0], y=DONT_SAVE[1])]
    assert computer.tree_reads == 0  # the gate would allow anyway: no seconds spent reading


def _focus_on(name: str) -> str:
    """The real tree with the alert's keyboard focus moved from Save to the button `name`."""
    tree = TREE.replace('<push-button name="Save" st:enabled="true" st:focusable="true" '
                        'st:focused="true"', '<push-button name="Save" st:enabled="true" '
                        'st:focusable="true"')  # fmt: skip
    marker = f'<push-button name="{name}" '
    assert tree.count(marker) == 1
    return tree.replace(marker, marker + 'st:focused="true" ')


@pytest.mark.parametrize("keys", ["enter", "space"])
def test_a_key_that_presses_the_focused_dont_save_is_gated(keys: str) -> None:
    assert focused_element(TREE).name == "Save"  # type: ignore[union-attr]  # as Calc opens it
    assert irreversible_reason(Key(keys=keys), read_target_facts(TreeComputer(TREE), Key(keys=keys))) is None
    moved = TreeComputer(_focus_on("Don\u2019t Save"))
    facts = read_target_facts(moved, Key(keys=keys))
    assert facts == TargetFacts(role="push button", name="Don\u2019t Save", source="accessibility")
    assert irreversible_reason(Key(keys=keys), facts) == (
        "it presses the push button 'Don\u2019t Save' (don't save)")
    assert irreversible_reason(Key(keys="tab"), facts) is None  # moving the focus is harmless
    assert read_target_facts(moved, Key(keys="tab")) is None and moved.tree_reads == 1
