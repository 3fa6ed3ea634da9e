"""Ablation: does the logistic regression's update rule change the ranking of the strategies?

The study fine-tunes the logistic regression after every query with a fixed budget of
L-BFGS iterations from the current weights (``finetune="fixed"``, chosen on the validation
split by ``pilot_finetune.py``). This ablation reruns MNIST ``small`` and ``moderate`` with
every study strategy under the two other update rules of
:class:`helpers.models.FineTunedLogisticRegression`:

``converge``  warm start from the current weights, run to a tight tolerance (1e-6)
``cold``      a new model trained from scratch on the labelled set after every query
              (what modAL's ``teach`` does with a plain scikit-learn estimator)

The ``fixed`` arm is not recomputed: it is the study's own grid (same configuration, same
seeds), read from the main results folder. Results are scored on the test set like the
study's, and live in their own folder, ``results/ablations/mnist_logreg_finetune/<rule>/``.
The runs resume like any grid. The table (:func:`helpers.stats.compare_update_rules`: every
rule folder on disk, on the runs all rules share) is printed and written to ``summary.csv``
in that folder.

    AL_DATA_DIR=../shared/data .venv/bin/python benchmarks/ablation_finetune.py --jobs 2
    .venv/bin/python benchmarks/ablation_finetune.py --summary-only
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


from _summary import add_grid_arguments, save_and_print
from helpers import paths, stats
from helpers.config import ConfigError
from helpers.data import CorruptDataError
from helpers.grid import build_configs, run_grid
from helpers.strategies import STUDY_STRATEGIES

PAIR = "mnist_logreg"
#: Update rules computed by the ablation; "fixed" is read from the study's results.
RULES = stats.ABLATION_RULES[PAIR]


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experiments", nargs="+", default=["small", "moderate"], choices=["small", "moderate", "large"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[42, 43, 44])
    parser.add_argument("--rules", nargs="+", default=list(RULES), choices=list(RULES))
    return add_grid_arguments(parser, STUDY_STRATEGIES).parse_args(argv)


def main(argv=None) -> int:
    """Run (or resume) the ablation and print its table; return the exit status."""
    args = parse_args(argv)
    study_root = Path(args.results_dir) if args.results_dir else paths.results_dir()
    root = stats.ablation_root(study_root, PAIR)
    try:
        grids = {rule: build_configs(PAIR, args.experiments, args.strategies, args.seeds,
                                     model_params={"finetune": rule}, data_root=args.data_root,
                                     results_dir=str(root / rule))
                 for rule in args.rules}
        for rule, configs in grids.items():
            if not args.summary_only:
                print(f"ablation: update rule {rule!r}, {len(configs)} run(s)", flush=True)
                run_grid(configs, jobs=args.jobs)
    except (ConfigError, OSError, CorruptDataError) as err:
        print(f"ablation_finetune: error: {err}", file=sys.stderr)
        return 2
    # Every rule folder on disk and every run in it counts, not only what this invocation
    # asked for: the study's own runs are matched to the ablation's (experiment, strategy, seed).
    try:
        table = stats.compare_update_rules(study_root, PAIR)
    except FileNotFoundError as err:
        print(f"ablation_finetune: {err}", file=sys.stderr)
        return 1
    if table is None:
        print(f"ablation_finetune: no update-rule folder under {root}", file=sys.stderr)
        return 1
    save_and_print(table, root / "summary.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
