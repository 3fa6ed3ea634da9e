"""Tests of helpers.figures: every figure function writes non-empty PDF and PNG files,
printable at their natural size (no text under 9 pt, at most a column or a page wide)."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.text  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers import figures, stats  # noqa: E402
from test_stats import write_fake_tree  # noqa: E402


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = write_fake_tree(tmp_path_factory.mktemp("results"), pairs=("mnist_logreg",),
                           strategies=("random", "margin", "entropy", "stream_uncertainty"))
    runs = stats.load_runs(root)
    per_run = stats.per_run_metrics(runs)
    return {
        "root": root,
        "runs": runs,
        "summary": stats.curve_summary(runs),
        "reference": stats.load_reference(root),
        "meta": stats.load_run_meta(root),
        "per_run": per_run,
        "strategy_summary": stats.strategy_summary(per_run),
    }


def _check(paths, names):
    assert [p.name for p in paths] == names
    for p in paths:
        assert p.exists() and p.stat().st_size > 1000
    assert paths[0].read_bytes().startswith(b"%PDF")
    assert paths[1].read_bytes().startswith(b"\x89PNG")
    assert not plt.get_fignums(), "figure left open"


@pytest.mark.parametrize("x, stem", [("n_labeled", "learning_curves"),
                                     ("frac_labeled", "learning_curves_frac")])
def test_learning_curves(data, tmp_path, x, stem):
    paths = figures.plot_learning_curves(data["summary"], data["reference"], "mnist_logreg",
                                         "large", x=x, out_dir=tmp_path)
    _check(paths, [f"{stem}_mnist_logreg_large.pdf", f"{stem}_mnist_logreg_large.png"])


def test_learning_curves_zoom_and_missing_reference(data, tmp_path, monkeypatch):
    captured = {}
    monkeypatch.setattr(figures, "_save", lambda fig, out_dir, stem: captured.update(
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


def test_aulc_summary(data, tmp_path):
    _check(figures.plot_aulc_summary(data["strategy_summary"], out_dir=tmp_path),
           ["aulc_summary.pdf", "aulc_summary.png"])


def test_labels_to_target(data, tmp_path):
    table = stats.labels_to_target_table(data["runs"])
    _check(figures.plot_labels_to_target(table, out_dir=tmp_path),
           ["labels_to_target.pdf", "labels_to_target.png"])


def test_confusion_matrices(data, tmp_path):
    _check(figures.plot_confusion_matrices(data["meta"], "mnist_logreg", "small", out_dir=tmp_path),
           ["confusion_mnist_logreg_small.pdf", "confusion_mnist_logreg_small.png"])
    _check(figures.plot_confusion_matrices(data["meta"], "mnist_logreg", "small", seed=43,
                                           out_dir=tmp_path),
           ["confusion_mnist_logreg_small_seed43.pdf", "confusion_mnist_logreg_small_seed43.png"])


def test_stream_cost(data, tmp_path):
    _check(figures.plot_stream_cost(data["per_run"], out_dir=tmp_path),
           ["stream_cost.pdf", "stream_cost.png"])


def test_strategy_colours_are_fixed_and_distinct():
    colours = [tuple(matplotlib.colors.to_rgb(figures.strategy_color(s)))
               for s in stats.STRATEGY_ORDER]
    assert len(set(colours)) == len(colours)
    assert figures.strategy_color("random") == figures.STRATEGY_COLORS["random"]
    assert figures.strategy_color("other") == figures.strategy_color("other")


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


def test_query_composition(data, tmp_path):
    composition = stats.query_composition(data["meta"])
    paths = figures.plot_query_composition(composition, "mnist_logreg", out_dir=tmp_path)
    _check(paths, ["query_composition_mnist_logreg.pdf", "query_composition_mnist_logreg.png"])


def test_critical_difference(data, tmp_path):
    ranks = stats.friedman_ranks(data["per_run"])
    assert set(ranks["strategy"]) == {"random", "margin", "entropy", "stream_uncertainty"}
    paths = figures.plot_critical_difference(ranks, out_dir=tmp_path)
    _check(paths, ["critical_difference.pdf", "critical_difference.png"])


def _comparison(per_run):
    tests = pd.concat([stats.paired_tests(per_run, m) for m in stats.COMPARISON_METRICS], ignore_index=True)
    ranks = stats.friedman_ranks(per_run, by=("pair", "experiment"))
    return stats.model_comparison(tests, ranks, "mnist_logreg", "cifar10_cnn")


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    """Shallow with three seeds, deep with one (no intervals)."""
    root = write_fake_tree(tmp_path_factory.mktemp("results"), pairs=("mnist_logreg",), seeds=(42, 43, 44))
    write_fake_tree(root, pairs=("cifar10_cnn",), seeds=(42,))
    return _comparison(stats.per_run_metrics(stats.load_runs(root)))


def test_model_comparison(comparison, tmp_path):
    assert comparison["deep_lo"].isna().all() and comparison["shallow_lo"].notna().all()
    _check(figures.plot_model_comparison(comparison, out_dir=tmp_path),
           ["shallow_vs_deep.pdf", "shallow_vs_deep.png"])


def test_model_comparison_layout_ranks_and_font_sizes(comparison, monkeypatch):
    captured = {}
    monkeypatch.setattr(figures, "_save", lambda fig, out_dir, stem: captured.update(fig=fig, stem=stem) or [])
    figures.plot_model_comparison(comparison, out_dir=None)
    fig = captured["fig"]
    assert captured["stem"] == "shallow_vs_deep"
    assert fig.get_size_inches()[0] == pytest.approx(figures.FULL_WIDTH)
    axes = [ax for ax in fig.axes if ax.axison]
    assert len(axes) == 2 * 2  # metrics x experiments (small, large)
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["Margin", "Stream"]
    # AULC row: one rank number beside each of the 2 x 2 markers, as the table says.
    shown = sorted(t.get_text() for t in axes[0].texts)
    small = comparison[(comparison["experiment"] == "small") & (comparison["metric"] == "aulc")]
    assert shown == sorted(f"{r:.1f}" for r in list(small["shallow_rank"]) + list(small["deep_rank"]))
    assert not axes[2].texts  # no ranks in the final-accuracy row
    legend = fig.legends[0]
    labels = [t.get_text() for t in legend.get_texts()]
    # Two legend columns, filled column by column: the models side by side in the first row.
    assert labels[0::2] == ["MNIST, logistic regression (3 seeds)", "CIFAR-10, CNN (1 seed)"]
    # Nothing smaller than 8 pt at the printed size.
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text().strip()]
    assert sizes and min(sizes) >= 8
    plt.close(fig)


def test_model_comparison_rejects_an_empty_table(tmp_path):
    with pytest.raises(ValueError):
        figures.plot_model_comparison(pd.DataFrame(columns=stats.COMPARISON_COLUMNS), out_dir=tmp_path)


def test_make_all_figures_draws_the_comparison_only_with_both_models(tmp_path):
    root = write_fake_tree(tmp_path / "results", pairs=("digits_logreg", "digits_cnn"), experiments=("small",),
                           seeds=(42, 43), n_iterations=4)
    names = {p.name for p in figures.make_all_figures(root, out_dir=tmp_path / "figures")}
    assert {"shallow_vs_deep.pdf", "shallow_vs_deep.png"} <= names
    # test_make_all_figures: one pair only, and the exact set of names has no comparison.

# --------------------------------------------------------------------------- print size
@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """Two pairs, three experiments, five strategies: the paper's layout, on little data."""
    root = write_fake_tree(tmp_path_factory.mktemp("results_full"), pairs=("mnist_logreg", "cifar10_cnn"),
                           experiments=("small", "moderate", "large"),
                           strategies=("random", "least_confident", "margin", "entropy",
                                       "stream_uncertainty"),
                           seeds=(42, 43), n_iterations=6)
    runs = stats.load_runs(root)
    meta = stats.load_run_meta(root)
    per_run = stats.per_run_metrics(runs)
    return {"runs": runs, "meta": meta, "per_run": per_run, "summary": stats.curve_summary(runs),
            "reference": stats.load_reference(root)}


