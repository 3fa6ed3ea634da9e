"""Tests of helpers.figures.stream: the stream cost figure.

Every figure function writes non-empty PDF and PNG files, printable at their natural size
(no text under 9 pt, at most a column or a page wide).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

from figures_fixtures import close_figures  # noqa: F401  (autouse)
from helpers import figures
from figures_fixtures import _check, data


def test_stream_cost(data, tmp_path):
    _check(figures.plot_stream_cost(data["per_run"], out_dir=tmp_path),
           ["stream_cost.pdf", "stream_cost.png"])
