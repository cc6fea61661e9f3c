"""Turn a model spec string (`--model`, GUI_AGENT_MODEL) into a Model.

    anthropic:<model-id>[?native=0&computer_tool=T]   the default (anthropic:claude-sonnet-4-6)
    openai:<model>@<base_url>                         any OpenAI-compatible chat-completions endpoint
    openai-cua:<model>[@<base_url>][?json_model=M]    OpenAI's computer-use model (Responses API)
    uitars:<model>@<base_url>[?coords=relative|absolute]
    qwen-vl:<model>@<base_url>[?coords=..&factor=..&min_pixels=..&max_pixels=..]
    replay:<run-dir>                                  answers from a recorded trace
    python:<file.py-or-module>:<callable>             a user callable (see models/scripted.py)

Options after `?` are `key=value` pairs joined by `&`; an unknown option is a ConfigError.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl

from gui_agent.errors import ConfigError
from gui_agent.models.base import Model
from gui_agent.plural import plural_noun

DEFAULT_MODEL_SPEC = "anthropic:claude-sonnet-4-6"
SPEC_FORMS = (
    "anthropic:<model-id>, openai:<model>@<base_url>, openai-cua:<model>[@<base_url>], "
    "uitars:<model>@<base_url>, qwen-vl:<model>@<base_url>, replay:<run-dir>, "
    "python:<file-or-module>:<callable>"
)
OPTIONS = {
    "anthropic": {"native", "computer_tool"},
    "openai-cua": {"json_model"},
    "uitars": {"coords"},
    "qwen-vl": {"coords", "factor", "min_pixels", "max_pixels"},
}


def default_spec() -> str:
    return os.environ.get("GUI_AGENT_MODEL") or DEFAULT_MODEL_SPEC


def split_options(kind: str, rest: str) -> tuple[str, dict[str, str]]:
    """('claude-x', {'native': '0'}) from 'claude-x?native=0'; checks the option names."""
    allowed = OPTIONS.get(kind, set())
    if not allowed or "?" not in rest:
        return rest, {}
    body, _, query = rest.rpartition("?")
    options = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=False))
    unknown = sorted(set(options) - allowed)
    if unknown or not options:
        raise ConfigError(f"unknown {plural_noun(len(unknown) or 1, 'option')} "
                          f"{unknown or [query]} for {kind}: specs; "
                          f"known: {sorted(allowed)}")  # fmt: skip
    return body, options


def resolve_model(spec: str | None = None) -> Model:
    """Build the backend a spec names; ConfigError lists the accepted forms otherwise."""
    spec = (spec or default_spec()).strip()
    kind, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise ConfigError(f"model spec {spec!r} is not one of: {SPEC_FORMS}")
    rest, options = split_options(kind, rest)
    try:
        return _build(kind, rest, options, spec)
    except ValueError as exc:
        raise ConfigError(f"model spec {spec!r}: {exc}") from exc


def _build(kind: str, rest: str, options: dict[str, str], spec: str) -> Model:
    match kind:
        case "anthropic":
            from gui_agent.models.anthropic import AnthropicModel

            native = options.get("native", "1") not in ("0", "false", "no", "off")
            return AnthropicModel(rest, native=native, computer_tool=options.get("computer_tool"))
        case "openai" | "uitars" | "qwen-vl":
            model, at, base_url = rest.partition("@")
            if not at or not model or not base_url:
                raise ConfigError(f"{kind} spec needs '{kind}:<model>@<base_url>', got {spec!r}")
            if kind == "openai":
                from gui_agent.models.openai_compat import OpenAICompatModel

                return OpenAICompatModel(model, base_url=base_url)
            from gui_agent.models.native.chat_native import QwenVLModel, UITarsModel

            if kind == "uitars":
                return UITarsModel(model, base_url=base_url, coords=options.get("coords"))
            sizes = {k: int(v) for k, v in options.items() if k != "coords"}
            return QwenVLModel(model, base_url=base_url, coords=options.get("coords"), **sizes)
        case "openai-cua":
            from gui_agent.models.native.openai_cua import DEFAULT_BASE_URL, OpenAICUAModel

            model, _, base_url = rest.partition("@")
            if not model:
                raise ConfigError(f"openai-cua spec needs a model, got {spec!r}")
            return OpenAICUAModel(model, base_url=base_url or DEFAULT_BASE_URL,
                                  json_model=options.get("json_model"))  # fmt: skip
        case "replay":
            from gui_agent.models.replay import ReplayModel

            return ReplayModel(rest)
        case "python":
            from gui_agent.models.scripted import FunctionModel, load_python_callable

            return FunctionModel(load_python_callable(rest), name=rest)
        case _:
            raise ConfigError(f"unknown model kind {kind!r} in {spec!r}; use one of: {SPEC_FORMS}")
