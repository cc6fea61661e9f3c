"""vm_configs/*.yaml: loading, errors naming file and key, and the environment factories."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from gui_agent.errors import ConfigError
from osworld_eval import environments
from osworld_eval.task_run import TaskEnvironment
from osworld_eval.vm_config import (
    AWSConfig,
    DockerConfig,
    LocalConfig,
    ProvisionedEnvironment,
    VirtualBoxConfig,
    VMwareConfig,
    environment_factory,
    load_vm_config,
    max_envs,
)

CONFIGS = Path(__file__).resolve().parents[2] / "vm_configs"
EXPECTED = {
    "local": LocalConfig,
    "docker": DockerConfig,
    "vmware": VMwareConfig,
    "virtualbox": VirtualBoxConfig,
    "aws": AWSConfig,
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_shipped_config_loads(name: str) -> None:
    config = load_vm_config(CONFIGS / f"{name}.yaml")
    assert isinstance(config, EXPECTED[name])
    assert config.provider == name


def test_every_shipped_key_is_documented_by_a_comment() -> None:
    def is_key(line: str) -> bool:
        return bool(line) and not line.startswith(("#", " "))

    for path in CONFIGS.glob("*.yaml"):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if is_key(line):
                above = i - 1
                while above >= 0 and is_key(lines[above]):  # keys grouped under one comment
                    above -= 1
                assert lines[above].startswith("#"), f"{path.name}: {line!r} has no comment"


def test_unknown_key_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "provider: vmware\npath_to_vmx: /vms/Ubuntu.vmx\n")
    with pytest.raises(ConfigError) as error:
        load_vm_config(path)
    assert str(path) in error.value.message
    assert "'path_to_vmx'" in error.value.message and "unknown key" in error.value.message


def test_bad_value_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, "provider: docker\nscreen_width: wide\n")
    with pytest.raises(ConfigError, match=r"key 'screen_width'"):
        load_vm_config(path)
    path = write(tmp_path, "provider: docker\nvm_url: localhost:5000\n")
    with pytest.raises(ConfigError, match=r"key 'vm_url'.*http://"):
        load_vm_config(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("width: 100\n", "key 'provider' is missing"),
        ("provider: kvm\n", "key 'provider': 'kvm' is not one of: local, docker"),
        ("- provider: local\n", "expected a mapping"),
        ("provider: local\nwidth: 1\n  bad: [\n", "not a readable YAML file"),
    ],
)
def test_malformed_files_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=expected) as error:
        load_vm_config(path)
    assert str(path) in error.value.message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such VM config file"):
        load_vm_config(tmp_path / "nope.yaml")


@pytest.fixture
def no_desktop_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `import desktop_env` fail as it does when the [vm] extra is not installed."""
    monkeypatch.setitem(sys.modules, "desktop_env", None)
    monkeypatch.setitem(sys.modules, "desktop_env.desktop_env", None)


@pytest.mark.parametrize("name", ["docker", "vmware", "virtualbox", "aws"])
def test_provisioning_without_desktop_env_says_how_to_install_it(
    name: str, no_desktop_env: None, tmp_path: Path
) -> None:
    config = load_vm_config(CONFIGS / f"{name}.yaml")
    with pytest.raises(ConfigError) as error:
        environment_factory(config, cache_dir=tmp_path)
    message = error.value.message
    assert "pip install 'gui-agent[vm]'" in message and "desktop-env" in message
    if name == "docker":
        assert "Docker engine" in message and "downloads" in message


