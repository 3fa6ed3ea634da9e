"""The registry behind :func:`load_dataset`: dataset name -> the function that locates it.

May import: every other ``helpers.data`` module and :mod:`helpers.paths`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from helpers import paths
from helpers.data import cache as decoding_cache
from helpers.data.base import Dataset, _Plan, _check_raw, _to_unit_float, array_digest
from helpers.data.cache import _content_digest, _read_cache
from helpers.data.cifar10 import _plan_cifar10
from helpers.data.digits import _load_digits
from helpers.data.image_folder import _plan_image_folder
from helpers.data.mnist import _plan_mnist


class _Source(NamedTuple):
    """How :func:`load_dataset` gets one dataset: exactly one of the two is set."""

    #: ``plan(root, download, root_given)`` locates and cheaply checks the files; the
    #: returned plan's ``decode`` reads them (decoded pixels are cached by content).
    plan: Callable[[Path, bool, bool], _Plan] | None = None
    #: ``load()`` returns a bundled dataset directly (no files, no cache).
    load: Callable[[], Dataset] | None = None


def _plan_image_folder_source(root: Path, download: bool, root_given: bool) -> _Plan:
    """``"image_folder"``: nothing to download, so ``download`` is ignored."""
    return _plan_image_folder(root, root_given)


#: Dataset name -> how to get it; adding a dataset adds one line here (and its file).
_REGISTRY: dict[str, _Source] = {
    "mnist": _Source(plan=_plan_mnist),
    "cifar10": _Source(plan=_plan_cifar10),
    "digits": _Source(load=_load_digits),
    "image_folder": _Source(plan=_plan_image_folder_source),
}

#: Names accepted by :func:`load_dataset`.
DATASETS: tuple[str, ...] = tuple(_REGISTRY)


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
    source = _REGISTRY[name]
    if source.load is not None:
        return source.load()

    root_given = root is not None
    root_path = Path(root).expanduser().resolve() if root_given else paths.data_dir()
    plan = source.plan(root_path, download, root_given)

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
            decoding_cache._write_cache(cache_file, raw)

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
