"""The file skill: work centred on documents, done by one script and checked by reading back.

    discover (one step: a fixed script lists candidate files with their structure, and what
              the environment has: Python document libraries, LibreOffice)
    -> plan   (one scoped call: which files, which transformation, where the result goes, the
              script or the LibreOffice conversion, the values the result must contain)
    -> act    (one step: the script, after the program has checked that it compiles and calls
              nothing forbidden, or `soffice --headless --convert-to`)
    -> verify (free: the result file read back and its text checked for the expected values)
    -> DONE, or one more plan that hears what went wrong; else hand off to the step loop.

Where the goal needs the result open in its application, one more step opens it. Where the
environment has no Python or no shell, the step loop does the work on the screen.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import ValidationError

from gui_agent.agentic import agentic
from gui_agent.computers.base import Computer, HasFiles
from skills.base import (
    SkillResult,
    SkillStatus,
    observe,
    read_back,
    run_command,
    run_script,
    run_shell_skill,
)
from skills.document_text import document_text
from skills.inventory_probe import DOCUMENT_TYPES
from skills.routes import FilePlan, MultiAppParams
from skills.script_check import check_script

MAX_PLANS = 2
INVENTORY_CHARS = 6000
PROBE_SOURCE = Path(__file__).with_name("inventory_probe.py")
HOME = "/home/user"
"""The desktop user's home where the computer does not say (`computer.home`): OSWorld's image."""


@agentic(summarize=lambda plan: f"plan: {plan.transformation} -> {plan.output}")
def plan_file_work(goal: str, inventory: str, last_attempt: str | None) -> FilePlan:
    """Plan the file work the goal asks for, as one Python script or one LibreOffice conversion.

    `inventory` is JSON from the machine the work happens on: the Python interpreter, the
    document libraries it has (openpyxl, docx = python-docx, pptx = python-pptx, pypdf,
    odf = odfpy, pandas), whether LibreOffice (soffice) is there, the home folder, and the
    candidate files with their structure. Use only libraries it lists; use the standard
    library for csv, json, zipfile and tarfile.

    The script runs non-interactively with that interpreter, as the desktop user. Use absolute
    paths. Keep the input files' other content intact when the goal changes a file in place
    (load, change, save). It must not start programs other than LibreOffice
    (`subprocess.run(["soffice", "--headless", ...])`), open network connections, or delete
    folders. Print a short line on success; if the goal asks a question, set `answer` and
    print just the answer on the last line. For a pure format conversion (e.g. docx to pdf)
    use method "convert" with `convert_to` instead of a script.

    `expect` lists a few texts or values the result file must contain (the program reads the
    file back and checks them). `last_attempt`, if given, says why the previous plan did not
    work: change what caused it.
    """


def run_multi_app(goal: str, computer: Computer, *, params: MultiAppParams) -> SkillResult:
    """Do `goal` on files with one script; see the module docstring."""
    return run_shell_skill("multi_app.files", arguments={"goal": goal, "inputs": params.inputs},
                           computer=computer, without_shell="this computer runs no scripts; "
                           "use the screen", work=lambda: _work(goal, computer, params))  # fmt: skip


def _work(goal: str, computer: Computer, params: MultiAppParams) -> SkillResult:
    plan, interpreter, inventory_text = params.plan, "python3", ""
    last_attempt: str | None = None
    for _ in range(MAX_PLANS):
        if plan is None:
            if not inventory_text or _library_missing(last_attempt):
                inventory = discover(computer, params.inputs,
                                     probe=_library_missing(last_attempt))  # fmt: skip
                if inventory is None:
                    return SkillResult(SkillStatus.HANDOFF,
                                       "no Python in the environment to inspect files")  # fmt: skip
                interpreter = str(inventory.get("python") or "python3")
                inventory_text = json.dumps(inventory, ensure_ascii=False)[:INVENTORY_CHARS]
            plan = plan_file_work(goal, inventory_text, last_attempt)
        failure, answer = _carry_out(computer, plan, interpreter)
        if failure is None:
            if plan.open_after:
                run_command(computer, f"(xdg-open {shlex.quote(plan.output)} >/dev/null 2>&1 &)",
                            why="open the result in its application")  # fmt: skip
            return SkillResult(SkillStatus.DONE, f"{plan.transformation} -> {plan.output}",
                               answer=answer)  # fmt: skip
        last_attempt, plan = failure, None
    return SkillResult(SkillStatus.HANDOFF, f"file work not finished: {last_attempt}"[:200])


def _library_missing(failure: str | None) -> bool:
    return failure is not None and ("ModuleNotFoundError" in failure or "ImportError" in failure)


def discover(computer: Computer, names: list[str], *, probe: bool = False) -> dict[str, Any] | None:
    """What the files are: read free when the goal names files that can be read back, else
    (or with `probe`, after a script missed a library) one step running the inventory script
    in the environment, which also lists the Python libraries and LibreOffice it has."""
    entries = None if probe else read_named(computer, names)
    if entries is not None:
        return {"python": "python3", "libraries": "not checked (a missing one fails the script)",
                "files": entries}  # fmt: skip
    source = f"NAMES = {json.dumps(names)}\n" + PROBE_SOURCE.read_text(encoding="utf-8")
    shell = run_script(computer, source, why="list candidate files and what can read them")
    try:
        inventory = json.loads(shell.output.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return None
    return inventory if isinstance(inventory, dict) else None


def read_named(computer: Computer, names: list[str]) -> list[dict[str, Any]] | None:
    """Summaries of every named file, read back for free; None if any cannot be found so."""
    if not names or not isinstance(computer, HasFiles):
        return None
    entries = []
    for name in names:
        for path in candidate_paths(name, home=str(getattr(computer, "home", "") or HOME)):
            data = read_back(computer, path)
            if data is not None:
                entries.append(summarize_bytes(path, data))
                break
        else:
            return None
    return entries


_NAMED_FILE = re.compile(
    r"(?:~|/)?[\w.~/-]*\.(?:" + "|".join(sorted(e.lstrip(".") for e in DOCUMENT_TYPES)) + r")\b",
    re.IGNORECASE,
)


def files_named_in(goal: str) -> list[str]:
    """Paths and file names with a document extension that the goal's text mentions."""
    return list(dict.fromkeys(m.group(0).rstrip(".") for m in _NAMED_FILE.finditer(goal)))


