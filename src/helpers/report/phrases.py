"""Generated prose: the phrases of the paper text that depend on results (a strategy's
name, a change, "in every experiment", whether two orders agree), so the text never states
what the numbers do not show.

May import: :mod:`helpers.report.numbers`, :mod:`helpers.report.naming`, :mod:`helpers.stats`.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import pandas as pd

from helpers import stats
from helpers.config import PAIRS
from helpers.report.naming import DATASET_TEX
from helpers.report.numbers import _missing, experiment_digits, fmt_num, fmt_signed_pp, latex_escape, round_half_up


# --------------------------------------------------------------------------- prose
#: How the paper's running text names a strategy (tables use :func:`helpers.stats.strategy_label`).
STRATEGY_PHRASES = {"random": "random sampling", "margin": "margin sampling", "least_confident": "least confidence",
                    "entropy": "entropy sampling", "stream_uncertainty": "the stream",
                    "stream_redraw": "the redrawn stream"}

#: How the running text names an update rule of the fine-tuning ablation.
RULE_PHRASES = {"fixed": "the fixed budget", "converge": "fine-tuning to convergence", "cold": "the cold refit"}

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                 "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
                 "twenty")


def number_word(n: int) -> str:
    """Return ``n`` as the text writes it: a word up to twenty (``3 -> "three"``), digits beyond."""
    n = int(n)
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def seed_range(seeds: Iterable[int]) -> str:
    """Return a set of seeds as the text writes it.

    Returns
    -------
    str
        ``"42--46"`` (a LaTeX en dash) for consecutive seeds, ``"42"`` for one, the seeds
        joined by ``", "`` when there are gaps, ``""`` for none.
    """
    seeds = sorted({int(s) for s in seeds})
    if not seeds:
        return ""
    if len(seeds) > 1 and seeds[-1] - seeds[0] == len(seeds) - 1:
        return f"{seeds[0]}--{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)


def all_experiments_phrase(n: int) -> str:
    """Return ``"both experiments"`` for two, else ``"all <n> experiments"`` (``"all three experiments"``)."""
    return "both experiments" if int(n) == 2 else f"all {number_word(n)} experiments"


def join_phrases(items: Iterable[str]) -> str:
    """Join phrases as a sentence lists them.

    Returns
    -------
    str
        ``""``, ``"a"``, ``"a and b"``, ``"a, b and c"``.
    """
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def strategy_phrase(strategy: str) -> str:
    """Return the running text's name of a strategy (``"margin"`` -> ``"margin sampling"``).

    Strategies tied for a place (joined by ``","`` as :func:`helpers.stats.best_by_rank`
    joins them) are listed and marked: ``"margin sampling and the stream (tied)"``.
    """
    names = [STRATEGY_PHRASES.get(s, latex_escape(s)) for s in str(strategy).split(",")]
    return join_phrases(names) + (" (tied)" if len(names) > 1 else "")


def experiment_phrase(experiment: str) -> str:
    r"""Return the running text's name of an experiment (``"small"`` -> ``"\emph{small}"``)."""
    return rf"\emph{{{latex_escape(experiment)}}}"


def change_phrase(value, digits: int = 1, unit: str = "points") -> str:
    r"""Say a signed difference in percentage points as a verb phrase, without a sign.

    Parameters
    ----------
    value
        A difference of fractions (0.015 = 1.5 points), rounded by :func:`round_half_up`.
    digits
        Decimals printed.
    unit
        Word after the number.

    Returns
    -------
    str
        ``"gains 1.5 points"``, ``"loses 1.5 points"`` (never ``"loses -1.5"``), ``"neither
        gains nor loses (0.0 points)"`` when the value rounds to zero, ``"n/a"`` for NaN.
        The subject is singular: "least confidence loses 1.5 points".
    """
    if _missing(value):
        return "n/a"
    rounded = round_half_up(value, digits, scale=2)
    if rounded == 0:
        return f"neither gains nor loses ({fmt_num(0, digits)} {unit})"
    return f"{'gains' if rounded > 0 else 'loses'} {abs(rounded):f} {unit}"


