"""Per-iteration cost of the active-learning loop, printed as a table.

For each pair and experiment, runs a few iterations of one strategy on the current
device and reports the pre-training time and, per iteration, the fit (fine-tuning),
query (pool scoring and selection) and remaining time (test and training-set
evaluation, bookkeeping). Numbers only: nothing here asserts a speed.

    AL_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_loop.py
    .venv/bin/python benchmarks/bench_loop.py --pairs digits_logreg digits_cnn --iterations 10
"""

from __future__ import annotations

import argparse
import sys
import time

from helpers.config import EXPERIMENTS, PAIRS, ProtocolConfig
from helpers.data import DataNotFoundError, load_dataset
from helpers.loop import _device_name, run_active_learning


def bench(pair: str, experiment: str, strategy: str, iterations: int, dataset, device: str) -> dict:
    """Run ``iterations`` iterations and return the timing summary of one cell."""
    config = ProtocolConfig(pair=pair, experiment=experiment, strategy=strategy, n_iterations=iterations,
                            device=device)
    t0 = time.perf_counter()
    outcome = run_active_learning(config, dataset, progress=False)
    total = time.perf_counter() - t0
    rows = outcome.rows.iloc[1:]
    timings = outcome.meta["timings"]
    n = max(len(rows), 1)
    other = (total - timings["pretrain_seconds"] - rows["fit_seconds"].sum() - rows["query_seconds"].sum()) / n
    return {
        "pair": pair, "experiment": experiment, "n_initial": outcome.meta["n_initial"],
        "pretrain_s": timings["pretrain_seconds"], "fit_s": rows["fit_seconds"].mean(),
        "query_s": rows["query_seconds"].mean(), "other_s": other,
        "iter_s": (rows["fit_seconds"].sum() + rows["query_seconds"].sum()) / n + other,
        "fit_steps": rows["fit_steps"].mean(), "device": _device_name(config),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", nargs="+", default=["mnist_logreg", "cifar10_cnn"], choices=list(PAIRS))
    parser.add_argument("--experiments", nargs="+", default=list(EXPERIMENTS), choices=list(EXPERIMENTS))
    parser.add_argument("--strategy", default="margin")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    args = parser.parse_args(argv)

    header = f"{'pair':<14}{'experiment':<11}{'initial':>8}{'pretrain s':>11}{'fit s/it':>10}{'query s/it':>11}" \
             f"{'other s/it':>11}{'total s/it':>11}{'steps':>7}  device"
    print(header)
    print("-" * len(header))
    status = 0
    for pair in args.pairs:
        try:
            dataset = load_dataset(PAIRS[pair].dataset)
        except DataNotFoundError as err:
            print(f"{pair:<14}skipped: {err}".splitlines()[0])
            status = 1
            continue
        for experiment in args.experiments:
            r = bench(pair, experiment, args.strategy, args.iterations, dataset, args.device)
            print(f"{r['pair']:<14}{r['experiment']:<11}{r['n_initial']:>8}{r['pretrain_s']:>11.3f}{r['fit_s']:>10.3f}"
                  f"{r['query_s']:>11.3f}{r['other_s']:>11.3f}{r['iter_s']:>11.3f}{r['fit_steps']:>7.1f}  {r['device']}")
    return status


if __name__ == "__main__":
    sys.exit(main())
