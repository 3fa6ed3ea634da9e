"""What the per-pair notebooks call: run one experiment's grid, then summarise it.

The notebooks stay thin (parameters, calls, plots, prose); everything they compute lives
here or in the modules this one calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd

from helpers import figures, stats
from helpers.grid import build_configs, run_grid


@dataclass
class ExperimentSummary:
    """Tables of one pair x experiment, ready to display.

    Attributes
    ----------
    runs : DataFrame
        Every evaluation row of the experiment's runs.
    curves : DataFrame
        Mean learning curve with 95 % CI per strategy (:func:`helpers.stats.curve_summary`).
    per_run : DataFrame
        AULC, final accuracy etc. per run.
    table : DataFrame
        Mean and 95 % CI of AULC and final accuracy per strategy.
    tests : DataFrame
        Paired Wilcoxon tests of each strategy against random (AULC and final accuracy).
    reference : DataFrame
        Whole-pool reference accuracy per seed (may be empty).
    meta : list of dict
        The runs' JSON metadata (confusion matrices, stop reasons).
    """

    runs: pd.DataFrame
    curves: pd.DataFrame
    per_run: pd.DataFrame
    table: pd.DataFrame
    tests: pd.DataFrame
    reference: pd.DataFrame
    meta: list


def run_experiment(pair: str, experiment: str, strategies: Sequence[str], seeds: Sequence[int], *,
                   jobs: int = 1, reference: bool = True, progress: bool = True, **options) -> dict[str, int]:
    """Run (or resume) every strategy x seed of one experiment.

    ``options`` are :class:`helpers.config.ProtocolConfig` fields (query_size,
    n_iterations, stream_threshold, data_root, results_dir, device, model_params); None
    values are dropped so the pair's defaults apply.

    Returns
    -------
    dict
        Counts of runs: ``total``, ``skipped`` (finished before) and ``ran``.
    """
    options = {k: v for k, v in options.items() if v is not None}
    configs = build_configs(pair, [experiment], strategies, seeds, **options)
    return run_grid(configs, jobs=jobs, reference=reference, progress=progress)


def summarize_experiment(results_root, pair: str, experiment: str) -> ExperimentSummary:
    """Load one experiment's results and compute its curves, per-run metrics and tests.

    Returns
    -------
    ExperimentSummary
    """
    runs = stats.load_runs(results_root, pairs=[pair])
    runs = runs[runs["experiment"] == experiment]
    per_run = stats.per_run_metrics(runs)
    meta = [m for m in stats.load_run_meta(results_root, pairs=[pair]) if m.get("experiment") == experiment]
    reference = stats.load_reference(results_root)
    return ExperimentSummary(
        runs=runs,
        curves=stats.curve_summary(runs),
        per_run=per_run,
        table=stats.strategy_summary(per_run),
        tests=pd.concat([stats.paired_tests(per_run, m) for m in ("aulc", "final_accuracy")], ignore_index=True),
        reference=reference[reference["pair"] == pair],
        meta=meta,
    )


def experiment_figures(summary: ExperimentSummary, pair: str, experiment: str, out_dir: Path) -> list[Path]:
    """Draw the experiment's learning curves (both x axes) and confusion matrices into ``out_dir``.

    Returns
    -------
    list of Path
        The PNG files, for display in the notebook.
    """
    written = []
    for x in ("n_labeled", "frac_labeled"):
        written += figures.plot_learning_curves(summary.curves, summary.reference, pair, experiment, x=x, out_dir=out_dir)
    if summary.meta:
        written += figures.plot_confusion_matrices(summary.meta, pair, experiment, out_dir=out_dir)
    return [p for p in written if p.suffix == ".png"]
