"""The stream figure: the cost of stream-based selection (examples inspected per label).

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
from helpers.figures.style import PAIR_COLORS, RC, SINGLE_COLUMN, _PAIR_MARKERS, _facet_keys
from helpers.stats import STREAM_STRATEGY


# --------------------------------------------------------------------------- 5. stream cost
def plot_stream_cost(per_run: pd.DataFrame, strategy: str = STREAM_STRATEGY,
                     out_dir=None) -> list[Path]:
    """Instances the stream strategy inspects per label it obtains, with 95 % CI over seeds.

    Writes ``stream_cost.pdf/.png``. The cost of one run is ``total_inspected /
    labels_acquired`` (:func:`helpers.stats.per_run_metrics`); a value of 1 would
    mean every inspected instance was labelled. A compact one-column dot plot: one
    row per experiment, one point per pair in it (mean over seeds, error bar = 95 %
    t interval); the x-axis is logarithmic when the values span more than a factor of 20.

    Parameters
    ----------
    per_run
        Output of :func:`helpers.stats.per_run_metrics`.
    strategy
        The stream strategy's name.
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).

    Returns
    -------
    list of pathlib.Path
        The PDF and PNG written.
    """
    runs = per_run[(per_run["strategy"] == strategy) & per_run["inspected_per_label"].notna()]
    if runs.empty:
        raise ValueError(f"no inspection counts for strategy {strategy!r}")
    pairs, experiments = _facet_keys(runs)
    offsets = np.linspace(-0.14, 0.14, len(pairs)) if len(pairs) > 1 else [0.0]
    values, labelled = [], set()
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(SINGLE_COLUMN, 0.7 + 0.22 * len(experiments)
                                        + (0.25 if len(pairs) > 1 else 0.0)),  # the legend's row
                               constrained_layout=True)
        for offset, pair in zip(offsets, pairs):
            for j, experiment in enumerate(experiments):
                sel = runs[(runs["pair"] == pair) & (runs["experiment"] == experiment)]
                if sel.empty:
                    continue
                m, lo, hi = stats.mean_ci(sel["inspected_per_label"])
                values.extend([lo, hi])
                ax.errorbar(m, j + offset, xerr=[[m - lo], [hi - m]],
                            fmt=_PAIR_MARKERS.get(pair, "o"), color=PAIR_COLORS.get(pair, "black"),
                            markersize=5, capsize=2.0, elinewidth=1.1,
                            label=None if pair in labelled else stats.pair_label(pair))
                labelled.add(pair)
        positive = [v for v in values if v > 0]
        if positive and max(positive) / min(positive) > 20:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.margins(x=0.08)
        else:
            ax.set_xlim(left=0, right=max(values) * 1.1 if values else None)
        ax.set_yticks(range(len(experiments)))
        # One line a row: "Small start" etc.; the initial sizes are in every other figure.
        ax.set_yticklabels([stats.experiment_label(e).split(" (")[0] for e in experiments])
        ax.set_ylim(len(experiments) - 0.5, -0.5)
        ax.set_xlabel("Arrivals consumed per label")  # no wider than the axes
        ax.grid(axis="y", visible=False)
        if len(pairs) > 1:
            style = dict(loc="outside upper center", frameon=False, handlelength=1.0,
                         handletextpad=0.3, columnspacing=1.2, borderaxespad=0.1)
            legend = fig.legend(ncol=len(pairs), **style)
            if legend.get_window_extent().width / fig.dpi > SINGLE_COLUMN - 0.05:
                legend.remove()  # one row would be wider than the column: one pair a row
                fig.legend(ncol=1, **style)
        return fig_style._save(fig, out_dir, "stream_cost")