def candidate_paths(name: str, *, home: str) -> list[str]:
    """Where a file the goal names may be: as given, else in the home and its usual folders."""
    if name.startswith("~"):
        return [home + name[1:]]
    if name.startswith("/"):
        return [name]
    return [f"{home}/{folder}{name}" for folder in ("Desktop/", "", "Documents/", "Downloads/")]


def summarize_bytes(path: str, data: bytes) -> dict[str, Any]:
    """The inventory entry of one file, computed here from its bytes (same summaries)."""
    import tempfile

    from skills import inventory_probe

    suffix = PurePosixPath(path).suffix
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / f"file{suffix}"
        local.write_bytes(data)
        entry = inventory_probe.describe(str(local))
    entry["path"] = path
    return entry


def _carry_out(computer: Computer, plan: FilePlan,
               interpreter: str) -> tuple[str | None, str | None]:  # fmt: skip
    """Run the plan (one step) and read the result back; (why it failed or None, answer)."""
    match plan.method:
        case "python":
            refused = check_script(plan.script)
            if refused is not None:
                return f"the script was not run: it {refused}", None
            shell = run_script(computer, plan.script, interpreter=interpreter,
                               why=plan.transformation)  # fmt: skip
        case "convert":
            if not plan.inputs or not plan.convert_to.strip():
                return "a conversion needs an input and a target format", None
            shell = run_command(computer, convert_command(plan), timeout=180.0,
                                why=plan.transformation)  # fmt: skip
    if shell.returncode != 0:
        return f"exit {shell.returncode}: {(shell.error or shell.output).strip()[-300:]}", None
    answer = _last_line(shell.output) if plan.answer else None
    missing = verify(computer, plan)
    if missing is not None:
        return missing, None
    return None, answer


def convert_command(plan: FilePlan) -> str:
    """soffice headless conversion into the output's folder, with a profile of its own (so a
    LibreOffice already open on the desktop does not swallow the request)."""
    outdir = str(Path(plan.output).parent)
    return ("soffice -env:UserInstallation=file:///tmp/gui_agent_lo_profile --headless "
            f"--convert-to {shlex.quote(plan.convert_to)} --outdir {shlex.quote(outdir)} "
            + " ".join(shlex.quote(p) for p in plan.inputs))  # fmt: skip


def verify(computer: Computer, plan: FilePlan) -> str | None:
    """Read the result back (free) and check the expected values; why not, or None."""
    if not isinstance(computer, HasFiles):
        observe("verify", "no file capability: trusting the exit code")
        return None
    data = read_back(computer, plan.output)
    if data is None:
        return f"{plan.output} was not written"
    try:
        text = document_text(plan.output, data)
    except (ValidationError, ValueError, KeyError, OSError, ImportError) as exc:
        return f"{plan.output} cannot be read back: {type(exc).__name__}: {exc}"[:300]
    except Exception as exc:  # noqa: BLE001 - a damaged file from any reader library
        return f"{plan.output} cannot be read back: {type(exc).__name__}"
    missing = [value for value in plan.expect if not _contains(text, value)]
    observe(f"verify {plan.output}", f"{len(text)} chars; missing {missing}")
    if missing:
        return f"{plan.output} lacks {missing[:5]}"
    return None


def _contains(text: str, value: str) -> bool:
    if value in text:
        return True
    squeezed = " ".join(text.split()).lower()
    return " ".join(value.split()).lower() in squeezed


def _last_line(text: str) -> str | None:
    return next((line.strip() for line in reversed(text.splitlines()) if line.strip()), None)
