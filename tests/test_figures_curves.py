"""Tests of helpers.figures.curves: learning curves.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

import matplotlib.pyplot as plt
import pytest

from helpers import figures, stats
from figures_fixtures import _check, close_figures, data, full  # noqa: F401  (close_figures: autouse)


@pytest.mark.parametrize("x, stem", [("n_labeled", "learning_curves"),
                                     ("frac_labeled", "learning_curves_frac")])
def test_learning_curves(data, tmp_path, x, stem):
    paths = figures.plot_learning_curves(data["summary"], data["reference"], "mnist_logreg",
                                         "large", x=x, out_dir=tmp_path)
    _check(paths, [f"{stem}_mnist_logreg_large.pdf", f"{stem}_mnist_logreg_large.png"])


def test_learning_curves_zoom_and_missing_reference(data, tmp_path, monkeypatch):
    captured = {}
    monkeypatch.setattr(figures.style, "_save", lambda fig, out_dir, stem: captured.update(
        ylim=fig.axes[0].get_ylim()) or [])
    figures.plot_learning_curves(data["summary"], None, "mnist_logreg", "large", out_dir=tmp_path)
    large = data["summary"][data["summary"]["experiment"] == "large"]
    lo, hi = captured["ylim"]
    # Zoomed to the data (in %), not to [0, 100].
    assert lo > 100 * large["ci_lo"].min() - 1 and hi < 100 * large["ci_hi"].max() + 1
    plt.close("all")


def test_learning_curves_rejects_unknown(data, tmp_path):
    with pytest.raises(ValueError):
        figures.plot_learning_curves(data["summary"], None, "nope", "small", out_dir=tmp_path)
    with pytest.raises(ValueError):
        figures.plot_learning_curves(data["summary"], None, "mnist_logreg", "small", x="iteration",
                                     out_dir=tmp_path)


def test_learning_curves_small_start_has_log_x(full, tmp_path, monkeypatch):
    captured = {}
    monkeypatch.setattr(figures.style, "_save", lambda fig, out_dir, stem: captured.update(
        {stem: (fig.axes[0].get_xscale(), fig.axes[0].get_xlabel(), fig.axes[0].get_xlim())}) or [])
    for experiment in ("small", "large"):
        for x in ("n_labeled", "frac_labeled"):
            figures.plot_learning_curves(full["summary"], full["reference"], "mnist_logreg", experiment,
                                         x=x, out_dir=tmp_path)
    scale, label, (lo, _) = captured["learning_curves_mnist_logreg_small"]
    assert scale == "log" and "log scale" in label and lo == 10  # one label per class
    assert captured["learning_curves_frac_mnist_logreg_small"][0] == "log"
    assert "log scale" in captured["learning_curves_frac_mnist_logreg_small"][1]
    assert captured["learning_curves_mnist_logreg_large"][:2] == ("linear", "Labelled examples")
    figures.plot_learning_curves(full["summary"], None, "mnist_logreg", "small", log_x=False, out_dir=tmp_path)
    assert captured["learning_curves_mnist_logreg_small"][0] == "linear"
    plt.close("all")


def test_learning_curve_row_has_a_panel_per_experiment_and_one_legend(full, tmp_path, monkeypatch):
    drawn = {}
    monkeypatch.setattr(figures.style, "_save", lambda fig, out_dir, stem: drawn.setdefault(stem, fig) and [])
    figures.plot_learning_curve_row(full["summary"], full["reference"], "mnist_logreg", out_dir=tmp_path)
    fig = drawn["learning_curves_mnist_logreg"]
    axes = fig.get_axes()
    assert [ax.get_title() for ax in axes] == [stats.experiment_label(e) for e in ("small", "moderate", "large")]
    assert [ax.get_xscale() for ax in axes] == ["log", "linear", "linear"]
    assert len(fig.legends) == 1 and not any(ax.get_legend() for ax in axes)
    renderer = fig.canvas.get_renderer()
    for ax in axes:  # the x tick labels of every panel stay apart
        boxes = sorted((t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()),
                       key=lambda b: b.x0)
        assert all(a.x1 <= b.x0 for a, b in zip(boxes, boxes[1:])), ax.get_title()
    with pytest.raises(ValueError, match="no curves"):
        figures.plot_learning_curve_row(full["summary"], full["reference"], "digits_cnn", out_dir=tmp_path)
