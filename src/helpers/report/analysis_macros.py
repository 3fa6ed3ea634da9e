"""Macros of the study's analyses beyond the per-cell numbers: the shallow-versus-deep comparison,
the per-class account and bootstrap, the regularisation ablation, the noise floors and the
crossed design. :func:`helpers.report.macros.write_macros` collects them.

May import: :mod:`helpers.report.naming`, :mod:`helpers.report.numbers`,
:mod:`helpers.report.phrases`, :mod:`helpers.stats`.
"""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from helpers import stats
from helpers.report.naming import c_macro_part, macro_name
from helpers.report.numbers import _missing, fmt_num, fmt_pct, fmt_signed_pp, latex_escape
from helpers.report.phrases import (
    best_by_cell_phrase, number_word, per_value_phrase, resolved_by_level_phrase, resolved_phrase,
    strategy_phrase,
)


def _comparison_entries(best: pd.DataFrame | None) -> list[tuple[str, str, str]]:
    """Macros of the shallow-versus-deep comparison (see :func:`write_macros`)."""
    if best is None or best.empty:
        return []
    entries = []
    for row in best.itertuples():
        entries.append((macro_name("Comparison", row.experiment, "Same", "Best"),
                        "the same" if row.same_best else "a different",
                        "best strategy by mean AULC rank, deep model compared with the shallow one"))
        if "same_order" in best.columns:
            entries.append((macro_name("Comparison", row.experiment, "Same", "Order"),
                            "the same" if row.same_order else "different",
                            "order of all strategies by mean AULC rank, deep model compared with the shallow one"))
    entries.append((macro_name("Comparison", "Best", "Changes"), str(int((~best["same_best"].astype(bool)).sum())),
                    "experiments whose best strategy by mean AULC rank differs between the models"))
    entries.append((macro_name("Comparison", "N", "Experiments"), str(len(best)),
                    "experiments compared between the models"))
    return entries


def _perclass_entries(deficit: pd.DataFrame | None, bootstrap: pd.DataFrame | None) -> list[tuple[str, str, str]]:
    """Macros of the per-class account and of the bootstrap probability of the best strategy."""
    entries = []
    for row in ([] if deficit is None else deficit.itertuples(index=False)):
        base = [row.pair, row.experiment, row.strategy]
        for quantity, value, comment in (
                ("ClassGap", fmt_signed_pp(row.gap_points / 100), "final-accuracy difference to random (pp), "
                                                                   "the sum of the per-class terms"),
                ("WorstClass", latex_escape(str(row.worst_class_name)), "class with the most negative term of "
                                                                         "the difference to random"),
                ("WorstClassGap", fmt_signed_pp(row.worst_gap_points / 100), "that class's term (pp)"),
                ("WorstClassShareOfGap", fmt_num(row.worst_share_of_gap, 0, scale=2),
                 "that term as a share of the whole difference (%)"),
                ("WorstClassConfusedAs", latex_escape(str(row.confused_as_name)),
                 "predicted class whose count in that class's row grew most against random"),
                ("WorstClassConfusionShare", fmt_num(row.confusion_share, 0, scale=2),
                 "share of that class's images predicted as it (%)"),
                ("WorstClassRefConfusionShare", fmt_num(row.reference_confusion_share, 0, scale=2),
                 "the same share under random sampling (%)")):
            entries.append((macro_name(*base, quantity), value, comment))
    for (pair, experiment), block in ([] if bootstrap is None else bootstrap.groupby(["pair", "experiment"],
                                                                                     sort=False)):
        best = block.loc[block["p_best"].idxmax()]
        entries.append((macro_name(pair, experiment, "BootstrapBest"), strategy_phrase(best["strategy"]),
                        "strategy most often best by mean AULC rank when seeds are resampled"))
        entries.append((macro_name(pair, experiment, "BootstrapBestP"), fmt_num(best["p_best"], 0, scale=2),
                        "how often it is best in the resamples (%)"))
        for row in block.itertuples(index=False):
            entries.append((macro_name(pair, experiment, row.strategy, "PBest"), fmt_num(row.p_best, 0, scale=2),
                            "share of seed resamples in which the strategy has the best mean AULC rank (%)"))
    return entries


