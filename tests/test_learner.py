"""Tests of helpers.learner: the buffered labelled set behaves like modAL's stacking."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from helpers import compat
from helpers.learner import GROWTH, BufferedActiveLearner


def make_data(n=60, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    return X, y


def test_teach_matches_modal_stacking():
    X, y = make_data()
    plain = compat.active_learner_class()(estimator=LogisticRegression(), X_training=X[:10], y_training=y[:10])
    buffered = BufferedActiveLearner(estimator=LogisticRegression(), X_training=X[:10], y_training=y[:10])
    for start in range(10, 60, 7):  # uneven steps, several buffer growths
        rows = slice(start, min(start + 7, 60))
        plain.teach(X[rows], y[rows])
        buffered.teach(X[rows], y[rows])
        np.testing.assert_array_equal(buffered.X_training, plain.X_training)
        np.testing.assert_array_equal(buffered.y_training, plain.y_training)
        np.testing.assert_allclose(buffered.estimator.coef_, plain.estimator.coef_)
    assert buffered.X_training.dtype == np.float32
    # The labelled set is a view of a buffer with spare room, not a fresh stack.
    assert buffered.X_training.base is buffered._X_buffer
    assert len(buffered._X_buffer) >= len(buffered.X_training)


def test_appending_copies_only_new_rows_until_full():
    X, y = make_data(n=100)
    learner = BufferedActiveLearner(estimator=LogisticRegression(), X_training=X[:40], y_training=y[:40])
    learner.teach(X[40:42], y[40:42])
    buffer = learner._X_buffer
    assert len(buffer) == int(GROWTH * 40)
    learner.teach(X[42:60], y[42:60])  # still fits: same buffer
    assert learner._X_buffer is buffer
    learner.teach(X[60:61], y[60:61])  # full: a larger buffer, contents kept
    assert learner._X_buffer is not buffer
    np.testing.assert_array_equal(learner.X_training, X[:61])
    np.testing.assert_array_equal(learner.y_training, y[:61])


def test_reassigned_training_set_is_respected():
    X, y = make_data()
    learner = BufferedActiveLearner(estimator=LogisticRegression(), X_training=X[:10], y_training=y[:10])
    learner.teach(X[10:15], y[10:15])
    learner.X_training, learner.y_training = X[30:40].copy(), y[30:40].copy()  # replaced from outside
    learner.teach(X[40:45], y[40:45])
    np.testing.assert_array_equal(learner.X_training, X[np.r_[30:40, 40:45]])
    np.testing.assert_array_equal(learner.y_training, y[np.r_[30:40, 40:45]])


def test_wider_dtype_upcasts_like_numpy():
    X, y = make_data()
    learner = BufferedActiveLearner(estimator=LogisticRegression(), X_training=X[:10], y_training=y[:10])
    learner.teach(X[10:12], y[10:12])
    learner.teach(X[12:14].astype(np.float64), y[12:14])
    assert learner.X_training.dtype == np.float64
    np.testing.assert_array_equal(learner.X_training, X[:14].astype(np.float64))


def test_bad_rows_are_rejected():
    X, y = make_data()
    learner = BufferedActiveLearner(estimator=LogisticRegression(), X_training=X[:10], y_training=y[:10])
    with pytest.raises(ValueError, match="dimensions"):
        learner.teach(np.zeros((2, 5), np.float32), y[:2])
    with pytest.raises(ValueError):
        learner.teach(np.full((2, 4), np.nan, np.float32), y[:2])
    np.testing.assert_array_equal(learner.X_training, X[:10])  # nothing was appended


def test_non_array_input_falls_back_to_modal():
    X, y = make_data()
    learner = BufferedActiveLearner(estimator=LogisticRegression(), X_training=X[:10], y_training=y[:10])
    learner.teach(X[10:12].tolist(), y[10:12].tolist())
    assert len(learner.X_training) == 12


def test_query_calls_the_strategy_once_and_lets_errors_through():
    X, y = make_data()
    calls = []

    def interrupted(learner, X_pool, n_instances=1):
        calls.append(1)
        raise KeyboardInterrupt

    learner = BufferedActiveLearner(estimator=LogisticRegression(), query_strategy=interrupted,
                                    X_training=X[:10], y_training=y[:10])
    with pytest.raises(KeyboardInterrupt):
        learner.query(X[10:], n_instances=2)
    assert calls == [1]  # modAL's own query would have called it a second time


def test_query_returns_what_modal_returns():
    X, y = make_data()

    def first(learner, X_pool, n_instances=1):
        return np.arange(n_instances), {"score": 1.0}

    def plain(learner, X_pool, n_instances=1):
        return np.arange(n_instances)

    ours = BufferedActiveLearner(estimator=LogisticRegression(), query_strategy=first, X_training=X[:10],
                                 y_training=y[:10])
    indices, rows, metrics = ours.query(X[10:20], n_instances=3, return_metrics=True)
    assert indices.tolist() == [0, 1, 2] and metrics == {"score": 1.0}
    np.testing.assert_array_equal(rows, X[10:13])
    ours.query_strategy = plain
    indices, rows = ours.query(X[10:20], n_instances=4)
    assert indices.tolist() == [0, 1, 2, 3] and len(rows) == 4
