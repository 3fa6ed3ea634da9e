"""Atomic writes of generated files: a temporary file in the same directory, then
:func:`os.replace`, so a LaTeX build never reads a half-written file.

May import: pandas and the standard library.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from helpers import paths


def _atomic_write(path: Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        paths.replace_keeping_umask(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _atomic_csv(frame: pd.DataFrame, path: Path) -> Path:
    return _atomic_write(path, frame.to_csv(index=False))
