r"""Where the runs of a grid execute: in this process, a local process pool, or a Dask cluster.

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

Layout: :mod:`~helpers.executors.base` (the interface, :func:`execute`, :class:`SerialExecutor`),
:mod:`~helpers.executors.process_pool`, :mod:`~helpers.executors.dask_executor` and
:mod:`~helpers.executors.scheduler_check` (the bounded scheduler probe). Every name is
re-exported here. This package sits between :mod:`helpers.grid` (its user) and
:mod:`helpers.loop`.
"""

from __future__ import annotations

from helpers.executors.base import (  # noqa: F401
    TERMINATE_GRACE_SECONDS,
    RunOutcome,
    run_name,
    lock_path,
    _current_run,
    execute,
    remove_temp_files,
    GridExecutor,
    SerialExecutor,
)
from helpers.executors.process_pool import (  # noqa: F401
    _worker_dataset,
    CLEANUP_SECONDS,
    _on_sigterm,
    _exit_with_parent,
    _init_pool_worker,
    _pool_task,
    ProcessPool,
    _kill_on_second_interrupt,
)
from helpers.executors.scheduler_check import (  # noqa: F401
    SCHEDULER_CHECK_SECONDS,
    _MAX_HANDSHAKE_BYTES,
    _shown,
    probe_scheduler,
    connect_scheduler,
)
from helpers.executors.dask_executor import (  # noqa: F401
    _dask_run_lock,
    _dask_task,
    _install_sigterm_handler,
    KernelMismatchWarning,
    _kernels,
    DaskExecutor,
)
