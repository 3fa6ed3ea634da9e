"""Tests of helpers.figures.style: colours, rc settings and every figure's print size.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

import re

import matplotlib.text
import pytest

from helpers import figures, stats
from figures_fixtures import _comparison, close_figures, drawn_text, full  # noqa: F401  (close_figures: autouse)


def test_strategy_colours_are_fixed_and_distinct():
    colours = [tuple(matplotlib.colors.to_rgb(figures.strategy_color(s)))
               for s in stats.STRATEGY_ORDER]
    assert len(set(colours)) == len(colours)
    assert figures.strategy_color("random") == figures.STRATEGY_COLORS["random"]
    assert figures.strategy_color("other") == figures.strategy_color("other")


def _pdf_size_inches(path):
    """Width and height of the first page, from the PDF's MediaBox (points)."""
    box = re.search(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]",
                    path.read_bytes())
    x0, y0, x1, y1 = map(float, box.groups())
    return (x1 - x0) / 72, (y1 - y0) / 72


_FIGURES = {  # name: (draw(data, out_dir) -> paths, widest it may be saved, in inches)
    "learning_curves_small_log": (lambda d, out: figures.plot_learning_curves(
        d["summary"], d["reference"], "cifar10_cnn", "small", out_dir=out), figures.SINGLE_COLUMN),
    "learning_curves_frac_moderate": (lambda d, out: figures.plot_learning_curves(
        d["summary"], d["reference"], "mnist_logreg", "moderate", x="frac_labeled", out_dir=out),
        figures.SINGLE_COLUMN),
    "confusion": (lambda d, out: figures.plot_confusion_matrices(d["meta"], "mnist_logreg", "small",
                                                                 out_dir=out), figures.FULL_WIDTH),
    "confusion_seed": (lambda d, out: figures.plot_confusion_matrices(
        d["meta"], "cifar10_cnn", "large", seed=42, out_dir=out), figures.FULL_WIDTH),
    "aulc_summary": (lambda d, out: figures.plot_aulc_summary(
        stats.strategy_summary(d["per_run"]), out_dir=out), figures.FULL_WIDTH),
    "labels_to_target": (lambda d, out: figures.plot_labels_to_target(
        stats.labels_to_target_table(d["runs"]), out_dir=out), figures.FULL_WIDTH),
    "stream_cost": (lambda d, out: figures.plot_stream_cost(d["per_run"], out_dir=out),
                    figures.SINGLE_COLUMN),
    "query_composition": (lambda d, out: figures.plot_query_composition(
        stats.query_composition(d["meta"]), "cifar10_cnn", out_dir=out), figures.FULL_WIDTH),
    "critical_difference": (lambda d, out: figures.plot_critical_difference(
        stats.friedman_ranks(d["per_run"]), out_dir=out), figures.SINGLE_COLUMN),
    "learning_curve_row": (lambda d, out: figures.plot_learning_curve_row(
        d["summary"], d["reference"], "mnist_logreg", out_dir=out), figures.FULL_WIDTH),
    "learning_curve_row_frac": (lambda d, out: figures.plot_learning_curve_row(
        d["summary"], d["reference"], "cifar10_cnn", x="frac_labeled", out_dir=out), figures.FULL_WIDTH),
    "shallow_vs_deep": (lambda d, out: figures.plot_model_comparison(_comparison(d["per_run"]), out_dir=out),
                        figures.FULL_WIDTH),
    "crossed_gains": (lambda d, out: figures.plot_crossed_gains(stats.paired_tests(d["per_run"], "aulc"),
                                                                out_dir=out), figures.FULL_WIDTH),
    "per_class": (lambda d, out: figures.plot_per_class_deficit(stats.class_table(d["meta"]), "mnist_logreg",
                                                                out_dir=out), figures.FULL_WIDTH),
}


@pytest.mark.parametrize("name", list(_FIGURES))
def test_figures_are_readable_at_natural_size(full, tmp_path, drawn_text, name):
    """No text under 9 pt, and the saved page no wider than the column or the page it is printed in."""
    draw, widest = _FIGURES[name]
    paths = draw(full, tmp_path)
    assert len(drawn_text) == 1
    (stem, texts), = drawn_text.items()
    assert texts, "no text drawn"
    small = sorted({(text, size) for text, size in texts if size < figures.MIN_FONT_SIZE})
    assert not small, f"{stem}: text under {figures.MIN_FONT_SIZE} pt: {small}"
    width, height = _pdf_size_inches(paths[0])
    assert width <= widest + 0.005, f"{stem}: {width:.2f} in wide, more than {widest} in"
    assert 0.5 < height < 9.0


def test_rc_fonts_are_at_least_caption_size():
    keys = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
            "legend.fontsize", "legend.title_fontsize", "figure.titlesize", "figure.labelsize")
    assert all(float(figures.RC[k]) >= figures.MIN_FONT_SIZE == 9 for k in keys)
    assert figures.SINGLE_COLUMN <= 3.25 and figures.FULL_WIDTH <= 6.75


def test_a_pair_label_wider_than_its_panel_breaks_before_its_last_part():
    import matplotlib.pyplot as plt

    from helpers.figures import style

    fig = plt.figure()
    try:
        narrow = style._panel_title("mnist_logreg_b250", "small", 2, fig=fig, width=1.0)
        assert narrow.split("\n")[:2] == ["MNIST, logistic regression", "250 x 50"]
        wide = style._panel_title("mnist_logreg_b250", "small", 2, fig=fig, width=20.0)
        assert wide.split("\n")[0] == "MNIST, logistic regression, 250 x 50"
        assert style._panel_title("mnist_logreg", "small", 2, fig=fig, width=1.0).split("\n")[:2] == \
            ["MNIST", "logistic regression"]
        assert style._panel_title("mnist_logreg", "small", 2).split("\n")[0] == "MNIST, logistic regression"
    finally:
        plt.close(fig)