def per_experiment_phrase(best: Mapping[str, str]) -> str:
    r"""Say which strategy holds a place in each experiment, naming each strategy once.

    Parameters
    ----------
    best
        Experiment -> strategy (ties joined by ``","``), in the order the text lists them.

    Returns
    -------
    str
        ``"margin sampling in all three experiments"`` when one strategy holds it
        everywhere; otherwise the experiments grouped by strategy, e.g. ``"margin sampling
        in \emph{small} and \emph{moderate} and the stream in \emph{large}"``;
        ``"margin sampling in \emph{small}"`` for one experiment.
    """
    groups: dict[str, list[str]] = {}
    for experiment, strategy in best.items():
        groups.setdefault(str(strategy), []).append(experiment)
    if len(groups) == 1 and len(best) > 1:
        (strategy,) = groups
        return f"{strategy_phrase(strategy)} in {all_experiments_phrase(len(best))}"
    parts = [f"{strategy_phrase(strategy)} in {join_phrases(experiment_phrase(e) for e in experiments)}"
             for strategy, experiments in groups.items()]
    return join_phrases(parts) if len(parts) <= 2 else "; ".join(parts[:-1]) + "; and " + parts[-1]


def per_value_phrase(best: Mapping[float, str], symbol: str = "C") -> str:
    r"""Say which strategy holds a place at each value of a parameter, naming each strategy once.

    Parameters
    ----------
    best
        Value -> strategy (ties joined by ``","``), in the order the text lists them.
    symbol
        The parameter's symbol, set in math mode.

    Returns
    -------
    str
        ``"margin sampling at every value of $C$"`` when one strategy holds it at every value
        (two or more); otherwise the values grouped by strategy, e.g. ``"margin sampling at
        $C = 0.01$ and $0.1$ and entropy sampling at $C = 1$"``; ``"margin sampling at
        $C = 0.1$"`` for one value.
    """
    groups: dict[str, list[float]] = {}
    for value, strategy in best.items():
        groups.setdefault(str(strategy), []).append(float(value))
    if len(groups) == 1 and len(best) > 1:
        (strategy,) = groups
        return f"{strategy_phrase(strategy)} at every value of ${symbol}$"
    parts = [f"{strategy_phrase(strategy)} at "
             + join_phrases([f"${symbol} = {values[0]:g}$"] + [f"${v:g}$" for v in values[1:]])
             for strategy, values in groups.items()]
    return join_phrases(parts) if len(parts) <= 2 else "; ".join(parts[:-1]) + "; and " + parts[-1]


def same_order_phrase(same: Mapping[str, bool], reference: str = "fixed") -> str:
    """Say whether other update rules rank the strategies as the reference rule does.

    Parameters
    ----------
    same
        Rule -> whether it gives the reference rule's order (the reference itself is ignored).
    reference
        The rule compared with.

    Returns
    -------
    str
        ``"in the same order as the fixed budget"`` (all rules agree), ``"in a different
        order from the fixed budget"`` (none does), or both halves with the rules named,
        e.g. ``"in the same order as the fixed budget under fine-tuning to convergence
        but in a different order under the cold refit"``.
    """
    others = {rule: bool(flag) for rule, flag in same.items() if rule != reference}
    base = RULE_PHRASES.get(reference, latex_escape(reference))
    if all(others.values()):
        return f"in the same order as {base}"
    if not any(others.values()):
        return f"in a different order from {base}"
    agree = join_phrases(RULE_PHRASES.get(r, latex_escape(r)) for r, flag in others.items() if flag)
    differ = join_phrases(RULE_PHRASES.get(r, latex_escape(r)) for r, flag in others.items() if not flag)
    return f"in the same order as {base} under {agree} but in a different order under {differ}"


