"""What every pilot script does last: find its runs on disk, write its summary table and print it.

A pilot's summary is a function of every run in its folder, never of the arguments of the
last invocation: a later call that runs one more setting (or only summarises) rewrites the
summary with all settings found on disk, so no earlier row is lost.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import pandas as pd


def save_and_print(table: pd.DataFrame, path: Path) -> Path:
    """Write ``table`` to ``path`` as CSV (creating the folder), print it, and return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    with pd.option_context("display.width", 220, "display.max_columns", 30, "display.precision", 4):
        print(table.to_string(index=False))
    print(f"\nwritten: {path}")
    return path


def setting_folders(root: Path, pattern: str) -> dict[str, Path]:
    """Return the sub-folders of ``root`` whose whole name matches ``pattern``.

    Parameters
    ----------
    root
        A pilot's results folder (one sub-folder per setting, e.g. ``iter10``).
    pattern
        Regular expression a setting folder's name must match in full.

    Returns
    -------
    dict
        Folder name -> path, sorted by name; empty when ``root`` does not exist.
    """
    root = Path(root)
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and re.fullmatch(pattern, p.name)}


def add_grid_arguments(parser: argparse.ArgumentParser, strategies) -> argparse.ArgumentParser:
    """Add the options every ablation script shares: strategies, data, results, jobs, summary only.

    Returns
    -------
    argparse.ArgumentParser
        ``parser``, with ``--strategies`` (default ``strategies``), ``--data-root`` (default
        ``$AL_DATA_DIR``), ``--results-dir`` (the study's results root), ``--jobs`` and
        ``--summary-only``.
    """
    parser.add_argument("--strategies", nargs="+", default=list(strategies))
    parser.add_argument("--data-root", default=os.environ.get("AL_DATA_DIR"))
    parser.add_argument("--results-dir", default=None, help="the study's results root (default: results/)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--summary-only", action="store_true", help="run nothing; summarise the finished runs")
    return parser
