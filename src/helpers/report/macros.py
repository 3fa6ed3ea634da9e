"""``macros.tex``: every number (and generated phrase) the paper text quotes, as LaTeX macros,
plus the role aliases (``\\Shallow...``, ``\\Deep...``).

The analyses' own macros (comparison, per class, regularisation, noise floors, crossed design)
are built in :mod:`helpers.report.analysis_macros`.

May import: the other ``helpers.report`` modules except :mod:`helpers.report.build`,
:mod:`helpers.stats`, :mod:`helpers.config`, :mod:`helpers.paths`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pandas as pd

from helpers import stats
from helpers.config import PAIRS
from helpers.report.naming import DATASET_TEX, ROLES, macro_name
from helpers.report.numbers import (
    _missing, experiment_digits, fmt_num, fmt_p, fmt_pct, fmt_sig, fmt_sig_tex, fmt_signed_pp, latex_escape,
)
from helpers.report.analysis_macros import (  # noqa: F401  (re-exported: tests use them from here)
    _comparison_entries, _crossed_entries, _crossed_phrase_entries, _noise_entries, _perclass_entries,
    _regularisation_entries,
)
from helpers.report.output import _atomic_write
from helpers.report.phrases import (
    change_phrase, join_phrases, number_word, order_agreement_phrase, per_experiment_phrase, same_order_phrase,
    seed_range, strategy_phrase,
)


def _macro_entries(strategy_summary: pd.DataFrame, tests: pd.DataFrame,
                   reference: pd.DataFrame | None, labels_table: pd.DataFrame | None,
                   meta: list[dict] | None) -> list[tuple[str, str, str]]:
    """Return (name, value, comment) triples in a deterministic order."""
    entries: list[tuple[str, str, str]] = []

    def add(name_parts: Sequence[str], value: str, comment: str) -> None:
        entries.append((macro_name(*name_parts), value, comment))

    all_seeds = sorted(set(int(n) for n in strategy_summary["n_seeds"]))
    if all_seeds:
        add(["N", "Seeds"], str(max(all_seeds)), "largest number of seeds of any configuration")
        add(["Min", "Attainable", "P"],
            fmt_sig(stats.min_attainable_p(max(all_seeds)), 4) if max(all_seeds) >= 2 else "n/a",
            "smallest two-sided exact Wilcoxon p with that many seeds")
    add(["Significance", "Level"], "0.05", "significance level (Holm-corrected p)")
    # Holm multiplies the smallest of m p-values by m: with m compared strategies the
    # smallest attainable corrected p is m * 2 / 2**n.
    n_compared = (int(tests.groupby(["pair", "experiment", "metric"])["strategy"].nunique().max())
                  if not tests.empty else 4)
    add(["Min", "Seeds", "For", "Significance"],
        str(next(n for n in range(1, 64) if n_compared * stats.min_attainable_p(n) < 0.05)),
        f"fewest seeds with which a Holm-corrected exact Wilcoxon test over {n_compared} strategies "
        "can reach p < 0.05")

    ref_summary = (stats.reference_summary(reference)
                   if reference is not None and not reference.empty else None)
    n_pool = {}
    for m in meta or []:
        if m.get("n_pool") is not None:
            n_pool.setdefault(m["pair"], int(m["n_pool"]))

    for pair in stats.ordered_pairs(strategy_summary["pair"]):
        p_rows = strategy_summary[strategy_summary["pair"] == pair]
        if pair in n_pool:
            add([pair, "N", "Pool"], fmt_num(n_pool[pair], 0, thousands=True), "pool size")
        if pair in PAIRS and PAIRS[pair].pool_subset is not None:
            add([pair, "Pool", "Subset"], fmt_num(PAIRS[pair].pool_subset, 0, thousands=True),
                "unlabelled images the pool strategies score per query (a random subset of the pool)")
        run_seconds = [m["timings"]["total_seconds"] for m in meta or []
                       if m.get("pair") == pair and isinstance(m.get("timings"), dict)
                       and isinstance(m["timings"].get("total_seconds"), (int, float))]
        if run_seconds:
            add([pair, "Grid", "Core", "Minutes"], fmt_num(sum(run_seconds) / 60, 0, thousands=True),
                "sum of the wall times of the pair's runs (one core each), minutes; references not included")
            ref_seconds = (pd.to_numeric(reference.loc[reference["pair"] == pair, "fit_seconds"], errors="coerce")
                           .dropna() if reference is not None and "fit_seconds" in reference else pd.Series([]))
            add([pair, "Grid", "And", "References", "Core", "Minutes"],
                fmt_num((sum(run_seconds) + float(ref_seconds.sum())) / 60, 0, thousands=True)
                if len(ref_seconds) else "n/a",
                "the runs' wall times plus the training times of the pair's full-pool references "
                "(one core each), minutes; n/a without references")
        n_pair = int(p_rows["n_seeds"].min())
        add([pair, "N", "Seeds", "Word"], number_word(n_pair),
            "seeds of every configuration of the pair (fewest), as the text writes the number")
        add([pair, "N", "Seeds"], str(n_pair), "seeds of every configuration of the pair (fewest)")
        add([pair, "Holm", "Floor"], fmt_sig_tex(min(1.0, n_compared * stats.min_attainable_p(n_pair)))
            if n_pair >= 1 else "n/a",
            f"smallest Holm-corrected exact Wilcoxon p over {n_compared} strategies with that many seeds")
        pair_seeds = [m["seed"] for m in meta or [] if m.get("pair") == pair and m.get("seed") is not None]
        if pair_seeds:
            add([pair, "Seed", "Range"], seed_range(pair_seeds), "the seeds of the pair's runs ('42--46')")
        if ref_summary is not None and pair in set(ref_summary["pair"]):
            r = ref_summary[ref_summary["pair"] == pair].iloc[0]
            add([pair, "Ref", "Acc"], fmt_pct(r["accuracy_mean"]), "full-pool reference accuracy, %")
            add([pair, "Ref", "N", "Seeds"], str(int(r["n_seeds"])), "seeds of the reference model")
        for experiment in stats.ordered_experiments(p_rows["experiment"]):
            e_rows = p_rows[p_rows["experiment"] == experiment]
            base = [pair, experiment]
            digits = experiment_digits(e_rows)
            n = int(e_rows["n_seeds"].min())
            add(base + ["N", "Seeds"], str(n), "seeds per strategy (smallest)")
            add(base + ["Min", "P"], fmt_sig(stats.min_attainable_p(n), 4) if n >= 2 else "n/a",
                "smallest attainable exact Wilcoxon p with that many seeds")
            best = e_rows.loc[e_rows["aulc_mean"].idxmax()]
            add(base + ["Best", "Strategy"], latex_escape(stats.strategy_label(best["strategy"])),
                "strategy with the highest mean AULC")
            add(base + ["Best", "Strategy", "Aulc"], fmt_pct(best["aulc_mean"], digits), "its mean AULC, %")
            if "initial_accuracy_mean" in e_rows:
                # Every strategy of a seed starts from the same model; the mean over
                # strategies is the mean over seeds.
                add(base + ["Initial", "Acc"], fmt_pct(e_rows["initial_accuracy_mean"].mean(), digits),
                    "mean accuracy of the pre-trained model (before any query), %")
            if "lowest_accuracy_mean" in e_rows and e_rows["lowest_accuracy_mean"].notna().any():
                add(base + ["Lowest", "Acc"], fmt_pct(e_rows["lowest_accuracy_mean"].mean(), digits),
                    "lowest test accuracy after a query, % (mean over strategies and seeds)")
            add(base + ["Lowest", "Final", "Acc"], fmt_pct(e_rows["final_accuracy_mean"].min(), digits),
                "lowest mean final accuracy of any strategy, %")
            add(base + ["Highest", "Final", "Acc"], fmt_pct(e_rows["final_accuracy_mean"].max(), digits),
                "highest mean final accuracy of any strategy, %")
            best_final = e_rows.loc[e_rows["final_accuracy_mean"].idxmax()]
            add(base + ["Best", "Final", "Strategy"],
                latex_escape(stats.strategy_label(best_final["strategy"])),
                "strategy with the highest mean final accuracy")
            e_tests = tests[(tests["pair"] == pair) & (tests["experiment"] == experiment)] \
                if not tests.empty else tests
            for metric, tag in (("aulc", "Aulc"), ("final_accuracy", "FinalAcc")):
                if not e_tests.empty and metric in set(e_tests["metric"]):
                    n_sig = int(e_tests[e_tests["metric"] == metric]["significant"].sum())
                    add(base + ["N", "Sig", tag], str(n_sig),
                        f"strategies significantly different from random in {metric}")
            if not e_tests.empty:
                aulc_tests = e_tests[e_tests["metric"] == "aulc"].set_index("strategy")
                gains = aulc_tests["mean_diff"]
                # A share of a gain whose interval includes zero would be noise over noise: n/a.
                if {"margin", "stream_uncertainty"} <= set(gains.index):
                    share = 100 * gains["stream_uncertainty"] / gains["margin"]
                    add(base + ["Stream", "Share", "Of", "Margin"],
                        fmt_num(share, 0) if aulc_tests.loc["margin", "diff_ci_lo"] > 0 else "n/a",
                        "the stream's mean AULC gain over random as a share of margin sampling's, % "
                        "(n/a unless margin's gain has a positive 95 % interval)")
            for strategy in stats.ordered_strategies(e_rows["strategy"]):
                row = e_rows[e_rows["strategy"] == strategy].iloc[0]
                s_base = base + [strategy]
                add(s_base + ["Final", "Acc"], fmt_pct(row["final_accuracy_mean"], digits),
                    "mean final accuracy, %")
                add(s_base + ["Final", "Acc", "CI"],
                    fmt_pct(row["final_accuracy_ci_hi"] - row["final_accuracy_mean"], digits),
                    "95 % CI half-width, pp")
                add(s_base + ["Aulc"], fmt_pct(row["aulc_mean"], digits), "mean AULC, %")
                if "final_train_accuracy_mean" in row and not _missing(row["final_train_accuracy_mean"]):
                    add(s_base + ["Final", "Train", "Acc"], fmt_pct(row["final_train_accuracy_mean"]),
                        "mean accuracy on the labelled set at the end, %")
                add(s_base + ["Aulc", "CI"], fmt_pct(row["aulc_ci_hi"] - row["aulc_mean"], digits),
                    "95 % CI half-width, pp")
                if strategy != stats.REFERENCE_STRATEGY and not e_tests.empty:
                    for metric, tag in (("aulc", "Aulc"), ("final_accuracy", "FinalAcc")):
                        t = e_tests[(e_tests["strategy"] == strategy) & (e_tests["metric"] == metric)]
                        if t.empty:
                            continue
                        add(s_base + [tag, "Diff"], fmt_signed_pp(t["mean_diff"].iloc[0], digits),
                            f"mean paired difference to random in {metric}, pp")
                        add(s_base + [tag, "Change"], change_phrase(t["mean_diff"].iloc[0], digits),
                            "the same difference as text ('gains 1.5 points', 'loses 1.5 points')")
                        add(s_base + [tag, "P"], fmt_p(t["p_holm"].iloc[0]),
                            f"Holm-corrected Wilcoxon p for {metric}")
                        add(s_base + [tag, "Better"], str(int(t["n_better"].iloc[0])),
                            f"seeds on which it beats random in {metric}")
                if "inspected_per_label_mean" in row and not _missing(row["inspected_per_label_mean"]):
                    add(s_base + ["Inspected", "Per", "Label"], fmt_num(row["inspected_per_label_mean"], 1),
                        "instances inspected per label obtained (mean over seeds)")
                stream_row = "inspected_per_label_mean" in row and not _missing(row["inspected_per_label_mean"])
                for metric, tag, comment in (
                        ("budget_discard_share", ["Budget", "Discard", "Share"],
                         "arrivals discarded because the label rate had reached the budget, % of arrivals"),
                        ("confidence_discard_share", ["Confidence", "Discard", "Share"],
                         "arrivals discarded with budget left because the model was confident, % of arrivals"),
                        ("never_arrived_share", ["Never", "Arrived", "Share"],
                         "unlabelled pool that never arrived (budget spent before), %")):
                    # A stream row gets every selectivity macro ("n/a" where no run records it yet).
                    if stream_row and f"{metric}_mean" in row:
                        never = metric == "never_arrived_share"  # every stream run has this one
                        add(s_base + tag, fmt_pct(row[f"{metric}_mean"], 2 if never else 1),
                            comment + (" (mean over seeds)" if never else " (mean over the runs that record it)"))
                if stream_row and "labeled_uncertainty_percentile_mean" in row:
                    add(s_base + ["Labeled", "Percentile"], fmt_num(row["labeled_uncertainty_percentile_mean"], 2),
                        "uncertainty percentile of the labelled arrivals among their iteration's arrivals "
                        "(0.5 = random; mean over the runs that record it)")
                    add(s_base + ["Selectivity", "N", "Runs"], str(int(row.get("n_runs_selectivity", 0) or 0)),
                        "runs that record the stream's selectivity")
                if stream_row and "threshold_median_mean" in row:
                    add(s_base + ["Threshold", "Median"], fmt_num(row["threshold_median_mean"], 3),
                        "the stream's threshold theta, median over the query iterations of a run "
                        "(mean over the runs that record it)")
                if "fallback_share_mean" in row and not _missing(row["fallback_share_mean"]):
                    add(s_base + ["Fallback", "Share"], fmt_pct(row["fallback_share_mean"]),
                        "labels filled in after the stream ran dry, % of labels acquired")
                if labels_table is not None and not labels_table.empty:
                    lt = labels_table[(labels_table["pair"] == pair)
                                      & (labels_table["experiment"] == experiment)
                                      & (labels_table["strategy"] == strategy)]
                    if not lt.empty:
                        ratio = lt["ratio"].iloc[0]
                        add(s_base + ["Labels", "Ratio"],
                            fmt_num(ratio, 2),
                            "queried labels to reach the target / random's")
            if labels_table is not None and not labels_table.empty:
                lt = labels_table[(labels_table["pair"] == pair)
                                  & (labels_table["experiment"] == experiment)]
                if not lt.empty:
                    add(base + ["Target", "Acc"], fmt_pct(lt["target_accuracy"].iloc[0]),
                        "target accuracy of the labels-to-target comparison, %")
    return entries


def _analysis_entries(ranks: pd.DataFrame | None, balance: pd.DataFrame | None,
                      update_rules: Mapping[str, pd.DataFrame] | None,
                      composition: pd.DataFrame | None = None) -> list[tuple[str, str, str]]:
    """Macros of the rank, query-balance and update-rule analyses (see :func:`write_macros`)."""
    entries: list[tuple[str, str, str]] = []
    add = lambda parts, value, comment: entries.append((macro_name(*parts), value, comment))  # noqa: E731
    if composition is not None and not composition.empty:
        # Whole-run class shares (one block), mean over seeds.
        shares = composition.groupby(["pair", "experiment", "strategy", "class"])["share"].mean()
        # Classes by name, as the figures show them (index when a run recorded no names).
        names = (composition.drop_duplicates(["pair", "class"]).set_index(["pair", "class"])["class_name"]
                 if "class_name" in composition else None)
        name_of = lambda pair, c: latex_escape(names[(pair, c)]) if names is not None else str(c)  # noqa: E731
        for (pair, experiment, strategy), block in shares.groupby(level=[0, 1, 2]):
            block = block.droplevel([0, 1, 2])
            base = [pair, experiment, strategy]
            add(base + ["Least", "Queried", "Class"], name_of(pair, block.idxmin()),
                "class with the smallest share of the "
                "queried labels (whole run, mean over seeds)")
            add(base + ["Least", "Queried", "Share"], fmt_pct(block.min()), "its share of the queried labels, %")
            add(base + ["Most", "Queried", "Class"], name_of(pair, block.idxmax()), "class with the largest share")
            add(base + ["Most", "Queried", "Share"], fmt_pct(block.max()), "its share of the queried labels, %")
    if ranks is not None and not ranks.empty:
        for (pair, experiment), block in ranks.groupby(["pair", "experiment"], sort=False):
            base = [pair] + ([] if experiment == "all" else [experiment])
            first = block.iloc[0]
            add(base + ["Friedman", "P"], fmt_p(first["friedman_p"]), "Friedman test p over the seed blocks")
            add(base + ["Rank", "CD"], fmt_num(first["cd"], 2), "Nemenyi critical difference of mean ranks")
            add(base + ["N", "Rank", "Blocks"], str(int(first["n_blocks"])), "blocks (experiment x seed) ranked")
            for _, row in block.iterrows():
                add(base + [row["strategy"], "Mean", "Rank"], fmt_num(row["mean_rank"], 2),
                    "mean AULC rank (1 = best)")
            study_order = {s: i for i, s in enumerate(stats.ordered_strategies(block["strategy"]))}
            by_rank = sorted(block.itertuples(index=False), key=lambda r: (round(r.mean_rank, 9),
                                                                          study_order[r.strategy]))
            add(base + ["Rank", "Order"], join_phrases(strategy_phrase(r.strategy) for r in by_rank),
                "the strategies from the best mean AULC rank to the worst, as text (ties in the study's order)")
        best_rows = stats.best_by_rank(ranks)
        for row in best_rows.itertuples():
            base = [row.pair] + ([] if row.experiment == "all" else [row.experiment])
            add(base + ["Best", "Rank", "Strategy"], _strategy_names(row.best),
                "strategy with the best mean AULC rank (display name; tied ones joined by 'and')")
        for pair, block in best_rows[best_rows["experiment"] != "all"].groupby("pair", sort=False):
            add([pair, "Best", "Rank", "By", "Experiment"],
                per_experiment_phrase(dict(zip(block["experiment"], block["best"]))),
                "best strategy by mean AULC rank per experiment, as text ('margin sampling in all three "
                "experiments')")
    if balance is not None and not balance.empty:
        means = balance.groupby(["pair", "experiment", "strategy"])[["max_share", "classes_covered"]].mean()
        for (pair, experiment, strategy), row in means.iterrows():
            base = [pair, experiment, strategy, "First", "Rounds"]
            add(base + ["Max", "Share"], fmt_pct(row["max_share"], 0),
                "share of the most queried class in the first query rounds, % (mean over seeds)")
            add(base + ["Classes"], fmt_num(row["classes_covered"], 1),
                "classes among the labels of the first query rounds (mean over seeds)")
    for pair, table in (update_rules or {}).items():
        agreement = stats.ranking_agreement(table)
        for _, row in agreement.iterrows():
            base = [pair, row["experiment"], row["rule"]]
            add(base + ["Best"], latex_escape(stats.strategy_label(row["best"])),
                "strategy with the best mean AULC rank under this update rule")
            add(base + ["Same", "Order"], "the same" if row["same_order"] else "a different",
                "ranking of the strategies compared with the study's update rule")
            add(base + ["Kendall", "Tau"], fmt_num(row["kendall_tau"], 2), "Kendall tau with the study's ranking")
        for experiment, block in agreement.groupby("experiment", sort=False):
            add([pair, experiment, "Update", "Rules", "Order"],
                same_order_phrase(dict(zip(block["rule"], block["same_order"])), reference=block["rule"].iloc[0]),
                "whether the other update rules rank the strategies as the study's rule does, as text")
        for _, row in table.iterrows():
            base = [pair, row["experiment"], row["rule"], row["strategy"]]
            if row["strategy"] == stats.REFERENCE_STRATEGY:
                add(base + ["Aulc"], fmt_pct(row["aulc"]), "mean AULC under this update rule, %")
            else:
                add(base + ["Aulc", "Gain"], fmt_signed_pp(row["aulc_gain"]),
                    "mean paired AULC difference to random under this update rule, pp")
            if "final_change" in row:
                add(base + ["Final", "Change"], fmt_signed_pp(row["final_change"], 2),
                    "mean change of test accuracy from the first to the last evaluation under this rule, pp")
                add(base + ["Declined", "Seeds"], str(int(row["n_declined"])),
                    "seeds whose final accuracy is below their initial one under this rule")
        for (experiment, rule), block in table.groupby(["experiment", "rule"], sort=False):
            add([pair, experiment, rule, "Initial", "Acc"], fmt_pct(block["initial_accuracy"].mean()),
                "pre-trained model's accuracy, % (mean over strategies and seeds)")
            add([pair, experiment, rule, "Lowest", "Acc"], fmt_pct(block["lowest_accuracy"].mean()),
                "lowest accuracy after a query, % (mean over strategies and seeds)")
        rules = set(table["rule"])
        complete = [e for e, block in table.groupby("experiment", sort=False) if set(block["rule"]) == rules]
        add([pair, "Update", "Rule", "N", "Seeds"],
            str(int(table.loc[table["experiment"].isin(complete), "n_seeds"].min())),
            "seeds of the ablation in the experiments every rule ran")
        for experiment, block in table.groupby("experiment", sort=False):
            add([pair, experiment, "Update", "Rule", "N", "Seeds"], str(int(block["n_seeds"].min())),
                "seeds of the ablation in this experiment")
    return entries


def _strategy_names(joined: str) -> str:
    """Display names of ``","``-joined strategies (ties of :func:`helpers.stats.best_by_rank`) joined by "and"."""
    return " and ".join(latex_escape(stats.strategy_label(s)) for s in str(joined).split(","))


def write_macros(strategy_summary: pd.DataFrame, tests: pd.DataFrame, path,
                 reference: pd.DataFrame | None = None, labels_table: pd.DataFrame | None = None,
                 meta: list[dict] | None = None, ranks: pd.DataFrame | None = None,
                 balance: pd.DataFrame | None = None,
                 update_rules: Mapping[str, pd.DataFrame] | None = None,
                 composition: pd.DataFrame | None = None, switches: Mapping[str, bool] | None = None,
                 comparison_best: pd.DataFrame | None = None, deficit: pd.DataFrame | None = None,
                 bootstrap: pd.DataFrame | None = None,
                 regularisation: Mapping[str, pd.DataFrame] | None = None,
                 spread: pd.DataFrame | None = None, drift: pd.DataFrame | None = None,
                 effects: pd.DataFrame | None = None) -> Path:
    """Write ``\\newcommand`` definitions for every number the paper text quotes.

    Naming rule (deterministic): a macro name is the concatenation of
    :func:`macro_part` of its components, most general first --
    ``<Pair><Experiment><Strategy><Quantity>``, e.g. ``\\MnistLogregSmallMarginFinalAcc``,
    ``\\CifarTenCnnLargeStreamUncertaintyInspectedPerLabel``. Identifiers are split
    at ``_`` and capitalised; digits are spelled out (``cifar10`` -> ``CifarTen``),
    because LaTeX control words can contain letters only. Defined macros:

    * global: ``\\NSeeds``, ``\\MinAttainableP``, ``\\SignificanceLevel``,
      ``\\MinSeedsForSignificance`` (fewest seeds with which a Holm-corrected exact test over
      the compared strategies can reach 0.05);
    * per pair: ``<Pair>NSeeds`` and ``<Pair>NSeedsWord`` (fewest seeds of any configuration,
      as digits and as a word),
      ``<Pair>HolmFloor`` (smallest Holm-corrected exact p with them), ``<Pair>SeedRange``
      (needs ``meta``), ``<Pair>NPool`` (needs ``meta``), ``<Pair>GridCoreMinutes`` (the runs' wall
      times, references excluded; needs ``meta``), ``<Pair>GridAndReferencesCoreMinutes``
      (the same plus the full-pool references' training times; needs ``meta`` and
      ``reference``), ``<Pair>RefAcc``, ``<Pair>RefNSeeds`` (need ``reference``),
      ``<Pair>PoolSubset`` (pool images scored per query, for pairs that score a subset);
    * per pair and experiment: ``NSeeds``, ``MinP``, ``InitialAcc`` (the pre-trained
      model), ``LowestFinalAcc``, ``HighestFinalAcc``, ``BestStrategy`` (highest mean
      AULC, display name), ``BestStrategyAulc``, ``BestFinalStrategy``,
      ``NSigAulc``, ``NSigFinalAcc``, ``TargetAcc`` (needs ``labels_table``);
    * per pair, experiment and strategy: ``FinalAcc``, ``FinalAccCI``, ``Aulc``,
      ``AulcCI``; for non-random strategies ``AulcDiff``, ``AulcP``, ``AulcBetter``
      (seeds on which it beats random), ``FinalAccDiff``, ``FinalAccP``,
      ``FinalAccBetter``, ``AulcChange`` and ``FinalAccChange`` (the difference as a verb
      phrase, :func:`change_phrase`); ``InspectedPerLabel`` and ``FallbackShare`` (stream strategy),
      and where its runs record them ``BudgetDiscardShare``, ``ConfidenceDiscardShare``,
      ``NeverArrivedShare`` (%), ``LabeledPercentile``, ``ThresholdMedian`` and ``SelectivityNRuns``;
      ``LabelsRatio`` (needs ``labels_table``);
    * from ``ranks`` (:func:`helpers.stats.friedman_ranks`, ``experiment`` ``"all"`` for a
      pair's whole grid): ``<Pair>[<Experiment>]FriedmanP``, ``RankCD``, ``NRankBlocks``,
      ``<Strategy>MeanRank``, ``RankOrder`` (the strategies from best to worst mean rank, as text),
      ``BestRankStrategy`` (display name of the strategy with the
      best mean AULC rank, :func:`helpers.stats.best_by_rank`; tied ones joined by "and"),
      ``<Pair>BestRankByExperiment`` (a phrase, :func:`per_experiment_phrase`);
    * from ``balance`` (:func:`helpers.stats.first_rounds_balance`):
      ``<Pair><Experiment><Strategy>FirstRoundsMaxShare`` (%) and ``FirstRoundsClasses``;
    * from ``update_rules`` (pair -> :func:`helpers.stats.update_rule_table`):
      ``<Pair><Experiment><Rule>Best``, ``SameOrder`` ("the same"/"a different"),
      ``KendallTau``, ``<Strategy>AulcGain`` (random: ``Aulc``), ``<Strategy>FinalChange``
      (signed pp, two decimals) and ``<Strategy>DeclinedSeeds``, and
      ``<Pair>UpdateRuleNSeeds`` (in the experiments every rule ran),
      ``<Pair><Experiment>UpdateRuleNSeeds``, ``<Pair><Experiment>UpdateRulesOrder`` (a phrase,
      :func:`same_order_phrase`);
    * from ``composition`` (:func:`helpers.stats.query_composition` with one block: the
      whole run): ``<Pair><Experiment><Strategy>LeastQueriedClass``, ``LeastQueriedShare``
      (%), ``MostQueriedClass``, ``MostQueriedShare``;
    * from ``comparison_best`` (:func:`helpers.stats.best_strategies`, shallow against deep
      pair): ``Comparison<Experiment>SameBest`` ("the same"/"a different" best strategy by
      mean AULC rank), ``ComparisonBestChanges`` (experiments where it differs, digits) and
      ``ComparisonNExperiments``; ``Comparison<Experiment>SameOrder`` ("the same"/"different" order
      of all strategies);
    * from ``deficit`` (:func:`helpers.stats.deficit_summary`):
      ``<Pair><Experiment><Strategy>ClassGap`` (pp), ``WorstClass``, ``WorstClassGap`` (pp),
      ``WorstClassShareOfGap`` (%), ``WorstClassConfusedAs``, ``WorstClassConfusionShare`` and
      ``WorstClassRefConfusionShare`` (%);
    * from ``bootstrap`` (:func:`helpers.stats.bootstrap_best`): ``<Pair><Experiment>BootstrapBest``
      (a strategy phrase), ``BootstrapBestP`` (%) and ``<Pair><Experiment><Strategy>PBest`` (%);
    * from ``regularisation`` (pair -> :func:`helpers.stats.regularisation_table`), with the
      value of C spelt by :func:`helpers.report.naming.c_macro_part` (``0.01`` ->
      ``CHundredth``): ``<Pair>CAblationNSeeds``, ``<Pair><Experiment><C>InitialAcc``,
      ``DipAcc`` and ``DipTopClassShare`` (random sampling's dip), ``<Strategy>AulcGain``,
      ``AulcGainCI``, ``AulcBetter`` and ``<Strategy>MeanRank``, and
      ``<Pair><Experiment>CBest`` (a phrase, :func:`per_value_phrase`);
    * from ``effects`` (:func:`helpers.stats.crossed_effects`):
      ``Crossed<Experiment><Strategy><Effect>[<Level>]`` (signed pp, two decimals; the level
      is the dataset of a model effect or the model of a data effect),
      ``...Interval`` (``[lo, hi]``) and ``...Excludes`` ("excludes"/"includes" zero), and
      ``Crossed<Experiment><Effect>[<Level>]Resolved`` (the strategies whose interval excludes
      zero, with their estimates, :func:`resolved_phrase`); with ``bootstrap``,
      ``CrossedNCells`` (a word) and ``Crossed<Experiment>BestPhrase`` (the best strategy by mean
      AULC rank in each cell, :func:`best_by_cell_phrase`);
    * from ``spread`` (:func:`helpers.stats.exhausted_spread`):
      ``<Pair><Experiment>SameSetSpreadMin``, ``SameSetSpreadMax`` (pp) and ``SameSetNSeeds``;
      from ``drift`` (:func:`helpers.stats.random_drift`): ``<Pair><Experiment>RandomDrift``
      (signed pp, two decimals), ``RandomDeclinedSeeds``, ``RandomDriftInitialAcc`` and
      ``RandomDriftFinalAcc`` (%, two decimals);
    * ``\\MacroFOneOrder`` (needs ``final_macro_f1_mean``; the study's two cells, :func:`study_rows`):
      where macro-F1 orders the
      strategies as final accuracy does (:func:`order_agreement_phrase`). The best strategy of each role is
      ``\\<Role><Experiment>BestRankStrategy``, an alias of the pair's macro.

    Accuracies and AULC are percentages with one decimal (two where the strategies of
    an experiment lie within one point, :func:`experiment_digits`) and no ``%`` sign
    (``CI`` = 95 % half-width, ``Diff`` = signed percentage points); p-values have
    three decimals (``$<$0.001`` below); undefined values read ``n/a``. Every number is
    rounded by one rule, decimal half away from zero (:func:`round_half_up`).

    Parameters
    ----------
    strategy_summary
        Output of :func:`helpers.stats.strategy_summary`.
    tests
        Rows of :func:`helpers.stats.paired_tests` (aulc and/or final_accuracy).
    path
        File to write (usually ``macros.tex``).
    reference
        Output of :func:`helpers.stats.load_reference`.
    labels_table
        Output of :func:`helpers.stats.labels_to_target_table`.
    meta
        Output of :func:`helpers.stats.load_run_meta` (for pool sizes).
    ranks, balance, update_rules, composition
        The analyses listed above.
    switches
        Further ``\\ifHave<Name>`` switches (name -> state), e.g. ``UpdateRules``,
        ``Pilots`` and ``Comparison``, that let the paper include optional tables only
        when they exist.
    comparison_best
        Output of :func:`helpers.stats.best_strategies`, or None.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If two quantities map to the same macro name.
    """
    entries = _macro_entries(strategy_summary, tests, reference, labels_table, meta)
    entries += _analysis_entries(ranks, balance, update_rules, composition)
    entries += _regularisation_entries(regularisation)
    entries += _noise_entries(spread, drift)
    entries += _perclass_entries(deficit, bootstrap)
    entries += _role_entries(entries, stats.ordered_pairs(strategy_summary["pair"]))
    entries += _comparison_entries(comparison_best)
    entries += _crossed_entries(effects)
    entries += _crossed_phrase_entries(effects, bootstrap)
    if {"final_macro_f1_mean", "final_accuracy_mean"} <= set(strategy_summary.columns):
        entries.append(("MacroFOneOrder", order_agreement_phrase(study_rows(strategy_summary)),
                        "where final macro-F1 orders the strategies as final accuracy does, and where not, as text "
                        "(completes 'which order the strategies as final accuracy does')"))
    seen: dict[str, str] = {}
    lines = ["% Generated by helpers.report.write_macros; do not edit by hand.",
             "% Accuracies/AULC in percent (no % sign), differences in percentage points."]
    present = {role: role_pair(role, strategy_summary["pair"]) for role in ROLES}
    for role, pair in present.items():
        lines.append(f"\\newif\\ifHave{role}\\Have{role}{'true' if pair else 'false'}"
                     f" % results of the {ROLES[role]} model exist")
    for name, state in (switches or {}).items():
        lines.append(f"\\newif\\ifHave{name}\\Have{name}{'true' if state else 'false'} % optional paper input")
    for name, value, comment in entries:
        if name in seen:
            raise ValueError(f"macro name collision: \\{name} ({comment!r} and {seen[name]!r})")
        seen[name] = comment
        lines.append(f"\\newcommand{{\\{name}}}{{{value}}} % {comment}")
    return _atomic_write(Path(path), "\n".join(lines) + "\n")


def study_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of the pairs in the shallow and deep roles (the study's two cells), or every
    row when no pair fills a role; the appendix's macro-F1 table and its sentence use them."""
    study = stats.study_pairs(frame["pair"])
    return frame[frame["pair"].isin(study)] if study else frame


def role_pair(role: str, pairs: Iterable[str]) -> str | None:
    """Return the pair that fills ``role`` (``"Shallow"`` or ``"Deep"``), or None.

    The pair whose model is the role's; a study pair wins over a smoke pair, so the
    paper describes MNIST and CIFAR-10 whenever their results exist. Same as
    :func:`helpers.stats.role_pair`, which :mod:`helpers.figures` uses too.
    """
    return stats.role_pair(role, pairs)


def _role_entries(entries: list[tuple[str, str, str]], pairs: Sequence[str]) -> list[tuple[str, str, str]]:
    """Alias every macro of a role's pair under the role's name.

    ``\\ShallowSmallMarginFinalAcc`` expands to ``\\MnistLogregSmallMarginFinalAcc`` (or to
    the digits pair's macro in the smoke profile). Also defines ``\\<Role>Pair`` (the pair
    identifier, for file names) and ``\\<Role>Dataset`` (the dataset's display name).
    """
    out: list[tuple[str, str, str]] = []
    # A macro belongs to the pair with the longest matching prefix: MnistLogregBTwoFiveZero...
    # is mnist_logreg_b250's, not mnist_logreg's.
    prefixes = sorted({macro_name(p) for p in PAIRS}, key=len, reverse=True)

    def owner(name: str) -> str | None:
        return next((p for p in prefixes if name.startswith(p)), None)

    for role in ROLES:
        pair = role_pair(role, pairs)
        if pair is None:
            continue
        prefix = macro_name(pair)
        out.append((f"{role}Pair", pair, f"pair in the {role.lower()} role (file names)"))
        out.append((f"{role}Dataset", DATASET_TEX.get(PAIRS[pair].dataset, latex_escape(PAIRS[pair].dataset)),
                    f"dataset of the {role.lower()} role"))
        for name, _, comment in entries:
            if name != prefix and owner(name) == prefix:
                out.append((role + name[len(prefix):], f"\\{name}", f"{role.lower()} role: {comment}"))
    return out
