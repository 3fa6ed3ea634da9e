"""Tests of helpers.report.output: atomic writes of generated files.
"""

from __future__ import annotations

import pandas as pd

from helpers import report


def test_generated_tables_respect_the_umask(tmp_path):
    import os

    previous = os.umask(0o022)
    try:
        written = report.output._atomic_write(tmp_path / "table.tex", "x\n")
        csv = report.output._atomic_csv(pd.DataFrame({"a": [1]}), tmp_path / "table.csv")
    finally:
        os.umask(previous)
    assert os.stat(written).st_mode & 0o777 == 0o644
    assert os.stat(csv).st_mode & 0o777 == 0o644
