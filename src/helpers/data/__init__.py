r"""Dataset loading, caching and preprocessing.

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

Layout (one file per dataset behind one entry point, like torchvision's ``datasets/``):

- :mod:`~helpers.data.base`: :class:`Dataset`, the errors, shared records and checks
- :mod:`~helpers.data.channels`: :func:`channel_stats`, :func:`normalize_channels`
- :mod:`~helpers.data.mnist`, :mod:`~helpers.data.cifar10` (both layouts),
  :mod:`~helpers.data.digits`, :mod:`~helpers.data.image_folder`: one file per dataset
- :mod:`~helpers.data.cache`: the decoding cache; :mod:`~helpers.data.download`: downloads
- :mod:`~helpers.data.registry`: :func:`load_dataset` and the registry behind it

Adding a dataset is one new file and one registry line. The file defines a planner that
locates the files cheaply and returns a ``_Plan`` whose ``decode`` reads them (decoded
pixels are cached by content)::

    # helpers/data/svhn.py
    def _plan_svhn(root: Path, download: bool, root_given: bool) -> _Plan: ...

    # helpers/data/registry.py, in _REGISTRY
    "svhn": _Source(plan=_plan_svhn),

A bundled dataset that needs no files registers ``_Source(load=...)`` instead (as digits
does). This package may import :mod:`helpers.paths` only (it sits below
:mod:`helpers.loop` and :mod:`helpers.grid`).
"""

from __future__ import annotations

from helpers.data.base import (  # noqa: F401
    DIGIT_CLASSES,
    DataNotFoundError,
    CorruptDataError,
    Dataset,
    _Raw,
    _Plan,
    array_digest,
    _check_raw,
    _to_unit_float,
    _relative,
    _root_origin,
)
from helpers.data.channels import (  # noqa: F401
    channel_stats,
    normalize_channels,
)
from helpers.data.download import (  # noqa: F401
    _download,
    _entries,
    _remove_additions,
)
from helpers.data.cache import (  # noqa: F401
    _CACHE_FORMAT,
    _content_digest,
    _read_cache,
    _write_cache,
)
from helpers.data.digits import (  # noqa: F401
    _load_digits,
)
from helpers.data.image_folder import (  # noqa: F401
    _PROGRESS_MIN_FILES,
    _IMAGE_FORMATS,
    _plan_image_folder,
    _enumerate_image_folder,
    _describe_formats,
    _decode_image_folder,
    _decode_images,
)
from helpers.data.mnist import (  # noqa: F401
    MNIST_FILES,
    _plan_mnist,
    _mnist_missing_message,
    _torchvision_mnist,
    _decode_mnist_torchvision,
    _decode_mnist_gz,
    _check_mnist_arrays,
    _IDX_DTYPES,
    _parse_idx_header,
    _check_idx_header,
    _read_idx_gz,
)
from helpers.data.cifar10 import (  # noqa: F401
    CIFAR10_CLASSES,
    CIFAR10_BATCH_FILES,
    _plan_cifar10,
    _cifar10_missing_message,
    _torchvision_cifar10,
    _cifar10_md5_ok,
    _decode_cifar10_batches,
    _ArrayUnpickler,
    _unpickle,
    _concat_batches,
    _plan_cifar10_folder,
)
from helpers.data.registry import (  # noqa: F401
    DATASETS,
    _REGISTRY,
    _Source,
    _relative_source,
    load_dataset,
)

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
