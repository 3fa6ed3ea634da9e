"""The plan: what will run, printed (:func:`describe`) and written to the plan file that
``run_all.sh`` and the watcher read (:func:`write_plan`, :func:`read_plan`).

May import: :mod:`helpers.job.options`, :mod:`helpers.job.estimates`,
:mod:`helpers.job.checks` (its result record) and, lazily, :mod:`helpers.results` and
:mod:`helpers.notebook`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from helpers.job import options
from helpers.job.checks import PairCheck
from helpers.job.estimates import estimate_seconds, format_duration
from helpers.job.options import JOB_EXPERIMENTS, Job, Step


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
                configs = experiment_configs({**options.template_defaults(template), **parameters})
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
