"""The regularisation ablation: the same grid at several values of the logistic regression's C.

The study fits its logistic regression with C = 0.01 (:data:`helpers.config.LOGREG_PARAMS`).
scikit-learn's C multiplies the summed loss, so with a handful of labels the penalty dominates
and the model's predictions collapse onto few classes: the "early dip" of MNIST ``small``.
The ablation reruns part of the grid at larger C and asks whether the dip and the ranking of
the strategies survive. Each value's runs live in their own results root (the study's value
is the study's own grid); these functions load them side by side and summarise them per
(experiment, C, strategy).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from helpers.config import LOGREG_PARAMS
from helpers.stats.inference import friedman_ranks, paired_tests
from helpers.stats.loading import OutsideGridWarning, RunGrid, load_runs, runs_with_column
from helpers.stats.metrics import curve_summary, per_run_metrics
from helpers.stats.naming import EXPERIMENT_ORDER, REFERENCE_STRATEGY, ordered_strategies

#: The study's C: its arm of the ablation is the study's own grid.
STUDY_C: float = float(LOGREG_PARAMS["C"])

#: Values of C computed by each pair's regularisation ablation (besides :data:`STUDY_C`).
ABLATION_C_VALUES: dict[str, tuple[float, ...]] = {"mnist_logreg": (0.1, 1.0)}

_C_FOLDER = re.compile(r"^C(\d+(?:\.\d*)?(?:e[-+]?\d+)?)$")

#: Columns of :func:`regularisation_table`.
REGULARISATION_COLUMNS = [
    "experiment", "C", "strategy", "n_seeds", "initial_accuracy", "dip_accuracy", "dip_iteration",
    "dip_top_class_share", "n_runs_top_class", "aulc", "final_accuracy",
    "aulc_gain", "aulc_gain_ci_lo", "aulc_gain_ci_hi", "aulc_seeds_better",
    "final_gain", "final_gain_ci_lo", "final_gain_ci_hi", "final_seeds_better",
    "n_pairs", "mean_rank", "order",
]


def regularisation_root(results_root: str | Path, pair: str) -> Path:
    """Return the folder of ``pair``'s regularisation ablation (one sub-folder per C)."""
    return Path(results_root) / "ablations" / f"{pair}_C"


def c_folder(value: float) -> str:
    """Return the sub-folder name of one value of C: ``"C"`` and the shortest form (``C0.1``, ``C1``)."""
    return f"C{float(value):g}"


def regularisation_roots(results_root: str | Path, pair: str,
                         values: Iterable[float] | None = None) -> dict[float, Path]:
    """Return C -> results root for ``pair``: the study's C first, then the ablation's values.

    Parameters
    ----------
    results_root
        The study's results root (the ablation lives under its ``ablations/`` folder).
    pair
        Model-dataset pair.
    values
        Values of C of the ablation (default :data:`ABLATION_C_VALUES` of the pair); the
        study's own value, when listed, is ignored (it is the study's grid). Every
        ``C<value>`` folder already under the ablation root is added, so a summary covers
        every value run so far, not only the values asked this time.

    Returns
    -------
    dict
        ``{STUDY_C: results_root, C: <ablation root>/C<value>, ...}`` in increasing C after
        the study's value, whether the folders exist or not.
    """
    values = {float(v) for v in (ABLATION_C_VALUES.get(pair, ()) if values is None else values)}
    folder = regularisation_root(results_root, pair)
    if folder.is_dir():
        for sub in folder.iterdir():
            match = _C_FOLDER.match(sub.name)
            if sub.is_dir() and match:
                values.add(float(match.group(1)))
    roots = {STUDY_C: Path(results_root)}
    for value in sorted(values - {STUDY_C}):
        roots[value] = folder / c_folder(value)
    return roots


