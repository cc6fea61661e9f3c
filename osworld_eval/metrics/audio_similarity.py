"""`compare_audios`: how alike two recordings sound, as a score in (0, 1].

What a task needs: the agent extracts or converts a soundtrack; the saved file must sound like the
gold one even when it was re-encoded, resampled or trimmed slightly. So the comparison is of
timbre over time, not of bytes: each file is decoded to mono at one sample rate, described frame
by frame by its MFCCs (each coefficient scaled to a peak of 1 across the file, so loudness does
not matter), the two frame sequences are aligned by dynamic time warping with cosine distance,
and the mean distance d along the best alignment becomes the score 1 / (1 + d): 1.0 for the same
sound, lower as they differ. Two empty files are alike (1.0); one empty file scores 0.

librosa is imported on first use only (it is large and pulls numba).
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

SAMPLE_RATE = 22_050


def _features(path: str) -> object:
    import librosa

    samples, rate = librosa.load(path, sr=SAMPLE_RATE, mono=True)
    if samples.size == 0:
        return None
    mfcc = librosa.feature.mfcc(y=samples, sr=rate)
    return librosa.util.normalize(mfcc, axis=1)


def similarity(a: object, b: object) -> float:
    """1 / (1 + mean cosine distance along the DTW path of two MFCC matrices; None is silence)."""
    import librosa

    if a is None or b is None:
        return 1.0 if a is None and b is None else 0.0
    cost, path = librosa.sequence.dtw(X=np.asarray(a), Y=np.asarray(b), metric="cosine")
    mean = float(cost[-1, -1]) / len(path)
    return 1.0 / (1.0 + mean)


def compare_audios(result: str | None, expected: str | None) -> float:
    """Similarity of the agent's audio file to the gold one; 0 when the agent made none."""
    if not result:
        return 0.0
    if not expected:
        raise ValueError("compare_audios: no expected audio file")
    try:
        mine = _features(result)
    except Exception as exc:  # not decodable audio: a wrong answer, not our failure
        logger.info("compare_audios: cannot decode %s: %s", result, exc)
        return 0.0
    return similarity(mine, _features(expected))
