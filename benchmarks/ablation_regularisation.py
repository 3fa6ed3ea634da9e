"""Ablation: do the dip and the ranking of the strategies depend on the logistic regression's C?

The study fits its logistic regression with C = 0.01 (the study's specification). With a
handful of labels that penalty swamps the data: the weights shrink and the predictions
collapse onto few classes (issue 22). This ablation reruns MNIST ``small`` and ``moderate``
with every study strategy at larger C (default 0.1 and 1), everything else the study's.

The C = 0.01 arm is not recomputed: it is the study's own grid (same configuration, same
seeds), read from the main results folder. The runs live in their own folder,
``results/ablations/mnist_logreg_C/C<value>/`` (``C0.1``, ``C1``), in the usual layout
``<pair>/<experiment>/<strategy>/seed<k>.{csv,json}``, and resume like any grid. The table
(:func:`helpers.stats.regularisation_table`, over every finished run on disk) is printed and
written to ``summary.csv`` in that folder.

    AL_DATA_DIR=../shared/data .venv/bin/python benchmarks/ablation_regularisation.py --jobs 2
    .venv/bin/python benchmarks/ablation_regularisation.py --summary-only
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _summary import add_grid_arguments, save_and_print
from helpers import paths, stats
from helpers.config import PAIRS, ConfigError
from helpers.data import CorruptDataError
from helpers.grid import build_configs, run_grid
from helpers.strategies import STUDY_STRATEGIES

#: The pair of the study's ablation; the digits pair serves the smoke test.
LOGREG_PAIRS = [name for name, spec in PAIRS.items() if spec.model == "logreg"]
#: The ablation's grid; the summary always covers it (and whatever else was asked).
EXPERIMENTS = ["small", "moderate"]
SEEDS = list(range(42, 62))


def _union(*lists) -> list:
    return list(dict.fromkeys(x for items in lists for x in items))


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pair", default="mnist_logreg", choices=LOGREG_PAIRS)
    parser.add_argument("--experiments", nargs="+", default=EXPERIMENTS, choices=["small", "moderate", "large"])
    parser.add_argument("--seeds", nargs="+", type=int, default=SEEDS)
    parser.add_argument("--values", nargs="+", type=float, default=None,
                        help="values of C to run (default: 0.1 1); the study's C is read from the main grid")
    parser.add_argument("--n-iterations", type=int, default=None, help="query iterations (default: the pair's)")
    return add_grid_arguments(parser, STUDY_STRATEGIES).parse_args(argv)


def main(argv=None) -> int:
    """Run (or resume) the ablation, then write and print its summary; return the exit status."""
    args = parse_args(argv)
    values = tuple(args.values) if args.values is not None else stats.ABLATION_C_VALUES.get(args.pair, ())
    bad = [v for v in values if not v > 0]
    if bad:
        print(f"ablation_regularisation: error: C must be positive, got {bad}", file=sys.stderr)
        return 2
    study_root = Path(args.results_dir) if args.results_dir else paths.results_dir()
    roots = {c: root for c, root in stats.regularisation_roots(study_root, args.pair, values).items()
             if c in values}
    options = {} if args.n_iterations is None else {"n_iterations": args.n_iterations}
    try:
        grids = {c: build_configs(args.pair, args.experiments, args.strategies, args.seeds,
                                  model_params={"C": c}, data_root=args.data_root, results_dir=str(root),
                                  **options)
                 for c, root in roots.items()}
        for c, configs in grids.items():
            if not args.summary_only:
                print(f"ablation: C = {c:g}, {len(configs)} run(s) in {roots[c]}", flush=True)
                counts = run_grid(configs, jobs=args.jobs)
                print(f"ablation: C = {c:g}: {counts}", flush=True)
    except (ConfigError, OSError, CorruptDataError) as err:
        print(f"ablation_regularisation: error: {err}", file=sys.stderr)
        return 2
    # The summary is a function of every run on disk, whatever this invocation asked: the
    # ablation's experiments and strategies, every seed, every value of C run so far; only
    # runs of another iteration count (a smoke run) are left out.
    n_iterations = args.n_iterations if args.n_iterations is not None else PAIRS[args.pair].n_iterations
    grid = stats.RunGrid(pairs=[args.pair], experiments=_union(EXPERIMENTS, args.experiments),
                         strategies=_union(STUDY_STRATEGIES, args.strategies), n_iterations={args.pair: n_iterations})
    try:
        runs = stats.load_regularisation(stats.regularisation_roots(study_root, args.pair, values), grid)
    except FileNotFoundError as err:
        print(f"ablation_regularisation: error: {err}", file=sys.stderr)
        return 2
    save_and_print(stats.regularisation_table(runs), stats.regularisation_root(study_root, args.pair) / "summary.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
