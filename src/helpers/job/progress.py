"""Progress watching: one line per finished run of the plan (:class:`ProgressTracker`,
:func:`watch`) and the last error line of a notebook's log (:func:`last_error_line`).

May import: :mod:`helpers.job.options`, :mod:`helpers.job.estimates` and, lazily,
:mod:`helpers.results`.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from typing import Callable, Sequence, TextIO

from helpers.job.estimates import _step_seconds, format_duration, notebook_seconds
from helpers.job.options import Step


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
