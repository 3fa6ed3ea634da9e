"""Tests of helpers.data.registry: the names :func:`load_dataset` accepts.

Nothing here reads the real data directory or touches the network: the autouse fixture
``isolated`` (:mod:`data_files`) points AL_DATA_DIR and AL_CACHE_DIR at temporary folders
and makes any torchvision download fail loudly.
"""

from __future__ import annotations

import pytest

from helpers.data import DATASETS, load_dataset
from data_files import isolated  # noqa: F401  (autouse)


# ---------------------------------------------------------------------------- general


def test_dataset_names():
    assert DATASETS == ("mnist", "cifar10", "digits", "image_folder")


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        load_dataset("fashion")
    for name in DATASETS:
        assert name in str(info.value)
