"""Capture, sanity checks, model encoding and settle detection."""

from __future__ import annotations

import io
import itertools
import time

import pytest
from PIL import Image

from gui_agent.errors import EnvError
from gui_agent.screen import (
    PNG_MAGIC,
    capture_with_retry,
    capture_x,
    check_image,
    encode_for_model,
    frames_differ,
    settle,
)


def _ui_like(size=(1280, 800)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    image.paste((30, 60, 200), (10, 10, 300, 50))
    image.paste((0, 0, 0), (size[0] // 2, size[1] // 2, size[0] // 2 + 7, size[1] // 2 + 3))
    return image


def _encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


# -- check_image --------------------------------------------------------------------------------


def test_check_image_accepts_png_and_jpeg_bytes_and_images() -> None:
    image = _ui_like((64, 48))
    assert check_image(image) is image
    assert check_image(_encoded(image, "PNG")).size == (64, 48)
    decoded = check_image(_encoded(image, "JPEG"))
    assert decoded.size == (64, 48) and decoded.mode == "RGB"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<html>502 Bad Gateway</html>", "neither PNG nor JPEG"),
        (PNG_MAGIC + b"truncated", "does not decode"),
    ],
)
def test_check_image_rejects_bad_bytes(data: bytes, message: str) -> None:
    with pytest.raises(EnvError, match=message):
        check_image(data)


def test_check_image_rejects_a_single_colour_unless_allowed() -> None:
    black = Image.new("RGB", (32, 32))
    with pytest.raises(EnvError, match="single colour"):
        check_image(black)
    with pytest.raises(EnvError, match="single colour"):
        check_image(_encoded(black, "PNG"))
    assert check_image(black, allow_uniform=True) is black


def test_capture_with_retry_retries_then_succeeds() -> None:
    frames = iter([b"", Image.new("RGB", (8, 8)), _ui_like((8, 8))])
    calls = []

    def grab():
        calls.append(1)
        return next(frames)

    assert capture_with_retry(grab, attempts=3, delay_s=0).size == (8, 8)
    assert len(calls) == 3


def test_capture_with_retry_gives_up_with_the_last_reason() -> None:
    with pytest.raises(EnvError, match="failed 2 times: screenshot is a single colour"):
        capture_with_retry(lambda: Image.new("RGB", (8, 8)), attempts=2, delay_s=0)


def test_capture_with_retry_does_not_swallow_other_errors() -> None:
    def grab():
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        capture_with_retry(grab, delay_s=0)


# -- encode_for_model ---------------------------------------------------------------------------


def test_encode_keeps_a_screen_that_fits() -> None:
    encoded = encode_for_model(_ui_like())
    assert encoded.png.startswith(PNG_MAGIC)
    assert (encoded.width, encoded.height) == (1280, 800)
    assert encoded.scaling.is_identity
    assert encoded.media_type == "image/png"
    assert Image.open(io.BytesIO(encoded.png)).tobytes() == _ui_like().tobytes()  # lossless


@pytest.mark.parametrize(
    ("size", "max_size", "expected"),
    [((1280, 800), (1024, 640), (1024, 640)), ((1920, 1080), (1280, 800), (1280, 720))],
)
def test_encode_downscales_keeping_aspect(size, max_size, expected) -> None:
    encoded = encode_for_model(_ui_like(size), max_size=max_size)
    assert (encoded.width, encoded.height) == expected
    assert Image.open(io.BytesIO(encoded.png)).size == expected
    assert encoded.scaling.screen == size and encoded.scaling.model == expected


def test_encode_converts_other_modes() -> None:
    encoded = encode_for_model(_ui_like((100, 50)).convert("RGBA"))
    assert Image.open(io.BytesIO(encoded.png)).mode == "RGB"


# -- frames_differ and settle -------------------------------------------------------------------


def test_frames_differ() -> None:
    a = _ui_like((200, 100))
    b = a.copy()
    assert not frames_differ(a, b)
    b.putpixel((199, 99), (254, 255, 255))
    assert frames_differ(a, b)
    assert frames_differ(a, a.resize((100, 50)))


def test_settle_on_still_frames_is_stable_after_the_requested_comparisons() -> None:
    frame = _ui_like((64, 64))
    result = settle(lambda: frame, interval=0.001, quiet=0, stable_frames=2, timeout=30)
    assert result.stable and result.frames == 3 and result.image is frame


def test_settle_waits_for_changes_to_stop() -> None:
    changing = [_ui_like((64, 64)) for _ in range(5)]
    for index, frame in enumerate(changing):
        frame.putpixel((0, 0), (index, 0, 0))
    final = changing[-1]
    frames = itertools.chain(changing, itertools.repeat(final))
    result = settle(lambda: next(frames), interval=0.001, quiet=0, stable_frames=2, timeout=30)
    assert result.stable and result.frames == 7


def test_settle_returns_only_after_the_screen_was_quiet_for_the_window() -> None:
    changing = [_ui_like((64, 64)) for _ in range(3)]
    for index, frame in enumerate(changing):
        frame.putpixel((0, 0), (index, 0, 0))
    frames = itertools.chain(changing, itertools.repeat(changing[-1]))
    stamps: list[float] = []

    def grab() -> Image.Image:
        stamps.append(time.monotonic())
        return next(frames)

    result = settle(grab, interval=0.002, quiet=0.05, timeout=30)
    assert result.stable
    # the last change was seen at the third grab; the wait ended a full quiet window later
    assert stamps[-1] - stamps[2] >= 0.05


def test_settle_after_an_action_that_changed_nothing_stops_at_the_expect_window() -> None:
    frame = _ui_like((64, 64))
    result = settle(lambda: frame, before=frame.copy(), interval=0.002, quiet=0.2,
                    expect_change=0.06, timeout=30)  # fmt: skip
    assert result.stable and result.changed is False
    assert 0.06 <= result.waited_s < 0.2  # no quiet window after nothing happened


def test_settle_sees_a_late_repaint_within_the_expect_window() -> None:
    before = _ui_like((64, 64))
    after = before.copy()
    after.putpixel((5, 5), (1, 2, 3))
    start = time.monotonic()

    def grab() -> Image.Image:  # the repaint lands 40 ms after the action
        return after if time.monotonic() - start > 0.04 else before

    result = settle(grab, before=before, interval=0.002, quiet=0.03, expect_change=0.1,
                    timeout=30)  # fmt: skip
    assert result.stable and result.changed is True
    assert result.image is after and result.waited_s >= 0.07


def test_settle_gives_up_at_the_timeout() -> None:
    counter = itertools.count()

    def grab():
        frame = Image.new("RGB", (16, 16))
        frame.putpixel((0, 0), (next(counter) % 256, 0, 0))
        return frame

    result = settle(grab, interval=0.01, stable_frames=2, timeout=0.3)
    assert not result.stable
    assert result.waited_s >= 0.3
    assert result.frames > 2


# -- on a real display --------------------------------------------------------------------------


def test_capture_x_grabs_the_sandbox_screen(sandbox) -> None:
    image = capture_x(sandbox.display)
    assert image.size == (1280, 800) and image.mode == "RGB"
    assert check_image(image) is image
    assert sandbox.screenshot().size == (1280, 800)


def test_capture_x_on_a_missing_display_is_an_env_error() -> None:
    with pytest.raises(EnvError, match="screen capture"):
        capture_x(":4711")


def test_settle_is_stable_on_a_static_page(sandbox, gui_page) -> None:
    gui_page("static.html")
    result = settle(sandbox.screenshot, interval=0.05, stable_frames=2, timeout=20)
    assert result.stable
    assert result.image is not None and result.image.size == (1280, 800)


def test_settle_waits_on_an_animation_up_to_its_cap(sandbox, gui_page) -> None:
    gui_page("animated.html")
    result = settle(sandbox.screenshot, interval=0.05, stable_frames=2, timeout=1.0)
    assert not result.stable
    assert result.waited_s >= 1.0
