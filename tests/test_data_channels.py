"""Tests of helpers.data.channels: channel statistics and normalisation.

Nothing here reads the real data directory or touches the network: the autouse fixture
``isolated`` (:mod:`data_files`) points AL_DATA_DIR and AL_CACHE_DIR at temporary folders
and makes any torchvision download fail loudly.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.data import channel_stats, normalize_channels
from data_files import RNG_SEED, isolated  # noqa: F401  (isolated: autouse)


# ----------------------------------------------------------------------- preprocessing


def test_channel_stats_matches_numpy():
    rng = np.random.default_rng(RNG_SEED)
    X = rng.random((37, 3, 5, 4), dtype=np.float32) * np.array([1, 2, 3], np.float32)[None, :, None, None]
    mean, std = channel_stats(X, chunk=8)  # several chunks, the last one partial
    assert mean.dtype == np.float32 and std.dtype == np.float32 and mean.shape == (3,)
    np.testing.assert_allclose(mean, X.astype(np.float64).mean(axis=(0, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(std, X.astype(np.float64).std(axis=(0, 2, 3)), rtol=1e-6)


def test_normalize_channels():
    rng = np.random.default_rng(RNG_SEED)
    X = rng.random((50, 3, 4, 4), dtype=np.float32)
    mean, std = channel_stats(X)
    Z = normalize_channels(X, mean, std)
    assert Z.dtype == np.float32 and Z.shape == X.shape and Z is not X
    np.testing.assert_allclose(Z.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(Z.std(axis=(0, 2, 3)), 1, atol=1e-4)
    np.testing.assert_allclose(Z[3, 1], (X[3, 1] - mean[1]) / std[1], rtol=1e-6)


def test_preprocessing_rejects_bad_input():
    X = np.zeros((4, 3, 2, 2), np.float32)
    with pytest.raises(ValueError):
        channel_stats(X.reshape(4, 12))
    with pytest.raises(ValueError):
        channel_stats(X[:0])
    with pytest.raises(ValueError, match="positive"):
        normalize_channels(X, np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        normalize_channels(X, np.zeros(2), np.ones(2))
