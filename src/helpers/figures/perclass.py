"""Per-class figures: confusion matrices and the per-class deficit against random sampling.

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
from helpers.figures.style import FULL_WIDTH, RC, STRATEGY_COLORS, _text_width, strategy_color


# --------------------------------------------------------------------------- 4. confusion matrices
def _confusion_for(meta: list[dict], pair: str, experiment: str, seed) -> dict[str, tuple]:
    """Sum the final confusion matrices per strategy; returns {strategy: (matrix, classes, n_runs)}."""
    acc: dict[str, list] = {}
    for m in meta:
        if m.get("pair") != pair or m.get("experiment") != experiment:
            continue
        if seed is not None and int(m.get("seed")) != int(seed):
            continue
        if m.get("confusion_matrix") is None:
            continue
        cm = np.asarray(m["confusion_matrix"], dtype=float)
        classes = [str(c) for c in m.get("classes") or range(cm.shape[0])]
        if m["strategy"] in acc:
            acc[m["strategy"]][0] += cm
            acc[m["strategy"]][2] += 1
        else:
            acc[m["strategy"]] = [cm, classes, 1]
    return {k: tuple(v) for k, v in acc.items()}


def plot_confusion_matrices(meta: list[dict], pair: str, experiment: str, seed: int | None = None,
                            out_dir=None) -> list[Path]:
    """Row-normalised final confusion matrices, one small panel per strategy.

    Writes ``confusion_<pair>_<experiment>.pdf/.png`` (``confusion_<pair>_<experiment>_seed<k>``
    when ``seed`` is given). Matrices of the final model on the test set are summed
    over seeds (or taken from one seed), then each row (true class) is divided by
    its total, so a cell is the share of a true class predicted as a given class
    and the diagonal is the per-class recall (printed in each diagonal cell, %, when
    a cell is wide enough for two 9-pt digits). Colours follow a square-root scale so
    that off-diagonal confusions of a few per cent stay visible next to a diagonal
    near 100 %; the colour bar, labelled with the scale, takes the grid's empty slot
    (or the right edge when there is none). Full width (:data:`FULL_WIDTH`), three
    panels a row.

    Parameters
    ----------
    meta
        Output of :func:`helpers.stats.load_run_meta`.
    pair, experiment
        Which runs to show.
    seed
        One seed, or ``None`` to sum over all seeds.
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).

    Returns
    -------
    list of pathlib.Path
        The PDF and PNG written.
    """
    matrices = _confusion_for(meta, pair, experiment, seed)
    if not matrices:
        raise ValueError(f"no confusion matrix for pair={pair!r}, experiment={experiment!r}")
    strategies = stats.ordered_strategies(matrices)
    ncols = min(3, len(strategies))
    nrows = int(np.ceil(len(strategies) / ncols))
    spare = nrows * ncols > len(strategies)  # an empty slot takes the colour bar
    classes = matrices[strategies[0]][1]
    n_runs = {matrices[s][2] for s in strategies}
    with plt.rc_context({**RC, "axes.grid": False}):
        fig = plt.figure(figsize=(FULL_WIDTH, 1.0), constrained_layout=True)
        label_w = max(_text_width(fig, str(c)) for c in classes)
        rotate = label_w > _text_width(fig, "00")  # class names, not digits: vertical
        # Height from the panel width: square panels, title, tick labels, axis label.
        panel_w = min(2.3, (FULL_WIDTH - label_w - 0.35 - (0 if spare else 0.9)) / ncols - 0.1)
        row_h = panel_w + 0.25 + (label_w if rotate else 0.15) + 0.25
        fig.set_size_inches(FULL_WIDTH, 0.3 + nrows * row_h)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        cell = panel_w / max(len(classes), 1)
        numbers = _text_width(fig, "00") < 0.95 * cell  # else the colour alone tells
        image = None
        # Square-root colour scale: confusions of a few per cent would vanish on a linear one.
        colour_scale = matplotlib.colors.PowerNorm(gamma=0.5, vmin=0.0, vmax=1.0)
        for k, ax in enumerate(axes.flat):
            if k >= len(strategies):
                ax.set_axis_off()
                continue
            strategy = strategies[k]
            cm, classes, runs = matrices[strategy]
            with np.errstate(invalid="ignore", divide="ignore"):
                norm = cm / cm.sum(axis=1, keepdims=True)
            norm = np.nan_to_num(norm)
            image = ax.imshow(norm, cmap="Blues", norm=colour_scale)
            ticks = np.arange(len(classes))
            ax.set_xticks(ticks)
            ax.set_yticks(ticks)
            ax.set_xticklabels(classes, rotation=90 if rotate else 0)
            ax.set_yticklabels(classes if k % ncols == 0 else [])
            ax.tick_params(length=1.5, pad=1)
            if numbers:
                for c in range(len(classes)):
                    ax.text(c, c, fmt_num(norm[c, c], 0, scale=2), ha="center", va="center",  # white on dark blue
                            color="white" if colour_scale(norm[c, c]) > 0.7 else "black")
            title = stats.strategy_label(strategy)
            if len(n_runs) > 1 and seed is None:  # else the heading says it once
                title += f" ({runs} seed{'s' if runs != 1 else ''})"
            ax.set_title(title)
            if k % ncols == 0:
                ax.set_ylabel("True class")
            ax.set_xlabel("Predicted class")
        heading = f"{stats.pair_label(pair)}: {stats.experiment_label(experiment)}"
        if seed is not None:
            heading += f", seed {seed}"
        elif len(n_runs) == 1:
            runs = n_runs.pop()
            heading += f", {runs} seeds summed" if runs != 1 else ", 1 seed"
        fig.suptitle(heading)
        ticks = [0, 0.05, 0.25, 0.5, 1.0]  # evenly spaced on the square-root scale
        label = "Share of the true class (%),\nsquare-root colour scale"
        if spare:
            slot = axes.flat[-1]
            bar_ax = slot.inset_axes([0.08, 0.55, 0.84, 0.09])
            bar = fig.colorbar(image, cax=bar_ax, orientation="horizontal", ticks=ticks)
        else:
            bar = fig.colorbar(image, ax=axes, shrink=0.6, ticks=ticks)
        bar.set_label(label)
        bar.formatter = matplotlib.ticker.FuncFormatter(lambda v, _: fmt_num(v, 0, scale=2))
        bar.update_ticks()
        stem = f"confusion_{pair}_{experiment}" + (f"_seed{seed}" if seed is not None else "")
        return fig_style._save(fig, out_dir, stem)


def plot_per_class_deficit(table: pd.DataFrame, pair: str, out_dir=None, stem: str | None = None) -> list[Path]:
    """Which classes carry each strategy's final-accuracy difference to random sampling.

    Writes ``per_class_<pair>.pdf/.png`` (full width): one panel per experiment, the classes
    on the x axis and, per class, one bar per non-random strategy at the class's term of the
    strategy's final-accuracy difference to random sampling (percentage points, mean over
    the seeds both have; the terms of a strategy add up to its whole difference). Below zero:
    the strategy gets fewer images of that class right than random sampling does.

    Parameters
    ----------
    table
        :func:`helpers.stats.class_table`.
    pair
        The pair drawn.
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).
    stem
        File name without extension (default ``per_class_<pair>``).

    Returns
    -------
    list of pathlib.Path
        The PDF and PNG written.

    Raises
    ------
    ValueError
        If ``table`` has no deficit for ``pair``.
    """
    block = table[(table["pair"] == pair) & table["gap_points"].notna()]
    if block.empty:
        raise ValueError(f"no per-class deficit for pair {pair!r}")
    experiments = stats.ordered_experiments(block["experiment"])
    strategies = stats.ordered_strategies(block["strategy"])
    classes = block[["class", "class_name"]].drop_duplicates().sort_values("class")
    width = 0.8 / len(strategies)
    with plt.rc_context(RC):
        fig, axes = plt.subplots(len(experiments), 1, squeeze=False, sharex=True,
                                 figsize=(FULL_WIDTH, 0.9 + 1.45 * len(experiments)), constrained_layout=True)
        for i, experiment in enumerate(experiments):
            ax = axes[i, 0]
            ax.axhline(0, color=STRATEGY_COLORS["random"], linewidth=0.8, zorder=1)
            for k, strategy in enumerate(strategies):
                rows = block[(block["experiment"] == experiment) & (block["strategy"] == strategy)]
                rows = rows.set_index("class").reindex(classes["class"])
                ax.bar(np.arange(len(classes)) - 0.4 + (k + 0.5) * width, rows["gap_points"], width=width,
                       color=strategy_color(strategy), label=stats.strategy_label(strategy) if i == 0 else None,
                       zorder=2)
            ax.set_ylabel("pp")
            ax.set_title(stats.experiment_label(experiment), loc="left")
            ax.grid(axis="x", visible=False)
        axes[-1, 0].set_xticks(np.arange(len(classes)))
        axes[-1, 0].set_xticklabels(classes["class_name"], rotation=0 if len(classes) <= 10 and
                                    max(len(str(c)) for c in classes["class_name"]) <= 5 else 30,
                                    ha="center" if max(len(str(c)) for c in classes["class_name"]) <= 5 else "right")
        fig.legend(loc="outside upper center", ncol=len(strategies), frameon=False, handletextpad=0.3,
                   columnspacing=1.0, title="Each class's term of the final-accuracy difference to random sampling")
        return fig_style._save(fig, out_dir, stem or f"per_class_{pair}")
