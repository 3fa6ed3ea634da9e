"""Pilot: the logistic regression's fine-tuning budget, chosen on the validation split.

After every query the study fine-tunes the logistic regression with a fixed number of
L-BFGS iterations from the current weights (``finetune_max_iter``). This pilot runs the
MNIST protocol (all three experiments, 250 queries of 5 labels) with several budgets and
scores every run on the seed's 20 % validation hold-out (``evaluation="validation"``), never
on the test set. It prints, per experiment and budget, the validation AULC and final
accuracy (mean over the strategies and seeds run) and the fine-tuning cost per query, and
writes the same table to ``<results-dir>/summary.csv``. The table covers every finished run
on disk (every ``iter<k>`` folder), not only the budgets of the current invocation.

The runs are resumable like any grid (finished runs are skipped) and live in their own
results folder, apart from the study's results.

    AL_DATA_DIR=../shared/data .venv/bin/python benchmarks/pilot_finetune.py --jobs 2
    .venv/bin/python benchmarks/pilot_finetune.py --pair digits_logreg --iterations 20   # a quick look
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from _summary import save_and_print, setting_folders
from helpers import paths, stats
from helpers.config import EXPERIMENTS, ConfigError
from helpers.data import CorruptDataError
from helpers.grid import build_configs, run_grid

#: Fine-tuning budgets compared (L-BFGS iterations per query).
BUDGETS = (2, 3, 5, 10, 30)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pair", default="mnist_logreg", choices=["mnist_logreg", "digits_logreg"])
    parser.add_argument("--experiments", nargs="+", default=list(EXPERIMENTS), choices=list(EXPERIMENTS))
    parser.add_argument("--strategies", nargs="+", default=["random", "margin"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[42, 43])
    parser.add_argument("--budgets", nargs="+", type=int, default=list(BUDGETS))
    parser.add_argument("--iterations", type=int, default=None, help="default: the pair's protocol value")
    parser.add_argument("--data-root", default=os.environ.get("AL_DATA_DIR"))
    parser.add_argument("--results-dir", default=None, help="default: results/pilots/<pair>_finetune")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--summary-only", action="store_true",
                        help="run nothing; summarise the finished runs (n_runs shows what is missing)")
    return parser.parse_args(argv)


def summarize(per_run: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Return the pilot table: one row per experiment and budget.

    Returns
    -------
    DataFrame
        ``experiment``, ``finetune_max_iter``, ``n_runs``, ``val_aulc`` and
        ``val_final_accuracy`` (means over strategies and seeds), ``val_aulc_<strategy>``
        per strategy, and ``fit_seconds_per_query`` (mean fine-tuning time).
    """
    fit = runs[runs["iteration"] > 0].groupby(["experiment", "budget"])["fit_seconds"].mean()
    rows = []
    for (experiment, budget), group in per_run.groupby(["experiment", "budget"], sort=True):
        row = {"experiment": experiment, "finetune_max_iter": int(budget), "n_runs": len(group),
               "val_aulc": group["aulc"].mean(), "val_final_accuracy": group["final_accuracy"].mean()}
        for strategy, sub in group.groupby("strategy"):
            row[f"val_aulc_{strategy}"] = sub["aulc"].mean()
        row["fit_seconds_per_query"] = float(fit.loc[(experiment, budget)])
        rows.append(row)
    table = pd.DataFrame(rows)
    order = {e: i for i, e in enumerate(EXPERIMENTS)}
    return table.sort_values(["experiment", "finetune_max_iter"], key=lambda c: c.map(order) if c.name == "experiment"
                             else c).reset_index(drop=True)


def load_pilot_runs(root: Path, pair: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load every finished run of the pilot on disk, whatever the last invocation asked.

    Every ``iter<k>`` folder under ``root`` is a budget of ``k`` L-BFGS iterations; all of
    its runs of ``pair`` (any experiment, strategy and seed) count.

    Returns
    -------
    tuple of DataFrame
        ``(per_run, runs)``: :func:`helpers.stats.per_run_metrics` and the raw evaluation
        rows, both with a ``budget`` column.

    Raises
    ------
    FileNotFoundError
        If no budget folder holds a finished run.
    """
    per_run, runs = [], []
    for name, folder in setting_folders(root, r"iter\d+").items():
        try:
            loaded = stats.load_runs(folder, pairs=[pair])
        except FileNotFoundError:
            continue
        budget = int(name[len("iter"):])
        runs.append(loaded.assign(budget=budget))
        per_run.append(stats.per_run_metrics(loaded).assign(budget=budget))
    if not per_run:
        raise FileNotFoundError(f"no finished pilot run under {root}/iter<k>")
    return pd.concat(per_run, ignore_index=True), pd.concat(runs, ignore_index=True)


def main(argv=None) -> int:
    """Run (or resume) the pilot and print its table; return the exit status."""
    args = parse_args(argv)
    root = Path(args.results_dir) if args.results_dir else paths.results_dir() / "pilots" / f"{args.pair}_finetune"
    try:
        grids = {
            budget: build_configs(args.pair, args.experiments, args.strategies, args.seeds,
                                  n_iterations=args.iterations, model_params={"finetune_max_iter": budget},
                                  evaluation="validation", data_root=args.data_root,
                                  results_dir=str(root / f"iter{budget}"))
            for budget in args.budgets
        }
        for budget, configs in grids.items():
            if args.summary_only:
                continue
            print(f"pilot: fine-tuning budget {budget} L-BFGS iteration(s), {len(configs)} run(s)", flush=True)
            run_grid(configs, jobs=args.jobs)
    except (ConfigError, OSError, CorruptDataError) as err:
        print(f"pilot_finetune: error: {err}", file=sys.stderr)
        return 2
    try:
        per_run, runs = load_pilot_runs(root, args.pair)
    except FileNotFoundError as err:
        print(f"pilot_finetune: {err}", file=sys.stderr)
        return 1
    table = summarize(per_run, runs)
    save_and_print(table, root / "summary.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
