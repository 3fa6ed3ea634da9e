"""The job as asked: the profiles (which notebooks run, with which papermill parameters,
writing where), the options of ``run_all.sh`` and the notebooks' parameters, checked by
:func:`plan_job` into a :class:`Job` of :class:`Step` s.

May import: :mod:`helpers.paths`, :mod:`helpers.config` and, lazily, :mod:`helpers.notebook`
(its parameter check) and :mod:`helpers.datacheck`; nothing else of :mod:`helpers.job`.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from helpers import paths
from helpers.config import PAIRS


#: Experiments each experiment notebook is run for, in order.
JOB_EXPERIMENTS = ("small", "moderate", "large")


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
        ``(cell, pair)`` in the order they run: the study's name of the cell (what ``--only``
        selects) and the pair that runs it (the same, or a digits stand-in in the smoke
        profile). Every cell runs the :data:`EXPERIMENT_TEMPLATE` notebook once per
        experiment; the figures notebook follows.
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


#: The notebook every cell runs, once per experiment (it takes the pair as a parameter).
EXPERIMENT_TEMPLATE = "experiment"

#: The cells of the paper profile: the study's two pairs, then the crossed design's three.
PAPER_CELLS = ("mnist_logreg", "cifar10_cnn", "mnist_logreg_b250", "cifar10_logreg", "mnist_cnn")

#: The profiles of ``run_all.sh --profile``.
PROFILES: dict[str, Profile] = {
    # Each pair's seeds are part of its registry entry (helpers.config.PAIRS).
    "paper": Profile("paper", tuple((p, p) for p in PAPER_CELLS), {p: PAIRS[p].seeds for p in PAPER_CELLS},
                     "the study's protocol and the crossed design"),
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
    template = EXPERIMENT_TEMPLATE
    for _, pair in pairs:
        for experiment in JOB_EXPERIMENTS:
            parameters = {"pair": pair, "experiment": experiment, "seeds": list(spec.seeds[pair]),
                          "results_dir": str(folders["results"]), "data_root": str(root), "device": device,
                          "jobs": jobs, "scheduler": scheduler, "dask_local": dask_local, "progress": False}
            values = _checked(template, parameters)
            steps.append(Step(f"{pair}_{experiment}", template, parameters, experiment_configs(values)))
    strategies = template_defaults(EXPERIMENT_TEMPLATE)["strategies"]
    figures = {"results_dir": str(folders["results"]), "figures_dir": str(folders["figures"]),
               "generated_dir": str(folders["generated"]), "pairs": [p for _, p in spec.pairs],
               "experiments": list(JOB_EXPERIMENTS), "strategies": list(strategies),
               # The summaries take one seed list: the union of the pairs' seeds.
               "seeds": sorted(set().union(*spec.seeds.values()))}
    _checked("figures", figures)
    steps.append(Step("figures", "figures", figures))
    return Job(spec, [p for _, p in pairs], steps, folders, root, data_root_origin(data_root), device, jobs,
               scheduler=scheduler, dask_local=dask_local)
