"""Tests of helpers.pool on hand-built probability tables where the strategies disagree."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import pool

N_CLASSES = 10
# Row name -> class distribution. Built so the three uncertainty strategies pick different rows:
#   least confident (lowest max p):   B (0.36)   then C (0.40), A (0.50)
#   margin (smallest top-2 gap):      A (0.00)   then B (0.02)
#   entropy (highest entropy):        C (1.99)   then B (1.10)
ROWS = {
    "A": [0.5, 0.5] + [0.0] * 8,
    "B": [0.36, 0.34, 0.30] + [0.0] * 7,
    "C": [0.4] + [0.6 / 9] * 9,
    "D": [0.9, 0.1] + [0.0] * 8,
    "E": [0.7, 0.2, 0.1] + [0.0] * 7,
    "F": [0.0, 0.0, 0.95, 0.05] + [0.0] * 6,
}
# Stored in a shuffled order so that "the first rows" can never pass by accident.
ORDER = ["D", "C", "F", "A", "E", "B"]


@pytest.fixture
def table_clf(fake_classifier):
    return fake_classifier(np.array([ROWS[name] for name in ORDER]))


def names(indices) -> list[str]:
    return [ORDER[i] for i in np.asarray(indices)]


def test_table_is_built_as_described():
    P = np.array([ROWS[n] for n in ORDER])
    top2 = np.sort(P, axis=1)[:, ::-1][:, :2]
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.nansum(np.where(P > 0, P * np.log(P), 0.0), axis=1)
    assert ORDER[np.argmin(P.max(axis=1))] == "B"
    assert ORDER[np.argmin(top2[:, 0] - top2[:, 1])] == "A"
    assert ORDER[np.argmax(entropy)] == "C"


@pytest.mark.parametrize(
    "query, first, first_two",
    [
        (pool.least_confident_query, "B", {"B", "C"}),
        (pool.margin_query, "A", {"A", "B"}),
        (pool.entropy_query, "C", {"C", "B"}),
    ],
)
def test_uncertainty_strategies_pick_the_right_rows(table_clf, query, first, first_two):
    X = table_clf.pool
    indices, info = query(table_clf, X, n_instances=1)
    assert names(indices) == [first]
    indices, info = query(table_clf, X, n_instances=2)
    assert set(names(indices)) == first_two
    assert set(info) == {"mean_score"} and np.isfinite(info["mean_score"])


def test_strategies_disagree(table_clf):
    X = table_clf.pool
    picks = {q.__name__: names(q(table_clf, X, n_instances=1)[0])[0]
             for q in (pool.least_confident_query, pool.margin_query, pool.entropy_query)}
    assert len(set(picks.values())) == 3, picks


def test_mean_score_is_the_score_of_the_queried_rows(table_clf):
    X = table_clf.pool
    _, info = pool.least_confident_query(table_clf, X, n_instances=1)
    assert info["mean_score"] == pytest.approx(1 - 0.36)
    _, info = pool.least_confident_query(table_clf, X, n_instances=2)
    assert info["mean_score"] == pytest.approx(((1 - 0.36) + (1 - 0.4)) / 2)


def test_query_all_rows(table_clf):
    X = table_clf.pool
    for query in (pool.least_confident_query, pool.margin_query, pool.entropy_query, pool.random_query):
        indices, _ = query(table_clf, X, n_instances=len(ORDER), rng=np.random.default_rng(0))
        assert sorted(np.asarray(indices).tolist()) == list(range(len(ORDER)))


def test_scores_match_the_definitions(table_clf):
    X = table_clf.pool
    P = table_clf.table
    assert np.allclose(pool.classifier_uncertainty(table_clf, X), 1 - P.max(axis=1))
    top2 = np.sort(P, axis=1)[:, ::-1][:, :2]
    assert np.allclose(pool.classifier_margin(table_clf, X), top2[:, 0] - top2[:, 1])
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(P > 0, P * np.log(P), 0.0).sum(axis=1)
    assert np.allclose(pool.classifier_entropy(table_clf, X), entropy)


def test_random_count_and_uniqueness():
    X = np.zeros((1000, 3))
    indices, info = pool.random_query(None, X, n_instances=50, rng=np.random.default_rng(1))
    assert info == {}
    assert len(indices) == 50 and len(set(indices.tolist())) == 50
    assert indices.min() >= 0 and indices.max() < 1000


def test_random_is_deterministic_per_seed():
    X = np.zeros((1000, 3))
    a, _ = pool.random_query(None, X, n_instances=20, rng=np.random.default_rng(7))
    b, _ = pool.random_query(None, X, n_instances=20, rng=np.random.default_rng(7))
    c, _ = pool.random_query(None, X, n_instances=20, rng=np.random.default_rng(8))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_random_accepts_lists_and_rejects_too_many():
    indices, _ = pool.random_query(None, [[0], [1], [2]], n_instances=3, rng=np.random.default_rng(0))
    assert sorted(indices.tolist()) == [0, 1, 2]
    with pytest.raises(ValueError):
        pool.random_query(None, np.zeros((3, 1)), n_instances=4, rng=np.random.default_rng(0))


def test_query_functions_do_not_consume_rng_when_deterministic(table_clf):
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    pool.margin_query(table_clf, table_clf.pool, n_instances=2, rng=rng)
    assert rng.bit_generator.state == state
