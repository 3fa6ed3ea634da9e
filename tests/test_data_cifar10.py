"""Tests of helpers.data.cifar10 on tiny pickle batches and image folders.

Nothing here reads the real data directory or touches the network: the autouse fixture
``isolated`` (:mod:`data_files`) points AL_DATA_DIR and AL_CACHE_DIR at temporary folders
and makes any torchvision download fail loudly.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import torchvision.datasets.cifar
import torchvision.datasets.mnist
from helpers.data import CIFAR10_CLASSES, CorruptDataError, DataNotFoundError, load_dataset
from data_files import cache_files, isolated, to_uint8, write_cifar, write_image_folder  # noqa: F401  (isolated: autouse)


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
