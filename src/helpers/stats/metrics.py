"""Per-run and per-strategy summaries: confidence intervals, learning curves, AULC, labels to a target.

Accuracies are fractions in [0, 1]; only the report turns them into percentages. Confidence
intervals are two-sided Student-t intervals over seeds (one run per seed).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from helpers.stats.naming import (
    _GROUP_KEYS,
    REFERENCE_STRATEGY,
    RUN_KEYS,
    _sort_display,
    ordered_pairs,
    ordered_strategies,
)

# --------------------------------------------------------------------------- basic statistics
def mean_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval over seeds.

    Parameters
    ----------
    values
        One value per seed; NaNs are dropped.
    confidence
        Coverage of the interval.

    Returns
    -------
    tuple of float
        ``(mean, lo, hi)`` with ``lo, hi = mean -/+ t_{(1+c)/2, n-1} * s / sqrt(n)``
        (``s`` the sample standard deviation). With one value ``lo = hi = mean``
        (no spread can be estimated); with none, all three are NaN.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(x.mean())
    if n == 1:
        return (mean, mean, mean)
    half = float(sps.t.ppf((1 + confidence) / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return (mean, mean - half, mean + half)


def _ci_half_width(std: np.ndarray, n: np.ndarray, confidence: float) -> np.ndarray:
    """Vectorised t half-width; 0 where n == 1, NaN where n == 0."""
    std = np.asarray(std, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = sps.t.ppf((1 + confidence) / 2, np.where(n > 1, n - 1, np.nan))
        half = q * std / np.sqrt(n)
    half = np.where(n == 1, 0.0, half)
    return np.where(n == 0, np.nan, half)


def curve_summary(df: pd.DataFrame, metric: str = "accuracy",
                  confidence: float = 0.95) -> pd.DataFrame:
    """Mean learning curve with a confidence band, per pair, experiment and strategy.

    Parameters
    ----------
    df
        Output of :func:`load_runs`.
    metric
        Column to summarise (``"accuracy"`` or ``"macro_f1"``).
    confidence
        Coverage of the t interval over seeds.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment, strategy, iteration) with ``n_labeled`` and
        ``frac_labeled`` (means over seeds; runs of one configuration share them, so
        the mean is the common value), ``mean``, ``ci_lo``, ``ci_hi`` of ``metric``
        and ``n_seeds`` (runs that reached that iteration: fewer at the tail when
        some runs stopped early).
    """
    keys = _GROUP_KEYS + ["iteration"]
    grouped = df.groupby(keys, sort=True)
    out = grouped.agg(
        n_labeled=("n_labeled", "mean"),
        frac_labeled=("frac_labeled", "mean"),
        mean=(metric, "mean"),
        std=(metric, "std"),
        n_seeds=(metric, "count"),
    ).reset_index()
    half = _ci_half_width(out["std"].to_numpy(), out["n_seeds"].to_numpy(), confidence)
    out["ci_lo"] = out["mean"] - half
    out["ci_hi"] = out["mean"] + half
    out["n_seeds"] = out["n_seeds"].astype(int)
    return out[keys + ["n_labeled", "frac_labeled", "mean", "ci_lo", "ci_hi", "n_seeds"]]


# --------------------------------------------------------------------------- curve metrics
def _clean_curve(n_labeled, accuracy) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(n_labeled, dtype=float)
    y = np.asarray(accuracy, dtype=float)
    if x.shape != y.shape:
        raise ValueError("n_labeled and accuracy must have the same length")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


def aulc(n_labeled, accuracy, normalize: bool = True) -> float:
    """Area under the learning curve (accuracy against number of labels).

    The trapezoid rule is applied over the labels axis between the first and the
    last evaluation of the run. A run that stopped early (pool exhausted) simply
    has fewer points and is integrated over the range it covers; no value is
    extrapolated.

    Parameters
    ----------
    n_labeled
        Number of labelled examples at each evaluation (any order; sorted here).
    accuracy
        Accuracy at each evaluation, as a fraction.
    normalize
        Divide the area by the label range ``max(n_labeled) - min(n_labeled)``.

    Returns
    -------
    float
        With ``normalize=True`` (default): the label-weighted mean accuracy over
        the run, a number in [0, 1] (a constant curve at ``a`` gives exactly ``a``).
        With ``normalize=False``: the raw area in accuracy x labels. A single point
        gives its accuracy (normalised) or 0.0 (raw); no valid point gives NaN.
    """
    x, y = _clean_curve(n_labeled, accuracy)
    if x.size == 0:
        return np.nan
    if x.size == 1 or x[-1] == x[0]:
        return float(y.mean()) if normalize else 0.0
    area = float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))
    return area / float(x[-1] - x[0]) if normalize else area


def labels_to_target(n_labeled, accuracy, target: float) -> float:
    """Number of labels at which a learning curve first reaches ``target``.

    Parameters
    ----------
    n_labeled, accuracy
        The learning curve (sorted by ``n_labeled`` here; NaN points dropped).
    target
        Accuracy to reach, as a fraction.

    Returns
    -------
    float
        The first point's ``n_labeled`` if the curve already starts at or above
        ``target``; otherwise the labels at which the straight line between the
        last evaluation below ``target`` and the first one at or above it crosses
        ``target``; NaN if the curve never reaches it.
    """
    x, y = _clean_curve(n_labeled, accuracy)
    hit = np.flatnonzero(y >= target)
    if hit.size == 0:
        return np.nan
    i = int(hit[0])
    if i == 0:
        return float(x[0])
    x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
    return float(x0 + (target - y0) / (y1 - y0) * (x1 - x0))


def per_run_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Summary numbers of every run.

    Parameters
    ----------
    df
        Output of :func:`load_runs`.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment, strategy, seed) with

        ``aulc``
            normalised :func:`aulc` of accuracy against ``n_labeled``;
        ``final_accuracy``, ``final_macro_f1``
            test metrics at the last evaluation;
        ``final_train_accuracy``
            accuracy on the labelled set (or its sample) at the last evaluation: how well
            the model fits the labels it was given;
        ``initial_accuracy``
            test accuracy at the first evaluation (after pre-training);
        ``lowest_accuracy``
            the lowest test accuracy after a query (NaN for a run without queries): below
            ``initial_accuracy`` when the curve dips;
        ``n_labeled_initial``, ``n_labeled_final``, ``labels_acquired``
            labelled-set size at the first and last evaluation and their difference;
        ``total_inspected``
            sum of ``n_inspected`` (stream strategies): arrivals consumed by the
            one-pass stream, each inspected once (instances inspected, re-inspections
            included, by the ``stream_redraw`` ablation); NaN for pool strategies;
        ``inspected_per_label``
            ``total_inspected / labels_acquired``: arrivals consumed per label
            obtained (NaN when undefined);
        ``fallback_share``
            share of the acquired labels not chosen by the stream's threshold
            (``sum(n_fallback) / labels_acquired``): labels forced by the one-pass
            stream's deadline rule, or fill-ins of the ablation when its pool ran dry;
            NaN for pool strategies;
        ``budget_discard_share``, ``confidence_discard_share``
            of the arrivals the one-pass stream consumed, the shares it discarded because
            the label rate had reached the budget, and with budget left because the model
            was confident (NaN for pool strategies and for runs written before the
            stream recorded them);
        ``labeled_uncertainty_percentile``
            mean uncertainty percentile of the stream's labelled arrivals among the
            arrivals of their iteration (0.5: no more uncertain than a random arrival;
            iterations weighted by their labels; NaN where not recorded);
        ``threshold_median``
            median over the query iterations of the stream's threshold theta at the end of
            the iteration (a label is asked when the top-class probability is below it),
            leaving out iterations whose labels were all forced (there the threshold decides
            nothing); NaN where not recorded or where every label was forced;
        ``never_arrived_share``
            share of the stream's unlabelled pool that never arrived because the budget
            was spent before (``1 - total_inspected / (n_pool - n_labeled_initial)``, the
            pool size read from ``n_labeled / frac_labeled``; NaN for pool strategies);
        ``iterations``
            number of query iterations performed (largest ``iteration``);
        ``fit_seconds``, ``query_seconds``
            total wall-clock time spent fitting and querying.
    """
    rows = []
    for key, run in df.groupby(RUN_KEYS, sort=True):
        run = run.sort_values("iteration")
        first, last = run.iloc[0], run.iloc[-1]
        inspected = run["n_inspected"].sum(min_count=1)
        fallback = run["n_fallback"].sum(min_count=1)
        acquired = float(last["n_labeled"] - first["n_labeled"])
        selectivity = _stream_selectivity(run, inspected)
        rows.append({
            **dict(zip(RUN_KEYS, key)),
            "aulc": aulc(run["n_labeled"], run["accuracy"]),
            "final_accuracy": float(last["accuracy"]),
            "final_macro_f1": float(last["macro_f1"]),
            "final_train_accuracy": float(last["train_accuracy"]),
            "initial_accuracy": float(first["accuracy"]),
            "lowest_accuracy": float(run["accuracy"].iloc[1:].min()) if len(run) > 1 else np.nan,
            "n_labeled_initial": int(first["n_labeled"]),
            "n_labeled_final": int(last["n_labeled"]),
            "labels_acquired": acquired,
            "total_inspected": float(inspected),
            "inspected_per_label": float(inspected) / acquired if acquired > 0 else np.nan,
            "fallback_share": float(fallback) / acquired if acquired > 0 else np.nan,
            **selectivity,
            "iterations": int(run["iteration"].max()),
            "fit_seconds": float(run["fit_seconds"].sum()),
            "query_seconds": float(run["query_seconds"].sum()),
        })
    return pd.DataFrame(rows)


