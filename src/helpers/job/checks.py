"""Every pre-check of a job, cheapest first: device, output folders, the scheduler
(:func:`check_scheduler`), the data and splits of every pair (:func:`check_job`).

May import: :mod:`helpers.job.options` and, lazily where they are needed, :mod:`helpers.results`,
:mod:`helpers.config`, :mod:`helpers.datacheck`, :mod:`helpers.executors`, :mod:`helpers.loop`,
:mod:`helpers.models`.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

from helpers.job.options import Job, JobError


#: Seconds the whole check of the Dask scheduler of ``--scheduler`` may take (connection,
#: handshake, worker query; :func:`helpers.executors.connect_scheduler`).
SCHEDULER_TIMEOUT_SECONDS = 10.0


# ------------------------------------------------------------------------------ checks


@dataclass
class PairCheck:
    """What the checks found for one pair.

    Attributes
    ----------
    pair : str
    source : str
        Where its data came from (:attr:`helpers.data.Dataset.source`).
    device : str or None
        The device its model runs on (CNN pairs only).
    finished, stale, total : int
        Runs of the job already finished, finished by another protocol version (to be
        redone), and in all.
    references_finished, references : int
        Whole-pool references already computed, and needed.
    identity : dict or None
        The data's identity (:attr:`helpers.data.Dataset.identity`): finished runs count
        only when computed on the same data.
    damaged : int
        Runs marked finished whose CSV is missing, cut short or disagrees with the JSON
        (to be redone).
    """

    pair: str
    source: str
    device: str | None
    finished: int
    stale: int
    total: int
    references_finished: int
    references: int
    identity: dict | None = None
    damaged: int = 0


def _check_folder(path: Path, what: str) -> None:
    """Check, without creating anything, that ``path`` is or can become a writable folder."""
    probe = path
    while not os.path.lexists(probe) and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        raise JobError(f"the {what} folder {path} cannot be created: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise JobError(f"the {what} folder {path} cannot be written: {probe} is not writable")


def _reference_finished(config) -> bool:
    from helpers import results

    path = results.reference_path(config.results_root(), config.pair, config.seed)
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return results.reference_matches(stored, config)


def check_scheduler(address: str, *, timeout: float | None = None) -> int:
    """Connect to a Dask scheduler briefly and count its workers.

    Parameters
    ----------
    address : str
        The scheduler's address (``tcp://head-node:8786``).
    timeout : float, optional
        Seconds the whole check may take: connection, Dask's handshake and the worker
        query (default :data:`SCHEDULER_TIMEOUT_SECONDS`).

    Returns
    -------
    int
        The number of workers connected to the scheduler now (at least 1).

    Raises
    ------
    JobError
        ``distributed`` is not installed, the address is malformed, nothing listens
        there, what answers is not a Dask scheduler (silent, or another protocol such as
        SSH), the check takes longer than ``timeout``, or the cluster has no workers.
    """
    if importlib.util.find_spec("distributed") is None:
        raise JobError("--scheduler needs the 'distributed' package (pinned in requirements.txt); "
                       "run make env")
    from helpers.config import ConfigError
    from helpers.executors import connect_scheduler

    timeout = SCHEDULER_TIMEOUT_SECONDS if timeout is None else timeout
    try:
        client, nthreads = connect_scheduler(address, timeout)
    except ConfigError as err:
        hint = ("fix the address" if "not a Dask scheduler" in str(err)
                else "start it (dask scheduler), fix the address")
        raise JobError(f"--scheduler {address}: {err}; {hint}, or leave --scheduler out to run locally") from None
    workers = len(nthreads)
    try:
        client.close(timeout=2)
    except Exception:  # noqa: BLE001 -- the check is done; a slow goodbye does not matter
        pass
    if workers == 0:
        raise JobError(f"--scheduler {address}: the Dask cluster has no workers; start some "
                       f"(dask worker {address} --nthreads 1 --nworkers N)")
    return workers


def check_job(job: Job, *, download: bool = True) -> list[PairCheck]:
    """Check the device, the output folders, the executor, the data and the splits of every run.

    Nothing is written, except data that is downloaded and the decoded-data cache. With
    ``--scheduler`` the scheduler is contacted (:func:`check_scheduler`) and its worker
    count stored in ``job.workers``; with ``--dask-local`` the ``distributed`` package
    must be importable.

    Parameters
    ----------
    job : Job
        From :func:`plan_job` (which already checked options and notebook parameters).
    download : bool
        Fetch missing MNIST/CIFAR-10 through torchvision.

    Returns
    -------
    list of PairCheck
        One per pair of the job.

    Raises
    ------
    JobError
        Device, folder, Dask or split problems.
    helpers.data.DataNotFoundError, helpers.data.CorruptDataError
        Data problems (the message names the pair, the files and how to get them).
    """
    from helpers import results
    from helpers.config import ConfigError
    from helpers.datacheck import check_pair_data, describe_source
    from helpers.loop import prepare
    from helpers.models import resolve_device

    devices = {}
    for pair in job.pairs:
        configs = [c for c in job.run_configs if c.pair == pair]
        if configs and configs[0].spec.model == "cnn":
            try:
                devices[pair] = resolve_device(job.device)
            except RuntimeError:
                raise JobError(f"--device {job.device} asks for a GPU, but torch sees no CUDA GPU on this machine; "
                               f"use --device auto (the GPU when there is one) or --device cpu") from None
    for what, folder in job.folders.items():
        _check_folder(folder, what)
    for pair in job.pairs:
        _check_folder(job.folders["results"] / pair, f"{pair} results")
    # Every run's own folder too: a plain file where one should be would fail each of its runs.
    run_folders = {results.config_stem(c).parent: c for c in job.run_configs}
    run_folders.update({results.reference_path(c.results_root(), c.pair, c.seed).parent: c for c in job.run_configs})
    for folder, config in run_folders.items():
        _check_folder(folder, f"{config.pair} run")
    if job.dask_local is not None and importlib.util.find_spec("distributed") is None:
        raise JobError("--dask-local needs the 'distributed' package (pinned in requirements.txt); run make env")
    if job.scheduler is not None:
        job.workers = check_scheduler(job.scheduler)
    checks = []
    for pair in job.pairs:
        configs = [c for c in job.run_configs if c.pair == pair]
        dataset = check_pair_data(pair, job.data_root, download=download, origin=job.data_origin)
        for config in {(c.experiment, c.seed, c.initial_size): c for c in configs}.values():
            try:
                prepare(config, dataset)
            except (ConfigError, ValueError) as err:
                raise JobError(f"pair {pair}, experiment {config.experiment}, seed {config.seed}: {err}") from None
        identity = dataset.identity
        try:
            results.check_dataset_identity(job.folders["results"], pair, identity)
        except results.DatasetMismatchError as err:
            raise JobError(str(err)) from None
        status = [results.run_status(c, identity) for c in configs]
        per_seed = {c.seed: c for c in configs}
        checks.append(PairCheck(
            pair=pair, source=describe_source(dataset, job.data_root), device=devices.get(pair),
            finished=status.count("complete"), stale=status.count("stale"), total=len(configs),
            references_finished=sum(_reference_finished(c) for c in per_seed.values()),
            references=len(per_seed), identity=identity, damaged=status.count("damaged"),
        ))
    return checks
