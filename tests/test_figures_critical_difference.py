"""Tests of helpers.figures.critical_difference: the critical-difference diagram.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

import pandas as pd
import pytest

from helpers import figures, stats
from figures_fixtures import _check, close_figures, data  # noqa: F401  (close_figures: autouse)


def test_critical_difference(data, tmp_path):
    ranks = stats.friedman_ranks(data["per_run"])
    assert set(ranks["strategy"]) == {"random", "margin", "entropy", "stream_uncertainty"}
    paths = figures.plot_critical_difference(ranks, out_dir=tmp_path)
    _check(paths, ["critical_difference.pdf", "critical_difference.png"])


def test_critical_difference_draws_only_the_pairs_asked_for(data, tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(figures.style, "_save", lambda fig, out_dir, stem: seen.setdefault(stem, fig) and [])
    ranks = stats.friedman_ranks(data["per_run"])
    other = ranks.assign(pair="cifar10_cnn")
    both = pd.concat([ranks, other], ignore_index=True)
    figures.plot_critical_difference(both, out_dir=tmp_path)
    assert len(seen.pop("critical_difference").axes) == 2
    figures.plot_critical_difference(both, out_dir=tmp_path, pairs=["cifar10_cnn"])
    assert len(seen.pop("critical_difference").axes) == 1
    with pytest.raises(ValueError, match="no ranks"):
        figures.plot_critical_difference(both, out_dir=tmp_path, pairs=["mnist_cnn"])


def test_rank_labels_cross_no_leader_line():
    positions = [0.28, 0.33, 0.49, 0.52, 0.88]  # the MNIST ranks, in axes fraction
    widths = [0.3, 0.31, 0.47, 0.3, 0.29]
    order = figures._place_rank_labels(positions, widths)
    assert sorted(m for m, _ in order) == list(range(5))
    spans = {"left": (0, 1), "center": (-0.5, 0.5), "right": (-1, 0)}
    for row, (m, ha) in enumerate(order):
        lo, hi = (positions[m] + f * widths[m] for f in spans[ha])
        assert -0.01 <= lo and hi <= 1.01
        below = [o for o, _ in order[row + 1:]]
        assert not any(lo < positions[o] < hi for o in below), (m, ha)
