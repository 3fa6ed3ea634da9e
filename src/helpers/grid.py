"""Resumable grids of runs: every (strategy, seed) of a pair and experiment.

All configurations are built and validated, the data loaded and the splits drawn, and
the results directory probed, before the first model is trained, so bad input fails in
seconds. Finished runs are skipped, so an interrupted grid resumes where it stopped; a
grid that lists a run twice runs it once.

Where the runs execute is the executor's business (:mod:`helpers.executors`): in this
process (``jobs=1``), in ``jobs`` local worker processes (each limited to one BLAS/torch
thread so that the workers do not fight over cores), or on a Dask cluster. Whatever the
executor, every run takes a lock file beside its results (:mod:`helpers.locks`) and checks
again that it has not finished before it starts, so two grids (or two workers) sharing a
results directory never compute the same run; a run locked by a live owner is reported
as *running elsewhere* and left to it. A run that raises is reported with its
configuration and traceback while the others go on; the grid then raises
:class:`GridRunError` naming the failed runs. Ctrl-C (SIGINT, or a ``KeyboardInterrupt``
such as Jupyter's "interrupt kernel") cancels the queued runs, stops the workers, keeps
every finished run and raises :class:`GridInterrupted`.

Command line (also installed as ``al-grid``)::

    python -m helpers.grid --pair mnist_logreg --experiment small --seeds 42 43 --jobs 2
    python -m helpers.grid --pair mnist_logreg --scheduler tcp://head-node:8786
    python -m helpers.grid --pair digits_logreg --dask-local 2

Exit status: 0 when every run is finished or running elsewhere, 1 when runs failed, 2 for
bad input (one line, nothing run and no folder left behind), 130 when interrupted, 143 when
terminated (SIGTERM; it stops the grid as Ctrl-C does, with the same summary line).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import Iterable, Sequence

from tqdm.auto import tqdm

from helpers import provenance, results
from helpers.config import EXPERIMENTS, PAIRS, PROTOCOL_VERSION, ConfigError, ProtocolConfig
from helpers.data import CorruptDataError, Dataset, load_dataset
from helpers.executors import (
    DaskExecutor, GridExecutor, ProcessPool, RunOutcome, SerialExecutor, run_name,
)
from helpers.locks import RunLock
from helpers.loop import prepare, run_reference
from helpers.models import resolve_device
from helpers.strategies import STUDY_STRATEGIES

#: Exit status of the command line after an interrupt (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130


class StaleResultsWarning(UserWarning):
    """Finished runs of the grid were computed by another protocol version and are redone."""


class DamagedResultsWarning(UserWarning):
    """Runs of the grid are marked finished but their CSV is missing, cut short or disagrees; they are redone."""


class RunningElsewhereWarning(UserWarning):
    """Runs of the grid are locked by a live process elsewhere and were left to it."""


class GridRunError(RuntimeError):
    """Runs of the grid failed; every other run went on and finished.

    Attributes
    ----------
    failures : list of RunOutcome
        The failed runs, each with its configuration, error and the worker's traceback.
    counts : dict
        The grid's counts (see :func:`run_grid`).
    """

    def __init__(self, failures: list[RunOutcome], counts: dict[str, int]):
        self.failures, self.counts = failures, counts
        shown = "; ".join(f"{run_name(f.config)} ({f.detail})" for f in failures[:5])
        more = f"; and {len(failures) - 5} more" if len(failures) > 5 else ""
        cause = ("; the results could not be written" if failures and all(map(_is_write_error, failures))
                 else "")
        super().__init__(f"{len(failures)} of {counts['total']} run(s) failed{cause}: {shown}{more}; "
                         f"{counts['ran']} run(s) executed; rerun the same grid to redo the failed ones")


class GridInterrupted(KeyboardInterrupt):
    """The grid was interrupted; queued runs were cancelled and finished runs kept.

    Attributes
    ----------
    counts : dict
        The grid's counts at the interrupt (see :func:`run_grid`), plus ``not_run``: runs
        of the grid neither finished nor left to another owner.
    """

    def __init__(self, counts: dict[str, int]):
        self.counts = counts
        super().__init__(
            f"interrupted: {counts['ran']} run(s) executed and kept, {counts['not_run']} not run, "
            f"{counts['skipped']} already finished, {counts['total']} in the grid; "
            "rerun the same grid to resume"
        )


def _unique(values: Iterable) -> list:
    return list(dict.fromkeys(values))


def build_configs(pair: str, experiments: Iterable[str], strategies: Iterable[str], seeds: Iterable[int],
                  **options) -> list[ProtocolConfig]:
    """Return the validated configuration of every run of the grid, each once.

    ``options`` are further :class:`ProtocolConfig` fields (query_size, n_iterations,
    stream_threshold, model_params, data_root, results_dir, device). A value repeated in
    ``experiments``, ``strategies`` or ``seeds`` (``--seeds 42 42``) counts once.

    Returns
    -------
    list of ProtocolConfig
        Experiments, then strategies, then seeds, in the order first given.
    """
    return [
        ProtocolConfig(pair=pair, experiment=e, strategy=s, seed=k, **options)
        for e in _unique(experiments) for s in _unique(strategies) for k in _unique(seeds)
    ]


def unique_configs(configs: Sequence[ProtocolConfig]) -> list[ProtocolConfig]:
    """Return ``configs`` without repeats (the first of each kept, in order).

    Two configurations are the same run when they write the same result files and differ
    at most in where the data and results live (``data_root``, ``results_dir`` spelt
    differently).

    Returns
    -------
    list of ProtocolConfig

    Raises
    ------
    ConfigError
        When two different configurations would write the same result files.
    """
    seen: dict[str, tuple[str, ProtocolConfig]] = {}
    out = []
    for config in configs:
        stem = str(results.config_stem(config))
        protocol = {k: v for k, v in config.to_dict().items() if k not in ("data_root", "results_dir")}
        fingerprint = json.dumps(protocol, sort_keys=True, default=str)
        if stem in seen:
            if seen[stem][0] != fingerprint:
                raise ConfigError(f"two different configurations of the grid write the same result files "
                                  f"{stem}.{{csv,json}}: {seen[stem][1]} and {config}")
            continue
        seen[stem] = (fingerprint, config)
        out.append(config)
    return out


def _executor_for(jobs: int, executor) -> GridExecutor:
    if isinstance(executor, GridExecutor):
        return executor
    if isinstance(executor, str):
        return DaskExecutor(executor)
    if executor is not None:
        try:
            from distributed import Client
        except ImportError:
            Client = ()
        if isinstance(executor, Client):
            return DaskExecutor(client=executor)
        raise ConfigError(f"executor must be a helpers.executors.GridExecutor, a Dask client or a scheduler "
                          f"address, got {executor!r}")
    return ProcessPool(jobs) if jobs > 1 else SerialExecutor()


def _report(message: str) -> None:
    tqdm.write(message, file=sys.stderr)


def _is_write_error(outcome: RunOutcome) -> bool:
    """Return True when a run failed because its results could not be written (full disk, no permission)."""
    return outcome.detail.startswith(f"{results.ResultsDirError.__name__}:")


def _run_references(configs: Sequence[ProtocolConfig], dataset: Dataset) -> None:
    """Fit the whole-pool reference once per seed, each under its own lock."""
    for config in {c.seed: c for c in configs}.values():
        path = results.reference_path(config.results_root(), config.pair, config.seed)
        lock = RunLock(path.with_suffix(".lock"))
        if not lock.acquire():
            warnings.warn(f"the reference of {config.pair} seed {config.seed} is being computed elsewhere "
                          f"({lock.holder.describe() if lock.holder else 'unknown owner'}); left to it",
                          RunningElsewhereWarning, stacklevel=3)
            continue
        try:
            run_reference(config, dataset)
        finally:
            lock.release()


def run_grid(configs: Sequence[ProtocolConfig], *, jobs: int = 1, executor=None, dataset: Dataset | None = None,
             reference: bool = False, progress: bool = True) -> dict[str, int]:
    """Run every configuration that has not finished yet.

    Parameters
    ----------
    configs : sequence of ProtocolConfig
        All of one pair (they share one dataset); repeats run once.
    jobs : int
        Parallel local worker processes (1: runs execute in this process). Leave it at 1
        when ``executor`` is given.
    executor : GridExecutor, distributed.Client or str, optional
        Where to run instead of the local process pool: a
        :class:`helpers.executors.GridExecutor` (e.g. ``DaskExecutor(n_workers=4)``), a
        Dask client, or a Dask scheduler address such as ``"tcp://head-node:8786"``.
    dataset : Dataset, optional
        Preloaded data; loaded once here otherwise.
    reference : bool
        Also fit the reference model (whole pool) once per seed, in this process.
    progress : bool
        Show progress bars.

    Returns
    -------
    dict
        Counts: ``total`` (distinct runs), ``skipped`` (finished before, or by another
        grid meanwhile), ``ran``, ``stale`` (finished by another protocol version, hence
        recomputed; named in a :class:`StaleResultsWarning`), ``damaged`` (marked finished
        but with a missing, cut-short or disagreeing CSV, hence recomputed; named in a
        :class:`DamagedResultsWarning`), ``elsewhere`` (locked by a
        live owner and left to it; named in a :class:`RunningElsewhereWarning`).

    Raises
    ------
    ConfigError, ResultsDirError, DataNotFoundError, CorruptDataError
        Bad input, before any training.
    GridRunError
        After every other run ended, when runs failed (each reported on stderr with its
        traceback as it failed).
    GridInterrupted
        On Ctrl-C / ``KeyboardInterrupt`` while runs execute: queued runs are cancelled,
        the workers stopped, finished runs kept (a ``KeyboardInterrupt`` subclass).
    """
    if not configs:
        raise ConfigError("the grid is empty: give at least one experiment, strategy and seed")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ConfigError(f"jobs must be a positive integer, got {jobs!r}")
    if executor is not None and jobs != 1:
        raise ConfigError("give jobs (local worker processes) or an executor, not both")
    pairs = {c.pair for c in configs}
    if len(pairs) != 1:
        raise ConfigError(f"one pair per grid, got {sorted(pairs)}")
    configs = unique_configs(configs)
    for device in {c.device for c in configs if c.spec.model == "cnn"}:
        try:
            resolve_device(device)  # "cuda" on a machine without a GPU fails here, not in a run
        except RuntimeError as err:
            raise ConfigError(str(err)) from None
    roots = sorted({c.results_root() for c in configs})
    created = _to_be_created(roots)
    try:
        for root in roots:
            results.ensure_writable(root)
        runner = _executor_for(jobs, executor)
        runner.start()
        try:
            if isinstance(runner, DaskExecutor):
                runner.check_writable(roots)
            if dataset is None:
                dataset = load_dataset(configs[0].spec.dataset, configs[0].data_path())
            # Draw every split now: sizes that do not fit fail here, before any training.
            for config in {(c.experiment, c.seed, c.initial_size): c for c in configs}.values():
                prepare(config, dataset)
            # A results tree never mixes data variants: runs on other data stop the grid here.
            results.check_dataset_identity(configs[0].results_root(), configs[0].pair, dataset.identity)
        except BaseException:
            runner.close()
            raise
    except BaseException:
        _remove_empty(created)  # a failed check leaves no empty results folder behind
        raise
    try:
        return _run_started(configs, runner, dataset, reference=reference, progress=progress,
                            default_executor=executor is None)
    finally:
        runner.close()


def _to_be_created(roots: Sequence) -> list:
    """Return the folders that creating ``roots`` would create, deepest first."""
    missing = []
    for root in roots:
        path = Path(root).absolute()
        while not os.path.lexists(path) and path.parent != path:
            missing.append(path)
            path = path.parent
    return sorted(set(missing), key=lambda p: len(p.parts), reverse=True)


def _remove_empty(folders: Sequence) -> None:
    """Remove those of ``folders`` (deepest first) that exist and are empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            pass


