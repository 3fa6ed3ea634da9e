"""Tests of helpers.data on tiny files written here in the real on-disk formats.

Nothing here reads the real data directory or touches the network: an autouse fixture
points AL_DATA_DIR and AL_CACHE_DIR at temporary folders and makes any torchvision
download fail loudly.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import pickle
import shutil
import struct
from collections import OrderedDict
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
from PIL import Image

import torchvision.datasets.cifar
import torchvision.datasets.mnist
from helpers import data
from helpers.data import (
    CIFAR10_CLASSES,
    DATASETS,
    CorruptDataError,
    DataNotFoundError,
    Dataset,
    channel_stats,
    load_dataset,
    normalize_channels,
)

RNG_SEED = 1234


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Point every setting at tmp_path and forbid downloads."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("AL_CACHE_DIR", str(cache))
    monkeypatch.setenv("AL_DATA_DIR", str(tmp_path / "no-data-here"))

    def no_download(*args, **kwargs):
        raise AssertionError(f"a test tried to download: {args} {kwargs}")

    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", no_download)
    monkeypatch.setattr(torchvision.datasets.cifar, "download_and_extract_archive", no_download)
    return cache


def cache_files(cache: Path, name: str) -> list[Path]:
    return sorted(cache.glob(f"{name}-*.npz")) if cache.is_dir() else []


# ---------------------------------------------------------------------- MNIST writers


def idx_bytes(array: np.ndarray, dtype_code: int = 0x08) -> bytes:
    header = struct.pack(">BBBB", 0, 0, dtype_code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(">u1").tobytes()


MNIST_PARTS = {
    "train-images-idx3-ubyte": ("train", "images"),
    "train-labels-idx1-ubyte": ("train", "labels"),
    "t10k-images-idx3-ubyte": ("test", "images"),
    "t10k-labels-idx1-ubyte": ("test", "labels"),
}


def mnist_arrays(n_train: int = 20, n_test: int = 10) -> dict[tuple[str, str], np.ndarray]:
    rng = np.random.default_rng(RNG_SEED)
    return {
        ("train", "images"): rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        ("train", "labels"): (np.arange(n_train) % 10).astype(np.uint8),
        ("test", "images"): rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        ("test", "labels"): (np.arange(n_test)[::-1] % 10).astype(np.uint8),
    }


def write_mnist(root: Path, *, gz: bool = True, raw: bool = False, arrays=None) -> dict:
    """Write MNIST IDX files under root/MNIST/raw; return the arrays written."""
    arrays = arrays or mnist_arrays()
    raw_dir = root / "MNIST" / "raw"
    raw_dir.mkdir(parents=True, exist_ok=True)
    for name, key in MNIST_PARTS.items():
        payload = idx_bytes(arrays[key])
        if gz:
            (raw_dir / f"{name}.gz").write_bytes(gzip.compress(payload))
        if raw:
            (raw_dir / name).write_bytes(payload)
    return arrays


# ---------------------------------------------------------------------- CIFAR writers


def cifar_batches(per_batch: int = 3, n_test: int = 4) -> dict[str, tuple[np.ndarray, list[int]]]:
    rng = np.random.default_rng(RNG_SEED)
    batches = {}
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        n = n_test if name == "test_batch" else per_batch
        batches[name] = (rng.integers(0, 256, (n, 3072), dtype=np.uint8), [(i + j) % 10 for j in range(n)])
    return batches


def write_cifar(root: Path, *, key_type=bytes, protocol: int = 2, batches=None, label_names=CIFAR10_CLASSES) -> dict:
    """Write CIFAR-10 python batches (dicts of data/labels, as in the release)."""
    batches = batches or cifar_batches()
    key = (lambda s: s.encode()) if key_type is bytes else (lambda s: s)
    out = root / "cifar-10-batches-py"
    out.mkdir(parents=True, exist_ok=True)
    for name, (pixels, labels) in batches.items():
        entry = {
            key("batch_label"): key(f"{name} of 6"),
            key("data"): pixels,
            key("labels"): labels,
            key("filenames"): [key(f"img_{j}.png") for j in range(len(labels))],
        }
        with open(out / name, "wb") as fh:
            pickle.dump(entry, fh, protocol=protocol)
    meta = {key("label_names"): [key(c) for c in label_names], key("num_cases_per_batch"): 3, key("num_vis"): 3072}
    with open(out / "batches.meta", "wb") as fh:
        pickle.dump(meta, fh, protocol=protocol)
    return batches


# ----------------------------------------------------------------------- image writers


def smooth_image(seed: int, size: int) -> np.ndarray:
    """A smooth RGB image (JPEG keeps it close to the original)."""
    yy, xx = np.mgrid[0:size, 0:size] / max(size - 1, 1)
    base = np.stack([xx, yy, (xx + yy) / 2], axis=-1)
    shift = np.array([(seed * 37) % 97, (seed * 59) % 89, (seed * 13) % 71]) / 255
    return np.clip((0.6 * base + shift) * 255, 0, 255).astype(np.uint8)


def write_image_folder(root: Path, classes, *, n_train: int = 2, n_test: int = 1, size: int = 8, ext=".png") -> dict:
    """Write root/{train,test}/<class>/<k><ext>; return {relative path: pixels}."""
    rng = np.random.default_rng(RNG_SEED)
    written = {}
    for split, n in (("train", n_train), ("test", n_test)):
        for c_index, cls in enumerate(classes):
            folder = root / split / cls
            for k in range(n):
                folder.mkdir(parents=True, exist_ok=True)
                suffix = ext[(c_index + k) % len(ext)] if isinstance(ext, tuple) else ext
                if suffix == ".png":
                    pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
                else:
                    pixels = smooth_image(c_index * 10 + k, size)
                path = folder / f"{k:04d}{suffix}"
                Image.fromarray(pixels).save(path, quality=95) if suffix != ".png" else Image.fromarray(pixels).save(path)
                written[f"{split}/{cls}/{path.name}"] = pixels
    return written


def to_uint8(X: np.ndarray) -> np.ndarray:
    return np.rint(X * 255).astype(np.uint8)


# ---------------------------------------------------------------------------- general


def test_dataset_names():
    assert DATASETS == ("mnist", "cifar10", "digits", "image_folder")


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        load_dataset("fashion")
    for name in DATASETS:
        assert name in str(info.value)


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


# ------------------------------------------------------------------------------ MNIST


def test_mnist_from_gzip_files(tmp_path, isolated):
    arrays = write_mnist(tmp_path)
    ds = load_dataset("mnist", tmp_path)
    assert ds.X_train.shape == (20, 784) and ds.X_test.shape == (10, 784)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert 0.0 <= ds.X_train.min() and ds.X_train.max() <= 1.0
    np.testing.assert_array_equal(to_uint8(ds.X_train), arrays["train", "images"].reshape(20, 784))
    np.testing.assert_array_equal(to_uint8(ds.X_test), arrays["test", "images"].reshape(10, 784))
    np.testing.assert_array_equal(ds.y_train, arrays["train", "labels"])
    np.testing.assert_array_equal(ds.y_test, arrays["test", "labels"])
    assert ds.classes == tuple(str(d) for d in range(10))
    assert "gzip" in ds.source and "<data root>/MNIST/raw" in ds.source and str(tmp_path) not in ds.source
    assert ds.variant == "mnist-idx" and len(ds.digest) == 64
    assert len(cache_files(isolated, "mnist")) == 1


def test_mnist_uncompressed_files_through_torchvision(tmp_path):
    arrays = write_mnist(tmp_path, gz=False, raw=True)
    ds = load_dataset("mnist", tmp_path, cache=False)
    assert "torchvision MNIST" in ds.source
    np.testing.assert_array_equal(to_uint8(ds.X_train), arrays["train", "images"].reshape(20, 784))
    np.testing.assert_array_equal(ds.y_test, arrays["test", "labels"])
    # Both variants present: the uncompressed files (torchvision's input) win, same values.
    write_mnist(tmp_path, gz=True, raw=False, arrays=arrays)
    both = load_dataset("mnist", tmp_path, cache=False)
    assert "torchvision MNIST" in both.source
    np.testing.assert_array_equal(both.X_test, ds.X_test)


def test_mnist_honours_al_data_dir(tmp_path, monkeypatch):
    root = tmp_path / "elsewhere"
    arrays = write_mnist(root)
    monkeypatch.setenv("AL_DATA_DIR", str(root))
    ds = load_dataset("mnist")
    assert "<data root>" in ds.source and str(root) not in ds.source
    np.testing.assert_array_equal(ds.y_train, arrays["train", "labels"])


def test_mnist_missing_names_setting_and_files(tmp_path, monkeypatch):
    monkeypatch.setenv("AL_DATA_DIR", str(tmp_path / "empty"))
    with pytest.raises(DataNotFoundError) as info:
        load_dataset("mnist")
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert "AL_DATA_DIR" in message and str(tmp_path / "empty" / "MNIST" / "raw") in message
    for name in MNIST_PARTS:
        assert name in message
    assert "download=True" in message


def test_mnist_incomplete_gzip_set_is_missing(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_dataset("mnist", tmp_path)


def _truncated_gzip(raw_dir: Path) -> str:
    path = raw_dir / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-200])
    return path.name


def _short_body(raw_dir: Path) -> str:
    # A valid gzip stream whose IDX body is one image short of its header.
    images = mnist_arrays()["train", "images"]
    payload = idx_bytes(images)[: -28 * 28]
    (raw_dir / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(payload))
    return "train-images-idx3-ubyte.gz"


def _bad_magic(raw_dir: Path) -> str:
    payload = bytearray(idx_bytes(mnist_arrays()["test", "labels"]))
    payload[0] = 7
    (raw_dir / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(payload)))
    return "t10k-labels-idx1-ubyte.gz"


def _bad_dtype(raw_dir: Path) -> str:
    payload = idx_bytes(mnist_arrays()["train", "labels"], dtype_code=0x0D)
    (raw_dir / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(payload))
    return "train-labels-idx1-ubyte.gz"


def _bad_ndim(raw_dir: Path) -> str:
    payload = idx_bytes(mnist_arrays()["test", "images"].reshape(10, 784))
    (raw_dir / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(payload))
    return "t10k-images-idx3-ubyte.gz"


def _not_gzip(raw_dir: Path) -> str:
    (raw_dir / "train-labels-idx1-ubyte.gz").write_bytes(idx_bytes(mnist_arrays()["train", "labels"]))
    return "train-labels-idx1-ubyte.gz"


def _label_count(raw_dir: Path) -> str:
    labels = mnist_arrays()["train", "labels"][:-1]
    (raw_dir / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    return "MNIST train"


def _label_range(raw_dir: Path) -> str:
    labels = mnist_arrays()["test", "labels"].copy()
    labels[0] = 10
    (raw_dir / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    return "label 10"


def _wrong_image_size(raw_dir: Path) -> str:
    images = np.zeros((20, 14, 14), np.uint8)
    (raw_dir / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images)))
    return "(N, 28, 28)"


@pytest.mark.parametrize(
    "corrupt",
    [_truncated_gzip, _short_body, _bad_magic, _bad_dtype, _bad_ndim, _not_gzip, _label_count, _label_range, _wrong_image_size],
)
def test_mnist_corrupt_gzip_idx(tmp_path, corrupt):
    write_mnist(tmp_path)
    expected = corrupt(tmp_path / "MNIST" / "raw")
    with pytest.raises(CorruptDataError) as info:
        load_dataset("mnist", tmp_path)
    assert expected in str(info.value)


def test_mnist_corrupt_uncompressed_checked_before_torchvision(tmp_path, monkeypatch):
    write_mnist(tmp_path, gz=False, raw=True)
    path = tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-5])

    def fail(*args, **kwargs):
        raise AssertionError("torchvision should not be reached")

    monkeypatch.setattr(data, "_torchvision_mnist", fail)
    with pytest.raises(CorruptDataError, match="t10k-images-idx3-ubyte"):
        load_dataset("mnist", tmp_path)


def test_mnist_download_is_passed_to_torchvision(tmp_path, monkeypatch):
    arrays = mnist_arrays()
    calls = []

    def fake_download(url, download_root, extract_root=None, filename=None, md5=None, remove_finished=False):
        # Stands in for the network: writes the .gz and extracts it, as torchvision would.
        calls.append(filename)
        name = filename[: -len(".gz")]
        payload = idx_bytes(arrays[MNIST_PARTS[name]])
        Path(download_root).mkdir(parents=True, exist_ok=True)
        (Path(download_root) / filename).write_bytes(gzip.compress(payload))
        (Path(download_root) / name).write_bytes(payload)

    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", fake_download)
    with pytest.raises(DataNotFoundError):
        load_dataset("mnist", tmp_path)
    assert calls == []
    ds = load_dataset("mnist", tmp_path, download=True)
    assert sorted(calls) == sorted(f"{n}.gz" for n in MNIST_PARTS)
    np.testing.assert_array_equal(ds.y_train, arrays["train", "labels"])


def test_mnist_failed_download_is_data_not_found(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise URLError("no network")

    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", offline)
    with pytest.raises(DataNotFoundError, match="Download failed"):
        load_dataset("mnist", tmp_path, download=True)


def _partial_then(error):
    """A stand-in for torchvision's downloader: leaves a partial file, then fails with ``error``."""

    def fake_download(url, download_root, extract_root=None, filename=None, md5=None, remove_finished=False):
        Path(download_root).mkdir(parents=True, exist_ok=True)
        (Path(download_root) / filename).write_bytes(b"\x1f\x8b partial")
        raise error

    return fake_download


