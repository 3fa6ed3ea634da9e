"""Tests of helpers.report.phrases: generated prose.
"""

from __future__ import annotations

import pandas as pd

from helpers import report


# --------------------------------------------------------------------------- generated prose
def test_per_experiment_phrase_names_each_strategy_once():
    three = {"small": "margin", "moderate": "margin", "large": "margin"}
    assert report.per_experiment_phrase(three) == "margin sampling in all three experiments"
    assert report.per_experiment_phrase({"small": "margin", "moderate": "margin", "large": "stream_uncertainty"}) == (
        r"margin sampling in \emph{small} and \emph{moderate} and the stream in \emph{large}")
    assert report.per_experiment_phrase({"small": "entropy"}) == r"entropy sampling in \emph{small}"
    tied = report.per_experiment_phrase({"small": "margin,stream_uncertainty", "large": "margin,stream_uncertainty"})
    assert tied == "margin sampling and the stream (tied) in both experiments"
    three_ways = report.per_experiment_phrase({"small": "margin", "moderate": "entropy", "large": "random"})
    assert three_ways == (r"margin sampling in \emph{small}; entropy sampling in \emph{moderate}; "
                          r"and random sampling in \emph{large}")


def test_change_phrase_never_prints_a_signed_loss():
    assert report.change_phrase(-0.015) == "loses 1.5 points"
    assert report.change_phrase(0.0235) == "gains 2.4 points"  # half up
    assert report.change_phrase(-0.00125, 2) == "loses 0.13 points"
    assert report.change_phrase(0.0004) == report.change_phrase(-0.0004) == "neither gains nor loses (0.0 points)"
    assert report.change_phrase(float("nan")) == "n/a"
    assert "-" not in report.change_phrase(-0.5) and "+" not in report.change_phrase(0.5)


def test_same_order_phrase_reads_as_one_clause():
    assert report.same_order_phrase({"fixed": True, "converge": True, "cold": True}) == (
        "in the same order as the fixed budget")
    assert report.same_order_phrase({"fixed": True, "converge": False, "cold": False}) == (
        "in a different order from the fixed budget")
    assert report.same_order_phrase({"fixed": True, "converge": True, "cold": False}) == (
        "in the same order as the fixed budget under fine-tuning to convergence "
        "but in a different order under the cold refit")
    assert "the same and" not in report.same_order_phrase({"fixed": True, "converge": False, "cold": True})


def test_order_agreement_phrase_names_the_swapped_strategies():
    rows = []
    for pair in ("mnist_logreg", "cifar10_cnn"):
        for experiment in ("small", "large"):
            for strategy, acc in (("margin", 0.70), ("random", 0.60), ("least_confident", 0.50)):
                f1 = acc - 0.01
                if (pair, experiment, strategy) == ("cifar10_cnn", "small", "least_confident"):
                    f1 = 0.65  # above random's macro-F1 while below it in accuracy
                rows.append({"pair": pair, "experiment": experiment, "strategy": strategy, "aulc_mean": acc,
                             "final_accuracy_mean": acc, "final_macro_f1_mean": f1})
    summary = pd.DataFrame(rows)
    agree = summary[summary["pair"] == "mnist_logreg"]
    assert report.order_agreement_phrase(agree) == "in both experiments"
    assert report.order_agreement_phrase(summary) == (
        r"in three of the four experiments; in CIFAR-10 \emph{small} macro-F1 puts least confidence ahead of "
        "random sampling")


def test_seed_range_is_a_range_only_without_gaps():
    assert report.seed_range([46, 42, 43, 44, 45, 44]) == "42--46"
    assert report.seed_range([42, 43, 45]) == "42, 43, 45"
    assert report.seed_range([42]) == "42" and report.seed_range([]) == ""


def test_join_phrases_and_number_words():
    assert report.join_phrases([]) == "" and report.join_phrases(["a"]) == "a"
    assert report.join_phrases(["a", "b"]) == "a and b" and report.join_phrases(["a", "b", "c"]) == "a, b and c"
    assert report.number_word(3) == "three" and report.number_word(20) == "twenty"
    assert report.number_word(21) == "21"
    assert report.all_experiments_phrase(2) == "both experiments"
    assert report.all_experiments_phrase(3) == "all three experiments"


