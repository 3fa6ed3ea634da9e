"""Stream-based query strategy: uncertainty-threshold sampling with a fixed label budget.

Instances of the unlabelled pool arrive one at a time in a random order. Each one is
inspected: its uncertainty ``1 - max_y P(y|x)`` (:func:`modAL.uncertainty.classifier_uncertainty`)
is computed, and the instance is labelled when the uncertainty is at least the threshold.
The iteration ends as soon as ``n_instances`` labels were collected, so the stream strategy
acquires exactly as many labels per iteration as the pool-based strategies. The model is
updated between iterations, not within one, as for the pool-based strategies; therefore
scoring the stream in vectorised chunks gives the same decisions as scoring it instance by
instance.

When the stream runs dry (every unlabelled instance was inspected and fewer than
``n_instances`` passed the threshold), the remaining budget is filled with the most
uncertain of the instances that were inspected and rejected. The number of such fill-ins
is recorded (``n_fallback``), so a threshold that is too strict is visible in the results
rather than silently shrinking the labelled set.
"""

from __future__ import annotations

import numpy as np
from modAL.uncertainty import classifier_uncertainty

__all__ = ["stream_uncertainty_query", "classifier_uncertainty"]

#: Instances scored per model call; only affects speed, never which instances are chosen.
CHUNK_SIZE = 1024


def stream_uncertainty_query(
    classifier,
    X_pool,
    n_instances: int = 1,
    rng: np.random.Generator | None = None,
    threshold: float = 0.5,
    chunk_size: int = CHUNK_SIZE,
):
    """Label instances of a random-order stream whose uncertainty reaches ``threshold``.

    Returns
    -------
    indices : ndarray of int
        Positions in ``X_pool`` of the ``n_instances`` labelled instances, in arrival order
        (fill-ins last).
    info : dict
        ``n_inspected``: instances inspected, up to and including the last one labelled
        (the whole pool when the stream ran dry); ``n_fallback``: labels filled in after
        the stream ran dry.
    """
    rng = np.random.default_rng() if rng is None else rng
    n_pool = X_pool.shape[0]
    if not 0 < n_instances <= n_pool:
        raise ValueError(f"n_instances must be in 1..{n_pool} (pool size), got {n_instances}")
    order = rng.permutation(n_pool)
    accepted_positions: list[np.ndarray] = []  # positions in the stream, not pool indices
    stream_scores: list[np.ndarray] = []
    n_chosen = 0
    for start in range(0, n_pool, chunk_size):
        scores = classifier_uncertainty(classifier, X_pool[order[start : start + chunk_size]])
        accepted = start + np.flatnonzero(scores >= threshold)
        need = n_instances - n_chosen
        if accepted.size >= need:
            accepted_positions.append(accepted[:need])
            positions = np.concatenate(accepted_positions)
            return order[positions], {"n_inspected": int(accepted[need - 1]) + 1, "n_fallback": 0}
        accepted_positions.append(accepted)
        stream_scores.append(scores)
        n_chosen += accepted.size
    # Dry stream: fill the budget with the most uncertain rejected instances. A stable sort
    # on the negated score keeps arrival order among ties, so the fill is deterministic.
    positions = np.concatenate(accepted_positions)
    rejected = np.setdiff1d(np.arange(n_pool), positions)
    scores = np.concatenate(stream_scores)
    fill = rejected[np.argsort(-scores[rejected], kind="stable")][: n_instances - n_chosen]
    return order[np.concatenate([positions, fill])], {"n_inspected": n_pool, "n_fallback": int(fill.size)}
