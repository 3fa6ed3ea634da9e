"""Tests of helpers.figures: every figure function writes non-empty PDF and PNG files."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.text  # noqa: E402
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
        "learning_curves_digits_logreg_small", "learning_curves_frac_digits_logreg_small",
        "confusion_digits_logreg_small", "aulc_summary", "labels_to_target", "stream_cost",
        "query_composition_digits_logreg", "critical_difference")}
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
    assert labels[:2] == ["MNIST, logistic regression (3 seeds)", "CIFAR-10, CNN (1 seed)"]
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
