"""Tests of helpers.data.cache: the decoding cache.

Nothing here reads the real data directory or touches the network: the autouse fixture
``isolated`` (:mod:`data_files`) points AL_DATA_DIR and AL_CACHE_DIR at temporary folders
and makes any torchvision download fail loudly.
"""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from PIL import Image

from helpers import data
from helpers.data import load_dataset
from data_files import cache_files, isolated, to_uint8, write_image_folder, write_mnist  # noqa: F401  (isolated: autouse)


# ------------------------------------------------------------------------------- cache


def _fail(*args, **kwargs):
    raise AssertionError("decoder called although the cache should be used")


def test_cache_is_reused(tmp_path, isolated, monkeypatch):
    write_image_folder(tmp_path / "img", ("a", "b"))
    write_mnist(tmp_path)
    first_images = load_dataset("image_folder", tmp_path / "img")
    first_mnist = load_dataset("mnist", tmp_path)
    monkeypatch.setattr(data.image_folder, "_decode_images", _fail)
    monkeypatch.setattr(data.mnist, "_read_idx_gz", _fail)
    again = load_dataset("image_folder", tmp_path / "img")
    np.testing.assert_array_equal(again.X_train, first_images.X_train)
    np.testing.assert_array_equal(again.y_test, first_images.y_test)
    assert again.classes == first_images.classes and again.source == first_images.source
    np.testing.assert_array_equal(load_dataset("mnist", tmp_path).X_test, first_mnist.X_test)
    # cache=False really decodes.
    with pytest.raises(AssertionError, match="decoder called"):
        load_dataset("image_folder", tmp_path / "img", cache=False)


def test_cache_not_written_when_disabled(tmp_path, isolated):
    write_image_folder(tmp_path, ("a", "b"))
    load_dataset("image_folder", tmp_path, cache=False)
    assert cache_files(isolated, "image_folder") == []


def test_cache_key_follows_content_not_location(tmp_path, isolated, monkeypatch):
    write_image_folder(tmp_path / "one", ("a", "b"))
    before = load_dataset("image_folder", tmp_path / "one")
    changed = tmp_path / "one" / "train" / "a" / "0000.png"
    new_pixels = np.full((8, 8, 3), 7, np.uint8)
    Image.fromarray(new_pixels).save(changed)
    after = load_dataset("image_folder", tmp_path / "one")
    assert len(cache_files(isolated, "image_folder")) == 2
    np.testing.assert_array_equal(to_uint8(after.X_train[0]), new_pixels.transpose(2, 0, 1))
    np.testing.assert_array_equal(after.X_train[1:], before.X_train[1:])
    # The same files elsewhere hit the same cache entry (relative paths are hashed).
    shutil.copytree(tmp_path / "one", tmp_path / "two")
    monkeypatch.setattr(data.image_folder, "_decode_images", _fail)
    moved = load_dataset("image_folder", tmp_path / "two")
    assert moved.source == "image folder <data root> (PNG)"
    assert moved.identity == after.identity != before.identity
    assert len(cache_files(isolated, "image_folder")) == 2


def test_broken_cache_file_is_ignored_and_rewritten(tmp_path, isolated):
    write_mnist(tmp_path)
    expected = load_dataset("mnist", tmp_path)
    (cache_file,) = cache_files(isolated, "mnist")
    cache_file.write_bytes(cache_file.read_bytes()[:1000])
    with pytest.warns(UserWarning, match="unreadable cache"):
        ds = load_dataset("mnist", tmp_path)
    np.testing.assert_array_equal(ds.X_train, expected.X_train)
    with np.load(cache_file) as npz:
        assert npz["X_train"].shape == (20, 784)


def test_interrupted_cache_write_leaves_no_file(tmp_path, isolated, monkeypatch):
    write_mnist(tmp_path)

    def broken_savez(fh, **arrays):
        fh.write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.warns(UserWarning, match="disk full"):
        ds = load_dataset("mnist", tmp_path)
    assert ds.X_train.shape == (20, 784)
    assert list(isolated.iterdir()) == []


def test_unwritable_cache_dir_is_skipped(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("AL_CACHE_DIR", str(blocker / "cache"))
    write_mnist(tmp_path)
    with pytest.warns(UserWarning, match="continuing without the cache"):
        ds = load_dataset("mnist", tmp_path)
    assert ds.X_test.shape == (10, 784)


def test_cache_file_respects_the_umask(tmp_path):
    raw = data.base._Raw(np.zeros((2, 3), np.uint8), np.zeros(2, np.int64), np.zeros((1, 3), np.uint8),
                    np.zeros(1, np.int64), ("0", "1"))
    path = tmp_path / "cache" / "arrays.npz"
    previous = os.umask(0o022)
    try:
        data.cache._write_cache(path, raw)
    finally:
        os.umask(previous)
    assert os.stat(path).st_mode & 0o777 == 0o644