def _order(block: pd.DataFrame, column: str) -> list[str]:
    """Strategies of one experiment sorted by ``column``, best first (ties by display order)."""
    block = block.assign(_display=[stats.ordered_strategies(block["strategy"]).index(s) for s in block["strategy"]])
    return list(block.sort_values([column, "_display"], ascending=[False, True])["strategy"])


def order_agreement_phrase(strategy_summary: pd.DataFrame, metric: str = "final_macro_f1_mean",
                           reference: str = "final_accuracy_mean", metric_name: str = "macro-F1") -> str:
    r"""Say where a metric orders the strategies as the reference metric does, and where not.

    The clause completes "…, which order the strategies as final accuracy does". Means
    are compared after rounding to the printed precision (:func:`experiment_digits`), so
    two strategies printed alike count as tied, not as swapped.

    Returns
    -------
    str
        ``"in all six experiments"``, or e.g. ``"in five of the six experiments; in CIFAR-10
        \emph{small} macro-F1 puts least confidence ahead of random sampling"`` (each pair
        of strategies whose order differs, the one ``metric`` ranks higher first).
    """
    differing, n = [], 0
    for pair in stats.ordered_pairs(strategy_summary["pair"]):
        p_rows = strategy_summary[strategy_summary["pair"] == pair]
        for experiment in stats.ordered_experiments(p_rows["experiment"]):
            block = p_rows[p_rows["experiment"] == experiment]
            if block[[metric, reference]].isna().any().any():
                continue
            n += 1
            digits = experiment_digits(block)
            shown = block.assign(**{c: [float(round_half_up(v, digits, scale=2)) for v in block[c]]
                                    for c in (metric, reference)})
            by_metric = _order(shown, metric)
            values = shown.set_index("strategy")
            swaps = [(a, b) for i, a in enumerate(by_metric) for b in by_metric[i + 1:]
                     if values.loc[a, metric] > values.loc[b, metric]
                     and values.loc[a, reference] < values.loc[b, reference]]
            if swaps:
                dataset = DATASET_TEX.get(PAIRS[pair].dataset, latex_escape(PAIRS[pair].dataset)) \
                    if pair in PAIRS else latex_escape(pair)
                differing.append(f"in {dataset} {experiment_phrase(experiment)} {metric_name} puts "
                                 + join_phrases(f"{STRATEGY_PHRASES.get(a, a)} ahead of {STRATEGY_PHRASES.get(b, b)}"
                                                for a, b in swaps))
    if not differing:
        return f"in {all_experiments_phrase(n)}" if n > 1 else "in this experiment"
    return f"in {number_word(n - len(differing))} of the {number_word(n)} experiments; " + "; ".join(differing)


#: How the running text names a model.
MODEL_PHRASES = {"logreg": "the logistic regression", "cnn": "the network"}


def cell_phrase(pair: str, pairs: Iterable[str] = ()) -> str:
    r"""Return the running text's name of a cell of the crossed design.

    ``"the network on CIFAR-10"``; when another of ``pairs`` has the same model and dataset
    the query size is added (``"the logistic regression on MNIST at $k = 5$"``). A pair outside
    the registry is named by its escaped identifier.
    """
    spec = PAIRS.get(pair)
    if spec is None:
        return latex_escape(pair)
    text = (f"{MODEL_PHRASES.get(spec.model, latex_escape(spec.model))} on "
            f"{DATASET_TEX.get(spec.dataset, latex_escape(spec.dataset))}")
    twins = [p for p in pairs if p != pair and p in PAIRS
             and (PAIRS[p].model, PAIRS[p].dataset) == (spec.model, spec.dataset)]
    return text + (f" at $k = {spec.query_size}$" if twins else "")


