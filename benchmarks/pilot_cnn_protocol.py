"""Pilot: the CNN's fine-tuning budget and pool-subset size, chosen on the validation split.

Runs the CIFAR-10 protocol (250 labels x 50 queries, the widths in ``config.CNN_PARAMS``)
with several *arms*, each a change of one protocol setting, and scores every run on the
seed's 20 % validation hold-out (``evaluation="validation"``), never on the test set:

``steps10``, ``steps30``, ``steps100``  fine-tuning by that many Adam steps per query, on
                                        batches of 128 drawn from the labelled set
``epochs2``                             fine-tuning by 2 epochs over the labelled set
                                        (the first edition's rule; costly once the set is
                                        large, so run it where it is affordable)
``subset5k``, ``subset10k``, ``subset20k``, ``whole``
                                        the pool strategies score a random subset of that
                                        many unlabelled images per query, or the whole pool

Every arm but the ``subset``/``whole`` ones scores the pair's default subset; those use the
pair's default fine-tuning budget. The table printed (and written to ``summary.csv``) gives
per experiment and arm the validation AULC and final accuracy (mean over strategies and
seeds, and AULC per strategy) and the measured seconds per query of fine-tuning and of
querying, and per run, over every finished run on disk (not only the arms, strategies and
seeds of the current invocation). Runs resume like any grid; each arm has its own results folder
under ``results/pilots/cifar10_cnn_protocol/``.

    AL_DATA_DIR=../shared/data .venv/bin/python benchmarks/pilot_cnn_protocol.py --arms steps10 steps30 steps100
    AL_DATA_DIR=../shared/data .venv/bin/python benchmarks/pilot_cnn_protocol.py --arms subset5k whole \\
        --strategies margin
    .venv/bin/python benchmarks/pilot_cnn_protocol.py --summary-only
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pandas as pd

from _summary import save_and_print
from helpers import paths, stats
from helpers.config import EXPERIMENTS, ConfigError
from helpers.data import CorruptDataError
from helpers.grid import build_configs, run_grid

PAIR = "cifar10_cnn"

#: Arm -> ProtocolConfig overrides (model parameters under "model_params").
ARMS: dict[str, dict] = {
    "steps10": {"model_params": {"finetune_steps": 10}},
    "steps30": {"model_params": {"finetune_steps": 30}},
    "steps100": {"model_params": {"finetune_steps": 100}},
    "epochs2": {"model_params": {"finetune_steps": None, "finetune_epochs": 2}},
    "subset5k": {"pool_subset": 5_000},
    "subset10k": {"pool_subset": 10_000},
    "subset20k": {"pool_subset": 20_000},
    "whole": {"pool_subset": None},
}


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arms", nargs="+", default=["steps10", "steps30", "steps100"], choices=list(ARMS))
    parser.add_argument("--experiments", nargs="+", default=list(EXPERIMENTS), choices=list(EXPERIMENTS))
    parser.add_argument("--strategies", nargs="+", default=["random", "margin"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[42])
    parser.add_argument("--iterations", type=int, default=None, help="default: the pair's protocol value")
    parser.add_argument("--data-root", default=os.environ.get("AL_DATA_DIR"))
    parser.add_argument("--results-dir", type=Path, default=None,
                        help="default: results/pilots/cifar10_cnn_protocol")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--summary-only", action="store_true", help="run nothing; summarise the finished runs")
    return parser.parse_args(argv)


def summarize(per_run: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Return the pilot table: one row per experiment and arm.

    Returns
    -------
    DataFrame
        ``experiment``, ``arm``, ``n_runs``, ``val_aulc`` and ``val_final_accuracy`` (means
        over strategies and seeds), ``val_aulc_<strategy>``, ``fit_seconds_per_query``,
        ``query_seconds_per_query`` (of the strategies that score, not random sampling) and
        ``run_seconds`` (mean fine-tuning plus querying
        time of a run, pre-training excluded).
    """
    later = runs[runs["iteration"] > 0]
    fit = later.groupby(["experiment", "arm"])["fit_seconds"].mean()
    # Random sampling scores nothing; the query cost is that of the strategies that score.
    scoring = later[later["strategy"] != "random"].groupby(["experiment", "arm"])["query_seconds"].mean()
    rows = []
    for (experiment, arm), group in per_run.groupby(["experiment", "arm"], sort=False):
        row = {"experiment": experiment, "arm": arm, "n_runs": len(group), "val_aulc": group["aulc"].mean(),
               "val_final_accuracy": group["final_accuracy"].mean()}
        for strategy, sub in group.groupby("strategy"):
            row[f"val_aulc_{strategy}"] = sub["aulc"].mean()
        row["fit_seconds_per_query"] = float(fit.loc[(experiment, arm)])
        row["query_seconds_per_query"] = float(scoring.get((experiment, arm), float("nan")))
        row["run_seconds"] = float((group["fit_seconds"] + group["query_seconds"]).mean())
        rows.append(row)
    table = pd.DataFrame(rows)
    per_strategy = sorted(c for c in table.columns if c.startswith("val_aulc_"))
    first = ["experiment", "arm", "n_runs", "val_aulc", "val_final_accuracy"]
    table = table[first + per_strategy + [c for c in table.columns if c not in first + per_strategy]]
    order = {e: i for i, e in enumerate(EXPERIMENTS)}
    arm_order = {a: i for i, a in enumerate(ARMS)}
    return table.sort_values(["experiment", "arm"], key=lambda c: c.map(order if c.name == "experiment" else arm_order)
                             ).reset_index(drop=True)


def main(argv=None) -> int:
    """Run (or resume) the pilot and print its table; return the exit status."""
    args = parse_args(argv)
    root = args.results_dir or paths.results_dir() / "pilots" / f"{PAIR}_protocol"
    try:
        grids = {arm: build_configs(PAIR, args.experiments, args.strategies, args.seeds, n_iterations=args.iterations,
                                    evaluation="validation", data_root=args.data_root, results_dir=str(root / arm),
                                    **ARMS[arm])
                 for arm in args.arms}
        for arm, configs in grids.items():
            if not args.summary_only:
                print(f"pilot: arm {arm}, {len(configs)} run(s)", flush=True)
                run_grid(configs, jobs=args.jobs)
    except (ConfigError, OSError, CorruptDataError) as err:
        print(f"pilot_cnn_protocol: error: {err}", file=sys.stderr)
        return 2
    # Every finished run on disk counts (any experiment, strategy, seed), not only what this
    # invocation asked for, so a later call never drops the rows of an earlier one.
    per_run, runs = [], []
    for arm in ARMS:
        if not (root / arm).is_dir():
            continue
        try:
            loaded = stats.load_runs(root / arm, pairs=[PAIR])
        except FileNotFoundError:
            continue
        runs.append(loaded.assign(arm=arm))
        per_run.append(stats.per_run_metrics(loaded).assign(arm=arm))
    if not per_run:
        print("pilot_cnn_protocol: no finished run yet", file=sys.stderr)
        return 1
    table = summarize(pd.concat(per_run, ignore_index=True), pd.concat(runs, ignore_index=True))
    save_and_print(table, root / "summary.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
