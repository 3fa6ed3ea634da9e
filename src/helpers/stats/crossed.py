"""The crossed design: which factor (model, data, query schedule) changes what a strategy gains.

Five cells answer the shallow-versus-deep question one factor at a time
(:data:`CROSSED_CELLS`): logistic regression and the CNN on MNIST and on CIFAR-10, all at the
CNN's query schedule (250 labels x 50 queries, a 10,000-image pool subset scored per query),
plus the study's MNIST cell at its own schedule (5 x 250, whole pool), which differs from
``mnist_logreg_b250`` in the schedule alone.

A strategy's *gain* in a run is its AULC minus random sampling's AULC for the same seed in
the same cell (AULC points, as fractions). The effects contrast gains:

``model``       gain(CNN on D) - gain(logistic regression on D), for each dataset D. The two
                cells share the split and the initial labelled set of a seed, so the
                difference is paired by seed (paired t interval over the common seeds).
``data``        gain(M on CIFAR-10) - gain(M on MNIST), for each model M. Different data, so
                the two cells' gains are independent samples (Welch interval).
``interaction`` model effect on CIFAR-10 minus model effect on MNIST: two independent paired
                differences (Welch interval on their difference).
``schedule``    gain(mnist_logreg_b250) - gain(mnist_logreg): same model, data, split and
                initial set, other schedule; paired by seed.

:func:`bootstrap_best` says how sure the best strategy of a cell is: the share of seed
resamples in which each strategy has the best mean AULC rank.

Pure functions of :func:`helpers.stats.metrics.per_run_metrics` frames; imports only
:mod:`helpers.stats` siblings.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd
import scipy.stats as sps

from helpers.stats.inference import rank_blocks
from helpers.stats.naming import REFERENCE_STRATEGY

#: The cells of the crossed design: pair -> (model, dataset, schedule).
CROSSED_CELLS: dict[str, tuple[str, str, str]] = {
    "mnist_logreg_b250": ("logreg", "mnist", "b250"),
    "cifar10_logreg": ("logreg", "cifar10", "b250"),
    "mnist_cnn": ("cnn", "mnist", "b250"),
    "cifar10_cnn": ("cnn", "cifar10", "b250"),
    "mnist_logreg": ("logreg", "mnist", "b5"),
}

#: Columns of :func:`crossed_effects`.
EFFECT_COLUMNS = ["effect", "level", "experiment", "strategy", "estimate", "ci_low", "ci_high", "n_a", "n_b",
                  "paired", "contrast"]

#: Columns of :func:`bootstrap_best`.
BOOTSTRAP_COLUMNS = ["pair", "experiment", "strategy", "mean_rank", "p_best", "n_seeds", "n_resamples"]


def seed_gains(per_run: pd.DataFrame, metric: str = "aulc", reference: str = REFERENCE_STRATEGY) -> pd.DataFrame:
    """Return every run's gain over the reference strategy of the same cell and seed.

    Returns
    -------
    DataFrame
        Columns pair, experiment, strategy, seed, gain (``metric`` minus the reference's);
        runs without a reference run of the same seed are left out, and so is the reference.
    """
    base = per_run[per_run["strategy"] == reference][["pair", "experiment", "seed", metric]]
    merged = per_run[per_run["strategy"] != reference].merge(base, on=["pair", "experiment", "seed"],
                                                             suffixes=("", "_ref"))
    merged["gain"] = merged[metric] - merged[f"{metric}_ref"]
    return merged[["pair", "experiment", "strategy", "seed", "gain"]].reset_index(drop=True)


def paired_differences(a: Mapping[int, float], b: Mapping[int, float]) -> np.ndarray:
    """Return ``a[s] - b[s]`` for the seeds ``s`` both have, in seed order."""
    return np.array([a[s] - b[s] for s in sorted(set(a) & set(b))], dtype=float)


def paired_interval(a: Mapping[int, float], b: Mapping[int, float], confidence: float = 0.95
                    ) -> tuple[float, float, float, int]:
    """Return the mean of ``a[s] - b[s]`` over the common seeds ``s``, with a paired t interval.

    Returns
    -------
    (estimate, low, high, n)
        NaN interval with fewer than two common seeds; NaN estimate with none.
    """
    d = paired_differences(a, b)
    n = d.size
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    mean = float(d.mean())
    if n < 2:
        return mean, float("nan"), float("nan"), n
    half = float(sps.t.ppf(0.5 + confidence / 2, n - 1) * d.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def welch_interval(means: Iterable[float], variances: Iterable[float], dfs: Iterable[float],
                   signs: Iterable[float], confidence: float = 0.95) -> tuple[float, float, float]:
    """Return a signed sum of independent means with a Welch-Satterthwaite t interval.

    Parameters
    ----------
    means, variances, dfs, signs
        Per component: its mean, the variance *of that mean* (s^2 / n), its degrees of
        freedom (n - 1) and its sign in the sum (+1 or -1).

    Returns
    -------
    (estimate, low, high)
        NaN interval when a component has no variance estimate.
    """
    means, variances, dfs, signs = (np.asarray(list(x), dtype=float) for x in (means, variances, dfs, signs))
    estimate = float(np.sum(signs * means))
    var = float(np.sum(variances))
    if not np.all(np.isfinite(variances)) or np.any(dfs < 1) or var == 0:
        return estimate, float("nan"), float("nan")
    df = var ** 2 / float(np.sum(variances ** 2 / dfs))
    half = float(sps.t.ppf(0.5 + confidence / 2, df) * np.sqrt(var))
    return estimate, estimate - half, estimate + half


def excludes_zero(low, high):
    """Return whether an interval lies wholly on one side of zero.

    Parameters
    ----------
    low, high
        The interval's bounds: scalars, or arrays / Series of equal length (element-wise).

    Returns
    -------
    bool or numpy.ndarray of bool
        True where ``low > 0`` or ``high < 0``; False where the interval contains zero, touches
        it, or has a missing (NaN) bound.
    """
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    result = np.isfinite(low) & np.isfinite(high) & ((low > 0) | (high < 0))
    return bool(result) if result.ndim == 0 else result


def _mean_var(values: np.ndarray) -> tuple[float, float, float]:
    """Mean, variance of the mean and degrees of freedom of a sample."""
    n = values.size
    if n < 2:
        return (float(values.mean()) if n else float("nan")), float("nan"), float(max(n - 1, 0))
    return float(values.mean()), float(values.var(ddof=1) / n), float(n - 1)


def crossed_effects(per_run: pd.DataFrame, metric: str = "aulc", strategies: Iterable[str] | None = None,
                    cells: Mapping[str, tuple[str, str, str]] | None = None,
                    confidence: float = 0.95) -> pd.DataFrame:
    """Return the model, data, interaction and schedule effects on each strategy's gain.

    Parameters
    ----------
    per_run
        :func:`helpers.stats.metrics.per_run_metrics` of the cells' runs.
    metric
        The per-run metric whose gain over random sampling is contrasted.
    strategies
        Strategies reported (default: every non-reference strategy present).
    cells
        pair -> (model, dataset, schedule); default :data:`CROSSED_CELLS`. The models are
        ``logreg`` and ``cnn``, the datasets ``mnist`` and ``cifar10``, the schedules
        ``b250`` (the crossed schedule) and ``b5`` (the study's MNIST schedule).

    Returns
    -------
    DataFrame
        Columns :data:`EFFECT_COLUMNS`: ``effect`` (model, data, interaction, schedule),
        ``level`` (the dataset of a model effect, the model of a data effect, ``all`` or
        ``logreg/mnist``), ``estimate`` with its interval, ``n_a``/``n_b`` (seeds of the two
        sides), ``paired`` and ``contrast`` (which cells, as text). Effects whose cells have
        no runs are left out.
    """
    cells = dict(CROSSED_CELLS if cells is None else cells)
    gains = seed_gains(per_run, metric)
    if strategies is None:
        strategies = [s for s in dict.fromkeys(gains["strategy"])]
    by_cell = {(cell, e, s): dict(zip(g["seed"], g["gain"]))
               for (cell, e, s), g in gains.groupby(["pair", "experiment", "strategy"], sort=False)}
    where = {spec: pair for pair, spec in cells.items()}
    experiments = list(dict.fromkeys(gains["experiment"]))
    rows = []

    def cell(model, dataset, schedule="b250"):
        return where.get((model, dataset, schedule))

    for experiment in experiments:
        for strategy in strategies:
            def g(pair):
                return by_cell.get((pair, experiment, strategy), {}) if pair else {}

            paired_model = {}
            for dataset in ("mnist", "cifar10"):
                deep, shallow = cell("cnn", dataset), cell("logreg", dataset)
                if g(deep) and g(shallow):
                    est, lo, hi, n = paired_interval(g(deep), g(shallow), confidence)
                    paired_model[dataset] = paired_differences(g(deep), g(shallow))
                    rows.append(["model", dataset, experiment, strategy, est, lo, hi, n, n, True,
                                 f"{deep} - {shallow}"])
            for model in ("logreg", "cnn"):
                a, b = cell(model, "cifar10"), cell(model, "mnist")
                if g(a) and g(b):
                    va, vb = (np.array(list(g(x).values()), dtype=float) for x in (a, b))
                    (ma, sa, da), (mb, sb, db) = _mean_var(va), _mean_var(vb)
                    est, lo, hi = welch_interval([ma, mb], [sa, sb], [da, db], [1, -1], confidence)
                    rows.append(["data", model, experiment, strategy, est, lo, hi, va.size, vb.size, False,
                                 f"{a} - {b}"])
            if len(paired_model) == 2:
                (mc, sc, dc), (mm, sm, dm) = _mean_var(paired_model["cifar10"]), _mean_var(paired_model["mnist"])
                est, lo, hi = welch_interval([mc, mm], [sc, sm], [dc, dm], [1, -1], confidence)
                rows.append(["interaction", "all", experiment, strategy, est, lo, hi, paired_model["cifar10"].size,
                             paired_model["mnist"].size, False,
                             f"({cell('cnn', 'cifar10')} - {cell('logreg', 'cifar10')}) - "
                             f"({cell('cnn', 'mnist')} - {cell('logreg', 'mnist')})"])
            crossed, own = cell("logreg", "mnist", "b250"), cell("logreg", "mnist", "b5")
            if g(crossed) and g(own):
                est, lo, hi, n = paired_interval(g(crossed), g(own), confidence)
                rows.append(["schedule", "logreg/mnist", experiment, strategy, est, lo, hi, n, n, True,
                             f"{crossed} - {own}"])
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def bootstrap_best(per_run: pd.DataFrame, metric: str = "aulc", strategies: Iterable[str] | None = None,
                   n_resamples: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Return how often each strategy has the best mean rank when the seeds are resampled.

    Within every (pair, experiment), the strategies are ranked per seed (1 = best
    ``metric``; ties share their mean rank, :func:`helpers.stats.inference.rank_blocks`).
    Seeds are drawn with replacement ``n_resamples`` times (the same draw for every
    strategy, so the comparison stays paired); in each resample the strategy with the lowest
    mean rank is the best, a tie splitting the win equally.

    Returns
    -------
    DataFrame
        Columns :data:`BOOTSTRAP_COLUMNS`: the observed ``mean_rank`` and ``p_best`` (the
        share of resamples in which the strategy is best; they sum to 1 per cell).
    """
    ranks = rank_blocks(per_run, metric, strategies)
    rows = []
    if ranks.empty:
        return pd.DataFrame(columns=BOOTSTRAP_COLUMNS)
    rng = np.random.default_rng(seed)
    for (pair, experiment), block in ranks.groupby(level=["pair", "experiment"], sort=False):
        values = block.to_numpy(dtype=float)
        n = values.shape[0]
        draws = rng.integers(0, n, size=(n_resamples, n))
        means = values[draws].mean(axis=1)  # (resamples, strategies)
        best = np.isclose(means, means.min(axis=1, keepdims=True), rtol=0, atol=1e-12)
        wins = (best / best.sum(axis=1, keepdims=True)).sum(axis=0) / n_resamples
        for strategy, mean_rank, p in zip(block.columns, values.mean(axis=0), wins):
            rows.append([pair, experiment, strategy, float(mean_rank), float(p), n, n_resamples])
    return pd.DataFrame(rows, columns=BOOTSTRAP_COLUMNS)
