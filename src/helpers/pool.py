"""Pool-based query strategies: random sampling and modAL's uncertainty family.

Each strategy is a score function paired with a query function, as in modAL. The query
functions share one signature, ``query(classifier, X_pool, n_instances, rng)``, and return
``(indices into X_pool, info)``, where ``info`` is a dict that the loop records. They are
passed to :class:`modAL.models.ActiveLearner` as its ``query_strategy``.

Scores (``P`` is the classifier's predicted class distribution for an instance ``x``):

- least confidence: ``1 - max_y P(y|x)``, highest queried (:func:`modAL.uncertainty.classifier_uncertainty`)
- margin: ``P(y_1|x) - P(y_2|x)`` of the two most likely classes, lowest queried
  (:func:`modAL.uncertainty.classifier_margin`)
- entropy: ``-sum_y P(y|x) log P(y|x)``, highest queried (:func:`modAL.uncertainty.classifier_entropy`)
- random: no score; a uniform sample without replacement, the reference strategy.
"""

from __future__ import annotations

import numpy as np
from modAL.uncertainty import (
    classifier_entropy,
    classifier_margin,
    classifier_uncertainty,
    entropy_sampling,
    margin_sampling,
    uncertainty_sampling,
)

__all__ = [
    "random_query",
    "least_confident_query",
    "margin_query",
    "entropy_query",
    "classifier_uncertainty",
    "classifier_margin",
    "classifier_entropy",
]


def _n_rows(X) -> int:
    return X.shape[0] if hasattr(X, "shape") else len(X)


def random_query(classifier, X_pool, n_instances: int = 1, rng: np.random.Generator | None = None):
    """Query ``n_instances`` pool instances uniformly at random, without replacement.

    Returns
    -------
    indices : ndarray of int
        Positions in ``X_pool``.
    info : dict
        Empty; random sampling inspects no scores.
    """
    rng = np.random.default_rng() if rng is None else rng
    return rng.choice(_n_rows(X_pool), size=n_instances, replace=False), {}


def _modal_query(modal_strategy):
    def query(classifier, X_pool, n_instances: int = 1, rng: np.random.Generator | None = None):
        # modAL's deterministic arg-partition (no random tie-break) keeps runs repeatable;
        # ``rng`` is accepted so every strategy shares one signature.
        indices, scores = modal_strategy(classifier, X_pool, n_instances=n_instances)
        return np.asarray(indices), {"mean_score": float(np.mean(scores))}

    query.__name__ = f"{modal_strategy.__name__}_query"
    query.__doc__ = (
        f"Query with :func:`modAL.uncertainty.{modal_strategy.__name__}`.\n\n"
        "Returns\n-------\nindices : ndarray of int\n    Positions in ``X_pool``.\n"
        "info : dict\n    ``mean_score``: mean score of the queried instances.\n"
    )
    return query


least_confident_query = _modal_query(uncertainty_sampling)
margin_query = _modal_query(margin_sampling)
entropy_query = _modal_query(entropy_sampling)
