"""The shallow model against the deep one: do the strategies gain, and rank, alike?

The study runs the same strategies and experiments on a shallow pair (logistic regression
on MNIST) and a deep pair (a CNN on CIFAR-10). :func:`model_comparison` puts, side by
side, what each pair's strategies gain over random sampling (from
:func:`helpers.stats.paired_tests`) and where they rank (from
:func:`helpers.stats.friedman_ranks` per pair and experiment); :func:`best_strategies`
says, per experiment, which strategy ranks best for each model and whether it is the same.
Which pair plays which role is :func:`helpers.stats.role_pair`'s answer.

Column prefixes ``shallow_`` and ``deep_`` name the role, not the model, so the same code
serves the smoke pairs (digits with both models).
"""

from __future__ import annotations

import pandas as pd

from helpers.stats.naming import REFERENCE_STRATEGY, _sort_display, ordered_strategies, role_pair

#: Metrics of :func:`helpers.stats.paired_tests` compared, in display order.
COMPARISON_METRICS = ("aulc", "final_accuracy")

_SIDE_COLUMNS = ("pair", "gain", "lo", "hi", "n_seeds", "p_holm", "significant", "rank", "place")

#: Columns of :func:`model_comparison`, in order.
COMPARISON_COLUMNS = (["experiment", "strategy", "metric"]
                      + [f"{role}_{c}" for role in ("shallow", "deep") for c in _SIDE_COLUMNS]
                      + ["place_differs"])

#: Columns of :func:`best_strategies`, in order.
BEST_COLUMNS = ["experiment", "shallow_pair", "shallow_best", "shallow_best_rank", "shallow_n_blocks",
                "deep_pair", "deep_best", "deep_best_rank", "deep_n_blocks", "same_best", "same_order"]

_TIE = 1e-9  # mean ranks closer than this are a tie


def _aulc_ranks(ranks: pd.DataFrame, metric: str = "aulc") -> pd.DataFrame:
    """Per-experiment rows of ``ranks`` for ``metric`` (rows of experiment ``"all"`` dropped)."""
    if ranks is None or ranks.empty:
        return pd.DataFrame(columns=["pair", "experiment", "strategy", "mean_rank", "n_blocks"])
    keep = ranks["experiment"] != "all"
    if "metric" in ranks.columns:
        keep &= ranks["metric"] == metric
    return ranks[keep]


def _places(block: pd.DataFrame) -> pd.Series:
    """Place of every strategy of one (pair, experiment) by mean rank: 1 = best, ties share the better place."""
    rounded = block["mean_rank"].round(9)
    return pd.Series(rounded.rank(method="min").astype(int).to_numpy(), index=block["strategy"].to_numpy())


def model_comparison(tests: pd.DataFrame, ranks: pd.DataFrame, shallow: str, deep: str) -> pd.DataFrame:
    """Gains over random and AULC ranks of every strategy, the shallow pair beside the deep one.

    Parameters
    ----------
    tests
        Rows of :func:`helpers.stats.paired_tests` (``aulc`` and/or ``final_accuracy``,
        concatenated); other pairs and metrics are ignored.
    ranks
        Output of :func:`helpers.stats.friedman_ranks` with ``by=("pair", "experiment")``,
        ranking every strategy of an experiment, random included (rows of experiment
        ``"all"`` and of another ``metric`` than ``aulc`` are ignored).
    shallow, deep
        The two pairs compared (e.g. ``role_pair("Shallow", pairs)``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMPARISON_COLUMNS`; one row per (experiment, strategy other than
        random, metric of :data:`COMPARISON_METRICS`) that both pairs have, in display
        order (experiments as :data:`EXPERIMENT_ORDER`, then strategies as
        :data:`STRATEGY_ORDER`, then metrics). An experiment, strategy or metric that only
        one pair has is left out. Per role (``shallow_``/``deep_``):

        ``pair``
            the pair;
        ``gain``, ``lo``, ``hi``
            mean paired difference to random (fraction, not percent) and its 95 % t
            interval over seeds; ``lo`` and ``hi`` are NaN with a single seed (where
            ``paired_tests`` reports the zero-width interval ``lo = hi = gain``);
        ``n_seeds``
            seeds paired with random;
        ``p_holm``, ``significant``
            Holm-corrected Wilcoxon p (NaN with fewer than two seeds) and whether it is
            below the level of ``paired_tests`` (False when untestable);
        ``rank``
            the strategy's mean AULC rank within the pair and experiment (1 = best, all
            strategies incl. random ranked; the same value on both metric rows; NaN when
            ``ranks`` has no row for it);
        ``place``
            its position when the pair's strategies are sorted by mean rank (1 = best,
            ties share the better place; NaN without a rank).

        ``place_differs`` is True where both places exist and differ.

    Raises
    ------
    ValueError
        If ``shallow`` and ``deep`` are the same pair.
    """
    if shallow == deep:
        raise ValueError(f"compare two different pairs, got {shallow!r} twice")
    keys = ["experiment", "strategy", "metric"]
    tests = tests[tests["metric"].isin(COMPARISON_METRICS) & (tests["strategy"] != REFERENCE_STRATEGY)]
    per_experiment = _aulc_ranks(ranks)

    sides = []
    for role, pair in (("shallow", shallow), ("deep", deep)):
        side = tests[tests["pair"] == pair][["pair"] + keys + ["mean_diff", "diff_ci_lo", "diff_ci_hi",
                                                                "n_pairs", "p_holm", "significant"]]
        side = side.rename(columns={"mean_diff": "gain", "diff_ci_lo": "lo", "diff_ci_hi": "hi",
                                    "n_pairs": "n_seeds"})
        # mean_ci gives one seed a zero-width interval (lo = hi = gain); it is no interval at all.
        side.loc[side["n_seeds"] < 2, ["lo", "hi"]] = float("nan")
        r = per_experiment[per_experiment["pair"] == pair]
        rank_rows = []
        for experiment, block in r.groupby("experiment", sort=False):
            places = _places(block)
            for strategy, mean_rank in zip(block["strategy"], block["mean_rank"]):
                rank_rows.append({"experiment": experiment, "strategy": strategy,
                                  "rank": float(mean_rank), "place": float(places[strategy])})
        rank_frame = pd.DataFrame(rank_rows, columns=["experiment", "strategy", "rank", "place"])
        side = side.merge(rank_frame, on=["experiment", "strategy"], how="left")
        sides.append(side.rename(columns={c: f"{role}_{c}" for c in _SIDE_COLUMNS}))

    table = sides[0].merge(sides[1], on=keys, how="inner")
    table["place_differs"] = (table["shallow_place"].notna() & table["deep_place"].notna()
                              & (table["shallow_place"] != table["deep_place"]))
    for role in ("shallow", "deep"):
        table[f"{role}_significant"] = table[f"{role}_significant"].astype(bool)
        table[f"{role}_n_seeds"] = table[f"{role}_n_seeds"].astype(int)
    return _sort_display(table.reindex(columns=COMPARISON_COLUMNS), then=[("metric", COMPARISON_METRICS)])


