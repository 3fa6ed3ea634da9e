"""The decoding cache: decoded uint8 pixels stored as ``.npz`` files in
:func:`helpers.paths.cache_dir`, keyed by a digest of the source files' content.

May import: :mod:`helpers.data.base`, :mod:`helpers.paths`, numpy and the standard library.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from helpers import paths
from helpers.data.base import _Raw, _check_raw


# Bumping this invalidates every cache file (part of the digest), e.g. after a change in
# how pixels are decoded.
_CACHE_FORMAT = 1


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
