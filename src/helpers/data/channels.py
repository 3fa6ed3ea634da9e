"""Per-channel image statistics: :func:`channel_stats` on the training pool and
:func:`normalize_channels` with them (images are not normalised at load time).

May import: numpy only.
"""

from __future__ import annotations

import numpy as np


def channel_stats(X: np.ndarray, *, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Compute the per-channel mean and standard deviation of an image array.

    Parameters
    ----------
    X : numpy.ndarray
        Images of shape ``(N, C, H, W)``; pass the training pool only.
    chunk : int, default 4096
        Images per step; the float64 work arrays never exceed one chunk.

    Returns
    -------
    mean, std : numpy.ndarray
        float32 arrays of shape ``(C,)``: the mean and the population standard deviation
        (``ddof=0``) over axes ``(0, 2, 3)``, computed in float64.
    """
    X = np.asarray(X)
    if X.ndim != 4 or X.shape[0] == 0:
        raise ValueError(f"channel_stats expects a non-empty (N, C, H, W) array, got shape {X.shape}")
    n, c, h, w = X.shape
    count = n * h * w
    # Chunked two-pass computation: a whole-array float64 temporary for CIFAR-10 would
    # take over 1 GB, and one pass with sum of squares loses precision.
    total = np.zeros(c, dtype=np.float64)
    for start in range(0, n, chunk):
        total += X[start : start + chunk].sum(axis=(0, 2, 3), dtype=np.float64)
    mean = total / count
    squares = np.zeros(c, dtype=np.float64)
    for start in range(0, n, chunk):
        dev = X[start : start + chunk].astype(np.float64) - mean[None, :, None, None]
        squares += np.einsum("nchw,nchw->c", dev, dev)
    std = np.sqrt(squares / count)
    return mean.astype(np.float32), std.astype(np.float32)


def normalize_channels(X: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Standardise each channel of an image array.

    Parameters
    ----------
    X : numpy.ndarray
        Images of shape ``(N, C, H, W)``.
    mean, std : numpy.ndarray
        Per-channel statistics of shape ``(C,)``, usually from :func:`channel_stats` on
        the training pool.

    Returns
    -------
    numpy.ndarray
        A new float32 array ``(X - mean[:, None, None]) / std[:, None, None]``.
    """
    X = np.asarray(X)
    mean = np.asarray(mean, dtype=np.float32)
    std = np.asarray(std, dtype=np.float32)
    if X.ndim != 4:
        raise ValueError(f"normalize_channels expects an (N, C, H, W) array, got shape {X.shape}")
    if mean.shape != (X.shape[1],) or std.shape != (X.shape[1],):
        raise ValueError(f"mean {mean.shape} and std {std.shape} must have shape ({X.shape[1]},)")
    if not (np.all(np.isfinite(std)) and np.all(std > 0)):
        raise ValueError(f"std must be finite and positive, got {std}")
    # One float32 allocation: subtract into the output, then divide in place.
    out = np.subtract(X, mean[:, None, None], dtype=np.float32)
    out /= std[:, None, None]
    return out
