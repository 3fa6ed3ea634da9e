"""The composition figure: which classes each strategy queried, round by round.

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
import seaborn as sns

from helpers import stats
from helpers.figures import style as fig_style
from helpers.figures.style import FULL_WIDTH, RC


# --------------------------------------------------------------------------- 6. query composition
def plot_query_composition(composition: pd.DataFrame, pair: str, out_dir=None, stem: str | None = None) -> list[Path]:
    """Class shares of the queried labels over a run, per experiment and strategy.

    Writes ``query_composition_<pair>.pdf/.png`` (or ``<stem>.pdf/.png``): one row per experiment, one column per
    strategy; each panel stacks the share of every class among the labels queried in each
    block of iterations (mean over seeds). A strategy that queries classes evenly shows
    flat bands of equal height; one that favours a few classes shows wide bands for them.
    Shares are in per cent; the class legend runs below the panels.

    Parameters
    ----------
    composition
        Output of :func:`helpers.stats.query_composition`.
    pair
        The pair drawn.
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).
    stem
        File name without extension (default ``query_composition_<pair>``).

    Returns
    -------
    list of pathlib.Path
        The PDF and PNG written.
    """
    frame = composition[composition["pair"] == pair]
    experiments = stats.ordered_experiments(frame["experiment"])
    strategies = stats.ordered_strategies(frame["strategy"])
    classes = sorted(frame["class"].unique())
    # The legend names the classes as the confusion matrices do (CIFAR-10: "airplane", ...).
    names = (frame.drop_duplicates("class").set_index("class")["class_name"].reindex(classes).fillna("").astype(str)
             if "class_name" in frame else pd.Series({c: "" for c in classes}))
    class_labels = [names[c] or str(c) for c in classes]
    colours = sns.color_palette("tab10", max(len(classes), 1))
    mean = frame.groupby(["experiment", "strategy", "block", "class"], as_index=False).agg(
        share=("share", "mean"), first_iteration=("first_iteration", "first"), last_iteration=("last_iteration", "first"))
    with plt.rc_context(RC):
        fig, axes = plt.subplots(len(experiments), len(strategies), squeeze=False, sharey=True,
                                 figsize=(FULL_WIDTH, 0.65 + 1.1 * len(experiments)), constrained_layout=True)
        for i, experiment in enumerate(experiments):
            for j, strategy in enumerate(strategies):
                ax = axes[i, j]
                cell = mean[(mean["experiment"] == experiment) & (mean["strategy"] == strategy)]
                if cell.empty:
                    ax.set_axis_off()
                    continue
                table = cell.pivot(index="last_iteration", columns="class", values="share").reindex(columns=classes)
                ax.stackplot(table.index, *[table[c].fillna(0) * 100 for c in classes], colors=colours,
                             labels=class_labels, linewidth=0)
                ax.set_ylim(0, 100)
                ax.yaxis.set_major_locator(matplotlib.ticker.FixedLocator([0, 50, 100]))
                ax.set_xlim(table.index.min(), table.index.max())
                ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3, integer=True))
                if i == 0:
                    ax.set_title(stats.strategy_label(strategy))
                if j == 0:
                    # Two short lines: a long label would be clipped at the figure's edge.
                    ax.set_ylabel(stats.experiment_label(experiment).replace(" (", "\n("))
                if i == len(experiments) - 1:
                    ax.set_xlabel("iteration")
        fig.supylabel("share of queries (%)")
        handles, labels = next((ax.get_legend_handles_labels() for ax in axes.flat if ax.axison), ([], []))
        # Below the panels, in one row when it fits (digits), else in two (class names);
        # "class" leads the row instead of a title line above it.
        handles = [matplotlib.lines.Line2D([], [], linestyle="none")] + handles
        labels = ["class:"] + labels
        style = dict(loc="outside lower center", frameon=False, handlelength=1.2,
                     handletextpad=0.4, columnspacing=1.0, borderaxespad=0.1)
        legend = fig.legend(handles, labels, ncol=max(len(labels), 1), **style)
        if legend.get_window_extent().width / fig.dpi > FULL_WIDTH - 0.3:
            legend.remove()
            # Two rows that read left to right (a legend fills its columns first): pad to an
            # even count with a blank entry, then interleave the first half with the second.
            ncol = int(np.ceil(len(labels) / 2))
            blank = matplotlib.lines.Line2D([], [], linestyle="none")
            handles, labels = handles + [blank] * (2 * ncol - len(handles)), labels + [""] * (2 * ncol - len(labels))
            order = [k for pair_ in zip(range(ncol), range(ncol, 2 * ncol)) for k in pair_]
            legend = fig.legend([handles[k] for k in order], [labels[k] for k in order], ncol=ncol, **style)
        return fig_style._save(fig, out_dir, stem or f"query_composition_{pair}")
