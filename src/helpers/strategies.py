"""The registry of query strategies: one entry per strategy, looked up by name.

Adding a pool-type strategy is one :class:`Strategy` entry in :data:`STRATEGIES`: a query
function with the shared signature ``query(classifier, X_pool, n_instances, rng, **params)``
returning ``(indices, info)`` (see :mod:`helpers.pool`), its score function, and the names
of the protocol parameters it takes (so far only the ablation stream's ``threshold``).
The study's stream is of another kind: it has no query function over the pool but a
:class:`helpers.stream.OnePassStream` source that the loop creates once per run.

:data:`STUDY_STRATEGIES` are the five strategies of the study (the default grid);
``stream_redraw`` is an ablation that runs only when asked for by name.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from helpers import compat
from helpers.pool import (
    classifier_entropy,
    classifier_margin,
    classifier_uncertainty,
    entropy_query,
    least_confident_query,
    margin_query,
    random_query,
)
from helpers.stream import OnePassStream, stream_redraw_query

compat.patch_modal()


@dataclass(frozen=True)
class Strategy:
    """A named query strategy.

    Attributes
    ----------
    name : str
        Registry key; also a folder name in the results layout.
    label : str
        Display name for figures and tables.
    family : str
        ``"random"``, ``"pool"`` or ``"stream"``.
    query : callable or None
        ``query(classifier, X_pool, n_instances, rng, **params) -> (indices, info)``;
        None for the one-pass stream.
    score : callable or None
        ``score(classifier, X) -> ndarray``, the per-instance score the query ranks or
        thresholds (None for random sampling).
    params : tuple of str
        Protocol parameters passed to ``query`` (``"threshold"`` for the redrawn stream).
    stream : type or None
        For the one-pass stream, the class of its source
        (:class:`helpers.stream.OnePassStream`), created by the loop once per run.
    ablation : bool
        True for strategies outside the study's five (run only when named).
    """

    name: str
    label: str
    family: str
    query: Callable | None
    score: Callable | None = None
    params: tuple[str, ...] = field(default=())
    stream: type | None = None
    ablation: bool = False

    def bind(self, rng: np.random.Generator, threshold: float | None = None) -> Callable:
        """Return a modAL ``query_strategy``: ``query`` with ``rng`` and its parameters bound.

        Raises
        ------
        TypeError
            For the one-pass stream, which has no pool query function (see :attr:`stream`).
        """
        if self.query is None:
            raise TypeError(f"strategy {self.name!r} is a one-pass stream, not a pool query; use its stream")
        values = {"threshold": threshold}
        return functools.partial(self.query, rng=rng, **{p: values[p] for p in self.params})


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        Strategy("random", "Random", "random", random_query),
        Strategy("least_confident", "Least confident", "pool", least_confident_query, classifier_uncertainty),
        Strategy("margin", "Margin", "pool", margin_query, classifier_margin),
        Strategy("entropy", "Entropy", "pool", entropy_query, classifier_entropy),
        Strategy("stream_uncertainty", "Stream", "stream", None, classifier_uncertainty,
                 stream=OnePassStream),
        Strategy("stream_redraw", "Stream (redrawn, ablation)", "stream", stream_redraw_query,
                 classifier_uncertainty, params=("threshold",), ablation=True),
    )
}

#: The study's strategies, in display order: the default of every grid.
STUDY_STRATEGIES: tuple[str, ...] = tuple(name for name, s in STRATEGIES.items() if not s.ablation)


def get_strategy(name: str) -> Strategy:
    """Return the registered strategy called ``name``.

    Raises
    ------
    ValueError
        For an unknown name, listing the registered ones.
    """
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; choose one of: {', '.join(STRATEGIES)}") from None