def _regularisation_entries(regularisation: Mapping[str, pd.DataFrame] | None) -> list[tuple[str, str, str]]:
    """Macros of the regularisation (C) ablation (see :func:`write_macros`)."""
    entries: list[tuple[str, str, str]] = []
    add = lambda parts, value, comment: entries.append((macro_name(*parts[:2]) + c_macro_part(parts[2])  # noqa: E731
                                                        + macro_name(*parts[3:]), value, comment))
    for pair, table in (regularisation or {}).items():
        entries.append((macro_name(pair, "C", "Ablation", "N", "Seeds"), str(int(table["n_seeds"].min())),
                        "seeds of every strategy at every C (fewest)"))
        for experiment, block in table.groupby("experiment", sort=False):
            best = {}
            for c, rows in block.groupby("C", sort=True):
                rows = rows.set_index("strategy")
                base = [pair, experiment, c]
                add(base + ["Initial", "Acc"], fmt_pct(rows["initial_accuracy"].mean()),
                    "pre-trained model's test accuracy at this C, %")
                if stats.REFERENCE_STRATEGY in rows.index:
                    random = rows.loc[stats.REFERENCE_STRATEGY]
                    add(base + ["Dip", "Acc"], fmt_pct(random["dip_accuracy"]),
                        "random sampling's lowest mean test accuracy after a query at this C, %")
                    add(base + ["Dip", "Top", "Class", "Share"], fmt_pct(random["dip_top_class_share"], 0),
                        "share of test predictions of the most predicted class there, % (n/a: no run records it)")
                for strategy, row in rows.iterrows():
                    if strategy != stats.REFERENCE_STRATEGY:
                        add(base + [strategy, "Aulc", "Gain"], fmt_signed_pp(row["aulc_gain"]),
                            "mean paired AULC difference to random at this C, pp")
                        add(base + [strategy, "Aulc", "Gain", "CI"],
                            fmt_num((row["aulc_gain_ci_hi"] - row["aulc_gain_ci_lo"]) / 2, 1, scale=2),
                            "half-width of its 95 % paired t interval, pp")
                        add(base + [strategy, "Aulc", "Better"], fmt_num(row["aulc_seeds_better"], 0),
                            "seeds on which the strategy's AULC beats random's at this C")
                    add(base + [strategy, "Mean", "Rank"], fmt_num(row["mean_rank"], 2),
                        "mean AULC rank at this C (1 = best)")
                best[c] = ",".join(rows.index[rows["order"] == 1])
            entries.append((macro_name(pair, experiment, "C", "Best"), per_value_phrase(best),
                            "strategy with the best mean AULC rank at each value of C, as text"))
    return entries


def _noise_entries(spread: pd.DataFrame | None, drift: pd.DataFrame | None) -> list[tuple[str, str, str]]:
    """Macros of the noise floors (:mod:`helpers.stats.noise`; see :func:`write_macros`)."""
    entries = []
    for row in ([] if spread is None else spread.itertuples(index=False)):
        base = [row.pair, row.experiment, "Same", "Set"]
        entries += [(macro_name(*base, "Spread", "Min"), fmt_num(row.spread_min, 1, scale=2),
                     "smallest within-seed range of the strategies' final accuracies when all end on the whole "
                     "pool, pp"),
                    (macro_name(*base, "Spread", "Max"), fmt_num(row.spread_max, 1, scale=2), "largest such range, pp"),
                    (macro_name(*base, "N", "Seeds"), str(int(row.n_seeds)), "seeds of that range")]
    for row in ([] if drift is None else drift.itertuples(index=False)):
        base = [row.pair, row.experiment, "Random"]
        entries += [(macro_name(*base, "Drift"), fmt_signed_pp(row.drift, 2),
                     "random sampling's mean change of test accuracy from the first to the last evaluation, pp"),
                    (macro_name(*base, "Declined", "Seeds"), str(int(row.n_declined)),
                     "seeds on which random sampling ends below its initial accuracy"),
                    (macro_name(*base, "Drift", "Initial", "Acc"), fmt_pct(row.initial_accuracy, 2),
                     "its initial accuracy, % (two decimals)"),
                    (macro_name(*base, "Drift", "Final", "Acc"), fmt_pct(row.final_accuracy, 2),
                     "its final accuracy, % (two decimals)")]
    return entries


