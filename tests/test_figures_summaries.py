"""Tests of helpers.figures.summaries: AULC summary and labels to target.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from helpers import figures, stats
from figures_fixtures import _check, close_figures, data  # noqa: F401  (close_figures: autouse)


def test_aulc_summary(data, tmp_path):
    _check(figures.plot_aulc_summary(data["strategy_summary"], out_dir=tmp_path),
           ["aulc_summary.pdf", "aulc_summary.png"])


def test_labels_to_target(data, tmp_path):
    table = stats.labels_to_target_table(data["runs"])
    _check(figures.plot_labels_to_target(table, out_dir=tmp_path),
           ["labels_to_target.pdf", "labels_to_target.png"])


def test_not_reached_labels_keep_clear_of_the_dashed_line(tmp_path, monkeypatch):
    """With the line at 1 near the right edge or near the left, no "not reached" label covers it."""
    for top_ratio in (0.5, 3.0):  # x limit 1.25 (line at 80 % of the width) or 3.3 (at 30 %)
        rows = [("random", 1.0, True), ("margin", top_ratio, True), ("entropy", np.nan, False),
                ("least_confident", np.nan, False)]
        table = pd.DataFrame([{"pair": "mnist_logreg", "experiment": e, "strategy": s, "ratio": r,
                               "reached": reached, "reference_labels_queried": 100.0}
                              for e in ("small", "moderate", "large") for s, r, reached in rows])
        found = []

        def check(fig, out_dir, stem):
            fig.canvas.draw()
            for ax in fig.axes:  # three panels a row: narrow, as in the paper
                line_x = ax.transData.transform((1.0, 0.0))[0]
                labels = [t for t in ax.texts if t.get_text() == "not reached"]
                found.append(len(labels))
                for text in labels:
                    box = text.get_window_extent()
                    assert not box.x0 - 2 <= line_x <= box.x1 + 2, (top_ratio, box, line_x)
                    assert ax.get_window_extent().x0 <= box.x0 and box.x1 <= ax.get_window_extent().x1
            plt.close(fig)
            return []

        monkeypatch.setattr(figures.style, "_save", check)
        figures.plot_labels_to_target(table, out_dir=tmp_path)
        assert found == [2, 2, 2]
