"""The os skill: the policy gate, checked effects on a real shell, retries, sudo, hand-off."""

from __future__ import annotations

from pathlib import Path

import pytest

from gui_agent.computers.base import ShellResult
from gui_agent.computers.fake import FakeComputer
from gui_agent.computers.sandbox import SandboxDesktop
from gui_agent.episode import EpisodeStatus
from gui_agent.models.base import ModelRequest
from gui_agent.models.scripted import FunctionModel
from gui_agent.policy import Policy
from skills.command_policy import destructive_reason
from skills.os import judge, same_setting, split_probe
from skills.router import solve
from skills.routes import Effect
from tests.gui_fixtures import xvfb_missing


def os_route(command: str | None, effect: dict, task: str = "the task") -> dict:
    proposal = {"command": command, "intent": "do it", "expected_effect": effect}
    return {"kind": "os", "task": task, "proposal": proposal}


def model_for(route: dict, *later: object) -> FunctionModel:
    queue = list(later)

    def respond(request: ModelRequest):
        return route if request.function == "route_goal" else queue.pop(0)

    return FunctionModel(respond)


@pytest.mark.parametrize("command", [
    "rm -rf ~/Documents", "sudo rm -r /var/log", "find . -name '*.tmp' -delete",
    "sudo apt-get -y purge firefox", "shutdown -h now", "dd if=/dev/zero of=/dev/sda",
    "sudo userdel charles", "git reset --hard HEAD~3", "rm *", "mkfs.ext4 /dev/sdb1",
])  # fmt: skip
def test_destructive_commands_are_named(command: str) -> None:
    assert destructive_reason(command) is not None


@pytest.mark.parametrize("command", [
    "rm ~/notes/old.txt", "gsettings set org.gnome.desktop.session idle-delay 0",
    "mkdir -p ~/a/b", "pkill chrome", "sudo apt-get install -y htop", "ls -la /etc",
    "cp -r ~/a ~/b", "chmod 644 ~/x.txt",
])  # fmt: skip
def test_ordinary_commands_are_not(command: str) -> None:
    assert destructive_reason(command) is None


def test_the_gate_blocks_a_destructive_command_with_zero_commands_run() -> None:
    computer = FakeComputer(allow_shell=True)
    model = model_for(os_route("rm -rf ~/Documents", {"kind": "file_absent",
                                                     "target": "~/Documents"}))  # fmt: skip
    result = solve("empty my documents folder", computer, model=model)
    assert result.status == EpisodeStatus.BLOCKED
    assert "deletes recursively" in result.reason and "nothing was run" in result.reason
    assert computer.shell_commands == [] and computer.executed == []
    assert result.steps_executed == 0


def test_the_user_can_allow_a_destructive_command() -> None:
    computer = FakeComputer(allow_shell=True)
    asked: list[str] = []
    policy = Policy(confirm=lambda action: asked.append(action.command) or True)
    model = model_for(os_route("rm -rf ~/tmpdir", {"kind": "exit_zero"}))
    result = solve("remove ~/tmpdir", computer, model=model, policy=policy)
    assert result.status == EpisodeStatus.DONE
    assert asked[0] == "rm -rf ~/tmpdir" and len(computer.shell_commands) == 1


@pytest.fixture(scope="module")
def shell_desktop():
    if xvfb_missing():
        pytest.skip(xvfb_missing())
    with SandboxDesktop(width=800, height=600, chromium=False) as desktop:
        yield desktop


@pytest.fixture
def folder(shell_desktop, tmp_path: Path) -> tuple[str, Path]:
    """A fresh folder as the sandbox's commands see it, and where it is on this machine."""
    if not shell_desktop.isolated:  # commands run on this machine: any folder will do
        return str(tmp_path), tmp_path
    seen = f"{shell_desktop.home}/{tmp_path.name}"
    host = shell_desktop.host_path(seen)
    host.mkdir(parents=True)
    return seen, host


