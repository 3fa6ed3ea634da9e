"""Where the runs of a grid execute: in this process, a local process pool, or a Dask cluster.

Every executor runs each configuration through :func:`execute`: take the run's lock file
(:mod:`helpers.locks`), check again that the run has not finished meanwhile, run and save
it (:func:`helpers.loop.run_and_save`), release the lock. A run whose lock is held by a live
owner is left to it ("running elsewhere"); an exception inside a run becomes a
``"failed"`` :class:`RunOutcome` with the worker's traceback, so the other runs go on.

Executors yield outcomes as runs finish (:meth:`GridExecutor.run`) and can be stopped at
any moment (:meth:`GridExecutor.stop`): queued runs are cancelled, running ones end, and
finished ones stay on disk.

- :class:`SerialExecutor`: one run after another in this process.
- :class:`ProcessPool`: ``jobs`` local worker processes. The dataset is handed to each
  worker once, when it starts. Workers ignore SIGINT (the main process decides), exit at once
  on SIGTERM leaving no lock and no temporary file of their run, and receive SIGTERM when
  the main process dies, even by SIGKILL (``prctl(PR_SET_PDEATHSIG)`` on Linux, a thread
  watching the parent pid elsewhere).
- :class:`DaskExecutor`: a ``dask.distributed`` cluster given by its scheduler address, a
  :class:`distributed.Client`, or a ``LocalCluster`` started here. The dataset is scattered
  to the workers once and every task refers to that copy. The results directory must be
  one that every worker can write (a shared filesystem).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
import uuid
import warnings
from abc import ABC, abstractmethod
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import util as multiprocessing_util
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from helpers import loop, provenance, results
from helpers.config import ConfigError, ProtocolConfig
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
    the run's files and renames them into place. Only the run's lock holder may call this.

    Returns
    -------
    list of Path
        The files removed.
    """
    stem = results.config_stem(config)
    removed = []
    for suffix in (".csv", ".json"):
        for path in stem.parent.glob(f".{stem.name}{suffix}.*.tmp"):
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
        if config is not None:
            remove_temp_files(config)
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


# ------------------------------------------------------------------------------------- Dask

#: Runs seed process-wide random generators (torch, numpy), so two runs must never share a
#: worker process at once; a worker with several threads runs one run at a time.
_dask_run_lock = threading.Lock()


def _dask_task(config: ProtocolConfig, dataset: Dataset) -> RunOutcome:
    with _dask_run_lock:
        return execute(config, dataset)


def _install_sigterm_handler() -> tuple[int, bool]:
    """In a Dask worker process: end on SIGTERM as a pool worker does; return (pid, installed)."""
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the worker's main thread: keep Dask's own handling
        return os.getpid(), False
    return os.getpid(), True


class KernelMismatchWarning(UserWarning):
    """Dask workers compute with other numerical kernels than the process that runs the grid."""


def _kernels(record: dict) -> str:
    return ", ".join(f"{b.get('library')} {b.get('architecture')}" for b in record.get("blas") or []) or "none"


#: Seconds the whole check of a scheduler address may take: connection, Dask's handshake and
#: the query of its workers.
SCHEDULER_CHECK_SECONDS = 10.0

#: Largest first message (bytes) a Dask scheduler's handshake is taken to send; it sends a
#: few hundred. Anything bigger is another service's bytes read as a length.
_MAX_HANDSHAKE_BYTES = 1 << 20


def _shown(data: bytes) -> str:
    """Return the start of what a service sent, printable, for a message."""
    text = data[:40].decode("ascii", "replace")
    return repr("".join(c if c.isprintable() else "?" for c in text.strip()))


def probe_scheduler(address: str, timeout: float) -> None:
    """Check that a Dask scheduler answers at a ``tcp://`` address, within ``timeout`` seconds.

    A Dask scheduler sends its handshake (an 8-byte length, then a small message holding
    its ``pickle-protocol``) as soon as a client connects. A service that says nothing (an
    HTTP server such as the Dask dashboard) or sends something else (an SSH banner) is
    named as not a Dask scheduler, where ``distributed.Client`` would wait without bound or
    try to allocate the banner read as a length. Addresses of other protocols (``tls://``,
    ``inproc://``) are left to ``distributed``.

    Returns
    -------
    None

    Raises
    ------
    ConfigError
        The address is malformed or unreachable, or what answers is not a Dask scheduler;
        one line naming the address.
    """
    import socket
    import struct

    from distributed.comm import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme != "tcp":
            return
        host, port = parse_host_port(location)
    except ValueError as err:
        raise ConfigError(f"cannot reach the Dask scheduler at {address}: {err}") from None
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as err:
        reason = err.strerror or type(err).__name__ if not isinstance(err, TimeoutError) else f"no answer in {timeout:g} s"
        raise ConfigError(f"cannot reach the Dask scheduler at {address} ({reason})") from None
    not_dask = f"a service answered at {address} but it is not a Dask scheduler"
    with sock:
        received = b""
        try:
            while len(received) < 8:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(8 - len(received))
                if not chunk:
                    raise ConfigError(f"{not_dask}: it closed the connection without Dask's handshake"
                                      + (f" after {_shown(received)}" if received else ""))
                received += chunk
            (length,) = struct.unpack("<Q", received)
            if not 0 < length <= _MAX_HANDSHAKE_BYTES:
                raise ConfigError(f"{not_dask}: it sent {_shown(received)} where Dask's handshake was expected")
            body = b""
            while len(body) < length:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(min(65536, length - len(body)))
                if not chunk:
                    break
                body += chunk
        except (socket.timeout, TimeoutError):
            what = f"sent only {_shown(received)}" if received else f"sent nothing in {timeout:g} s"
            raise ConfigError(f"{not_dask}: it {what} where Dask's handshake was expected (the dashboard "
                              f"port? a scheduler listens on 8786 by default)") from None
        except OSError as err:
            raise ConfigError(f"{not_dask}: {err.strerror or err}") from None
        if b"pickle-protocol" not in body:
            raise ConfigError(f"{not_dask}: its first message is not Dask's handshake")