def _crossed_entries(effects: pd.DataFrame | None) -> list[tuple[str, str, str]]:
    """Macros of the crossed design's effects (see :func:`write_macros`)."""
    entries = []
    for row in ([] if effects is None else effects.itertuples(index=False)):
        level = [] if row.level in ("all", "logreg/mnist") else [row.level]
        name = macro_name("Crossed", row.experiment, row.strategy, row.effect, *level)
        entries += [(name, fmt_signed_pp(row.estimate, 2),
                     f"{row.effect} effect on the AULC gain over random ({row.contrast}), pp"),
                    (name + "Interval", f"[{fmt_signed_pp(row.ci_low, 2)}, {fmt_signed_pp(row.ci_high, 2)}]",
                     "its 95 % interval, pp"),
                    (name + "Excludes", "n/a" if _missing(row.ci_low) or _missing(row.ci_high)
                     else "excludes" if stats.excludes_zero(row.ci_low, row.ci_high) else "includes",
                     "whether that interval excludes or includes zero (n/a: no interval with one seed)")]
    return entries


def _crossed_phrase_entries(effects: pd.DataFrame | None, bootstrap: pd.DataFrame | None,
                            cells: Mapping[str, tuple[str, str, str]] | None = None) -> list[tuple[str, str, str]]:
    """Sentence macros of the crossed design: which strategy leads in which cell, which effects are
    resolved (see :func:`write_macros`)."""
    cells = stats.CROSSED_CELLS if cells is None else cells
    entries = []
    if bootstrap is not None and not bootstrap.empty:
        present = [p for p in cells if p in set(bootstrap["pair"])]
        if present:
            entries.append((macro_name("Crossed", "N", "Cells"), number_word(len(present)),
                            "cells of the crossed design with runs, as a word"))
        best_of = {(r.pair, r.experiment): r.best
                   for r in stats.best_by_rank(bootstrap.assign(n_blocks=bootstrap["n_seeds"])).itertuples()}
        for experiment in stats.ordered_experiments(bootstrap["experiment"]):
            best = {pair: best_of[(pair, experiment)] for pair in present if (pair, experiment) in best_of}
            if best:
                entries.append((macro_name("Crossed", experiment, "Best", "Phrase"), best_by_cell_phrase(best),
                                "strategy with the best mean AULC rank in each cell, as text"))
    for (experiment, effect, level), rows in ([] if effects is None or effects.empty
                                              else effects.groupby(["experiment", "effect", "level"], sort=False)):
        parts = [] if level in ("all", "logreg/mnist") else [level]
        entries.append((macro_name("Crossed", experiment, effect, *parts, "Resolved"), resolved_phrase(rows),
                        f"strategies whose {effect} effect on the AULC gain has a 95 % interval excluding zero, "
                        "with the estimate (pp), as text"))
    # Both levels of the model and of the data effect in one phrase.
    for effect, where, either in (("model", _LEVEL_TEXT["model"], "on either dataset"),
                                  ("data", _LEVEL_TEXT["data"], "with either model")):
        for experiment, block in ([] if effects is None or effects.empty
                                  else effects[effects["effect"] == effect].groupby("experiment", sort=False)):
            levels = {where[level]: block[block["level"] == level] for level in where if level in set(block["level"])}
            entries.append((macro_name("Crossed", experiment, effect, "Resolved"),
                            resolved_by_level_phrase(levels, either),
                            f"the {effect} effect's resolved strategies at each level, as text"))
    return entries


#: How the text names the levels of the model effect (a dataset) and of the data effect (a model).
_LEVEL_TEXT = {"model": {"mnist": "on MNIST", "cifar10": "on CIFAR-10"},
               "data": {"logreg": "with the logistic regression", "cnn": "with the network"}}
