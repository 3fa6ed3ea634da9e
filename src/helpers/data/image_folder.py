"""``"image_folder"``: ``root`` holds ``train/<class>/*`` and ``test/<class>/*`` (the
torchvision ``ImageFolder`` layout); also the decoder the CIFAR-10 image-folder copy uses.

May import: :mod:`helpers.data.base`, numpy, Pillow and the standard library.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from helpers.data.base import CorruptDataError, DataNotFoundError, _Plan, _Raw, _relative, _root_origin


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
