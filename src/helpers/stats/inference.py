"""Comparisons of strategies paired by seed: exact Wilcoxon signed-rank tests (ties and zeros
handled, :func:`signed_rank_test`) with Holm correction, and Friedman tests with mean ranks
and the Nemenyi critical difference (Demšar, 2006).

For the Friedman test a *block* is one (pair, experiment, seed): every strategy run on the
same split and initial set. Within a block the strategies are ranked by a per-run metric
(rank 1 = best, ties share their mean rank); the test asks whether the mean ranks differ
more than chance allows, and the critical difference says how far apart two mean ranks
must be to differ at level ``alpha`` after comparing all pairs.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd
from scipy import stats as sps

from helpers.stats.metrics import mean_ci
from helpers.stats.naming import REFERENCE_STRATEGY, _sort_display, ordered_strategies

# --------------------------------------------------------------------------- paired tests
#: Absolute differences are compared after rounding to this many decimals, so that two
#: differences that are equal in decimal (0.9132 - 0.9129 and 0.8001 - 0.7998) tie even
#: when floating-point subtraction leaves them a few ulp apart, and a difference of a few
#: ulp counts as zero.
_TIE_DECIMALS = 12


def signed_rank_test(diff) -> tuple[float, float]:
    """Exact two-sided Wilcoxon signed-rank test of paired differences, ties and zeros included.

    Zero differences are dropped (Wilcoxon's convention, ``zero_method="wilcox"`` of
    :func:`scipy.stats.wilcoxon`). The remaining ``n`` absolute differences are ranked,
    tied ones sharing their average rank, and the statistic is ``T+``, the sum of the
    ranks of the positive differences. Under the null hypothesis each of the ``2**n`` sign
    assignments is equally likely; the p-value is the share of them whose ``T+`` lies at
    least as far from its mean (half the rank sum) as the observed one. This is the exact
    permutation (sign-flip) distribution *given the observed ranks*, so it stays exact
    with ties, where :func:`scipy.stats.wilcoxon` falls back to the normal approximation.
    The ``2**n`` flips are not listed one by one: the number of flips giving each ``T+`` is
    counted by a subset-sum recursion over the (doubled, hence integer) ranks, which
    gives the same counts in ``O(n * n**2)`` steps. Without ties the p-value equals
    scipy's exact one.

    Parameters
    ----------
    diff
        Paired differences (any sign; NaNs must have been removed).

    Returns
    -------
    tuple of float
        ``(statistic, p_value)``: ``statistic`` is ``min(T+, T-)`` (as scipy reports for a
        two-sided test), ``p_value`` the exact two-sided p in (0, 1]. ``(nan, 1.0)`` when
        every difference is zero; ``(nan, nan)`` for no difference at all.
    """
    d = np.round(np.asarray(diff, dtype=float), _TIE_DECIMALS)
    if d.size == 0:
        return np.nan, np.nan
    d = d[d != 0]
    n = d.size
    if n == 0:
        return np.nan, 1.0
    doubled = np.rint(2 * sps.rankdata(np.abs(d))).astype(np.int64)  # average ranks are multiples of 1/2
    total = int(doubled.sum())
    counts = np.zeros(total + 1, dtype=object)  # Python integers: exact for any n
    counts[0] = 1
    for r in doubled:
        counts[r:] = counts[r:] + counts[:total + 1 - r].copy()
    t_plus = int(doubled[d > 0].sum())
    # |2 T+ - total| in doubled units: integers, so "at least as extreme" is an exact comparison.
    distance = np.abs(2 * np.arange(total + 1) - total)
    extreme = int(counts[distance >= abs(2 * t_plus - total)].sum())
    p = extreme / 2 ** n
    return min(t_plus, total - t_plus) / 2, float(min(1.0, p))


def min_attainable_p(n: int) -> float:
    """Smallest two-sided p-value the exact Wilcoxon signed-rank test can give.

    With ``n`` non-zero paired differences the most extreme outcome (all of one
    sign) has probability ``2 / 2**n`` under the null. For ``n = 5`` seeds this is
    0.0625, so five seeds can never reach p < 0.05 with this test, however large
    and consistent the effect; six seeds give 0.03125.

    Returns
    -------
    float
        ``min(1, 2 / 2**n)``; NaN for ``n < 1``.
    """
    if n < 1:
        return np.nan
    return float(min(1.0, 2.0 / 2.0 ** int(n)))


def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone).

    Parameters
    ----------
    pvalues
        Raw p-values of one family; NaNs are ignored and do not count towards the
        family size.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order (NaN where the input was NaN): the
        k-th smallest of m p-values becomes ``max_{j<=k} min(1, (m - j + 1) p_(j))``.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = valid.size
    if m == 0:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def paired_tests(per_run: pd.DataFrame, metric: str, reference: str = REFERENCE_STRATEGY,
                 alpha: float = 0.05) -> pd.DataFrame:
    """Paired comparison of every strategy with the reference strategy.

    Runs of a strategy and of ``reference`` with the same seed (same split and
    initial labelled set) are paired. Differences are ``strategy - reference``.
    The exact two-sided Wilcoxon signed-rank test of :func:`signed_rank_test` (zero
    differences dropped, tied absolute differences given their average rank, the exact
    sign-flip null distribution also with ties) is applied to each strategy; p-values are
    Holm-corrected within each (pair, experiment) family of comparisons.

    The exact test has a floor: with ``n`` non-zero differences no p-value below
    ``2 / 2**n`` is possible (see :func:`min_attainable_p`). With 5 seeds the floor
    is 0.0625, so **5 seeds can never give p < 0.05**; the ``min_attainable_p``
    column makes this visible next to every result. After Holm correction over
    ``m`` tests the smallest possible adjusted p is ``m`` times that floor (0.25 for
    four strategies and 5 seeds), reported as ``min_attainable_p_holm``.

    Parameters
    ----------
    per_run
        Output of :func:`per_run_metrics`.
    metric
        Column compared (e.g. ``"aulc"`` or ``"final_accuracy"``).
    reference
        Strategy the others are compared with.
    alpha
        Significance level applied to the Holm-corrected p-values.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment, strategy != reference) with ``metric``,
        ``n_pairs`` (seeds present in both), ``n_nonzero`` (non-zero differences),
        ``mean_diff`` with its t interval ``diff_ci_lo``/``diff_ci_hi``,
        ``n_better`` (pairs where the strategy beats the reference), ``statistic``
        and ``p_value`` of the test (1.0 when all differences are zero, NaN with
        fewer than 2 pairs), ``p_holm``, ``significant`` (``p_holm < alpha``),
        ``min_attainable_p`` (floor of ``p_value`` given ``n_nonzero``) and
        ``min_attainable_p_holm`` (floor of ``p_holm``: family size times
        ``min_attainable_p``).
    """
    rows = []
    for (pair, experiment), group in per_run.groupby(["pair", "experiment"], sort=False):
        ref = group[group["strategy"] == reference].set_index("seed")[metric]
        family = []
        for strategy in ordered_strategies(group["strategy"]):
            if strategy == reference:
                continue
            other = group[group["strategy"] == strategy].set_index("seed")[metric]
            joined = pd.concat([other.rename("s"), ref.rename("r")], axis=1, join="inner").dropna()
            diff = (joined["s"] - joined["r"]).to_numpy(dtype=float)
            n = diff.size
            nonzero = int(np.count_nonzero(np.round(diff, _TIE_DECIMALS)))
            stat, p = np.nan, np.nan
            if n >= 2:
                if nonzero == 0:
                    p = 1.0
                else:
                    stat, p = signed_rank_test(diff)
            m, lo, hi = mean_ci(diff)
            family.append({
                "pair": pair, "experiment": experiment, "strategy": strategy, "metric": metric,
                "n_pairs": n, "n_nonzero": nonzero, "mean_diff": m, "diff_ci_lo": lo,
                "diff_ci_hi": hi, "n_better": int(np.sum(np.round(diff, _TIE_DECIMALS) > 0)), "statistic": stat,
                "p_value": p, "min_attainable_p": min_attainable_p(nonzero) if n >= 2 else np.nan,
            })
        adjusted = holm([r["p_value"] for r in family])
        n_tests = int(np.sum(~np.isnan([r["p_value"] for r in family])))
        for row, p_adj in zip(family, adjusted):
            row["p_holm"] = p_adj
            row["significant"] = bool(p_adj < alpha) if not np.isnan(p_adj) else False
            row["min_attainable_p_holm"] = (min(1.0, n_tests * row["min_attainable_p"])
                                            if n_tests else np.nan)
        rows.extend(family)
    columns = ["pair", "experiment", "strategy", "metric", "n_pairs", "n_nonzero", "mean_diff",
               "diff_ci_lo", "diff_ci_hi", "n_better", "statistic", "p_value", "p_holm",
               "significant", "min_attainable_p", "min_attainable_p_holm"]
    return _sort_display(pd.DataFrame(rows, columns=columns))


def best_strategy(per_run: pd.DataFrame, metric: str, alpha: float = 0.05) -> pd.DataFrame:
    """The best strategy of each (pair, experiment) and whether the data single it out.

    The best strategy has the highest mean ``metric`` over seeds. It is *singled out*
    when it beats every other strategy in the paired test of :func:`paired_tests`
    with itself as the reference (two-sided exact Wilcoxon, Holm-corrected over the
    other strategies, level ``alpha``): every other strategy's mean paired difference
    is negative and significant. With five seeds this can never happen (the exact
    test's floor is 0.0625), so a table that bolds only singled-out cells bolds
    nothing then.

    Parameters
    ----------
    per_run
        Output of :func:`per_run_metrics`.
    metric
        Column compared (e.g. ``"aulc"`` or ``"final_accuracy"``).
    alpha
        Significance level of the Holm-corrected p-values.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment) with ``metric``, ``strategy`` (the best),
        ``mean`` (its mean), ``runner_up`` (the strategy closest to it in the paired
        comparison: the largest mean paired difference), ``max_p_holm`` (the largest
        Holm-corrected p-value of its comparisons) and ``singled_out``.
    """
    rows = []
    for (pair, experiment), group in per_run.groupby(["pair", "experiment"], sort=False):
        means = group.groupby("strategy")[metric].mean().dropna()
        if means.empty:
            continue
        best = str(means.idxmax())
        tests = paired_tests(group, metric, reference=best, alpha=alpha)
        singled_out = (not tests.empty and bool(tests["significant"].all())
                       and bool((tests["mean_diff"] < 0).all()))
        runner_up = str(tests.loc[tests["mean_diff"].idxmax(), "strategy"]) if not tests.empty else None
        rows.append({"pair": pair, "experiment": experiment, "metric": metric, "strategy": best,
                     "mean": float(means[best]), "runner_up": runner_up,
                     "max_p_holm": float(tests["p_holm"].max()) if not tests.empty else np.nan,
                     "singled_out": singled_out})
    columns = ["pair", "experiment", "metric", "strategy", "mean", "runner_up", "max_p_holm", "singled_out"]
    return pd.DataFrame(rows, columns=columns)


def rank_blocks(per_run: pd.DataFrame, metric: str = "aulc", strategies: Iterable[str] | None = None,
                higher_is_better: bool = True) -> pd.DataFrame:
    """Return the rank of every strategy in every complete block.

    Parameters
    ----------
    per_run
        Output of :func:`per_run_metrics` (one row per run).
    metric
        The per-run column ranked.
    strategies
        Strategies ranked (default: all present); a block is kept only when it has all of them.
    higher_is_better
        Rank 1 goes to the largest value when True.

    Returns
    -------
    pandas.DataFrame
        Index: (pair, experiment, seed) blocks; columns: strategies; values: ranks (1 = best,
        ties share their mean rank). Empty when no block is complete.
    """
    wanted = list(strategies) if strategies is not None else None
    table = per_run.pivot_table(index=["pair", "experiment", "seed"], columns="strategy", values=metric)
    if wanted is not None:
        table = table.reindex(columns=wanted)
    table = table.dropna(how="any")
    values = table.to_numpy(dtype=float)
    ranks = sps.rankdata(-values if higher_is_better else values, axis=1)
    return pd.DataFrame(ranks, index=table.index, columns=table.columns)


def nemenyi_critical_difference(n_strategies: int, n_blocks: int, alpha: float = 0.05) -> float:
    """Return the Nemenyi critical difference of mean ranks.

    ``CD = q_alpha * sqrt(k (k + 1) / (6 N))`` with ``q_alpha`` the studentized range
    quantile divided by sqrt(2) (Demšar 2006, Table 5: 2.728 for k = 5 at 0.05).

    Hand-written on purpose (three lines of :func:`scipy.stats.studentized_range`):
    scikit-posthocs has no function that returns this critical difference. Its
    ``posthoc_nemenyi_friedman`` returns pairwise p-values and its
    ``critical_difference_diagram`` draws crossbars from such a significance matrix, in its
    own layout; neither gives the one CD value that the critical-difference figure draws and
    the paper's macros quote, so adopting it would change the figure and the statistic.

    Returns
    -------
    float
        NaN for fewer than two strategies or no block.
    """
    k, n = int(n_strategies), int(n_blocks)
    if k < 2 or n < 1:
        return float("nan")
    q = sps.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
    return float(q * np.sqrt(k * (k + 1) / (6.0 * n)))


def friedman_ranks(per_run: pd.DataFrame, metric: str = "aulc", strategies: Iterable[str] | None = None,
                   by: Iterable[str] = ("pair",), alpha: float = 0.05) -> pd.DataFrame:
    """Mean ranks, Friedman test and Nemenyi critical difference per group of blocks.

    Parameters
    ----------
    per_run
        Output of :func:`per_run_metrics`.
    metric
        Ranked per-run metric (higher is better).
    strategies
        Strategies compared (default: all present).
    by
        Columns of the block index that define a group (``("pair",)``: all experiments and
        seeds of a pair together; ``("pair", "experiment")``: one experiment at a time).
    alpha
        Level of the critical difference.

    Returns
    -------
    pandas.DataFrame
        One row per (group, strategy): the group columns, ``strategy``, ``mean_rank``,
        ``n_blocks``, ``n_strategies``, ``friedman_chi2`` and ``friedman_p`` (NaN with fewer
        than two blocks or strategies), ``cd`` (Nemenyi critical difference), ``metric``.
    """
    by = list(by)
    ranks = rank_blocks(per_run, metric, strategies)
    rows = []
    if ranks.empty:
        return pd.DataFrame(columns=by + ["strategy", "mean_rank", "n_blocks", "n_strategies", "friedman_chi2",
                                          "friedman_p", "cd", "metric"])
    for key, block in ranks.groupby(level=by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        n, k = block.shape
        chi2, p = np.nan, np.nan
        if n >= 2 and k >= 3:
            values = per_run.pivot_table(index=["pair", "experiment", "seed"], columns="strategy",
                                         values=metric).loc[block.index, block.columns]
            res = sps.friedmanchisquare(*[values[c].to_numpy(dtype=float) for c in block.columns])
            chi2, p = float(res.statistic), float(res.pvalue)
        cd = nemenyi_critical_difference(k, n, alpha)
        for strategy, mean_rank in block.mean().items():
            rows.append({**dict(zip(by, key)), "strategy": strategy, "mean_rank": float(mean_rank),
                         "n_blocks": int(n), "n_strategies": int(k), "friedman_chi2": chi2,
                         "friedman_p": p, "cd": cd, "metric": metric})
    return pd.DataFrame(rows)
