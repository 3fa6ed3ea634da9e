""":func:`write_all`: every generated input of the paper from a result tree (what the figures
notebook calls).

May import: every other ``helpers.report`` module, :mod:`helpers.stats`, :mod:`helpers.paths`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from helpers import stats
from helpers.paths import PAPER_GENERATED_DIR
from helpers.report.macros import role_pair, study_rows, write_macros
from helpers.report.output import _atomic_csv
from helpers.report.pilots import PILOTS, write_pilot_tables
from helpers.report.tables import (
    TABLE_TEST_METRICS, write_macro_f1_table, write_model_comparison_table, write_stream_table, write_summary_table,
    write_regularisation_table, write_update_rule_table,
)
from helpers.report.crossed import write_best_by_cell_table, write_crossed_table


# --------------------------------------------------------------------------- everything
def _model_comparison(tests: pd.DataFrame, ranks: pd.DataFrame, pairs: Iterable[str]):
    """``(model_comparison, best_strategies)`` of the shallow and the deep pair; ``(None, None)``
    when a role has no pair or the pairs share no compared row."""
    roles = stats.comparison_roles(pairs)
    if roles is None:
        return None, None
    per_experiment = ranks[ranks["experiment"] != "all"]
    table = stats.model_comparison(tests, per_experiment, *roles)
    if table.empty:
        return None, None
    return table, stats.best_strategies(per_experiment, *roles)


def write_all(results_root=None, out_dir=PAPER_GENERATED_DIR,
              pairs: Iterable[str] | None = None) -> list[Path]:
    """Compute every statistic from a result tree and write the paper's generated inputs.

    Writes ``summary_table_<pair>.tex`` for each pair, ``macros.tex`` and the CSV
    files ``per_run_metrics.csv``, ``strategy_summary.csv``, ``paired_tests.csv``
    (AULC and final accuracy: mean paired difference with its t interval, seeds better,
    Wilcoxon with Holm within each pair x experiment and metric), ``labels_to_target.csv``,
    ``friedman_ranks.csv`` (mean AULC ranks per pair over every experiment and seed, and per
    experiment, with the Friedman test and the Nemenyi critical difference) and
    ``query_balance.csv`` (class balance of the first 10 query rounds, per run),
    ``per_class.csv`` and ``per_class_deficit.csv`` (:func:`helpers.stats.class_table`,
    :func:`helpers.stats.deficit_summary`), ``bootstrap_best.csv``
    (:func:`helpers.stats.bootstrap_best`) and, when two cells of the crossed design at the
    common schedule have runs, ``crossed_effects.csv`` (:func:`helpers.stats.crossed_effects`) and
    ``crossed_effects.tex`` (:func:`write_crossed_table`; ``\\ifHaveCrossed`` is on once the model
    effect has an interval, two seeds or more, on both datasets) and ``best_by_cell.tex``
    (:func:`write_best_by_cell_table`)
    into ``out_dir``. Where a pair has a regularisation (C) ablation
    (:func:`helpers.stats.compare_regularisation`) it writes ``regularisation_<pair>.tex`` and
    ``.csv``, and ``macros.tex`` switches ``\\ifHaveRegularisation`` on for the shallow pair.
    Where a pair has a fine-tuning ablation (:func:`helpers.stats.update_rule_roots`)
    it also writes ``update_rules_<pair>.tex`` and ``.csv`` (the strategies under each update
    rule) and ``update_rule_rankings_<pair>.csv`` (whether the ranking changes). Where both a
    shallow and a deep pair exist (:func:`helpers.stats.comparison_roles`) it writes
    ``shallow_vs_deep.tex`` (:func:`write_model_comparison_table`) and ``shallow_vs_deep.csv``
    (:func:`helpers.stats.model_comparison`), and ``macros.tex`` switches ``\\ifHaveComparison`` on.
    ``macro_f1.tex`` (:func:`write_macro_f1_table`) covers the study's two cells
    (:func:`helpers.report.macros.study_rows`), every pair when neither role is filled.
    ``stream.tex`` (:func:`write_stream_table`) gives the one-pass stream's selectivity in every
    pair and experiment, where the stream ran (``\\ifHaveStreamTable``).

    Parameters
    ----------
    results_root
        Root of the result tree; ``None`` means :func:`helpers.paths.results_dir`.
    out_dir
        Output directory (default :data:`helpers.paths.PAPER_GENERATED_DIR`).
    pairs
        Restrict to these pairs; ``None`` uses all present.

    Returns
    -------
    list of pathlib.Path
        Every file written.
    """
    if results_root is None:
        from helpers.paths import results_dir

        results_root = results_dir()
    out = Path(out_dir)
    runs = stats.load_runs(results_root, pairs)
    meta = stats.load_run_meta(results_root, pairs)
    reference = stats.load_reference(results_root, pairs)
    per_run = stats.per_run_metrics(runs)
    summary = stats.strategy_summary(per_run)
    tests = pd.concat([stats.paired_tests(per_run, m) for m in TABLE_TEST_METRICS],
                      ignore_index=True)
    labels_table = stats.labels_to_target_table(runs)

    written = []
    for pair in stats.ordered_pairs(summary["pair"]):
        written.append(write_summary_table(summary, tests, pair, out / f"summary_table_{pair}.tex",
                                           per_run=per_run))
    ranks = pd.concat([stats.friedman_ranks(per_run).assign(experiment="all"),
                       stats.friedman_ranks(per_run, by=("pair", "experiment"))], ignore_index=True)
    balance = stats.first_rounds_balance(meta)
    update_rules = {}
    for pair in stats.ordered_pairs(summary["pair"]):
        table = stats.compare_update_rules(results_root, pair, pairs if isinstance(pairs, stats.RunGrid) else None)
        if table is not None:
            update_rules[pair] = table
    regularisation = {}
    for pair in stats.ordered_pairs(summary["pair"]):
        table = stats.compare_regularisation(results_root, pair, pairs if isinstance(pairs, stats.RunGrid) else None)
        if table is not None:
            regularisation[pair] = table
    pilots = write_pilot_tables(results_root, out)
    per_class, deficit = stats.class_table(meta), stats.deficit_summary(meta)
    bootstrap = stats.bootstrap_best(per_run)
    crossed = [p for p, (_, _, schedule) in stats.CROSSED_CELLS.items() if schedule == "b250"]
    effects = stats.crossed_effects(per_run) if len(set(per_run["pair"]) & set(crossed)) >= 2 else None
    shallow = role_pair("Shallow", summary["pair"])
    comparison, comparison_best = _model_comparison(tests, ranks, summary["pair"])
    # The crossed design is shown once the model effect has an interval (two seeds) on both datasets.
    full_cross = effects is not None and {"mnist", "cifar10"} <= set(
        effects.loc[(effects["effect"] == "model") & (effects["n_a"] >= 2), "level"])
    has_stream = ("inspected_per_label_mean" in summary
                  and bool((summary["strategy"] == stats.STREAM_STRATEGY).any()))
    switches = {"UpdateRules": shallow in update_rules, "Regularisation": shallow in regularisation,
                "Crossed": full_cross, "Pilots": len(pilots) == len(PILOTS),
                "Comparison": comparison is not None, "StreamTable": has_stream}
    for stale in ([] if switches["Pilots"] else pilots):
        stale.unlink()  # all pilot tables or none: the appendix shows them together
    written += pilots if switches["Pilots"] else []
    written.append(write_macros(summary, tests, out / "macros.tex", reference=reference,
                                labels_table=labels_table, meta=meta, ranks=ranks, balance=balance,
                                update_rules=update_rules, composition=stats.query_composition(meta, n_blocks=1),
                                switches=switches, comparison_best=comparison_best, deficit=deficit,
                                bootstrap=bootstrap, regularisation=regularisation,
                                spread=stats.exhausted_spread(per_run, meta), drift=stats.random_drift(per_run),
                                effects=effects))
    if comparison is not None:
        written.append(write_model_comparison_table(comparison, out / "shallow_vs_deep.tex"))
        written.append(_atomic_csv(comparison, out / "shallow_vs_deep.csv"))
    for name, frame in (("per_run_metrics", per_run), ("strategy_summary", summary),
                        ("paired_tests", tests), ("labels_to_target", labels_table),
                        ("friedman_ranks", ranks), ("query_balance", balance), ("per_class", per_class),
                        ("per_class_deficit", deficit), ("bootstrap_best", bootstrap)):
        written.append(_atomic_csv(frame, out / f"{name}.csv"))
    if effects is not None and not effects.empty:
        written.append(_atomic_csv(effects, out / "crossed_effects.csv"))
        written.append(write_crossed_table(effects, out / "crossed_effects.tex"))
        written.append(write_best_by_cell_table(bootstrap, out / "best_by_cell.tex"))
    written.append(write_macro_f1_table(study_rows(summary), out / "macro_f1.tex"))
    if has_stream:
        written.append(write_stream_table(summary, out / "stream.tex", strategy=stats.STREAM_STRATEGY))
    elif (out / "stream.tex").exists():
        (out / "stream.tex").unlink()  # a stale table of runs no longer summarised
    for pair, table in regularisation.items():
        written.append(write_regularisation_table(table, out / f"regularisation_{pair}.tex"))
        written.append(_atomic_csv(table, out / f"regularisation_{pair}.csv"))
    for pair, table in update_rules.items():
        written.append(write_update_rule_table(table, out / f"update_rules_{pair}.tex"))
        written.append(_atomic_csv(table, out / f"update_rules_{pair}.csv"))
        written.append(_atomic_csv(stats.ranking_agreement(table), out / f"update_rule_rankings_{pair}.csv"))
    return written
