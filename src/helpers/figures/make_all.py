""":func:`make_all_figures`: every figure of the study from a result tree (what the figures
notebook calls).

May import: every other ``helpers.figures`` module, :mod:`helpers.stats` and :mod:`helpers.paths`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from helpers import stats
from helpers.paths import FIGURES_DIR
from helpers.figures.comparison import plot_crossed_gains, plot_model_comparison
from helpers.figures.composition import plot_query_composition
from helpers.figures.critical_difference import plot_critical_difference
from helpers.figures.curves import plot_learning_curve_row, plot_learning_curves
from helpers.figures.perclass import _confusion_for, plot_confusion_matrices, plot_per_class_deficit
from helpers.figures.stream import STREAM_STRATEGY, plot_stream_cost
from helpers.figures.summaries import plot_aulc_summary, plot_labels_to_target


# --------------------------------------------------------------------------- everything
def make_all_figures(results_root=None, out_dir=FIGURES_DIR,
                     pairs: Iterable[str] | None = None) -> list[Path]:
    """Build every figure from a result tree.

    Loads the runs, metadata and reference results with :mod:`helpers.stats` and
    writes, for every pair, ``learning_curves_<pair>`` and ``learning_curves_frac_<pair>``
    (all experiments side by side) and, for every pair x experiment present,
    ``learning_curves_*``, ``learning_curves_frac_*`` and ``confusion_*``; then ``aulc_summary``,
    ``labels_to_target``, ``stream_cost`` and ``critical_difference`` (these three for the
    shallow and the deep role's pairs where they exist, else every pair),
    ``query_composition_<pair>``, ``per_class_<pair>`` (every pair with random and another
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
    # The paper's summary figures show the study's two cells (its shallow and deep roles) where
    # they exist; the crossed cells have their own figure, and each pair its own curves.
    study = stats.study_pairs(runs["pair"]) or stats.ordered_pairs(runs["pair"])
    table = stats.labels_to_target_table(runs[runs["pair"].isin(study)])
    if not table.empty:
        written += plot_labels_to_target(table, out_dir=out_dir)
    stream = per_run[(per_run["strategy"] == STREAM_STRATEGY) & per_run["inspected_per_label"].notna()
                     & per_run["pair"].isin(study)]
    if not stream.empty:
        written += plot_stream_cost(per_run[per_run["pair"].isin(study)], out_dir=out_dir)
    composition = stats.query_composition(meta)
    for pair in stats.ordered_pairs(composition["pair"]):
        written += plot_query_composition(composition, pair, out_dir=out_dir)
    ranks = stats.friedman_ranks(per_run)
    if not ranks.empty:
        written += plot_critical_difference(ranks, out_dir=out_dir,
                                            pairs=[p for p in study if p in set(ranks["pair"])] or None)
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
