"""Tests of helpers.splits: sizes of the study's splits, disjointness, stratification, seeds."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.config import EXPERIMENTS, ConfigError
from helpers.splits import Splits, initial_size, make_splits

MNIST_LABELS = np.repeat(np.arange(10), 6000)  # 60,000 balanced labels
CIFAR_LABELS = np.repeat(np.arange(10), 5000)  # 50,000 balanced labels


def split(y, experiment, seed=42):
    rule = EXPERIMENTS[experiment]
    return make_splits(y, rule, seed, per_class=isinstance(rule, int))


@pytest.mark.parametrize(
    "labels, experiment, n_initial",
    [
        (MNIST_LABELS, "small", 10),
        (MNIST_LABELS, "moderate", 7_200),
        (MNIST_LABELS, "large", 38_400),
        (CIFAR_LABELS, "small", 10),
        (CIFAR_LABELS, "moderate", 6_000),
        (CIFAR_LABELS, "large", 32_000),
    ],
)
def test_study_sizes(labels, experiment, n_initial):
    s = split(labels, experiment)
    n_pool = int(len(labels) * 0.8)
    assert s.validation.size == len(labels) - n_pool  # 12,000 / 10,000
    assert s.pool.size == n_pool  # 48,000 / 40,000
    assert s.initial.size == n_initial
    assert s.unlabeled.size == n_pool - n_initial
    s.check(len(labels))


def test_small_has_one_sample_per_class():
    s = split(MNIST_LABELS, "small")
    assert sorted(MNIST_LABELS[s.initial].tolist()) == list(range(10))


def test_sets_are_disjoint_and_cover_the_training_set():
    y = np.random.default_rng(0).integers(0, 10, size=3000)
    for experiment in EXPERIMENTS:
        s = split(y, experiment, seed=3)
        parts = [s.validation, s.initial, s.unlabeled]
        for a in range(3):
            assert len(np.unique(parts[a])) == parts[a].size
            for b in range(a + 1, 3):
                assert np.intersect1d(parts[a], parts[b]).size == 0
        assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(y)))
        assert np.array_equal(s.pool, np.sort(np.concatenate([s.initial, s.unlabeled])))


def test_validation_and_initial_sets_are_stratified():
    y = np.repeat(np.arange(5), [100, 200, 300, 400, 1000])  # imbalanced
    s = make_splits(y, 0.5, seed=1)
    total = np.bincount(y) / len(y)
    assert np.allclose(np.bincount(y[s.validation], minlength=5) / s.validation.size, total, atol=0.005)
    assert np.allclose(np.bincount(y[s.initial], minlength=5) / s.initial.size, total, atol=0.005)
    assert np.allclose(np.bincount(y[s.pool], minlength=5) / s.pool.size, total, atol=0.005)


def test_index_sets_are_sorted_except_the_shuffled_unlabelled_pool():
    s = split(CIFAR_LABELS, "moderate")
    assert np.all(np.diff(s.validation) > 0) and np.all(np.diff(s.initial) > 0)
    assert not np.all(np.diff(s.unlabeled) > 0)


@pytest.mark.parametrize("experiment", list(EXPERIMENTS))
def test_deterministic_per_seed(experiment):
    y = np.random.default_rng(0).integers(0, 10, size=2000)
    a, b, c = split(y, experiment, 5), split(y, experiment, 5), split(y, experiment, 6)
    for name in ("validation", "initial", "unlabeled"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.validation, c.validation)
    assert not np.array_equal(a.initial, c.initial)
    assert not np.array_equal(a.unlabeled, c.unlabeled)


def test_initial_size_rules():
    assert initial_size(1, 48_000, 10, per_class=True) == 10
    assert initial_size(3, 48_000, 10, per_class=True) == 30
    assert initial_size(25, 48_000, 10, per_class=False) == 25
    assert initial_size(0.15, 48_000, 10, per_class=False) == 7_200
    assert initial_size(0.001, 1077, 10, per_class=False) == 1  # rounded, not truncated


def test_integer_count_and_tiny_fraction():
    y = np.repeat(np.arange(10), 50)
    assert make_splits(y, 37, seed=0).initial.size == 37
    assert make_splits(y, 3, seed=0).initial.size == 3  # fewer than the classes: plain random sample


@pytest.mark.parametrize("rule", [400, 401, 10_000])
def test_initial_set_not_smaller_than_the_pool_raises(rule):
    y = np.repeat(np.arange(10), 50)  # pool of 400
    with pytest.raises(ConfigError, match=r"does not fit a pool of 400"):
        make_splits(y, rule, seed=0)


@pytest.mark.parametrize("rule", [0.001, 1, 0.0025])
def test_initial_set_below_two_samples_raises(rule):
    y = np.repeat(np.arange(10), 50)  # pool of 400: 0.001 -> 0 samples, 0.0025 -> 1
    with pytest.raises(ConfigError, match="cannot hold two classes"):
        make_splits(y, rule, seed=0)


def test_single_class_initial_set_raises_before_training():
    # 2 random samples of a pool that is 99 % class 0: some seed draws class 0 twice.
    y = np.concatenate([np.zeros(990, dtype=int), np.ones(10, dtype=int)])
    outcomes = []
    for seed in range(20):
        try:
            make_splits(y, 2, seed=seed)
            outcomes.append("ok")
        except ConfigError as err:
            assert "holds a single class" in str(err) and "larger initial_size" in str(err)
            outcomes.append("single class")
    assert "single class" in outcomes


def test_per_class_rule_with_a_class_too_small_raises():
    y = np.concatenate([np.repeat(np.arange(9), 100), np.full(5, 9)])  # class 9: 4 in the pool
    with pytest.raises(ConfigError, match=r"5 samples per class requested but a class has only 4"):
        make_splits(y, 5, seed=0, per_class=True)
    assert make_splits(y, 4, seed=0, per_class=True).initial.size == 40


def test_check_detects_overlap_and_gaps():
    with pytest.raises(AssertionError):
        Splits(np.array([0, 1]), np.array([1]), np.array([2, 3])).check(4)
    with pytest.raises(AssertionError):
        Splits(np.array([0]), np.array([1]), np.array([3])).check(4)
    ok = Splits(np.array([0]), np.array([1]), np.array([3, 2]))
    assert ok.check(4) is ok
