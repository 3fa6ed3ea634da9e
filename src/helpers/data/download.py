"""Torchvision downloads that leave nothing behind when they fail (:func:`_download`).

May import: :mod:`helpers.data.base` and the standard library.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

from helpers.data.base import DataNotFoundError


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
