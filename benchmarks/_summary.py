"""What every pilot script does last: write its summary table and print it."""

from __future__ import annotations

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
