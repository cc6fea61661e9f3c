"""Key names as GUI models write them (xdotool/X11 keysyms, browser names, pyautogui's) -> ours.

Claude's computer tool speaks xdotool (`Return`, `Page_Down`, `ctrl+shift+Escape`), OpenAI's
computer-use model browser-style arrays (`["CTRL", "L"]`, `ArrowLeft`), UI-TARS and Qwen-VL
pyautogui-style names (`ctrl c`, `pagedown`). All of them land on the names
`gui_agent.actions.normalize_keys` accepts; anything else is a NativeActionError naming the key.
"""

from __future__ import annotations

from gui_agent.actions import normalize_keys
from gui_agent.errors import ActionRejected
from gui_agent.models.native import NativeActionError

_NATIVE_NAMES = {
    "backspace": "backspace", "back_space": "backspace", "kp_enter": "enter",
    "linefeed": "enter", "escape": "escape", "prior": "pageup", "next": "pagedown",
    "super_l": "super", "super_r": "super", "control_l": "ctrl", "control_r": "ctrl",
    "ctrl_l": "ctrl", "ctrl_r": "ctrl", "shift_l": "shift", "shift_r": "shift",
    "alt_l": "alt", "alt_r": "alt", "meta_l": "super", "meta_r": "super", "windows": "super",
    "print": "printscreen", "caps_lock": "capslock", "kp_delete": "delete",
    "arrowup": "up", "arrowdown": "down", "arrowleft": "left", "arrowright": "right",
    "kp_up": "up", "kp_down": "down", "kp_left": "left", "kp_right": "right",
    "minus": "-", "equal": "=", "comma": ",", "period": ".", "slash": "/",
    "backslash": "\\", "semicolon": ";", "apostrophe": "'", "grave": "`",
    "bracketleft": "[", "bracketright": "]", "spacebar": "space", " ": "space",
}  # fmt: skip


def to_our_keys(parts: list[str] | tuple[str, ...]) -> str:
    """Join native key names into our combination string ('ctrl+shift+t'), validated."""
    names: list[str] = []
    for part in parts:
        raw = part.strip()
        if not raw and part == " ":
            raw = " "
        if not raw:
            raise NativeActionError(f"empty key name in {list(parts)!r}")
        lowered = raw.lower()
        names.append(_NATIVE_NAMES.get(lowered, lowered))
    try:
        return "+".join(normalize_keys("+".join(names)))
    except ActionRejected as exc:
        raise NativeActionError(f"key {'+'.join(parts)!r}: {exc.message}") from exc


def split_combo(text: str, *, separators: str = "+") -> list[str]:
    """'ctrl+Return' -> ['ctrl', 'Return']; a lone '+' stays a key."""
    text = text.strip()
    if text in ("+", " "):
        return [text]
    for separator in separators[1:]:
        text = text.replace(separator, separators[0])
    return [p for p in text.split(separators[0]) if p != ""] or [text]
