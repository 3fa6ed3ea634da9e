"""Model comparison and the crossed design: shallow against deep models per strategy, and the
gains of each strategy in every model x dataset cell.

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
from helpers.report.numbers import fmt_num
from helpers.figures import style as fig_style
from helpers.figures.style import FULL_WIDTH, MIN_FONT_SIZE, PAIR_COLORS, RC, STRATEGY_COLORS, _PALETTE


# --------------------------------------------------------------------------- 8. shallow vs deep
#: Marker of each role in the shallow-versus-deep figure (open when not Holm-significant).
_ROLE_MARKERS = {"shallow": "o", "deep": "s"}
#: Colour of a role whose pair has no entry in :data:`PAIR_COLORS` (e.g. the digits smoke pairs).
_ROLE_COLORS = {"shallow": _PALETTE[0], "deep": _PALETTE[3]}
_COMPARISON_AXIS = {"aulc": "AULC gain over random (pp)",
                    "final_accuracy": "Final-accuracy gain over random (pp)"}


def _clear_zero_line(fig, labels) -> None:
    """Move every label that the zero line would cross to just right of the line.

    A rank number sits right of its interval; when the interval ends left of zero, close
    to it, the number would straddle the zero line. Such a number is anchored at zero
    instead (same offset), so it reads beside the line, not through it.

    Parameters
    ----------
    fig
        The figure (laid out here once to measure the labels).
    labels
        ``(axes, annotation)`` pairs; annotations are anchored in data coordinates.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax, label in labels:
        box = label.get_window_extent(renderer)
        zero = ax.transData.transform((0.0, 0.0))[0]
        if box.x0 <= zero <= box.x1:
            label.xy = (0.0, label.xy[1])


def _seeds_text(counts) -> str:
    seeds = sorted(set(int(n) for n in counts))
    return f"{'/'.join(map(str, seeds))} seed{'s' if seeds != [1] else ''}"


def _gain_marker(ax, gain: float, lo: float, hi: float, y: float, marker: str, color, significant: bool) -> bool:
    """Draw one gain with its interval (filled when significant); return whether it had an interval."""
    has_ci = bool(np.isfinite(lo) and np.isfinite(hi))
    ax.errorbar(gain, y, xerr=[[gain - lo], [hi - gain]] if has_ci else None, fmt=marker, color=color,
                markeredgecolor=color, markerfacecolor=color if significant else "white",
                markersize=4.5, markeredgewidth=1.0, elinewidth=1.1, capsize=2.0, zorder=3)
    return has_ci


