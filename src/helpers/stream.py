"""Stream-based query strategies: a one-pass budgeted stream, and a redrawn-pool ablation.

The study's stream (``stream_uncertainty``, :class:`OnePassStream`)
    Every unlabelled pool instance arrives exactly once, in a seeded random order. For each
    arrival the current model's uncertainty ``1 - max_y P(y|x)``
    (:func:`modAL.uncertainty.classifier_uncertainty`) is handed to scikit-activeml's
    :class:`~skactiveml.stream.budgetmanager.VariableUncertaintyBudgetManager`, the
    *variable uncertainty* strategy of Zliobaite et al. (2014, IEEE TNNLS 25(1)): the
    instance is labelled when its top-class probability is below an adaptive threshold
    ``theta`` and the estimated label rate is below the budget. The rate is an
    exponentially weighted count, ``u_t = u_{t-1} (window - 1) / window + labelled_t``,
    compared as ``u_t / window``, not a sliding window. While budget is left, ``theta``
    shrinks by the factor ``1 - step`` after each label and grows by ``1 + step`` after
    each arrival discarded for confidence; an arrival discarded because the budget is used
    up leaves ``theta`` unchanged. So the threshold follows the model's confidence and the
    label rate is held at the budget. A discarded instance is gone for good; each CSV row
    counts the discards of both causes and records ``theta`` and the rate.

    The label budget equals the pool strategies': ``query_size`` labels per iteration, and
    the model is fine-tuned after every ``query_size`` labels. The budget rate is the
    labels still to obtain divided by the arrivals still to come, recomputed at every
    fine-tuning point, so the arrivals are spread over the whole run (about
    ``n_unlabelled / n_iterations`` per iteration). Two rules make the label count equal
    to the pool strategies':

    - when the arrivals still to come are no more than the labels still to obtain, every
      remaining arrival is labelled (a *forced* label, counted in ``n_fallback``); this also
      covers a budget larger than the pool (CIFAR-10 ``large``: 8,000 arrivals for
      12,500 labels), where every arrival is labelled and the run ends, like the pool
      strategies', when the pool is exhausted;
    - once the run's labels are obtained the stream stops; arrivals never reached are
      recorded as unused.

    Within one iteration the model does not change, so scoring the arrivals in chunks of
    :data:`CHUNK_SIZE` gives the same decisions as scoring them one at a time (arrivals
    scored beyond the iteration's last label are scored again, by the fine-tuned model,
    when they arrive in the next iteration). The budget manager still sees them one at a
    time, in arrival order.

The ablation (``stream_redraw``, :func:`stream_redraw_query`)
    The first edition's stream and modAL's stream example: every iteration draws a fresh
    random order over the whole remaining pool, labels arrivals whose uncertainty is at
    least a *fixed* threshold until ``query_size`` labels are found, and, when the pool runs
    dry, fills the rest with the most uncertain rejected instances (``n_fallback``).
    Rejected instances come back in later iterations, so it is not a stream in the study's
    sense; it is kept to measure what the one-pass constraint costs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from modAL.uncertainty import classifier_uncertainty
from skactiveml.stream.budgetmanager import VariableUncertaintyBudgetManager

__all__ = ["OnePassStream", "stream_redraw_query", "uncertainty_percentile", "classifier_uncertainty", "STREAM_PARAMS"]

#: Instances scored per model call; only affects speed, never which instances are chosen.
CHUNK_SIZE = 1024

#: Parameters of the variable-uncertainty budget manager: the initial threshold on the top-class
#: probability, its relative step and the window of the label-rate estimate. These are
#: scikit-activeml's defaults and the step of Zliobaite et al. (2014); the study does not tune them.
STREAM_PARAMS: dict[str, Any] = {"theta": 1.0, "step": 0.01, "window": 100}


class OnePassStream:
    """The unlabelled pool as a one-pass stream with a variable-uncertainty budget.

    Parameters
    ----------
    indices : array-like of int
        Training-set indices of the unlabelled pool; each arrives exactly once.
    n_labels : int
        Labels the run is to obtain (``query_size * n_iterations``); capped at the number
        of arrivals.
    rng : numpy.random.Generator
        Draws the arrival order.
    theta, step, window : float, float, int
        Initial threshold, relative step and rate window of the budget manager
        (:data:`STREAM_PARAMS`).
    chunk_size : int
        Arrivals scored per model call (speed only).

    Attributes
    ----------
    order : ndarray of int
        The arrival order (training-set indices).
    position : int
        Arrivals consumed so far.
    n_labeled : int
        Labels obtained so far (forced ones included).
    n_forced : int
        Labels forced by the deadline rule.
    manager : VariableUncertaintyBudgetManager
        scikit-activeml's budget manager, fed one arrival at a time.
    """

    def __init__(self, indices, n_labels: int, rng: np.random.Generator, *, theta: float = STREAM_PARAMS["theta"],
                 step: float = STREAM_PARAMS["step"], window: int = STREAM_PARAMS["window"],
                 chunk_size: int = CHUNK_SIZE):
        indices = np.asarray(indices)
        if indices.ndim != 1 or indices.size == 0:
            raise ValueError("the stream needs a non-empty 1-d array of pool indices")
        if int(n_labels) < 1:
            raise ValueError(f"n_labels must be a positive integer, got {n_labels!r}")
        if int(chunk_size) < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        self.order = rng.permutation(indices)
        self.n_requested = int(n_labels)
        self.budget = min(self.n_requested, self.order.size)
        self.chunk_size = int(chunk_size)
        self.params = {"theta": float(theta), "step": float(step), "window": int(window)}
        self.position = 0
        self.n_labeled = 0
        self.n_forced = 0
        self.manager = VariableUncertaintyBudgetManager(theta=float(theta), s=float(step), w=int(window),
                                                        budget=self._rate())
        self._one = np.empty((1, 0))  # the manager only counts its candidates

    @property
    def arrivals_left(self) -> int:
        """Arrivals still to come."""
        return int(self.order.size - self.position)

    @property
    def labels_left(self) -> int:
        """Labels still to obtain within the budget."""
        return int(self.budget - self.n_labeled)

    def _rate(self) -> float:
        return min(1.0, self.labels_left / self.arrivals_left) if self.arrivals_left else 1.0

    def query(self, classifier, X, n_instances: int) -> tuple[np.ndarray, dict[str, Any]]:
        """Let arrivals come until ``n_instances`` of them are labelled (or the stream ends).

        Parameters
        ----------
        classifier
            The current model (anything with ``predict_proba``).
        X : ndarray
            Features of the whole training set; rows are looked up by training-set index.
        n_instances : int
            Labels to obtain before the model is fine-tuned (capped by the budget left).

        Returns
        -------
        indices : ndarray of int
            Training-set indices of the labelled arrivals, in arrival order.
        info : dict
            ``n_inspected``: arrivals consumed (each one scored and labelled or discarded);
            ``n_fallback``: labels forced by the deadline rule; ``theta``: the budget
            manager's threshold on the top-class probability afterwards; ``budget_rate``:
            the label rate it was held to; ``n_discarded_budget``: arrivals discarded
            because the estimated label rate had reached the budget;
            ``n_discarded_confidence``: arrivals discarded with budget left because their
            top-class probability was not below ``theta`` (only these raise ``theta``);
            ``labeled_uncertainty_percentile``: the mean, over the labelled arrivals
            (forced ones included), of :func:`uncertainty_percentile` among the arrivals
            consumed (NaN when none was labelled).
        """
        wanted = min(int(n_instances), self.labels_left)
        start = self.position
        forced_before = self.n_forced
        rate = self._rate()
        self.manager.budget = rate
        chosen: list[int] = []
        arrived: list[float] = []  # uncertainty of every arrival consumed, in arrival order
        labelled: list[float] = []
        discarded = {"budget": 0, "confidence": 0}
        while len(chosen) < wanted and self.arrivals_left > 0:
            chunk = self.order[self.position : self.position + self.chunk_size]
            scores = np.asarray(classifier_uncertainty(classifier, X[chunk]), dtype=float)
            for index, score in zip(chunk, scores):
                if self.arrivals_left <= self.labels_left:
                    queried = [0]  # deadline: the remaining arrivals are all needed
                    self.n_forced += 1
                else:
                    queried = self.manager.query_by_utility(np.array([score]))
                    if not len(queried):
                        discarded["confidence" if self._budget_left() else "budget"] += 1
                self.manager.update(self._one, queried)
                self.position += 1
                arrived.append(float(score))
                if len(queried):
                    chosen.append(int(index))
                    labelled.append(float(score))
                    self.n_labeled += 1
                    if len(chosen) == wanted:
                        break
        info = {
            "n_inspected": self.position - start,
            "n_fallback": self.n_forced - forced_before,
            "theta": float(getattr(self.manager, "theta_", self.params["theta"])),
            "budget_rate": rate,
            "n_discarded_budget": discarded["budget"],
            "n_discarded_confidence": discarded["confidence"],
            "labeled_uncertainty_percentile": (float(np.mean(uncertainty_percentile(labelled, arrived)))
                                               if labelled else float("nan")),
        }
        return np.asarray(chosen, dtype=int), info

    def _budget_left(self) -> bool:
        """Whether the budget manager's label-rate estimate is below its budget.

        The same test that :class:`~skactiveml.stream.budgetmanager.VariableUncertaintyBudgetManager`
        makes in ``query_by_utility`` and ``update`` (``budget_ > u_t_ / w``), read from its
        state between the two calls: an arrival it declines while this holds was declined
        for confidence (and ``update`` raises ``theta``); otherwise the budget was used up
        (and ``theta`` stays).
        """
        manager = self.manager
        return bool(manager.budget_ > manager.u_t_ / manager.w)

    def summary(self) -> dict[str, Any]:
        """Return the stream's account for the run's JSON.

        Returns
        -------
        dict
            ``arrivals`` (pool size), ``arrivals_consumed``, ``arrivals_unused``,
            ``labels_requested`` (``query_size * n_iterations``), ``labels_budget`` (capped
            at the arrivals), ``labels_obtained``, ``labels_forced``, ``shortfall``
            (requested minus obtained), ``discarded`` and the budget manager's parameters.
        """
        return {
            "arrivals": int(self.order.size),
            "arrivals_consumed": int(self.position),
            "arrivals_unused": self.arrivals_left,
            "labels_requested": self.n_requested,
            "labels_budget": int(self.budget),
            "labels_obtained": int(self.n_labeled),
            "labels_forced": int(self.n_forced),
            "shortfall": int(self.n_requested - self.n_labeled),
            "discarded": int(self.position - self.n_labeled),
            "budget_manager": "skactiveml.stream.budgetmanager.VariableUncertaintyBudgetManager",
            **self.params,
        }


def uncertainty_percentile(values, population) -> np.ndarray:
    """Return the mid-rank percentile of each of ``values`` within ``population``.

    Parameters
    ----------
    values : array-like of float
        Scores to place (here: uncertainties of the labelled arrivals).
    population : array-like of float
        The scores they are ranked among (here: all arrivals of the same iteration).

    Returns
    -------
    ndarray of float
        For each value ``v``: ``(#{p < v} + #{p == v} / 2) / len(population)``, in [0, 1].
        A value drawn at random from the population has expected percentile 0.5, and
        ranking the whole population against itself gives a mean of exactly 0.5.
    """
    population = np.sort(np.asarray(population, dtype=float))
    if population.size == 0:
        raise ValueError("the population to rank against is empty")
    values = np.asarray(values, dtype=float)
    below = np.searchsorted(population, values, side="left")
    up_to = np.searchsorted(population, values, side="right")
    return (below + up_to) / (2.0 * population.size)


def stream_redraw_query(
    classifier,
    X_pool,
    n_instances: int = 1,
    rng: np.random.Generator | None = None,
    threshold: float = 0.5,
    chunk_size: int = CHUNK_SIZE,
):
    """Ablation: label instances of a freshly redrawn pool order whose uncertainty reaches ``threshold``.

    Each call draws a new random order over the whole remaining pool (instances rejected
    before come back), labels arrivals whose uncertainty is at least the fixed
    ``threshold`` until ``n_instances`` are found, and fills the rest with the most
    uncertain rejected instances when the pool runs dry.

    Returns
    -------
    indices : ndarray of int
        Positions in ``X_pool`` of the ``n_instances`` labelled instances, in arrival order
        (fill-ins last).
    info : dict
        ``n_inspected``: instances inspected, up to and including the last one labelled
        (the whole pool when it ran dry); ``n_fallback``: labels filled in after the pool
        ran dry.
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
    # Dry pool: fill the budget with the most uncertain rejected instances. A stable sort
    # on the negated score keeps arrival order among ties, so the fill is deterministic.
    positions = np.concatenate(accepted_positions)
    rejected = np.setdiff1d(np.arange(n_pool), positions)
    scores = np.concatenate(stream_scores)
    fill = rejected[np.argsort(-scores[rejected], kind="stable")][: n_instances - n_chosen]
    return order[np.concatenate([positions, fill])], {"n_inspected": n_pool, "n_fallback": int(fill.size)}
