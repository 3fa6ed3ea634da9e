"""Tests of helpers.report.macros: the macros file.
"""

from __future__ import annotations

import re

import pandas as pd

from helpers import report, stats
from report_fixtures import _macros, _switches, bundle


def test_write_macros_content(bundle, tmp_path):
    path = report.write_macros(bundle["summary"], bundle["tests"], tmp_path / "macros.tex",
                               reference=bundle["reference"], labels_table=bundle["labels"],
                               meta=bundle["meta"])
    defs = _macros(path)
    assert all(re.fullmatch(r"[A-Za-z]+", name) for name in defs)
    s = bundle["summary"]
    row = s[(s["pair"] == "mnist_logreg") & (s["experiment"] == "small")
            & (s["strategy"] == "margin")].iloc[0]
    assert defs["MnistLogregSmallMarginFinalAcc"] == f"{row['final_accuracy_mean'] * 100:.1f}"
    assert defs["MnistLogregSmallMarginAulc"] == f"{row['aulc_mean'] * 100:.1f}"
    assert defs["MnistLogregRefAcc"] == "92.1"  # mean of 0.920, 0.921, 0.922
    assert defs["CifarTenCnnRefAcc"] == "92.1"
    assert defs["NSeeds"] == "3" and defs["MinAttainableP"] == "0.25"
    # Holm over the fixture's compared strategies multiplies 2 / 2**n by their number m;
    # the fewest seeds that can reach 0.05 is the smallest n with m * 2 / 2**n < 0.05.
    m = int(bundle["tests"].groupby(["pair", "experiment", "metric"])["strategy"].nunique().max())
    assert defs["MinSeedsForSignificance"] == str(min(n for n in range(1, 64) if m * 2 / 2 ** n < 0.05))
    assert defs["MnistLogregNSeedsWord"] == "three"
    assert float(defs["MnistLogregHolmFloor"]) == min(1.0, m * 2 / 2 ** 3)
    assert defs["MnistLogregNSeeds"] == "3"
    assert defs["MnistLogregSeedRange"] == report.seed_range(
        r["seed"] for r in bundle["meta"] if r["pair"] == "mnist_logreg") == "42--44"
    assert defs["MnistLogregSmallMinP"] == "0.25"
    assert defs["MnistLogregSmallBestStrategy"] == "Margin"
    e = s[(s["pair"] == "mnist_logreg") & (s["experiment"] == "small")]
    assert defs["MnistLogregSmallLowestFinalAcc"] == f"{e['final_accuracy_mean'].min() * 100:.1f}"
    assert defs["MnistLogregSmallHighestFinalAcc"] == f"{e['final_accuracy_mean'].max() * 100:.1f}"
    assert defs["MnistLogregSmallInitialAcc"] == f"{e['initial_accuracy_mean'].mean() * 100:.1f}"
    assert defs["MnistLogregNPool"] == "1{,}000"
    assert defs["MnistLogregSmallStreamUncertaintyInspectedPerLabel"] == "3.0"
    assert "MnistLogregSmallRandomInspectedPerLabel" not in defs
    stream = s[(s["pair"] == "mnist_logreg") & (s["experiment"] == "small")
               & (s["strategy"] == "stream_uncertainty")].iloc[0]
    assert defs["MnistLogregSmallStreamUncertaintyFallbackShare"] == f"{stream['fallback_share_mean'] * 100:.1f}"
    assert "MnistLogregSmallMarginFallbackShare" not in defs
    assert defs["MnistLogregSmallMarginAulcDiff"].startswith(r"\ensuremath{+}")
    assert re.fullmatch(r"\d\.\d{3}", defs["MnistLogregSmallMarginAulcP"])
    assert "MnistLogregSmallRandomAulcP" not in defs
    assert re.fullmatch(r"\d", defs["MnistLogregSmallMarginAulcBetter"])
    assert defs["MnistLogregSmallRandomLabelsRatio"] == "1.00"
    # Role aliases: the paper text says \\Shallow... and \\Deep...
    assert _switches(path) == {"Shallow": True, "Deep": True}
    assert defs["ShallowPair"] == "mnist_logreg" and defs["DeepPair"] == "cifar10_cnn"
    assert defs["ShallowDataset"] == "MNIST" and defs["DeepDataset"] == "CIFAR-10"
    assert defs["ShallowSmallMarginFinalAcc"] == r"\MnistLogregSmallMarginFinalAcc"
    assert defs["DeepRefAcc"] == r"\CifarTenCnnRefAcc"
    aliased = {name[len("Shallow"):] for name in defs if name.startswith("Shallow")}
    assert {name[len("MnistLogreg"):] for name in defs if name.startswith("MnistLogreg")} <= aliased
    # Same input, same file.
    again = report.write_macros(bundle["summary"], bundle["tests"], tmp_path / "again.tex",
                                reference=bundle["reference"], labels_table=bundle["labels"],
                                meta=bundle["meta"])
    assert again.read_text() == path.read_text()


