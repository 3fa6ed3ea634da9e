"""The main job of ``run_all.sh``: its plan, checked in full before the first notebook starts.

``run_all.sh`` parses its options and hands them to this module, which knows the profiles
(which notebooks run, with which papermill parameters, writing where) and checks everything
that can be checked up front, cheapest first: every notebook's parameters (the same
:func:`helpers.notebook.check_parameters` each notebook calls at its top), the device, the
output folders, the data of every pair it is about to run (downloaded through torchvision
unless downloads are off, :mod:`helpers.datacheck`) and the splits of every run. With
``--scheduler`` it also connects to the Dask scheduler briefly (:func:`check_scheduler`).
The first problem stops the job with one message and exit status 2, before anything is
written. Then it prints what will run (pairs, experiments, strategies, seeds, runs already
finished), where the runs execute, and the expected wall time from measured per-run costs
(:data:`RUN_SECONDS`).

Where the runs execute is one of: the notebook's own process (``--jobs 1``, the default),
N local worker processes (``--jobs N``), an existing Dask cluster (``--scheduler
ADDRESS``) or a local Dask cluster of N single-thread worker processes started once per
notebook (``--dask-local N``). The choice reaches each experiment notebook as its
``jobs``, ``scheduler`` and ``dask_local`` parameters.

Command line (called by ``run_all.sh``)::

    python -m helpers.job check --profile paper [--only PAIR] [--jobs N | --scheduler ADDRESS |
                                --dask-local N] [--data-root DIR] [--device auto|cpu|cuda]
                                [--out DIR] [--no-download] [--plan FILE] [--prog NAME]
    python -m helpers.job watch --plan FILE [--jobs N] [--since EPOCH] [--interval S] [--prog NAME]
    python -m helpers.job last-error LOG

``check`` writes the plan to FILE once every check passed; ``watch`` prints one line per
run of the plan that finishes (count, elapsed time, expected time left) until every run has
finished or its parent process is gone (``--jobs`` defaults to the plan's ``workers``);
``last-error`` prints the last error line of a notebook's log (the exception and its
message).

The plan file has tab-separated lines::

    folder    <TAB> results|notebooks|logs|figures|generated <TAB> PATH
    workers   <TAB> N
    notebook  <TAB> NAME <TAB> TEMPLATE <TAB> PARAMETERS

where N is the number of runs expected to execute at once inside a notebook
(:attr:`Job.parallel_runs`) and PARAMETERS is a JSON object, which papermill's ``-y``
reads as YAML.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TextIO

from helpers import paths
from helpers.config import PAIRS

#: Experiments each experiment notebook is run for, in order.
JOB_EXPERIMENTS = ("small", "moderate", "large")

#: Wall seconds per run on the study's 2-core CPU machine, for the protocol's iteration
#: count, by pair and experiment, then strategy. The MNIST values are the median per-run wall
#: times of the committed paper grid (results/mnist_logreg, protocol version 2, 20 seeds,
#: ``--jobs 2``: two runs in parallel, one BLAS thread each); the digits values are the means
#: of ``./run_all.sh --profile smoke`` on the same machine. The CIFAR-10 values are the wall
#: times of seed 42 of the paper grid (``--jobs 2``, one torch thread per worker); in ``large``
#: the pre-training (about 128 s, once per seed, then restored from helpers.checkpoints by the
#: other strategies) is spread evenly over the five strategies. A pair or experiment without a
#: value counts as unknown. A run with another iteration count is scaled in proportion.
RUN_SECONDS: dict[tuple[str, str], dict[str, float]] = {
    ("mnist_logreg", "small"): {"random": 4, "least_confident": 27, "margin": 21, "entropy": 23,
                                "stream_uncertainty": 8},
    ("mnist_logreg", "moderate"): {"random": 30, "least_confident": 43, "margin": 37, "entropy": 39,
                                   "stream_uncertainty": 29},
    ("mnist_logreg", "large"): {"random": 107, "least_confident": 65, "margin": 64, "entropy": 65,
                                "stream_uncertainty": 105},
    ("cifar10_cnn", "small"): {"random": 138, "least_confident": 181, "margin": 184, "entropy": 177,
                               "stream_uncertainty": 142},
    ("cifar10_cnn", "moderate"): {"random": 135, "least_confident": 185, "margin": 184, "entropy": 186,
                                  "stream_uncertainty": 140},
    ("cifar10_cnn", "large"): {"random": 113, "least_confident": 132, "margin": 130, "entropy": 129,
                               "stream_uncertainty": 114},
    **{("digits_logreg", e): dict.fromkeys(("random", "least_confident", "margin", "entropy", "stream_uncertainty"),
                                           0.15) for e in ("small", "moderate", "large")},
    **{("digits_cnn", e): dict.fromkeys(("random", "least_confident", "margin", "entropy", "stream_uncertainty"),
                                        seconds) for e, seconds in (("small", 0.4), ("moderate", 0.6), ("large", 1.6))},
}

#: Seconds of the whole-pool reference fit per seed, same machine and sources.
REFERENCE_SECONDS: dict[str, float] = {"mnist_logreg": 2.2, "cifar10_cnn": 172, "digits_logreg": 0.01, "digits_cnn": 1.4}

#: Seconds each notebook costs beyond its runs: papermill and kernel start, imports, loading
#: the (cached) data, summaries and figures, the HTML copy. Measured on the smoke profile on
#: the same machine (155 s for 7 notebooks, of which 33 s were runs and references).
NOTEBOOK_SECONDS = 18.0

#: Seconds of the figures notebook, which reads every run of the job and draws every figure
#: and paper input: 26.3 s of execution recorded by papermill in the committed
#: results/notebooks/figures.ipynb (paper profile, all 1,725 runs finished), about 1 s to
#: start papermill and its kernel (the 3.5 s between two notebooks of that job, less the HTML
#: copy) and 2.5-2.8 s for its HTML copy (nbconvert timed on that notebook), on the study's
#: 2-core machine. The smoke profile's took 83 s on a machine loaded about 2.2 times over
#: (the same job's whole estimate of 144 s became 320 s), about 37 s when idle.
FIGURES_NOTEBOOK_SECONDS = 30.0

#: Seconds the whole check of the Dask scheduler of ``--scheduler`` may take (connection,
#: handshake, worker query; :func:`helpers.executors.connect_scheduler`).
SCHEDULER_TIMEOUT_SECONDS = 10.0


class JobError(ValueError):
    """The job cannot start as asked; the message says why and what to change."""


@dataclass(frozen=True)
class Profile:
    """A set of notebooks ``run_all.sh`` runs.

    Attributes
    ----------
    name : str
        ``paper`` or ``smoke``.
    pairs : tuple of (str, str)
        ``(notebook template, pair)`` in the order they run; the figures notebook follows.
    seeds : dict of str to tuple of int
        Seeds of every experiment, per pair (a cheap pair can afford more seeds).
    description : str
        One line for the summary.
    """

    name: str
    pairs: tuple[tuple[str, str], ...]
    seeds: Mapping[str, tuple[int, ...]]
    description: str

    def folders(self, out: Path | None) -> dict[str, Path]:
        """Return the output folders (results, notebooks, logs, figures, generated).

        Returns
        -------
        dict of str to Path
            Absolute paths; ``out`` replaces the profile's default root.
        """
        if self.name == "paper":
            root = out or paths.REPO_ROOT
            results = root / "results"
            figures, generated = root / "figures", root / "paper" / "generated"
        else:
            root = out or paths.REPO_ROOT / "results" / "smoke"
            results = root
            figures, generated = root / "figures", root / "generated"
        notebooks = results / "notebooks"
        return {"results": results, "notebooks": notebooks, "logs": notebooks / "logs",
                "figures": figures, "generated": generated}


#: The profiles of ``run_all.sh --profile``.
PROFILES: dict[str, Profile] = {
    # Each pair's seeds are part of its registry entry (helpers.config.PAIRS).
    "paper": Profile("paper", (("mnist_logreg", "mnist_logreg"), ("cifar10_cnn", "cifar10_cnn")),
                     {p: PAIRS[p].seeds for p in ("mnist_logreg", "cifar10_cnn")},
                     "the study's protocol"),
    "smoke": Profile("smoke", (("mnist_logreg", "digits_logreg"), ("cifar10_cnn", "digits_cnn")),
                     {p: PAIRS[p].seeds for p in ("digits_logreg", "digits_cnn")},
                     "the whole pipeline on scikit-learn's 8x8 digits"),
}


@dataclass
class Step:
    """One notebook execution of the job.

    Attributes
    ----------
    name : str
        Name of the executed notebook and its log (``mnist_logreg_small``).
    template : str
        Notebook template under ``notebooks/``.
    parameters : dict
        What papermill injects.
    configs : list of ProtocolConfig
        The runs the notebook is responsible for (empty for the figures notebook).
    """

    name: str
    template: str
    parameters: dict[str, Any]
    configs: list = field(default_factory=list)


@dataclass
class Job:
    """The checked-to-be plan of one ``run_all.sh`` invocation.

    Attributes
    ----------
    profile : Profile
    pairs : list of str
        The pairs that run (``--only`` keeps one).
    steps : list of Step
        Experiment notebooks in order, then the figures notebook.
    folders : dict of str to Path
        See :meth:`Profile.folders`.
    data_root : Path
        Where the data is read (and downloaded to).
    data_origin : str
        How the data root was chosen, for messages.
    device : str
    jobs : int
        Local worker processes per notebook (1: runs execute in the notebook's process).
    scheduler : str or None
        Address of the Dask scheduler the runs go to (``--scheduler``).
    dask_local : int or None
        Worker processes of the local Dask cluster each notebook starts (``--dask-local``).
    workers : int or None
        Workers of the ``scheduler``'s cluster, as :func:`check_job` found them.
    """

    profile: Profile
    pairs: list[str]
    steps: list[Step]
    folders: dict[str, Path]
    data_root: Path
    data_origin: str
    device: str
    jobs: int
    scheduler: str | None = None
    dask_local: int | None = None
    workers: int | None = None

    @property
    def run_configs(self) -> list:
        """Every run of the job, in the order the notebooks run them."""
        return [c for step in self.steps for c in step.configs]

    @property
    def parallel_runs(self) -> int:
        """Return how many runs are expected to execute at once inside a notebook.

        Returns
        -------
        int
            ``--jobs`` or ``--dask-local``, at most this machine's CPU count; for
            ``--scheduler``, the cluster's workers found by :func:`check_job` (1 before).
        """
        if self.scheduler is not None:
            return max(1, self.workers or 1)
        return max(1, min(self.dask_local or self.jobs, os.cpu_count() or 1))

    @property
    def executor_option(self) -> str:
        """Return the option that chose where the runs execute (``--jobs 2``, ``--dask-local 4``...)."""
        if self.scheduler is not None:
            return f"--scheduler {self.scheduler}"
        if self.dask_local is not None:
            return f"--dask-local {self.dask_local}"
        return f"--jobs {self.jobs}"

    @property
    def where(self) -> str:
        """Return where the runs execute, in words, for the plan printout.

        Returns
        -------
        str
            E.g. ``"on the Dask cluster at tcp://head-node:8786 (8 workers now; --scheduler)"``.
        """
        if self.scheduler is not None:
            found = f"{self.workers} worker(s) now; " if self.workers else ""
            return f"on the Dask cluster at {self.scheduler} ({found}--scheduler)"
        if self.dask_local is not None:
            return (f"on a local Dask cluster of {self.dask_local} single-thread worker process(es), "
                    f"started once per notebook ({self.executor_option})")
        if self.jobs > 1:
            return f"{self.jobs} at a time in local worker processes ({self.executor_option})"
        return f"one at a time in each notebook's own process ({self.executor_option})"


def template_defaults(template: str) -> dict[str, Any]:
    """Return the values of a notebook template's ``parameters`` cell.

    Returns
    -------
    dict
        Name to value, each assignment's right-hand side read as a Python literal.

    Raises
    ------
    JobError
        When the template has no single parameters cell or a value is not a literal.
    """
    import nbformat

    path = paths.NOTEBOOKS_DIR / f"{template}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    cells = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise JobError(f"{path} must have exactly one cell tagged 'parameters', found {len(cells)}")
    values = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                raise JobError(f"{path}: parameter {node.targets[0].id} is not a literal value") from None
    return values


def _checked(template: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """Check a step's parameters as the notebook will; return the notebook's full namespace."""
    from helpers.notebook import check_parameters

    namespace = {**template_defaults(template), **parameters}
    return check_parameters(template, namespace, injected=parameters)


def plan_job(profile: str, *, only: str | None = None, jobs: int = 1, scheduler: str | None = None,
             dask_local: int | None = None, data_root: str | None = None, device: str = "auto",
             out: str | None = None) -> Job:
    """Build the job ``run_all.sh`` was asked for and check its options and parameters.

    Parameters
    ----------
    profile : str
        A key of :data:`PROFILES`.
    only : str, optional
        Run one pair (its name or its notebook's), then the figures.
    jobs : int
        Runs in parallel inside each notebook, in local worker processes.
    scheduler : str, optional
        Run on the Dask cluster of this scheduler address instead (``tcp://host:8786``);
        excludes ``jobs > 1`` and ``dask_local``.
    dask_local : int, optional
        Run on a local Dask cluster of this many single-thread worker processes, started
        once per notebook; excludes ``jobs > 1`` and ``scheduler``.
    data_root : str, optional
        The data root (``--data-root``); ``None`` means ``AL_DATA_DIR``, else ``data/``.
    device : str
        ``auto``, ``cpu`` or ``cuda``.
    out : str, optional
        Write everything under this folder instead of the profile's default.

    Returns
    -------
    Job
        The steps with their parameters (``jobs``, ``scheduler`` and ``dask_local``
        included) and run configurations; nothing is checked on disk, the network or the
        cluster yet (:func:`check_job`).

    Raises
    ------
    JobError
        An option with an unusable value, or two executor options that exclude each other.
    helpers.notebook.ParameterError
        A notebook parameter the notebook would reject.
    """
    from helpers.datacheck import data_root_origin, resolve_data_root
    from helpers.notebook import experiment_configs

    if profile not in PROFILES:
        raise JobError(f"--profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    spec = PROFILES[profile]
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise JobError(f"--jobs must be a positive integer, got {jobs!r}")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()
                                  or any(c.isspace() for c in scheduler)):
        raise JobError(f"--scheduler needs the address of a Dask scheduler such as tcp://head-node:8786, "
                       f"got {scheduler!r}")
    if dask_local is not None and (isinstance(dask_local, bool) or not isinstance(dask_local, int) or dask_local < 1):
        raise JobError(f"--dask-local must be a positive integer (worker processes), got {dask_local!r}")
    given = [option for option, on in ((f"--jobs {jobs}", jobs != 1),
                                       (f"--scheduler {scheduler}", scheduler is not None),
                                       (f"--dask-local {dask_local}", dask_local is not None)) if on]
    if len(given) > 1:
        raise JobError(f"{' and '.join(given)} exclude each other: runs go to local worker processes (--jobs N), "
                       f"an existing Dask cluster (--scheduler ADDRESS) or a local Dask cluster (--dask-local N); "
                       f"give one")
    if device not in ("auto", "cpu", "cuda"):
        raise JobError(f"--device must be auto, cpu or cuda, got {device!r}")
    for option, value in (("--data-root", data_root), ("--out", out)):
        if value is not None and not value.strip():
            raise JobError(f"{option} is empty; give a folder (leave the option out for the default)")
        if value is not None and ("\n" in value or "\t" in value):
            raise JobError(f"{option} {value!r} contains a newline or a tab; use a folder without them")
    if data_root is not None and not Path(data_root).expanduser().is_dir():
        raise JobError(f"--data-root {data_root} is not a folder")
    if out is not None and Path(out).expanduser().exists() and not Path(out).expanduser().is_dir():
        raise JobError(f"--out {out} is a file, not a folder")
    pairs = list(spec.pairs)
    if only is not None:
        pairs = [entry for entry in pairs if only in entry]
        if not pairs:
            raise JobError(f"--only {only!r} matches no pair of the {profile} profile "
                           f"({', '.join(p for _, p in spec.pairs)})")
    folders = spec.folders(Path(out).expanduser().resolve() if out is not None else None)
    root = resolve_data_root(data_root)
    steps = []
    for template, pair in pairs:
        for experiment in JOB_EXPERIMENTS:
            parameters = {"pair": pair, "experiment": experiment, "seeds": list(spec.seeds[pair]),
                          "results_dir": str(folders["results"]), "data_root": str(root), "device": device,
                          "jobs": jobs, "scheduler": scheduler, "dask_local": dask_local, "progress": False}
            values = _checked(template, parameters)
            steps.append(Step(f"{pair}_{experiment}", template, parameters, experiment_configs(values)))
    strategies = template_defaults(spec.pairs[0][0])["strategies"]
    figures = {"results_dir": str(folders["results"]), "figures_dir": str(folders["figures"]),
               "generated_dir": str(folders["generated"]), "pairs": [p for _, p in spec.pairs],
               "experiments": list(JOB_EXPERIMENTS), "strategies": list(strategies),
               # The summaries take one seed list: the union of the pairs' seeds.
               "seeds": sorted(set().union(*spec.seeds.values()))}
    _checked("figures", figures)
    steps.append(Step("figures", "figures", figures))
    return Job(spec, [p for _, p in pairs], steps, folders, root, data_root_origin(data_root), device, jobs,
               scheduler=scheduler, dask_local=dask_local)


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
    from helpers.datacheck import check_pair_data
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
            pair=pair, source=dataset.source, device=devices.get(pair),
            finished=status.count("complete"), stale=status.count("stale"), total=len(configs),
            references_finished=sum(_reference_finished(c) for c in per_seed.values()),
            references=len(per_seed), identity=identity, damaged=status.count("damaged"),
        ))
    return checks


# ------------------------------------------------------------------------------ estimates


def run_seconds(config) -> float | None:
    """Return the expected wall seconds of one run, or None when it was never measured.

    Returns
    -------
    float or None
        From :data:`RUN_SECONDS`, scaled by the run's iteration count.
    """
    per_strategy = RUN_SECONDS.get((config.pair, config.experiment), {})
    base = per_strategy.get(config.strategy)
    if base is None:
        return None
    return base * config.n_iterations / config.spec.n_iterations


def notebook_seconds(step: Step) -> float:
    """Return the expected seconds a notebook costs beyond its runs.

    Returns
    -------
    float
        :data:`FIGURES_NOTEBOOK_SECONDS` for the figures notebook, else
        :data:`NOTEBOOK_SECONDS`.
    """
    return FIGURES_NOTEBOOK_SECONDS if step.template == "figures" else NOTEBOOK_SECONDS


def _parallel(jobs: int, n: int) -> int:
    return max(1, min(jobs, n))


def _step_seconds(step: Step, todo: set[int], jobs: int) -> tuple[float, list]:
    """Return the expected seconds of one step's runs still to do, and those without a cost."""
    runs = [c for c in step.configs if id(c) in todo]
    known = [s for s in map(run_seconds, runs) if s is not None]
    unknown = [c for c in runs if run_seconds(c) is None]
    return sum(known) / _parallel(jobs, len(runs)), unknown


def estimate_seconds(job: Job, todo: Sequence, references_todo: dict[str, int]) -> tuple[float, list]:
    """Estimate the job's wall time from the measured costs.

    Parameters
    ----------
    job : Job
    todo : sequence of ProtocolConfig
        The runs still to do (objects of ``job``'s steps).
    references_todo : dict
        Pair to the number of references still to compute.

    Returns
    -------
    seconds : float
        :func:`notebook_seconds` per notebook, the references and the runs with a measured
        cost (each notebook's runs spread over ``min(job.parallel_runs, runs)`` workers),
        on an otherwise idle machine: other work on its cores stretches every part.
    unknown : list of ProtocolConfig
        Runs without a measured cost, not included.
    """
    todo_ids = {id(c) for c in todo}
    total = sum(map(notebook_seconds, job.steps))
    unknown = []
    for step in job.steps:
        seconds, missing = _step_seconds(step, todo_ids, job.parallel_runs)
        total += seconds
        unknown += missing
    for pair, n in references_todo.items():
        total += REFERENCE_SECONDS.get(pair, 0.0) * n
    return total, unknown


def format_duration(seconds: float) -> str:
    """Return a duration as ``45 s``, ``3 min 05 s`` or ``2 h 07 min``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _listing(values: Sequence) -> str:
    return ", ".join(map(str, values))


def describe(job: Job, checks: list[PairCheck], *, prog: str = "run_all.sh") -> str:
    """Say what the job will run and how long it should take.

    Returns
    -------
    str
        Several lines: per pair its data, experiments, strategies, seeds and finished
        runs; the output folders; where the runs execute; the expected wall time.
    """
    from helpers import results

    checked = "parameters, device, folders, Dask scheduler, data, splits" if job.scheduler else \
        "parameters, device, folders, data, splits"
    lines = [f"{prog}: {job.profile.name} profile ({job.profile.description}); every check passed "
             f"({checked}). It will run:"]
    identities = {check.pair: check.identity for check in checks}
    todo = [c for c in job.run_configs if results.run_status(c, identities.get(c.pair)) != "complete"]
    for check in checks:
        configs = [c for c in job.run_configs if c.pair == check.pair]
        first = next(s for s in job.steps if s.configs and s.configs[0].pair == check.pair)
        device = f"; device {check.device}" if check.device else ""
        lines.append(f"  {check.pair}: data {check.source}{device}")
        lines.append(f"    experiments {_listing(JOB_EXPERIMENTS)}; strategies "
                     f"{_listing(dict.fromkeys(c.strategy for c in configs))}; seeds "
                     f"{_listing(first.parameters['seeds'])}; {configs[0].n_iterations} iterations of "
                     f"{configs[0].query_size} queries")
        stale = f" ({check.stale} of another protocol version, redone)" if check.stale else ""
        if check.damaged:
            stale += f" ({check.damaged} with a cut-short or disagreeing CSV, redone)"
        lines.append(f"    {check.total} runs: {check.finished} already finished, "
                     f"{check.total - check.finished} to run{stale}; whole-pool references: "
                     f"{check.references_finished} of {check.references} finished")
    lines.append(f"  then the figures notebook; results in {job.folders['results']}, figures in "
                 f"{job.folders['figures']}, paper inputs in {job.folders['generated']}")
    shared = (f"; every worker must see {job.folders['results']} at the same path"
              if job.scheduler is not None else "")
    lines.append(f"  runs execute {job.where}{shared}")
    references_todo = {c.pair: c.references - c.references_finished for c in checks}
    seconds, unknown = estimate_seconds(job, todo, references_todo)
    expected = (f"  expected wall time: about {format_duration(seconds)} with {job.executor_option} "
                f"on an otherwise idle machine (per-run and per-notebook costs measured on a 2-core CPU, "
                f"helpers.job.RUN_SECONDS; other work on its cores stretches it)")
    if unknown:
        pairs = _listing(sorted({c.pair for c in unknown}))
        expected += (f", not counting {len(unknown)} run(s) of {pairs} whose cost was never measured "
                     f"(the progress lines estimate them as they finish)")
    lines.append(expected)
    return "\n".join(lines)


def write_plan(job: Job, path: Path) -> None:
    """Write the plan file ``run_all.sh`` reads (format in the module docstring)."""
    lines = [f"folder\t{name}\t{folder}" for name, folder in job.folders.items()]
    lines.append(f"workers\t{job.parallel_runs}")
    lines += [f"notebook\t{s.name}\t{s.template}\t{json.dumps(s.parameters)}" for s in job.steps]
    Path(path).write_text("\n".join(lines) + "\n")


def read_plan(path: Path) -> tuple[dict[str, Path], list[Step]]:
    """Read a plan file written by :func:`write_plan`.

    Returns
    -------
    folders : dict of str to Path
    steps : list of Step
        With their run configurations rebuilt from the parameters.
    """
    from helpers.notebook import NOTEBOOK_MODELS, experiment_configs

    folders, steps = {}, []
    for line in Path(path).read_text().splitlines():
        kind, *fields = line.split("\t")
        if kind == "folder":
            folders[fields[0]] = Path(fields[1])
        elif kind == "notebook":
            name, template, parameters = fields
            parameters = json.loads(parameters)
            configs = []
            if template in NOTEBOOK_MODELS:
                configs = experiment_configs({**template_defaults(template), **parameters})
            steps.append(Step(name, template, parameters, configs))
    return folders, steps


def read_plan_workers(path: Path) -> int:
    """Read how many runs execute at once inside a notebook from a plan file.

    Returns
    -------
    int
        The plan's ``workers`` line; 1 when it has none.
    """
    for line in Path(path).read_text().splitlines():
        kind, *fields = line.split("\t")
        if kind == "workers" and fields and fields[0].isdigit() and int(fields[0]) >= 1:
            return int(fields[0])
    return 1


# ------------------------------------------------------------------------------ progress


class ProgressTracker:
    """Notice the runs of a plan as they finish and say how far the job is.

    Parameters
    ----------
    steps : sequence of Step
        The job's notebooks in order, with their runs; runs finished already are not
        counted.
    jobs : int
        Runs executing at once inside a notebook (:attr:`Job.parallel_runs`).
    start : float, optional
        When the job started, in ``clock`` seconds (default: now).
    clock : callable
        Returns seconds (``time.time``).
    """

    def __init__(self, steps: Sequence[Step], jobs: int = 1, start: float | None = None,
                 clock: Callable[[], float] = time.time):
        from helpers import results

        self._results = results
        self.clock = clock
        self.start = clock() if start is None else start
        self.steps = list(steps)
        self.jobs = jobs
        self._step_of = {id(c): i for i, step in enumerate(self.steps) for c in step.configs}
        # A run that finished after the job started (before the tracker was created, which
        # takes a few seconds of imports on a loaded machine) belongs to this job too.
        since_ns = int(self.start * 1e9)
        self.pending = [c for step in self.steps for c in step.configs
                        if results.run_status(c) != "complete" or (self._mtime(c) or 0) >= since_ns]
        self._todo = {id(c) for c in self.pending}
        self.total = len(self.pending)
        self.finished: list = []
        self._seen = {id(c): (None if (self._mtime(c) or 0) >= since_ns else self._mtime(c)) for c in self.pending}

    def _mtime(self, config) -> int | None:
        try:
            return self._results.config_stem(config).with_suffix(".json").stat().st_mtime_ns
        except OSError:
            return None

    def poll(self) -> list[str]:
        """Look for runs finished since the last call.

        Returns
        -------
        list of str
            One line per newly finished run: count, run, elapsed time, time left.
        """
        lines = []
        for config in list(self.pending):
            mtime = self._mtime(config)
            if mtime is None or mtime == self._seen[id(config)]:
                continue
            self._seen[id(config)] = mtime
            if self._results.run_status(config) != "complete":
                continue
            self.pending.remove(config)
            self.finished.append(config)
            lines.append(self._line(config))
        return lines

    def eta_seconds(self) -> float | None:
        """Return the expected seconds left, or None before the first run finished.

        Returns
        -------
        float or None
            The expected cost of what is left (runs and notebooks, as in
            :func:`estimate_seconds`), scaled by how long what is done took against its
            expected cost. Without measured costs, the mean time per finished run stands
            in for each run.
        """
        if not self.finished:
            return None
        elapsed = max(self.clock() - self.start, 0.0)
        current = max(self._step_of[id(c)] for c in self.finished)
        done_ids, left_ids = {id(c) for c in self.finished}, {id(c) for c in self.pending}
        done = sum(map(notebook_seconds, self.steps[:current + 1]))
        left = sum(map(notebook_seconds, self.steps[current + 1:]))
        unknown = 0
        for step in self.steps:
            seconds, missing = _step_seconds(step, done_ids, self.jobs)
            done += seconds
            seconds, missing_left = _step_seconds(step, left_ids, self.jobs)
            left += seconds
            unknown += len(missing) + len(missing_left)
        if unknown:
            return elapsed / len(self.finished) * len(self.pending) + sum(map(notebook_seconds,
                                                                               self.steps[current + 1:]))
        return left * elapsed / done

    def _line(self, config) -> str:
        elapsed = self.clock() - self.start
        name = f"{config.pair} {config.experiment} {config.strategy} seed {config.seed}"
        left = "all runs finished" if not self.pending else f"about {format_duration(self.eta_seconds())} left"
        width = len(str(self.total))
        return (f"[{len(self.finished):>{width}}/{self.total}] {name} finished; "
                f"elapsed {format_duration(elapsed)}, {left}")


def watch(steps: Sequence[Step], *, jobs: int = 1, start: float | None = None, interval: float = 2.0,
          out: TextIO = sys.stdout, prog: str = "run_all.sh") -> int:
    """Print a progress line per finished run until all finished, SIGTERM, or the parent is gone.

    On SIGTERM (how ``run_all.sh`` ends it) the runs finished since the last look are still
    reported before returning.

    Returns
    -------
    int
        Runs seen finishing.
    """
    parent = os.getppid()
    tracker = ProgressTracker(steps, jobs, start)
    stopping = []
    # Installed after the imports: a Python handler would wait for a long import to end.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))

    def report() -> None:
        for line in tracker.poll():
            print(f"{prog}: {line}", file=out, flush=True)

    try:
        while tracker.pending and not stopping and os.getppid() == parent:
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.1, interval))
            report()
        if stopping:
            report()
    finally:
        signal.signal(signal.SIGTERM, previous)
    return len(tracker.finished)


# ------------------------------------------------------------------------------ logs

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Interrupt|Interrupted|Exit)(:\s.*|:?)$")


def last_error_line(text: str) -> str | None:
    """Return the last line of a log that names an exception, with its message.

    Colour codes are removed. When no line looks like ``SomeError: message``, the last
    non-empty line is returned.

    Returns
    -------
    str or None
        None for an empty log.
    """
    lines = [_ANSI.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    for line in reversed(lines):
        if _EXCEPTION_LINE.match(line) and not line.startswith("papermill.exceptions.PapermillExecutionError"):
            return line
    return lines[-1] if lines else None


# ------------------------------------------------------------------------------ command line


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line of :func:`main`.

    Returns
    -------
    argparse.Namespace
    """
    parser = argparse.ArgumentParser(prog="python -m helpers.job", description="Plan and check run_all.sh's job.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check everything, describe the job, write its plan")
    check.add_argument("--profile", default="paper")
    check.add_argument("--only")
    check.add_argument("--jobs", type=int, default=1)
    check.add_argument("--scheduler", metavar="ADDRESS")
    check.add_argument("--dask-local", type=int, metavar="N")
    check.add_argument("--data-root")
    check.add_argument("--device", default="auto")
    check.add_argument("--out")
    check.add_argument("--download", action=argparse.BooleanOptionalAction, default=True)
    check.add_argument("--plan", type=Path, help="write the plan here when every check passed")
    check.add_argument("--prog", default="helpers.job")
    progress = sub.add_parser("watch", help="print a line per finished run of a plan")
    progress.add_argument("--plan", type=Path, required=True)
    progress.add_argument("--jobs", type=int, help="runs at once per notebook (default: the plan's workers)")
    progress.add_argument("--since", type=float, help="when the job started (seconds since the epoch)")
    progress.add_argument("--interval", type=float, default=2.0)
    progress.add_argument("--prog", default="helpers.job")
    last = sub.add_parser("last-error", help="print the last error line of a log")
    last.add_argument("log", type=Path)
    return parser.parse_args(argv)


def _check(args: argparse.Namespace) -> int:
    from helpers.data import CorruptDataError, DataNotFoundError
    from helpers.datacheck import exit_on_sigterm
    from helpers.notebook import ParameterError

    try:
        job = plan_job(args.profile, only=args.only, jobs=args.jobs, scheduler=args.scheduler,
                       dask_local=args.dask_local, data_root=args.data_root, device=args.device, out=args.out)
        # Only now: a Python handler waits for long imports to finish, the default SIGTERM does
        # not. From here on it lets an interrupted download remove its partial files.
        exit_on_sigterm()
        checks = check_job(job, download=args.download)
    except (JobError, ParameterError, DataNotFoundError, CorruptDataError) as err:
        print(f"{args.prog}: {err}", file=sys.stderr)
        return 2
    print(describe(job, checks, prog=args.prog), flush=True)
    if args.plan is not None:
        write_plan(job, args.plan)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point.

    Returns
    -------
    int
        0 on success, 2 when a check failed (``check``) or the log is unreadable
        (``last-error``).
    """
    args = parse_args(argv)
    if args.command == "check":
        return _check(args)
    if args.command == "watch":
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # run_all.sh ends it, with SIGTERM
        _, steps = read_plan(args.plan)
        jobs = read_plan_workers(args.plan) if args.jobs is None else max(1, min(args.jobs, os.cpu_count() or 1))
        watch(steps, jobs=jobs, start=args.since, interval=args.interval, prog=args.prog)
        return 0
    try:
        text = args.log.read_text(errors="replace")
    except OSError as err:
        print(f"cannot read {args.log}: {err.strerror}", file=sys.stderr)
        return 2
    print(last_error_line(text) or "(the log is empty)")
    return 0


if __name__ == "__main__":
    status = main()
    # Everything is written and closed by now; skip the interpreter's teardown of torch and the
    # other large modules, which takes 1-2 s on the 2-core machine and delays every run_all.sh
    # step (and its stop on Ctrl-C) by as much.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
