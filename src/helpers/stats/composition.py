"""What the strategies query: class composition of the queried labels over a run.

Computed from the labels every run records in its JSON (``queried_labels``, in query
order, and ``initial_labels``); runs written before those fields existed are skipped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COMPOSITION_COLUMNS = ["pair", "experiment", "strategy", "seed", "block", "first_iteration", "last_iteration",
                       "class", "class_name", "count", "share"]
BALANCE_COLUMNS = ["pair", "experiment", "strategy", "seed", "rounds", "n_labels", "classes_covered",
                   "max_share", "normalized_entropy"]


def _query_size(meta: dict) -> int:
    return int((meta.get("config") or {}).get("query_size") or 0)


def _labelled_runs(meta: list[dict]):
    for m in meta:
        labels, q = m.get("queried_labels"), _query_size(m)
        if labels is None or q < 1 or not m.get("classes"):
            continue
        yield m, np.asarray(labels, dtype=int), q, len(m["classes"])


def query_composition(meta: list[dict], n_blocks: int = 10) -> pd.DataFrame:
    """Class histogram of the queried labels per block of iterations, per run.

    The iterations a run performed are cut into ``n_blocks`` consecutive blocks of (nearly)
    equal length; each block's queried labels are counted per class.

    Parameters
    ----------
    meta
        Run JSONs (:func:`load_run_meta`), with ``queried_labels``, ``classes`` and
        ``config.query_size``.
    n_blocks
        Blocks per run (fewer when the run has fewer iterations).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMPOSITION_COLUMNS`: one row per (run, block, class); ``class`` is
        the class index, ``class_name`` its name from the run's ``classes`` (as the
        confusion matrices label it), ``share`` the class's share of the block's labels.
        Empty when no run recorded its labels.
    """
    rows = []
    for m, labels, q, n_classes in _labelled_runs(meta):
        iteration = np.arange(labels.size) // q + 1
        n_iter = int(iteration.max()) if labels.size else 0
        if n_iter == 0:
            continue
        edges = np.unique(np.linspace(0, n_iter, min(n_blocks, n_iter) + 1).round().astype(int))
        for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:]), start=1):
            in_block = labels[(iteration > lo) & (iteration <= hi)]
            counts = np.bincount(in_block, minlength=n_classes)
            total = max(int(counts.sum()), 1)
            for c, count in enumerate(counts):
                rows.append({"pair": m["pair"], "experiment": m["experiment"], "strategy": m["strategy"],
                             "seed": int(m["seed"]), "block": b, "first_iteration": int(lo) + 1,
                             "last_iteration": int(hi), "class": c, "class_name": str(m["classes"][c]),
                             "count": int(count), "share": count / total})
    return pd.DataFrame(rows, columns=COMPOSITION_COLUMNS)


def first_rounds_balance(meta: list[dict], rounds: int = 10) -> pd.DataFrame:
    """Class balance of the labels queried in the first ``rounds`` query rounds, per run.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BALANCE_COLUMNS`: ``classes_covered`` (classes with at least one
        label), ``max_share`` (share of the most queried class) and ``normalized_entropy``
        (entropy of the class histogram over ``log(n_classes)``: 1 for a uniform batch, 0
        when every label is of one class).
    """
    rows = []
    for m, labels, q, n_classes in _labelled_runs(meta):
        first = labels[: rounds * q]
        if first.size == 0:
            continue
        counts = np.bincount(first, minlength=n_classes)
        p = counts[counts > 0] / first.size
        rows.append({"pair": m["pair"], "experiment": m["experiment"], "strategy": m["strategy"],
                     "seed": int(m["seed"]), "rounds": int(min(rounds, -(-first.size // q))),
                     "n_labels": int(first.size), "classes_covered": int((counts > 0).sum()),
                     "max_share": float(counts.max() / first.size),
                     "normalized_entropy": float(-(p * np.log(p)).sum() / np.log(n_classes))})
    return pd.DataFrame(rows, columns=BALANCE_COLUMNS)