def test_a_command_runs_and_its_effect_is_checked_on_disk(shell_desktop, folder) -> None:
    seen, host = folder
    target = f"{seen}/reports/2024"
    model = model_for(os_route(f"mkdir -p {target}", {"kind": "file_exists",
                                                      "target": target}))  # fmt: skip
    result = solve(f"make the folder {target}", shell_desktop, model=model)
    assert result.status == EpisodeStatus.DONE, result.reason
    assert (host / "reports" / "2024").is_dir()
    assert result.steps_executed == 1 and result.model_calls == 1
    assert result.steps[0].source == "os.command" and "present" in result.steps[0].output


def test_a_failed_check_leads_to_one_new_proposal(shell_desktop, folder) -> None:
    seen, host = folder
    (host / "notes.txt").write_text("alpha\n")
    notes = f"{seen}/notes.txt"
    second = {"command": f"echo beta >> {notes}", "intent": "append beta",
              "expected_effect": {"kind": "file_contains", "target": notes, "value": "beta"}}
    model = model_for(os_route(f"echo gamma >> {notes}", {"kind": "file_contains",
                               "target": notes, "value": "beta"}), second)  # fmt: skip
    result = solve(f"add a line beta to {notes}", shell_desktop, model=model)
    assert result.status == EpisodeStatus.DONE, result.reason
    assert (host / "notes.txt").read_text() == "alpha\ngamma\nbeta\n"
    retry = next(r for r in model.requests if r.function == "propose_command")
    assert "lacks the text" in retry.prompt  # the second proposal hears why the first failed
    assert result.steps_executed == 2 and result.model_calls == 2


def test_a_question_is_answered_from_the_output(shell_desktop, folder) -> None:
    seen, host = folder
    for name in ("a.txt", "b.txt", "c.log"):
        (host / name).write_text("x")
    model = model_for(os_route(f"ls {seen}/*.txt | wc -l", {"kind": "answer"}))
    result = solve(f"how many .txt files are in {seen}?", shell_desktop, model=model)
    assert result.status == EpisodeStatus.DONE and result.answer == "2"


def test_sudo_gets_the_configured_password_and_no_record_shows_it(monkeypatch) -> None:
    monkeypatch.setenv("GUI_AGENT_SUDO_PASSWORD", "s3cret-pw")
    computer = FakeComputer(allow_shell=True)
    model = model_for(os_route("sudo touch /etc/flag", {"kind": "exit_zero"}))
    result = solve("create /etc/flag", computer, model=model)
    assert result.status == EpisodeStatus.DONE
    (sent,) = computer.shell_commands
    assert "s3cret-pw" in sent and "sudo -S" in sent and sent.endswith("sudo touch /etc/flag")
    assert "s3cret-pw" not in str(result.as_dict())


def test_without_a_command_the_loop_takes_over() -> None:
    computer = FakeComputer(allow_shell=True)
    model = model_for(os_route(None, {"kind": "exit_zero"}),
                      {"observation": "settings", "action": {"kind": "done"}})  # fmt: skip
    result = solve("pair the headphones", computer, model=model)
    assert result.status == EpisodeStatus.DONE and computer.shell_commands == []
    perceive = next(r for r in model.requests if r.function == "perceive")
    assert "use the GUI" in perceive.prompt


def test_settings_compare_as_values() -> None:
    assert same_setting("uint32 0", "0") and same_setting("1.5", "1.50")
    assert same_setting("'en_US.UTF-8'", "en_US.UTF-8") and same_setting("true", "True")
    assert not same_setting("false", "true")


def test_the_probe_output_is_kept_apart_from_the_command_output() -> None:
    shell = ShellResult(0, "done\n\n__GUI_AGENT_CHECK__ 0\n'dark'\n")
    code, output, probe = split_probe(shell, probed=True)
    assert (code, output.strip(), probe) == (0, "done", "'dark'")
    assert judge(Effect(kind="setting", target="a b", value="dark"), code, output, probe).ok
    failed = split_probe(ShellResult(0, "oops\n__GUI_AGENT_CHECK__ 2\n"), probed=True)
    assert failed[0] == 2
    assert not judge(Effect(kind="exit_zero"), *failed).ok