def load_regularisation(roots: Mapping[float, str | Path], grid: RunGrid) -> pd.DataFrame:
    """Load the runs of every value of C.

    Parameters
    ----------
    roots
        C -> results root holding the runs at that C (:func:`regularisation_roots`).
    grid
        The runs summarised; the same grid is read from every root.

    Returns
    -------
    pandas.DataFrame
        The :func:`helpers.stats.load_runs` rows of every root with a ``C`` column. A value
        whose root holds no finished run of the grid (not run yet) is left out with a
        warning, so the summary always covers whatever is on disk.

    Raises
    ------
    FileNotFoundError
        When no root holds a finished run of the grid.
    """
    frames = []
    for value, root in roots.items():
        try:
            runs = load_runs(root, grid)
        except FileNotFoundError:
            warnings.warn(f"C = {float(value):g}: no finished run of the grid under {root}; left out", stacklevel=2)
            continue
        frames.append(runs.assign(C=float(value)))
    if not frames:
        raise FileNotFoundError(f"no finished run of the grid under any of {[str(r) for r in roots.values()]}")
    return pd.concat(frames, ignore_index=True)


def _dip(curves: pd.DataFrame, shares: pd.DataFrame) -> dict[str, float]:
    """Initial accuracy, the dip and the mean top-class share there, from one strategy's mean curves."""
    curve = curves.sort_values("iteration")
    initial = curve.loc[curve["iteration"] == 0, "mean"]
    after = curve[curve["iteration"] >= 1]
    out = {"initial_accuracy": float(initial.iloc[0]) if len(initial) else np.nan,
           "dip_accuracy": np.nan, "dip_iteration": np.nan, "dip_top_class_share": np.nan}
    if after.empty:
        return out
    low = after.loc[after["mean"].idxmin()]
    share = shares.loc[shares["iteration"] == low["iteration"], "mean"]
    out.update(dip_accuracy=float(low["mean"]), dip_iteration=int(low["iteration"]),
               dip_top_class_share=float(share.iloc[0]) if len(share) and pd.notna(share.iloc[0]) else np.nan)
    return out


def compare_regularisation(results_root: str | Path, pair: str, grid: RunGrid | None = None) -> pd.DataFrame | None:
    """Return :func:`regularisation_table` of ``pair``'s C ablation, or None without one.

    The summary covers every value of C with a folder on disk (the study's grid for
    :data:`STUDY_C`), the experiments the ablation has runs for, and every seed on disk,
    like the ablation script's own ``summary.csv``.

    Parameters
    ----------
    results_root
        The study's results root (the ablation lives under its ``ablations/`` folder).
    pair
        Model-dataset pair.
    grid
        Restricts experiments, strategies and iteration counts (its seeds are ignored: the
        ablation has its own).

    Returns
    -------
    pandas.DataFrame or None
        None when no value of C besides the study's has a folder with runs of ``pair``.
    """
    roots = {c: Path(root) for c, root in regularisation_roots(results_root, pair, values=()).items()}
    ablation = {c: root for c, root in roots.items() if c != STUDY_C and (root / pair).is_dir()}
    experiments = sorted({e.name for root in ablation.values() for e in (root / pair).iterdir()
                          if e.is_dir() and e.name in EXPERIMENT_ORDER}, key=EXPERIMENT_ORDER.index)
    if grid is not None and grid.experiments is not None:
        experiments = [e for e in experiments if e in grid.experiments]
    if not experiments:
        return None
    wanted = RunGrid(pairs=(pair,), experiments=tuple(experiments),
                     strategies=grid.strategies if grid is not None else None,
                     n_iterations=grid.n_iterations if grid is not None else None)
    with warnings.catch_warnings():  # the study's root holds the other experiments too: expected
        warnings.simplefilter("ignore", OutsideGridWarning)
        runs = load_regularisation({STUDY_C: roots[STUDY_C], **ablation}, wanted)
    return regularisation_table(runs)


