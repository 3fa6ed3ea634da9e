"""The executor interface and what every executor shares: :class:`GridExecutor`,
:class:`RunOutcome`, :func:`execute` (lock, check, run and save one configuration, release)
and :class:`SerialExecutor`.

May import: :mod:`helpers.loop`, :mod:`helpers.provenance`, :mod:`helpers.results`, :mod:`helpers.config`,
:mod:`helpers.data`, :mod:`helpers.locks`; no other ``helpers.executors`` module.
"""

from __future__ import annotations

import os
import traceback
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from helpers import loop, results
from helpers.config import ProtocolConfig
from helpers.data import Dataset
from helpers.locks import RunLock, this_host


#: Seconds the pool waits for its workers to end after SIGTERM before it kills them.
TERMINATE_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class RunOutcome:
    """How one run of a grid ended.

    Attributes
    ----------
    config : ProtocolConfig
        The run.
    status : str
        ``"ran"`` (computed and written), ``"skipped"`` (found finished after taking its
        lock), ``"elsewhere"`` (its lock is held by a live owner) or ``"failed"``.
    detail : str
        The lock's owner for ``"elsewhere"``; ``"ExceptionType: message"`` for ``"failed"``.
    traceback : str
        The worker's traceback of a failed run, else ``""``.
    host : str
        Host of the process that handled the run.
    pid : int
        Process id of the process that handled the run (0 when it died).
    """

    config: ProtocolConfig
    status: str
    detail: str = ""
    traceback: str = ""
    host: str = ""
    pid: int = 0


def run_name(config: ProtocolConfig) -> str:
    """Return ``pair/experiment/strategy/seed<k>``, the name of a run in messages."""
    return f"{config.pair}/{config.experiment}/{config.strategy}/seed{config.seed}"


def lock_path(config: ProtocolConfig) -> Path:
    """Return the lock file of ``config``'s run: ``seed<k>.lock`` beside its CSV and JSON."""
    return results.config_stem(config).with_suffix(".lock")


#: The run this process is computing and its lock, while :func:`execute` runs; a pool
#: worker's SIGTERM handler uses it to leave no trace of an unfinished run.
_current_run: dict = {}


def execute(config: ProtocolConfig, dataset: Dataset | None, *, progress: bool = False) -> RunOutcome:
    """Run ``config`` under its lock unless it finished or runs elsewhere; never raise for a failed run.

    Returns
    -------
    RunOutcome
        ``"ran"``, ``"skipped"``, ``"elsewhere"`` or ``"failed"`` (with the traceback).
        Only interrupts (``KeyboardInterrupt``, ``SystemExit``) propagate; the lock is
        released and the run's temporary files removed before they do.
    """
    where = {"host": this_host(), "pid": os.getpid()}
    try:
        lock = RunLock(lock_path(config))
        _current_run.update(config=config, lock=lock)
        try:  # release() in finally also covers an interrupt right after acquire() returned
            if not lock.acquire():
                return RunOutcome(config, "elsewhere", detail=lock.holder.describe() if lock.holder else "", **where)
            ran = loop.run_and_save(config, dataset, progress=progress)  # re-checks completeness
        finally:
            lock.release()
    except Exception as err:  # noqa: BLE001 -- reported with its traceback, the grid goes on
        return RunOutcome(config, "failed", detail=f"{type(err).__name__}: {err}",
                          traceback=traceback.format_exc(), **where)
    finally:
        _current_run.clear()
    return RunOutcome(config, "ran" if ran else "skipped", **where)


def remove_temp_files(config: ProtocolConfig) -> list[Path]:
    """Delete the temporary files that an interrupted write of ``config``'s CSV or JSON left.

    :func:`helpers.results.write_run` writes ``.seed<k>.{csv,json}.<random>.tmp`` beside
    the run's files and renames them into place; :func:`helpers.results.ensure_writable`
    probes the folder with ``.probe-<pid>-<random>``, of which only this process's own is
    removed (another process may be probing the same folder). Only the run's lock holder may
    call this.

    Returns
    -------
    list of Path
        The files removed.
    """
    stem = results.config_stem(config)
    removed = []
    patterns = [f".{stem.name}{suffix}.*.tmp" for suffix in (".csv", ".json")]
    patterns.append(f"{results.PROBE_PREFIX}{os.getpid()}-*")  # this process's writability probe
    for pattern in patterns:
        for path in stem.parent.glob(pattern):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


class GridExecutor(ABC):
    """Runs a grid's configurations somewhere and yields their outcomes as they finish."""

    #: Short name used in messages.
    name = "executor"

    def start(self) -> None:
        """Connect to or start the workers; raise :class:`ConfigError` when that is impossible."""

    @abstractmethod
    def run(self, configs: Sequence[ProtocolConfig], dataset: Dataset, *, progress: bool = False
            ) -> Iterator[RunOutcome]:
        """Run every configuration; yield one :class:`RunOutcome` per configuration as each finishes."""

    def stop(self) -> None:
        """Cancel the queued runs and end the running ones (called on an interrupt)."""

    def close(self) -> None:
        """Release what :meth:`start` acquired; the executor may be started again."""

    def prepare(self, configs: Sequence[ProtocolConfig]) -> list[ProtocolConfig]:
        """Return the configurations as this executor's workers must receive them (unchanged here)."""
        return list(configs)


class SerialExecutor(GridExecutor):
    """One run after another in this process (with the progress of each run when asked)."""

    name = "serial"

    def run(self, configs, dataset, *, progress=False):
        for config in configs:
            yield execute(config, dataset, progress=progress)
