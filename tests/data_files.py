"""Shared pieces of the tests of :mod:`helpers.data`: tiny files written in the real on-disk
formats (MNIST IDX, CIFAR-10 pickles, image folders) and the autouse fixture ``isolated``
that points AL_DATA_DIR and AL_CACHE_DIR at temporary folders and forbids downloads.
"""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import torchvision.datasets.cifar
import torchvision.datasets.mnist
from helpers.data import CIFAR10_CLASSES


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