def _stream_selectivity(run: pd.DataFrame, inspected: float) -> dict[str, float]:
    """The one-pass stream's selectivity columns of :func:`per_run_metrics` for one run."""
    out = dict.fromkeys(("budget_discard_share", "confidence_discard_share", "labeled_uncertainty_percentile",
                         "threshold_median", "never_arrived_share"), np.nan)
    if pd.isna(inspected) or inspected <= 0:
        return out
    for column, name in (("n_discarded_budget", "budget_discard_share"),
                         ("n_discarded_confidence", "confidence_discard_share")):
        if column in run:
            total = run[column].sum(min_count=1)
            out[name] = float(total) / float(inspected) if pd.notna(total) else np.nan
    if "labeled_uncertainty_percentile" in run:
        rows = run[run["labeled_uncertainty_percentile"].notna() & (run["n_queried"] > 0)]
        if not rows.empty:
            out["labeled_uncertainty_percentile"] = float(np.average(rows["labeled_uncertainty_percentile"],
                                                                     weights=rows["n_queried"]))
    if "theta" in run:
        forced = run["n_fallback"].fillna(0) >= run["n_queried"]   # every label of the round forced
        theta = run.loc[(run["iteration"] > 0) & run["theta"].notna() & ~forced, "theta"]
        if not theta.empty:
            out["threshold_median"] = float(theta.median())
    first = run.iloc[0]
    if "frac_labeled" in run and first["frac_labeled"] > 0:
        n_pool = float(first["n_labeled"]) / float(first["frac_labeled"])
        arrivals = round(n_pool) - int(first["n_labeled"])
        out["never_arrived_share"] = 1.0 - float(inspected) / arrivals if arrivals > 0 else np.nan
    return out


