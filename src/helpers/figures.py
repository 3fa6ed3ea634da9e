"""One function per figure of the study.

Every ``plot_*`` function takes data frames from :mod:`helpers.stats` and an
output directory (default :data:`helpers.paths.FIGURES_DIR`), writes the figure
as PDF (vector, for the paper) and PNG (150 dpi, for people), closes it and
returns the paths written. :func:`make_all_figures` builds every figure from a
result tree; it is what the figures notebook calls.

Sizes follow a two-column paper: every figure is drawn at the size it is printed
(``\\includegraphics`` without a ``width``), :data:`SINGLE_COLUMN` (3.25 in) or
:data:`FULL_WIDTH` (6.75 in) wide at most, and no text in it is smaller than
:data:`MIN_FONT_SIZE` (9 pt, the caption's size). Each strategy has one colour in
every figure (:data:`STRATEGY_COLORS`); random sampling, the reference, is dark grey.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import matplotlib
import matplotlib.colors
import matplotlib.font_manager
import matplotlib.lines
import matplotlib.pyplot as plt
import matplotlib.ticker
import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd
import seaborn as sns

from helpers import stats
from helpers.paths import FIGURES_DIR
from helpers.report import fmt_num, fmt_sig

#: Width of one column of a two-column paper (``\columnwidth``), in inches.
SINGLE_COLUMN = 3.25
#: Width of a full page (both columns), in inches.
FULL_WIDTH = 6.75
#: Resolution of the PNG copies.
PNG_DPI = 150
#: Smallest font size of any text in a figure, in points at the printed (natural) size.
MIN_FONT_SIZE = 9

_PALETTE = sns.color_palette("colorblind")
#: Colour of each strategy, identical in every figure; random (reference) is dark grey.
STRATEGY_COLORS = {
    "random": "#404040",
    "least_confident": _PALETTE[0],
    "margin": _PALETTE[1],
    "entropy": _PALETTE[2],
    "stream_uncertainty": _PALETTE[4],
    "stream_redraw": _PALETTE[6],
}
#: Marker of each strategy (helps in greyscale print).
STRATEGY_MARKERS = {
    "random": "o",
    "least_confident": "s",
    "margin": "D",
    "entropy": "^",
    "stream_uncertainty": "v",
    "stream_redraw": "<",
}
#: Colours for strategies not in :data:`STRATEGY_COLORS`, assigned in name order.
_EXTRA_COLORS = [_PALETTE[i] for i in (3, 5, 8, 9)]
#: Colour and marker of each model-dataset pair (stream-cost figure).
PAIR_COLORS = {"mnist_logreg": _PALETTE[0], "cifar10_cnn": _PALETTE[3], "digits_logreg": _PALETTE[2]}
_PAIR_MARKERS = {"mnist_logreg": "o", "cifar10_cnn": "s", "digits_logreg": "^"}

#: Matplotlib settings used for every figure (applied in a context, never globally).
#: Every text is :data:`MIN_FONT_SIZE`: figures are printed at their natural size.
RC = {
    **sns.axes_style("whitegrid"),
    "font.size": MIN_FONT_SIZE,
    "axes.titlesize": MIN_FONT_SIZE,
    "axes.labelsize": MIN_FONT_SIZE,
    "xtick.labelsize": MIN_FONT_SIZE,
    "ytick.labelsize": MIN_FONT_SIZE,
    "legend.fontsize": MIN_FONT_SIZE,
    "legend.title_fontsize": MIN_FONT_SIZE,
    "figure.titlesize": MIN_FONT_SIZE,
    "figure.labelsize": MIN_FONT_SIZE,
    "lines.linewidth": 1.2,
    "lines.markersize": 4.0,
    "grid.linewidth": 0.5,
    "axes.linewidth": 0.6,
    "pdf.fonttype": 42,  # embed TrueType so the PDF text stays editable/searchable
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02,
}

STREAM_STRATEGY = "stream_uncertainty"


def strategy_color(name: str):
    """Return the colour of a strategy (a fixed extra colour for unknown names)."""
    if name in STRATEGY_COLORS:
        return STRATEGY_COLORS[name]
    return _EXTRA_COLORS[sum(map(ord, name)) % len(_EXTRA_COLORS)]


def strategy_marker(name: str) -> str:
    """Return the marker of a strategy (``"X"`` for unknown names)."""
    return STRATEGY_MARKERS.get(name, "X")


def _out_dir(out_dir) -> Path:
    path = Path(FIGURES_DIR if out_dir is None else out_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _save(fig, out_dir, stem: str) -> list[Path]:
    """Write ``<stem>.pdf`` and ``<stem>.png`` atomically, close ``fig``, return both paths."""
    directory = _out_dir(out_dir)
    written = []
    try:
        for ext, kwargs in (("pdf", {"metadata": {"CreationDate": None}}),
                            ("png", {"dpi": PNG_DPI})):
            final = directory / f"{stem}.{ext}"
            tmp = directory / f".{stem}.{os.getpid()}.tmp.{ext}"
            fig.savefig(tmp, format=ext, **kwargs)
            os.replace(tmp, final)
            written.append(final)
    finally:
        plt.close(fig)
    return written


def _facet_keys(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    return (stats.ordered_pairs(frame["pair"]), stats.ordered_experiments(frame["experiment"]))


def _facet_grid(pairs, experiments, panel_height: float):
    """Full-width grid: one row per pair, one column per experiment."""
    fig, axes = plt.subplots(len(pairs), len(experiments), squeeze=False,
                             figsize=(FULL_WIDTH, 0.3 + panel_height * len(pairs)),
                             sharey=True, constrained_layout=True)
    fig.get_layout_engine().set(wspace=0.1)  # tick labels at panel edges stay apart
    return fig, axes


def _text_width(fig, text: str, fontsize=None) -> float:
    """Width in inches of the one-line ``text`` at ``fontsize`` (default: the current font size)."""
    renderer = fig.canvas.get_renderer()
    width, _, _ = renderer.get_text_width_height_descent(
        text, matplotlib.font_manager.FontProperties(size=fontsize), ismath=False)
    return width / fig.dpi


def _fit_lines(fig, text: str, width: float, sep: str = " (", new: str = "\n(") -> str:
    """Replace the first ``sep`` by ``new`` in each line of ``text`` wider than ``width`` inches."""
    return "\n".join(line.replace(sep, new, 1) if _text_width(fig, line) > width else line
                     for line in text.split("\n"))


def _panel_title(pair: str, experiment: str, n_pairs: int, split: bool = False) -> str:
    """Panel title; ``split`` puts the experiment's parenthesis on a line of its own."""
    title = stats.experiment_label(experiment)
    if split:
        title = title.replace(" (", "\n(", 1)
    if n_pairs == 1:
        return title
    return f"{stats.pair_label(pair)}\n{title}"