def test_roles_prefer_study_pairs_and_may_be_empty(bundle, tmp_path):
    assert report.role_pair("Shallow", ["digits_logreg", "mnist_logreg"]) == "mnist_logreg"
    assert report.role_pair("Shallow", ["digits_logreg", "digits_cnn"]) == "digits_logreg"
    assert report.role_pair("Deep", ["digits_logreg", "digits_cnn"]) == "digits_cnn"
    assert report.role_pair("Deep", ["mnist_logreg"]) is None
    # The study's pairs keep their roles beside the crossed design's cells, in any order.
    assert report.role_pair("Shallow", ["mnist_logreg_b250", "cifar10_logreg", "mnist_logreg"]) == "mnist_logreg"
    assert report.role_pair("Deep", ["mnist_cnn", "cifar10_cnn"]) == "cifar10_cnn"
    assert report.role_pair("Deep", ["mnist_cnn", "digits_cnn"]) == "mnist_cnn"
    only_shallow = bundle["summary"][bundle["summary"]["pair"] == "mnist_logreg"]
    path = report.write_macros(only_shallow, bundle["tests"], tmp_path / "macros.tex")
    assert _switches(path) == {"Shallow": True, "Deep": False}
    defs = _macros(path)
    assert "ShallowPair" in defs and not any(name.startswith("Deep") for name in defs)


def test_comparison_macros_count_the_changes(tmp_path):
    best = pd.DataFrame({"experiment": ["small", "moderate", "large"], "same_best": [True, False, False]})
    path = report.write_macros(pd.DataFrame({"pair": ["mnist_logreg"], "experiment": ["small"],
                                             "strategy": ["random"], "n_seeds": [1], "aulc_mean": [0.5],
                                             "aulc_ci_hi": [0.5], "final_accuracy_mean": [0.6],
                                             "final_accuracy_ci_hi": [0.6]}),
                               pd.DataFrame(), tmp_path / "macros.tex", comparison_best=best,
                               switches={"Comparison": True})
    defs = _macros(path)
    assert defs["ComparisonBestChanges"] == "2" and defs["ComparisonNExperiments"] == "3"
    assert defs["ComparisonModerateSameBest"] == "a different" and defs["ComparisonSmallSameBest"] == "the same"
    assert _switches(path)["Comparison"] is True


def test_macros_of_the_stream_share_the_lowest_accuracy_and_the_grid_cost(bundle, tmp_path):
    meta = [dict(m, timings={"total_seconds": 90.0}) for m in bundle["meta"]]
    path = report.write_macros(bundle["summary"], bundle["tests"], tmp_path / "macros.tex",
                               reference=bundle["reference"], labels_table=bundle["labels"], meta=meta)
    defs = _macros(path)
    t = bundle["tests"]
    gains = t[(t["pair"] == "mnist_logreg") & (t["experiment"] == "small") & (t["metric"] == "aulc")]
    gains = gains.set_index("strategy")["mean_diff"]
    assert defs["MnistLogregSmallStreamShareOfMargin"] == f"{100 * gains['stream_uncertainty'] / gains['margin']:.0f}"
    s = bundle["summary"]
    e = s[(s["pair"] == "mnist_logreg") & (s["experiment"] == "small")]
    assert defs["MnistLogregSmallLowestAcc"] == f"{e['lowest_accuracy_mean'].mean() * 100:.1f}"
    n_runs = sum(m["pair"] == "mnist_logreg" for m in meta)
    assert defs["MnistLogregGridCoreMinutes"] == f"{round(n_runs * 90 / 60)}"
    assert "MnistLogregGridCoreMinutes" not in _macros(report.write_macros(
        bundle["summary"], bundle["tests"], tmp_path / "plain.tex", meta=bundle["meta"]))


