""":class:`ProcessPool`: ``jobs`` local worker processes, each handed the dataset once, ignoring
SIGINT, exiting at once on SIGTERM and when the main process dies.

May import: :mod:`helpers.executors.base` and :mod:`helpers.loop`, :mod:`helpers.provenance`, :mod:`helpers.results`, :mod:`helpers.config`,
:mod:`helpers.data`, :mod:`helpers.locks`.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import util as multiprocessing_util

from helpers.config import ConfigError, ProtocolConfig
from helpers.data import Dataset
from helpers.executors.base import (
    GridExecutor, RunOutcome, TERMINATE_GRACE_SECONDS, _current_run, execute, remove_temp_files,
)


# ------------------------------------------------------------------------------ process pool

_worker_dataset: Dataset | None = None


#: Seconds a terminating worker may spend on its clean-up before the kernel ends it.
CLEANUP_SECONDS = 5


def _on_sigterm(signum, frame):
    """End this pool worker now, leaving no lock and no temporary file of its current run.

    Nothing is raised into the run: code that swallows every exception (modAL's
    ``BaseLearner.query`` has a bare ``except:``) would let the run go on. The handler
    runs between two bytecodes of whatever the worker was doing, possibly while that code
    holds a lock the clean-up also needs; an alarm with the default action (terminate)
    bounds the clean-up, so the worker ends even then (one orphaned worker was seen waiting
    on a futex for an hour without it).
    """
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(CLEANUP_SECONDS)
    try:
        config, lock = _current_run.get("config"), _current_run.get("lock")
        try:
            if config is not None:
                remove_temp_files(config)
        finally:  # the lock goes even when the clean-up of temporary files failed
            if lock is not None:
                lock.release()
        # Unlink the semaphores this process created (multiprocessing's exit would), or the
        # resource tracker warns about leaked semaphores; finalizers of other processes are skipped.
        getattr(multiprocessing_util, "_run_finalizers", lambda minpriority: None)(0)
    finally:
        os._exit(128 + signum)


def _exit_with_parent(parent_pid: int) -> None:
    """Make this process receive SIGTERM when its parent process dies."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            if libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0) == 0:
                if os.getppid() != parent_pid:  # the parent died before prctl took effect
                    os._exit(128 + signal.SIGTERM)
                return
        except (OSError, AttributeError):
            pass

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent watchdog", daemon=True).start()


def _init_pool_worker(dataset: Dataset, parent_pid: int) -> None:
    global _worker_dataset
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C and stops the pool
    signal.signal(signal.SIGTERM, _on_sigterm)
    _exit_with_parent(parent_pid)
    _worker_dataset = dataset
    # One thread per worker: the workers already use the cores in parallel.
    import torch
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    torch.set_num_threads(1)


def _pool_task(config: ProtocolConfig) -> RunOutcome:
    return execute(config, _worker_dataset)


class ProcessPool(GridExecutor):
    """``jobs`` local worker processes (today's ``--jobs N``).

    Parameters
    ----------
    jobs : int
        Number of worker processes (at most one per run is started).
    """

    name = "process pool"

    def __init__(self, jobs: int):
        if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
            raise ConfigError(f"jobs must be a positive integer, got {jobs!r}")
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None

    def run(self, configs, dataset, *, progress=False):
        pool = ProcessPoolExecutor(max_workers=min(self.jobs, len(configs)), initializer=_init_pool_worker,
                                   initargs=(dataset, os.getpid()))
        self._pool = pool
        finished = False
        try:
            futures = {pool.submit(_pool_task, config): config for config in configs}
            for future in as_completed(futures):
                try:
                    yield future.result()
                except Exception as err:  # noqa: BLE001 -- the pool broke: a worker died
                    config = futures[future]
                    yield RunOutcome(
                        config, "failed",
                        detail=f"{type(err).__name__}: {err or 'a worker process died (killed or out of memory)'}",
                        traceback="".join(traceback.format_exception(err)),
                    )
            finished = True
        finally:
            if finished:
                self._pool = None
                pool.shutdown(wait=True)
            else:
                self.stop()

    def stop(self) -> None:
        """Cancel queued runs, SIGTERM the workers (each ends its run cleanly), kill stragglers.

        A second Ctrl-C while this runs kills the workers at once instead of waiting.
        """
        pool, self._pool = self._pool, None
        if pool is None:
            return
        # ProcessPoolExecutor has no public way to end its workers before Python 3.14
        # (terminate_workers); its ``_processes`` map (pid -> Process) exists since 3.2.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        with _kill_on_second_interrupt(processes):
            pool.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                if process.is_alive():
                    process.terminate()
            deadline = time.monotonic() + TERMINATE_GRACE_SECONDS
            for process in processes:
                process.join(max(0.0, deadline - time.monotonic()))
            for process in processes:
                if process.is_alive():
                    process.kill()
                    process.join(5)
            # A worker the pool may have started after the snapshot above.
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                if process not in processes and process.is_alive():
                    process.kill()
                    process.join(5)


class _kill_on_second_interrupt:
    """Within the block, SIGINT kills ``processes`` with SIGKILL instead of raising KeyboardInterrupt."""

    def __init__(self, processes):
        self.processes = processes
        self.previous = None

    def _kill(self, signum, frame):
        for process in self.processes:
            if process.is_alive():
                process.kill()

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._kill)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