def regularisation_table(runs: pd.DataFrame, reference: str = REFERENCE_STRATEGY) -> pd.DataFrame:
    """Summarise the strategies at every value of C.

    Parameters
    ----------
    runs
        Output of :func:`load_regularisation` (one pair).
    reference
        The strategy the gains are measured against.

    Returns
    -------
    pandas.DataFrame
        One row per (experiment, C, strategy), columns :data:`REGULARISATION_COLUMNS`, sorted
        by experiment, increasing C and the strategies' display order:

        ``n_seeds``
            runs (seeds) of the strategy at that C;
        ``initial_accuracy``
            mean test accuracy at iteration 0 (the pre-trained model);
        ``dip_accuracy``, ``dip_iteration``
            the lowest mean accuracy over the seeds after a query (iterations >= 1, on the
            mean curve of :func:`helpers.stats.curve_summary`) and the iteration where it
            occurs; a dip shows as ``dip_accuracy < initial_accuracy``;
        ``dip_top_class_share``, ``n_runs_top_class``
            mean ``top_class_share`` at ``dip_iteration`` over the runs that carry the
            column, and how many runs carry it (runs written before the column existed do
            not: the share is NaN when none does);
        ``aulc``, ``final_accuracy``
            means over seeds of :func:`helpers.stats.per_run_metrics`;
        ``aulc_gain``, ``aulc_gain_ci_lo``, ``aulc_gain_ci_hi``, ``aulc_seeds_better``
            mean paired difference of AULC to ``reference`` (same seed, same C), its 95 %
            paired t interval and the number of seeds where the strategy is better
            (:func:`helpers.stats.paired_tests`); NaN for the reference itself and for a
            strategy without a seed paired with it;
        ``final_gain``, ``final_gain_ci_lo``, ``final_gain_ci_hi``, ``final_seeds_better``
            the same for the final accuracy;
        ``n_pairs``
            seeds paired with the reference (NaN for the reference itself);
        ``mean_rank``
            mean Friedman rank of AULC within (experiment, C) over the seeds every strategy
            has (1 = best; :func:`helpers.stats.friedman_ranks`);
        ``order``
            the strategy's place when sorted by mean rank (ties by mean AULC).
    """
    rows = []
    for (experiment, c), block in runs.groupby(["experiment", "C"], sort=False):
        per_run = per_run_metrics(block)
        means = per_run.groupby("strategy")[["aulc", "final_accuracy"]].mean()
        counts = per_run.groupby("strategy")["seed"].nunique()
        curves = curve_summary(block)
        shares = curve_summary(block, metric="top_class_share")
        gains = {metric: paired_tests(per_run, metric, reference=reference).set_index("strategy")
                 for metric in ("aulc", "final_accuracy")}
        ranks = friedman_ranks(per_run, "aulc", by=("pair", "experiment")).set_index("strategy")["mean_rank"]
        order = sorted(means.index, key=lambda s: (ranks.get(s, np.inf), -means.loc[s, "aulc"]))
        for strategy in ordered_strategies(means.index):
            row = {"experiment": experiment, "C": float(c), "strategy": strategy,
                   "n_seeds": int(counts[strategy]),
                   **_dip(curves[curves["strategy"] == strategy], shares[shares["strategy"] == strategy]),
                   "n_runs_top_class": runs_with_column(block[block["strategy"] == strategy], "top_class_share"),
                   "aulc": float(means.loc[strategy, "aulc"]),
                   "final_accuracy": float(means.loc[strategy, "final_accuracy"]),
                   "mean_rank": float(ranks.get(strategy, np.nan)), "order": order.index(strategy) + 1}
            for metric, prefix in (("aulc", "aulc"), ("final_accuracy", "final")):
                test = gains[metric].loc[strategy] if strategy in gains[metric].index else None
                test = test if test is not None and test["n_pairs"] > 0 else None  # no reference run
                row.update({f"{prefix}_gain": np.nan if test is None else float(test["mean_diff"]),
                            f"{prefix}_gain_ci_lo": np.nan if test is None else float(test["diff_ci_lo"]),
                            f"{prefix}_gain_ci_hi": np.nan if test is None else float(test["diff_ci_hi"]),
                            f"{prefix}_seeds_better": np.nan if test is None else int(test["n_better"])})
            test = gains["aulc"].loc[strategy] if strategy in gains["aulc"].index else None
            row["n_pairs"] = int(test["n_pairs"]) if test is not None else (np.nan if strategy == reference else 0)
            rows.append(row)
    table = pd.DataFrame(rows, columns=REGULARISATION_COLUMNS)
    exp_order = {e: i for i, e in enumerate(EXPERIMENT_ORDER)}
    strategy_rank = {s: i for i, s in enumerate(ordered_strategies(table["strategy"].unique()))}
    return table.sort_values(["experiment", "C", "strategy"],
                             key=lambda col: col.map(exp_order) if col.name == "experiment"
                             else col.map(strategy_rank) if col.name == "strategy" else col).reset_index(drop=True)