def _split_titles(fig, experiments) -> bool:
    """Whether an experiment name is too wide for a panel of :func:`_facet_grid` (then all split)."""
    width = (FULL_WIDTH - 1.2) / max(len(experiments), 1) - 0.15  # strategy names take ~1.2 in
    return any(_text_width(fig, stats.experiment_label(e)) > width for e in experiments)


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
        return _save(fig, out_dir, f"{stem}_{pair}_{experiment}")


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
        return _save(fig, out_dir, f"{stem}_{pair}")


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
                ax.set_title(_panel_title(pair, experiment, len(pairs), split))
                ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3))  # 9-pt labels stay apart
                if i == len(pairs) - 1:
                    ax.set_xlabel("AULC (mean accuracy, %)")
        return _save(fig, out_dir, "aulc_summary")


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
                ax.set_title(_panel_title(pair, experiment, len(pairs), split))
                if i == len(pairs) - 1:
                    ax.set_xlabel("Labels needed / random's")
        return _save(fig, out_dir, "labels_to_target")


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
        return _save(fig, out_dir, stem)


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
        return _save(fig, out_dir, "stream_cost")


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
        return _save(fig, out_dir, stem or f"query_composition_{pair}")


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


def plot_critical_difference(ranks: pd.DataFrame, out_dir=None) -> list[Path]:
    """Mean rank of every strategy with the Nemenyi critical difference, one panel per pair.

    Writes ``critical_difference.pdf/.png``. Ranks come from
    :func:`helpers.stats.friedman_ranks` over every (experiment, seed) block of a pair
    (rank 1 = best). The bar above the axis is the critical difference: strategies whose
    mean ranks lie closer than it are not told apart; thick lines join such groups.
    Each strategy's name and mean rank hang below the axis, one line each, placed so
    that no leader line crosses a name (:func:`_place_rank_labels`).

    Parameters
    ----------
    ranks
        Output of :func:`helpers.stats.friedman_ranks` grouped by pair.
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).

    Returns
    -------
    list of pathlib.Path
        The PDF and PNG written.
    """
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
        return _save(fig, out_dir, "critical_difference")


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
                        has_ci = np.isfinite(lo) and np.isfinite(hi)
                        color = colors[role]
                        ax.errorbar(gain, y + offsets[role], xerr=[[gain - lo], [hi - gain]] if has_ci else None,
                                    fmt=_ROLE_MARKERS[role], color=color, markeredgecolor=color,
                                    markerfacecolor=color if bool(row[f"{role}_significant"]) else "white",
                                    markersize=4.5, markeredgewidth=1.0, elinewidth=1.1, capsize=2.0, zorder=3)
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
        return _save(fig, out_dir, "shallow_vs_deep")


