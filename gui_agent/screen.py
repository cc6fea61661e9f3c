"""Capture the screen, sanity-check it, encode it for the model, and wait for it to settle.

Encoding was chosen by measurement (`scripts/bench_capture.py`, median of 30, 1280x800 Xvfb
showing a Chromium page with text, 2-core machine):

    | operation                                          |  median |     p90 |     bytes |
    |----------------------------------------------------|---------|---------|-----------|
    | capture: mss grab -> PIL RGB 1280x800              |     4.9 |     5.2 |           |
    | resize 1280x800 -> 1024x640 BILINEAR               |     5.7 |     5.8 |           |
    | resize 1280x800 -> 1024x640 LANCZOS                |    12.3 |    12.3 |           |
    | PNG level 1, 1280x800                              |    17.7 |    18.3 |   171,277 |
    | PNG level 6, 1280x800                              |    29.1 |    30.4 |   160,188 |
    | PNG level 1, 1024x640 (bilinear)                   |    14.7 |    15.3 |   226,369 |
    | PNG level 6, 1024x640 (bilinear)                   |    27.0 |    32.3 |   287,151 |
    | PNG level 1, 1024x640 (lanczos)                    |    16.9 |    17.2 |   276,964 |
    | JPEG q85, 1280x800                                 |     2.4 |     2.5 |   253,693 |
    | JPEG q85, 1024x640                                 |     1.5 |     1.6 |   150,525 |
    | encode_for_model, max 1280x800 (no resize)         |    17.3 |    17.5 |   171,277 |
    | encode_for_model, max 1024x640                     |    20.1 |    20.2 |   226,369 |
    | end to end: capture + encode_for_model 1280x800    |    25.2 |    29.4 |           |
    | end to end: capture + encode_for_model 1024x640    |    26.1 |    27.3 |           |
    | frame_digest (crc32 of pixels)                     |     1.2 |     1.3 |           |
    | frames_differ (equal frames)                       |     2.4 |     2.6 |           |
    | screenshot() with sanity check                     |     6.1 |    11.3 |           |

So: mss for capture; BILINEAR for downscaling (LANCZOS costs twice as much and its output
compresses worse); PNG at compression level 1: lossless, so small text stays legible, ~60%
of level 6's time, and within 7% of its size at full resolution (level 6 is even larger on the
resampled image). JPEG is 7x faster but 50% larger at full size and smears 1-px glyph strokes;
the ~15 ms it would save is noise next to a model call. When the screen already fits the
model size (the default 1280x800), nothing is resized and the PNG is smaller than a
downscaled one: resampling blurs flat UI areas into gradients that compress badly.

`settle` replaces the fixed sleep after an action (the computer-use demo sleeps 2 s, OSWorld
2 s per step): it watches for the action's repaint, then polls every 15 ms until the frame has
been still for 25 ms, capped by a timeout (`gui-agent bench perf` measures it).
Frames are compared by the CRC-32 of all their pixels (1.2 ms per 1280x800 frame), so a caret
or a one-pixel checkbox tick counts as a change, with no downsampling to hide it.
"""

from __future__ import annotations

import io
import logging
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image

from gui_agent.errors import EnvError
from gui_agent.geometry import Scaling

log = logging.getLogger(__name__)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
DEFAULT_MODEL_SIZE = (1280, 800)
PNG_COMPRESS_LEVEL = 1
RESAMPLE = Image.Resampling.BILINEAR


class _ThreadGrabbers:
    """This thread's mss instances by display; closed when the thread ends (mss has no __del__,
    and each instance holds an X connection)."""

    def __init__(self) -> None:
        self.by_display: dict[str | None, Any] = {}

    def pop(self, display: str | None) -> None:
        sct = self.by_display.pop(display, None)
        if sct is not None:
            try:
                sct.close()
            except Exception:  # the display may already be gone; nothing left to release
                log.debug("closing mss for %s failed", display, exc_info=True)

    def __del__(self) -> None:
        for display in list(self.by_display):
            self.pop(display)


_local = threading.local()


def _grabbers() -> _ThreadGrabbers:
    grabbers: _ThreadGrabbers | None = getattr(_local, "grabbers", None)
    if grabbers is None:
        grabbers = _local.grabbers = _ThreadGrabbers()
    return grabbers


def _mss_for(display: str | None) -> Any:
    """One mss instance per (thread, display): mss keeps X resources that are not thread-safe."""
    import mss  # lazy: mss needs a display only when used

    instances = _grabbers().by_display
    if display not in instances:
        instances[display] = mss.MSS(display=display) if display else mss.MSS()
    return instances[display]


def capture_x(display: str | None = None) -> Image.Image:
    """Grab the whole X screen `display` (default: $DISPLAY) as an RGB image."""
    try:
        sct = _mss_for(display)
        shot = sct.grab(sct.monitors[0])
    except Exception as exc:  # mss raises its own ScreenShotError and Xlib-level errors
        forget_display(display)
        raise EnvError(f"screen capture on {display or '$DISPLAY'} failed: {exc}") from exc
    return Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")


def forget_display(display: str | None) -> None:
    """Drop this thread's mss instance for `display` (call after the display is gone)."""
    _grabbers().pop(display)


