"""Tests of helpers.stream: the study's one-pass budgeted stream, and the ``stream_redraw`` ablation."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.config import ProtocolConfig
from helpers.loop import prepare, run_active_learning
from helpers.seeding import random_streams
from helpers.stream import STREAM_PARAMS, OnePassStream, stream_redraw_query, uncertainty_percentile


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
        indices, info = stream_redraw_query(clf, clf.pool, n_instances=n, rng=rng, threshold=0.5)
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
    indices, info = stream_redraw_query(clf, clf.pool, n_instances=3, rng=np.random.default_rng(seed),
                                             threshold=0.5)
    assert indices.tolist() == order[arrival[:3]].tolist()  # arrival order
    assert info == {"n_inspected": int(arrival[2]) + 1, "n_fallback": 0}


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("threshold", [0.3, 0.6, 0.85])
def test_matches_instance_by_instance_reference(fake_classifier, rows, seed, threshold):
    u = np.random.default_rng(100 + seed).uniform(0, 0.9, size=60)
    clf = fake_classifier(rows(u))
    expected, inspected, fallback = reference_stream(u, 8, seed, threshold)
    indices, info = stream_redraw_query(clf, clf.pool, n_instances=8, rng=np.random.default_rng(seed),
                                             threshold=threshold)
    assert indices.tolist() == [int(i) for i in expected]
    assert info == {"n_inspected": inspected, "n_fallback": fallback}


def test_threshold_zero_accepts_first_arrivals(fake_classifier, rows):
    u = np.random.default_rng(0).uniform(0, 0.9, size=30)
    clf = fake_classifier(rows(u))
    order = np.random.default_rng(5).permutation(30)
    indices, info = stream_redraw_query(clf, clf.pool, n_instances=4, rng=np.random.default_rng(5), threshold=0.0)
    assert indices.tolist() == order[:4].tolist()
    assert info == {"n_inspected": 4, "n_fallback": 0}


@pytest.mark.parametrize("threshold", [1.0, 0.95])  # max uncertainty with 10 classes is 0.9
def test_dry_stream_fills_with_most_uncertain(fake_classifier, rows, threshold):
    u = np.array([0.1, 0.8, 0.3, 0.85, 0.2, 0.7, 0.05, 0.6])
    clf = fake_classifier(rows(u))
    indices, info = stream_redraw_query(clf, clf.pool, n_instances=3, rng=np.random.default_rng(0),
                                             threshold=threshold)
    assert sorted(indices.tolist()) == [1, 3, 5]
    assert indices.tolist() == [3, 1, 5]  # most uncertain first
    assert info == {"n_inspected": len(u), "n_fallback": 3}


def test_partly_dry_stream(fake_classifier, rows):
    u = np.array([0.1, 0.8, 0.3, 0.85, 0.2, 0.4, 0.05, 0.6])
    clf = fake_classifier(rows(u))
    seed = 4
    order = np.random.default_rng(seed).permutation(len(u))
    indices, info = stream_redraw_query(clf, clf.pool, n_instances=4, rng=np.random.default_rng(seed),
                                             threshold=0.75)
    accepted = [i for i in order if u[i] >= 0.75]  # rows 1 and 3, in arrival order
    assert indices.tolist()[:2] == accepted
    assert indices.tolist()[2:] == [7, 5]  # then the two most uncertain rejected ones
    assert info == {"n_inspected": len(u), "n_fallback": 2}


def test_dry_fill_ties_keep_arrival_order(fake_classifier, rows):
    u = np.full(12, 0.4)
    clf = fake_classifier(rows(u))
    order = np.random.default_rng(9).permutation(12)
    indices, info = stream_redraw_query(clf, clf.pool, n_instances=5, rng=np.random.default_rng(9), threshold=1.0)
    assert indices.tolist() == order[:5].tolist()
    assert info["n_fallback"] == 5


@pytest.mark.parametrize("n", [0, -1, 13])
def test_invalid_n_instances_raises(fake_classifier, rows, n):
    clf = fake_classifier(rows(np.full(12, 0.5)))
    with pytest.raises(ValueError, match="n_instances must be in 1..12"):
        stream_redraw_query(clf, clf.pool, n_instances=n, rng=np.random.default_rng(0))


@pytest.mark.parametrize("threshold", [0.0, 0.5, 0.8, 1.0])
def test_chunk_size_never_changes_the_result(fake_classifier, rows, threshold):
    u = np.random.default_rng(3).uniform(0, 0.9, size=101)
    clf = fake_classifier(rows(u))
    results = []
    for chunk_size in (1, 3, 7, 50, 101, 1024):
        indices, info = stream_redraw_query(clf, clf.pool, n_instances=9, rng=np.random.default_rng(12),
                                                 threshold=threshold, chunk_size=chunk_size)
        results.append((indices.tolist(), info))
    assert all(r == results[0] for r in results)


def test_chunks_stop_scoring_once_the_budget_is_met(fake_classifier, rows):
    clf = fake_classifier(rows(np.full(100, 0.6)))
    _, info = stream_redraw_query(clf, clf.pool, n_instances=3, rng=np.random.default_rng(0),
                                       threshold=0.5, chunk_size=10)
    assert clf.calls == 1 and info["n_inspected"] == 3


def test_seeded_generator_makes_it_deterministic(fake_classifier, rows):
    u = np.random.default_rng(0).uniform(0, 0.9, size=80)
    clf = fake_classifier(rows(u))
    a = stream_redraw_query(clf, clf.pool, n_instances=5, rng=np.random.default_rng(1), threshold=0.3)
    b = stream_redraw_query(clf, clf.pool, n_instances=5, rng=np.random.default_rng(1), threshold=0.3)
    c = stream_redraw_query(clf, clf.pool, n_instances=5, rng=np.random.default_rng(2), threshold=0.3)
    assert a[0].tolist() == b[0].tolist() and a[1] == b[1]
    assert a[0].tolist() != c[0].tolist()


# --------------------------------------------------------------------------- one-pass stream
class DriftingClassifier:
    """Scores instance ``i`` (a row holding ``i``) with a table of its current ``version``.

    ``drain`` bumps the version after every query, as fine-tuning changes a model between
    queries, so an instance inspected again would get another score.
    """

    def __init__(self, n, n_classes=10):
        self.n, self.n_classes = n, n_classes
        self.version = 0

    def predict_proba(self, X):
        logits = np.random.default_rng(self.version).normal(size=(self.n, self.n_classes)) * 3
        table = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return table[np.asarray(X)[:, 0].astype(int)]


def drain(stream, clf, X, n_instances, n_iterations):
    """Run ``n_iterations`` queries, changing the model between them; return (batches, infos)."""
    batches, infos = [], []
    for _ in range(n_iterations):
        chosen, info = stream.query(clf, X, n_instances)
        batches.append(chosen)
        infos.append(info)
        if hasattr(clf, "version"):
            clf.version += 1
    return batches, infos


@pytest.mark.parametrize("n_instances, n_iterations", [(5, 20), (25, 8), (1, 100)])
def test_one_pass_every_instance_arrives_once_and_the_budget_is_met(n_instances, n_iterations):
    n = 1000
    X = np.arange(n)[:, None]
    pool = np.arange(100, n)  # training-set indices of the unlabelled pool
    stream = OnePassStream(pool, n_instances * n_iterations, np.random.default_rng(3))
    assert sorted(stream.order.tolist()) == pool.tolist()  # a permutation of the pool
    batches, infos = drain(stream, DriftingClassifier(n), X, n_instances, n_iterations)
    labelled = np.concatenate(batches)
    # Exactly the pool strategies' label count, every query.
    assert [b.size for b in batches] == [n_instances] * n_iterations
    assert np.unique(labelled).size == labelled.size
    consumed = stream.order[: stream.position]
    # Labels come from the arrivals in arrival order; discarded arrivals are never labelled later.
    assert np.array_equal(labelled, consumed[np.isin(consumed, labelled)])
    for k, batch in enumerate(batches):
        start = sum(i["n_inspected"] for i in infos[:k])
        window = stream.order[start : start + infos[k]["n_inspected"]]
        assert np.isin(batch, window).all()  # a query labels only what arrived during it
        assert batch[-1] == window[-1]  # and ends with its last label
    assert sum(i["n_inspected"] for i in infos) == stream.position <= pool.size
    summary = stream.summary()
    assert summary["labels_obtained"] == n_instances * n_iterations and summary["shortfall"] == 0
    assert summary["discarded"] == stream.position - labelled.size
    assert summary["arrivals_unused"] == pool.size - stream.position


def test_one_pass_spreads_the_arrivals_over_the_run():
    n, n_instances, n_iterations = 5000, 10, 25
    stream = OnePassStream(np.arange(n), n_instances * n_iterations, np.random.default_rng(0))
    _, infos = drain(stream, DriftingClassifier(n), np.arange(n)[:, None], n_instances, n_iterations)
    per_query = np.array([i["n_inspected"] for i in infos])
    # The label rate is held at the budget (250 labels for 5,000 arrivals): about 200
    # arrivals per query, and most of the stream is read by the end of the run.
    assert 0.8 * n <= per_query.sum() <= n
    assert np.median(per_query) == pytest.approx(n / n_iterations, rel=0.5)
    assert all(0 < i["budget_rate"] <= 1 for i in infos)


def test_one_pass_prefers_uncertain_arrivals(make_uncertainty_rows):
    rng = np.random.default_rng(1)
    u = np.where(rng.random(4000) < 0.2, 0.85, 0.05)  # 20 % uncertain instances
    table = make_uncertainty_rows(u)

    class Fixed:
        def predict_proba(self, X):
            return table[np.asarray(X)[:, 0].astype(int)]

    stream = OnePassStream(np.arange(4000), 200, np.random.default_rng(2))
    batches, _ = drain(stream, Fixed(), np.arange(4000)[:, None], 10, 20)
    labelled = np.concatenate(batches)
    consumed = stream.order[: stream.position]
    discarded = np.setdiff1d(consumed, labelled)
    # Uncertain arrivals are labelled at well above their 20 % base rate (the window budget
    # and the drifting threshold let some certain ones through as well).
    assert np.mean(u[labelled] > 0.5) > 1.5 * np.mean(u[discarded] > 0.5)
    assert np.mean(u[labelled] > 0.5) > 0.3


def test_one_pass_chunk_size_never_changes_the_decisions():
    n = 3000
    outcomes = []
    for chunk_size in (1, 7, 64, 1024, 10_000):
        stream = OnePassStream(np.arange(n), 150, np.random.default_rng(5), chunk_size=chunk_size)
        batches, infos = drain(stream, DriftingClassifier(n), np.arange(n)[:, None], 15, 10)
        outcomes.append(([b.tolist() for b in batches], [i["n_inspected"] for i in infos],
                         [i["theta"] for i in infos]))
    assert all(o == outcomes[0] for o in outcomes[1:])


def test_one_pass_matches_scikit_activeml_fed_one_arrival_at_a_time():
    """Reference: the budget manager alone, one arrival per call, re-paced before every query."""
    from skactiveml.stream.budgetmanager import VariableUncertaintyBudgetManager

    n, q, iters = 2000, 8, 12
    clf = DriftingClassifier(n)
    stream = OnePassStream(np.arange(n), q * iters, np.random.default_rng(9))
    batches, _ = drain(stream, clf, np.arange(n)[:, None], q, iters)

    order = np.random.default_rng(9).permutation(n)
    manager = VariableUncertaintyBudgetManager(theta=STREAM_PARAMS["theta"], s=STREAM_PARAMS["step"],
                                               w=STREAM_PARAMS["window"])
    reference_clf, position, expected = DriftingClassifier(n), 0, []
    for _ in range(iters):
        manager.budget = min(1.0, (q * iters - sum(map(len, expected))) / (n - position))
        batch = []
        while len(batch) < q:
            index = order[position]
            reference_clf.version = len(expected)  # the model changes only between queries
            u = 1 - reference_clf.predict_proba(np.array([[index]])).max()
            queried = manager.query_by_utility(np.array([u]))
            manager.update(np.empty((1, 0)), queried)
            position += 1
            if queried:
                batch.append(index)
        expected.append(batch)
    assert [b.tolist() for b in batches] == expected


def test_one_pass_deadline_forces_the_remaining_arrivals(make_uncertainty_rows):
    # A certain model: the threshold alone would label little, but 60 labels are due
    # from 60 arrivals, so every arrival is labelled and counted as forced.
    table = make_uncertainty_rows(np.zeros(60))

    class Certain:
        def predict_proba(self, X):
            return table[np.asarray(X)[:, 0].astype(int)]

    stream = OnePassStream(np.arange(60), 60, np.random.default_rng(0))
    batches, infos = drain(stream, Certain(), np.arange(60)[:, None], 20, 3)
    assert [b.size for b in batches] == [20, 20, 20]
    assert [i["n_fallback"] for i in infos] == [20, 20, 20]
    assert stream.summary()["labels_forced"] == 60 and stream.arrivals_left == 0


def test_one_pass_budget_beyond_the_arrivals_is_capped_and_reported():
    # CIFAR-10 ``large`` in miniature: 80 arrivals for 5 x 25 = 125 requested labels.
    stream = OnePassStream(np.arange(80), 125, np.random.default_rng(0))
    batches, infos = drain(stream, DriftingClassifier(80), np.arange(80)[:, None], 25, 5)
    assert [b.size for b in batches] == [25, 25, 25, 5, 0]
    assert sorted(np.concatenate(batches).tolist()) == list(range(80))
    summary = stream.summary()
    assert summary["labels_budget"] == 80 and summary["labels_obtained"] == 80
    assert summary["shortfall"] == 45 and summary["labels_forced"] == 80 and summary["discarded"] == 0
    assert infos[-1]["n_inspected"] == 0


def test_one_pass_is_seeded():
    runs = []
    for seed in (4, 4, 5):
        stream = OnePassStream(np.arange(500), 50, np.random.default_rng(seed))
        batches, _ = drain(stream, DriftingClassifier(500), np.arange(500)[:, None], 10, 5)
        runs.append(np.concatenate(batches).tolist())
    assert runs[0] == runs[1] != runs[2]


@pytest.mark.parametrize("kwargs, message", [
    ({"indices": np.array([], dtype=int)}, "non-empty"),
    ({"n_labels": 0}, "n_labels must be a positive integer"),
    ({"chunk_size": 0}, "chunk_size must be a positive integer"),
])
def test_one_pass_bad_arguments(kwargs, message):
    args = {"indices": np.arange(10), "n_labels": 5, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(ValueError, match=message):
        OnePassStream(**args)


@pytest.mark.parametrize("pair, n_iterations", [("digits_logreg", 20), ("digits_cnn", 3)])
def test_one_pass_in_the_loop_on_the_digits_pairs(pair, n_iterations, digits):
    cfg = ProtocolConfig(pair=pair, experiment="small", strategy="stream_uncertainty", seed=3,
                         n_iterations=n_iterations)
    run = run_active_learning(cfg, digits, progress=False)
    margin = run_active_learning(cfg.replace(strategy="margin"), digits, progress=False)
    # The same label count as a pool strategy, iteration by iteration.
    assert run.rows["n_labeled"].tolist() == margin.rows["n_labeled"].tolist()
    _, splits = prepare(cfg, digits)
    order = OnePassStream(splits.unlabeled, cfg.query_size * n_iterations,
                          random_streams(cfg.seed).generator("strategy")).order
    consumed = order[: int(run.rows["n_inspected"].sum())]
    # Every label came from an arrival, in arrival order; each instance arrived at most once,
    # and no discarded arrival was labelled later.
    assert np.array_equal(run.queried, consumed[np.isin(consumed, run.queried)])
    assert run.meta["stream"]["arrivals_consumed"] == consumed.size
    assert run.meta["stream"]["labels_obtained"] == run.queried.size == cfg.query_size * n_iterations


# --------------------------------------------------------------------------- selectivity columns
def test_uncertainty_percentile_hand_computed():
    population = [0.1, 0.2, 0.2, 0.4]
    # 0.4: 3 below, none tied but itself -> (3 + 1/2) / 4; 0.2: 1 below, 2 tied -> (1 + 1) / 4.
    assert uncertainty_percentile([0.4, 0.2, 0.1], population).tolist() == [0.875, 0.5, 0.125]
    # Labelling every arrival is random sampling: the mean percentile is exactly 0.5.
    assert np.mean(uncertainty_percentile(population, population)) == 0.5
    assert uncertainty_percentile([0.3], [0.3, 0.3, 0.3]).tolist() == [0.5]
    with pytest.raises(ValueError, match="empty"):
        uncertainty_percentile([0.1], [])


def scripted_stream(make_uncertainty_rows, uncertainties, n_arrivals, n_labels, **params):
    """A stream whose k-th arrival has uncertainty ``uncertainties[k]`` (the rest 0), and its classifier."""
    stream = OnePassStream(np.arange(n_arrivals), n_labels, np.random.default_rng(0), **params)
    u = np.zeros(n_arrivals)
    u[stream.order[: len(uncertainties)]] = uncertainties
    table = make_uncertainty_rows(u)

    class Fixed:
        def predict_proba(self, X):
            return table[np.asarray(X)[:, 0].astype(int)]

    return stream, Fixed()


def test_discard_causes_on_a_scripted_sequence(make_uncertainty_rows):
    # theta = 0.5, step 0.1, window 4; 2 labels from 20 arrivals: budget rate 0.1, so labelling
    # is allowed while u_t / 4 < 0.1, i.e. u_t < 0.4 (u_t: u_t * 3/4 + labelled, from 0).
    #   1: confidence 0.9 >= 0.5           -> discarded for confidence, theta 0.5 * 1.1 = 0.55
    #   2: confidence 0.3 <  0.55          -> labelled, theta 0.55 * 0.9 = 0.495, u_t = 1
    #   3-6: u_t = 1, .75, .5625, .421875  -> discarded for budget though very uncertain; theta stays
    #   7: u_t = .31640625, conf 0.8 >= theta -> discarded for confidence, theta 0.495 * 1.1 = 0.5445
    #   8: confidence 0.2 < 0.5445         -> labelled; the query has its 2 labels
    u = [0.1, 0.7, 0.85, 0.85, 0.85, 0.85, 0.2, 0.8]
    stream, clf = scripted_stream(make_uncertainty_rows, u, 20, 2, theta=0.5, step=0.1, window=4)
    chosen, info = stream.query(clf, np.arange(20)[:, None], 2)
    assert chosen.tolist() == [stream.order[1], stream.order[7]]
    assert info["n_inspected"] == 8 and info["n_fallback"] == 0
    assert info["n_discarded_budget"] == 4 and info["n_discarded_confidence"] == 2
    assert info["budget_rate"] == 0.1
    assert info["theta"] == pytest.approx(0.5 * 1.1 * 0.9 * 1.1 * 0.9)
    # Labelled 0.7 and 0.8 among [0.1, 0.2, 0.7, 0.8, 0.85 x 4]: (2 + 1/2) / 8 and (3 + 1/2) / 8.
    assert info["labeled_uncertainty_percentile"] == pytest.approx((2.5 / 8 + 3.5 / 8) / 2)


def test_forced_labels_are_not_discards(make_uncertainty_rows):
    # Every arrival is due (deadline rule): nothing is discarded, the percentile is that of random.
    stream, clf = scripted_stream(make_uncertainty_rows, [0.0, 0.3, 0.1, 0.5], 4, 4)
    chosen, info = stream.query(clf, np.arange(4)[:, None], 4)
    assert chosen.size == 4 and info["n_fallback"] == 4
    assert info["n_discarded_budget"] == info["n_discarded_confidence"] == 0
    assert info["labeled_uncertainty_percentile"] == 0.5


def test_discard_causes_agree_with_scikit_activeml():
    """Replay the stream through the library alone and classify each discard by what it did to
    ``theta_``: a confidence-based discard raises it, a budget-based one leaves it unchanged."""
    from skactiveml.stream.budgetmanager import VariableUncertaintyBudgetManager

    n, q, iters = 3000, 10, 15
    stream = OnePassStream(np.arange(n), q * iters, np.random.default_rng(4))
    _, infos = drain(stream, DriftingClassifier(n), np.arange(n)[:, None], q, iters)
    assert sum(i["n_discarded_confidence"] for i in infos) > 0 < sum(i["n_discarded_budget"] for i in infos)

    order = np.random.default_rng(4).permutation(n)
    manager = VariableUncertaintyBudgetManager(theta=STREAM_PARAMS["theta"], s=STREAM_PARAMS["step"],
                                               w=STREAM_PARAMS["window"])
    clf, position, n_labelled = DriftingClassifier(n), 0, 0
    for k, info in enumerate(infos):
        clf.version = k
        manager.budget = min(1.0, (q * iters - n_labelled) / (n - position))
        counts, labelled, arrived = {"budget": 0, "confidence": 0}, [], []
        while len(labelled) < q:
            u = 1 - clf.predict_proba(np.array([[order[position]]])).max()
            queried = manager.query_by_utility(np.array([u]))
            before = manager.theta_
            manager.update(np.empty((1, 0)), queried)
            position += 1
            arrived.append(u)
            if queried:
                labelled.append(u)
            elif manager.theta_ > before:
                counts["confidence"] += 1
            else:
                assert manager.theta_ == before
                counts["budget"] += 1
        n_labelled += q
        assert (info["n_discarded_budget"], info["n_discarded_confidence"]) == (counts["budget"],
                                                                                counts["confidence"])
        assert info["theta"] == manager.theta_
        assert info["labeled_uncertainty_percentile"] == pytest.approx(
            np.mean([np.mean(np.less(arrived, x)) + np.mean(np.equal(arrived, x)) / 2 for x in labelled]))
