"""The fine-tuning ablation: the same grid under several update rules of the model.

The study fine-tunes its models after every query. The ablation reruns part of the grid
with other update rules (for the logistic regression: run to convergence from the current
weights, or re-train from scratch) and asks whether the ranking of the strategies changes.
Each rule's runs live in their own results root; these functions load them side by side
and compare the rules seed by seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
import scipy.stats as sps

from helpers.stats.inference import rank_blocks
from helpers.stats.loading import RunGrid, load_runs
from helpers.stats.metrics import accuracy_change, per_run_metrics
from helpers.stats.naming import EXPERIMENT_ORDER, REFERENCE_STRATEGY, ordered_strategies

#: Update rules of each pair's fine-tuning ablation besides the study's own (``"fixed"``).
ABLATION_RULES: dict[str, tuple[str, ...]] = {"mnist_logreg": ("converge", "cold")}

#: Columns of :func:`update_rule_table`.
UPDATE_RULE_COLUMNS = ["experiment", "rule", "strategy", "n_seeds", "aulc", "final_accuracy", "aulc_gain",
                       "final_gain", "mean_rank", "order", "initial_accuracy", "lowest_accuracy", "final_change",
                       "n_declined"]


def ablation_root(results_root: str | Path, pair: str) -> Path:
    """Return the folder of ``pair``'s fine-tuning ablation (one sub-folder per rule)."""
    return Path(results_root) / "ablations" / f"{pair}_finetune"


def update_rule_roots(results_root: str | Path, pair: str) -> dict[str, Path]:
    """Return rule -> results root for ``pair``: the study's rule first, then the ablation's.

    Returns
    -------
    dict
        ``{"fixed": results_root, rule: <ablation root>/<rule>, ...}`` for the rules of
        :data:`ABLATION_RULES` whose folder exists; only ``"fixed"`` when none does.
    """
    roots = {"fixed": Path(results_root)}
    for rule in ABLATION_RULES.get(pair, ()):
        if (ablation_root(results_root, pair) / rule).is_dir():
            roots[rule] = ablation_root(results_root, pair) / rule
    return roots


def load_update_rules(roots: Mapping[str, str | Path], grid: RunGrid) -> pd.DataFrame:
    """Load the per-run metrics of every update rule.

    Parameters
    ----------
    roots
        Rule name -> results root holding that rule's runs (in order; the first is the
        study's own rule, the one the others are compared with).
    grid
        The runs compared; the same grid is read from every root.

    Returns
    -------
    pandas.DataFrame
        :func:`per_run_metrics` of every root with a ``rule`` column. Within each experiment
        only the (strategy, seed) runs that every rule with runs in that experiment has, so
        the rules are compared on the same seeds and strategies; an experiment that a rule
        did not run (the ``large`` ablation ran one rule, two strategies and three seeds) is
        compared over the rules that ran it.
    """
    frames = []
    for rule, root in roots.items():
        try:
            runs = load_runs(root, grid)
        except FileNotFoundError as err:
            raise FileNotFoundError(f"update rule {rule!r}: {err}") from None
        frames.append(per_run_metrics(runs).assign(rule=rule))
    keys = ["pair", "experiment", "strategy", "seed"]
    runs = pd.concat(frames, ignore_index=True)
    kept = []
    for _, block in runs.groupby("experiment", sort=False):
        common = None
        for _, frame in block.groupby("rule", sort=False):
            index = pd.MultiIndex.from_frame(frame[keys])
            common = index if common is None else common.intersection(index)
        kept.append(block[pd.MultiIndex.from_frame(block[keys]).isin(common)])
    rules = {rule: i for i, rule in enumerate(roots)}
    return (pd.concat(kept).sort_values("rule", key=lambda c: c.map(rules), kind="stable")
            .reset_index(drop=True))