def accuracy_change(runs: pd.DataFrame) -> tuple[float, int]:
    """How the runs' test accuracy moved from the first evaluation to the last.

    Parameters
    ----------
    runs
        Rows of :func:`per_run_metrics` (columns ``initial_accuracy`` and ``final_accuracy``).

    Returns
    -------
    tuple of (float, int)
        The mean of final minus initial accuracy (fractions; NaN without runs) and the number
        of runs that end below their initial accuracy.
    """
    change = runs["final_accuracy"] - runs["initial_accuracy"]
    return (float(change.mean()) if len(change) else float("nan")), int((change < 0).sum())


def strategy_summary(per_run: pd.DataFrame,
                     metrics: Sequence[str] = ("aulc", "final_accuracy", "final_macro_f1", "final_train_accuracy",
                                               "initial_accuracy", "lowest_accuracy", "inspected_per_label",
                                               "fallback_share", "budget_discard_share", "confidence_discard_share",
                                               "labeled_uncertainty_percentile", "threshold_median",
                                               "never_arrived_share"),
                     confidence: float = 0.95) -> pd.DataFrame:
    """Mean and confidence interval over seeds of per-run metrics.

    Parameters
    ----------
    per_run
        Output of :func:`per_run_metrics`.
    metrics
        Columns to summarise; those absent from ``per_run`` are skipped.
    confidence
        Coverage of the t interval over seeds.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment, strategy) in display order, with
        ``<metric>_mean``, ``<metric>_ci_lo``, ``<metric>_ci_hi`` for each metric
        and ``n_seeds`` (number of runs); ``n_runs_selectivity``: the runs that record the
        stream's selectivity (the means of those metrics cover only them).
    """
    rows = []
    for key, group in per_run.groupby(_GROUP_KEYS, sort=False):
        row = dict(zip(_GROUP_KEYS, key))
        for metric in metrics:
            if metric in group.columns:
                m, lo, hi = mean_ci(group[metric], confidence)
                row.update({f"{metric}_mean": m, f"{metric}_ci_lo": lo, f"{metric}_ci_hi": hi})
        row["n_seeds"] = int(group["seed"].nunique())
        if "budget_discard_share" in group.columns:  # runs written before the stream recorded it lack it
            row["n_runs_selectivity"] = int(group["budget_discard_share"].notna().sum())
        rows.append(row)
    return _sort_display(pd.DataFrame(rows))



