"""Tests of helpers.figures.stream: the stream cost figure.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

from helpers import figures
from figures_fixtures import _check, close_figures, data  # noqa: F401  (close_figures: autouse)


def test_stream_cost(data, tmp_path):
    _check(figures.plot_stream_cost(data["per_run"], out_dir=tmp_path),
           ["stream_cost.pdf", "stream_cost.png"])