def plot_model_comparison(table: pd.DataFrame, out_dir=None) -> list[Path]:
    """What each strategy gains over random with the shallow and with the deep model, side by side.

    Writes ``shallow_vs_deep.pdf/.png`` (full width). One column per experiment, one row per
    metric (AULC gain, then final-accuracy gain, in percentage points); in each panel one
    line per non-random strategy with two markers: the shallow pair's (circles) and the
    deep pair's (squares), each with its 95 % t interval over seeds as an error bar (none
    with a single seed). A marker is filled when the gain is Holm-significant and open
    otherwise; the vertical line is random sampling (zero gain). Beside each marker of the
    AULC row is the strategy's mean AULC rank within that model and experiment (1 = best,
    random included), so a change of order between the models reads off directly. Each
    panel has its own x-range: the gains of the experiments differ by orders of magnitude.
    All text is at least :data:`MIN_FONT_SIZE` pt at the printed width.

    Parameters
    ----------
    table
        Output of :func:`helpers.stats.model_comparison`.
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).

    Returns
    -------
    list of pathlib.Path
        The PDF and PNG written.

    Raises
    ------
    ValueError
        If ``table`` is empty.
    """
    if table.empty:
        raise ValueError("the model comparison table is empty")
    experiments = stats.ordered_experiments(table["experiment"])
    metrics = [m for m in stats.COMPARISON_METRICS if m in set(table["metric"])]
    strategies = stats.ordered_strategies(table["strategy"])
    roles = ("shallow", "deep")
    pairs = {role: table[f"{role}_pair"].iloc[0] for role in roles}
    colors = {role: PAIR_COLORS.get(pairs[role], _ROLE_COLORS[role]) for role in roles}
    offsets = {"shallow": -0.18, "deep": 0.18}
    with plt.rc_context(RC):
        fig, axes = plt.subplots(len(metrics), len(experiments), squeeze=False, sharey=True,
                                 figsize=(FULL_WIDTH, 0.75 + len(metrics) * (0.34 * len(strategies) + 0.6)),
                                 constrained_layout=True)
        rank_labels = []  # (axes, annotation) of every rank number
        for i, metric in enumerate(metrics):
            for j, experiment in enumerate(experiments):
                ax = axes[i, j]
                block = table[(table["experiment"] == experiment) & (table["metric"] == metric)]
                if block.empty:
                    ax.set_axis_off()
                    continue
                ax.axvline(0, color=STRATEGY_COLORS["random"], linewidth=0.8, zorder=1)
                xs = [0.0]
                for y, strategy in enumerate(strategies):
                    rows = block[block["strategy"] == strategy]
                    if rows.empty:
                        continue
                    row = rows.iloc[0]
                    for role in roles:
                        gain = row[f"{role}_gain"]
                        if pd.isna(gain):
                            continue
                        gain = float(gain) * 100
                        lo, hi = (float(row[f"{role}_{k}"]) * 100 for k in ("lo", "hi"))
                        has_ci = _gain_marker(ax, gain, lo, hi, y + offsets[role], _ROLE_MARKERS[role], colors[role],
                                              bool(row[f"{role}_significant"]))
                        color = colors[role]
                        xs += [lo, hi] if has_ci else [gain]
                        rank = row[f"{role}_rank"]
                        if metric == "aulc" and pd.notna(rank):
                            rank_labels.append((ax, ax.annotate(
                                fmt_num(rank, 1), (hi if has_ci else gain, y + offsets[role]), xytext=(5, 0),
                                textcoords="offset points", ha="left", va="center", fontsize=MIN_FONT_SIZE,
                                color=color)))
                lo, hi = min(xs), max(xs)
                span = (hi - lo) or 1.0
                # Room on the right for the rank numbers.
                ax.set_xlim(lo - 0.06 * span, hi + (0.32 if metric == "aulc" else 0.06) * span)
                ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
                ax.set_yticks(range(len(strategies)))
                ax.set_yticklabels([stats.strategy_label(s) for s in strategies])
                ax.set_ylim(len(strategies) - 0.5, -0.5)
                ax.grid(axis="y", visible=False)
                if i == 0:
                    ax.set_title(stats.experiment_label(experiment))
                if j == len(experiments) // 2:
                    ax.set_xlabel(_COMPARISON_AXIS.get(metric, metric))
        handles = [matplotlib.lines.Line2D([], [], linestyle="none", marker=_ROLE_MARKERS[role], color=colors[role],
                                           markersize=5, label=f"{stats.pair_label(pairs[role])} "
                                           f"({_seeds_text(table[f'{role}_n_seeds'])})") for role in roles]
        handles += [matplotlib.lines.Line2D([], [], linestyle="none", marker="o", color="0.3", markersize=5,
                                            markerfacecolor=face, label=label)
                    for face, label in (("0.3", "Holm p < 0.05"), ("white", "not significant"))]
        # Two columns: the two models, then the two fillings (one row would be wider than the page).
        fig.legend(handles=[handles[0], handles[2], handles[1], handles[3]] if len(handles) == 4 else handles,
                   loc="outside upper center", ncol=2, frameon=False,
                   handletextpad=0.3, columnspacing=1.2,
                   title="Numbers: mean AULC rank within model and experiment (1 = best, random included)")
        _clear_zero_line(fig, rank_labels)
        return fig_style._save(fig, out_dir, "shallow_vs_deep")


# ------------------------------------------------------------------------- crossed design
_EXPERIMENT_OFFSETS = {"small": -0.22, "moderate": 0.0, "large": 0.22}
_EXPERIMENT_MARKERS = {"small": "o", "moderate": "s", "large": "D"}
_EXPERIMENT_COLORS = {"small": _PALETTE[0], "moderate": _PALETTE[2], "large": _PALETTE[7]}
_MODEL_TITLES = {"logreg": "Logistic regression", "cnn": "CNN"}
_DATASET_TITLES = {"mnist": "MNIST", "cifar10": "CIFAR-10"}


