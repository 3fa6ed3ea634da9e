"""The critical-difference diagram: mean ranks of the strategies and the Nemenyi critical
difference (computed by :mod:`helpers.stats`; only drawn here).

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
from helpers.report.numbers import fmt_num, fmt_sig
from helpers.figures import style as fig_style
from helpers.figures.style import (
    MIN_FONT_SIZE, RC, SINGLE_COLUMN, _fit_lines, _text_width, strategy_color, strategy_marker,
)


# --------------------------------------------------------------------------- 7. mean ranks
def _place_rank_labels(positions: list[float], widths: list[float]) -> list[tuple[int, str]]:
    """Row order (top to bottom) and alignment of the labels under a rank axis.

    ``positions`` are the points' x in axes fraction, ``widths`` the labels' widths
    in axes fraction. A label's leader line runs straight down from its point to
    the top of the label, through the rows above it; so each row, from the top,
    takes a label whose text spans no point still to be labelled, inside [0, 1],
    preferring centred text. Where none fits, the label crossing fewest leaders goes.

    Returns
    -------
    list of (int, str)
        Index into ``positions`` and ``"left"``/``"center"``/``"right"``, top row first.
    """
    spans = {"center": (-0.5, 0.5), "left": (0.0, 1.0), "right": (-1.0, 0.0)}
    left = list(range(len(positions)))
    placed = []
    while left:
        best = None
        for m in sorted(left, key=lambda i: -abs(positions[i] - 0.5)):  # extremes first
            for ha, (a, b) in spans.items():
                lo, hi = positions[m] + a * widths[m], positions[m] + b * widths[m]
                crossings = sum(lo < positions[o] < hi for o in left if o != m)
                overflow = max(0.0, -lo) + max(0.0, hi - 1.0)
                score = (overflow > 0.01, crossings, overflow, ha != "center")
                if best is None or score < best[0]:
                    best = (score, m, ha)
        placed.append(best[1:])
        left.remove(best[1])
    return placed


def plot_critical_difference(ranks: pd.DataFrame, out_dir=None, pairs=None) -> list[Path]:
    """Mean rank of every strategy with the Nemenyi critical difference, one panel per pair.

    Writes ``critical_difference.pdf/.png``. Ranks come from
    :func:`helpers.stats.friedman_ranks` over every (experiment, seed) block of a pair
    (rank 1 = best). The bar above the axis is the critical difference: strategies whose
    mean ranks lie closer than it are not told apart; thick lines join such groups.
    Each strategy's name and mean rank hang below the axis, one line each, placed so
    that no leader line crosses a name (:func:`_place_rank_labels`).

    Drawn here rather than with scikit-posthocs' ``critical_difference_diagram``: that one
    takes a pairwise significance matrix and draws crossbars in its own layout, without the
    critical-difference bar, the paper's sizes or the strategy colours of every other figure.

    Parameters
    ----------
    ranks
        Output of :func:`helpers.stats.friedman_ranks` grouped by pair.
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).
    pairs
        The pairs drawn, one panel each (default: every pair of ``ranks``).

    Returns
    -------
    list of pathlib.Path
        The PDF and PNG written.

    Raises
    ------
    ValueError
        If none of ``pairs`` has ranks.
    """
    if pairs is not None:
        ranks = ranks[ranks["pair"].isin(list(pairs))]
        if ranks.empty:
            raise ValueError(f"no ranks for the pairs {list(pairs)}")
    pairs = stats.ordered_pairs(ranks["pair"])
    with plt.rc_context(RC):
        row_pt = 1.2 * MIN_FONT_SIZE  # label rows under the axis line, in points
        # Gap between the axis line and the first label row, in points: long enough that the
        # top row's leader line shows beyond its marker (a marker's radius is about 3 points).
        first_gap = 12
        n_max = int(ranks.groupby("pair")["strategy"].nunique().max())
        below = (first_gap + 1 + row_pt * n_max) / 72  # inches the labels take under the axis line
        fig, axes = plt.subplots(len(pairs), 1, squeeze=False, constrained_layout=True,
                                 figsize=(SINGLE_COLUMN, 0.2 + (1.05 + below) * len(pairs)))
        for ax, pair in zip(axes[:, 0], pairs):
            frame = ranks[ranks["pair"] == pair].sort_values("mean_rank")
            k, cd = int(frame["n_strategies"].iloc[0]), float(frame["cd"].iloc[0])
            ax.set_xlim(k + 0.3, 0.7)  # best rank on the right
            ax.set_ylim(-1.0, 1.05)  # the lower limit is set once the axes' height is known
            ax.axhline(0, color="0.3", linewidth=0.6)
            ax.set_yticks([])
            ax.xaxis.set_major_locator(matplotlib.ticker.MultipleLocator(1))
            for side in ("left", "right", "top"):
                ax.spines[side].set_visible(False)
            rows = list(frame.itertuples())
            texts = [f"{stats.strategy_label(r.strategy)} ({fmt_num(r.mean_rank, 2)})" for r in rows]
            # One text line per strategy (labels never overlap), placed so that no
            # vertical leader line runs through a label and none leaves the column.
            axes_width = SINGLE_COLUMN - 0.1
            order = _place_rank_labels([(k + 0.3 - r.mean_rank) / (k - 0.4) for r in rows],
                                       [_text_width(fig, t) / axes_width + 0.02 for t in texts])
            for n, (m, ha) in enumerate(order):
                row = rows[m]
                ax.plot(row.mean_rank, 0, marker=strategy_marker(row.strategy), color=strategy_color(row.strategy))
                label = ax.annotate(texts[m], (row.mean_rank, 0), xytext=(0, -first_gap - row_pt * n),
                                    textcoords="offset points", ha=ha, va="top",
                                    arrowprops={"arrowstyle": "-", "color": "0.6", "linewidth": 0.5,
                                                "shrinkA": 0, "shrinkB": 0, "relpos": (
                                                    {"left": 0.0, "center": 0.5, "right": 1.0}[ha], 1.0)})
                label.set_in_layout(False)  # placed inside the axes below, once its height is known
            if np.isfinite(cd):
                ax.plot([0.8, 0.8 + cd], [0.75, 0.75], color="black", linewidth=1.2)
                ax.text(0.8 + cd / 2, 0.8, f"CD = {fmt_num(cd, 2)}", ha="center", va="bottom")
                means = frame["mean_rank"].to_numpy()
                groups = [(a, means[(means >= a) & (means - a < cd)].max()) for a in means]
                groups = [g for g in groups if g[1] > g[0]
                          and not any(o[0] <= g[0] and o[1] >= g[1] and o != g for o in groups)]
                for n, (lo, hi) in enumerate(dict.fromkeys(groups)):
                    ax.plot([lo, hi], [0.18 + 0.14 * n] * 2, color="0.25", linewidth=2.2, solid_capstyle="round")
            p = frame["friedman_p"].iloc[0]
            title = f"{stats.pair_label(pair)}: {int(frame['n_blocks'].iloc[0])} blocks"
            title += f", Friedman p = {fmt_sig(p, 2)}" if np.isfinite(p) else ""
            ax.set_title(_fit_lines(fig, title, SINGLE_COLUMN - 0.1, sep=": ", new="\n"))
            if ax is axes[-1, 0]:
                ax.set_xlabel("mean rank (1 = best)")
        fig.canvas.draw()  # lays the axes out
        for ax in axes[:, 0]:
            share = min(0.85, below / (ax.bbox.height / fig.dpi))  # of the axes' height
            ax.set_ylim(-1.05 * share / (1 - share), 1.05)  # the axis line sits that high
        return fig_style._save(fig, out_dir, "critical_difference")
