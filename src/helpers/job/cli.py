"""The command line of ``python -m helpers.job`` (``check``, ``watch``, ``last-error``;
see :mod:`helpers.job`).

May import: every other ``helpers.job`` module and, lazily, :mod:`helpers.data`,
:mod:`helpers.datacheck` and :mod:`helpers.notebook` (their errors).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import Sequence

from helpers.job.checks import check_job
from helpers.job.options import JobError, plan_job
from helpers.job.plan import describe, read_plan, read_plan_workers, write_plan
from helpers.job.progress import last_error_line, watch


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
