"""Where the desktops come from: one YAML file per way of getting one (see vm_configs/).

    provider: local       our sandbox desktop behind our OSWorld-compatible server (works here)
    provider: docker      OSWorld's provisioning through its optional `desktop-env` package
    provider: vmware        (pip install 'gui-agent[vm]'), imported only when such a config is
    provider: virtualbox    turned into an environment factory, never at import time
    provider: aws
    vm_url: http://...    with any VM provider: a VM you already run; nothing is provisioned

Unknown keys are errors (a typo must not silently fall back to a default), and every error
names the file and the key.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from gui_agent.errors import ConfigError
from osworld_eval.task_run import TaskEnvironment

logger = logging.getLogger(__name__)

VM_EXTRA_HINT = "pip install 'gui-agent[vm]'"
DOCKER_NOTE = (
    "the docker provider also needs a running Docker engine (KVM makes it usable) and downloads "
    "OSWorld's Ubuntu VM image (over 10 GB) from the internet on first use"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalConfig(_Strict):
    """Our sandbox desktop (Xvfb + Chromium) served by our OSWorld-compatible server."""

    provider: Literal["local"]
    width: int = Field(default=1280, ge=320, le=7680)
    height: int = Field(default=800, ge=240, le=4320)
    home: Literal["auto", "private", "shared"] = "auto"
    """private: each sandbox its own /home/user and /tmp inside bubblewrap, so sandboxes run
    side by side; shared: the machine's real /home/user, one sandbox at a time; auto: private
    wherever bubblewrap can make namespaces."""

    def private_home(self) -> bool:
        """Whether this config's sandboxes get private homes here (ConfigError if impossible)."""
        from gui_agent.computers.server.isolation import bwrap_problem

        if self.home == "shared":
            return False
        problem = bwrap_problem()
        if problem is not None and self.home == "private":
            raise ConfigError(f"home: private needs bubblewrap: {problem}")
        return problem is None


