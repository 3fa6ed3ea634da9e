r"""The main job of ``run_all.sh``: its plan, checked in full before the first notebook starts.

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

Layout:

- :mod:`~helpers.job.options`: profiles, options, parameters, :func:`plan_job`
- :mod:`~helpers.job.checks`: every pre-check (:func:`check_job`, :func:`check_scheduler`)
- :mod:`~helpers.job.estimates`: measured costs and the expected wall time
- :mod:`~helpers.job.plan`: the plan as printed and as written to the plan file
- :mod:`~helpers.job.progress`: progress lines and the last error of a log
- :mod:`~helpers.job.cli` and ``__main__``: the command line

Every name is re-exported here. This package sits above :mod:`helpers.notebook` (it runs the
notebooks' own parameter check) and is imported by nothing in :mod:`helpers`.
"""

from __future__ import annotations

from helpers.job.options import (  # noqa: F401
    JOB_EXPERIMENTS,
    JobError,
    Profile,
    PROFILES,
    Step,
    Job,
    template_defaults,
    _checked,
    plan_job,
)
from helpers.job.estimates import (  # noqa: F401
    RUN_SECONDS,
    REFERENCE_SECONDS,
    NOTEBOOK_SECONDS,
    FIGURES_NOTEBOOK_SECONDS,
    run_seconds,
    notebook_seconds,
    _parallel,
    _step_seconds,
    estimate_seconds,
    format_duration,
)
from helpers.job.checks import (  # noqa: F401
    SCHEDULER_TIMEOUT_SECONDS,
    PairCheck,
    _check_folder,
    _reference_finished,
    check_scheduler,
    check_job,
)
from helpers.job.plan import (  # noqa: F401
    _listing,
    describe,
    write_plan,
    read_plan,
    read_plan_workers,
)
from helpers.job.progress import (  # noqa: F401
    ProgressTracker,
    watch,
    _ANSI,
    _EXCEPTION_LINE,
    last_error_line,
)
from helpers.job.cli import (  # noqa: F401
    parse_args,
    _check,
    main,
)
