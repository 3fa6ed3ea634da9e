"""Tests of helpers.stats.crossed against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.stats as sps

from helpers import stats
from helpers.stats import crossed


def frame(rows):
    return pd.DataFrame(rows, columns=["pair", "experiment", "strategy", "seed", "aulc"])


def cell_runs(pair, gains, base=0.5, experiment="small", strategy="margin"):
    """Runs of one cell: random at ``base`` and ``strategy`` at ``base + gain`` for each seed."""
    rows = []
    for seed, gain in gains.items():
        rows.append([pair, experiment, "random", seed, base])
        rows.append([pair, experiment, strategy, seed, base + gain])
    return rows


def test_seed_gains_pairs_by_seed_and_drops_unpaired_runs():
    runs = frame(cell_runs("a", {1: 0.1, 2: 0.3}) + [["a", "small", "margin", 3, 0.9]])
    gains = crossed.seed_gains(runs)
    assert gains["seed"].tolist() == [1, 2]
    np.testing.assert_allclose(gains["gain"], [0.1, 0.3])


def test_paired_interval_by_hand():
    est, lo, hi, n = crossed.paired_interval({1: 3.0, 2: 5.0, 3: 4.0, 9: 1.0}, {1: 1.0, 2: 2.0, 3: 2.0})
    d = np.array([2.0, 3.0, 2.0])
    half = sps.t.ppf(0.975, 2) * d.std(ddof=1) / np.sqrt(3)
    assert n == 3 and est == pytest.approx(7 / 3)
    assert (lo, hi) == pytest.approx((7 / 3 - half, 7 / 3 + half))
    assert np.isnan(crossed.paired_interval({1: 1.0}, {1: 0.0})[1])


def test_welch_interval_by_hand():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 1.0, 3.0])
    va, vb = a.var(ddof=1) / 3, b.var(ddof=1) / 4
    df = (va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 3)
    half = sps.t.ppf(0.975, df) * np.sqrt(va + vb)
    est, lo, hi = crossed.welch_interval([a.mean(), b.mean()], [va, vb], [2, 3], [1, -1])
    assert est == pytest.approx(2.0 - 1.0)
    assert (lo, hi) == pytest.approx((1.0 - half, 1.0 + half))
    # scipy's Welch test agrees on the degrees of freedom
    t = sps.ttest_ind(a, b, equal_var=False)
    assert t.df == pytest.approx(df)


def test_crossed_effects_by_hand():
    runs = frame(
        cell_runs("mnist_logreg_b250", {1: 0.02, 2: 0.04, 3: 0.03})
        + cell_runs("mnist_cnn", {1: 0.01, 2: 0.02, 3: 0.00})
        + cell_runs("cifar10_logreg", {1: 0.00, 2: 0.01, 3: -0.01})
        + cell_runs("cifar10_cnn", {1: 0.02, 2: 0.02, 3: 0.05})
        + cell_runs("mnist_logreg", {1: 0.05, 2: 0.06, 3: 0.04, 4: 0.1})
    )
    effects = crossed.crossed_effects(runs).set_index(["effect", "level"])
    # model effect on MNIST: cnn - logreg per seed = -0.01, -0.02, -0.03
    assert effects.loc[("model", "mnist"), "estimate"] == pytest.approx(-0.02)
    assert effects.loc[("model", "mnist"), "paired"]
    # model effect on CIFAR-10: 0.02, 0.01, 0.06 -> 0.03
    assert effects.loc[("model", "cifar10"), "estimate"] == pytest.approx(0.03)
    # data effect for the CNN: mean(0.02, 0.02, 0.05) - mean(0.01, 0.02, 0.00) = 0.03 - 0.01
    assert effects.loc[("data", "cnn"), "estimate"] == pytest.approx(0.02)
    assert not effects.loc[("data", "cnn"), "paired"]
    assert effects.loc[("data", "logreg"), "estimate"] == pytest.approx(0.0 - 0.03)
    # interaction: 0.03 - (-0.02)
    assert effects.loc[("interaction", "all"), "estimate"] == pytest.approx(0.05)
    # schedule: b250 - b5 on the common seeds 1-3: -0.03, -0.02, -0.01
    row = effects.loc[("schedule", "logreg/mnist")]
    assert row["estimate"] == pytest.approx(-0.02) and row["n_a"] == 3
    assert row["ci_low"] < -0.02 < row["ci_high"]
    assert set(effects.reset_index()["effect"]) == {"model", "data", "interaction", "schedule"}


def test_crossed_effects_leave_out_missing_cells():
    runs = frame(cell_runs("mnist_logreg_b250", {1: 0.02, 2: 0.04}) + cell_runs("mnist_cnn", {1: 0.01, 2: 0.0}))
    effects = crossed.crossed_effects(runs)
    assert effects["effect"].tolist() == ["model"]


def test_bootstrap_best_certain_and_split():
    rows = []
    for seed in range(5):
        rows += [["p", "small", "random", seed, 0.5], ["p", "small", "margin", seed, 0.6],
                 ["p", "small", "entropy", seed, 0.4]]
    result = crossed.bootstrap_best(frame(rows), n_resamples=200).set_index("strategy")
    assert result.loc["margin", "p_best"] == 1.0 and result.loc["entropy", "p_best"] == 0.0
    assert result.loc["margin", "mean_rank"] == 1.0 and result["p_best"].sum() == pytest.approx(1.0)
    # Two strategies that always tie split every win.
    tied = []
    for seed in range(4):
        tied += [["p", "small", "a", seed, 0.5], ["p", "small", "b", seed, 0.5]]
    split = crossed.bootstrap_best(frame(tied), n_resamples=50).set_index("strategy")
    assert split.loc["a", "p_best"] == pytest.approx(0.5) and split.loc["b", "p_best"] == pytest.approx(0.5)


def test_bootstrap_best_reflects_uncertainty():
    rows = []
    for seed, (x, y) in enumerate([(0.6, 0.5), (0.6, 0.5), (0.5, 0.6)]):  # a wins 2 of 3 seeds
        rows += [["p", "e", "a", seed, x], ["p", "e", "b", seed, y]]
    result = crossed.bootstrap_best(frame(rows), n_resamples=4000, seed=1).set_index("strategy")
    # P(a best) = P(a wins more of 3 draws than b) where each draw picks an a-win with 2/3: 20/27
    assert result.loc["a", "p_best"] == pytest.approx(20 / 27, abs=0.03)


@pytest.mark.parametrize("low, high, expected", [
    (0.1, 2.0, True), (-2.0, -0.1, True), (-0.1, 0.1, False), (0.0, 1.0, False), (-1.0, 0.0, False),
    (float("nan"), 1.0, False), (0.5, float("nan"), False),
])
def test_excludes_zero_scalar(low, high, expected):
    assert stats.excludes_zero(low, high) is expected


def test_excludes_zero_elementwise_on_series():
    low = pd.Series([0.2, -1.0, float("nan"), -3.0])
    high = pd.Series([0.5, 1.0, 2.0, -0.5])
    assert stats.excludes_zero(low, high).tolist() == [True, False, False, True]
