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


def test_stream_selectivity_macros_only_where_runs_record_it(bundle, tmp_path):
    summary = bundle["summary"].copy()
    none = _macros(report.write_macros(summary, bundle["tests"], tmp_path / "none.tex"))
    assert none["MnistLogregSmallStreamUncertaintyBudgetDiscardShare"] == "n/a"  # the fake runs do not record it
    assert none["MnistLogregSmallStreamUncertaintySelectivityNRuns"] == "0"
    assert "MnistLogregSmallMarginBudgetDiscardShare" not in none  # a pool strategy
    stream = (summary["pair"] == "mnist_logreg") & (summary["experiment"] == "small") \
        & (summary["strategy"] == "stream_uncertainty")
    summary.loc[stream, ["budget_discard_share_mean", "confidence_discard_share_mean", "never_arrived_share_mean",
                         "labeled_uncertainty_percentile_mean", "threshold_median_mean",
                         "n_runs_selectivity"]] = [0.9456, 0.031, 0.00055, 0.735, 0.78451, 3]
    defs = _macros(report.write_macros(summary, bundle["tests"], tmp_path / "macros.tex"))
    assert defs["MnistLogregSmallStreamUncertaintyBudgetDiscardShare"] == "94.6"
    assert defs["MnistLogregSmallStreamUncertaintyConfidenceDiscardShare"] == "3.1"
    assert defs["MnistLogregSmallStreamUncertaintyNeverArrivedShare"] == "0.06"  # 0.055 % rounds half up
    assert defs["MnistLogregSmallStreamUncertaintyLabeledPercentile"] == "0.74"  # 0.735 half up
    assert defs["MnistLogregSmallStreamUncertaintySelectivityNRuns"] == "3"
    assert defs["MnistLogregSmallStreamUncertaintyThresholdMedian"] == "0.785"


def test_role_aliases_stay_with_their_own_pair():
    from helpers.report import macros as rep

    entries = [("MnistLogregSmallMarginAulc", "84.1", "x"), ("MnistLogregBTwoFiveZeroSmallMarginAulc", "80.0", "y")]
    aliases = {name: value for name, value, _ in rep._role_entries(entries, ["mnist_logreg", "mnist_logreg_b250"])}
    assert aliases["ShallowSmallMarginAulc"] == r"\MnistLogregSmallMarginAulc"
    assert not any(name.startswith("ShallowBTwoFiveZero") for name in aliases)
