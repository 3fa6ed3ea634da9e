"""Noise floors: how large a difference the protocol produces when no strategy is at work.

Two measured floors, beside which the strategies' small effects should be read:

- **Same labelled set** (:func:`exhausted_spread`). Where the pool runs out before the
  query budget (CIFAR-10 ``large`` at 250 x 50), every strategy of a seed ends with the
  whole pool labelled: the final models saw the same images and differ only through the
  order in which the labels arrived (and the fine-tuning that followed it). The spread of
  their final accuracies within a seed is the part of a final-accuracy difference that no
  choice of images can explain.
- **Random drift** (:func:`random_drift`). Random sampling adds labels drawn from the pool's
  own distribution, so the model should not get worse; where the update rule is not run to
  convergence it can. The change of random sampling's test accuracy from the first to the
  last evaluation, and the seeds on which it falls, show how far the update rule moves a
  model that more data should leave as good or better.

Pure functions of :func:`helpers.stats.per_run_metrics` rows and run JSONs
(:func:`helpers.stats.loading.load_run_meta`); imports only numpy, pandas,
:mod:`helpers.stats.naming` and :func:`helpers.stats.metrics.accuracy_change`.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

from helpers.stats.metrics import accuracy_change
from helpers.stats.naming import REFERENCE_STRATEGY

#: Columns of :func:`exhausted_spread`.
SPREAD_COLUMNS = ["pair", "experiment", "n_seeds", "n_strategies", "spread_min", "spread_mean", "spread_max"]

#: Columns of :func:`random_drift`.
DRIFT_COLUMNS = ["pair", "experiment", "n_seeds", "initial_accuracy", "final_accuracy", "drift", "n_declined"]


def _pool_exhausted(meta: Iterable[dict]) -> set[tuple]:
    """(pair, experiment, strategy, seed) of every run that stopped because its pool was labelled."""
    return {(m["pair"], m["experiment"], m["strategy"], int(m["seed"])) for m in meta
            if m.get("stopped_early") and str(m.get("stop_reason") or "").startswith("pool exhausted")}


def exhausted_spread(per_run: pd.DataFrame, meta: Iterable[dict]) -> pd.DataFrame:
    """Spread of final accuracy within a seed where every strategy ended on the whole pool.

    Parameters
    ----------
    per_run
        Output of :func:`helpers.stats.per_run_metrics`.
    meta
        Run JSONs (:func:`helpers.stats.loading.load_run_meta`), for ``stopped_early`` and
        ``stop_reason``.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment) in which every run of every strategy stopped with its
        pool exhausted, columns :data:`SPREAD_COLUMNS`: per seed the range (max - min) of the
        strategies' final accuracies (fractions), over the seeds that have at least two
        strategies; its smallest, mean and largest value. Empty when no experiment qualifies.
    """
    exhausted = _pool_exhausted(meta)
    rows = []
    for (pair, experiment), block in per_run.groupby(["pair", "experiment"], sort=False):
        keys = zip(block["pair"], block["experiment"], block["strategy"], block["seed"].astype(int))
        if not all(k in exhausted for k in keys):
            continue
        ranges = [float(g["final_accuracy"].max() - g["final_accuracy"].min())
                  for _, g in block.groupby("seed") if len(g) >= 2]
        if not ranges:
            continue
        rows.append([pair, experiment, len(ranges), int(block["strategy"].nunique()),
                     min(ranges), float(np.mean(ranges)), max(ranges)])
    return pd.DataFrame(rows, columns=SPREAD_COLUMNS)


def random_drift(per_run: pd.DataFrame, reference: str = REFERENCE_STRATEGY) -> pd.DataFrame:
    """How random sampling's test accuracy changes from the first to the last evaluation.

    Parameters
    ----------
    per_run
        Output of :func:`helpers.stats.per_run_metrics`.
    reference
        The strategy whose drift is measured (random sampling).

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment) with runs of ``reference``, columns
        :data:`DRIFT_COLUMNS`: the means over seeds of the initial and final accuracy, their
        mean paired difference ``drift`` (final - initial, fractions) and ``n_declined``, the
        seeds whose final accuracy is below their initial one.
    """
    runs = per_run[per_run["strategy"] == reference]
    rows = []
    for (pair, experiment), block in runs.groupby(["pair", "experiment"], sort=False):
        rows.append([pair, experiment, int(block["seed"].nunique()), float(block["initial_accuracy"].mean()),
                     float(block["final_accuracy"].mean()), *accuracy_change(block)])
    return pd.DataFrame(rows, columns=DRIFT_COLUMNS)