# --------------------------------------------------------------------------- labels to target
def labels_to_target_table(df: pd.DataFrame, target_fraction: float = 1.0,
                           reference: str = REFERENCE_STRATEGY) -> pd.DataFrame:
    """Labels each strategy needs to reach a common target accuracy, relative to random.

    Target rule (per pair and experiment): let ``a0`` be the reference strategy's
    mean accuracy at iteration 0 (after pre-training) and ``aT`` its mean accuracy
    at its last iteration. The target is ``a0 + target_fraction * (aT - a0)``; with
    the default ``target_fraction = 1.0`` it is simply random sampling's final mean
    accuracy, i.e. "how many labels does a strategy need to match what random
    sampling reaches with the whole query budget".

    Labels are counted on the mean curve over seeds (:func:`curve_summary`) with
    :func:`labels_to_target`, and expressed as *queried* labels (labels beyond the
    initial set), since the initial set is the same for every strategy and would
    otherwise swamp the ratio in the large-start experiment. Where the curves are
    nearly flat (large start) the target sits within seed noise of the starting
    accuracy, so the ratio there says little; read it with the AULC tests.

    Parameters
    ----------
    df
        Output of :func:`load_runs`.
    target_fraction
        Fraction of random sampling's accuracy gain that defines the target.
    reference
        Strategy defining the target and the denominator of the ratio.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment, strategy) with ``target_accuracy``,
        ``target_fraction``, ``labels_total`` (interpolated ``n_labeled`` at which the
        mean curve reaches the target), ``labels_queried`` (``labels_total`` minus the
        initial labelled-set size), ``reference_labels_queried``, ``ratio``
        (``labels_queried / reference_labels_queried``; < 1 means fewer labels than
        random; NaN when not reached or when random needed no query) and ``reached``.
        Pairs and experiments without reference runs are skipped.
    """
    summary = curve_summary(df)
    rows = []
    for (pair, experiment), group in summary.groupby(["pair", "experiment"], sort=False):
        ref = group[group["strategy"] == reference].sort_values("iteration")
        if ref.empty:
            continue
        a0, a_final = float(ref["mean"].iloc[0]), float(ref["mean"].iloc[-1])
        target = a0 + target_fraction * (a_final - a0)
        needed = {}
        for strategy, curve in group.groupby("strategy", sort=False):
            curve = curve.sort_values("iteration")
            total = labels_to_target(curve["n_labeled"], curve["mean"], target)
            needed[strategy] = (total, total - float(curve["n_labeled"].iloc[0]))
        ref_queried = needed[reference][1]
        for strategy in ordered_strategies(needed):
            total, queried = needed[strategy]
            ratio = queried / ref_queried if (ref_queried > 0 and not np.isnan(queried)) else np.nan
            rows.append({
                "pair": pair, "experiment": experiment, "strategy": strategy,
                "target_accuracy": target, "target_fraction": target_fraction,
                "labels_total": total, "labels_queried": queried,
                "reference_labels_queried": ref_queried, "ratio": ratio,
                "reached": bool(not np.isnan(total)),
            })
    columns = ["pair", "experiment", "strategy", "target_accuracy", "target_fraction",
               "labels_total", "labels_queried", "reference_labels_queried", "ratio", "reached"]
    return _sort_display(pd.DataFrame(rows, columns=columns))


def reference_summary(reference: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t interval of the full-pool reference accuracy per pair.

    Returns
    -------
    pandas.DataFrame
        One row per pair with ``accuracy_mean``, ``accuracy_ci_lo``,
        ``accuracy_ci_hi``, ``macro_f1_mean`` and ``n_seeds``; empty (with those
        columns) when ``reference`` is empty.
    """
    columns = ["pair", "accuracy_mean", "accuracy_ci_lo", "accuracy_ci_hi", "macro_f1_mean", "n_seeds"]
    rows = []
    for pair, group in reference.groupby("pair", sort=False):
        m, lo, hi = mean_ci(group["accuracy"], confidence)
        rows.append({"pair": pair, "accuracy_mean": m, "accuracy_ci_lo": lo, "accuracy_ci_hi": hi,
                     "macro_f1_mean": float(np.nanmean(group["macro_f1"].astype(float)))
                     if group["macro_f1"].notna().any() else np.nan,
                     "n_seeds": int(group["seed"].nunique())})
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    ranks = {p: i for i, p in enumerate(ordered_pairs(frame["pair"]))}
    return frame.sort_values("pair", key=lambda s: s.map(ranks)).reset_index(drop=True)