@pytest.fixture
def drawn_text(monkeypatch):
    """Record every Text artist drawn while a figure is saved: {stem: [(text, fontsize), ...]}."""
    seen: dict[str, list] = {}
    save, draw = figures._save, matplotlib.text.Text.draw

    def recording_save(fig, out_dir, stem):
        texts = seen.setdefault(stem, [])

        def recording_draw(self, renderer):
            if self.get_visible() and self.get_text().strip():
                texts.append((self.get_text(), self.get_fontsize()))
            return draw(self, renderer)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(matplotlib.text.Text, "draw", recording_draw)
            return save(fig, out_dir, stem)

    monkeypatch.setattr(figures, "_save", recording_save)
    return seen


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


def test_learning_curves_small_start_has_log_x(full, tmp_path, monkeypatch):
    captured = {}
    monkeypatch.setattr(figures, "_save", lambda fig, out_dir, stem: captured.update(
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

        monkeypatch.setattr(figures, "_save", check)
        figures.plot_labels_to_target(table, out_dir=tmp_path)
        assert found == [2, 2, 2]


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


def test_learning_curve_row_has_a_panel_per_experiment_and_one_legend(full, tmp_path, monkeypatch):
    drawn = {}
    monkeypatch.setattr(figures, "_save", lambda fig, out_dir, stem: drawn.setdefault(stem, fig) and [])
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


def test_rank_numbers_are_moved_off_the_zero_line():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_xlim(-1, 1)
    near = ax.annotate("4.0", (-0.1, 0.0), xytext=(5, 0), textcoords="offset points", ha="left", va="center")
    far = ax.annotate("5.0", (-0.9, 0.5), xytext=(5, 0), textcoords="offset points", ha="left", va="center")
    clear = ax.annotate("1.0", (0.3, -0.5), xytext=(5, 0), textcoords="offset points", ha="left", va="center")
    figures._clear_zero_line(fig, [(ax, near), (ax, far), (ax, clear)])
    assert near.xy == (0.0, 0.0)  # it straddled the line: now it starts right of it
    assert far.xy == (-0.9, 0.5) and clear.xy == (0.3, -0.5)
    plt.close(fig)


def test_composition_legend_names_the_classes(tmp_path, monkeypatch):
    rows = [{"pair": "cifar10_cnn", "experiment": "small", "strategy": "margin", "seed": 42, "block": it,
             "first_iteration": 1, "last_iteration": it, "class": c, "class_name": name, "count": 1, "share": 0.5}
            for it in (1, 2) for c, name in enumerate(["airplane", "automobile"])]
    legends = []
    monkeypatch.setattr(figures, "_save", lambda fig, out_dir, stem: legends.extend(
        t.get_text() for legend in fig.legends for t in legend.get_texts()) or [])
    figures.plot_query_composition(pd.DataFrame(rows), "cifar10_cnn", out_dir=tmp_path)
    assert "airplane" in legends and "automobile" in legends and "0" not in legends


def test_crossed_gains_puts_each_cell_in_its_panel(full, tmp_path, monkeypatch):
    """The CNN on CIFAR-10 is drawn bottom right; a cell without runs says so in its title."""
    seen = {}
    monkeypatch.setattr(figures, "_save", lambda fig, out_dir, stem: seen.setdefault(stem, fig) and [])
    tests = stats.paired_tests(full["per_run"], "aulc")
    figures.plot_crossed_gains(tests, out_dir=tmp_path)
    fig = seen["crossed_gains"]
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[3].startswith("CNN, CIFAR-10 (") and "no runs yet" in titles[0]
    assert len(fig.axes[3].lines) > 0 and not [l for l in fig.axes[0].lines if len(l.get_xdata()) == 1]
    plt.close(fig)
    with pytest.raises(ValueError):
        figures.plot_crossed_gains(tests[tests["pair"] == "nothing"], out_dir=tmp_path)


def test_per_class_deficit_bars_add_up_to_the_gap(full, tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(figures, "_save", lambda fig, out_dir, stem: seen.setdefault(stem, fig) and [])
    table = stats.class_table(full["meta"])
    figures.plot_per_class_deficit(table, "mnist_logreg", out_dir=tmp_path)
    fig = seen["per_class_mnist_logreg"]
    small = table[(table["pair"] == "mnist_logreg") & (table["experiment"] == "small") & table["gap_points"].notna()]
    heights = sum(p.get_height() for p in fig.axes[0].patches if np.isfinite(p.get_height()))
    assert heights == pytest.approx(small["gap_points"].sum())
    plt.close(fig)
    with pytest.raises(ValueError):
        figures.plot_per_class_deficit(table, "no_such_pair", out_dir=tmp_path)
