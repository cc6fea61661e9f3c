"""The gate a model-written script passes before it runs: it must compile and call nothing forbidden.

The multi_app skill lets a scoped call write a short Python script for file work (openpyxl,
python-docx, python-pptx, pypdf, odfpy, csv, json, zipfile). Such a script has no business
starting programs, opening sockets, evaluating strings as code or deleting trees; the one
program it may start is LibreOffice, headless, for a format conversion, with a literal argv.
This is a static check on the syntax tree, not a sandbox: it keeps honest mistakes and
prompt-injected text from running, and says which line was refused.
"""

from __future__ import annotations

import ast

FORBIDDEN_MODULES = frozenset({
    "socket", "urllib", "http", "requests", "httpx", "ftplib", "smtplib", "telnetlib",
    "ctypes", "multiprocessing", "pty", "pexpect", "paramiko", "asyncio", "importlib",
})  # fmt: skip
FORBIDDEN_CALLS = frozenset({
    "eval", "exec", "compile", "__import__", "breakpoint", "input",
    "os.system", "os.popen", "os.kill", "os.killpg", "os.fork", "os.forkpty", "os.rmdir",
    "os.removedirs", "os.chown", "os.setuid", "shutil.rmtree", "shutil.chown",
})  # fmt: skip
FORBIDDEN_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn")
SUBPROCESS_CALLS = frozenset({"run", "call", "check_call", "check_output", "Popen"})
ALLOWED_PROGRAMS = frozenset({"soffice", "libreoffice", "localc", "lowriter", "loimpress"})


def check_script(source: str) -> str | None:
    """Why `source` may not run (one line, with the line number), or None when it may."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return f"does not compile: {exc.msg} (line {exc.lineno})"
    aliases = {alias.asname: alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names if alias.asname}  # fmt: skip
    for node in ast.walk(tree):
        reason = _refusal(node, aliases)
        if reason is not None:
            return f"line {getattr(node, 'lineno', '?')}: {reason}"
    return None


def _refusal(node: ast.AST, aliases: dict[str, str]) -> str | None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                return f"imports {alias.name}"
    if isinstance(node, ast.ImportFrom) and node.module:
        root = node.module.split(".")[0]
        if root in FORBIDDEN_MODULES:
            return f"imports from {node.module}"
        if root == "os" and any(_forbidden(f"os.{a.name}") for a in node.names):
            return "imports a forbidden os function"
        if root == "subprocess":
            return "imports names from subprocess (use subprocess.run with a literal argv)"
    if isinstance(node, ast.Call):
        name = _dotted(node.func)
        if name is None:
            return None
        head, dot, rest = name.partition(".")
        name = aliases.get(head, head) + dot + rest
        if name in ("getattr", "setattr", "vars", "globals") and node.args and (
            _dotted(node.args[0]) in {"os", "subprocess", "shutil", "builtins", *aliases}
        ):  # fmt: skip
            return f"reaches into a module with {name}"
        if _forbidden(name):
            return f"calls {name}"
        if name.startswith("subprocess.") and name.split(".", 1)[1] in SUBPROCESS_CALLS:
            return _subprocess_refusal(node)
        if name.startswith("subprocess."):
            return f"calls {name}"
    return None


def _forbidden(name: str) -> bool:
    return name in FORBIDDEN_CALLS or name.startswith(FORBIDDEN_PREFIXES)


def _subprocess_refusal(call: ast.Call) -> str | None:
    """Only LibreOffice, with a literal list argv and no shell=True."""
    for keyword in call.keywords:
        if keyword.arg == "shell" and not (
            isinstance(keyword.value, ast.Constant) and keyword.value.value is False
        ):
            return "runs a subprocess through a shell"
    argv = call.args[0] if call.args else None
    if not isinstance(argv, ast.List | ast.Tuple) or not argv.elts:
        return "runs a subprocess without a literal argv list"
    program = argv.elts[0]
    if not (isinstance(program, ast.Constant) and isinstance(program.value, str)):
        return "runs a program whose name is not a literal"
    if program.value.rsplit("/", 1)[-1] not in ALLOWED_PROGRAMS:
        return f"runs {program.value} (only LibreOffice may be started)"
    return None


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None
