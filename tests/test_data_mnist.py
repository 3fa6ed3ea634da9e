"""Tests of helpers.data.mnist (and the download clean-up it uses) on tiny IDX files.

Nothing here reads the real data directory or touches the network: the autouse fixture
``isolated`` (:mod:`data_files`) points AL_DATA_DIR and AL_CACHE_DIR at temporary folders
and makes any torchvision download fail loudly.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest

import torchvision.datasets.cifar
import torchvision.datasets.mnist
from helpers import data
from helpers.data import CorruptDataError, DataNotFoundError, load_dataset
from data_files import MNIST_PARTS, cache_files, idx_bytes, isolated, mnist_arrays, to_uint8, write_mnist  # noqa: F401  (isolated: autouse)


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

    monkeypatch.setattr(data.mnist, "_torchvision_mnist", fail)
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
