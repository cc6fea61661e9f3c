"""Image metrics: SSIM similarity, pixel equality, brightness, size, perceptual hash, OCR.

`ssim` reproduces scikit-image's `structural_similarity` defaults (7x7 uniform window,
sample covariance, K1=0.01, K2=0.03, data range 255 for 8-bit images, border cropped), so the
thresholds in OSWorld's tasks keep their meaning without scikit-image installed.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageStat
from scipy import fftpack, ndimage

logger = logging.getLogger(__name__)


def _ssim_channel(a: np.ndarray, b: np.ndarray, *, win_size: int, data_range: float) -> float:
    a, b = a.astype(np.float64), b.astype(np.float64)
    if win_size > min(a.shape):
        raise ValueError("win_size exceeds image extent")
    n = win_size**2
    cov_norm = n / (n - 1)
    mean_a = ndimage.uniform_filter(a, size=win_size)
    mean_b = ndimage.uniform_filter(b, size=win_size)
    var_a = cov_norm * (ndimage.uniform_filter(a * a, size=win_size) - mean_a * mean_a)
    var_b = cov_norm * (ndimage.uniform_filter(b * b, size=win_size) - mean_b * mean_b)
    cov = cov_norm * (ndimage.uniform_filter(a * b, size=win_size) - mean_a * mean_b)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    num = (2 * mean_a * mean_b + c1) * (2 * cov + c2)
    den = (mean_a**2 + mean_b**2 + c1) * (var_a + var_b + c2)
    pad = (win_size - 1) // 2
    rows, cols = num.shape
    cropped = (num / den)[pad : rows - pad, pad : cols - pad]
    return float(cropped.mean(dtype=np.float64))


def ssim(a: np.ndarray, b: np.ndarray, *, win_size: int = 7) -> float:
    """Mean structural similarity of two same-shape uint8 arrays (H,W) or (H,W,C)."""
    if a.shape != b.shape:
        raise ValueError(f"ssim needs equal shapes, got {a.shape} and {b.shape}")
    data_range = 255.0 if a.dtype == np.uint8 else float(a.max() - a.min() or 1.0)
    if a.ndim == 2:
        return _ssim_channel(a, b, win_size=win_size, data_range=data_range)
    return float(
        np.mean(
            [
                _ssim_channel(a[..., c], b[..., c], win_size=win_size, data_range=data_range)
                for c in range(a.shape[-1])
            ]
        )
    )


def open_result_image(path: str) -> Image.Image | None:
    """The agent's image, or None if it is not a readable image (which scores 0)."""
    try:
        img = Image.open(path)
        img.load()
        return img
    except (OSError, ValueError) as exc:
        logger.info("unreadable result image %s: %s", path, exc)
        return None


def _window_for(shape: tuple[int, ...]) -> int | None:
    low = min(shape[0], shape[1])
    if low >= 7:
        return 7
    win = low if low % 2 == 1 else low - 1
    return win if win >= 1 else None


def compare_images(image1: str | None, image2: str | None, **options: Any) -> float:
    """Grayscale SSIM of the two images (both resized to the smaller size).

    With `reference_base_result` b: (s - b) / (1 - b) when s >= b + 0.01, else 0.
    """
    if not image1 or not image2:
        return 0.0
    base = options.get("reference_base_result")
    mine = open_result_image(image1)
    if mine is None:
        return 0.0
    first = mine.convert("L")
    second = Image.open(image2).convert("L")
    size = min(first.size, second.size)  # tuple order, as OSWorld
    first = first.resize(size, Image.Resampling.LANCZOS)
    second = second.resize(size, Image.Resampling.LANCZOS)
    score = ssim(np.array(first), np.array(second))
    if base is None:
        return score
    return (score - base) / (1 - base) if score >= base + 0.01 else 0.0


def same_picture(first: Image.Image, second: Image.Image) -> bool:
    """Same size and the same colour at every pixel (palette or RGB storage does not matter)."""
    if first.size != second.size:
        return False
    return (
        ImageChops.difference(first.convert("RGBA"), second.convert("RGBA")).getbbox(
            alpha_only=False
        )
        is None
    )


def compare_image_list(predicted: Any, gold: Any) -> float:
    """Are the files the agent saved exactly the gold pictures, one for one?

    1 when there is one result per gold image and each is the same picture as its gold (same
    size, same pixels); a missing or unreadable result image scores 0. No gold images is a
    task error.
    """
    golds = gold if isinstance(gold, list) else [gold]
    results = predicted if isinstance(predicted, list) else [predicted]
    if not golds or any(not g for g in golds):
        raise ValueError("compare_image_list: no gold images to compare with")
    if len(results) != len(golds):
        return 0.0
    for result_path, gold_path in zip(results, golds, strict=True):
        mine = open_result_image(result_path) if result_path else None
        if mine is None or not same_picture(mine, Image.open(gold_path)):
            return 0.0
    return 1.0


def _rgb_ssim_at_least(first: Image.Image, second: Image.Image, threshold: float) -> bool:
    if min(first.width, first.height, second.width, second.height) < 7:
        return False
    a, b = np.array(first.convert("RGB")), np.array(second.convert("RGB"))
    if a.shape != b.shape:
        return False
    win = _window_for(a.shape)
    return win is not None and ssim(a, b, win_size=win) >= threshold


