"""Dataset loading, caching and preprocessing.

One entry point, :func:`load_dataset`, returns a :class:`Dataset` with float32 features
in ``[0, 1]`` and int64 labels ``0..n_classes-1`` for every supported source:

``"mnist"``
    ``<root>/MNIST/raw``: the four uncompressed IDX files, read by
    ``torchvision.datasets.MNIST``, or else the four original ``.gz`` files, read by the
    small IDX parser here (torchvision only reads the uncompressed files when
    ``download=False``). ``X`` has shape ``(N, 784)``.
``"cifar10"``
    ``<root>/cifar-10-batches-py`` (the original python pickle batches), or else an
    image-folder copy in ``<root>/cifar-10-jpeg``. ``X`` has shape ``(N, 3, 32, 32)``.
``"image_folder"``
    ``root`` itself holds ``train/<class>/*`` and ``test/<class>/*`` (the torchvision
    ``ImageFolder`` layout). ``X`` has shape ``(N, 3, H, W)``.
``"digits"``
    scikit-learn's bundled 8x8 digits, a tiny offline dataset for smoke runs and tests.

``root`` defaults to :func:`helpers.paths.data_dir` (the ``AL_DATA_DIR`` setting).
Decoded pixels of the first three are cached as ``.npz`` files in
:func:`helpers.paths.cache_dir`, keyed by a digest of the source files' content.

Image arrays are *not* normalised here: the statistics must come from the training pool
only, so the caller uses :func:`channel_stats` and :func:`normalize_channels`.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import pickle
import shutil
import struct
import tempfile
import warnings
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from helpers import paths

__all__ = [
    "CIFAR10_CLASSES",
    "DATASETS",
    "CorruptDataError",
    "DataNotFoundError",
    "Dataset",
    "channel_stats",
    "load_dataset",
    "normalize_channels",
]

#: Names accepted by :func:`load_dataset`.
DATASETS: tuple[str, ...] = ("mnist", "cifar10", "digits", "image_folder")

#: CIFAR-10 class names in the standard label order (also the sorted folder names).
CIFAR10_CLASSES: tuple[str, ...] = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

DIGIT_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))

MNIST_FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

CIFAR10_BATCH_FILES: tuple[str, ...] = (
    "data_batch_1",
    "data_batch_2",
    "data_batch_3",
    "data_batch_4",
    "data_batch_5",
    "test_batch",
    "batches.meta",
)

# Bumping this invalidates every cache file (part of the digest), e.g. after a change in
# how pixels are decoded.
_CACHE_FORMAT = 1

# Below this many files a progress bar is more noise than help.
_PROGRESS_MIN_FILES = 5000

_IMAGE_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".ppm": "PPM",
    ".pgm": "PGM",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WebP",
}


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


def _relative_source(source: str, root: Path) -> str:
    """Return ``source`` with the data root written as ``<data root>``."""
    return source.replace(str(root), "<data root>")


# --------------------------------------------------------------------------- public API


def load_dataset(
    name: str,
    root: str | os.PathLike[str] | None = None,
    *,
    download: bool = False,
    cache: bool = True,
) -> Dataset:
    """Load a dataset as float32 features in ``[0, 1]`` and int64 labels.

    Parameters
    ----------
    name : {"mnist", "cifar10", "digits", "image_folder"}
        Which dataset; see the module docstring for the file layouts.
    root : path-like, optional
        Dataset root; defaults to :func:`helpers.paths.data_dir` (``AL_DATA_DIR``). For
        ``"image_folder"`` it is the folder holding ``train/`` and ``test/``. Ignored for
        ``"digits"``.
    download : bool, default False
        For ``"mnist"`` and ``"cifar10"``: let torchvision download the original files
        into ``root`` when no accepted layout is found (needs internet). Files that are
        present are never downloaded again. Ignored for ``"digits"`` (bundled) and
        ``"image_folder"`` (nothing to download).
    cache : bool, default True
        Read and write decoded arrays in :func:`helpers.paths.cache_dir` (not used for
        ``"digits"``).

    Returns
    -------
    Dataset
        ``X`` is ``(N, 784)`` for MNIST, ``(N, 64)`` for digits and ``(N, 3, H, W)`` for
        CIFAR-10 and image folders; labels are int64 in ``0..n_classes-1``.

    Raises
    ------
    ValueError
        Unknown ``name``.
    DataNotFoundError
        No accepted layout under ``root`` (and no successful download; a failed download
        leaves nothing behind).
    CorruptDataError
        A file exists but is truncated, malformed or inconsistent, or the class folders of
        an image folder differ between train and test (or, for CIFAR-10, from its classes).
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}")
    if name == "digits":
        return _load_digits()

    root_given = root is not None
    root_path = Path(root).expanduser().resolve() if root_given else paths.data_dir()
    if name == "mnist":
        plan = _plan_mnist(root_path, download, root_given)
    elif name == "cifar10":
        plan = _plan_cifar10(root_path, download, root_given)
    else:
        plan = _plan_image_folder(root_path, root_given)

    raw = None
    cache_file = None
    if cache:
        digest = _content_digest(plan.base, plan.files)
        cache_file = paths.cache_dir() / f"{name}-{digest[:32]}.npz"
        raw = _read_cache(cache_file)
    if raw is None:
        raw = plan.decode()
        _check_raw(raw, plan.source)
        if cache_file is not None:
            _write_cache(cache_file, raw)

    return Dataset(
        name=name,
        X_train=_to_unit_float(raw.X_train),
        y_train=raw.y_train.astype(np.int64),
        X_test=_to_unit_float(raw.X_test),
        y_test=raw.y_test.astype(np.int64),
        classes=tuple(raw.classes),
        source=_relative_source(plan.source, root_path),
        variant=plan.variant,
        # The decoded uint8 pixels (before scaling) identify the data.
        digest=array_digest(raw.X_train, raw.y_train, raw.X_test, raw.y_test, raw.classes),
    )