def connect_scheduler(address: str, timeout: float = SCHEDULER_CHECK_SECONDS):
    """Connect to the Dask scheduler at ``address`` and count its workers, all within ``timeout`` seconds.

    Returns
    -------
    (distributed.Client, dict)
        The open client and its workers' thread counts (``Client.nthreads()``).

    Raises
    ------
    ConfigError
        One line: the address is malformed or unreachable, what answers is not a Dask
        scheduler (:func:`probe_scheduler`), or the connection or the worker query took
        longer than ``timeout``.
    """
    import distributed

    deadline = time.monotonic() + timeout
    outcome: dict = {}

    def connect():  # in a daemon thread: a stuck name lookup or connection cannot hold the caller
        try:
            probe_scheduler(address, timeout)
            client = distributed.Client(address, timeout=max(1.0, deadline - time.monotonic()))
            outcome["client"] = client
            outcome["nthreads"] = client.nthreads()
        except ConfigError as err:
            outcome["config_error"] = err
        except Exception as err:  # noqa: BLE001 -- reported below as the reason
            outcome["error"] = err

    thread = threading.Thread(target=connect, name="dask scheduler check", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()) + 1.0)
    if "config_error" in outcome:
        raise outcome["config_error"]
    if thread.is_alive() or "error" in outcome:
        err = outcome.get("error")
        reason = (" ".join(f"{type(err).__name__}: {err}".split()) if err is not None
                  else f"no answer within {timeout:g} s")
        raise ConfigError(f"cannot reach the Dask scheduler at {address} ({reason})")
    return outcome["client"], outcome["nthreads"]


