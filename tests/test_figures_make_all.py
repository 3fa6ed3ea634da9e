"""Tests of helpers.figures.make_all: every figure from a result tree.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

from test_stats import write_fake_tree

from helpers import figures
from figures_fixtures import close_figures  # noqa: F401  (autouse)


def test_make_all_figures(tmp_path):
    root = write_fake_tree(tmp_path / "results", pairs=("digits_logreg",), experiments=("small",),
                           seeds=(42, 43), n_iterations=4)
    out = tmp_path / "figures"
    paths = figures.make_all_figures(root, out_dir=out)
    names = {p.name for p in paths}
    expected = {f"{stem}.{ext}" for ext in ("pdf", "png") for stem in (
        "learning_curves_digits_logreg", "learning_curves_frac_digits_logreg",
        "learning_curves_digits_logreg_small", "learning_curves_frac_digits_logreg_small",
        "confusion_digits_logreg_small", "aulc_summary", "labels_to_target", "stream_cost",
        "query_composition_digits_logreg", "critical_difference", "per_class_digits_logreg")}
    assert names == expected
    assert all(p.parent == out and p.stat().st_size > 0 for p in paths)
    assert not list(out.glob(".*tmp*")), "temporary files left behind"


def test_make_all_figures_draws_the_comparison_only_with_both_models(tmp_path):
    root = write_fake_tree(tmp_path / "results", pairs=("digits_logreg", "digits_cnn"), experiments=("small",),
                           seeds=(42, 43), n_iterations=4)
    names = {p.name for p in figures.make_all_figures(root, out_dir=tmp_path / "figures")}
    assert {"shallow_vs_deep.pdf", "shallow_vs_deep.png"} <= names


def test_summary_figures_show_the_study_cells_beside_the_crossed_ones(tmp_path, monkeypatch):
    """With a crossed cell on disk, the critical-difference, labels-to-target and stream-cost
    figures still show only the study's two cells; the crossed cell gets the crossed figure."""
    root = write_fake_tree(tmp_path / "results", pairs=("mnist_logreg", "cifar10_cnn", "mnist_cnn"),
                           experiments=("small",), seeds=(42, 43), n_iterations=4)
    drawn = {}
    # Saving normally closes each figure; kept open here for inspection (closed by close_figures).
    monkeypatch.setitem(matplotlib.rcParams, "figure.max_open_warning", 0)
    monkeypatch.setattr(figures.style, "_save", lambda fig, out_dir, stem: drawn.setdefault(stem, fig) and [])
    figures.make_all_figures(root, out_dir=tmp_path / "figures")
    assert len(drawn["critical_difference"].axes) == 2
    titles = " ".join(ax.get_title() for ax in drawn["labels_to_target"].axes)
    assert "MNIST, CNN" not in titles and "CNN, MNIST" not in titles and "CIFAR-10" in titles
    stream = " ".join(t.get_text() for ax in drawn["stream_cost"].axes for t in ax.get_yticklabels() + ax.get_xticklabels())
    assert "CNN, MNIST" not in stream and "MNIST, CNN" not in stream
    assert "crossed_gains" in drawn
