"""Tests of helpers.stream: budget, inspection count, dry streams and chunking."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.stream import stream_uncertainty_query


def reference_stream(uncertainty, n_instances, seed, threshold):
    """Instance-by-instance reference: (pool indices, n_inspected, n_fallback)."""
    order = np.random.default_rng(seed).permutation(len(uncertainty))
    chosen = []
    for position, index in enumerate(order):
        if uncertainty[index] >= threshold:
            chosen.append(index)
            if len(chosen) == n_instances:
                return chosen, position + 1, 0
    rejected = [i for i in order if i not in chosen]  # arrival order
    # Most uncertain first; ties keep arrival order.
    fill = sorted(rejected, key=lambda i: -uncertainty[i])[: n_instances - len(chosen)]
    return chosen + fill, len(uncertainty), len(fill)


@pytest.fixture
def rows(make_uncertainty_rows):
    return make_uncertainty_rows


def test_exact_budget_per_call(fake_classifier, rows):
    u = np.random.default_rng(0).uniform(0, 0.9, size=200)
    clf = fake_classifier(rows(u))
    rng = np.random.default_rng(1)
    for n in (1, 5, 17, 200):
        indices, info = stream_uncertainty_query(clf, clf.pool, n_instances=n, rng=rng, threshold=0.5)
        assert len(indices) == n
        assert len(np.unique(indices)) == n
        assert set(info) == {"n_inspected", "n_fallback"}


def test_n_inspected_is_position_of_last_accepted_plus_one(fake_classifier, rows):
    n_pool, seed = 40, 11
    uncertain = np.array([3, 17, 25, 31])  # the only rows above the threshold
    u = np.full(n_pool, 0.1)
    u[uncertain] = 0.8
    clf = fake_classifier(rows(u))
    order = np.random.default_rng(seed).permutation(n_pool)
    arrival = np.flatnonzero(np.isin(order, uncertain))  # positions where they arrive
    indices, info = stream_uncertainty_query(clf, clf.pool, n_instances=3, rng=np.random.default_rng(seed),
                                             threshold=0.5)
    assert indices.tolist() == order[arrival[:3]].tolist()  # arrival order
    assert info == {"n_inspected": int(arrival[2]) + 1, "n_fallback": 0}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("threshold", [0.3, 0.6, 0.85])
def test_matches_instance_by_instance_reference(fake_classifier, rows, seed, threshold):
    u = np.random.default_rng(100 + seed).uniform(0, 0.9, size=60)
    clf = fake_classifier(rows(u))
    expected, inspected, fallback = reference_stream(u, 8, seed, threshold)
    indices, info = stream_uncertainty_query(clf, clf.pool, n_instances=8, rng=np.random.default_rng(seed),
                                             threshold=threshold)
    assert indices.tolist() == [int(i) for i in expected]
    assert info == {"n_inspected": inspected, "n_fallback": fallback}


def test_threshold_zero_accepts_first_arrivals(fake_classifier, rows):
    u = np.random.default_rng(0).uniform(0, 0.9, size=30)
    clf = fake_classifier(rows(u))
    order = np.random.default_rng(5).permutation(30)
    indices, info = stream_uncertainty_query(clf, clf.pool, n_instances=4, rng=np.random.default_rng(5), threshold=0.0)
    assert indices.tolist() == order[:4].tolist()
    assert info == {"n_inspected": 4, "n_fallback": 0}


@pytest.mark.parametrize("threshold", [1.0, 0.95])  # max uncertainty with 10 classes is 0.9
def test_dry_stream_fills_with_most_uncertain(fake_classifier, rows, threshold):
    u = np.array([0.1, 0.8, 0.3, 0.85, 0.2, 0.7, 0.05, 0.6])
    clf = fake_classifier(rows(u))
    indices, info = stream_uncertainty_query(clf, clf.pool, n_instances=3, rng=np.random.default_rng(0),
                                             threshold=threshold)
    assert sorted(indices.tolist()) == [1, 3, 5]
    assert indices.tolist() == [3, 1, 5]  # most uncertain first
    assert info == {"n_inspected": len(u), "n_fallback": 3}


def test_partly_dry_stream(fake_classifier, rows):
    u = np.array([0.1, 0.8, 0.3, 0.85, 0.2, 0.4, 0.05, 0.6])
    clf = fake_classifier(rows(u))
    seed = 4
    order = np.random.default_rng(seed).permutation(len(u))
    indices, info = stream_uncertainty_query(clf, clf.pool, n_instances=4, rng=np.random.default_rng(seed),
                                             threshold=0.75)
    accepted = [i for i in order if u[i] >= 0.75]  # rows 1 and 3, in arrival order
    assert indices.tolist()[:2] == accepted
    assert indices.tolist()[2:] == [7, 5]  # then the two most uncertain rejected ones
    assert info == {"n_inspected": len(u), "n_fallback": 2}


def test_dry_fill_ties_keep_arrival_order(fake_classifier, rows):
    u = np.full(12, 0.4)
    clf = fake_classifier(rows(u))
    order = np.random.default_rng(9).permutation(12)
    indices, info = stream_uncertainty_query(clf, clf.pool, n_instances=5, rng=np.random.default_rng(9), threshold=1.0)
    assert indices.tolist() == order[:5].tolist()
    assert info["n_fallback"] == 5


@pytest.mark.parametrize("n", [0, -1, 13])
def test_invalid_n_instances_raises(fake_classifier, rows, n):
    clf = fake_classifier(rows(np.full(12, 0.5)))
    with pytest.raises(ValueError, match="n_instances must be in 1..12"):
        stream_uncertainty_query(clf, clf.pool, n_instances=n, rng=np.random.default_rng(0))


@pytest.mark.parametrize("threshold", [0.0, 0.5, 0.8, 1.0])
def test_chunk_size_never_changes_the_result(fake_classifier, rows, threshold):
    u = np.random.default_rng(3).uniform(0, 0.9, size=101)
    clf = fake_classifier(rows(u))
    results = []
    for chunk_size in (1, 3, 7, 50, 101, 1024):
        indices, info = stream_uncertainty_query(clf, clf.pool, n_instances=9, rng=np.random.default_rng(12),
                                                 threshold=threshold, chunk_size=chunk_size)
        results.append((indices.tolist(), info))
    assert all(r == results[0] for r in results)


def test_chunks_stop_scoring_once_the_budget_is_met(fake_classifier, rows):
    clf = fake_classifier(rows(np.full(100, 0.6)))
    _, info = stream_uncertainty_query(clf, clf.pool, n_instances=3, rng=np.random.default_rng(0),
                                       threshold=0.5, chunk_size=10)
    assert clf.calls == 1 and info["n_inspected"] == 3


def test_seeded_generator_makes_it_deterministic(fake_classifier, rows):
    u = np.random.default_rng(0).uniform(0, 0.9, size=80)
    clf = fake_classifier(rows(u))
    a = stream_uncertainty_query(clf, clf.pool, n_instances=5, rng=np.random.default_rng(1), threshold=0.3)
    b = stream_uncertainty_query(clf, clf.pool, n_instances=5, rng=np.random.default_rng(1), threshold=0.3)
    c = stream_uncertainty_query(clf, clf.pool, n_instances=5, rng=np.random.default_rng(2), threshold=0.3)
    assert a[0].tolist() == b[0].tolist() and a[1] == b[1]
    assert a[0].tolist() != c[0].tolist()