def test_per_value_phrase_groups_the_values_of_c_by_strategy():
    assert report.per_value_phrase({0.01: "margin", 0.1: "margin", 1.0: "margin"}) == \
        "margin sampling at every value of $C$"
    assert report.per_value_phrase({0.01: "margin", 0.1: "margin", 1.0: "entropy"}) == \
        "margin sampling at $C = 0.01$ and $0.1$ and entropy sampling at $C = 1$"
    assert report.per_value_phrase({0.01: "margin", 0.1: "margin", 1.0: "margin", 10.0: "random"}) == \
        "margin sampling at $C = 0.01$, $0.1$ and $1$ and random sampling at $C = 10$"
    assert report.per_value_phrase({0.1: "margin,stream_uncertainty"}) == \
        "margin sampling and the stream (tied) at $C = 0.1$"
    assert report.per_value_phrase({1.0: "margin", 2.0: "entropy", 3.0: "random"}, symbol="k") == \
        "margin sampling at $k = 1$; entropy sampling at $k = 2$; and random sampling at $k = 3$"


def test_cell_phrase_names_the_schedule_only_where_two_cells_share_model_and_data():
    assert report.cell_phrase("cifar10_cnn") == "the network on CIFAR-10"
    assert report.cell_phrase("cifar10_logreg", ["cifar10_logreg", "mnist_logreg"]) == \
        "the logistic regression on CIFAR-10"
    assert report.cell_phrase("mnist_logreg", ["mnist_logreg", "mnist_logreg_b250"]) == \
        "the logistic regression on MNIST at $k = 5$"
    assert report.cell_phrase("not_a_pair") == r"not\_a\_pair"


def test_best_by_cell_phrase_reads_as_a_sentence():
    assert report.best_by_cell_phrase({}) == ""
    assert report.best_by_cell_phrase({"mnist_cnn": "margin"}) == "margin sampling in the one cell"
    assert report.best_by_cell_phrase({"mnist_cnn": "margin", "cifar10_cnn": "margin"}) == "margin sampling in both cells"
    five = {"mnist_logreg": "margin", "mnist_logreg_b250": "margin", "cifar10_logreg": "margin",
            "mnist_cnn": "least_confident", "cifar10_cnn": "entropy,margin"}
    assert report.best_by_cell_phrase(five) == (
        "margin sampling in three cells, least confidence for the network on MNIST and "
        "entropy sampling and margin sampling (tied) for the network on CIFAR-10")
    assert report.best_by_cell_phrase(dict.fromkeys(five, "margin")) == "margin sampling in all five cells"


def test_resolved_phrase_lists_the_intervals_that_exclude_zero():
    rows = pd.DataFrame({"strategy": ["entropy", "margin", "least_confident"],
                         "estimate": [0.0633, -0.002, 0.0348], "ci_low": [0.01, -0.01, 0.02],
                         "ci_high": [0.1, 0.005, 0.05]})
    # Study order (least confidence before entropy), the estimate in points with its sign.
    assert report.resolved_phrase(rows) == (r"least confidence (\ensuremath{+}3.48) and "
                                            r"entropy sampling (\ensuremath{+}6.33)")
    assert report.resolved_phrase(rows.iloc[[1]]) == "no strategy"
    assert report.resolved_phrase(rows.assign(ci_low=float("nan"))) == "n/a"
    negative = rows.assign(ci_low=[-0.1, -0.03, 0.0], ci_high=[-0.01, 0.01, 0.05])
    assert report.resolved_phrase(negative) == r"entropy sampling (\ensuremath{+}6.33)"


def test_resolved_by_level_phrase_names_each_level_or_says_neither():
    def rows(low, high):
        return pd.DataFrame({"strategy": ["entropy"], "estimate": [0.0045], "ci_low": [low], "ci_high": [high]})

    nan = float("nan")
    assert report.resolved_by_level_phrase({"on MNIST": rows(0.001, 0.008), "on CIFAR-10": rows(-0.01, 0.01)},
                                           "on either dataset") == \
        r"for entropy sampling (\ensuremath{+}0.45) on MNIST and for no strategy on CIFAR-10"
    assert report.resolved_by_level_phrase({"on MNIST": rows(-0.01, 0.01), "on CIFAR-10": rows(-0.01, 0.01)},
                                           "on either dataset") == "for no strategy on either dataset"
    assert report.resolved_by_level_phrase({"on MNIST": rows(nan, nan)}, "on either dataset") == "n/a"
    # A level without an interval yet says so; the other level is still reported.
    assert report.resolved_by_level_phrase({"on MNIST": rows(nan, nan), "on CIFAR-10": rows(0.001, 0.008)},
                                           "on either dataset") == \
        r"for n/a on MNIST and for entropy sampling (\ensuremath{+}0.45) on CIFAR-10"
