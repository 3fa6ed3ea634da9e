"""Tests of helpers.stats.inference: Friedman ranks and the Nemenyi critical difference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from helpers import stats


def per_run_frame(values: dict[str, list[float]], experiments=("small", "large"), pair="mnist_logreg"):
    """Per-run AULCs: ``values[strategy][i]`` for the i-th (experiment, seed) block."""
    rows = []
    n_blocks = len(next(iter(values.values())))
    blocks = [(e, 42 + k) for e in experiments for k in range(n_blocks // len(experiments))]
    for strategy, series in values.items():
        for (experiment, seed), v in zip(blocks, series):
            rows.append({"pair": pair, "experiment": experiment, "strategy": strategy, "seed": seed, "aulc": v})
    return pd.DataFrame(rows)


def test_rank_blocks_ranks_best_first_and_shares_ties():
    frame = per_run_frame({"random": [0.5, 0.6], "margin": [0.7, 0.6], "entropy": [0.6, 0.5]})
    ranks = stats.rank_blocks(frame, strategies=["random", "margin", "entropy"])
    assert ranks.loc[("mnist_logreg", "small", 42)].tolist() == [3.0, 1.0, 2.0]
    assert ranks.loc[("mnist_logreg", "large", 42)].tolist() == [1.5, 1.5, 3.0]


def test_incomplete_blocks_are_left_out():
    frame = per_run_frame({"random": [0.5, 0.6, 0.4, 0.3], "margin": [0.7, 0.6, 0.5, 0.4]})
    frame = frame.drop(index=frame.index[(frame["strategy"] == "margin") & (frame["seed"] == 43)])
    ranks = stats.rank_blocks(frame)
    assert len(ranks) == 2 and 43 not in ranks.index.get_level_values("seed")


def test_friedman_matches_scipy_and_ranks_a_consistent_winner_first():
    rng = np.random.default_rng(0)
    base = rng.normal(0.8, 0.02, 20)
    values = {"random": base, "margin": base + 0.01 + rng.normal(0, 0.002, 20),
              "entropy": base - 0.005 + rng.normal(0, 0.002, 20)}
    frame = per_run_frame({k: list(v) for k, v in values.items()})
    table = stats.friedman_ranks(frame)
    assert set(table["strategy"]) == set(values)
    by = table.set_index("strategy")
    assert by.loc["margin", "mean_rank"] == 1.0 and by.loc["entropy", "mean_rank"] == 3.0
    expected = sps.friedmanchisquare(*values.values())
    assert by["friedman_chi2"].iloc[0] == pytest.approx(expected.statistic)
    assert by["friedman_p"].iloc[0] == pytest.approx(expected.pvalue)
    assert (by["n_blocks"] == 20).all() and (by["n_strategies"] == 3).all()
    # Mean ranks of k strategies always sum to k (k + 1) / 2.
    assert by["mean_rank"].sum() == pytest.approx(6.0)
    per_experiment = stats.friedman_ranks(frame, by=("pair", "experiment"))
    assert set(per_experiment["experiment"]) == {"small", "large"}
    assert (per_experiment["n_blocks"] == 10).all()


def test_nemenyi_critical_difference_matches_demsar_table():
    # Demšar (2006), Table 5(a): q_0.05 = 2.728 for five classifiers, 2.343 for three.
    assert stats.nemenyi_critical_difference(5, 1) == pytest.approx(2.728 * np.sqrt(5 * 6 / 6), rel=1e-3)
    assert stats.nemenyi_critical_difference(3, 30) == pytest.approx(2.343 * np.sqrt(3 * 4 / 180), rel=1e-3)
    assert np.isnan(stats.nemenyi_critical_difference(1, 10))


def test_friedman_on_nothing_is_an_empty_frame():
    frame = per_run_frame({"random": [0.5, 0.6]}).iloc[:0]
    assert stats.friedman_ranks(frame).empty


def test_best_strategy_is_singled_out_only_when_it_beats_every_other_strategy():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.001, 10)
    clear = per_run_frame({"random": list(0.80 + noise), "margin": list(0.85 + noise + 0.001 * np.arange(10)),
                           "entropy": list(0.82 + noise)}, experiments=("small",))
    best = stats.best_strategy(clear, "aulc")
    assert len(best) == 1
    row = best.iloc[0]
    assert row["strategy"] == "margin" and row["runner_up"] == "entropy" and row["singled_out"]
    assert row["mean"] == pytest.approx(clear[clear["strategy"] == "margin"]["aulc"].mean())
    # A runner-up that wins on half the seeds: the best mean is not singled out.
    tied = per_run_frame({"random": list(0.80 + noise), "margin": list(0.85 + noise),
                          "entropy": list(0.85 + noise + np.tile([0.002, -0.0019], 5))}, experiments=("small",))
    row = stats.best_strategy(tied, "aulc").iloc[0]
    assert row["strategy"] == "entropy" and row["runner_up"] == "margin" and not row["singled_out"]
    # Five seeds can never single a strategy out (exact Wilcoxon floor 0.0625).
    five = per_run_frame({"random": [0.1] * 5, "margin": [0.9] * 5}, experiments=("small",))
    assert not stats.best_strategy(five, "aulc").iloc[0]["singled_out"]


# --------------------------------------------------------------------------- exact signed-rank test
def _brute_force_p(diff) -> float:
    """Two-sided p by listing all 2**n sign flips of the non-zero differences (average ranks)."""
    import itertools

    d = np.asarray(diff, dtype=float)
    d = d[d != 0]
    ranks = sps.rankdata(np.abs(d))
    observed = abs(ranks[d > 0].sum() - ranks.sum() / 2)
    flips = [abs(ranks[np.array(signs, dtype=bool)].sum() - ranks.sum() / 2)
             for signs in itertools.product([0, 1], repeat=d.size)]
    return float(np.mean(np.array(flips) >= observed - 1e-9))


def test_signed_rank_test_with_ties_matches_a_hand_count():
    # |d| = 1, 1, 1, 2, 1: four ranks 2.5 and one 5; T+ = 3 * 2.5 + 5 = 12.5 of 15.
    # At least as far from 7.5: T+ in {12.5 (4 ways), 15 (1)} or {0 (1), 2.5 (4)} -> 10 of 32.
    statistic, p = stats.signed_rank_test([1, 1, 1, 2, -1])
    assert p == 10 / 32 and statistic == 2.5
    assert stats.signed_rank_test([0.0, 1, 1, 1, 2, -1, 0.0]) == (2.5, 10 / 32)  # zeros dropped
    assert stats.signed_rank_test([-1, -1, -1, -2, 1]) == (2.5, 10 / 32)  # symmetric in the sign


@pytest.mark.parametrize("diff", [[3, 3, -1, 2, 2, 2, 5], [1, 1, 1, 1, 1, 1], [2, -2, 1, 1, -3, 3, 3, 4],
                                  [0.0003, 0.0003, 0.0001, -0.0001, 0.0002, 0.0003, 0.0005, 0.0001]])
def test_signed_rank_test_with_ties_equals_enumerating_every_sign_flip(diff):
    assert stats.signed_rank_test(diff)[1] == pytest.approx(_brute_force_p(diff), abs=1e-12)


@pytest.mark.parametrize("n", [2, 5, 9, 14, 20])
def test_signed_rank_test_without_ties_equals_scipys_exact_test(n):
    diff = np.random.default_rng(n).normal(size=n)
    statistic, p = stats.signed_rank_test(diff)
    expected = sps.wilcoxon(diff, method="exact")
    assert p == pytest.approx(expected.pvalue, rel=1e-12) and statistic == expected.statistic


def test_signed_rank_test_ties_decimal_equal_differences_and_is_fast():
    import time

    # 0.9132 - 0.9129 and 0.8001 - 0.7998 are both 0.0003 in decimal but not in binary.
    a = np.array([0.9132, 0.8001, 0.7, 0.61]) - np.array([0.9129, 0.7998, 0.6999, 0.6101])
    assert stats.signed_rank_test(a)[1] == pytest.approx(_brute_force_p([3, 3, 1, -1]))
    statistic, p = stats.signed_rank_test([0.1 + 0.2 - 0.3, 0.0])  # a few ulp count as zero
    assert np.isnan(statistic) and p == 1.0
    diff = np.random.default_rng(0).integers(-5, 6, size=20) * 1e-4
    start = time.perf_counter()
    p = stats.signed_rank_test(diff)[1]
    assert time.perf_counter() - start < 1.0 and 0 < p <= 1
    assert np.isnan(stats.signed_rank_test([])[1])  # no pair at all


def test_paired_tests_use_the_exact_test_with_ties():
    per_run = pd.DataFrame({"pair": "p", "experiment": "small", "seed": list(range(5)) * 2,
                            "strategy": ["random"] * 5 + ["margin"] * 5,
                            "aulc": [0.5] * 5 + [0.501, 0.501, 0.501, 0.502, 0.499]})
    row = stats.paired_tests(per_run, "aulc").iloc[0]
    assert row["p_value"] == pytest.approx(10 / 32) and row["n_nonzero"] == 5 and row["n_better"] == 4