# ------------------------------------------------------------------------- crossed design
_EXPERIMENT_OFFSETS = {"small": -0.22, "moderate": 0.0, "large": 0.22}
_EXPERIMENT_MARKERS = {"small": "o", "moderate": "s", "large": "D"}
_EXPERIMENT_COLORS = {"small": _PALETTE[0], "moderate": _PALETTE[2], "large": _PALETTE[7]}
_MODEL_TITLES = {"logreg": "Logistic regression", "cnn": "CNN"}
_DATASET_TITLES = {"mnist": "MNIST", "cifar10": "CIFAR-10"}


def _large_note(label: str) -> str:
    """``Large start (80 % of pool)`` -> ``Large start (80 % of pool; the pool runs out)``."""
    return label[:-1] + "; the pool runs out)" if label.endswith(")") else label + " (the pool runs out)"


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
                                 figsize=(FULL_WIDTH, 1.2 + 2 * (0.32 * len(strategies) + 0.5)),
                                 constrained_layout=True)
        for i, model in enumerate(("logreg", "cnn")):
            for j, dataset in enumerate(("mnist", "cifar10")):
                ax, pair = axes[i, j], grid[i][j]
                ax.axvline(0, color=STRATEGY_COLORS["random"], linewidth=0.8, zorder=1)
                rows = tests[tests["pair"] == pair] if pair else tests.iloc[0:0]
                n_seeds = int(rows["n_pairs"].max()) if not rows.empty else 0
                ax.set_title(f"{_MODEL_TITLES[model]}, {_DATASET_TITLES[dataset]}"
                             + (f" ({n_seeds} seeds)" if n_seeds else " (no runs yet)"))
                for y, strategy in enumerate(strategies):
                    for experiment in experiments:
                        row = rows[(rows["strategy"] == strategy) & (rows["experiment"] == experiment)]
                        if row.empty:
                            continue
                        row = row.iloc[0]
                        gain = float(row["mean_diff"]) * 100
                        lo, hi = float(row["diff_ci_lo"]) * 100, float(row["diff_ci_hi"]) * 100
                        has_ci = np.isfinite(lo) and np.isfinite(hi)
                        color = _EXPERIMENT_COLORS.get(experiment, "0.3")
                        ax.errorbar(gain, y + _EXPERIMENT_OFFSETS.get(experiment, 0.0),
                                    xerr=[[gain - lo], [hi - gain]] if has_ci else None,
                                    fmt=_EXPERIMENT_MARKERS.get(experiment, "o"), color=color, markeredgecolor=color,
                                    markerfacecolor=color if bool(row["significant"]) else "white",
                                    markersize=4.5, markeredgewidth=1.0, elinewidth=1.1, capsize=2.0, zorder=3)
                ax.set_yticks(range(len(strategies)))
                ax.set_yticklabels([stats.strategy_label(s) for s in strategies])
                ax.set_ylim(len(strategies) - 0.5, -0.5)
                ax.grid(axis="y", visible=False)
                ax.set_xlim(min(lo_all, 0) - 0.05 * span, max(hi_all, 0) + 0.05 * span)
                if i == 1:
                    ax.set_xlabel("AULC gain over random (pp)")
        handles = [matplotlib.lines.Line2D([], [], linestyle="none", marker=_EXPERIMENT_MARKERS.get(e, "o"),
                                           color=_EXPERIMENT_COLORS.get(e, "0.3"), markersize=5,
                                           label=_large_note(stats.experiment_label(e)) if e == "large"
                                           else stats.experiment_label(e))
                   for e in experiments]
        handles += [matplotlib.lines.Line2D([], [], linestyle="none", marker="o", color="0.3", markersize=5,
                                            markerfacecolor=face, label=label)
                    for face, label in (("0.3", "Holm p < 0.05"), ("white", "not significant"))]
        # Experiments in the first column, the fillings in the second (three would not fit the page).
        n_exp = len(experiments)
        order = [h for pair in zip(handles[:n_exp], handles[n_exp:] + [None] * n_exp) for h in pair if h is not None]
        fig.legend(handles=order, loc="outside upper center", ncol=2, frameon=False,
                   handletextpad=0.3, columnspacing=1.2)
        return _save(fig, out_dir, "crossed_gains")


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
        return _save(fig, out_dir, stem or f"per_class_{pair}")