def test_core_minutes_of_the_runs_and_of_runs_plus_references(bundle, tmp_path):
    meta = [dict(m, timings={"total_seconds": 90.0}) for m in bundle["meta"]]
    reference = bundle["reference"].assign(fit_seconds=600.0)
    defs = _macros(report.write_macros(bundle["summary"], bundle["tests"], tmp_path / "macros.tex",
                                       reference=reference, meta=meta))
    n_runs = sum(m["pair"] == "mnist_logreg" for m in meta)
    n_refs = int((reference["pair"] == "mnist_logreg").sum())
    assert n_runs and n_refs
    assert defs["MnistLogregGridCoreMinutes"] == report.fmt_num(n_runs * 1.5, 0)  # the runs only
    assert defs["MnistLogregGridAndReferencesCoreMinutes"] == report.fmt_num(n_runs * 1.5 + n_refs * 10, 0)
    assert defs["ShallowGridAndReferencesCoreMinutes"] == r"\MnistLogregGridAndReferencesCoreMinutes"
    without = _macros(report.write_macros(bundle["summary"], bundle["tests"], tmp_path / "noref.tex", meta=meta))
    assert without["MnistLogregGridAndReferencesCoreMinutes"] == "n/a"


def test_sentence_macros_are_written(bundle, tmp_path):
    defs = _macros(report.write_macros(bundle["summary"], bundle["tests"], tmp_path / "macros.tex",
                                       ranks=stats.friedman_ranks(bundle["per_run"], by=("pair", "experiment"))))
    assert defs["MnistLogregSmallMarginAulcChange"].startswith(("gains ", "loses ", "neither"))
    assert defs["MnistLogregBestRankByExperiment"] == "margin sampling in both experiments"  # the fake tree's best
    # The order from best to worst mean rank, as the text lists it.
    ranks = stats.friedman_ranks(bundle["per_run"], by=("pair", "experiment"))
    block = ranks[(ranks["pair"] == "mnist_logreg") & (ranks["experiment"] == "small")].sort_values("mean_rank")
    assert defs["MnistLogregSmallRankOrder"] == report.join_phrases(report.strategy_phrase(s)
                                                                   for s in block["strategy"])
    assert defs["MnistLogregSmallRankOrder"].startswith("margin sampling, ")
    tied = pd.DataFrame({"pair": "cifar10_cnn", "experiment": "small", "strategy": ["entropy", "random", "margin"],
                         "mean_rank": [1.5, 3.0, 1.5], "n_blocks": 2, "friedman_p": 0.5, "cd": 1.0})
    entries = dict((n, v) for n, v, _ in report._analysis_entries(tied, None, None))
    assert entries["CifarTenCnnSmallRankOrder"] == "margin sampling, entropy sampling and random sampling"
    if "final_macro_f1_mean" in bundle["summary"]:
        assert defs["MacroFOneOrder"].startswith("in ")


def test_perclass_and_bootstrap_macros():
    from helpers import report as rep

    deficit = pd.DataFrame([{"pair": "mnist_logreg", "experiment": "small", "strategy": "entropy", "n_seeds": 20,
                             "gap_points": -9.67, "worst_class": 0, "worst_class_name": "0", "worst_gap_points": -4.64,
                             "worst_share_of_gap": 0.48, "confused_as": 5, "confused_as_name": "5",
                             "confusion_share": 0.469, "reference_confusion_share": 0.014,
                             "least_queried_class": "0", "most_queried_class": "5"}])
    boot = pd.DataFrame([["mnist_logreg", "small", "margin", 1.0, 0.975, 20, 2000],
                         ["mnist_logreg", "small", "entropy", 4.9, 0.025, 20, 2000]],
                        columns=["pair", "experiment", "strategy", "mean_rank", "p_best", "n_seeds", "n_resamples"])
    entries = dict((name, value) for name, value, _ in rep._perclass_entries(deficit, boot))
    assert entries["MnistLogregSmallEntropyClassGap"] == r"\ensuremath{-}9.7"
    assert entries["MnistLogregSmallEntropyWorstClassGap"] == r"\ensuremath{-}4.6"
    assert entries["MnistLogregSmallEntropyWorstClassShareOfGap"] == "48"
    assert entries["MnistLogregSmallEntropyWorstClassConfusedAs"] == "5"
    assert entries["MnistLogregSmallEntropyWorstClassConfusionShare"] == "47"
    assert entries["MnistLogregSmallBootstrapBest"] == "margin sampling"
    assert entries["MnistLogregSmallBootstrapBestP"] == "98"  # 97.5 rounds half up
    assert entries["MnistLogregSmallEntropyPBest"] == "3"


