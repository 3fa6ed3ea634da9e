"""Index sets of a run: validation hold-out, training pool, initial labelled set.

All index sets point into the official training set of a :class:`helpers.data.Dataset`;
the official test set is used as it is. For a given seed the sets are fixed, so every
strategy of that seed starts from the same pool and the same initial labelled set (which
is what makes the paired comparison across strategies valid).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from helpers.config import VALIDATION_FRACTION, ConfigError
from helpers.seeding import random_streams


@dataclass(frozen=True)
class Splits:
    """Disjoint index sets into the official training set.

    Attributes
    ----------
    validation : ndarray of int
        Held-out validation indices (not used by the active-learning loop).
    initial : ndarray of int
        The initial labelled set, a subset of the pool.
    unlabeled : ndarray of int
        The rest of the pool, from which strategies query.
    """

    validation: np.ndarray
    initial: np.ndarray
    unlabeled: np.ndarray

    @property
    def pool(self) -> np.ndarray:
        """All training-pool indices (initial and unlabelled), sorted."""
        return np.sort(np.concatenate([self.initial, self.unlabeled]))

    def check(self, n_train: int) -> "Splits":
        """Assert the sets are disjoint, duplicate-free and cover ``range(n_train)``; return self."""
        parts = (self.validation, self.initial, self.unlabeled)
        allidx = np.concatenate(parts)
        assert allidx.size == n_train, f"index sets cover {allidx.size} of {n_train} training samples"
        assert np.array_equal(np.sort(allidx), np.arange(n_train)), "index sets overlap or leave gaps"
        return self


def initial_size(rule: int | float, n_pool: int, n_classes: int, per_class: bool) -> int:
    """Return the size of the initial labelled set for a rule.

    Parameters
    ----------
    rule : int or float
        With ``per_class`` an int number of samples per class; otherwise an int count or a
        float fraction of the pool.

    Returns
    -------
    int
        The number of initial labelled samples (rounded to the nearest integer).
    """
    if per_class:
        return int(rule) * n_classes
    if isinstance(rule, numbers.Integral):
        return int(rule)
    return int(round(rule * n_pool))


def make_splits(
    y_train: np.ndarray,
    rule: int | float,
    seed: int,
    *,
    per_class: bool = False,
    validation_fraction: float = VALIDATION_FRACTION,
) -> Splits:
    """Split the training set into validation, initial labelled set and unlabelled pool.

    The validation set is a stratified ``validation_fraction`` of the training set, drawn
    from the seed's ``split`` stream. The initial set is, with ``per_class``, ``rule``
    random samples of every class (the ``small`` experiment); otherwise a stratified
    random subset of the pool of the size ``rule`` gives (``moderate`` and ``large``). It
    and the order of the unlabelled pool come from the seed's ``initial`` stream (see
    :mod:`helpers.seeding`).

    Returns
    -------
    Splits
        Disjoint index sets, checked.

    Raises
    ------
    ConfigError
        When the initial set cannot be drawn: larger than the pool, leaving nothing to
        query, more samples per class than a class has, or holding a single class (no
        classifier can be trained on one class).
    """
    y_train = np.asarray(y_train)
    n_train = y_train.shape[0]
    everything = np.arange(n_train)
    streams = random_streams(seed)
    pool, validation = train_test_split(
        everything, test_size=validation_fraction, random_state=streams.integer_seed("split"), stratify=y_train
    )
    classes, counts = np.unique(y_train[pool], return_counts=True)
    size = initial_size(rule, pool.size, classes.size, per_class)
    if size >= pool.size:
        raise ConfigError(
            f"initial labelled set of {size} samples does not fit a pool of {pool.size} "
            "(at least one unlabelled sample must remain to query)"
        )
    if size < 2:
        raise ConfigError(
            f"initial labelled set of {size} sample(s) (rule {rule!r}, pool {pool.size}) cannot hold two "
            "classes; the model needs at least two classes to be trained"
        )
    rng = streams.generator("initial")
    if per_class:
        if counts.min() < rule:
            raise ConfigError(f"{rule} samples per class requested but a class has only {counts.min()} in the pool")
        initial = np.concatenate(
            [rng.choice(pool[y_train[pool] == c], size=int(rule), replace=False) for c in classes]
        )
    else:
        # Stratify when every class can be represented; a tiny initial set falls back to
        # a plain random sample.
        stratify = y_train[pool] if size >= classes.size and pool.size - size >= classes.size else None
        initial, _ = train_test_split(pool, train_size=size, random_state=int(rng.integers(2**32)),
                                      stratify=stratify)
    n_initial_classes = np.unique(y_train[initial]).size
    if n_initial_classes < 2:
        raise ConfigError(
            f"the initial labelled set of {size} samples drawn for seed {seed} holds a single class; "
            "the model needs at least two classes: use a larger initial_size"
        )
    unlabeled = np.setdiff1d(pool, initial)
    # The pool order is shuffled once per seed so that nothing depends on file order.
    unlabeled = rng.permutation(unlabeled)
    return Splits(np.sort(validation), np.sort(initial), unlabeled).check(n_train)