# --------------------------------------------------------------------------- everything
def make_all_figures(results_root=None, out_dir=FIGURES_DIR,
                     pairs: Iterable[str] | None = None) -> list[Path]:
    """Build every figure from a result tree.

    Loads the runs, metadata and reference results with :mod:`helpers.stats` and
    writes, for every pair, ``learning_curves_<pair>`` and ``learning_curves_frac_<pair>``
    (all experiments side by side) and, for every pair x experiment present,
    ``learning_curves_*``, ``learning_curves_frac_*`` and ``confusion_*``; then ``aulc_summary``,
    ``labels_to_target``, ``stream_cost``, ``query_composition_<pair>``,
    ``critical_difference``, ``per_class_<pair>`` (every pair with random and another
    strategy), ``crossed_gains`` (when two cells of the crossed design at the common
    schedule have runs) and, when both a shallow and a deep pair are present
    (:func:`helpers.stats.comparison_roles`), ``shallow_vs_deep``. A figure whose data is
    missing (no confusion matrices, no stream runs, no random runs, one model only) is skipped.

    Parameters
    ----------
    results_root
        Root of the result tree; ``None`` means :func:`helpers.paths.results_dir`.
    out_dir
        Output directory (default :data:`helpers.paths.FIGURES_DIR`).
    pairs
        Restrict to these pairs; ``None`` uses all present.

    Returns
    -------
    list of pathlib.Path
        Every file written (PDF and PNG).
    """
    if results_root is None:
        from helpers.paths import results_dir

        results_root = results_dir()
    runs = stats.load_runs(results_root, pairs)
    meta = stats.load_run_meta(results_root, pairs)
    reference = stats.load_reference(results_root, pairs)
    summary = stats.curve_summary(runs)
    per_run = stats.per_run_metrics(runs)
    written: list[Path] = []
    for pair in stats.ordered_pairs(runs["pair"]):
        experiments = stats.ordered_experiments(runs.loc[runs["pair"] == pair, "experiment"])
        for x in ("n_labeled", "frac_labeled"):
            written += plot_learning_curve_row(summary, reference, pair, x=x, out_dir=out_dir)
        for experiment in experiments:
            for x in ("n_labeled", "frac_labeled"):
                written += plot_learning_curves(summary, reference, pair, experiment, x=x,
                                                out_dir=out_dir)
            if _confusion_for(meta, pair, experiment, None):
                written += plot_confusion_matrices(meta, pair, experiment, out_dir=out_dir)
    written += plot_aulc_summary(stats.strategy_summary(per_run), out_dir=out_dir)
    table = stats.labels_to_target_table(runs)
    if not table.empty:
        written += plot_labels_to_target(table, out_dir=out_dir)
    stream = per_run[(per_run["strategy"] == STREAM_STRATEGY) & per_run["inspected_per_label"].notna()]
    if not stream.empty:
        written += plot_stream_cost(per_run, out_dir=out_dir)
    composition = stats.query_composition(meta)
    for pair in stats.ordered_pairs(composition["pair"]):
        written += plot_query_composition(composition, pair, out_dir=out_dir)
    ranks = stats.friedman_ranks(per_run)
    if not ranks.empty:
        written += plot_critical_difference(ranks, out_dir=out_dir)
    per_class = stats.class_table(meta)
    for pair in stats.ordered_pairs(per_class.loc[per_class["gap_points"].notna(), "pair"]):
        written += plot_per_class_deficit(per_class, pair, out_dir=out_dir)
    crossed = [p for p, (_, _, schedule) in stats.CROSSED_CELLS.items() if schedule == "b250"]
    if len(set(per_run["pair"]) & set(crossed)) >= 2:
        written += plot_crossed_gains(stats.paired_tests(per_run, "aulc"), out_dir=out_dir)
    roles = stats.comparison_roles(per_run["pair"])
    if roles is not None:
        tests = pd.concat([stats.paired_tests(per_run, m) for m in stats.COMPARISON_METRICS], ignore_index=True)
        comparison = stats.model_comparison(tests, stats.friedman_ranks(per_run, by=("pair", "experiment")), *roles)
        if not comparison.empty:
            written += plot_model_comparison(comparison, out_dir=out_dir)
    return written
