"""``"mnist"``: ``<root>/MNIST/raw``, the four uncompressed IDX files read by torchvision, or
else the four original ``.gz`` files read by the small IDX parser here.

May import: :mod:`helpers.data.base`, :mod:`helpers.data.download`, numpy, torchvision
(lazily) and the standard library.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from helpers.data.base import DIGIT_CLASSES, CorruptDataError, DataNotFoundError, _Plan, _Raw, _root_origin
from helpers.data.download import _download


MNIST_FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
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