def test_local_config_makes_sandbox_environments(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(environments, "sandbox_environment", lambda **kw: calls.append(kw))
    factory = environment_factory(LocalConfig(provider="local", width=1024), cache_dir=tmp_path)
    factory()
    private = environments.private_home_available()
    assert calls == [{"width": 1024, "height": 800, "cache_dir": tmp_path, "private_home": private}]
    shared = environment_factory(LocalConfig(provider="local", home="shared"), cache_dir=tmp_path)
    shared()
    assert calls[-1]["private_home"] is False


def test_a_private_home_where_bubblewrap_cannot_isolate_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from gui_agent.computers.server import isolation

    monkeypatch.setattr(isolation, "bwrap_problem", lambda: "bubblewrap is not installed")
    with pytest.raises(ConfigError, match="home: private needs bubblewrap: bubblewrap is not"):
        environment_factory(LocalConfig(provider="local", home="private"), cache_dir=tmp_path)
    auto = LocalConfig(provider="local")
    assert auto.private_home() is False  # auto falls back to the shared home


def test_vm_url_connects_without_provisioning(
    monkeypatch: pytest.MonkeyPatch, no_desktop_env: None, tmp_path: Path
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(
        environments, "remote_environment", lambda url, **kw: calls.append((url, kw))
    )
    monkeypatch.setenv("VM_TOKEN", "s3cret")
    config = DockerConfig(provider="docker", vm_url="http://10.0.0.5:5000/", token_env="VM_TOKEN")
    environment_factory(config, cache_dir=tmp_path)()
    assert calls == [("http://10.0.0.5:5000", {"token": "s3cret", "cache_dir": tmp_path})]
    assert max_envs(config) == 1

    monkeypatch.delenv("VM_TOKEN")
    with pytest.raises(ConfigError, match=r"\$VM_TOKEN"):
        environment_factory(config, cache_dir=tmp_path)


def test_max_envs() -> None:
    assert max_envs(LocalConfig(provider="local")) is None
    assert max_envs(DockerConfig(provider="docker")) is None
    assert max_envs(VMwareConfig(provider="vmware", path_to_vm=Path("/vms/u.vmx"))) == 1


class FakeDesktopEnv:
    """Stands in for desktop_env.desktop_env.DesktopEnv (records calls, no VM)."""

    made: list[FakeDesktopEnv] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.provider_name = kwargs["provider_name"]
        self.vm_ip, self.server_port, self.chromium_port = "10.1.1.1", 5000, 9222
        self.resets = 0
        self.closed = False
        self.is_environment_used = False
        FakeDesktopEnv.made.append(self)

    def reset(self) -> None:
        assert self.is_environment_used, "reset only reverts a VM marked as used"
        self.resets += 1
        self.vm_ip = f"10.1.1.{self.resets + 1}"  # AWS: a new instance, a new address

    def close(self) -> None:
        self.closed = True


class Closable:
    def __init__(self) -> None:
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def fake_desktop_env(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fake desktop-env package and a remote_environment that records the URLs it got."""
    package = types.ModuleType("desktop_env")
    module = types.ModuleType("desktop_env.desktop_env")
    module.DesktopEnv = FakeDesktopEnv  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "desktop_env", package)
    monkeypatch.setitem(sys.modules, "desktop_env.desktop_env", module)
    FakeDesktopEnv.made = []
    urls: list[str] = []

    def remote(url: str, *, cache_dir: Path, cdp_url: str) -> TaskEnvironment:
        urls.append(f"{url} cdp={cdp_url}")
        return TaskEnvironment(computer=Closable(), eval_env=None, base_url=url)  # type: ignore[arg-type]

    monkeypatch.setattr(environments, "remote_environment", remote)
    return urls


def test_provisioned_docker_vm_is_reset_from_the_second_task(
    fake_desktop_env: list[str], tmp_path: Path
) -> None:
    factory = environment_factory(DockerConfig(provider="docker"), cache_dir=tmp_path)
    env = factory()
    assert isinstance(env, ProvisionedEnvironment)
    (desktop,) = FakeDesktopEnv.made
    assert desktop.kwargs["provider_name"] == "docker"
    assert desktop.kwargs["screen_size"] == (1920, 1080)
    assert desktop.kwargs["cache_dir"] == str(tmp_path)

    env.reset()  # before the first task: a new container is already clean
    assert desktop.resets == 0 and env.base_url == "http://10.1.1.1:5000"
    first_computer = env.computer
    env.reset()  # before the second task: revert, reconnect
    assert desktop.resets == 1 and env.base_url == "http://10.1.1.2:5000"
    assert first_computer.closed == 1 and env.computer is not first_computer
    assert fake_desktop_env[-1] == "http://10.1.1.2:5000 cdp=http://10.1.1.2:9222"

    env.close()
    env.close()
    assert desktop.closed


def test_provisioned_vmware_vm_is_reverted_before_the_first_task(
    fake_desktop_env: list[str], tmp_path: Path
) -> None:
    config = VMwareConfig(provider="vmware", snapshot_name="clean", headless=False)
    env = environment_factory(config, cache_dir=tmp_path)()
    (desktop,) = FakeDesktopEnv.made
    assert desktop.kwargs["snapshot_name"] == "clean" and desktop.kwargs["headless"] is False
    env.reset()
    assert desktop.resets == 1
    env.close()


def test_aws_settings_reach_desktop_env(
    fake_desktop_env: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_SUBNET_ID", "AWS_SECURITY_GROUP_ID", "AWS_REGION", "AWS_USE_PUBLIC_IP"):
        monkeypatch.setenv(name, "before")  # so the test's changes are undone afterwards
    config = AWSConfig(
        provider="aws",
        region="eu-west-1",
        snapshot_name="ami-123",
        subnet_id="subnet-1",
        security_group_id="sg-1",
    )
    environment_factory(config, cache_dir=tmp_path)().close()
    (desktop,) = FakeDesktopEnv.made
    assert desktop.kwargs["region"] == "eu-west-1" and desktop.kwargs["snapshot_name"] == "ami-123"
    assert os.environ["AWS_SUBNET_ID"] == "subnet-1"
    assert os.environ["AWS_SECURITY_GROUP_ID"] == "sg-1"
    assert os.environ["AWS_USE_PUBLIC_IP"] == "true"