def channel_stats(X: np.ndarray, *, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Compute the per-channel mean and standard deviation of an image array.

    Parameters
    ----------
    X : numpy.ndarray
        Images of shape ``(N, C, H, W)``; pass the training pool only.
    chunk : int, default 4096
        Images per step; the float64 work arrays never exceed one chunk.

    Returns
    -------
    mean, std : numpy.ndarray
        float32 arrays of shape ``(C,)``: the mean and the population standard deviation
        (``ddof=0``) over axes ``(0, 2, 3)``, computed in float64.
    """
    X = np.asarray(X)
    if X.ndim != 4 or X.shape[0] == 0:
        raise ValueError(f"channel_stats expects a non-empty (N, C, H, W) array, got shape {X.shape}")
    n, c, h, w = X.shape
    count = n * h * w
    # Chunked two-pass computation: a whole-array float64 temporary for CIFAR-10 would
    # take over 1 GB, and one pass with sum of squares loses precision.
    total = np.zeros(c, dtype=np.float64)
    for start in range(0, n, chunk):
        total += X[start : start + chunk].sum(axis=(0, 2, 3), dtype=np.float64)
    mean = total / count
    squares = np.zeros(c, dtype=np.float64)
    for start in range(0, n, chunk):
        dev = X[start : start + chunk].astype(np.float64) - mean[None, :, None, None]
        squares += np.einsum("nchw,nchw->c", dev, dev)
    std = np.sqrt(squares / count)
    return mean.astype(np.float32), std.astype(np.float32)


def normalize_channels(X: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Standardise each channel of an image array.

    Parameters
    ----------
    X : numpy.ndarray
        Images of shape ``(N, C, H, W)``.
    mean, std : numpy.ndarray
        Per-channel statistics of shape ``(C,)``, usually from :func:`channel_stats` on
        the training pool.

    Returns
    -------
    numpy.ndarray
        A new float32 array ``(X - mean[:, None, None]) / std[:, None, None]``.
    """
    X = np.asarray(X)
    mean = np.asarray(mean, dtype=np.float32)
    std = np.asarray(std, dtype=np.float32)
    if X.ndim != 4:
        raise ValueError(f"normalize_channels expects an (N, C, H, W) array, got shape {X.shape}")
    if mean.shape != (X.shape[1],) or std.shape != (X.shape[1],):
        raise ValueError(f"mean {mean.shape} and std {std.shape} must have shape ({X.shape[1]},)")
    if not (np.all(np.isfinite(std)) and np.all(std > 0)):
        raise ValueError(f"std must be finite and positive, got {std}")
    # One float32 allocation: subtract into the output, then divide in place.
    out = np.subtract(X, mean[:, None, None], dtype=np.float32)
    out /= std[:, None, None]
    return out


# ------------------------------------------------------------------------------ digits


def _load_digits() -> Dataset:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    X = (bunch.data / 16.0).astype(np.float32)  # pixel values are 0..16
    y = bunch.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    return Dataset(
        name="digits",
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        classes=DIGIT_CLASSES,
        source="scikit-learn load_digits (bundled 8x8 digits); stratified 75/25 split, random_state=0",
        variant="sklearn-digits",
    )


# ------------------------------------------------------------------------------- MNIST


def _plan_mnist(root: Path, download: bool, root_given: bool) -> _Plan:
    raw_dir = root / "MNIST" / "raw"

    def present() -> bool:
        return all((raw_dir / f).is_file() for f in MNIST_FILES) or all(
            (raw_dir / f"{f}.gz").is_file() for f in MNIST_FILES
        )

    if not present():
        if not download:
            raise DataNotFoundError(_mnist_missing_message(root, root_given))
        _download(
            lambda: _torchvision_mnist(root, download=True),
            present,
            _mnist_missing_message(root, root_given),
            watched=(root, root / "MNIST", raw_dir),
        )

    if all((raw_dir / f).is_file() for f in MNIST_FILES):
        for f in MNIST_FILES:
            _check_idx_header(raw_dir / f)
        return _Plan(
            base=raw_dir,
            files=MNIST_FILES,
            source=f"torchvision MNIST at {raw_dir} (uncompressed IDX files)",
            decode=lambda: _decode_mnist_torchvision(root),
            variant="mnist-idx",
        )
    gz_files = tuple(f"{f}.gz" for f in MNIST_FILES)
    for f in gz_files:
        with open(raw_dir / f, "rb") as fh:
            if fh.read(2) != b"\x1f\x8b":
                raise CorruptDataError(f"{raw_dir / f} is not a gzip file (wrong magic bytes)")
    return _Plan(
        base=raw_dir,
        files=gz_files,
        source=f"MNIST gzip IDX files at {raw_dir} (read by helpers.data)",
        decode=lambda: _decode_mnist_gz(raw_dir),
        variant="mnist-idx",
    )


def _mnist_missing_message(root: Path, root_given: bool) -> str:
    raw_dir = root / "MNIST" / "raw"
    names = ", ".join(MNIST_FILES)
    return (
        f"MNIST not found: looked in {raw_dir} ({_root_origin(root_given)}). Expected the four "
        f"IDX files {names}, uncompressed or as the original .gz files. To obtain them, call "
        f"load_dataset('mnist', download=True) with internet access, or copy the original files "
        f"there; set AL_DATA_DIR (or pass root=) to the directory that holds MNIST/raw."
    )


def _torchvision_mnist(root: Path, *, download: bool, train: bool = True):
    from torchvision.datasets import MNIST

    return MNIST(str(root), train=train, download=download)


def _decode_mnist_torchvision(root: Path) -> _Raw:
    parts = []
    for train in (True, False):
        try:
            ds = _torchvision_mnist(root, download=False, train=train)
            images, labels = ds.data.numpy(), ds.targets.numpy()
        except (AssertionError, RuntimeError, TypeError, ValueError, KeyError) as exc:
            # torchvision signals malformed IDX files with asserts and view errors.
            split = "train" if train else "t10k"
            raise CorruptDataError(f"torchvision could not read the MNIST {split} files in {root}: {exc}") from exc
        parts.append(_check_mnist_arrays(images, labels, f"MNIST {'train' if train else 'test'} ({root})"))
    (X_train, y_train), (X_test, y_test) = parts
    return _Raw(X_train, y_train, X_test, y_test, DIGIT_CLASSES)


def _decode_mnist_gz(raw_dir: Path) -> _Raw:
    parts = []
    for prefix in ("train", "t10k"):
        images = _read_idx_gz(raw_dir / f"{prefix}-images-idx3-ubyte.gz", ndim=3)
        labels = _read_idx_gz(raw_dir / f"{prefix}-labels-idx1-ubyte.gz", ndim=1)
        parts.append(_check_mnist_arrays(images, labels, f"MNIST {prefix} ({raw_dir})"))
    (X_train, y_train), (X_test, y_test) = parts
    return _Raw(X_train, y_train, X_test, y_test, DIGIT_CLASSES)


def _check_mnist_arrays(images: np.ndarray, labels: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise CorruptDataError(f"{what}: expected uint8 images of shape (N, 28, 28), got {images.dtype} {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise CorruptDataError(f"{what}: {len(images)} images but labels of shape {labels.shape}")
    if len(labels) and int(labels.max()) > 9:
        raise CorruptDataError(f"{what}: label {int(labels.max())} outside 0..9")
    return images.reshape(len(images), 28 * 28), labels.astype(np.int64)


# IDX dtype codes (third magic byte); all multi-byte types are big-endian.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _parse_idx_header(header: bytes, path: Path, ndim: int) -> tuple[np.dtype, tuple[int, ...], int]:
    """Validate an IDX header; return its dtype, dimensions and header length."""
    if len(header) < 4 or header[0] != 0 or header[1] != 0:
        raise CorruptDataError(f"{path}: not an IDX file (magic number must start with two zero bytes)")
    code, nd = header[2], header[3]
    if code not in _IDX_DTYPES:
        raise CorruptDataError(f"{path}: unknown IDX dtype code 0x{code:02x}")
    if code != 0x08:
        raise CorruptDataError(f"{path}: MNIST IDX files hold unsigned bytes (0x08), found dtype code 0x{code:02x}")
    if nd != ndim:
        raise CorruptDataError(f"{path}: expected {ndim} IDX dimension(s), header says {nd}")
    header_len = 4 + 4 * nd
    if len(header) < header_len:
        raise CorruptDataError(f"{path}: IDX header truncated ({len(header)} of {header_len} bytes)")
    dims = struct.unpack(f">{nd}I", header[4:header_len])
    return np.dtype(_IDX_DTYPES[code]), dims, header_len


def _check_idx_header(path: Path) -> None:
    """Check an uncompressed IDX file's header against its size without reading the body."""
    ndim = 3 if "images" in path.name else 1
    with open(path, "rb") as fh:
        header = fh.read(4 + 4 * ndim)
    dtype, dims, header_len = _parse_idx_header(header, path, ndim)
    expected = header_len + math.prod(dims) * dtype.itemsize
    size = path.stat().st_size
    if size != expected:
        raise CorruptDataError(f"{path}: {size} bytes, but its IDX header {dims} implies {expected}")


def _read_idx_gz(path: Path, *, ndim: int) -> np.ndarray:
    """Read a gzip-compressed IDX file into an array of the header's shape."""
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise CorruptDataError(f"{path}: cannot decompress ({exc})") from exc
    dtype, dims, header_len = _parse_idx_header(data, path, ndim)
    expected = header_len + math.prod(dims) * dtype.itemsize
    if len(data) != expected:
        raise CorruptDataError(f"{path}: {len(data)} bytes after decompression, but its IDX header {dims} implies {expected}")
    return np.frombuffer(data, dtype=dtype, offset=header_len).reshape(dims).astype(dtype.newbyteorder("="))


# ---------------------------------------------------------------------------- CIFAR-10


def _plan_cifar10(root: Path, download: bool, root_given: bool) -> _Plan:
    batches_dir = root / "cifar-10-batches-py"
    jpeg_dir = root / "cifar-10-jpeg"
    if not batches_dir.is_dir() and jpeg_dir.is_dir():
        return _plan_cifar10_folder(jpeg_dir, root_given)

    def missing() -> list[str]:
        return [f for f in CIFAR10_BATCH_FILES if not (batches_dir / f).is_file()]

    if missing():
        message = _cifar10_missing_message(root, root_given, missing() if batches_dir.is_dir() else None)
        if not download:
            raise DataNotFoundError(message)
        _download(
            lambda: _torchvision_cifar10(root, download=True),
            lambda: not missing(),
            message,
            watched=(root, batches_dir),
        )

    official = _cifar10_md5_ok(root)
    if official:
        source = f"torchvision CIFAR10 at {batches_dir} (python batches, md5 matches the official release)"
    else:
        source = f"CIFAR-10 python batches at {batches_dir} (md5 differs from the official release; read by helpers.data)"
    return _Plan(
        base=batches_dir,
        files=CIFAR10_BATCH_FILES,
        source=source,
        decode=lambda: _decode_cifar10_batches(root, official),
        variant="cifar10-original" if official else "cifar10-batches-modified",
    )


def _cifar10_missing_message(root: Path, root_given: bool, missing: list[str] | None) -> str:
    incomplete = f" {root / 'cifar-10-batches-py'} lacks {', '.join(missing)}." if missing else ""
    return (
        f"CIFAR-10 not found under {root} ({_root_origin(root_given)}).{incomplete} Accepted layouts: "
        f"(1) {root / 'cifar-10-batches-py'} with {', '.join(CIFAR10_BATCH_FILES)} (the original "
        f"'CIFAR-10 python version'); (2) {root / 'cifar-10-jpeg'}/train/<class>/* and .../test/<class>/* "
        f"image files with the class folders {', '.join(CIFAR10_CLASSES)}. To obtain them, call "
        f"load_dataset('cifar10', download=True) with internet access (fetches layout 1), or copy either "
        f"layout there; set AL_DATA_DIR (or pass root=) to the directory that holds it."
    )


def _torchvision_cifar10(root: Path, *, download: bool, train: bool = True):
    from torchvision.datasets import CIFAR10

    return CIFAR10(str(root), train=train, download=download)


def _cifar10_md5_ok(root: Path) -> bool:
    """Return whether every batch file has the md5 torchvision expects."""
    from torchvision.datasets import CIFAR10
    from torchvision.datasets.utils import check_integrity

    batches_dir = root / CIFAR10.base_folder
    expected = CIFAR10.train_list + CIFAR10.test_list + [[CIFAR10.meta["filename"], CIFAR10.meta["md5"]]]
    return all(check_integrity(str(batches_dir / f), md5) for f, md5 in expected)


def _decode_cifar10_batches(root: Path, official: bool) -> _Raw:
    batches_dir = root / "cifar-10-batches-py"
    if official:
        # The files are byte-identical to the release, so torchvision's reader applies.
        parts = []
        for train in (True, False):
            try:
                ds = _torchvision_cifar10(root, download=False, train=train)
            except Exception as exc:  # noqa: BLE001 - any failure here means a bad file
                raise CorruptDataError(f"torchvision could not read the CIFAR-10 batches in {batches_dir}: {exc}") from exc
            parts.append((np.ascontiguousarray(ds.data.transpose(0, 3, 1, 2)), np.asarray(ds.targets, np.int64)))
            classes = tuple(ds.classes)
        (X_train, y_train), (X_test, y_test) = parts
    else:
        # torchvision's CIFAR10(download=False) refuses any file whose md5 differs from the
        # release (a re-pickled copy, a subset, the tiny test fixtures), so such files are read
        # here with the same format and checked for structure instead.
        X_train, y_train = _concat_batches([batches_dir / f"data_batch_{i}" for i in range(1, 6)])
        X_test, y_test = _concat_batches([batches_dir / "test_batch"])
        meta = _unpickle(batches_dir / "batches.meta")
        names = meta.get("label_names")
        if not isinstance(names, list):
            raise CorruptDataError(f"{batches_dir / 'batches.meta'}: no 'label_names' list")
        classes = tuple(n.decode("latin1") if isinstance(n, bytes) else str(n) for n in names)
    if classes != CIFAR10_CLASSES:
        raise CorruptDataError(f"{batches_dir / 'batches.meta'}: label names {classes} are not the CIFAR-10 classes")
    return _Raw(X_train, y_train, X_test, y_test, classes)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that only rebuilds numpy arrays: a pickle can otherwise run any code."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),  # pickle protocol 5
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        # numpy 2 moved numpy.core to numpy._core; the old path works but warns.
        if module.startswith("numpy.core."):
            module = "numpy._core." + module[len("numpy.core.") :]
            try:
                return super().find_class(module, name)
            except (ImportError, AttributeError):
                module = "numpy.core." + module[len("numpy._core.") :]
        return super().find_class(module, name)


def _unpickle(path: Path) -> dict[str, object]:
    """Load a CIFAR pickle (a dict) with str keys, whether written by Python 2 or 3."""
    try:
        with open(path, "rb") as fh:
            # latin1 maps Python 2 byte strings to str, as torchvision does.
            obj = _ArrayUnpickler(fh, encoding="latin1").load()
    except Exception as exc:  # noqa: BLE001 - unpickling raises many types on bad bytes
        raise CorruptDataError(f"{path}: not a readable CIFAR pickle ({type(exc).__name__}: {exc})") from exc
    if not isinstance(obj, dict):
        raise CorruptDataError(f"{path}: expected a pickled dict, got {type(obj).__name__}")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in obj.items()}


def _concat_batches(files: Sequence[Path]) -> tuple[np.ndarray, np.ndarray]:
    images, labels = [], []
    for path in files:
        entry = _unpickle(path)
        data, targets = entry.get("data"), entry.get("labels")
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
            shape = getattr(data, "shape", None)
            raise CorruptDataError(f"{path}: 'data' must be a uint8 array of shape (n, 3072), got {shape}")
        targets = np.asarray(targets if targets is not None else [], dtype=np.int64)
        if targets.shape != (len(data),):
            raise CorruptDataError(f"{path}: {len(data)} images but {targets.size} labels")
        if len(targets) and (targets.min() < 0 or targets.max() > 9):
            raise CorruptDataError(f"{path}: labels outside 0..9")
        images.append(data.reshape(-1, 3, 32, 32))  # rows are 1024 R, 1024 G, 1024 B values
        labels.append(targets)
    return np.concatenate(images), np.concatenate(labels)


def _plan_cifar10_folder(jpeg_dir: Path, root_given: bool) -> _Plan:
    train, test, classes = _enumerate_image_folder(jpeg_dir, root_given)
    if classes != CIFAR10_CLASSES:
        missing = [c for c in CIFAR10_CLASSES if c not in classes]
        extra = [c for c in classes if c not in CIFAR10_CLASSES]
        raise CorruptDataError(
            f"{jpeg_dir}: the class folders of train/ and test/ are not the CIFAR-10 classes "
            f"({', '.join(CIFAR10_CLASSES)}); missing: {', '.join(missing) or 'none'}; "
            f"unexpected: {', '.join(extra) or 'none'}"
        )
    files = train + test
    fmt = _describe_formats(p for p, _ in files)
    lossy = "; lossy-compressed, not the original CIFAR-10 pixels" if "JPEG" in fmt else ""
    return _Plan(
        base=jpeg_dir,
        files=tuple(_relative(p, jpeg_dir) for p, _ in files),
        source=f"CIFAR-10 image folder {jpeg_dir} ({fmt}{lossy})",
        decode=lambda: _decode_image_folder(train, test, classes, expect_size=(32, 32)),
        variant="cifar10-jpeg" if "JPEG" in fmt else "cifar10-folder",
    )


# ------------------------------------------------------------------------ image folders


def _plan_image_folder(root: Path, root_given: bool) -> _Plan:
    train, test, classes = _enumerate_image_folder(root, root_given)
    files = train + test
    return _Plan(
        base=root,
        files=tuple(_relative(p, root) for p, _ in files),
        source=f"image folder {root} ({_describe_formats(p for p, _ in files)})",
        decode=lambda: _decode_image_folder(train, test, classes),
        variant="image-folder",
    )


def _enumerate_image_folder(
    root: Path, root_given: bool
) -> tuple[list[tuple[str, int]], list[tuple[str, int]], tuple[str, ...]]:
    """List ``(file, label)`` pairs of ``root/train`` and ``root/test`` via ImageFolder."""
    from torchvision.datasets import ImageFolder
    from torchvision.datasets.folder import find_classes

    if not (root / "train").is_dir() or not (root / "test").is_dir():
        raise DataNotFoundError(
            f"image folder not found: {root} ({_root_origin(root_given)}) must hold train/<class>/* and "
            f"test/<class>/* image files (the torchvision ImageFolder layout). Copy the images there, or set "
            f"AL_DATA_DIR (or pass root=) to the folder that holds train/ and test/."
        )
    # Compared before ImageFolder scans the files, so a mismatch is reported as one even
    # when it also leaves a class folder empty.
    try:
        train_classes = tuple(find_classes(root / "train")[0])
        test_classes = tuple(find_classes(root / "test")[0])
    except FileNotFoundError as exc:  # a split without any class folder
        raise DataNotFoundError(f"{root}: {exc}") from exc
    if train_classes != test_classes:
        only_train = sorted(set(train_classes) - set(test_classes))
        only_test = sorted(set(test_classes) - set(train_classes))
        raise CorruptDataError(
            f"{root}: train and test must have the same class folders; only in train/: "
            f"{', '.join(only_train) or 'none'}; only in test/: {', '.join(only_test) or 'none'}"
        )
    splits = {}
    for split in ("train", "test"):
        try:
            folder = ImageFolder(str(root / split))
        except FileNotFoundError as exc:
            # torchvision's message for a class folder without image files.
            raise DataNotFoundError(f"{root / split}: {exc}") from exc
        splits[split] = folder
    # Plain strings: 60,000 Path objects cost more than the hashing itself.
    return list(splits["train"].samples), list(splits["test"].samples), train_classes


def _describe_formats(files: Iterable[str]) -> str:
    """Name the image formats by file extension, e.g. ``"JPEG"`` or ``"mixed JPEG/PNG"``."""
    suffixes = {os.path.splitext(f)[1].lower() for f in files}
    found = sorted({_IMAGE_FORMATS.get(s, s) for s in suffixes})
    return found[0] if len(found) == 1 else "mixed " + "/".join(found)


def _decode_image_folder(
    train: list[tuple[str, int]],
    test: list[tuple[str, int]],
    classes: tuple[str, ...],
    expect_size: tuple[int, int] | None = None,
) -> _Raw:
    files = [p for p, _ in train + test]
    pixels = _decode_images(files, expect_size=expect_size)
    labels = np.array([t for _, t in train + test], dtype=np.int64)
    n = len(train)
    return _Raw(pixels[:n], labels[:n], pixels[n:], labels[n:], classes)


def _decode_images(files: Sequence[str], expect_size: tuple[int, int] | None = None) -> np.ndarray:
    """Decode image files to one uint8 array of shape ``(N, 3, H, W)``.

    All images must have the size of the first one (or ``expect_size``, ``(W, H)``).
    """
    from PIL import Image
    from tqdm.auto import tqdm

    first = files[0]
    if expect_size is None:
        try:
            with Image.open(first) as im:
                expect_size = im.size
        except Exception as exc:  # noqa: BLE001 - PIL raises many types on bad files
            raise CorruptDataError(f"cannot read image {first}: {exc}") from exc
        size_rule = f"the first image {first} is"
    else:
        size_rule = "expected"
    width, height = expect_size
    # Decoded straight into one preallocated uint8 array; float conversion happens once at
    # the end, so peak memory is a quarter of decoding to float per image.
    out = np.empty((len(files), height, width, 3), dtype=np.uint8)

    def decode(start: int, stop: int) -> int:
        for i in range(start, stop):
            path = files[i]
            try:
                with Image.open(path) as im:
                    if im.size != (width, height):
                        raise CorruptDataError(
                            f"image {path} is {im.size[0]}x{im.size[1]}, but {size_rule} {width}x{height}; "
                            f"all images must have the same size"
                        )
                    out[i] = np.asarray(im.convert("RGB"))
            except CorruptDataError:
                raise
            except Exception as exc:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError...
                raise CorruptDataError(f"cannot decode image {path}: {exc}") from exc
        return stop - start

    # PIL releases the GIL only inside the decoder (about half of the ~90 us per CIFAR JPEG;
    # the rest is Python header parsing), so threads give at most ~2x: measured 1.2-1.6x on
    # 2 busy cores. More than 4 threads only add contention. Blocks of files keep the
    # per-task overhead small.
    block = 512
    workers = min(4, os.cpu_count() or 1)
    progress = tqdm(total=len(files), desc="decoding images", unit="img", disable=len(files) < _PROGRESS_MIN_FILES)
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = [pool.submit(decode, s, min(s + block, len(files))) for s in range(0, len(files), block)]
        for future in futures:
            progress.update(future.result())
    finally:
        # On the first bad file, drop the blocks not yet started instead of decoding them.
        pool.shutdown(wait=True, cancel_futures=True)
        progress.close()
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


# ------------------------------------------------------------------------------- cache


def _content_digest(base: Path, files: Sequence[str]) -> str:
    """Return a sha256 hex digest of the files' sorted relative paths and bytes."""
    h = hashlib.sha256(f"helpers.data cache format {_CACHE_FORMAT}\n".encode())
    for rel in sorted(files):
        with open(os.path.join(base, rel), "rb") as fh:
            data = fh.read()
        # Length-prefixed fields, so no two different file sets hash the same stream.
        name = rel.encode("utf-8")
        h.update(struct.pack(">Q", len(name)) + name + struct.pack(">Q", len(data)))
        h.update(data)
    return h.hexdigest()


def _read_cache(path: Path) -> _Raw | None:
    """Return the cached arrays, or None when absent or unreadable (then rewritten)."""
    if not path.is_file():
        return None
    try:
        # Own file handle: np.load(path) leaks its handle when the zip is broken.
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as npz:
            raw = _Raw(
                npz["X_train"],
                npz["y_train"],
                npz["X_test"],
                npz["y_test"],
                tuple(str(c) for c in npz["classes"]),
            )
        _check_raw(raw, str(path))
    except Exception as exc:  # noqa: BLE001 - a broken cache is only a missed shortcut
        warnings.warn(f"ignoring unreadable cache file {path} ({exc}); it will be rewritten", stacklevel=3)
        return None
    return raw


def _write_cache(path: Path, raw: _Raw) -> None:
    """Write the arrays atomically; skip caching with a warning if that is impossible."""
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A temp file in the same directory plus os.replace: readers see either the old
        # state or the complete file, never a partial one.
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(
                fh,
                X_train=raw.X_train,
                y_train=raw.y_train,
                X_test=raw.X_test,
                y_test=raw.y_test,
                classes=np.array(raw.classes, dtype=str),
            )
            fh.flush()
            os.fsync(fh.fileno())
        paths.replace_keeping_umask(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        warnings.warn(f"could not write cache file {path} ({exc}); continuing without the cache", stacklevel=3)
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


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


def _download(fetch: Callable[[], object], present: Callable[[], bool], message: str,
              watched: Sequence[Path]) -> None:
    """Run a torchvision download; raise DataNotFoundError unless the files are then present.

    The torchvision constructor that downloads also loads and checks the data; a failure
    there, after the files arrived, is left to this module's own checks and readers.

    ``watched`` are the folders the download writes into. When it fails, or is
    interrupted (KeyboardInterrupt, SystemExit), whatever it added there is removed: new
    entries of a watched folder that existed, and watched folders it created. A failed
    attempt thus leaves the data root as it was, with no partial archive that a later
    check would take for data.
    """
    before = {folder: _entries(folder) for folder in watched}
    try:
        fetch()
    except (OSError, RuntimeError) as exc:  # URLError is an OSError
        if not present():
            _remove_additions(before)
            raise DataNotFoundError(f"{message} Download failed: {exc}") from exc
    except BaseException:
        _remove_additions(before)
        raise
    if not present():
        _remove_additions(before)
        raise DataNotFoundError(message)


def _entries(folder: Path) -> set[str] | None:
    """Return the names inside ``folder``, or None when it is not a directory."""
    try:
        return set(os.listdir(folder))
    except OSError:
        return None


def _remove_additions(before: dict[Path, set[str] | None]) -> None:
    """Remove what appeared in the watched folders since ``before`` was taken (best effort)."""
    for folder, names in before.items():
        if names is None:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        for name in sorted((_entries(folder) or set()) - names):
            path = folder / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    path.unlink()
                except OSError:
                    pass