def plot_crossed_gains(tests: pd.DataFrame, cells=None, out_dir=None) -> list[Path]:
    """The crossed design at a glance: each strategy's AULC gain over random, model x data.

    Writes ``crossed_gains.pdf/.png`` (full width): a 2 x 2 grid of panels, rows the model
    (logistic regression, CNN), columns the dataset (MNIST, CIFAR-10), all four cells at the
    same query schedule (:data:`helpers.stats.CROSSED_CELLS`). In each panel one row per
    non-random strategy and one marker per experiment (small, moderate, large), at the mean
    paired AULC gain over random sampling with its 95 % t interval over seeds; a filled
    marker is Holm-significant. The vertical line is random sampling. In ``large`` the pool
    runs out before the budget in every cell, so the labelled sets end identical and only
    the AULC (the path) can differ; the legend says so. The panels share their x-range, so
    the size of a gain compares across model and data directly.

    Parameters
    ----------
    tests
        :func:`helpers.stats.paired_tests` of the cells' runs on ``aulc``.
    cells
        pair -> (model, dataset, schedule); default :data:`helpers.stats.CROSSED_CELLS`.
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).

    Returns
    -------
    list of pathlib.Path
        The PDF and PNG written.

    Raises
    ------
    ValueError
        If no crossed cell at the common schedule has tests.
    """
    cells = dict(stats.CROSSED_CELLS if cells is None else cells)
    where = {spec: pair for pair, spec in cells.items()}
    grid = [[where.get((model, dataset, "b250")) for dataset in ("mnist", "cifar10")] for model in ("logreg", "cnn")]
    present = [p for row in grid for p in row if p is not None and (tests["pair"] == p).any()]
    if not present:
        raise ValueError("no cell of the crossed design has results")
    block = tests[tests["pair"].isin(present)]
    strategies = stats.ordered_strategies(block["strategy"])
    experiments = stats.ordered_experiments(block["experiment"])
    lo_all = float(np.nanmin(block["diff_ci_lo"].fillna(block["mean_diff"]))) * 100
    hi_all = float(np.nanmax(block["diff_ci_hi"].fillna(block["mean_diff"]))) * 100
    span = (max(hi_all, 0) - min(lo_all, 0)) or 1.0
    with plt.rc_context(RC):
        fig, axes = plt.subplots(2, 2, squeeze=False, sharey=True, sharex=True,
                                 figsize=(FULL_WIDTH, 0.9 + 2 * (0.26 * len(strategies) + 0.45)),
                                 constrained_layout=True)
        for i, model in enumerate(("logreg", "cnn")):
            for j, dataset in enumerate(("mnist", "cifar10")):
                ax, pair = axes[i, j], grid[i][j]
                ax.axvline(0, color=STRATEGY_COLORS["random"], linewidth=0.8, zorder=1)
                rows = tests[tests["pair"] == pair] if pair else tests.iloc[0:0]
                n_seeds = int(rows["n_pairs"].max()) if not rows.empty else 0
                ax.set_title(f"{_MODEL_TITLES[model]}, {_DATASET_TITLES[dataset]}"
                             + (f" ({n_seeds} seed{'s' if n_seeds != 1 else ''})" if n_seeds else " (no runs yet)"))
                for y, strategy in enumerate(strategies):
                    for experiment in experiments:
                        row = rows[(rows["strategy"] == strategy) & (rows["experiment"] == experiment)]
                        if row.empty:
                            continue
                        row = row.iloc[0]
                        gain = float(row["mean_diff"]) * 100
                        lo, hi = float(row["diff_ci_lo"]) * 100, float(row["diff_ci_hi"]) * 100
                        _gain_marker(ax, gain, lo, hi, y + _EXPERIMENT_OFFSETS.get(experiment, 0.0),
                                     _EXPERIMENT_MARKERS.get(experiment, "o"), _EXPERIMENT_COLORS.get(experiment, "0.3"),
                                     bool(row["significant"]))
                ax.set_yticks(range(len(strategies)))
                ax.set_yticklabels([stats.strategy_label(s) for s in strategies])
                ax.set_ylim(len(strategies) - 0.5, -0.5)
                ax.grid(axis="y", visible=False)
                ax.set_xlim(min(lo_all, 0) - 0.05 * span, max(hi_all, 0) + 0.05 * span)
                if i == 1:
                    ax.set_xlabel("AULC gain over random (pp)")
        handles = [matplotlib.lines.Line2D([], [], linestyle="none", marker=_EXPERIMENT_MARKERS.get(e, "o"),
                                           color=_EXPERIMENT_COLORS.get(e, "0.3"), markersize=5,
                                           label=stats.experiment_label(e))  # the caption says the pool runs out
                   for e in experiments]
        handles += [matplotlib.lines.Line2D([], [], linestyle="none", marker="o", color="0.3", markersize=5,
                                            markerfacecolor=face, label=label)
                    for face, label in (("0.3", "Holm p < 0.05"), ("white", "not significant"))]
        # Legend columns fill top to bottom: interleaving puts the experiments in the first row
        # and the fillings in the second.
        n_exp = len(experiments)
        order = [h for pair in zip(handles[:n_exp], handles[n_exp:] + [None] * n_exp) for h in pair if h is not None]
        fig.legend(handles=order, loc="outside upper center", ncol=max(n_exp, 2), frameon=False,
                   handletextpad=0.3, columnspacing=1.2)
        return fig_style._save(fig, out_dir, "crossed_gains")
