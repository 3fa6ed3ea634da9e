"""Tests of helpers.stats.comparison: the shallow pair's gains and ranks beside the deep pair's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import stats

SHALLOW, DEEP = "mnist_logreg", "cifar10_cnn"


def _test_row(pair, experiment, strategy, metric, gain, n, lo=None, hi=None, p_holm=np.nan, significant=False):
    """One row of paired_tests' output (only the columns the comparison reads, plus one it ignores)."""
    return {"pair": pair, "experiment": experiment, "strategy": strategy, "metric": metric, "n_pairs": n,
            "mean_diff": gain, "diff_ci_lo": gain if lo is None else lo, "diff_ci_hi": gain if hi is None else hi,
            "p_holm": p_holm, "significant": significant, "statistic": 0.0}


def _rank_rows(pair, experiment, ranks: dict[str, float], n_blocks: int, metric="aulc"):
    return [{"pair": pair, "experiment": experiment, "strategy": s, "mean_rank": r, "n_blocks": n_blocks,
             "n_strategies": len(ranks), "metric": metric} for s, r in ranks.items()]


@pytest.fixture
def frames():
    tests = pd.DataFrame([
        # Deep first and experiments out of order: the output must be in display order anyway.
        _test_row(DEEP, "small", "margin", "aulc", 0.01, n=1),
        _test_row(DEEP, "small", "margin", "final_accuracy", -0.02, n=1),
        _test_row(DEEP, "small", "entropy", "aulc", 0.03, n=1),
        _test_row(DEEP, "small", "entropy", "final_accuracy", 0.04, n=1),
        _test_row(SHALLOW, "small", "entropy", "aulc", -0.10, 20, -0.12, -0.08, 1e-5, True),
        _test_row(SHALLOW, "small", "entropy", "final_accuracy", -0.07, 20, -0.09, -0.05, 1e-4, True),
        _test_row(SHALLOW, "small", "margin", "aulc", 0.05, 20, 0.04, 0.06, 1e-5, True),
        _test_row(SHALLOW, "small", "margin", "final_accuracy", 0.03, 20, 0.025, 0.035, 0.2, False),
        _test_row(SHALLOW, "small", "margin", "macro_f1", 0.5, 20),  # not a compared metric
        _test_row(SHALLOW, "small", "stream_uncertainty", "aulc", 0.02, 20),  # the deep pair lacks it
        _test_row(SHALLOW, "large", "margin", "aulc", 0.001, 20),  # the deep pair lacks the experiment
        _test_row("digits_logreg", "small", "margin", "aulc", 0.9, 3),  # another pair
    ])
    ranks = pd.DataFrame(
        _rank_rows(SHALLOW, "small", {"random": 3.0, "margin": 1.0, "entropy": 5.0, "stream_uncertainty": 2.0,
                                      "least_confident": 4.0}, 20)
        + _rank_rows(DEEP, "small", {"random": 3.0, "margin": 2.0, "entropy": 1.0}, 1)
        + _rank_rows(SHALLOW, "large", {"random": 2.0, "margin": 1.0}, 20)
        + _rank_rows(DEEP, "all", {"random": 1.0, "margin": 2.0, "entropy": 3.0}, 3)  # whole-grid rows: ignored
        + _rank_rows(DEEP, "small", {"random": 1.0, "margin": 3.0, "entropy": 2.0}, 1, metric="final_accuracy"))
    return tests, ranks