def best_by_rank(ranks: pd.DataFrame, metric: str = "aulc") -> pd.DataFrame:
    """The best strategy of every group of :func:`helpers.stats.friedman_ranks` by mean rank.

    Parameters
    ----------
    ranks
        Output of :func:`helpers.stats.friedman_ranks` (grouped by pair, or by pair and
        experiment; a frame without an ``experiment`` column counts as experiment
        ``"all"``). Rows of another ``metric`` are ignored.
    metric
        The ranked metric kept.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment), in display order, with ``best`` (the strategy with the lowest mean
        rank; strategies tied for it joined by ``","`` in display order), ``n_best``
        (how many tie), ``best_rank`` (their mean rank) and ``n_blocks``.
    """
    columns = ["pair", "experiment", "best", "n_best", "best_rank", "n_blocks"]
    if ranks is None or ranks.empty:
        return pd.DataFrame(columns=columns)
    frame = ranks if "experiment" in ranks.columns else ranks.assign(experiment="all")
    if "metric" in frame.columns:
        frame = frame[frame["metric"] == metric]
    rows = []
    for (pair, experiment), block in frame.groupby(["pair", "experiment"], sort=False):
        low = float(block["mean_rank"].min())
        tied = ordered_strategies(block.loc[block["mean_rank"] <= low + _TIE, "strategy"])
        rows.append({"pair": pair, "experiment": experiment, "best": ",".join(tied), "n_best": len(tied),
                     "best_rank": low, "n_blocks": int(block["n_blocks"].iloc[0])})
    return _sort_display(pd.DataFrame(rows, columns=columns))


def best_strategies(ranks: pd.DataFrame, shallow: str, deep: str) -> pd.DataFrame:
    """Per experiment, the best strategy of each pair by mean AULC rank, and whether it is the same.

    Parameters
    ----------
    ranks
        Output of :func:`helpers.stats.friedman_ranks` with ``by=("pair", "experiment")``
        (rows of experiment ``"all"`` and of another metric than ``aulc`` are ignored).
        Random sampling is a candidate like every other strategy.
    shallow, deep
        The two pairs compared.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BEST_COLUMNS`; one row per experiment ranked for both pairs, in
        display order (an experiment only one pair has is left out). Per role: ``pair``,
        ``best`` (strategy name; names tied for the best mean rank joined by ``","``),
        ``best_rank`` (its mean rank, 1 = best) and ``n_blocks`` (seeds ranked);
        ``same_best`` is True when both pairs have the same best strategy (the same set,
        when tied); ``same_order`` is True when both pairs rank the same strategies in the same
        places (ties included).

    Raises
    ------
    ValueError
        If ``shallow`` and ``deep`` are the same pair.
    """
    if shallow == deep:
        raise ValueError(f"compare two different pairs, got {shallow!r} twice")
    best = best_by_rank(_aulc_ranks(ranks))
    sides = []
    for role, pair in (("shallow", shallow), ("deep", deep)):
        side = best[best["pair"] == pair].drop(columns="n_best")
        sides.append(side.rename(columns={"pair": f"{role}_pair", "best": f"{role}_best",
                                          "best_rank": f"{role}_best_rank", "n_blocks": f"{role}_n_blocks"}))
    table = sides[0].merge(sides[1], on="experiment", how="inner")
    table["same_best"] = (table["shallow_best"] == table["deep_best"]).astype(bool)
    aulc = _aulc_ranks(ranks)

    def places(pair, experiment):
        return _places(aulc[(aulc["pair"] == pair) & (aulc["experiment"] == experiment)]).sort_index()

    table["same_order"] = [bool(places(shallow, e).equals(places(deep, e))) for e in table["experiment"]]
    return _sort_display(table.reindex(columns=BEST_COLUMNS))


def comparison_roles(pairs) -> tuple[str, str] | None:
    """Return ``(shallow, deep)``: the pairs of ``pairs`` in the two roles, or None when one is missing."""
    pairs = list(pairs)
    shallow, deep = role_pair("Shallow", pairs), role_pair("Deep", pairs)
    return (shallow, deep) if shallow and deep else None

