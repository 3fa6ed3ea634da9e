"""Tests of helpers.figures.comparison: model comparison and crossed-design gains.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # headless; must precede pyplot's import inside helpers.figures

import matplotlib.pyplot as plt
import matplotlib.text
import pandas as pd
import pytest

from helpers import figures, stats
from figures_fixtures import _check, close_figures, comparison, full  # noqa: F401  (close_figures: autouse)


def test_model_comparison(comparison, tmp_path):
    assert comparison["deep_lo"].isna().all() and comparison["shallow_lo"].notna().all()
    _check(figures.plot_model_comparison(comparison, out_dir=tmp_path),
           ["shallow_vs_deep.pdf", "shallow_vs_deep.png"])


def test_model_comparison_layout_ranks_and_font_sizes(comparison, monkeypatch):
    captured = {}
    monkeypatch.setattr(figures.style, "_save", lambda fig, out_dir, stem: captured.update(fig=fig, stem=stem) or [])
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


def test_crossed_gains_puts_each_cell_in_its_panel(full, tmp_path, monkeypatch):
    """The CNN on CIFAR-10 is drawn bottom right; a cell without runs says so in its title."""
    seen = {}
    monkeypatch.setattr(figures.style, "_save", lambda fig, out_dir, stem: seen.setdefault(stem, fig) and [])
    tests = stats.paired_tests(full["per_run"], "aulc")
    figures.plot_crossed_gains(tests, out_dir=tmp_path)
    fig = seen["crossed_gains"]
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[3] == "CNN, CIFAR-10 (2 seeds)" and "no runs yet" in titles[0]
    assert len(fig.axes[3].lines) > 0 and not [l for l in fig.axes[0].lines if len(l.get_xdata()) == 1]
    plt.close(fig)
    one_seed = tests[tests["pair"] == "cifar10_cnn"].assign(n_pairs=1)
    seen.clear()
    figures.plot_crossed_gains(one_seed, out_dir=tmp_path)
    assert seen["crossed_gains"].axes[3].get_title() == "CNN, CIFAR-10 (1 seed)"
    plt.close(seen["crossed_gains"])
    with pytest.raises(ValueError):
        figures.plot_crossed_gains(tests[tests["pair"] == "nothing"], out_dir=tmp_path)
