"""Tests of helpers.data.digits.

Nothing here reads the real data directory or touches the network: the autouse fixture
``isolated`` (:mod:`data_files`) points AL_DATA_DIR and AL_CACHE_DIR at temporary folders
and makes any torchvision download fail loudly.
"""

from __future__ import annotations

import numpy as np

from helpers.data import load_dataset
from data_files import cache_files, isolated  # noqa: F401  (isolated: autouse)


def test_digits(isolated):
    ds = load_dataset("digits")
    assert ds.X_train.shape == (1347, 64) and ds.X_test.shape == (450, 64)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert 0.0 <= ds.X_train.min() and ds.X_train.max() == 1.0
    assert ds.classes == tuple(str(d) for d in range(10))
    # Stratified: every class keeps its share in the test split.
    totals = np.bincount(np.concatenate([ds.y_train, ds.y_test]), minlength=10)
    assert np.all(np.abs(np.bincount(ds.y_test, minlength=10) - totals * 0.25) <= 1)
    again = load_dataset("digits")
    np.testing.assert_array_equal(ds.X_train, again.X_train)
    np.testing.assert_array_equal(ds.y_test, again.y_test)
    assert cache_files(isolated, "digits") == []
