"""Tests of helpers.figures.perclass: confusion matrices and per-class deficit.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import figures, stats
from figures_fixtures import _check, close_figures, data, full  # noqa: F401  (close_figures: autouse)


def test_confusion_matrices(data, tmp_path):
    _check(figures.plot_confusion_matrices(data["meta"], "mnist_logreg", "small", out_dir=tmp_path),
           ["confusion_mnist_logreg_small.pdf", "confusion_mnist_logreg_small.png"])
    _check(figures.plot_confusion_matrices(data["meta"], "mnist_logreg", "small", seed=43,
                                           out_dir=tmp_path),
           ["confusion_mnist_logreg_small_seed43.pdf", "confusion_mnist_logreg_small_seed43.png"])


def test_per_class_deficit_bars_add_up_to_the_gap(full, tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(figures.style, "_save", lambda fig, out_dir, stem: seen.setdefault(stem, fig) and [])
    table = stats.class_table(full["meta"])
    figures.plot_per_class_deficit(table, "mnist_logreg", out_dir=tmp_path)
    fig = seen["per_class_mnist_logreg"]
    small = table[(table["pair"] == "mnist_logreg") & (table["experiment"] == "small") & table["gap_points"].notna()]
    heights = sum(p.get_height() for p in fig.axes[0].patches if np.isfinite(p.get_height()))
    assert heights == pytest.approx(small["gap_points"].sum())
    plt.close(fig)
    with pytest.raises(ValueError):
        figures.plot_per_class_deficit(table, "no_such_pair", out_dir=tmp_path)