def update_rule_table(per_run: pd.DataFrame, reference: str = REFERENCE_STRATEGY) -> pd.DataFrame:
    """Compare the strategies under each update rule.

    Parameters
    ----------
    per_run
        Output of :func:`load_update_rules` (one pair).
    reference
        The strategy the gains are measured against.

    Returns
    -------
    pandas.DataFrame
        One row per (experiment, rule, strategy), columns :data:`UPDATE_RULE_COLUMNS`:
        ``aulc`` and ``final_accuracy`` means over seeds; ``aulc_gain`` and ``final_gain``
        the mean paired difference to ``reference`` (same seed, same rule); ``mean_rank``
        the strategy's mean AULC rank over the seeds (1 = best); ``order`` its place when
        the strategies are sorted by mean rank (ties by mean AULC); ``initial_accuracy`` and
        ``lowest_accuracy`` the means over seeds of the pre-trained model's accuracy and of
        the lowest accuracy after a query (a dip shows as the second below the first);
        ``final_change`` the mean of final minus initial accuracy and ``n_declined`` the
        seeds on which the final accuracy is below the initial one (more labels, a worse
        model: the update rule's drift).
    """
    rows = []
    rules = list(dict.fromkeys(per_run["rule"]))
    for (experiment, rule), block in per_run.groupby(["experiment", "rule"], sort=False):
        by_seed = block.pivot_table(index="seed", columns="strategy", values=["aulc", "final_accuracy"])
        ranks = rank_blocks(block, "aulc").mean()
        means = block.groupby("strategy")[["aulc", "final_accuracy", "initial_accuracy", "lowest_accuracy"]].mean()
        order = sorted(means.index, key=lambda s: (ranks.get(s, np.inf), -means.loc[s, "aulc"]))
        change = {s: accuracy_change(g) for s, g in block.groupby("strategy")}
        for strategy in ordered_strategies(means.index):
            gain = {}
            for metric in ("aulc", "final_accuracy"):
                if reference in by_seed[metric]:
                    diff = (by_seed[metric][strategy] - by_seed[metric][reference]).dropna()
                    gain[metric] = float(diff.mean()) if len(diff) else np.nan
                else:
                    gain[metric] = np.nan
            rows.append({"experiment": experiment, "rule": rule, "strategy": strategy,
                         "n_seeds": int(block.loc[block["strategy"] == strategy, "seed"].nunique()),
                         "aulc": float(means.loc[strategy, "aulc"]),
                         "final_accuracy": float(means.loc[strategy, "final_accuracy"]),
                         "aulc_gain": gain["aulc"], "final_gain": gain["final_accuracy"],
                         "mean_rank": float(ranks.get(strategy, np.nan)), "order": order.index(strategy) + 1,
                         "initial_accuracy": float(means.loc[strategy, "initial_accuracy"]),
                         "lowest_accuracy": float(means.loc[strategy, "lowest_accuracy"]),
                         "final_change": change[strategy][0], "n_declined": change[strategy][1]})
    table = pd.DataFrame(rows, columns=UPDATE_RULE_COLUMNS)
    exp_order = {e: i for i, e in enumerate(EXPERIMENT_ORDER)}
    rule_order = {r: i for i, r in enumerate(rules)}
    return table.sort_values(["experiment", "rule", "order"],
                             key=lambda c: c.map(exp_order) if c.name == "experiment"
                             else c.map(rule_order) if c.name == "rule" else c).reset_index(drop=True)


def compare_update_rules(results_root: str | Path, pair: str, grid: RunGrid | None = None) -> pd.DataFrame | None:
    """Return :func:`update_rule_table` of ``pair``'s fine-tuning ablation, or None without one.

    Parameters
    ----------
    results_root
        The study's results root (the ablation lives under its ``ablations/`` folder).
    pair
        Model-dataset pair.
    grid
        Restricts experiments and strategies (its seeds are ignored: the ablation has
        its own, and the rules are compared on the seeds they share).
    """
    roots = update_rule_roots(results_root, pair)
    if len(roots) < 2:
        return None
    wanted = RunGrid(pairs=[pair], experiments=grid.experiments if grid else None,
                     strategies=grid.strategies if grid else None)
    return update_rule_table(load_update_rules(roots, wanted))


def ranking_agreement(table: pd.DataFrame) -> pd.DataFrame:
    """Say, per experiment, whether each rule ranks the strategies like the first rule.

    Parameters
    ----------
    table
        Output of :func:`update_rule_table`.

    Returns
    -------
    pandas.DataFrame
        One row per (experiment, rule): ``ranking`` (strategies best first, joined by
        ``" > "``), ``best`` (the first of them), ``same_order`` and ``same_best`` (compared
        with the first rule of the table) and ``kendall_tau`` between the two orders.
    """
    rows = []
    for experiment, block in table.groupby("experiment", sort=False):
        rules = list(dict.fromkeys(block["rule"]))
        base = block[block["rule"] == rules[0]].set_index("strategy")["order"]
        for rule in rules:
            sub = block[block["rule"] == rule].sort_values("order")
            order = sub.set_index("strategy")["order"].reindex(base.index)
            tau = float(sps.kendalltau(base.to_numpy(), order.to_numpy()).statistic) if len(base) > 1 else np.nan
            rows.append({"experiment": experiment, "rule": rule, "ranking": " > ".join(sub["strategy"]),
                         "best": sub["strategy"].iloc[0], "same_order": bool((order == base).all()),
                         "same_best": sub["strategy"].iloc[0] == base.idxmin(), "kendall_tau": tau})
    return pd.DataFrame(rows)