def test_gains_ranks_and_intervals_land_in_their_columns(frames):
    tests, ranks = frames
    table = stats.model_comparison(tests, ranks, SHALLOW, DEEP)
    assert list(table.columns) == stats.COMPARISON_COLUMNS
    # Only what both pairs have: small x {margin, entropy} x {aulc, final_accuracy}, display order.
    assert list(zip(table["experiment"], table["strategy"], table["metric"])) == [
        ("small", "margin", "aulc"), ("small", "margin", "final_accuracy"),
        ("small", "entropy", "aulc"), ("small", "entropy", "final_accuracy")]
    assert (table["shallow_pair"] == SHALLOW).all() and (table["deep_pair"] == DEEP).all()
    row = table.set_index(["strategy", "metric"])
    margin = row.loc[("margin", "aulc")]
    assert margin["shallow_gain"] == pytest.approx(0.05)
    assert (margin["shallow_lo"], margin["shallow_hi"]) == pytest.approx((0.04, 0.06))
    assert margin["shallow_n_seeds"] == 20 and margin["shallow_significant"]
    assert margin["deep_gain"] == pytest.approx(0.01) and margin["deep_n_seeds"] == 1
    # One seed: no interval (paired_tests' zero-width lo = hi = gain is not passed on).
    assert np.isnan(margin["deep_lo"]) and np.isnan(margin["deep_hi"]) and not margin["deep_significant"]
    assert row.loc[("margin", "final_accuracy"), "deep_gain"] == pytest.approx(-0.02)
    assert not row.loc[("margin", "final_accuracy"), "shallow_significant"]
    # Ranks are AULC ranks among all strategies of the pair (random included), on both metric rows.
    for metric in stats.COMPARISON_METRICS:
        assert row.loc[("margin", metric), "shallow_rank"] == 1.0
        assert row.loc[("margin", metric), "deep_rank"] == 2.0  # not the final-accuracy rank 3, nor "all"
        assert row.loc[("entropy", metric), "shallow_rank"] == 5.0
        assert row.loc[("entropy", metric), "deep_rank"] == 1.0
    assert row.loc[("margin", "aulc"), "shallow_place"] == 1 and row.loc[("margin", "aulc"), "deep_place"] == 2
    assert table["place_differs"].tolist() == [True, True, True, True]
    assert table["shallow_significant"].dtype == bool and table["place_differs"].dtype == bool


def test_places_share_ties_and_equal_places_do_not_differ():
    tests = pd.DataFrame([_test_row(p, "small", s, "aulc", 0.01, 5) for p in (SHALLOW, DEEP)
                          for s in ("margin", "entropy")])
    ranks = pd.DataFrame(_rank_rows(SHALLOW, "small", {"random": 3.0, "margin": 1.5, "entropy": 1.5}, 5)
                         + _rank_rows(DEEP, "small", {"random": 3.0, "margin": 1.2, "entropy": 1.8}, 5))
    table = stats.model_comparison(tests, ranks, SHALLOW, DEEP).set_index("strategy")
    assert table.loc["margin", "shallow_place"] == 1 and table.loc["entropy", "shallow_place"] == 1
    assert table.loc["entropy", "deep_place"] == 2
    assert not table.loc["margin", "place_differs"] and table.loc["entropy", "place_differs"]


def test_missing_ranks_and_missing_pairs():
    tests = pd.DataFrame([_test_row(p, "small", "margin", "aulc", 0.01, 5) for p in (SHALLOW, DEEP)])
    table = stats.model_comparison(tests, pd.DataFrame(), SHALLOW, DEEP)
    assert len(table) == 1 and np.isnan(table["shallow_rank"].iloc[0])
    assert not table["place_differs"].iloc[0]
    empty = stats.model_comparison(tests, pd.DataFrame(), SHALLOW, "digits_cnn")
    assert empty.empty and list(empty.columns) == stats.COMPARISON_COLUMNS
    with pytest.raises(ValueError):
        stats.model_comparison(tests, pd.DataFrame(), SHALLOW, SHALLOW)


def test_from_per_run_metrics_with_one_deep_seed():
    """End to end through paired_tests and friedman_ranks: 4 shallow seeds, 1 deep seed."""
    rows = []
    for pair, seeds in ((SHALLOW, (42, 43, 44, 45)), (DEEP, (42,))):
        for seed in seeds:
            for strategy, bonus in (("random", 0.0), ("margin", 0.02), ("entropy", -0.01)):
                sign = 1 if pair == SHALLOW else -1  # the deep model reverses the order
                value = 0.7 + sign * bonus + 0.001 * seed
                rows.append({"pair": pair, "experiment": "small", "strategy": strategy, "seed": seed,
                             "aulc": value, "final_accuracy": value + 0.1})
    per_run = pd.DataFrame(rows)
    tests = pd.concat([stats.paired_tests(per_run, m) for m in stats.COMPARISON_METRICS], ignore_index=True)
    ranks = stats.friedman_ranks(per_run, by=("pair", "experiment"))
    table = stats.model_comparison(tests, ranks, SHALLOW, DEEP)
    assert len(table) == 4
    margin = table[(table["strategy"] == "margin") & (table["metric"] == "aulc")].iloc[0]
    assert margin["shallow_gain"] == pytest.approx(0.02) and margin["deep_gain"] == pytest.approx(-0.02)
    assert margin["shallow_n_seeds"] == 4 and margin["deep_n_seeds"] == 1
    # Four identical differences: a zero-width but defined interval; one seed: none.
    assert margin["shallow_lo"] == pytest.approx(0.02) and np.isnan(margin["deep_lo"])
    assert margin["shallow_rank"] == 1.0 and margin["deep_rank"] == 3.0 and margin["place_differs"]
    best = stats.best_strategies(ranks, SHALLOW, DEEP)
    assert best[["shallow_best", "deep_best"]].values.tolist() == [["margin", "entropy"]]
    assert best["shallow_n_blocks"].tolist() == [4] and best["deep_n_blocks"].tolist() == [1]


