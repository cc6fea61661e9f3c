"""Secrets the model never sees: placeholders in, values typed by the executor, redacted out.

`--secret NAME=VALUE` (or `--secret NAME`, read from the environment) puts a value in the
vault. The model only ever sees the placeholder `{{NAME}}`; when an action that types text
(type, fill, a shell command) is about to be executed, `reveal` swaps the placeholder for the
value, so the value exists only in the input events sent to the computer. Everything written
or sent anywhere else goes through `redact`, which turns every known value back into its
placeholder: trace records, result.json, log lines, and the text of model requests.

Values are registered process-wide (`Vault.register`): redaction must also cover threads that
do not share the episode's context (the network guard, log handlers), and hiding one run's
value in another run's records is harmless.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from gui_agent.actions import Action, Fill, FillPage, Shell, Type
from gui_agent.errors import ConfigError

NAME_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
MIN_SECRET_CHARS = 4
"""Shorter values would redact ordinary text everywhere (and are no secret)."""

_registry_lock = threading.Lock()
_registered: dict[str, str] = {}  # value -> placeholder, every vault of this process


def placeholder(name: str) -> str:
    return "{{" + name + "}}"


@dataclass(frozen=True)
class Vault:
    """The secrets of one run, by name."""

    values: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_specs(cls, specs: Iterable[str], *, environ: Mapping[str, str] | None = None) -> Vault:
        """Parse `--secret` options: `NAME=VALUE`, or `NAME` to read $NAME."""
        environ = os.environ if environ is None else environ
        values: dict[str, str] = {}
        for spec in specs:
            name, sep, value = spec.partition("=")
            if not NAME_PATTERN.match(name):
                raise ConfigError(f"--secret {name!r}: a name is upper-case letters, digits and "
                                  "_ (for example --secret PASSWORD=... or --secret PASSWORD)")  # fmt: skip
            if not sep:
                if name not in environ:
                    raise ConfigError(f"--secret {name}: ${name} is not set in the environment")
                value = environ[name]
            if len(value) < MIN_SECRET_CHARS:
                raise ConfigError(f"--secret {name}: the value is shorter than "
                                  f"{MIN_SECRET_CHARS} characters")  # fmt: skip
            values[name] = value
        return cls(values).register()

    def register(self) -> Vault:
        """Make `redact` (module level) hide these values everywhere in this process."""
        with _registry_lock:
            for name, value in self.values.items():
                _registered[value] = placeholder(name)
        return self

    def prompt_note(self) -> str:
        """The line that tells the model which placeholders it may type."""
        if not self.values:
            return ""
        names = ", ".join(placeholder(name) for name in self.values)
        return (f"Secrets are available only as placeholders: {names}. To enter one, type the "
                "placeholder exactly; the program types the real value.")  # fmt: skip

    def placeholders_in(self, text: str) -> list[str]:
        """The names of this vault's secrets whose placeholder appears in `text`."""
        return [name for name in self.values if placeholder(name) in text]

    def reveal_text(self, text: str) -> str:
        for name, value in self.values.items():
            text = text.replace(placeholder(name), value)
        return text

    def reveal(self, action: Action) -> Action:
        """The action with placeholders replaced by values: for the executor only, never stored."""
        if not self.values:
            return action
        match action:
            case Type():
                return action.model_copy(update={"text": self.reveal_text(action.text)})
            case Shell():
                return action.model_copy(update={"command": self.reveal_text(action.command)})
            case Fill():
                return action.model_copy(update={"text": self.reveal_text(action.text)})
            case FillPage():
                fills = tuple(self.reveal(fill) for fill in action.fills)
                return action.model_copy(update={"fills": fills})
            case _:
                return action


def redact(text: str) -> str:
    """`text` with every registered secret value (raw or JSON-escaped) replaced by its placeholder."""
    with _registry_lock:
        pairs = list(_registered.items())
    for value, name in pairs:
        if value in text:
            text = text.replace(value, name)
        escaped = json.dumps(value, ensure_ascii=False)[1:-1]
        if escaped != value and escaped in text:
            text = text.replace(escaped, name)
        ascii_escaped = json.dumps(value)[1:-1]
        if ascii_escaped not in (value, escaped) and ascii_escaped in text:
            text = text.replace(ascii_escaped, name)
    return text


CREDENTIAL_NAME = re.compile(
    r"API_?KEY|TOKEN|SECRET|PASSW|CREDENTIAL|PRIVATE_KEY|^SSH_AUTH_SOCK$|^GPG_AGENT", re.IGNORECASE
)


def scrub_environment(env: Mapping[str, str]) -> dict[str, str]:
    """`env` without credentials: for every process the agent's environment starts.

    Drops variables whose name says credential (ANTHROPIC_API_KEY, *_TOKEN, ...) and any whose
    value is a registered secret, so a command the model writes cannot print them.
    """
    with _registry_lock:
        values = set(_registered)
    return {name: value for name, value in env.items()
            if not CREDENTIAL_NAME.search(name) and value not in values}  # fmt: skip


def register_credentials(names: Iterable[str] = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")) -> None:
    """Redact these environment variables' values everywhere too (the model provider's keys)."""
    found = {name: os.environ[name] for name in names
             if len(os.environ.get(name, "")) >= MIN_SECRET_CHARS}  # fmt: skip
    Vault(found).register()


def has_secrets() -> bool:
    with _registry_lock:
        return bool(_registered)


class RedactingFilter(logging.Filter):
    """A log filter that formats the record and redacts secret values from the message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_secrets():
            record.msg = redact(record.getMessage())
            record.args = None
        return True
