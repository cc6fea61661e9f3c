"""The `--url` a run's browser opens first, and which computers can open it: checked before start.

A start URL names its scheme: `http://` and `https://` (with a host), `file:///PATH`, `about:`
or `chrome://` pages. Nothing is guessed: a bare host such as `example.org` is refused with the
`https://` form to type instead, so a typo never turns into a page load somewhere unexpected.

Only computers that open their own browser honour it (`sandbox`, `browser`); on a `vm` the page
is opened through the `--allow-domain` guard, over the VM's Chrome. Anywhere else the option
would be silently ignored, so it is refused.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from gui_agent.errors import ConfigError

START_URL_SCHEMES = ("http", "https", "file", "about", "chrome")
URL_HELP = ("Page the browser opens first: http(s)://HOST/..., file:///PATH, about:... or "
            "chrome://... (a bare host is refused; --env sandbox or browser, or vm with "
            "--allow-domain).")  # fmt: skip
OPENS_A_BROWSER = ("sandbox", "browser")
"""The --env computers that start their own browser on the start URL."""
HAS_A_BROWSER_OVER_CDP = ("sandbox", "browser", "vm")
"""The --env computers whose browser a network guard can hold (--allow-domain)."""


def check_start_url(url: str) -> str:
    """`url` when a browser can open it; otherwise a ConfigError that says what to type."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        ok = bool(parts.hostname)
    elif scheme == "file":
        ok = parts.path.startswith("/")
    else:
        ok = scheme in START_URL_SCHEMES and bool(parts.netloc or parts.path)
    if ok and not any(char.isspace() for char in url):
        return url
    message = (f"--url {url!r} is not a URL a browser opens: give http(s)://HOST/..., "
               "file:///PATH, about:... or chrome://...")  # fmt: skip
    if _looks_like_a_bare_host(url):
        message += f" (did you mean https://{url}?)"
    raise ConfigError(message)


def check_browser_options(env: str, *, start_url: str | None, allowlist: bool) -> None:
    """Refuse --url / --allow-domain on a computer that cannot honour them (before anything starts)."""
    if allowlist and env not in HAS_A_BROWSER_OVER_CDP:
        raise ConfigError(f"--allow-domain needs a browser reachable over CDP; --env {env} has "
                          f"none (use --env {', '.join(HAS_A_BROWSER_OVER_CDP)})")  # fmt: skip
    if start_url is None or env in OPENS_A_BROWSER or (env == "vm" and allowlist):
        return
    where = "--env vm opens it only with --allow-domain" if env == "vm" else f"--env {env} has none"
    raise ConfigError(f"--url needs a browser the agent opens ({where}; use --env "
                      f"{' or '.join(OPENS_A_BROWSER)})")  # fmt: skip


def _looks_like_a_bare_host(url: str) -> bool:
    host = url.split("/", 1)[0].split(":", 1)[0]
    return "://" not in url and (host == "localhost" or ("." in host and " " not in host))
