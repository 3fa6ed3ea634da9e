""":class:`DaskExecutor`: runs on a ``dask.distributed`` cluster (a scheduler address, a
:class:`distributed.Client` or a ``LocalCluster`` started here), the dataset scattered once.

May import: :mod:`helpers.executors.base`, :mod:`helpers.executors.process_pool` (its
interrupt handling), :mod:`helpers.executors.scheduler_check` and :mod:`helpers.loop`, :mod:`helpers.provenance`, :mod:`helpers.results`, :mod:`helpers.config`,
:mod:`helpers.data`, :mod:`helpers.locks`.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
import uuid
import warnings
from pathlib import Path
from typing import Sequence

from helpers import provenance, results
from helpers.config import ConfigError, ProtocolConfig
from helpers.data import Dataset
from helpers.executors import scheduler_check
from helpers.executors.base import TERMINATE_GRACE_SECONDS, GridExecutor, RunOutcome, execute, run_name
from helpers.executors.process_pool import _on_sigterm
from helpers.executors.scheduler_check import connect_scheduler


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


def _wait_for_exit(pids: Sequence[int], timeout: float) -> None:
    """Wait until every process in ``pids`` has exited (or is a zombie), at most ``timeout`` seconds."""
    import psutil  # a dependency of distributed, imported where Dask is used

    deadline = time.monotonic() + timeout
    for pid in pids:
        try:
            process = psutil.Process(pid)
            while process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.05)
        except psutil.NoSuchProcess:
            continue


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
            timeout = scheduler_check.SCHEDULER_CHECK_SECONDS if self.connect_timeout is None else self.connect_timeout
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
            # Let each worker's SIGTERM handler release its lock and remove its temporary files
            # before the cluster's shutdown can end the process harder (seen on a loaded machine).
            _wait_for_exit(self._local_pids, TERMINATE_GRACE_SECONDS)
            self.close()

    def close(self) -> None:
        """Close the client made here and the local cluster started here (a given client stays open)."""
        if self.client is not None and self.client is not self._given_client:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
            self._local_pids = []
