r"""One function per figure of the study.

Every ``plot_*`` function takes data frames from :mod:`helpers.stats` and an
output directory (default :data:`helpers.paths.FIGURES_DIR`), writes the figure
as PDF (vector, for the paper) and PNG (150 dpi, for people), closes it and
returns the paths written. :func:`make_all_figures` builds every figure from a
result tree; it is what the figures notebook calls.

Sizes follow a two-column paper: every figure is drawn at the size it is printed
(``\includegraphics`` without a ``width``), :data:`SINGLE_COLUMN` (3.25 in) or
:data:`FULL_WIDTH` (6.75 in) wide at most, and no text in it is smaller than
:data:`MIN_FONT_SIZE` (9 pt, the caption's size). Each strategy has one colour in
every figure (:data:`STRATEGY_COLORS`); random sampling, the reference, is dark grey.

Layout, one file per figure family (each figure made by one named function whose docstring
names the file it writes):

- :mod:`~helpers.figures.style`: sizes, colours, rc settings, facets and :func:`_save`
- :mod:`~helpers.figures.curves`: learning curves
- :mod:`~helpers.figures.summaries`: AULC summary, labels to target
- :mod:`~helpers.figures.perclass`: confusion matrices, per-class deficit
- :mod:`~helpers.figures.stream`: stream cost
- :mod:`~helpers.figures.composition`: query composition
- :mod:`~helpers.figures.critical_difference`: critical-difference diagram
- :mod:`~helpers.figures.comparison`: model comparison, crossed-design gains
- :mod:`~helpers.figures.make_all`: :func:`make_all_figures`

Every name is re-exported here. Tests that replace ``_save`` patch
``helpers.figures.style._save``: the figure functions look it up there at call time.
This package may import :mod:`helpers.stats`, :mod:`helpers.report` (number formatting)
and :mod:`helpers.paths`, never the run layers (loop, grid, notebook).
"""

from __future__ import annotations

from helpers.figures.style import (  # noqa: F401
    SINGLE_COLUMN,
    FULL_WIDTH,
    PNG_DPI,
    MIN_FONT_SIZE,
    _PALETTE,
    STRATEGY_COLORS,
    STRATEGY_MARKERS,
    _EXTRA_COLORS,
    PAIR_COLORS,
    _PAIR_MARKERS,
    RC,
    strategy_color,
    strategy_marker,
    _out_dir,
    _save,
    _facet_keys,
    _facet_grid,
    _text_width,
    _fit_lines,
    _panel_title,
    _split_titles,
)
from helpers.figures.curves import (  # noqa: F401
    plot_learning_curves,
    plot_learning_curve_row,
    _curve_data,
    _reference_accuracy,
    _draw_curves,
)
from helpers.figures.summaries import (  # noqa: F401
    _strategy_dotplot,
    plot_aulc_summary,
    plot_labels_to_target,
)
from helpers.figures.perclass import (  # noqa: F401
    _confusion_for,
    plot_confusion_matrices,
    plot_per_class_deficit,
)
from helpers.figures.stream import (  # noqa: F401
    STREAM_STRATEGY,
    plot_stream_cost,
)
from helpers.figures.composition import (  # noqa: F401
    plot_query_composition,
)
from helpers.figures.critical_difference import (  # noqa: F401
    _place_rank_labels,
    plot_critical_difference,
)
from helpers.figures.comparison import (  # noqa: F401
    _ROLE_MARKERS,
    _ROLE_COLORS,
    _COMPARISON_AXIS,
    _clear_zero_line,
    _seeds_text,
    plot_model_comparison,
    _EXPERIMENT_OFFSETS,
    _EXPERIMENT_MARKERS,
    _EXPERIMENT_COLORS,
    _MODEL_TITLES,
    _DATASET_TITLES,
    plot_crossed_gains,
)
from helpers.figures.make_all import (  # noqa: F401
    make_all_figures,
)
