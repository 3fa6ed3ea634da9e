"""Tests of helpers.report.analysis_macros: the macros of the per-class account, the bootstrap,
the regularisation ablation, the noise floors and the crossed design.
"""

from __future__ import annotations

import pandas as pd

from helpers import stats
from helpers.report import analysis_macros as rep
from test_report_crossed import _effects


def test_perclass_and_bootstrap_macros():
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


def test_noise_floor_macros():
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
    assert entries["CrossedSmallModelResolved"] == (r"for margin sampling (\ensuremath{-}1.20) on MNIST and "
                                                    "for no strategy on CIFAR-10")
    assert "CrossedSmallDataResolved" not in entries  # the fixture has no data effect
    assert rep._crossed_phrase_entries(None, None) == []
