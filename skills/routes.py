"""The router's closed set: one typed parameter record per kind of work.

The router's one classification call returns exactly one of these; each skill's entry point
receives its own record as `params`. They hold what the goal *says* (a URL, a setting, file
names), extracted once, so a skill does not have to ask again.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from skills.chrome_ops import ChromeOperation


class ChromeParams(BaseModel):
    """Work in the Chrome/Chromium browser: its settings and state, tabs, pages, web sites."""

    kind: Literal["chrome"] = "chrome"
    task: str = Field(description="one line: what to do in the browser, in the goal's terms")
    url: str | None = Field(default=None, description="a URL or site the goal names, if any")
    setting: str | None = Field(
        default=None, description="the browser setting or state the goal is about, if any"
    )
    value: str | None = Field(default=None, description="the value it should get, if stated")
    operations: list[ChromeOperation] = Field(
        default_factory=list,
        description="the browser operations, in order, when the goal maps plainly onto them "
        "(preference keys only from `known_settings`); empty otherwise",
    )


class FormsParams(BaseModel):
    """Fill in and maybe submit a form on a page that is open or named."""

    kind: Literal["forms"] = "forms"
    url: str | None = Field(default=None, description="the page with the form, if named")
    fields: dict[str, str] = Field(
        default_factory=dict, description="field label -> value, for values the goal states"
    )
    submit: bool = Field(default=True, description="whether the goal asks to submit")


class Effect(BaseModel):
    """What a command should leave behind, in a form the program can check by itself.

    setting: `target` is "<gsettings schema> <key>", `value` the value it should read back;
    file_exists / file_absent: `target` is the path; file_contains: `target` the path and
    `value` the text; output_contains: the command prints `value`; answer: the command prints
    the answer the goal asks for (its last line); exit_zero: nothing more to check.
    """

    kind: Literal["setting", "file_exists", "file_absent", "file_contains", "output_contains",
                  "answer", "exit_zero"]  # fmt: skip
    target: str = ""
    value: str = ""


class CommandProposal(BaseModel):
    """One non-interactive bash command for the task, and how to tell that it worked."""

    command: str | None = Field(
        description="the command (run as the desktop user; prefix sudo where root is needed); "
        "null when no command can do it and the graphical interface is needed"
    )
    intent: str = Field(description="one line: what the command does")
    expected_effect: Effect


class OsParams(BaseModel):
    """Operating-system work a shell command can do: files, folders, settings, packages."""

    kind: Literal["os"] = "os"
    task: str = Field(description="one line: the change or answer the goal wants")
    paths: list[str] = Field(default_factory=list, description="paths the goal names")
    needs_root: bool = Field(default=False, description="whether it needs administrator rights")
    proposal: CommandProposal | None = Field(
        default=None, description="the command, when one command clearly does the task"
    )


class FilePlan(BaseModel):
    """How to do the file work: one Python script, or one LibreOffice conversion."""

    inputs: list[str] = Field(description="absolute paths of the files used")
    transformation: str = Field(description="one line: what is done to them")
    output: str = Field(description="absolute path of the file the result goes to")
    method: Literal["python", "convert"]
    script: str = Field(default="", description="method python: the whole script")
    convert_to: str = Field(
        default="", description='method convert: the target format for soffice, e.g. "pdf"'
    )
    expect: list[str] = Field(
        default_factory=list,
        description="short texts or values the result must contain when read back",
    )
    answer: bool = Field(
        default=False, description="the goal asks a question: the script prints the answer last"
    )
    open_after: bool = Field(
        default=False, description="the goal needs the result open in its application"
    )


class MultiAppParams(BaseModel):
    """Work centred on files across applications: spreadsheets, documents, slides, PDFs."""

    kind: Literal["multi_app"] = "multi_app"
    inputs: list[str] = Field(
        default_factory=list, description="files or folders the goal names as input"
    )
    output: str | None = Field(default=None, description="the file the result goes to, if named")
    apps: list[str] = Field(default_factory=list, description="applications the goal names")
    plan: FilePlan | None = Field(
        default=None, description="the whole plan, when `files` shows every file it needs"
    )


class GenericParams(BaseModel):
    """Anything else: work that needs the screen, step by step."""

    kind: Literal["generic"] = "generic"
    app: str | None = Field(default=None, description="the application involved, if clear")


class InfeasibleParams(BaseModel):
    """The goal asks for something that does not exist or cannot be done on this computer."""

    kind: Literal["infeasible"] = "infeasible"
    reason: str = Field(description="why it cannot be done, one sentence")


Route = Annotated[
    ChromeParams | FormsParams | OsParams | MultiAppParams | GenericParams | InfeasibleParams,
    Field(discriminator="kind"),
]
RouteKind = Literal["chrome", "forms", "os", "multi_app", "generic", "infeasible"]
