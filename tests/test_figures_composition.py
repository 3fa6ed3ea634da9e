"""Tests of helpers.figures.composition: the query composition figure.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

import pandas as pd

from helpers import figures, stats
from figures_fixtures import _check, close_figures, data  # noqa: F401  (close_figures: autouse)


def test_query_composition(data, tmp_path):
    composition = stats.query_composition(data["meta"])
    paths = figures.plot_query_composition(composition, "mnist_logreg", out_dir=tmp_path)
    _check(paths, ["query_composition_mnist_logreg.pdf", "query_composition_mnist_logreg.png"])


def test_composition_legend_names_the_classes(tmp_path, monkeypatch):
    rows = [{"pair": "cifar10_cnn", "experiment": "small", "strategy": "margin", "seed": 42, "block": it,
             "first_iteration": 1, "last_iteration": it, "class": c, "class_name": name, "count": 1, "share": 0.5}
            for it in (1, 2) for c, name in enumerate(["airplane", "automobile"])]
    legends = []
    monkeypatch.setattr(figures.style, "_save", lambda fig, out_dir, stem: legends.extend(
        t.get_text() for legend in fig.legends for t in legend.get_texts()) or [])
    figures.plot_query_composition(pd.DataFrame(rows), "cifar10_cnn", out_dir=tmp_path)
    assert "airplane" in legends and "automobile" in legends and "0" not in legends
