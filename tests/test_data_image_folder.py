"""Tests of helpers.data.image_folder on tiny image files.

Nothing here reads the real data directory or touches the network: the autouse fixture
``isolated`` (:mod:`data_files`) points AL_DATA_DIR and AL_CACHE_DIR at temporary folders
and makes any torchvision download fail loudly.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from helpers.data import CorruptDataError, DataNotFoundError, load_dataset
from data_files import cache_files, isolated, to_uint8, write_image_folder  # noqa: F401  (isolated: autouse)


# ------------------------------------------------------------------------ image folder


def test_image_folder_png_round_trip(tmp_path, isolated):
    classes = ("circle", "square", "triangle")
    written = write_image_folder(tmp_path, classes, n_train=3, n_test=2)
    ds = load_dataset("image_folder", tmp_path)
    assert ds.X_train.shape == (9, 3, 8, 8) and ds.X_test.shape == (6, 3, 8, 8)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.classes == classes
    np.testing.assert_array_equal(ds.y_train, [0, 0, 0, 1, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(ds.y_test, [0, 0, 1, 1, 2, 2])
    train_keys = sorted(k for k in written if k.startswith("train/"))
    expected = np.stack([written[k].transpose(2, 0, 1) for k in train_keys])
    np.testing.assert_array_equal(to_uint8(ds.X_train), expected)
    assert ds.source == "image folder <data root> (PNG)" and ds.variant == "image-folder"
    assert len(cache_files(isolated, "image_folder")) == 1


def test_image_folder_mixed_formats_and_grayscale(tmp_path):
    write_image_folder(tmp_path, ("a", "b"), ext=(".png", ".jpg"))
    gray = np.arange(64, dtype=np.uint8).reshape(8, 8)
    Image.fromarray(gray, mode="L").save(tmp_path / "test" / "a" / "gray.png")
    ds = load_dataset("image_folder", tmp_path)
    assert "mixed JPEG/PNG" in ds.source
    # Grayscale becomes RGB with three equal channels; it sorts after 0000.png in class a.
    np.testing.assert_array_equal(to_uint8(ds.X_test[1]), np.stack([gray] * 3))


def test_image_folder_class_mismatch(tmp_path):
    write_image_folder(tmp_path, ("a", "b"))
    write_image_folder(tmp_path, ("c",), n_train=0)
    with pytest.raises(CorruptDataError, match="same class folders.*only in test/: c"):
        load_dataset("image_folder", tmp_path)


def test_image_folder_unreadable_image(tmp_path):
    write_image_folder(tmp_path, ("a", "b"))
    bad = tmp_path / "train" / "b" / "0001.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(CorruptDataError, match="0001.png"):
        load_dataset("image_folder", tmp_path)


def test_image_folder_truncated_jpeg(tmp_path):
    write_image_folder(tmp_path, ("a", "b"), size=32, ext=".jpg")
    bad = tmp_path / "test" / "a" / "0000.jpg"
    bad.write_bytes(bad.read_bytes()[:200])
    with pytest.raises(CorruptDataError, match=str(bad)):
        load_dataset("image_folder", tmp_path)


def test_image_folder_mixed_sizes(tmp_path):
    write_image_folder(tmp_path, ("a", "b"))
    odd = tmp_path / "test" / "b" / "0000.png"
    Image.fromarray(np.zeros((9, 8, 3), np.uint8)).save(odd)
    with pytest.raises(CorruptDataError) as info:
        load_dataset("image_folder", tmp_path)
    assert str(odd) in str(info.value) and "same size" in str(info.value)


def test_image_folder_missing_or_empty(tmp_path, monkeypatch):
    with pytest.raises(DataNotFoundError, match="AL_DATA_DIR"):
        load_dataset("image_folder", tmp_path / "nothing")
    # The default root is AL_DATA_DIR itself.
    monkeypatch.setenv("AL_DATA_DIR", str(tmp_path / "via-env"))
    with pytest.raises(DataNotFoundError, match="via-env"):
        load_dataset("image_folder")
    write_image_folder(tmp_path / "empty-class", ("a",))
    (tmp_path / "empty-class" / "train" / "b").mkdir()
    (tmp_path / "empty-class" / "test" / "b").mkdir()
    with pytest.raises(DataNotFoundError):
        load_dataset("image_folder", tmp_path / "empty-class")