def test_best_strategies_flags_a_change_ties_and_random():
    ranks = pd.DataFrame(
        _rank_rows(SHALLOW, "large", {"random": 2.5, "margin": 1.5, "entropy": 2.0}, 4)
        + _rank_rows(DEEP, "large", {"random": 1.0, "margin": 2.0, "entropy": 3.0}, 1)
        + _rank_rows(SHALLOW, "small", {"random": 3.0, "margin": 1.5, "entropy": 1.5}, 4)
        + _rank_rows(DEEP, "small", {"random": 3.0, "entropy": 1.5, "margin": 1.5}, 2)
        + _rank_rows(SHALLOW, "moderate", {"random": 2.0, "margin": 1.0}, 4)
        + _rank_rows(DEEP, "moderate", {"random": 2.0, "margin": 1.0}, 2)
        + _rank_rows(SHALLOW, "huge", {"random": 2.0, "margin": 1.0}, 4)  # only the shallow pair has it
        + _rank_rows(DEEP, "all", {"random": 2.0, "margin": 1.0, "entropy": 3.0}, 5)  # whole grids: not
        + _rank_rows(SHALLOW, "all", {"random": 2.0, "margin": 1.0, "entropy": 3.0}, 12))  # an experiment
    best = stats.best_strategies(ranks, SHALLOW, DEEP)
    assert list(best.columns) == stats.BEST_COLUMNS
    assert best["experiment"].tolist() == ["small", "moderate", "large"]
    by = best.set_index("experiment")
    # Random sampling is a candidate: the deep model's large start has it best.
    assert by.loc["large", "shallow_best"] == "margin" and by.loc["large", "deep_best"] == "random"
    assert by.loc["large", "shallow_best_rank"] == 1.5 and not by.loc["large", "same_best"]
    # Ties are kept, in display order whatever order the ranks came in, and compare as sets.
    assert by.loc["small", "shallow_best"] == "margin,entropy" == by.loc["small", "deep_best"]
    assert by.loc["small", "same_best"] and by.loc["moderate", "same_best"]
    assert int((~best["same_best"]).sum()) == 1
    # Same places for every strategy: only moderate (small's places agree too, ties included).
    assert by["same_order"].tolist() == [True, True, False]
    overall = stats.best_by_rank(ranks)
    assert overall[(overall["pair"] == DEEP) & (overall["experiment"] == "all")]["best"].tolist() == ["margin"]
    assert overall[overall["experiment"] == "small"]["n_best"].tolist() == [2, 2]


def test_roles_pick_a_logistic_regression_and_a_cnn():
    assert stats.comparison_roles([DEEP, SHALLOW]) == (SHALLOW, DEEP)
    assert stats.comparison_roles(["digits_logreg", "digits_cnn", SHALLOW]) == (SHALLOW, "digits_cnn")
    assert stats.comparison_roles([SHALLOW, "digits_logreg"]) is None
    assert stats.comparison_roles([]) is None
    assert stats.role_pair("Deep", ["digits_cnn", DEEP]) == DEEP
    # The study's two cells, shallow first, beside the crossed cells; only the roles filled.
    assert stats.study_pairs(["mnist_cnn", DEEP, "cifar10_logreg", SHALLOW]) == [SHALLOW, DEEP]
    assert stats.study_pairs([SHALLOW, "digits_logreg"]) == [SHALLOW] and stats.study_pairs([]) == []
