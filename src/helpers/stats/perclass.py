"""Per-class account of a strategy: which classes it recalls, queries, and loses accuracy on.

Computed from what every run records in its JSON: the final model's confusion matrix on
the evaluation set (rows: true class, columns: predicted class), ``queried_labels`` and
``classes``. Three views, each per (pair, experiment, strategy, class) and averaged over
seeds:

- **recall** of the final model: ``cm[c, c] / cm[c, :].sum()``;
- **query share**: the class's share of all the labels the strategy queried in the run;
- **deficit**: the class's part of the strategy's final-accuracy difference to random
  sampling, paired by seed. Final accuracy is ``sum_c cm[c, c] / N``, so the difference of
  two runs splits exactly into per-class terms ``(cm_s[c, c] - cm_r[c, c]) / N`` that add up
  to it; ``share_of_gap`` is a class's term divided by the total difference. For the class
  the strategy loses most on, the **dominant confusion** is the predicted class whose count
  in that row grew most against random sampling (e.g. true 0 predicted as 5).

Pure functions of run JSONs (:func:`helpers.stats.loading.load_run_meta`); imports only
numpy, pandas and :mod:`helpers.stats.naming`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.stats.naming import REFERENCE_STRATEGY

KEYS = ["pair", "experiment", "strategy"]

#: Columns of :func:`class_table`.
PERCLASS_COLUMNS = KEYS + ["class", "class_name", "n_seeds", "recall", "query_share", "gap_points",
                           "share_of_gap", "confused_as", "confused_as_name", "confusion_increase",
                           "confusion_share", "reference_confusion_share"]

#: Columns of :func:`deficit_summary`.
DEFICIT_COLUMNS = KEYS + ["n_seeds", "gap_points", "worst_class", "worst_class_name", "worst_gap_points",
                          "worst_share_of_gap", "confused_as", "confused_as_name", "confusion_share",
                          "reference_confusion_share", "least_queried_class", "most_queried_class"]


def _runs(meta: list[dict]):
    """Yield (key, seed, confusion matrix, classes, queried labels) of runs with a confusion matrix."""
    for m in meta:
        cm = m.get("confusion_matrix")
        classes = m.get("classes")
        if cm is None or not classes:
            continue
        cm = np.asarray(cm, dtype=float)
        if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(classes):
            continue
        labels = m.get("queried_labels")
        yield (m["pair"], m["experiment"], m["strategy"]), int(m["seed"]), cm, list(classes), \
            (None if labels is None else np.asarray(labels, dtype=int))


def class_runs(meta: list[dict]) -> pd.DataFrame:
    """Return one row per (run, class): recall, correct and true counts, query share.

    Returns
    -------
    DataFrame
        pair, experiment, strategy, seed, class, class_name, n_true, correct, n_eval (the
        run's evaluation-set size), recall (NaN for a class absent from the evaluation set)
        and query_share (NaN when the run records no queried labels or queried none).
    """
    rows = []
    for (pair, experiment, strategy), seed, cm, classes, labels in _runs(meta):
        n_true = cm.sum(axis=1)
        counts = np.bincount(labels, minlength=len(classes)) if labels is not None else None
        total = counts.sum() if counts is not None else 0
        for c, name in enumerate(classes):
            rows.append([pair, experiment, strategy, seed, c, name, n_true[c], cm[c, c], cm.sum(),
                         cm[c, c] / n_true[c] if n_true[c] else np.nan,
                         counts[c] / total if total else np.nan])
    return pd.DataFrame(rows, columns=KEYS + ["seed", "class", "class_name", "n_true", "correct", "n_eval",
                                              "recall", "query_share"])


def _confusions(meta: list[dict]) -> dict[tuple, dict[int, np.ndarray]]:
    out: dict[tuple, dict[int, np.ndarray]] = {}
    for key, seed, cm, _, _ in _runs(meta):
        out.setdefault(key, {})[seed] = cm
    return out


def class_table(meta: list[dict], reference: str = REFERENCE_STRATEGY) -> pd.DataFrame:
    """Return the per-class account of every strategy, averaged over seeds.

    Parameters
    ----------
    meta
        Run JSONs with ``confusion_matrix``, ``classes`` and (for query shares)
        ``queried_labels``.
    reference
        The strategy the deficit is measured against, paired by seed.

    Returns
    -------
    DataFrame
        Columns :data:`PERCLASS_COLUMNS`. ``recall`` and ``query_share`` are means over the
        strategy's seeds; ``gap_points`` is the class's mean term of the final-accuracy
        difference to the reference in accuracy points (fractions x 100) over the seeds
        both have, ``share_of_gap`` its share of the total difference (NaN when the total is
        0), ``confused_as`` the predicted class whose count in the class's row grew most
        against the reference (mean over seeds), ``confusion_increase`` that growth in
        images, ``confusion_share`` and ``reference_confusion_share`` the share of the
        class's true images predicted as ``confused_as`` under the strategy and under the
        reference. The reference's own rows carry NaN in the deficit columns.
    """
    per_run = class_runs(meta)
    if per_run.empty:
        return pd.DataFrame(columns=PERCLASS_COLUMNS)
    means = (per_run.groupby(KEYS + ["class", "class_name"], sort=False)
             .agg(n_seeds=("seed", "nunique"), recall=("recall", "mean"), query_share=("query_share", "mean"))
             .reset_index())
    confusions = _confusions(meta)
    extra = []
    for (pair, experiment, strategy), runs in confusions.items():
        base = confusions.get((pair, experiment, reference), {})
        seeds = sorted(set(runs) & set(base)) if strategy != reference else []
        n_classes = next(iter(runs.values())).shape[0]
        if not seeds:
            for c in range(n_classes):
                extra.append([pair, experiment, strategy, c] + [np.nan] * 7)
            continue
        diag = np.array([np.diag(runs[s]) - np.diag(base[s]) for s in seeds]) / \
            np.array([runs[s].sum() for s in seeds])[:, None]  # (seeds, classes): accuracy terms
        total = diag.sum(axis=1).mean()
        growth = np.mean([runs[s] - base[s] for s in seeds], axis=0)
        share_s = np.mean([runs[s] / np.maximum(runs[s].sum(axis=1, keepdims=True), 1) for s in seeds], axis=0)
        share_r = np.mean([base[s] / np.maximum(base[s].sum(axis=1, keepdims=True), 1) for s in seeds], axis=0)
        for c in range(n_classes):
            off = growth[c].copy()
            off[c] = -np.inf
            k = int(np.argmax(off))
            term = diag[:, c].mean()
            extra.append([pair, experiment, strategy, c, 100 * term, term / total if total else np.nan, k,
                          growth[c, k], share_s[c, k], share_r[c, k], len(seeds)])
    extra = pd.DataFrame(extra, columns=KEYS + ["class", "gap_points", "share_of_gap", "confused_as",
                                                "confusion_increase", "confusion_share",
                                                "reference_confusion_share", "n_paired"])
    table = means.merge(extra.drop(columns="n_paired"), on=KEYS + ["class"], how="left")
    names = dict(zip(zip(per_run["pair"], per_run["class"]), per_run["class_name"]))  # pairs name classes apart
    table["confused_as_name"] = [names.get((pair, int(k))) if pd.notna(k) else None
                                 for pair, k in zip(table["pair"], table["confused_as"])]
    return table[PERCLASS_COLUMNS]


def deficit_summary(meta: list[dict], reference: str = REFERENCE_STRATEGY) -> pd.DataFrame:
    """Return, per strategy, its final-accuracy gap to the reference and the class that carries most of it.

    Returns
    -------
    DataFrame
        Columns :data:`DEFICIT_COLUMNS`, one row per (pair, experiment, strategy) other than
        the reference: the total gap in accuracy points, the class with the most negative
        term (``worst_class``; for a strategy ahead of random sampling, the class it loses
        most on, possibly with a positive term when it loses on none), that term, its share
        of the gap, its dominant confusion with the shares of the class's images predicted
        as it under the strategy and the reference, and the strategy's least and most
        queried classes (by mean query share).
    """
    table = class_table(meta, reference)
    rows = []
    for key, block in table.groupby(KEYS, sort=False):
        if key[2] == reference or block["gap_points"].isna().all():
            continue
        worst = block.loc[block["gap_points"].idxmin()]
        shares = block.dropna(subset=["query_share"])
        least = shares.loc[shares["query_share"].idxmin(), "class_name"] if not shares.empty else None
        most = shares.loc[shares["query_share"].idxmax(), "class_name"] if not shares.empty else None
        rows.append([*key, int(block["n_seeds"].max()), float(block["gap_points"].sum()), int(worst["class"]),
                     worst["class_name"], float(worst["gap_points"]), float(worst["share_of_gap"]),
                     int(worst["confused_as"]), worst["confused_as_name"], float(worst["confusion_share"]),
                     float(worst["reference_confusion_share"]), least, most])
    return pd.DataFrame(rows, columns=DEFICIT_COLUMNS)
