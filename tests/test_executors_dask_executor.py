"""Tests of helpers.executors.dask_executor's own helpers (the executor itself: tests/test_grid_dask.py)."""

from __future__ import annotations

import subprocess
import sys

from helpers.executors.dask_executor import _wait_for_exit


def test_wait_for_exit_returns_once_the_processes_ended():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    _wait_for_exit([child.pid], timeout=60)   # an exited child stays a zombie until reaped: counts as ended
    assert child.poll() is not None


def test_wait_for_exit_gives_up_after_the_timeout():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _wait_for_exit([child.pid], timeout=0.2)
        assert child.poll() is None          # still running: the wait stopped at its timeout
    finally:
        child.kill()
        child.wait()
    _wait_for_exit([child.pid], timeout=60)  # a process that no longer exists