class _VMConfig(_Strict):
    """Keys every VM provider shares (the arguments OSWorld's DesktopEnv takes)."""

    vm_url: str | None = None
    token_env: str | None = None
    os_type: Literal["Ubuntu", "Windows"] = "Ubuntu"
    screen_width: int = Field(default=1920, ge=320, le=7680)
    screen_height: int = Field(default=1080, ge=240, le=4320)
    headless: bool = True

    @field_validator("vm_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value


class DockerConfig(_VMConfig):
    provider: Literal["docker"]
    path_to_vm: Path | None = None


class VMwareConfig(_VMConfig):
    provider: Literal["vmware"]
    path_to_vm: Path | None = None
    snapshot_name: str = "init_state"


class VirtualBoxConfig(_VMConfig):
    provider: Literal["virtualbox"]
    path_to_vm: Path | None = None
    snapshot_name: str = "init_state"


class AWSConfig(_VMConfig):
    provider: Literal["aws"]
    region: str = "us-east-1"
    path_to_vm: str | None = None
    snapshot_name: str | None = None
    subnet_id: str | None = None
    security_group_id: str | None = None
    instance_type: str | None = None
    use_public_ip: bool = True


VMConfig = Annotated[
    LocalConfig | DockerConfig | VMwareConfig | VirtualBoxConfig | AWSConfig,
    Field(discriminator="provider"),
]
ProvisionedConfig = DockerConfig | VMwareConfig | VirtualBoxConfig | AWSConfig
_ADAPTER: TypeAdapter[VMConfig] = TypeAdapter(VMConfig)
PROVIDERS = ("local", "docker", "vmware", "virtualbox", "aws")


def _where(loc: tuple[int | str, ...]) -> str:
    # drop the union tag pydantic puts first ("docker.path_to_vm" -> "path_to_vm")
    parts = [str(p) for p in loc]
    if parts and parts[0] in PROVIDERS:
        parts = parts[1:]
    return ".".join(parts) or "<top level>"


def load_vm_config(path: str | Path) -> VMConfig:
    """Read and validate a vm_configs/*.yaml file; ConfigError names the file and the key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such VM config file") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not a readable YAML file ({exc})") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys, got {type(raw).__name__}")
    if "provider" not in raw:
        raise ConfigError(f"{path}: key 'provider' is missing (one of: {', '.join(PROVIDERS)})")
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key, message = _where(error["loc"]), error["msg"]
            if error["type"] == "extra_forbidden":
                message = f"unknown key for provider {raw['provider']!r}"
            elif error["type"] == "union_tag_invalid":
                key, message = (
                    "provider",
                    f"{raw['provider']!r} is not one of: {', '.join(PROVIDERS)}",
                )
            problems.append(f"{path}: key '{key}': {message}")
        raise ConfigError("\n".join(problems)) from exc


def max_envs(config: VMConfig) -> int | None:
    """How many environments the config can give at once (None: as many as asked)."""
    if isinstance(config, LocalConfig):
        return None
    if config.vm_url is not None:
        return 1  # one VM the user runs
    if isinstance(config, VMwareConfig | VirtualBoxConfig) and config.path_to_vm is not None:
        return 1  # one VM file; without it desktop-env hands each environment its own copy
    return None


def environment_factory(config: VMConfig, *, cache_dir: Path) -> Callable[[], TaskEnvironment]:
    """A zero-argument callable that starts one environment per call, as `config` says.

    For the provisioned providers, desktop-env is imported here (not when called), so a
    missing extra is a ConfigError before any task runs.
    """
    from osworld_eval import environments

    cache_dir = Path(cache_dir)
    if isinstance(config, LocalConfig):
        return partial(
            environments.sandbox_environment,
            width=config.width,
            height=config.height,
            cache_dir=cache_dir,
            private_home=config.private_home(),
        )
    if config.vm_url is not None:
        token = _token(config)
        return partial(
            environments.remote_environment, config.vm_url, token=token, cache_dir=cache_dir
        )
    desktop_env_class = _desktop_env_class(config)
    return partial(_provision, config, desktop_env_class, cache_dir=cache_dir)


def _token(config: ProvisionedConfig) -> str | None:
    if config.token_env is None:
        return None
    token = os.environ.get(config.token_env)
    if not token:
        raise ConfigError(f"token_env names ${config.token_env}, which is not set")
    return token


def _desktop_env_class(config: ProvisionedConfig) -> Any:
    try:
        from desktop_env.desktop_env import DesktopEnv
    except ImportError as exc:
        message = (
            f"provider '{config.provider}' provisions VMs through OSWorld's desktop-env package, "
            f"which is not installed ({exc}): {VM_EXTRA_HINT}"
        )
        if isinstance(config, DockerConfig):
            message += f"; {DOCKER_NOTE}"
        message += ". Or set vm_url to a VM you already run, or use vm_configs/local.yaml."
        raise ConfigError(message) from exc
    return DesktopEnv


def _aws_environment(config: AWSConfig) -> str:
    """Export what OSWorld's AWS provider reads from the environment; the AMI to revert to."""
    for name, value in (
        ("AWS_SUBNET_ID", config.subnet_id),
        ("AWS_SECURITY_GROUP_ID", config.security_group_id),
        ("AWS_INSTANCE_TYPE", config.instance_type),
    ):
        if value is not None:
            os.environ[name] = value
    os.environ["AWS_REGION"] = config.region
    os.environ["AWS_USE_PUBLIC_IP"] = "true" if config.use_public_ip else "false"
    if config.snapshot_name is not None:
        return config.snapshot_name
    from desktop_env.providers.aws.manager import IMAGE_ID_MAP

    images = IMAGE_ID_MAP.get(config.region)
    size = (config.screen_width, config.screen_height)
    ami = images.get(size) or images.get((1920, 1080)) if isinstance(images, dict) else images
    if not ami:
        raise ConfigError(f"no OSWorld AMI is known for region {config.region}: set snapshot_name")
    return str(ami)


def _connect(desktop: Any, *, cache_dir: Path) -> TaskEnvironment:
    """Our client side of a desktop-env VM: its server, and its Chrome's CDP port."""
    from osworld_eval.environments import remote_environment

    host = desktop.vm_ip
    cdp_port = getattr(desktop, "chromium_port", 9222)  # docker maps it to a free host port
    return remote_environment(
        f"http://{host}:{desktop.server_port}",
        cache_dir=cache_dir,
        cdp_url=f"http://{host}:{cdp_port}",
    )


def _provision(
    config: ProvisionedConfig, desktop_env_class: Any, *, cache_dir: Path
) -> ProvisionedEnvironment:
    snapshot = (
        _aws_environment(config)
        if isinstance(config, AWSConfig)
        else getattr(config, "snapshot_name", "init_state")
    )
    path_to_vm = getattr(config, "path_to_vm", None)
    logger.info("provisioning a %s VM through desktop-env", config.provider)
    desktop = desktop_env_class(
        provider_name=config.provider,
        region=getattr(config, "region", None),
        path_to_vm=str(path_to_vm) if path_to_vm is not None else None,
        snapshot_name=snapshot,
        action_space="pyautogui",
        cache_dir=str(cache_dir),
        screen_size=(config.screen_width, config.screen_height),
        headless=config.headless,
        require_a11y_tree=False,
        os_type=config.os_type,
    )
    try:
        return ProvisionedEnvironment.start(desktop, cache_dir=cache_dir)
    except BaseException:
        desktop.close()
        raise


@dataclass
class ProvisionedEnvironment(TaskEnvironment):
    """A TaskEnvironment on a VM desktop-env started; `reset` reverts it before each task.

    Like OSWorld's DesktopEnv, a VMware/VirtualBox VM starts dirty (reverted before the first
    task too); a docker container or AWS instance starts clean (reverted from the second on).
    """

    desktop: Any = None
    remote: TaskEnvironment | None = None
    cache_dir: Path | None = None
    dirty: bool = False

    @classmethod
    def start(cls, desktop: Any, *, cache_dir: Path) -> ProvisionedEnvironment:
        remote = _connect(desktop, cache_dir=cache_dir)
        dirty = getattr(desktop, "provider_name", "") in ("vmware", "virtualbox")
        return cls(
            **_client_side(remote),
            closers=[desktop.close],
            desktop=desktop,
            remote=remote,
            cache_dir=cache_dir,
            dirty=dirty,
        )

    def reset(self) -> None:
        """Revert the VM to its snapshot if a task may have touched it, and reconnect."""
        if self.dirty:
            self._close_remote()
            self.desktop.is_environment_used = True  # we drive it over HTTP, so it never knows
            self.desktop.reset()
            self.remote = _connect(self.desktop, cache_dir=self.cache_dir or Path("cache"))
            for name, value in _client_side(self.remote).items():
                setattr(self, name, value)
        self.dirty = True  # the task about to run will touch it

    def _close_remote(self) -> None:
        remote, self.remote = self.remote, None
        if remote is not None:
            remote.close()

    def close(self) -> None:
        self._close_remote()
        super().close()


def _client_side(remote: TaskEnvironment) -> dict[str, Any]:
    """Every TaskEnvironment field of `remote` but its closers (the VM's own closer is ours)."""
    return {f.name: getattr(remote, f.name) for f in fields(TaskEnvironment) if f.name != "closers"}