def test_regularisation_macros_spell_c_and_say_the_best_strategy():
    from helpers.report import macros as rep
    from test_report_tables import _regularisation_rows

    table = _regularisation_rows()
    entries = dict((name, value) for name, value, _ in rep._regularisation_entries({"mnist_logreg": table}))
    assert entries["MnistLogregCAblationNSeeds"] == "20"
    assert entries["MnistLogregSmallCHundredthInitialAcc"] == "43.9"
    assert entries["MnistLogregSmallCHundredthDipAcc"] == "28.0"
    assert entries["MnistLogregSmallCHundredthDipTopClassShare"] == "n/a"  # no run records the share
    assert entries["MnistLogregSmallCOneDipTopClassShare"] == "30"
    assert entries["MnistLogregSmallCOneMarginAulcGain"] == r"\ensuremath{+}2.1"
    assert entries["MnistLogregSmallCOneMarginAulcGainCI"] == "0.5"  # (0.027 - 0.017) / 2 = 0.005
    assert entries["MnistLogregSmallCOneMarginAulcBetter"] == "19"
    assert entries["MnistLogregSmallCHundredthEntropyMeanRank"] == "3.00"
    assert "MnistLogregSmallCOneRandomAulcGain" not in entries
    assert entries["MnistLogregSmallCBest"] == "margin sampling at every value of $C$"
    table.loc[(table["C"] == 1.0) & (table["strategy"] == "margin"), "order"] = 2
    table.loc[(table["C"] == 1.0) & (table["strategy"] == "random"), "order"] = 1
    entries = dict((name, value) for name, value, _ in rep._regularisation_entries({"mnist_logreg": table}))
    assert entries["MnistLogregSmallCBest"] == "margin sampling at $C = 0.01$ and random sampling at $C = 1$"


def test_stream_selectivity_macros_only_where_runs_record_it(bundle, tmp_path):
    summary = bundle["summary"].copy()
    none = _macros(report.write_macros(summary, bundle["tests"], tmp_path / "none.tex"))
    assert none["MnistLogregSmallStreamUncertaintyBudgetDiscardShare"] == "n/a"  # the fake runs do not record it
    assert none["MnistLogregSmallStreamUncertaintySelectivityNRuns"] == "0"
    assert "MnistLogregSmallMarginBudgetDiscardShare" not in none  # a pool strategy
    stream = (summary["pair"] == "mnist_logreg") & (summary["experiment"] == "small") \
        & (summary["strategy"] == "stream_uncertainty")
    summary.loc[stream, ["budget_discard_share_mean", "confidence_discard_share_mean", "never_arrived_share_mean",
                         "labeled_uncertainty_percentile_mean", "n_runs_selectivity"]] = [0.9456, 0.031, 0.00055,
                                                                                           0.735, 3]
    defs = _macros(report.write_macros(summary, bundle["tests"], tmp_path / "macros.tex"))
    assert defs["MnistLogregSmallStreamUncertaintyBudgetDiscardShare"] == "94.6"
    assert defs["MnistLogregSmallStreamUncertaintyConfidenceDiscardShare"] == "3.1"
    assert defs["MnistLogregSmallStreamUncertaintyNeverArrivedShare"] == "0.06"  # 0.055 % rounds half up
    assert defs["MnistLogregSmallStreamUncertaintyLabeledPercentile"] == "0.74"  # 0.735 half up
    assert defs["MnistLogregSmallStreamUncertaintySelectivityNRuns"] == "3"