@pytest.mark.parametrize("existing", ["nothing", "root", "raw folder with a note"])
def test_mnist_failed_download_leaves_the_data_root_as_it_was(tmp_path, monkeypatch, existing):
    root = tmp_path / "data"
    if existing != "nothing":
        root.mkdir()
        (root / "README.txt").write_text("keep me")
    if existing == "raw folder with a note":
        (root / "MNIST" / "raw").mkdir(parents=True)
        (root / "MNIST" / "raw" / "notes.txt").write_text("keep me too")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive",
                        _partial_then(URLError("connection refused")))
    with pytest.raises(DataNotFoundError, match="Download failed"):
        load_dataset("mnist", root, download=True)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_interrupted_download_removes_its_partial_files(tmp_path, monkeypatch):
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setattr(torchvision.datasets.cifar, "download_and_extract_archive",
                        _partial_then(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        load_dataset("cifar10", root, download=True)
    assert list(root.iterdir()) == []


# --------------------------------------------------------------------------- CIFAR-10


@pytest.mark.parametrize("key_type,protocol", [(bytes, 2), (str, pickle.HIGHEST_PROTOCOL)])
def test_cifar10_pickle_batches(tmp_path, isolated, key_type, protocol):
    batches = write_cifar(tmp_path, key_type=key_type, protocol=protocol)
    ds = load_dataset("cifar10", tmp_path)
    assert ds.X_train.shape == (15, 3, 32, 32) and ds.X_test.shape == (4, 3, 32, 32)
    assert ds.X_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert 0.0 <= ds.X_train.min() and ds.X_train.max() <= 1.0
    expected = np.concatenate([batches[f"data_batch_{k}"][0] for k in range(1, 6)]).reshape(15, 3, 32, 32)
    np.testing.assert_array_equal(to_uint8(ds.X_train), expected)
    np.testing.assert_array_equal(to_uint8(ds.X_test), batches["test_batch"][0].reshape(4, 3, 32, 32))
    np.testing.assert_array_equal(ds.y_train, sum((batches[f"data_batch_{k}"][1] for k in range(1, 6)), []))
    np.testing.assert_array_equal(ds.y_test, batches["test_batch"][1])
    assert ds.classes == CIFAR10_CLASSES
    assert "md5 differs" in ds.source and "JPEG" not in ds.source
    assert ds.variant == "cifar10-batches-modified"
    assert len(cache_files(isolated, "cifar10")) == 1


@pytest.mark.filterwarnings("error::DeprecationWarning")
def test_cifar10_pickles_from_numpy_1(tmp_path):
    # The release was pickled by numpy 1.x, whose pickles name numpy.core.multiarray.
    batches = write_cifar(tmp_path)
    for path in (tmp_path / "cifar-10-batches-py").glob("*_batch*"):
        legacy = path.read_bytes().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
        assert b"numpy.core.multiarray" in legacy
        path.write_bytes(legacy)
    ds = load_dataset("cifar10", tmp_path, cache=False)
    np.testing.assert_array_equal(to_uint8(ds.X_test), batches["test_batch"][0].reshape(4, 3, 32, 32))


def test_cifar10_official_md5_goes_through_torchvision(tmp_path, monkeypatch):
    # Release files load with str keys (latin1), which is what torchvision indexes.
    batches = write_cifar(tmp_path, key_type=str)
    folder = tmp_path / "cifar-10-batches-py"
    md5 = {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    CIFAR10 = torchvision.datasets.cifar.CIFAR10
    monkeypatch.setattr(CIFAR10, "train_list", [[f"data_batch_{k}", md5[f"data_batch_{k}"]] for k in range(1, 6)])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5["batches.meta"]})
    ds = load_dataset("cifar10", tmp_path, cache=False)
    assert "torchvision CIFAR10" in ds.source and "md5 matches" in ds.source
    assert ds.variant == "cifar10-original"
    np.testing.assert_array_equal(to_uint8(ds.X_test), batches["test_batch"][0].reshape(4, 3, 32, 32))
    np.testing.assert_array_equal(ds.y_test, batches["test_batch"][1])


def _truncate_test_batch(folder: Path) -> str:
    path = folder / "test_batch"
    path.write_bytes(path.read_bytes()[:100])
    return "test_batch"


def _garbage_batch(folder: Path) -> str:
    (folder / "data_batch_3").write_bytes(b"this is not a pickle at all")
    return "data_batch_3"


def _wrong_row_length(folder: Path) -> str:
    with open(folder / "data_batch_2", "wb") as fh:
        pickle.dump({b"data": np.zeros((3, 100), np.uint8), b"labels": [0, 1, 2]}, fh, protocol=2)
    return "data_batch_2"


def _label_mismatch(folder: Path) -> str:
    with open(folder / "data_batch_1", "wb") as fh:
        pickle.dump({b"data": np.zeros((3, 3072), np.uint8), b"labels": [0, 1]}, fh, protocol=2)
    return "data_batch_1"


def _disallowed_global(folder: Path) -> str:
    # A pickle that needs anything beyond numpy arrays is refused, not executed.
    with open(folder / "data_batch_4", "wb") as fh:
        pickle.dump(OrderedDict(data=np.zeros((3, 3072), np.uint8), labels=[0, 1, 2]), fh, protocol=2)
    return "refusing to load collections.OrderedDict"


def _wrong_meta(folder: Path) -> str:
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({b"label_names": [b"a", b"b"]}, fh, protocol=2)
    return "batches.meta"


@pytest.mark.parametrize(
    "corrupt", [_truncate_test_batch, _garbage_batch, _wrong_row_length, _label_mismatch, _disallowed_global, _wrong_meta]
)
def test_cifar10_corrupt_pickle(tmp_path, corrupt):
    write_cifar(tmp_path)
    expected = corrupt(tmp_path / "cifar-10-batches-py")
    with pytest.raises(CorruptDataError) as info:
        load_dataset("cifar10", tmp_path)
    assert expected in str(info.value)


def test_cifar10_incomplete_batches(tmp_path):
    write_cifar(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_5").unlink()
    with pytest.raises(DataNotFoundError, match="lacks data_batch_5"):
        load_dataset("cifar10", tmp_path)


def test_cifar10_missing_mentions_both_layouts(tmp_path):
    with pytest.raises(DataNotFoundError) as info:
        load_dataset("cifar10", tmp_path)
    message = str(info.value)
    assert "cifar-10-batches-py" in message and "cifar-10-jpeg" in message
    assert "AL_DATA_DIR" in message and "data_batch_1" in message and "download=True" in message


def test_cifar10_download_is_passed_to_torchvision(tmp_path, monkeypatch):
    def fake_download(url, download_root, extract_root=None, filename=None, md5=None, remove_finished=False):
        write_cifar(Path(download_root))

    monkeypatch.setattr(torchvision.datasets.cifar, "download_and_extract_archive", fake_download)
    ds = load_dataset("cifar10", tmp_path, download=True)
    assert ds.X_train.shape == (15, 3, 32, 32)


def test_cifar10_from_jpeg_folder(tmp_path):
    written = write_image_folder(tmp_path / "cifar-10-jpeg", CIFAR10_CLASSES, size=32, ext=".jpg")
    ds = load_dataset("cifar10", tmp_path)
    assert ds.X_train.shape == (20, 3, 32, 32) and ds.X_test.shape == (10, 3, 32, 32)
    assert ds.X_train.dtype == np.float32 and 0.0 <= ds.X_train.min() and ds.X_train.max() <= 1.0
    assert ds.classes == CIFAR10_CLASSES
    np.testing.assert_array_equal(ds.y_train, np.repeat(np.arange(10), 2))
    np.testing.assert_array_equal(ds.y_test, np.arange(10))
    assert "JPEG" in ds.source and "<data root>/cifar-10-jpeg" in ds.source and ds.variant == "cifar10-jpeg"
    # Lossy, but close to the smooth originals.
    original = written["train/cat/0001.jpg"].transpose(2, 0, 1) / 255
    assert np.abs(ds.X_train[7] - original).mean() < 0.02


def test_cifar10_pickle_batches_win_over_jpeg_folder(tmp_path):
    write_cifar(tmp_path)
    write_image_folder(tmp_path / "cifar-10-jpeg", CIFAR10_CLASSES, size=32, ext=".jpg")
    assert "JPEG" not in load_dataset("cifar10", tmp_path, cache=False).source


def test_cifar10_folder_needs_cifar_classes_and_size(tmp_path):
    write_image_folder(tmp_path / "a" / "cifar-10-jpeg", ("cat", "dog"), size=32)
    with pytest.raises(CorruptDataError, match="not the CIFAR-10 classes"):
        load_dataset("cifar10", tmp_path / "a")
    write_image_folder(tmp_path / "b" / "cifar-10-jpeg", CIFAR10_CLASSES, size=8)
    with pytest.raises(CorruptDataError, match="expected 32x32"):
        load_dataset("cifar10", tmp_path / "b")


@pytest.mark.parametrize("change", ["missing", "extra", "misspelt"])
def test_cifar10_folder_class_problems_name_the_folders(tmp_path, change):
    classes = list(CIFAR10_CLASSES)
    if change == "missing":
        classes.remove("frog")
    elif change == "extra":
        classes.append("unicorn")
    else:
        classes[classes.index("cat")] = "cats"
    write_image_folder(tmp_path / "cifar-10-jpeg", classes, n_train=1, size=32)
    with pytest.raises(CorruptDataError) as info:
        load_dataset("cifar10", tmp_path)
    message = str(info.value)
    assert "\n" not in message and "cifar-10-jpeg" in message
    expected = {"missing": ("missing: frog", "unexpected: none"), "extra": ("missing: none", "unexpected: unicorn"),
                "misspelt": ("missing: cat", "unexpected: cats")}[change]
    for part in expected:
        assert part in message


def test_cifar10_class_folder_missing_from_one_split(tmp_path):
    write_image_folder(tmp_path / "cifar-10-jpeg", CIFAR10_CLASSES, n_train=1, size=32)
    shutil.rmtree(tmp_path / "cifar-10-jpeg" / "test" / "horse")
    with pytest.raises(CorruptDataError, match="only in train/: horse; only in test/: none"):
        load_dataset("cifar10", tmp_path)


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


# ------------------------------------------------------------------------------- cache


def _fail(*args, **kwargs):
    raise AssertionError("decoder called although the cache should be used")


def test_cache_is_reused(tmp_path, isolated, monkeypatch):
    write_image_folder(tmp_path / "img", ("a", "b"))
    write_mnist(tmp_path)
    first_images = load_dataset("image_folder", tmp_path / "img")
    first_mnist = load_dataset("mnist", tmp_path)
    monkeypatch.setattr(data, "_decode_images", _fail)
    monkeypatch.setattr(data, "_read_idx_gz", _fail)
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
    monkeypatch.setattr(data, "_decode_images", _fail)
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


def test_cache_file_respects_the_umask(tmp_path):
    raw = data._Raw(np.zeros((2, 3), np.uint8), np.zeros(2, np.int64), np.zeros((1, 3), np.uint8),
                    np.zeros(1, np.int64), ("0", "1"))
    path = tmp_path / "cache" / "arrays.npz"
    previous = os.umask(0o022)
    try:
        data._write_cache(path, raw)
    finally:
        os.umask(previous)
    assert os.stat(path).st_mode & 0o777 == 0o644
