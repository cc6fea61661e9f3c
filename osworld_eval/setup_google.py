"""Setup steps that need the user's Google credentials: `googledrive` and `login`.

- googledrive: prepare My Drive before the task: `delete` every item a query matches (or move
  it to the trash), `mkdirs` a folder path, `upload` a task file (fetched through the file
  cache) to a Drive path. Operations run in order, each with its own args.
- login: sign the scored machine's browser into the Google account of `google/settings.json`
  (email page, then password page) in a new tab, which stays open on Drive, as in OSWorld.

Without credentials each fails with a SetupError saying what to provide (google_settings.py);
these run only where the user gave them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from gui_agent.errors import SetupError
from osworld_eval.drive_client import DriveClient, DriveError
from osworld_eval.file_cache import cached_file
from osworld_eval.google_settings import load_account_login, load_drive_credentials

if TYPE_CHECKING:
    from osworld_eval.setup import SetupContext

log = logging.getLogger(__name__)

LOGIN_TIMEOUT_MS = 60_000
_EMAIL_BOX = "input[type=email]"
_PASSWORD_BOX = "input[type=password]"


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeleteArgs(_Params):
    query: str
    trash: bool = False


class MkdirsArgs(_Params):
    path: list[str]


class UploadArgs(_Params):
    url: str
    path: list[str]


class GoogleDrive(_Params):
    settings_file: str
    operation: list[Literal["delete", "mkdirs", "upload"]]
    args: list[dict[str, Any]]

    @model_validator(mode="after")
    def _one_args_per_operation(self) -> GoogleDrive:
        if len(self.operation) != len(self.args):
            raise ValueError(f"{len(self.operation)} operations but {len(self.args)} args")
        return self


class Login(_Params):
    settings_file: str
    platform: Literal["googledrive"]


def google_drive(ctx: SetupContext, params: GoogleDrive) -> None:
    credentials = load_drive_credentials(params.settings_file)
    try:
        with DriveClient(credentials) as drive:
            for operation, raw in zip(params.operation, params.args, strict=True):
                if operation == "delete":
                    delete = DeleteArgs.model_validate(raw)
                    count = drive.delete(delete.query, trash=delete.trash)
                    log.info("Drive: %s %d item(s) matching %s",
                             "trashed" if delete.trash else "deleted", count, delete.query)  # fmt: skip
                elif operation == "mkdirs":
                    drive.make_folders(MkdirsArgs.model_validate(raw).path)
                else:
                    upload = UploadArgs.model_validate(raw)
                    local = cached_file(ctx.cache_dir, ctx.task_id, url=upload.url,
                                        dest=upload.path[-1], offline=ctx.offline)  # fmt: skip
                    drive.upload(local.read_bytes(), upload.path)
    except DriveError as exc:
        raise SetupError(f"googledrive: {exc.message}") from exc


def login(ctx: SetupContext, params: Login) -> None:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from osworld_eval.setup_chrome import cdp_url_when_ready

    account = load_account_login(params.settings_file)
    url = cdp_url_when_ready(ctx)
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.connect_over_cdp(url, timeout=30_000)
            context = browser.contexts[0] if browser.contexts else browser.new_context()
            page = context.new_page()
            page.set_default_timeout(LOGIN_TIMEOUT_MS)
            page.goto(account.login_url)
            page.locator(_EMAIL_BOX).first.fill(account.email)
            page.locator(_EMAIL_BOX).first.press("Enter")
            password = page.locator(_PASSWORD_BOX).first
            password.wait_for(state="visible")
            password.fill(account.password)
            password.press("Enter")
            page.locator(_PASSWORD_BOX).first.wait_for(state="detached")
            page.wait_for_load_state("load")
        except PlaywrightError as exc:
            raise SetupError(
                f"login to {params.platform} as {account.email} did not complete: {exc.message}"
            ) from exc
    log.info("browser signed in as %s", account.email)
