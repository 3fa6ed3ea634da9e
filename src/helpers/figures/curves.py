"""Learning curves: accuracy against labelled examples (or labelled fraction), one panel per
cell or one row per experiment.

May import: :mod:`helpers.stats`, :mod:`helpers.report.numbers` (number formatting), :mod:`helpers.paths`,
:mod:`helpers.figures.style`, matplotlib, seaborn, numpy and pandas.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.colors
import matplotlib.font_manager
import matplotlib.lines
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from helpers import stats
from helpers.figures import style as fig_style
from helpers.figures.style import FULL_WIDTH, RC, SINGLE_COLUMN, _fit_lines, strategy_color


# --------------------------------------------------------------------------- 1. learning curves
def plot_learning_curves(summary: pd.DataFrame, reference: pd.DataFrame | None, pair: str,
                         experiment: str, x: str = "n_labeled", out_dir=None,
                         log_x: bool | None = None) -> list[Path]:
    """Mean test accuracy against labels, one line per strategy with a 95 % CI band.

    Writes ``learning_curves_<pair>_<experiment>.pdf/.png`` when ``x="n_labeled"``
    (number of labelled examples) or ``learning_curves_frac_<pair>_<experiment>.pdf/.png``
    when ``x="frac_labeled"`` (percentage of the training pool labelled). The figure
    is one column wide (:data:`SINGLE_COLUMN`) at its printed size, with the legend
    below the axes.

    The shaded band is the t interval over seeds from :func:`helpers.stats.curve_summary`.
    A dashed black line marks the mean full-pool reference accuracy when ``reference``
    has rows for ``pair``. The y-axis is zoomed to the plotted data (curves, bands
    and reference line), so differences stay visible in the large-start experiment
    where every curve lies within a fraction of a percentage point. The small-start
    experiment (one label per class) has a logarithmic x-axis, which the axis label
    says: its first tens of labels, where the curves dip, would otherwise be a few
    points wide.

    Parameters
    ----------
    summary
        Output of :func:`helpers.stats.curve_summary` (accuracy).
    reference
        Output of :func:`helpers.stats.load_reference`, or ``None``.
    pair, experiment
        Which curves to draw.
    x
        ``"n_labeled"`` or ``"frac_labeled"``.
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).
    log_x
        Logarithmic x-axis; ``None`` (default) means only for ``experiment == "small"``.
        Ignored when an x value is not positive.

    Returns
    -------
    list of pathlib.Path
        The PDF and PNG written.
    """
    data = _curve_data(summary, pair, experiment, x)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(SINGLE_COLUMN, 2.55), constrained_layout=True)
        _draw_curves(fig, ax, data, _reference_accuracy(reference, pair), x, experiment, log_x)
        title = f"{stats.pair_label(pair)}: {stats.experiment_label(experiment)}"
        # The title is centred on the axes, which the y-axis labels push ~0.55 in right.
        ax.set_title(_fit_lines(fig, title, SINGLE_COLUMN - 0.7, sep=": ", new="\n"))
        # Legend below the axes: inside, it would hide the curves' upper-right end.
        handles, labels = ax.get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=3, frameon=False,
                   handlelength=1.3, handletextpad=0.4, columnspacing=0.9, borderaxespad=0.1)
        stem = ("learning_curves" if x == "n_labeled" else "learning_curves_frac")
        return fig_style._save(fig, out_dir, f"{stem}_{pair}_{experiment}")


def plot_learning_curve_row(summary: pd.DataFrame, reference: pd.DataFrame | None, pair: str,
                            x: str = "n_labeled", out_dir=None) -> list[Path]:
    """The learning curves of every experiment of one pair, side by side at full width.

    Writes ``learning_curves_<pair>.pdf/.png`` (``x="n_labeled"``) or
    ``learning_curves_frac_<pair>.pdf/.png`` (``x="frac_labeled"``): one panel per
    experiment present, in display order, each drawn as :func:`plot_learning_curves`
    draws its single panel (95 % bands, the dashed full-pool reference, a zoomed y-axis,
    a logarithmic x-axis for the small start), :data:`FULL_WIDTH` wide, with one legend
    below the panels. This is the figure the paper shows for each model.

    Parameters
    ----------
    summary
        Output of :func:`helpers.stats.curve_summary` (accuracy).
    reference
        Output of :func:`helpers.stats.load_reference`, or ``None``.
    pair
        Which pair's curves to draw.
    x
        ``"n_labeled"`` or ``"frac_labeled"``.
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).

    Returns
    -------
    list of pathlib.Path
        The PDF and PNG written.
    """
    experiments = stats.ordered_experiments(summary.loc[summary["pair"] == pair, "experiment"])
    if not experiments:
        raise ValueError(f"no curves for pair={pair!r}")
    ref_acc = _reference_accuracy(reference, pair)
    with plt.rc_context(RC):
        fig, axes = plt.subplots(1, len(experiments), figsize=(FULL_WIDTH, 2.45), constrained_layout=True,
                                 squeeze=False)
        for ax, experiment in zip(axes[0], experiments):
            # A third of the page: three linear ticks keep five-digit labels apart.
            _draw_curves(fig, ax, _curve_data(summary, pair, experiment, x), ref_acc, x, experiment, None,
                         max_xticks=3)
            ax.set_title(stats.experiment_label(experiment))
            if ax is not axes[0][0]:
                ax.set_ylabel("")
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), frameon=False,
                   handlelength=1.3, handletextpad=0.4, columnspacing=1.2, borderaxespad=0.1)
        stem = ("learning_curves" if x == "n_labeled" else "learning_curves_frac")
        return fig_style._save(fig, out_dir, f"{stem}_{pair}")


def _curve_data(summary: pd.DataFrame, pair: str, experiment: str, x: str) -> pd.DataFrame:
    if x not in ("n_labeled", "frac_labeled"):
        raise ValueError("x must be 'n_labeled' or 'frac_labeled'")
    data = summary[(summary["pair"] == pair) & (summary["experiment"] == experiment)]
    if data.empty:
        raise ValueError(f"no curves for pair={pair!r}, experiment={experiment!r}")
    return data


def _reference_accuracy(reference: pd.DataFrame | None, pair: str) -> float:
    """Mean full-pool reference accuracy of ``pair`` (a fraction), NaN when there is none."""
    if reference is not None and not reference.empty:
        ref_rows = reference[reference["pair"] == pair]["accuracy"].astype(float)
        if ref_rows.notna().any():
            return float(ref_rows.mean())
    return np.nan


def _draw_curves(fig, ax, data: pd.DataFrame, ref_acc: float, x: str, experiment: str,
                 log_x: bool | None, max_xticks: int = 4) -> None:
    """Draw one experiment's curves, bands and reference line on ``ax`` (see plot_learning_curves).

    ``max_xticks`` bounds the ticks of a linear x-axis ("38,400" is 0.45 in wide at 9 pt).
    """
    scale = 100.0 if x == "frac_labeled" else 1.0
    xs_all = data[x].to_numpy(float) * scale
    x_lo, x_hi = np.nanmin(xs_all), np.nanmax(xs_all)
    log_x = (experiment == "small") if log_x is None else log_x
    log_x = bool(log_x) and x_lo > 0 and x_hi > x_lo

    lows, highs = [], []
    strategies = stats.ordered_strategies(data["strategy"])
    for strategy in strategies:
        curve = data[data["strategy"] == strategy].sort_values("iteration")
        xs = curve[x].to_numpy(float) * scale
        color = strategy_color(strategy)
        is_ref = strategy == stats.REFERENCE_STRATEGY
        # Accuracy is bounded; with few seeds the t interval can leave [0, 1].
        ax.fill_between(xs, curve["ci_lo"].clip(0, 1) * 100, curve["ci_hi"].clip(0, 1) * 100, color=color,
                        alpha=0.18, linewidth=0)
        ax.plot(xs, curve["mean"] * 100, color=color, label=stats.strategy_label(strategy),
                linewidth=1.5 if is_ref else 1.1, zorder=3 if is_ref else 2)
        lows.append(np.nanmin(curve[["ci_lo", "mean"]].to_numpy(float)))
        highs.append(np.nanmax(curve[["ci_hi", "mean"]].to_numpy(float)))
    if not np.isnan(ref_acc):
        ax.axhline(ref_acc * 100, color="black", linestyle="--", linewidth=0.9, label="Full pool")
        lows.append(ref_acc)
        highs.append(ref_acc)
    lo, hi = min(lows) * 100, max(highs) * 100
    pad = max(0.05 * (hi - lo), 0.05)
    ax.set_ylim(lo - pad, hi + pad)
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(5))
    if x_hi > x_lo:  # a lone evaluation keeps the default limits
        ax.set_xlim(x_lo, x_hi)
    label = "Labelled examples" if x == "n_labeled" else "Training pool labelled (%)"
    if log_x:
        ax.set_xscale("log")
        # 1-3-10 ticks over up to ~2.5 decades, powers of ten beyond: labels stay apart.
        subs = (1.0, 3.0) if np.log10(x_hi / x_lo) <= 2.5 else (1.0,)
        ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=subs))
        ax.xaxis.set_minor_locator(matplotlib.ticker.LogLocator(base=10, subs=np.arange(2, 10)))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
            lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        ax.tick_params(axis="x", which="minor", bottom=True, length=2, width=0.5, color="0.6")
        label = (label[:-1] + ", log scale)") if label.endswith("(%)") else f"{label} (log scale)"
    else:
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(max_xticks))
        if x == "n_labeled":
            ax.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel(label)
    ax.set_ylabel("Test accuracy (%)")
