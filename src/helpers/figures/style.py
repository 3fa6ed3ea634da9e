"""Style and saving shared by every figure: sizes of a two-column paper, the one colour and
marker per strategy and per model pair, matplotlib's rc settings, facet grids and titles,
and :func:`_save` (PDF and PNG, then close).

May import: :mod:`helpers.stats`, :mod:`helpers.report.numbers` (number formatting), :mod:`helpers.paths`,
matplotlib, seaborn, numpy and pandas.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import matplotlib.colors
import matplotlib.font_manager
import matplotlib.lines
import matplotlib.pyplot as plt
import matplotlib.ticker
import pandas as pd
import seaborn as sns

from helpers import stats
from helpers.paths import FIGURES_DIR


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


def _panel_title(pair: str, experiment: str, n_pairs: int, split: bool = False, fig=None,
                 width: float | None = None) -> str:
    """Panel title; ``split`` puts the experiment's parenthesis on a line of its own.

    With ``fig`` and ``width`` (inches), a pair label wider than the panel (a crossed cell's
    "MNIST, logistic regression, 250 x 50") breaks before its last part.
    """
    title = stats.experiment_label(experiment)
    if split:
        title = title.replace(" (", "\n(", 1)
    if n_pairs == 1:
        return title
    label = stats.pair_label(pair)
    if fig is not None and width is not None and _text_width(fig, label) > width and ", " in label:
        head, tail = label.rsplit(", ", 1)
        label = f"{head}\n{tail}"
    return f"{label}\n{title}"


def _panel_width(experiments) -> float:
    """Width in inches of one panel of :func:`_facet_grid` with ``experiments`` as columns."""
    return (FULL_WIDTH - 1.2) / max(len(experiments), 1) - 0.15  # strategy names take ~1.2 in


def _split_titles(fig, experiments) -> bool:
    """Whether an experiment name is too wide for a panel of :func:`_facet_grid` (then all split)."""
    width = _panel_width(experiments)
    return any(_text_width(fig, stats.experiment_label(e)) > width for e in experiments)
