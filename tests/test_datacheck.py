"""Tests of helpers.datacheck: present data passes, missing data is fetched or named in one message.

No test touches the network: torchvision's downloader is replaced by stand-ins that either
write tiny files in the real formats or fail as an unreachable server does.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from urllib.error import URLError

import pytest
import torchvision.datasets.cifar
import torchvision.datasets.mnist

from helpers import datacheck
from helpers.data import CIFAR10_CLASSES, CorruptDataError, DataNotFoundError
from data_files import MNIST_PARTS, idx_bytes, mnist_arrays, write_image_folder, write_mnist


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No download reaches the network; AL_DATA_DIR points at an empty folder."""
    monkeypatch.setenv("AL_DATA_DIR", str(tmp_path / "env-data"))

    def unreachable(url, download_root, extract_root=None, filename=None, md5=None, remove_finished=False):
        Path(download_root).mkdir(parents=True, exist_ok=True)
        (Path(download_root) / filename).write_bytes(b"partial")
        raise URLError(ConnectionRefusedError(111, "Connection refused"))

    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", unreachable)
    monkeypatch.setattr(torchvision.datasets.cifar, "download_and_extract_archive", unreachable)


def test_present_mnist_passes(tmp_path):
    arrays = write_mnist(tmp_path / "data")
    dataset = datacheck.check_pair_data("mnist_logreg", tmp_path / "data", download=False)
    assert dataset.X_train.shape == (len(arrays["train", "labels"]), 784)
    assert "MNIST" in dataset.source


def test_digits_need_no_files():
    assert datacheck.check_pair_data("digits_cnn", download=False).name == "digits"


def test_missing_mnist_without_download_names_everything(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    with pytest.raises(DataNotFoundError) as info:
        datacheck.check_pair_data("mnist_logreg", root, download=False)
    message = str(info.value)
    assert "\n" not in message
    assert "pair mnist_logreg" in message and str(root / "MNIST" / "raw") in message
    assert all(name in message for name in MNIST_PARTS)
    assert "given by --data-root" in message and "--no-download" in message and "AL_DATA_DIR" in message
    assert list(root.iterdir()) == []


def test_unreachable_download_is_named_and_leaves_nothing(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    with pytest.raises(DataNotFoundError) as info:
        datacheck.check_pair_data("mnist_logreg", root, download=True)
    message = str(info.value)
    assert "\n" not in message
    assert "download through torchvision failed" in message and "Connection refused" in message
    assert list(root.iterdir()) == []  # neither MNIST/raw nor the partial file stayed


def test_data_root_from_the_environment_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("AL_DATA_DIR", str(tmp_path / "shared"))
    with pytest.raises(DataNotFoundError) as info:
        datacheck.check_pair_data("cifar10_cnn", download=True)
    message = str(info.value)
    assert "from AL_DATA_DIR" in message and str(tmp_path / "shared") in message
    assert "cifar-10-batches-py" in message and "cifar-10-jpeg" in message
    assert not (tmp_path / "shared").exists()  # the download created it, and took it back


def test_default_root_is_named(monkeypatch, tmp_path):
    monkeypatch.delenv("AL_DATA_DIR")
    monkeypatch.setattr(datacheck.paths, "data_dir", lambda: tmp_path / "default-data")
    with pytest.raises(DataNotFoundError, match="neither --data-root nor AL_DATA_DIR is set"):
        datacheck.check_pair_data("mnist_logreg", download=False)


def test_missing_download_when_reachable(tmp_path, monkeypatch):
    arrays = mnist_arrays()

    def fetch(url, download_root, extract_root=None, filename=None, md5=None, remove_finished=False):
        name = filename[: -len(".gz")]
        Path(download_root).mkdir(parents=True, exist_ok=True)
        (Path(download_root) / filename).write_bytes(gzip.compress(idx_bytes(arrays[MNIST_PARTS[name]])))

    monkeypatch.setattr(torchvision.datasets.mnist, "download_and_extract_archive", fetch)
    dataset = datacheck.check_pair_data("mnist_logreg", tmp_path, download=True)
    assert len(dataset.y_test) == len(arrays["test", "labels"])
    assert sorted(p.name for p in (tmp_path / "MNIST" / "raw").iterdir()) == sorted(f"{n}.gz" for n in MNIST_PARTS)


def test_incomplete_mnist_lists_only_the_missing_files(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataNotFoundError, match=r"missing: MNIST/raw/t10k-labels-idx1-ubyte\. "):
        datacheck.check_pair_data("mnist_logreg", tmp_path, download=False)


def test_corrupt_file_names_the_pair_and_the_file(tmp_path):
    write_mnist(tmp_path)
    bad = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
    bad.write_bytes(b"\x1f\x8b" + b"\x00" * 20)
    with pytest.raises(CorruptDataError) as info:
        datacheck.check_pair_data("mnist_logreg", tmp_path, download=False)
    message = str(info.value)
    assert "pair mnist_logreg" in message and str(bad) in message and "\n" not in message


def test_cifar_class_folder_problem_is_one_line(tmp_path):
    write_image_folder(tmp_path / "cifar-10-jpeg", [c for c in CIFAR10_CLASSES if c != "ship"] + ["boat"],
                       n_train=1, size=32)
    with pytest.raises(CorruptDataError) as info:
        datacheck.check_pair_data("cifar10_cnn", tmp_path, download=False)
    message = str(info.value)
    assert "pair cifar10_cnn" in message and "missing: ship" in message and "unexpected: boat" in message
    assert "\n" not in message


def test_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(datacheck, "exit_on_sigterm", lambda: None)  # keep pytest's own signal handlers
    root = tmp_path / "data"
    root.mkdir()
    assert datacheck.main(["--pair", "mnist_logreg", "--data-root", str(root), "--prog", "run_all.sh"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("run_all.sh: pair mnist_logreg needs MNIST") and err.count("\n") == 1
    write_mnist(root)
    assert datacheck.main(["--pair", "mnist_logreg", "--pair", "digits_logreg", "--data-root", str(root),
                           "--no-download"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["mnist_logreg", "digits_logreg"]
    assert datacheck.main(["--pair", "mnist_logreg", "--data-root", " "]) == 2
    assert "--data-root is empty" in capsys.readouterr().err


def test_describe_source_writes_the_data_root_out(tmp_path):
    from helpers.data import load_dataset

    ds = load_dataset("digits")
    assert datacheck.describe_source(ds, tmp_path).startswith("sklearn-digits: scikit-learn load_digits")

    class Located:
        variant, source = "mnist-idx", "MNIST gzip IDX files at <data root>/MNIST/raw"

    assert datacheck.describe_source(Located(), tmp_path) == f"mnist-idx: MNIST gzip IDX files at {tmp_path}/MNIST/raw"
