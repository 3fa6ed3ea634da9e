"""``"digits"``: scikit-learn's bundled 8x8 digits, a tiny offline dataset for smoke runs
and tests (loaded directly, never cached).

May import: :mod:`helpers.data.base`, numpy and scikit-learn.
"""

from __future__ import annotations

import numpy as np

from helpers.data.base import DIGIT_CLASSES, Dataset


# ------------------------------------------------------------------------------ digits


def _load_digits() -> Dataset:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    X = (bunch.data / 16.0).astype(np.float32)  # pixel values are 0..16
    y = bunch.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    return Dataset(
        name="digits",
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        classes=DIGIT_CLASSES,
        source="scikit-learn load_digits (bundled 8x8 digits); stratified 75/25 split, random_state=0",
        variant="sklearn-digits",
    )