class DaskExecutor(GridExecutor):
    """Runs the grid as tasks of a ``dask.distributed`` cluster.

    Give exactly one of ``address``, ``client`` or ``n_workers``.

    Parameters
    ----------
    address : str, optional
        A running scheduler, e.g. ``"tcp://head-node:8786"`` (``--scheduler``).
    client : distributed.Client, optional
        An open client (for example of a ``dask_jobqueue.SLURMCluster``); it is left open.
    n_workers : int, optional
        Start a ``LocalCluster`` of this many worker processes with one thread each
        (``--dask-local N``), closed when the grid ends.
    connect_timeout : float, optional
        Seconds the whole check of ``address`` may take: connection, handshake and worker
        query (:func:`connect_scheduler`; default :data:`SCHEDULER_CHECK_SECONDS`).

    Notes
    -----
    Workers must run the same environment (``helpers`` importable) and see the results
    directory at the same path; :meth:`start` checks that every worker can write it.
    Ctrl-C cancels the queued tasks. The workers of a local cluster end at once like pool
    workers (SIGTERM: lock released, temporary files removed) and the cluster is shut
    down, while the runs that workers of an external cluster have already started finish
    (their locks keep other grids off them until then).
    """

    name = "dask"

    def __init__(self, address: str | None = None, *, client=None, n_workers: int | None = None,
                 connect_timeout: float | None = None):
        given = [name for name, value in (("address", address), ("client", client), ("n_workers", n_workers))
                 if value is not None]
        if len(given) != 1:
            raise ConfigError(f"give exactly one of a scheduler address, a client or a local worker count, got {given}")
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise ConfigError(f"the Dask scheduler address must be a non-empty string, got {address!r}")
        if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1):
            raise ConfigError(f"the local Dask cluster needs a positive number of workers, got {n_workers!r}")
        self.address, self.n_workers, self.connect_timeout = address, n_workers, connect_timeout
        self._given_client = client
        self.client = client
        self._cluster = None
        self._local_pids: list[int] = []
        self._futures: list = []

    def start(self) -> None:
        try:
            import distributed
        except ImportError:
            raise ConfigError("the Dask executor needs the 'distributed' package (pinned in requirements.txt)") from None
        if self.client is not None and self.client.status == "running":
            return
        if self.n_workers is not None:
            self._cluster = distributed.LocalCluster(n_workers=self.n_workers, threads_per_worker=1, processes=True,
                                                     dashboard_address=":0")
            self.client = distributed.Client(self._cluster)
            # Workers of this machine end like the pool's on SIGTERM: no lock, no temporary file left.
            self._local_pids = [pid for pid, ok in self.client.run(_install_sigterm_handler).values() if ok]
            threads = self.client.nthreads()
        else:
            timeout = SCHEDULER_CHECK_SECONDS if self.connect_timeout is None else self.connect_timeout
            self.client, threads = connect_scheduler(self.address, timeout)
        if not threads:
            self.close()
            raise ConfigError(f"the Dask cluster at {self.client.scheduler.address} has no workers")
        if any(n > 1 for n in threads.values()):
            warnings.warn("Dask workers with several threads run one active-learning run at a time; start them "
                          "with one thread each (e.g. --nthreads 1 --nworkers N)", stacklevel=2)
        self._check_kernels()

    def _check_kernels(self) -> None:
        """Warn when a worker computes with other numerical kernels than this process.

        Runs are bit-identical across machines only where the BLAS kernel and torch's CPU
        instruction set are the same (:mod:`helpers.provenance`); a worker started without
        ``OPENBLAS_CORETYPE=Haswell`` on an AVX-512 CPU, say, would compute other bits.
        """
        here = provenance.kernel_record()
        try:
            records = self.client.run(provenance.kernel_record)
        except Exception as err:  # noqa: BLE001 - the check is advice, not a condition of running
            warnings.warn(f"could not ask the Dask workers which numerical kernels they use ({err})", stacklevel=3)
            return
        differ = {w: r for w, r in records.items() if provenance.kernel_signature(r) != provenance.kernel_signature(here)}
        if differ:
            worker, record = next(iter(differ.items()))
            warnings.warn(
                f"{len(differ)} of {len(records)} Dask worker(s) compute with other numerical kernels than this "
                f"process (e.g. {worker}: BLAS {_kernels(record)}, torch {record.get('torch_cpu_capability')}; here: "
                f"BLAS {_kernels(here)}, torch {here.get('torch_cpu_capability')}); their runs will not be "
                f"bit-identical to runs computed here. Start the workers with OPENBLAS_CORETYPE=Haswell (README, "
                f"'On a cluster')", KernelMismatchWarning, stacklevel=3)

    def prepare(self, configs):
        """Return the configurations with their results directory made absolute.

        Workers resolve a missing ``results_dir`` on their own machine and working folder;
        resolving it here makes every worker write where this process reads. Location
        fields do not enter the comparison of finished runs, so nothing is recomputed.
        """
        return [c.replace(results_dir=str(c.results_root())) for c in configs]

    def check_writable(self, roots: Sequence[Path]) -> None:
        """Check on every worker that each results root is writable; raise :class:`ConfigError` if not."""
        for root in roots:
            try:
                self.client.run(results.ensure_writable, Path(root))
            except OSError as err:
                raise ConfigError(f"a Dask worker cannot write the results directory ({err}); the workers "
                                  "need a shared filesystem mounted at the same path") from None

    def run(self, configs, dataset, *, progress=False):
        from distributed import as_completed as dask_as_completed

        client = self.client
        scattered = client.scatter(dataset, broadcast=True, hash=False)
        grid_id = uuid.uuid4().hex[:8]
        self._futures = futures = [
            client.submit(_dask_task, config, scattered, pure=False,
                          key=f"al-run-{run_name(config).replace('/', '-')}-{grid_id}")
            for config in configs
        ]
        by_key = {future.key: config for future, config in zip(futures, configs)}
        finished = False
        try:
            for future in dask_as_completed(futures):
                config = by_key[future.key]
                if future.status == "finished":
                    yield future.result()
                    continue
                if future.status == "cancelled":
                    err, tb = "cancelled", ""
                else:
                    exc = future.exception()
                    err = f"{type(exc).__name__}: {exc}"
                    tb = "".join(traceback.format_exception(type(exc), exc, future.traceback()))
                yield RunOutcome(config, "failed", detail=err, traceback=tb)
            finished = True
        finally:
            if not finished:
                self.stop()
            self._futures = []
            if self.client is not None:
                self.client.cancel([scattered], force=True)

    def stop(self) -> None:
        """Cancel the queued tasks; end the workers of a cluster started here and shut it down."""
        if self.client is not None and self._futures:
            try:
                self.client.cancel(self._futures, force=True)
            except Exception:  # noqa: BLE001 -- the scheduler may be gone; nothing is left to cancel then
                pass
        if self._cluster is not None:
            for pid in self._local_pids:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            self.close()

    def close(self) -> None:
        if self.client is not None and self.client is not self._given_client:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
            self._local_pids = []
