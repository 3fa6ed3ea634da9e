"""Tests of helpers.job.progress: progress lines and the last error of a log.
"""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time

import pytest

from helpers import job, results
from helpers.loop import run_and_save
from job_fixtures import smoke


def test_progress_lines_count_runs_and_estimate_the_rest(tmp_path):
    plan = smoke(tmp_path, only="digits_logreg")
    now = [1000.0]
    tracker = job.ProgressTracker(plan.steps, jobs=1, start=1000.0, clock=lambda: now[0])
    assert tracker.total == 30 and tracker.poll() == [] and tracker.eta_seconds() is None
    first, second = plan.steps[0].configs[:2]
    run_and_save(first, progress=False)
    now[0] = 1030.0
    lines = tracker.poll()
    assert len(lines) == 1 and lines[0].startswith("[ 1/30] digits_logreg small random seed 42 finished")
    assert "elapsed 30 s" in lines[0] and "left" in lines[0]
    assert tracker.poll() == []  # each run is reported once
    # What is left costs (2 notebooks, the figures + 29 runs) against (1 notebook + 1 run) for 30 s so far.
    left = job.NOTEBOOK_SECONDS * 2 + job.FIGURES_NOTEBOOK_SECONDS + 29 * job.run_seconds(second)
    done = job.NOTEBOOK_SECONDS + job.run_seconds(first)
    assert tracker.eta_seconds() == pytest.approx(left * 30 / done)
    for config in plan.run_configs[1:]:
        run_and_save(config, progress=False)
    lines = tracker.poll()
    assert len(lines) == 29 and lines[-1].startswith("[30/30]") and lines[-1].endswith("all runs finished")
    assert not tracker.pending


def test_progress_without_measured_costs_uses_the_mean_run(tmp_path, monkeypatch):
    plan = smoke(tmp_path, only="digits_logreg")
    monkeypatch.setattr(job.estimates, "RUN_SECONDS", {})
    now = [0.0]
    tracker = job.ProgressTracker(plan.steps, start=0.0, clock=lambda: now[0])
    run_and_save(plan.steps[0].configs[0], progress=False)
    now[0] = 10.0
    tracker.poll()
    assert tracker.eta_seconds() == pytest.approx(10.0 * 29 + job.NOTEBOOK_SECONDS * 2 + job.FIGURES_NOTEBOOK_SECONDS)


def test_runs_finished_before_the_watcher_started_still_count(tmp_path):
    plan = smoke(tmp_path, only="digits_logreg")
    earlier = plan.steps[0].configs[0]
    run_and_save(earlier, progress=False)  # finished before this job: not reported
    started = time.time()
    time.sleep(0.05)
    during = plan.steps[0].configs[1]
    run_and_save(during, progress=False)  # finished while the watcher was still importing
    tracker = job.ProgressTracker(plan.steps, start=started)
    assert tracker.total == 29
    lines = tracker.poll()
    assert len(lines) == 1 and lines[0].startswith("[ 1/29] digits_logreg small random seed 43 finished")


def test_a_stale_result_is_reported_once_rewritten(tmp_path):
    plan = smoke(tmp_path, only="digits_logreg")
    config = plan.steps[0].configs[0]
    run_and_save(config, progress=False)
    json_path = results.config_stem(config).with_suffix(".json")
    meta = json.loads(json_path.read_text())
    json_path.write_text(json.dumps({**meta, "protocol_version": 0}))
    tracker = job.ProgressTracker(plan.steps)
    assert tracker.total == 30
    run_and_save(config, progress=False)
    assert [line.split("]")[0] for line in tracker.poll()] == ["[ 1/30"]


@pytest.mark.parametrize("log, expected", [
    ("Traceback\n  File x\nValueError: bad value\n", "ValueError: bad value"),
    ("\x1b[0;31mParameterError\x1b[0m: notebook mnist_logreg has no parameter 'seed'\n",
     "ParameterError: notebook mnist_logreg has no parameter 'seed'"),
    ("papermill.exceptions.PapermillExecutionError: \n----\nhelpers.grid.GridRunError: 2 of 10 run(s) failed\n"
     "more context\n", "helpers.grid.GridRunError: 2 of 10 run(s) failed"),
    ("papermill.exceptions.PapermillExecutionError: \nKeyboardInterrupt\n", "KeyboardInterrupt"),
    ("Executing\nsomething odd happened\n\n", "something odd happened"),
    ("", None),
])
def test_last_error_line(log, expected):
    assert job.last_error_line(log) == expected


def test_watch_reports_the_runs_finished_before_it_is_stopped(tmp_path):
    plan = smoke(tmp_path, only="digits_logreg")
    out = io.StringIO()
    original = signal.getsignal(signal.SIGTERM)

    def finish_one_then_stop():
        try:
            while signal.getsignal(signal.SIGTERM) is original:
                time.sleep(0.01)
            run_and_save(plan.steps[0].configs[0], progress=False)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=finish_one_then_stop)
    thread.start()
    seen = job.watch(plan.steps, interval=600, out=out, prog="run_all.sh")  # only the stop makes it look
    thread.join()
    assert seen == 1 and signal.getsignal(signal.SIGTERM) is original
    assert out.getvalue().startswith("run_all.sh: [ 1/30] digits_logreg small random seed 42 finished")