def best_by_cell_phrase(best: Mapping[str, str]) -> str:
    """Say which strategy is best in which cell.

    Parameters
    ----------
    best
        pair -> best strategy (tied ones joined by ``","``), in the order the text lists cells.

    Returns
    -------
    str
        ``"margin sampling in all five cells"`` (``"in both cells"``, ``"in the one cell"``) when
        one strategy leads everywhere; otherwise the strategy of most cells first, ``"margin
        sampling in three cells, least confidence for the network on MNIST and entropy
        sampling for the network on CIFAR-10"``; ``""`` for no cells.
    """
    if not best:
        return ""
    groups: dict[str, list[str]] = {}
    for pair, strategy in best.items():
        groups.setdefault(str(strategy), []).append(pair)
    n = len(best)
    if len(groups) == 1:
        (strategy,) = groups
        where = "in the one cell" if n == 1 else "in both cells" if n == 2 else f"in all {number_word(n)} cells"
        return f"{strategy_phrase(strategy)} {where}"
    ordered = sorted(groups.items(), key=lambda item: -len(item[1]))  # stable: ties keep the cells' order
    parts = []
    for strategy, cells in ordered:
        if len(cells) == 1:
            parts.append(f"{strategy_phrase(strategy)} for {cell_phrase(cells[0], best)}")
        else:
            parts.append(f"{strategy_phrase(strategy)} in {number_word(len(cells))} cells")
    return join_phrases(parts)


def resolved_phrase(rows: pd.DataFrame, digits: int = 2) -> str:
    r"""List the strategies whose effect has a 95 % interval that excludes zero.

    Parameters
    ----------
    rows
        Rows of :func:`helpers.stats.crossed_effects` for one experiment, effect and level
        (columns ``strategy``, ``estimate``, ``ci_low``, ``ci_high``).
    digits
        Decimals of the estimates (percentage points).

    Returns
    -------
    str
        ``"least confidence (\ensuremath{+}3.48) and entropy sampling (\ensuremath{+}6.33)"`` in the
        study's strategy order; ``"no strategy"`` when every interval includes zero; ``"n/a"``
        when no row has an interval (one seed).
    """
    with_interval = rows[~rows["ci_low"].map(_missing) & ~rows["ci_high"].map(_missing)]
    if with_interval.empty:
        return "n/a"
    resolved = with_interval[stats.excludes_zero(with_interval["ci_low"], with_interval["ci_high"])]
    if resolved.empty:
        return "no strategy"
    order = {s: i for i, s in enumerate(stats.ordered_strategies(resolved["strategy"]))}
    resolved = resolved.sort_values("strategy", key=lambda col: col.map(order))
    return join_phrases(f"{strategy_phrase(r.strategy)} ({fmt_signed_pp(r.estimate, digits)})"
                        for r in resolved.itertuples(index=False))


def resolved_by_level_phrase(levels: Mapping[str, pd.DataFrame], either: str, digits: int = 2) -> str:
    r"""Say, for each level of a factor, which strategies' effects have intervals excluding zero.

    Parameters
    ----------
    levels
        Where the effect was measured, as the text says it (``"on MNIST"``, ``"with the network"``)
        -> its rows of :func:`helpers.stats.crossed_effects` (see :func:`resolved_phrase`).
    either
        How the text says "at every level" (``"on either dataset"``).
    digits
        Decimals of the estimates.

    Returns
    -------
    str
        ``"for entropy sampling (\ensuremath{+}0.45) on MNIST and for no strategy on CIFAR-10"``;
        ``"for no strategy on either dataset"`` when no interval excludes zero; ``"n/a"`` when
        no level has an interval.
    """
    said = {where: resolved_phrase(rows, digits) for where, rows in levels.items()}
    known = {where: text for where, text in said.items() if text != "n/a"}
    if not known:
        return "n/a"
    if len(said) > 1 and all(text == "no strategy" for text in said.values()):
        return f"for no strategy {either}"
    return join_phrases(f"for {text} {where}" for where, text in said.items())