def test_noise_floor_macros():
    from helpers.report import macros as rep

    spread = pd.DataFrame([["cifar10_cnn", "large", 5, 5, 0.0061, 0.008, 0.0105]], columns=stats.SPREAD_COLUMNS)
    drift = pd.DataFrame([["mnist_logreg", "large", 20, 0.91722, 0.91668, -0.00054, 15]], columns=stats.DRIFT_COLUMNS)
    entries = dict((name, value) for name, value, _ in rep._noise_entries(spread, drift))
    assert entries["CifarTenCnnLargeSameSetSpreadMin"] == "0.6" and entries["CifarTenCnnLargeSameSetSpreadMax"] == "1.1"
    assert entries["CifarTenCnnLargeSameSetNSeeds"] == "5"
    assert entries["MnistLogregLargeRandomDrift"] == r"\ensuremath{-}0.05"
    assert entries["MnistLogregLargeRandomDeclinedSeeds"] == "15"
    assert entries["MnistLogregLargeRandomDriftInitialAcc"] == "91.72"
    assert entries["MnistLogregLargeRandomDriftFinalAcc"] == "91.67"


def test_crossed_macros_name_effect_and_level():
    from helpers.report import macros as rep
    from test_report_tables import _effects

    entries = dict((name, value) for name, value, _ in rep._crossed_entries(_effects()))
    assert entries["CrossedSmallMarginModelMnist"] == r"\ensuremath{-}1.20"
    assert entries["CrossedSmallMarginModelMnistInterval"] == r"[\ensuremath{-}2.00, \ensuremath{-}0.40]"
    assert entries["CrossedSmallMarginModelMnistExcludes"] == "excludes"
    assert entries["CrossedSmallMarginModelCifarTenExcludes"] == "includes"
    assert entries["CrossedSmallMarginSchedule"] == r"\ensuremath{+}0.46"
    assert entries["CrossedSmallEntropyInteraction"] == r"\ensuremath{-}5.00"
    one_seed = _effects().assign(ci_low=float("nan"), ci_high=float("nan"), n_a=1, n_b=1)
    entries = dict((name, value) for name, value, _ in rep._crossed_entries(one_seed))
    assert entries["CrossedSmallMarginModelMnistExcludes"] == "n/a"
    assert entries["CrossedSmallMarginModelMnistInterval"] == "[n/a, n/a]"


def test_crossed_phrase_macros():
    from helpers.report import macros as rep
    from test_report_tables import _effects

    boot = pd.DataFrame([["mnist_cnn", "small", "margin", 1.0, 1.0, 2, 10],
                         ["mnist_cnn", "small", "random", 2.0, 0.0, 2, 10],
                         ["cifar10_cnn", "small", "margin", 1.5, 0.5, 2, 10],
                         ["cifar10_cnn", "small", "random", 1.5, 0.5, 2, 10],
                         ["digits_cnn", "small", "random", 1.0, 1.0, 2, 10]], columns=stats.BOOTSTRAP_COLUMNS)
    entries = dict((name, value) for name, value, _ in rep._crossed_phrase_entries(_effects(), boot))
    assert entries["CrossedNCells"] == "two"  # the smoke pair is not a cell
    assert entries["CrossedSmallBestPhrase"] == ("margin sampling for the network on MNIST and random sampling "
                                                 "and margin sampling (tied) for the network on CIFAR-10")
    assert entries["CrossedSmallModelMnistResolved"] == r"margin sampling (\ensuremath{-}1.20)"
    assert entries["CrossedSmallModelCifarTenResolved"] == "no strategy"
    assert entries["CrossedSmallScheduleResolved"] == "no strategy"
    assert entries["CrossedSmallInteractionResolved"] == r"entropy sampling (\ensuremath{-}5.00)"
    assert rep._crossed_phrase_entries(None, None) == []


def test_role_aliases_stay_with_their_own_pair():
    from helpers.report import macros as rep

    entries = [("MnistLogregSmallMarginAulc", "84.1", "x"), ("MnistLogregBTwoFiveZeroSmallMarginAulc", "80.0", "y")]
    aliases = {name: value for name, value, _ in rep._role_entries(entries, ["mnist_logreg", "mnist_logreg_b250"])}
    assert aliases["ShallowSmallMarginAulc"] == r"\MnistLogregSmallMarginAulc"
    assert not any(name.startswith("ShallowBTwoFiveZero") for name in aliases)
