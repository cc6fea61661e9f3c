"""The Google credentials a user provides for OSWorld's Google Drive tasks, in OSWorld's layout.

OSWorld keeps them under `evaluation_examples/settings/`, and tasks name files there:
- `googledrive/settings.yml`: PyDrive's settings, naming `client_config_file`
  (client_secrets.json of an OAuth client) and `save_credentials_file` (credentials.json, the
  saved OAuth token with its refresh token, as PyDrive writes it after the first login);
- `google/settings.json`: `{"email": ..., "password": ...}` of the Google account the browser
  signs in with.

The user points us at their copy of that `settings` folder with `--google-settings DIR` or the
environment variable OSWORLD_GOOGLE_SETTINGS; a task's `evaluation_examples/settings/x/y` is then
`DIR/x/y`. Two optional keys of ours let a local stand-in replace Google's servers: `api_root`
in settings.yml (default https://www.googleapis.com) and `login_url` in settings.json.
Without the folder or a file in it, `GoogleSettingsMissing` says exactly what to provide.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gui_agent.errors import SetupError

GOOGLE_SETTINGS_ENV = "OSWORLD_GOOGLE_SETTINGS"
OSWORLD_SETTINGS_PREFIX = "evaluation_examples/settings/"
DEFAULT_API_ROOT = "https://www.googleapis.com"
DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token"
DEFAULT_LOGIN_URL = (
    "https://accounts.google.com/ServiceLogin?continue=https://drive.google.com/drive/my-drive"
)
WHAT_TO_PROVIDE = (
    "pass --google-settings DIR (or set OSWORLD_GOOGLE_SETTINGS=DIR) where DIR is a copy of "
    "OSWorld's evaluation_examples/settings folder holding googledrive/settings.yml with its "
    "client_secrets.json and credentials.json (a PyDrive login's saved token), and "
    "google/settings.json with the account's email and password"
)


class GoogleSettingsMissing(SetupError):
    """The Google credentials a task needs were not provided (the message says which)."""


@dataclass(frozen=True)
class DriveCredentials:
    """What the Drive client needs: an OAuth client, a refresh token, and where to use them."""

    client_id: str
    client_secret: str
    refresh_token: str
    token_uri: str
    access_token: str | None
    api_root: str


@dataclass(frozen=True)
class AccountLogin:
    email: str
    password: str
    login_url: str


def settings_root() -> Path | None:
    value = os.environ.get(GOOGLE_SETTINGS_ENV, "").strip()
    return Path(value).expanduser() if value else None


def settings_path(named: str, *, relative_to: Path | None = None) -> Path:
    """The user's file for a path a task or settings file names; GoogleSettingsMissing if absent."""
    root = settings_root()
    if root is None:
        raise GoogleSettingsMissing(f"this task needs Google credentials: {WHAT_TO_PROVIDE}")
    if named.startswith(OSWORLD_SETTINGS_PREFIX):
        path = root / named.removeprefix(OSWORLD_SETTINGS_PREFIX)
    elif Path(named).is_absolute():
        path = Path(named)
    else:
        path = (relative_to or root) / named
    if not path.is_file():
        raise GoogleSettingsMissing(f"missing {path}: {WHAT_TO_PROVIDE}")
    return path


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GoogleSettingsMissing(
            f"{path} is not readable JSON ({exc}): {WHAT_TO_PROVIDE}"
        ) from exc
    if not isinstance(data, dict):
        raise GoogleSettingsMissing(f"{path} does not hold a JSON object: {WHAT_TO_PROVIDE}")
    return data


def load_drive_credentials(settings_file: str) -> DriveCredentials:
    """Read PyDrive's settings.yml (as a task names it) and the files it points to."""
    path = settings_path(settings_file)
    try:
        settings = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise GoogleSettingsMissing(f"{path} is not readable YAML ({exc})") from exc
    saved_name = settings.get("save_credentials_file")
    if not saved_name:
        raise GoogleSettingsMissing(f"{path} names no save_credentials_file: {WHAT_TO_PROVIDE}")
    saved = _json(settings_path(str(saved_name), relative_to=path.parent))
    client: dict[str, Any] = {}
    if settings.get("client_config_file"):
        secrets = _json(settings_path(str(settings["client_config_file"]), relative_to=path.parent))
        client = secrets.get("installed") or secrets.get("web") or secrets
    client_id = saved.get("client_id") or client.get("client_id")
    client_secret = saved.get("client_secret") or client.get("client_secret")
    refresh_token = saved.get("refresh_token")
    if not (client_id and client_secret and refresh_token):
        raise GoogleSettingsMissing(
            f"{path}: the saved credentials lack a client id, client secret or refresh token "
            "(log in once with PyDrive and save the credentials)"
        )
    return DriveCredentials(
        client_id=str(client_id),
        client_secret=str(client_secret),
        refresh_token=str(refresh_token),
        token_uri=str(saved.get("token_uri") or client.get("token_uri") or DEFAULT_TOKEN_URI),
        access_token=saved.get("access_token"),
        api_root=str(settings.get("api_root") or DEFAULT_API_ROOT).rstrip("/"),
    )


def load_account_login(settings_file: str) -> AccountLogin:
    """Read google/settings.json (as a task names it): the account the browser signs in with."""
    data = _json(settings_path(settings_file))
    if not data.get("email") or not data.get("password"):
        raise GoogleSettingsMissing(f"{settings_file}: needs 'email' and 'password'")
    return AccountLogin(
        email=str(data["email"]),
        password=str(data["password"]),
        login_url=str(data.get("login_url") or DEFAULT_LOGIN_URL),
    )