def _meta(config: ProtocolConfig) -> dict:
    """Return the JSON of ``config``'s run (``{}`` when it cannot be read), for messages."""
    try:
        meta = json.loads(results.config_stem(config).with_suffix(".json").read_text())
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _run_started(configs, runner: GridExecutor, dataset, *, reference, progress, default_executor) -> dict[str, int]:
    # A finished run counts only on the same data (checked against the tree before the runs start).
    status = [results.run_status(c, dataset.identity) for c in configs]
    todo = [c for c, s in zip(configs, status) if s != "complete"]
    stale = [c for c, s in zip(configs, status) if s == "stale"]
    if stale:
        names = ", ".join(f"{c.experiment}/{c.strategy}/seed{c.seed}" for c in stale[:5])
        more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
        warnings.warn(
            f"{len(stale)} finished run(s) of {configs[0].pair} were computed by another protocol version "
            f"and will be recomputed (now version {PROTOCOL_VERSION}): {names}{more}",
            StaleResultsWarning, stacklevel=3,
        )
    damaged = [c for c, s in zip(configs, status) if s == "damaged"]
    if damaged:
        names = ", ".join(f"{run_name(c)} ({results._files_agree(results.config_stem(c), _meta(c))})"
                          for c in damaged[:5])
        more = f" and {len(damaged) - 5} more" if len(damaged) > 5 else ""
        warnings.warn(f"{len(damaged)} finished run(s) have a CSV that is missing, cut short or disagrees with "
                      f"their JSON and will be recomputed: {names}{more}", DamagedResultsWarning, stacklevel=3)
    counts = {"total": len(configs), "skipped": len(configs) - len(todo), "ran": 0, "stale": len(stale),
              "damaged": len(damaged), "elsewhere": 0}
    if reference:
        _run_references(configs, dataset)
    if default_executor and len(todo) <= 1:
        runner = SerialExecutor()  # no pool for a single run
    failures: list[RunOutcome] = []
    elsewhere: list[RunOutcome] = []
    bar = tqdm(total=len(todo), desc=f"{configs[0].pair} runs", disable=not progress)
    outcomes = runner.run(runner.prepare(todo), dataset, progress=progress and isinstance(runner, SerialExecutor))
    try:
        for outcome in outcomes:
            if outcome.status == "ran":
                counts["ran"] += 1
            elif outcome.status == "skipped":
                counts["skipped"] += 1
            elif outcome.status == "elsewhere":
                counts["elsewhere"] += 1
                elsewhere.append(outcome)
            else:
                failures.append(outcome)
                where = f" on {outcome.host} (pid {outcome.pid})" if outcome.host else ""
                # A full disk or an unwritable folder says all in one line; a bug needs its traceback.
                trace = "" if _is_write_error(outcome) else f"\n{outcome.traceback}"
                _report(f"al-grid: run {run_name(outcome.config)} failed{where}: {outcome.detail}{trace}".rstrip())
            bar.update()
    except KeyboardInterrupt:
        outcomes.close()  # cancels the queued runs and stops the workers
        # Runs may have finished after the interrupt, before their outcome arrived: count the disk.
        skipped_meanwhile = counts["skipped"] - (len(configs) - len(todo))
        counts["ran"] = sum(results.is_complete(c) for c in todo) - skipped_meanwhile
        done = counts["ran"] + counts["skipped"] + counts["elsewhere"] + len(failures)
        raise GridInterrupted({**counts, "failed": len(failures), "not_run": counts["total"] - done}) from None
    finally:
        outcomes.close()
        bar.close()
    if elsewhere:
        names = ", ".join(f"{run_name(o.config)} ({o.detail})" for o in elsewhere[:5])
        more = f" and {len(elsewhere) - 5} more" if len(elsewhere) > 5 else ""
        warnings.warn(f"{len(elsewhere)} run(s) are running elsewhere and were left to their owners: {names}{more}",
                      RunningElsewhereWarning, stacklevel=3)
    if failures:
        raise GridRunError(failures, counts)
    return counts


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line of :func:`main`.

    Returns
    -------
    argparse.Namespace
    """
    parser = argparse.ArgumentParser(prog="al-grid", description="Run a resumable grid of active-learning runs.")
    parser.add_argument("--pair", required=True, choices=list(PAIRS))
    parser.add_argument("--experiment", nargs="+", default=list(EXPERIMENTS), choices=list(EXPERIMENTS))
    parser.add_argument("--strategies", nargs="+", default=list(STUDY_STRATEGIES), metavar="STRATEGY")
    parser.add_argument("--seeds", nargs="+", type=int,
                        help="seeds to run (default: the pair's seeds in the study, e.g. 42-61 for mnist_logreg)")
    parser.add_argument("--query-size", type=int)
    parser.add_argument("--iterations", type=int, dest="n_iterations")
    parser.add_argument("--threshold", type=float, default=0.5, dest="stream_threshold")
    parser.add_argument("--data-root", default=os.environ.get("AL_DATA_DIR"))
    parser.add_argument("--results-dir", default=os.environ.get("AL_RESULTS_DIR"))
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=int, metavar="N", help="run N runs at once in local worker processes (default 1)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on the Dask cluster whose scheduler is at ADDRESS, e.g. tcp://head-node:8786")
    where.add_argument("--dask-local", type=int, metavar="N", help="start a local Dask cluster of N worker processes")
    parser.add_argument("--reference", action="store_true", help="also fit the whole-pool reference model per seed")
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point.

    Returns
    -------
    int
        The exit status: 0 done, 1 runs failed, 2 bad input, 130 interrupted (Ctrl-C),
        143 terminated (SIGTERM).

    Notes
    -----
    SIGTERM ends the grid as Ctrl-C does: queued runs cancelled, workers stopped, finished
    runs kept, one summary line. After either, SIGINT and SIGTERM stay ignored in this
    process: the process is about to exit, and a further signal arriving during the
    interpreter's shutdown would otherwise print a stray ``KeyboardInterrupt`` traceback
    after the summary line.
    """
    if argv is None:
        # OpenBLAS picks its kernels when numpy loads: restart with the pinned ones if needed.
        provenance.reexec_pinned("helpers.grid", sys.argv[1:])
    args = parse_args(argv)
    if args.seeds is None:
        args.seeds = list(PAIRS[args.pair].seeds)
    in_main_thread = threading.current_thread() is threading.main_thread()
    _received.clear()
    if in_main_thread:
        # Ctrl-C interrupts the grid even when the shell started it with SIGINT ignored; the
        # first one stops the grid, and later ones can no longer break the summary and exit.
        # SIGTERM stops it the same way (workers ended, finished runs kept, a summary line).
        previous = {signum: signal.signal(signum, _interrupt_once) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warn_one_line
            return _main(args)
    finally:
        # After the first signal (``_interrupt_once``) both stay ignored; otherwise restore them.
        if in_main_thread and not _received:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


#: The signal that interrupted the grid of :func:`main` (SIGINT or SIGTERM), once one came.
_received: list[int] = []


def _interrupt_once(signum, frame) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _received.append(signum)
    raise KeyboardInterrupt


def _interrupted_by() -> str:
    """Return ``"interrupted"`` (Ctrl-C) or ``"terminated by SIGTERM"``, for the summary line."""
    return "terminated by SIGTERM" if _received[:1] == [signal.SIGTERM] else "interrupted"


def _exit_interrupted() -> int:
    """Return the exit status after an interrupt: 130 for SIGINT (or none seen), 143 for SIGTERM."""
    return 128 + signal.SIGTERM if _received[:1] == [signal.SIGTERM] else EXIT_INTERRUPTED


def _warn_one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"al-grid: warning: {message}", file=sys.stderr if file is None else file)


