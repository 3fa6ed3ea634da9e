"""Shared pieces of :mod:`helpers.data`: the :class:`Dataset` every loader returns, the two
errors, the decoded-array and plan records (``_Raw``, ``_Plan``), the content digest and
the small checks and path helpers the dataset files share.

May import: numpy and the standard library only (no other ``helpers.data`` module).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np


#: Class names of the digit datasets (MNIST, digits).
DIGIT_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))


class DataNotFoundError(FileNotFoundError):
    """A dataset's files are not where :func:`load_dataset` looked for them."""


class CorruptDataError(ValueError):
    """A dataset file exists but its content is not in the expected format."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A train/test dataset ready for the models.

    ``eq=False`` because element-wise array comparison has no single truth value;
    datasets compare by identity.

    Attributes
    ----------
    name : str
        The name passed to :func:`load_dataset`.
    X_train, X_test : numpy.ndarray
        float32 features in ``[0, 1]``: ``(N, D)`` for flat data, ``(N, C, H, W)`` for
        images.
    y_train, y_test : numpy.ndarray
        int64 labels in ``0..len(classes)-1``.
    classes : tuple of str
        Class names; label ``i`` means ``classes[i]``.
    source : str
        Human-readable description of where the data came from; a path in it is written
        relative to the data root (``<data root>/...``), never as an absolute path.
    variant : str
        Which copy of the data it is: ``mnist-idx``, ``cifar10-original`` (the official
        python batches), ``cifar10-batches-modified`` (python batches whose checksum
        differs), ``cifar10-jpeg`` (the lossy JPEG image-folder copy), ``cifar10-folder``
        (a lossless image-folder copy), ``image-folder``, ``sklearn-digits``; ``unknown``
        for datasets built by hand.
    digest : str
        SHA-256 of the decoded arrays (:func:`array_digest`); computed from the arrays
        when not given. Two datasets with the same digest hold the same pixels and labels.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]
    source: str
    variant: str = "unknown"
    digest: str = ""

    def __post_init__(self) -> None:
        # Checked once here so every consumer can rely on the documented contract.
        for split, X, y in (("train", self.X_train, self.y_train), ("test", self.X_test, self.y_test)):
            if X.dtype != np.float32:
                raise ValueError(f"X_{split} must be float32, got {X.dtype}")
            if y.dtype != np.int64 or y.ndim != 1:
                raise ValueError(f"y_{split} must be a 1-D int64 array, got {y.dtype} {y.shape}")
            if X.ndim < 2 or len(X) != len(y):
                raise ValueError(f"X_{split} {X.shape} does not match y_{split} {y.shape}")
            if len(y) and (y.min() < 0 or y.max() >= len(self.classes)):
                raise ValueError(f"y_{split} has labels outside 0..{len(self.classes) - 1}")
        if self.X_train.shape[1:] != self.X_test.shape[1:]:
            raise ValueError(f"train features {self.X_train.shape[1:]} != test features {self.X_test.shape[1:]}")

    @property
    def n_classes(self) -> int:
        """Return the number of classes."""
        return len(self.classes)

    @property
    def identity(self) -> dict[str, str]:
        """Return ``{"variant": ..., "digest": ...}``: what a finished run's data must match.

        The digest is computed from the arrays (once) when it was not given.
        """
        if not self.digest:
            object.__setattr__(self, "digest", array_digest(self.X_train, self.y_train, self.X_test, self.y_test,
                                                           self.classes))
        return {"variant": self.variant, "digest": self.digest}

    def __repr__(self) -> str:
        # The default repr would print four (truncated) arrays; shapes say more.
        return (
            f"Dataset(name={self.name!r}, X_train={self.X_train.shape}, X_test={self.X_test.shape}, "
            f"n_classes={self.n_classes}, source={self.source!r})"
        )


class _Raw(NamedTuple):
    """Decoded uint8 pixels and labels: what the cache stores."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    classes: tuple[str, ...]


class _Plan(NamedTuple):
    """A located, cheaply checked source: its files, description, variant and decoder."""

    base: Path
    files: tuple[str, ...]  # relative to ``base``; their bytes key the cache
    source: str
    decode: Callable[[], _Raw]
    variant: str


def array_digest(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
                 classes: Sequence[str]) -> str:
    """Return a SHA-256 digest of a dataset's arrays and class names.

    Each array contributes its dtype, shape and bytes (C order), so the same pixels give
    the same digest on every machine.

    Returns
    -------
    str
        A hex digest.
    """
    digest = hashlib.sha256()
    for array in (X_train, y_train, X_test, y_test):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.data)
    digest.update("\0".join(classes).encode())
    return digest.hexdigest()


# ------------------------------------------------------------------------------ shared


def _check_raw(raw: _Raw, what: str) -> None:
    """Check decoded arrays for the invariants the cache and Dataset rely on."""
    for split, X, y in (("train", raw.X_train, raw.y_train), ("test", raw.X_test, raw.y_test)):
        if X.dtype != np.uint8 or X.ndim < 2 or len(X) == 0:
            raise CorruptDataError(f"{what}: {split} pixels must be a non-empty uint8 array, got {X.dtype} {X.shape}")
        if y.shape != (len(X),):
            raise CorruptDataError(f"{what}: {len(X)} {split} images but labels of shape {y.shape}")
        if y.min() < 0 or y.max() >= len(raw.classes):
            raise CorruptDataError(f"{what}: {split} labels outside 0..{len(raw.classes) - 1}")
    if raw.X_train.shape[1:] != raw.X_test.shape[1:]:
        raise CorruptDataError(f"{what}: train images {raw.X_train.shape[1:]} differ from test {raw.X_test.shape[1:]}")


def _to_unit_float(pixels: np.ndarray) -> np.ndarray:
    """Return uint8 pixels as a new float32 array scaled to [0, 1]."""
    out = np.empty(pixels.shape, dtype=np.float32)
    np.divide(pixels, np.float32(255), out=out, dtype=np.float32)
    return out


def _relative(path: str, base: Path) -> str:
    """Return ``path`` relative to ``base`` with ``/`` separators (string ops: fast)."""
    prefix = os.path.join(str(base), "")
    if not path.startswith(prefix):
        raise ValueError(f"{path} is not inside {base}")
    return path[len(prefix) :].replace(os.sep, "/")


def _root_origin(root_given: bool) -> str:
    if root_given:
        return "the root argument"
    value = os.environ.get("AL_DATA_DIR", "").strip()
    return f"AL_DATA_DIR={value}" if value else "AL_DATA_DIR is not set, so the default data directory"
