"""Summary figures of the whole grid: the area under the learning curve (AULC) and the labels
needed to reach a target accuracy, per strategy.

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
import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd

from helpers import stats
from helpers.figures import style as fig_style
from helpers.figures.style import (
    RC, STRATEGY_COLORS, _facet_grid, _facet_keys, _panel_title, _panel_width, _split_titles, strategy_color,
    strategy_marker,
)


# --------------------------------------------------------------------------- 2. AULC summary
def _strategy_dotplot(ax, frame: pd.DataFrame, value: str, lo: str | None, hi: str | None,
                      strategies: list[str], scale: float = 1.0) -> None:
    """Draw one point (with optional error bar) per strategy, top to bottom in display order."""
    for y, strategy in enumerate(strategies):
        row = frame[frame["strategy"] == strategy]
        if row.empty or pd.isna(row[value].iloc[0]):
            continue
        v = float(row[value].iloc[0]) * scale
        xerr = None
        if lo is not None and hi is not None:
            xerr = [[v - float(row[lo].iloc[0]) * scale], [float(row[hi].iloc[0]) * scale - v]]
        ax.errorbar(v, y, xerr=xerr, fmt=strategy_marker(strategy), color=strategy_color(strategy),
                    markersize=4.5, elinewidth=1.1, capsize=2.0)
    ax.set_yticks(range(len(strategies)))
    ax.set_yticklabels([stats.strategy_label(s) for s in strategies])
    ax.set_ylim(len(strategies) - 0.5, -0.5)
    ax.margins(x=0.08)  # keep extreme points off the panel edge
    ax.grid(axis="y", visible=False)


def plot_aulc_summary(strategy_summary: pd.DataFrame, out_dir=None) -> list[Path]:
    """AULC per strategy with 95 % CI error bars, one panel per pair x experiment.

    Writes ``aulc_summary.pdf/.png``. AULC is the normalised area under the
    accuracy-vs-labels curve (a label-weighted mean accuracy, shown in %); the
    grey band in each panel is random sampling's confidence interval, so a
    strategy whose bar lies clear of it differs from the reference. Each panel has
    its own x-range: the experiments differ by tens of points.

    Parameters
    ----------
    strategy_summary
        Output of :func:`helpers.stats.strategy_summary` (needs ``aulc_*`` columns).
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).

    Returns
    -------
    list of pathlib.Path
        The PDF and PNG written.
    """
    pairs, experiments = _facet_keys(strategy_summary)
    strategies = stats.ordered_strategies(strategy_summary["strategy"])
    with plt.rc_context(RC):
        fig, axes = _facet_grid(pairs, experiments, panel_height=0.22 * len(strategies) + 0.8)
        split = _split_titles(fig, experiments)
        for i, pair in enumerate(pairs):
            for j, experiment in enumerate(experiments):
                ax = axes[i, j]
                frame = strategy_summary[(strategy_summary["pair"] == pair)
                                         & (strategy_summary["experiment"] == experiment)].copy()
                if frame.empty:
                    ax.set_axis_off()
                    continue
                # AULC is a mean accuracy: show its interval within [0, 1].
                frame[["aulc_ci_lo", "aulc_ci_hi"]] = frame[["aulc_ci_lo", "aulc_ci_hi"]].clip(0, 1)
                ref = frame[frame["strategy"] == stats.REFERENCE_STRATEGY]
                if not ref.empty and pd.notna(ref["aulc_ci_lo"].iloc[0]):
                    ax.axvspan(ref["aulc_ci_lo"].iloc[0] * 100, ref["aulc_ci_hi"].iloc[0] * 100,
                               color=STRATEGY_COLORS["random"], alpha=0.12, linewidth=0)
                _strategy_dotplot(ax, frame, "aulc_mean", "aulc_ci_lo", "aulc_ci_hi",
                                  strategies, scale=100)
                ax.set_title(_panel_title(pair, experiment, len(pairs), split, fig, _panel_width(experiments)))
                ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3))  # 9-pt labels stay apart
                if i == len(pairs) - 1:
                    ax.set_xlabel("AULC (mean accuracy, %)")
        return fig_style._save(fig, out_dir, "aulc_summary")


# --------------------------------------------------------------------------- 3. labels to target
def plot_labels_to_target(table: pd.DataFrame, out_dir=None) -> list[Path]:
    """Queried labels needed to reach the target accuracy, relative to random sampling.

    Writes ``labels_to_target.pdf/.png``. One panel per pair x experiment, one
    point per strategy at ``ratio`` from :func:`helpers.stats.labels_to_target_table`
    (the target is random sampling's final mean accuracy by default); the dashed
    line at 1.0 is random sampling, points left of it need fewer labels. Strategies
    whose mean curve never reaches the target have no marker but the words "not
    reached" in their row, at the panel edge farther from the dashed line (on a white
    box, so the line never runs through them); a panel where random's mean curve
    starts at or above the target (no ratio defined) says so instead of showing points.

    Parameters
    ----------
    table
        Output of :func:`helpers.stats.labels_to_target_table`.
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).

    Returns
    -------
    list of pathlib.Path
        The PDF and PNG written.
    """
    pairs, experiments = _facet_keys(table)
    strategies = stats.ordered_strategies(table["strategy"])
    finite = table["ratio"].replace([np.inf, -np.inf], np.nan).dropna()
    x_max = max(1.25, float(finite.max()) * 1.1) if not finite.empty else 1.25
    with plt.rc_context(RC):
        fig, axes = _facet_grid(pairs, experiments, panel_height=0.22 * len(strategies) + 0.8)
        split = _split_titles(fig, experiments)
        for i, pair in enumerate(pairs):
            for j, experiment in enumerate(experiments):
                ax = axes[i, j]
                frame = table[(table["pair"] == pair) & (table["experiment"] == experiment)]
                if frame.empty:
                    ax.set_axis_off()
                    continue
                ax.axvline(1.0, color=STRATEGY_COLORS["random"], linestyle="--", linewidth=0.8, zorder=1)
                _strategy_dotplot(ax, frame, "ratio", None, None, strategies)
                ref_queried = frame["reference_labels_queried"].iloc[0]
                if pd.notna(ref_queried) and ref_queried <= 0:
                    # No ratio exists: random's mean curve starts at or above the target.
                    ax.text(0.5, 0.5, "random sampling\nreaches the target\nbefore any query",
                            transform=ax.transAxes, ha="center", va="center",
                            style="italic", color=STRATEGY_COLORS["random"], zorder=4,
                            bbox={"facecolor": "white", "edgecolor": "none", "pad": 2})
                else:
                    # "not reached" sits at the panel edge farther from the dashed line at 1,
                    # on an opaque box drawn above it: the line never runs through the words.
                    text_at = mtransforms.blended_transform_factory(ax.transAxes, ax.transData)
                    line_at = 1.0 / x_max
                    edge, align = (0.98, "right") if line_at < 0.5 else (0.02, "left")
                    for y, strategy in enumerate(strategies):
                        row = frame[frame["strategy"] == strategy]
                        if row.empty or bool(row["reached"].iloc[0]):
                            continue
                        ax.text(edge, y, "not reached", transform=text_at, ha=align,
                                va="center", color=strategy_color(strategy), style="italic",
                                zorder=4, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
                ax.set_xlim(0, x_max)
                ax.set_title(_panel_title(pair, experiment, len(pairs), split, fig, _panel_width(experiments)))
                if i == len(pairs) - 1:
                    ax.set_xlabel("Labels needed / random's")
        return fig_style._save(fig, out_dir, "labels_to_target")
