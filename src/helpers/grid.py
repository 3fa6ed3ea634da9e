"""Resumable grids of runs: every (strategy, seed) of a pair and experiment.

All configurations are built and validated, the data loaded and the splits drawn, and
the results directory probed, before the first model is trained, so bad input fails in
seconds. Finished runs are skipped, so an interrupted grid resumes where it stopped.
With ``jobs > 1`` runs execute in worker processes, each limited to one BLAS/torch thread
so that the workers do not fight over cores.

Command line (also installed as ``al-grid``)::

    python -m helpers.grid --pair mnist_logreg --experiment small --seeds 42 43 --jobs 2
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Iterable, Sequence

from tqdm.auto import tqdm

from helpers import results
from helpers.config import EXPERIMENTS, PAIRS, PROTOCOL_VERSION, ConfigError, ProtocolConfig
from helpers.data import CorruptDataError, Dataset, load_dataset
from helpers.loop import prepare, run_and_save, run_reference
from helpers.models import resolve_device
from helpers.strategies import STRATEGIES

#: Seeds of the paper profile: five, starting at the study's 42.
PAPER_SEEDS = (42, 43, 44, 45, 46)

_worker_dataset: Dataset | None = None


class StaleResultsWarning(UserWarning):
    """Finished runs of the grid were computed by another protocol version and are redone."""


def build_configs(pair: str, experiments: Iterable[str], strategies: Iterable[str], seeds: Iterable[int],
                  **options) -> list[ProtocolConfig]:
    """Return the validated configuration of every run of the grid.

    ``options`` are further :class:`ProtocolConfig` fields (query_size, n_iterations,
    stream_threshold, model_params, data_root, results_dir, device).
    """
    return [
        ProtocolConfig(pair=pair, experiment=e, strategy=s, seed=k, **options)
        for e in experiments for s in strategies for k in seeds
    ]


def _init_worker(dataset: Dataset) -> None:
    global _worker_dataset
    _worker_dataset = dataset
    # One thread per worker: the workers already use the cores in parallel.
    import torch
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    torch.set_num_threads(1)


def _run_in_worker(config: ProtocolConfig) -> tuple[ProtocolConfig, bool]:
    return config, run_and_save(config, _worker_dataset, progress=False)


def run_grid(configs: Sequence[ProtocolConfig], *, jobs: int = 1, dataset: Dataset | None = None,
             reference: bool = False, progress: bool = True) -> dict[str, int]:
    """Run every configuration that has not finished yet.

    Parameters
    ----------
    configs : sequence of ProtocolConfig
        All of one pair (they share one dataset).
    jobs : int
        Parallel worker processes.
    dataset : Dataset, optional
        Preloaded data; loaded once here otherwise.
    reference : bool
        Also fit the reference model (whole pool) once per seed.
    progress : bool
        Show progress bars.

    Returns
    -------
    dict
        Counts: ``total``, ``skipped`` (finished before), ``ran``, ``stale`` (finished by
        another protocol version, hence recomputed; named in a :class:`StaleResultsWarning`).
    """
    if not configs:
        raise ConfigError("the grid is empty: give at least one experiment, strategy and seed")
    if jobs < 1:
        raise ConfigError(f"jobs must be a positive integer, got {jobs!r}")
    pairs = {c.pair for c in configs}
    if len(pairs) != 1:
        raise ConfigError(f"one pair per grid, got {sorted(pairs)}")
    for device in {c.device for c in configs if c.spec.model == "cnn"}:
        try:
            resolve_device(device)  # "cuda" on a machine without a GPU fails here, not in a run
        except RuntimeError as err:
            raise ConfigError(str(err)) from None
    for root in {c.results_root() for c in configs}:
        results.ensure_writable(root)
    if dataset is None:
        dataset = load_dataset(configs[0].spec.dataset, configs[0].data_path())
    # Draw every split now: sizes that do not fit fail here, before any training.
    for config in {(c.experiment, c.seed, c.initial_size): c for c in configs}.values():
        prepare(config, dataset)
    status = [results.run_status(c) for c in configs]
    todo = [c for c, s in zip(configs, status) if s != "complete"]
    stale = [c for c, s in zip(configs, status) if s == "stale"]
    if stale:
        names = ", ".join(f"{c.experiment}/{c.strategy}/seed{c.seed}" for c in stale[:5])
        more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
        warnings.warn(
            f"{len(stale)} finished run(s) of {configs[0].pair} were computed by another protocol version "
            f"and will be recomputed (now version {PROTOCOL_VERSION}): {names}{more}",
            StaleResultsWarning, stacklevel=2,
        )
    counts = {"total": len(configs), "skipped": len(configs) - len(todo), "ran": 0, "stale": len(stale)}
    if reference:
        for config in {c.seed: c for c in configs}.values():
            run_reference(config, dataset)
    bar = tqdm(total=len(todo), desc=f"{configs[0].pair} runs", disable=not progress)
    if jobs == 1 or len(todo) <= 1:
        for config in todo:
            run_and_save(config, dataset, progress=progress)
            counts["ran"] += 1
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(dataset,)) as pool:
            for future in as_completed([pool.submit(_run_in_worker, c) for c in todo]):
                future.result()  # re-raise a worker's error here
                counts["ran"] += 1
                bar.update()
    bar.close()
    return counts


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line of :func:`main`."""
    parser = argparse.ArgumentParser(prog="al-grid", description="Run a resumable grid of active-learning runs.")
    parser.add_argument("--pair", required=True, choices=list(PAIRS))
    parser.add_argument("--experiment", nargs="+", default=list(EXPERIMENTS), choices=list(EXPERIMENTS))
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), metavar="STRATEGY")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(PAPER_SEEDS))
    parser.add_argument("--query-size", type=int)
    parser.add_argument("--iterations", type=int, dest="n_iterations")
    parser.add_argument("--threshold", type=float, default=0.5, dest="stream_threshold")
    parser.add_argument("--data-root", default=os.environ.get("AL_DATA_DIR"))
    parser.add_argument("--results-dir", default=os.environ.get("AL_RESULTS_DIR"))
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--reference", action="store_true", help="also fit the whole-pool reference model per seed")
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    args = parse_args(argv)
    try:
        configs = build_configs(
            args.pair, args.experiment, args.strategies, args.seeds,
            query_size=args.query_size, n_iterations=args.n_iterations, stream_threshold=args.stream_threshold,
            data_root=args.data_root, results_dir=args.results_dir, device=args.device,
        )
        counts = run_grid(configs, jobs=args.jobs, reference=args.reference, progress=not args.quiet)
    except (ConfigError, OSError, CorruptDataError) as err:
        print(f"al-grid: error: {err}", file=sys.stderr)
        return 2
    stale = f" ({counts['stale']} stale run(s) recomputed)" if counts["stale"] else ""
    print(f"al-grid: {counts['ran']} run(s) executed{stale}, {counts['skipped']} already finished, "
          f"{counts['total']} in the grid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
