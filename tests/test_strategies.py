"""Tests of helpers.strategies: the registry, binding, and adding a strategy."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from helpers import strategies
from helpers.config import ConfigError, ProtocolConfig
from helpers.loop import run_active_learning
from helpers.pool import least_confident_query, random_query
from helpers.strategies import STRATEGIES, STUDY_STRATEGIES, Strategy, get_strategy
from helpers.stream import OnePassStream, stream_redraw_query

NAMES = ["random", "least_confident", "margin", "entropy", "stream_uncertainty"]
POOL_QUERIES = ["random", "least_confident", "margin", "entropy", "stream_redraw"]


def test_registry_holds_the_five_strategies_and_the_ablation():
    assert list(STRATEGIES) == NAMES + ["stream_redraw"]
    assert list(STUDY_STRATEGIES) == NAMES
    for name, strategy in STRATEGIES.items():
        assert strategy.name == name
        assert strategy.label
        assert strategy.family in {"random", "pool", "stream"}
    assert [s.family for s in STRATEGIES.values()] == ["random", "pool", "pool", "pool", "stream", "stream"]
    assert [s.ablation for s in STRATEGIES.values()] == [False] * 5 + [True]
    assert STRATEGIES["random"].score is None
    assert all(STRATEGIES[n].score is not None for n in NAMES[1:])
    assert STRATEGIES["stream_uncertainty"].stream is OnePassStream
    assert STRATEGIES["stream_uncertainty"].query is None
    assert all(STRATEGIES[n].stream is None for n in POOL_QUERIES)


def test_registry_labels_match_the_display_labels_of_stats():
    from helpers import stats

    assert {name: s.label for name, s in STRATEGIES.items()} == stats.STRATEGY_LABELS
    assert tuple(STRATEGIES) == stats.STRATEGY_ORDER


def test_the_one_pass_stream_has_no_pool_query():
    with pytest.raises(TypeError, match="one-pass stream, not a pool query"):
        get_strategy("stream_uncertainty").bind(np.random.default_rng(0))


def test_get_strategy():
    assert get_strategy("margin") is STRATEGIES["margin"]
    with pytest.raises(ValueError) as info:
        get_strategy("expected_error")
    message = str(info.value)
    assert "unknown strategy 'expected_error'" in message
    for name in NAMES:
        assert name in message


@pytest.mark.parametrize("name", POOL_QUERIES)
def test_bind_passes_threshold_only_to_the_redrawn_stream(name):
    rng = np.random.default_rng(0)
    bound = get_strategy(name).bind(rng, threshold=0.3)
    assert isinstance(bound, functools.partial)
    assert bound.keywords["rng"] is rng
    if name == "stream_redraw":
        assert bound.func is stream_redraw_query
        assert bound.keywords == {"rng": rng, "threshold": 0.3}
    else:
        assert bound.keywords == {"rng": rng}


def test_bound_strategies_run(fake_classifier, make_uncertainty_rows):
    u = np.linspace(0.0, 0.9, 20)
    clf = fake_classifier(make_uncertainty_rows(u))
    for name in POOL_QUERIES:
        indices, info = get_strategy(name).bind(np.random.default_rng(0), threshold=0.5)(clf, clf.pool, n_instances=3)
        assert len(set(np.asarray(indices).tolist())) == 3, name
        assert isinstance(info, dict)
    # The redrawn stream sees the bound threshold: at 0.85 only rows 19 and 18 pass (u = 0.9, ~0.853).
    _, info = get_strategy("stream_redraw").bind(np.random.default_rng(0), threshold=0.85)(
        clf, clf.pool, n_instances=3)
    assert info["n_fallback"] == 1


def first_rows_query(classifier, X_pool, n_instances=1, rng=None, threshold=None):
    """A toy strategy: the first rows of the (already shuffled) pool."""
    return np.arange(n_instances), {"n_inspected": n_instances}


def test_adding_a_strategy_is_one_entry(monkeypatch, digits):
    with pytest.raises(ConfigError):
        ProtocolConfig(pair="digits_logreg", experiment="small", strategy="first_rows")
    entry = Strategy("first_rows", "First rows", "pool", first_rows_query)
    monkeypatch.setitem(STRATEGIES, "first_rows", entry)

    assert get_strategy("first_rows") is entry
    config = ProtocolConfig(pair="digits_logreg", experiment="small", strategy="first_rows", n_iterations=2, seed=1)
    run = run_active_learning(config, digits, progress=False)
    assert run.rows["n_labeled"].tolist() == [10, 15, 20]
    assert run.rows["strategy"].eq("first_rows").all()
    # The strategy's info is recorded.
    assert run.rows["n_inspected"].tolist()[1:] == [5, 5]
    # It really queried the first rows of the pool it was shown: the seed's shuffled
    # unlabelled pool, whose freed rows the loop refills from the tail (last row first).
    from helpers.loop import prepare

    _, splits = prepare(config, digits)
    expected = splits.unlabeled[:5].tolist() + splits.unlabeled[-5:].tolist()
    assert run.queried.tolist() == expected


def test_strategy_params_are_bound_by_name(monkeypatch):
    seen = {}

    def query(classifier, X_pool, n_instances=1, rng=None, threshold=None):
        seen["threshold"] = threshold
        return np.arange(n_instances), {}

    entry = Strategy("thresholded", "T", "stream", query, params=("threshold",))
    entry.bind(np.random.default_rng(0), threshold=0.7)(None, np.zeros((4, 1)), n_instances=1)
    assert seen == {"threshold": 0.7}


def test_the_module_patches_modal_on_import():
    from modAL.models import learners

    assert getattr(learners.check_X_y, strategies.compat._PATCH_MARK, False)


def test_query_functions_are_the_pool_and_stream_ones():
    assert STRATEGIES["random"].query is random_query
    assert STRATEGIES["least_confident"].query is least_confident_query
    assert STRATEGIES["stream_redraw"].params == ("threshold",)
    assert STRATEGIES["stream_uncertainty"].params == ()