def _main(args: argparse.Namespace) -> int:
    try:
        configs = build_configs(
            args.pair, args.experiment, args.strategies, args.seeds,
            query_size=args.query_size, n_iterations=args.n_iterations, stream_threshold=args.stream_threshold,
            data_root=args.data_root, results_dir=args.results_dir, device=args.device,
        )
        executor = None
        if args.scheduler is not None:
            executor = DaskExecutor(args.scheduler)
        elif args.dask_local is not None:
            executor = DaskExecutor(n_workers=args.dask_local)
        counts = run_grid(configs, jobs=1 if args.jobs is None else args.jobs, executor=executor,
                          reference=args.reference, progress=not args.quiet)
    except (ConfigError, OSError, CorruptDataError, results.DatasetMismatchError) as err:
        print(f"al-grid: error: {err}", file=sys.stderr)
        return 2
    except GridRunError as err:
        above = "" if all(map(_is_write_error, err.failures)) else " (tracebacks above)"
        print(f"al-grid: error: {err}{above}", file=sys.stderr)
        return 1
    except GridInterrupted as err:
        print(f"al-grid: {_interrupted_by()}{str(err).removeprefix('interrupted')}", file=sys.stderr)
        return _exit_interrupted()
    except KeyboardInterrupt:
        print(f"al-grid: {_interrupted_by()} before the runs started; rerun the same command to resume",
              file=sys.stderr)
        return _exit_interrupted()
    stale = f" ({counts['stale']} stale run(s) recomputed)" if counts["stale"] else ""
    if counts.get("damaged"):
        stale += f" ({counts['damaged']} damaged run(s) recomputed)"
    elsewhere = f", {counts['elsewhere']} running elsewhere" if counts["elsewhere"] else ""
    print(f"al-grid: {counts['ran']} run(s) executed{stale}, {counts['skipped']} already finished{elsewhere}, "
          f"{counts['total']} in the grid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
