"""Tests of helpers.stats.noise: the noise floors, against hand-computed values."""

import pandas as pd
import pytest

from helpers import stats


def _per_run(rows):
    return pd.DataFrame(rows, columns=["pair", "experiment", "strategy", "seed", "initial_accuracy", "final_accuracy"])


def _meta(per_run, exhausted=True):
    return [{"pair": r.pair, "experiment": r.experiment, "strategy": r.strategy, "seed": r.seed,
             "stopped_early": exhausted, "stop_reason": "pool exhausted: all 100 pool samples labelled" if exhausted
             else None} for r in per_run.itertuples()]


def test_exhausted_spread_is_the_within_seed_range_where_every_run_ended_on_the_pool():
    per_run = _per_run([["p", "large", "random", 1, 0.6, 0.660], ["p", "large", "margin", 1, 0.6, 0.668],
                        ["p", "large", "entropy", 1, 0.6, 0.664],
                        ["p", "large", "random", 2, 0.6, 0.650], ["p", "large", "margin", 2, 0.6, 0.661],
                        ["p", "large", "random", 3, 0.6, 0.655],  # one strategy only: no range
                        ["p", "small", "random", 1, 0.1, 0.5], ["p", "small", "margin", 1, 0.1, 0.6]])
    meta = _meta(per_run[per_run["experiment"] == "large"]) + _meta(per_run[per_run["experiment"] == "small"], False)
    table = stats.exhausted_spread(per_run, meta)
    assert list(table.columns) == stats.SPREAD_COLUMNS and list(table["experiment"]) == ["large"]
    row = table.iloc[0]
    assert row["n_seeds"] == 2 and row["n_strategies"] == 3
    assert (row["spread_min"], row["spread_mean"], row["spread_max"]) == pytest.approx((0.008, 0.0095, 0.011))
    # One run that stopped for another reason (or not at all) disqualifies the experiment.
    meta[0] = dict(meta[0], stopped_early=False)
    assert stats.exhausted_spread(per_run, meta).empty


def test_random_drift_counts_the_seeds_that_end_below_their_start():
    per_run = _per_run([["p", "large", "random", 1, 0.9172, 0.9167], ["p", "large", "random", 2, 0.9170, 0.9171],
                        ["p", "large", "random", 3, 0.9180, 0.9170], ["p", "large", "margin", 1, 0.9172, 0.9180]])
    row = stats.random_drift(per_run).iloc[0]
    assert list(stats.random_drift(per_run).columns) == stats.DRIFT_COLUMNS
    assert row["n_seeds"] == 3 and row["n_declined"] == 2
    assert row["drift"] == pytest.approx((-0.0005 + 0.0001 - 0.0010) / 3)
    assert row["initial_accuracy"] == pytest.approx((0.9172 + 0.9170 + 0.9180) / 3)
    assert stats.random_drift(per_run[per_run["strategy"] == "margin"]).empty