def check_structure_sim(src_path: str | None, tgt_path: str | None) -> float:
    """1 if the images have the same size and RGB SSIM >= 0.9."""
    if src_path is None or tgt_path is None:
        return 0.0
    try:
        src, tgt = Image.open(src_path), Image.open(tgt_path)
        if src.size != tgt.size:
            return 0.0
        return 1.0 if _rgb_ssim_at_least(src, tgt, 0.9) else 0.0
    except (OSError, ValueError) as exc:
        logger.info("check_structure_sim: %s", exc)
        return 0.0


def check_structure_sim_with_threshold(
    src_path: str | None, tgt_path: str | None, **options: Any
) -> float:
    """1 if RGB SSIM >= `ssim_threshold` (0.85), the source resized to the target first."""
    if src_path is None or tgt_path is None:
        return 0.0
    threshold = options.get("ssim_threshold", 0.85)
    try:
        src: Image.Image = Image.open(src_path)
        tgt: Image.Image = Image.open(tgt_path)
        if src.size != tgt.size:
            src = src.resize(tgt.size, Image.Resampling.LANCZOS)
        a, b = np.array(src.convert("RGB")), np.array(tgt.convert("RGB"))
        win = _window_for(a.shape)
        if win is None:
            return 0.0
        return 1.0 if ssim(a, b, win_size=win) >= threshold else 0.0
    except (OSError, ValueError) as exc:
        logger.info("check_structure_sim_with_threshold: %s", exc)
        return 0.0


def _brightness(image: Image.Image) -> float:
    return float(ImageStat.Stat(image.convert("L")).mean[0])


def _normalise_brightness(image: Image.Image, target: float) -> Image.Image:
    factor = target / _brightness(image)
    return image.point(lambda x: min(255, max(0, int(x * factor))))


def _mse_below(first: Image.Image, second: Image.Image, threshold: float) -> bool:
    if first.size != second.size:
        first = first.resize(second.size, Image.Resampling.LANCZOS)
    a = np.array(first.convert("RGB"), dtype=np.float32) / 255
    b = np.array(second.convert("RGB"), dtype=np.float32) / 255
    return bool(np.mean((a - b) ** 2) < threshold)


def check_brightness_decrease_and_structure_sim(
    src_path: str | None, tgt_path: str | None, threshold: float = 0.03
) -> float:
    """1 if the result is darker than the original and alike once both are normalised."""
    if src_path is None or tgt_path is None:
        return 0.0
    src = open_result_image(src_path)
    if src is None:
        return 0.0
    tgt = Image.open(tgt_path)
    darker = _brightness(tgt) > _brightness(src)
    alike = _mse_below(_normalise_brightness(src, 128), _normalise_brightness(tgt, 128), threshold)
    return 1.0 if darker and alike else 0.0


def check_image_size(src_path: str | None, rule: dict[str, Any]) -> float:
    """1 if the image (or its opaque part, with `ignore_transparent`) has the rule's size."""
    if src_path is None:
        return 0.0
    img = open_result_image(src_path)
    if img is None:
        return 0.0
    # OSWorld's precedence: (ignore_transparent and alpha mode) or has a transparency key.
    if (rule.get("ignore_transparent", False) and img.mode in ("RGBA", "LA")) or (
        "transparency" in img.info
    ):
        box = img.convert("RGBA").split()[-1].getbbox()
        width, height = (0, 0) if box is None else (box[2] - box[0], box[3] - box[1])
    else:
        width, height = img.size
    ok_h = rule.get("height") is None or height == rule["height"]
    ok_w = rule.get("width") is None or width == rule["width"]
    return 1.0 if ok_h and ok_w else 0.0


def check_image_file_size(src_path: str | None, rule: dict[str, Any]) -> float:
    if src_path is None:
        return 0.0
    return 1.0 if Path(src_path).stat().st_size < rule["max_size"] else 0.0


def phash_bits(image: Image.Image, *, hash_size: int = 8, highfreq_factor: int = 4) -> np.ndarray:
    """The perceptual hash bits of `imagehash.phash` (DCT of a 32x32 grayscale thumbnail)."""
    size = hash_size * highfreq_factor
    pixels = np.asarray(image.convert("L").resize((size, size), Image.Resampling.LANCZOS))
    dct = fftpack.dct(fftpack.dct(pixels, axis=0), axis=1)
    low = dct[:hash_size, :hash_size]
    return low > np.median(low)


def ocr_text(path: str) -> str:
    """Words tesseract reads in the image, space-separated ("" if tesseract is absent)."""
    binary = shutil.which("tesseract")
    if binary is None:
        raise FileNotFoundError("tesseract is not installed")
    done = subprocess.run(
        [binary, path, "stdout"], capture_output=True, text=True, timeout=120, check=False
    )
    return " ".join(done.stdout.split())


def compare_image_text(image_path: str | None, rule: dict[str, Any]) -> float:
    """1 if OCR of the image contains the rule's text (tesseract stands in for easyocr)."""
    if not image_path or not Path(image_path).exists():
        return 0.0
    if rule["type"] != "text":
        raise NotImplementedError(f"compare_image_text rule type {rule['type']!r}")
    try:
        converted = _as_png(image_path)
        text = ocr_text(converted)
    except (OSError, subprocess.SubprocessError) as exc:
        logger.info("OCR failed on %s: %s", image_path, exc)
        return 0.0
    return 1.0 if rule["text"] in text else 0.0


def _as_png(path: str) -> str:
    """A PNG copy of images tesseract may not read (e.g. X11 window dumps PIL can open)."""
    try:
        with Image.open(path) as img:
            if img.format in ("PNG", "JPEG", "TIFF", "BMP"):
                return path
            out = f"{path}.ocr.png"
            img.convert("RGB").save(out)
            return out
    except OSError:
        return path
