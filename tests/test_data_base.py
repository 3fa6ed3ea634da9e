"""Tests of helpers.data.base: the Dataset record and its identity.

Nothing here reads the real data directory or touches the network: the autouse fixture
``isolated`` (:mod:`data_files`) points AL_DATA_DIR and AL_CACHE_DIR at temporary folders
and makes any torchvision download fail loudly.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from helpers.data import Dataset, load_dataset
from data_files import isolated, write_mnist  # noqa: F401  (isolated: autouse)


def test_dataset_is_frozen_and_validated():
    ds = load_dataset("digits")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ds.name = "other"  # type: ignore[misc]
    fields = dict(
        name="x",
        X_train=np.zeros((2, 3), np.float32),
        y_train=np.zeros(2, np.int64),
        X_test=np.zeros((1, 3), np.float32),
        y_test=np.zeros(1, np.int64),
        classes=("a",),
        source="test",
    )
    Dataset(**fields)
    with pytest.raises(ValueError, match="float32"):
        Dataset(**{**fields, "X_train": np.zeros((2, 3))})
    with pytest.raises(ValueError, match="int64"):
        Dataset(**{**fields, "y_test": np.zeros(1, np.int32)})
    with pytest.raises(ValueError, match="labels outside"):
        Dataset(**{**fields, "y_train": np.array([0, 1])})
    with pytest.raises(ValueError, match="does not match"):
        Dataset(**{**fields, "y_train": np.zeros(3, np.int64)})
    assert "X_train=(2, 3)" in repr(Dataset(**fields))


def test_identity_is_the_decoded_content(tmp_path, isolated):
    """The digest is the same from the cache and from the files, and changes with one pixel."""
    arrays = write_mnist(tmp_path)
    fresh = load_dataset("mnist", tmp_path, cache=False)
    cached = load_dataset("mnist", tmp_path)
    again = load_dataset("mnist", tmp_path)  # read back from the cache
    assert fresh.identity == cached.identity == again.identity
    assert fresh.identity["variant"] == "mnist-idx"
    changed = dict(arrays)
    changed["train", "images"] = arrays["train", "images"].copy()
    changed["train", "images"][0, 0, 0] ^= 1
    other = tmp_path / "other"
    write_mnist(other, arrays=changed)
    assert load_dataset("mnist", other, cache=False).identity["digest"] != fresh.identity["digest"]


def test_identity_of_a_hand_built_dataset_is_computed():
    ds = load_dataset("digits")
    assert ds.variant == "sklearn-digits"
    built = Dataset(name="x", X_train=ds.X_train, y_train=ds.y_train, X_test=ds.X_test, y_test=ds.y_test,
                    classes=ds.classes, source="by hand")
    assert built.identity["variant"] == "unknown" and built.identity["digest"] == ds.identity["digest"]
