"""Names, display order and roles of pairs, experiments and strategies, shared by every table and figure."""

from __future__ import annotations

from typing import Iterable, Sequence

import pandas as pd

from helpers.config import PAIRS

#: Strategy used as the baseline in every comparison.
REFERENCE_STRATEGY = "random"

#: The study's one-pass stream strategy (its runs record the stream's selectivity).
STREAM_STRATEGY = "stream_uncertainty"

#: Display order of strategies (reference first); unknown ones follow alphabetically.
STRATEGY_ORDER = ("random", "least_confident", "margin", "entropy", "stream_uncertainty", "stream_redraw")

#: Human-readable strategy names used in figures and tables.
STRATEGY_LABELS = {
    "random": "Random",
    "least_confident": "Least confident",
    "margin": "Margin",
    "entropy": "Entropy",
    "stream_uncertainty": "Stream",
    "stream_redraw": "Stream (redrawn, ablation)",
}

#: Display order of experiments (initial labelled-set size, smallest first).
EXPERIMENT_ORDER = ("small", "moderate", "large")

#: Human-readable experiment names.
EXPERIMENT_LABELS = {
    "small": "Small start (10 labels)",
    "moderate": "Moderate start (15 % of pool)",
    "large": "Large start (80 % of pool)",
}

#: Display order of model-dataset pairs.
PAIR_ORDER = ("mnist_logreg", "cifar10_cnn", "mnist_logreg_b250", "cifar10_logreg", "mnist_cnn", "digits_logreg")

#: Human-readable model-dataset pair names.
PAIR_LABELS = {
    "mnist_logreg": "MNIST, logistic regression",
    "cifar10_cnn": "CIFAR-10, CNN",
    "mnist_logreg_b250": "MNIST, logistic regression, 250 x 50",
    "cifar10_logreg": "CIFAR-10, logistic regression",
    "mnist_cnn": "MNIST, CNN",
    "digits_logreg": "Digits, logistic regression",
    "digits_cnn": "Digits, CNN",
}

#: Roles the paper text refers to, and the model that fills each role.
ROLES = {"Shallow": "logreg", "Deep": "cnn"}


RUN_KEYS = ["pair", "experiment", "strategy", "seed"]
_GROUP_KEYS = ["pair", "experiment", "strategy"]


# --------------------------------------------------------------------------- labels / ordering
def _fallback_label(name: str) -> str:
    return str(name).replace("_", " ").capitalize()


def strategy_label(name: str) -> str:
    """Return the display name of a strategy (e.g. ``"Least confident"``)."""
    return STRATEGY_LABELS.get(name, _fallback_label(name))


def experiment_label(name: str) -> str:
    """Return the display name of an experiment (e.g. ``"Small start (10 labels)"``)."""
    return EXPERIMENT_LABELS.get(name, _fallback_label(name))


def pair_label(name: str) -> str:
    """Return the display name of a model-dataset pair (e.g. ``"CIFAR-10, CNN"``)."""
    return PAIR_LABELS.get(name, name)


def _ordered(values: Iterable[str], order: Sequence[str]) -> list[str]:
    present = list(dict.fromkeys(values))
    known = [v for v in order if v in present]
    return known + sorted(v for v in present if v not in order)


def ordered_strategies(values: Iterable[str]) -> list[str]:
    """Return the distinct strategies in ``values`` in display order.

    Returns
    -------
    list of str
        :data:`STRATEGY_ORDER` first, then unknown names alphabetically.
    """
    return _ordered(values, STRATEGY_ORDER)


def ordered_experiments(values: Iterable[str]) -> list[str]:
    """Return the distinct experiments in ``values`` in display order (small, moderate, large, others)."""
    return _ordered(values, EXPERIMENT_ORDER)


def ordered_pairs(values: Iterable[str]) -> list[str]:
    """Return the distinct pairs in ``values`` in display order (:data:`PAIR_ORDER`, then others)."""
    return _ordered(values, PAIR_ORDER)


def role_pair(role: str, pairs: Iterable[str]) -> str | None:
    """Return the pair that fills ``role`` (``"Shallow"`` or ``"Deep"``, see :data:`ROLES`), or None.

    The pair whose model is the role's; a study pair wins over a smoke pair, so the
    paper describes MNIST and CIFAR-10 whenever their results exist, and the study's own
    pairs win over the crossed design's cells (:data:`PAIR_ORDER`), whatever order
    ``pairs`` comes in.

    Returns
    -------
    str or None
        The first such pair in display order (study pairs before smoke pairs, the rest in
        the order given); None when no pair of ``pairs`` has the role's model.
    """
    candidates = [p for p in dict.fromkeys(pairs) if p in PAIRS and PAIRS[p].model == ROLES[role]]
    rank = {p: i for i, p in enumerate(PAIR_ORDER)}
    candidates.sort(key=lambda p: (PAIRS[p].smoke, rank.get(p, len(rank))))  # stable within equal keys
    return candidates[0] if candidates else None


def study_pairs(pairs: Iterable[str]) -> list[str]:
    """Return the pairs of ``pairs`` in the shallow and the deep role (:func:`role_pair`), in that order.

    These are the study's two cells, which the paper's summary figures and its macro-F1 table
    show; an empty list when no pair fills a role.
    """
    pairs = list(pairs)
    return [p for p in (role_pair(role, pairs) for role in ROLES) if p]


def _sort_display(frame: pd.DataFrame, then: Sequence[tuple[str, Sequence[str]]] = ()) -> pd.DataFrame:
    """Sort a frame by whichever of its pair/experiment/strategy columns exist, in display order.

    ``then`` adds (column, order) keys sorted after those, e.g. ``[("metric", ("aulc", ...))]``.
    """
    if frame.empty:
        return frame.reset_index(drop=True)
    orderers = {"pair": ordered_pairs, "experiment": ordered_experiments, "strategy": ordered_strategies}
    ranks = {c: {v: i for i, v in enumerate(order(frame[c]))} for c, order in orderers.items() if c in frame.columns}
    ranks.update({c: {v: i for i, v in enumerate(order)} for c, order in then})
    cols = [c for c in ("pair", "experiment", "strategy") if c in frame.columns] + [c for c, _ in then]
    return frame.sort_values(cols, key=lambda s: s.map(ranks[s.name]), kind="stable").reset_index(drop=True)