def check_image(image: Image.Image | bytes, *, allow_uniform: bool = False) -> Image.Image:
    """Return `image` (decoded if bytes) or raise EnvError if it cannot be a real screen.

    Bytes must start with PNG or JPEG magic and decode; an image must be non-empty and, unless
    `allow_uniform`, not a single colour (a blank frame means a dead display or a capture that
    raced a repaint).
    """
    if isinstance(image, bytes | bytearray):
        if not image:
            raise EnvError("screenshot is empty (0 bytes)")
        if not image.startswith((PNG_MAGIC, JPEG_MAGIC)):
            raise EnvError(f"screenshot is neither PNG nor JPEG (starts {bytes(image[:8])!r})")
        try:
            decoded = Image.open(io.BytesIO(image))
            decoded.load()
        except Exception as exc:  # PIL raises several unrelated types for corrupt data
            raise EnvError(f"screenshot does not decode: {exc}") from exc
        image = decoded.convert("RGB") if decoded.mode != "RGB" else decoded
    if image.width < 1 or image.height < 1:
        raise EnvError(f"screenshot has no pixels ({image.width}x{image.height})")
    if not allow_uniform and _is_uniform(image):
        raise EnvError(f"screenshot is a single colour {image.getpixel((0, 0))}")
    return image


def _is_uniform(image: Image.Image) -> bool:
    extrema = image.getextrema()
    bands = extrema if isinstance(extrema[0], tuple) else (extrema,)
    return all(low == high for low, high in bands)


def capture_with_retry(
    grab: Callable[[], Image.Image | bytes],
    *,
    attempts: int = 3,
    delay_s: float = 0.2,
    allow_uniform: bool = False,
) -> Image.Image:
    """Call `grab` until it returns a sane image (see check_image); EnvError after `attempts`."""
    last: EnvError | None = None
    for attempt in range(1, attempts + 1):
        try:
            return check_image(grab(), allow_uniform=allow_uniform)
        except EnvError as exc:
            last = exc
            log.debug("capture attempt %d/%d failed: %s", attempt, attempts, exc.message)
            if attempt < attempts:
                time.sleep(delay_s)
    assert last is not None
    raise EnvError(f"screen capture failed {attempts} times: {last.message}") from last


@dataclass(frozen=True)
class EncodedImage:
    """A screenshot as sent to the model, with the scaling back to screen pixels."""

    png: bytes
    width: int
    height: int
    scaling: Scaling
    media_type: str = "image/png"


def encode_for_model(
    image: Image.Image, *, max_size: tuple[int, int] = DEFAULT_MODEL_SIZE
) -> EncodedImage:
    """Downscale (never up) to fit `max_size`, keeping the aspect ratio, and encode as PNG."""
    scaling = Scaling.fit(image.size, max_size)
    if image.mode != "RGB":
        image = image.convert("RGB")
    if not scaling.is_identity:
        image = image.resize(scaling.model, RESAMPLE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return EncodedImage(
        png=buffer.getvalue(), width=image.width, height=image.height, scaling=scaling
    )


def frame_digest(image: Image.Image) -> tuple[tuple[int, int], int]:
    """A cheap exact fingerprint of a frame: its size and the CRC-32 of its pixels."""
    return image.size, zlib.crc32(image.tobytes())


def frames_differ(a: Image.Image, b: Image.Image) -> bool:
    """True if the two frames differ in size, mode or any pixel (compared by CRC-32)."""
    return a.mode != b.mode or frame_digest(a) != frame_digest(b)


@dataclass(frozen=True)
class SettleResult:
    """How waiting for a still screen went; `image` is the last frame grabbed.

    `changed` says whether any frame differed from `before` (None when no `before` was given).
    """

    stable: bool
    waited_s: float
    frames: int
    image: Image.Image | None = None
    changed: bool | None = None


SETTLE_INTERVAL_S = 0.01
SETTLE_QUIET_S = 0.025
SETTLE_EXPECT_CHANGE_S = 0.12


def settle(
    grab: Callable[[], Image.Image],
    *,
    before: Image.Image | None = None,
    interval: float = SETTLE_INTERVAL_S,
    quiet: float = SETTLE_QUIET_S,
    expect_change: float = SETTLE_EXPECT_CHANGE_S,
    stable_frames: int = 2,
    timeout: float = 3.0,
) -> SettleResult:
    """Poll `grab` until the screen is still, or `timeout` s pass (then `stable` is False).

    Still means: the frame has not changed for `quiet` s over at least `stable_frames`
    consecutive comparisons. With `before` (the frame the action was taken on), the wait first
    watches for the action's repaint: a frame that differs from `before` starts the quiet
    window; if none appears within `expect_change` s, the action changed nothing visible and
    the wait ends there. Chromium on Xvfb repaints a click within about two frames (30 ms), so
    a visible change costs that plus the quiet window instead of a fixed poll count.
    """
    start = time.monotonic()
    image = grab()
    frames, unchanged = 1, 0
    previous = frame_digest(image)
    reference = frame_digest(before) if before is not None else None
    changed = None if reference is None else previous != reference
    last_change = start
    while True:
        now = time.monotonic()
        elapsed = now - start
        if changed is False and elapsed >= expect_change and unchanged >= stable_frames:
            return SettleResult(stable=True, waited_s=elapsed, frames=frames, image=image,
                                changed=False)  # fmt: skip
        if changed is not False and unchanged >= stable_frames and now - last_change >= quiet:
            return SettleResult(stable=True, waited_s=elapsed, frames=frames, image=image,
                                changed=changed)  # fmt: skip
        if elapsed >= timeout:
            return SettleResult(stable=False, waited_s=elapsed, frames=frames, image=image,
                                changed=changed)  # fmt: skip
        time.sleep(min(interval, max(0.0, timeout - elapsed)))
        image = grab()
        frames += 1
        current = frame_digest(image)
        if current == previous:
            unchanged += 1
        else:
            unchanged, last_change = 0, time.monotonic()
        if changed is False and current != reference:
            changed = True
        previous = current
