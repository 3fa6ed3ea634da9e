"""``"cifar10"`` in both layouts: ``<root>/cifar-10-batches-py`` (the original python pickle
batches), or else an image-folder copy in ``<root>/cifar-10-jpeg``.

May import: :mod:`helpers.data.base`, :mod:`helpers.data.download`,
:mod:`helpers.data.image_folder`, numpy, torchvision (lazily) and the standard library.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from helpers.data.base import CorruptDataError, DataNotFoundError, _Plan, _Raw, _relative, _root_origin
from helpers.data.download import _download
from helpers.data.image_folder import _decode_image_folder, _describe_formats, _enumerate_image_folder


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

CIFAR10_BATCH_FILES: tuple[str, ...] = (
    "data_batch_1",
    "data_batch_2",
    "data_batch_3",
    "data_batch_4",
    "data_batch_5",
    "test_batch",
    "batches.meta",
)


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
