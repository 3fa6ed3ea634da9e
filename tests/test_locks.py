"""Tests of helpers.locks: atomic per-run lock files, the stale-lock rule, and two grids on one folder."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import locks, results
from helpers.grid import build_configs
from helpers.locks import LockInfo, RunLock, is_stale, pid_alive, read_lock


def write_lock(path: Path, *, host=None, pid=None, age: float = 0.0, token="t" * 32, raw=None) -> Path:
    """Write a lock file as another owner would have, its heartbeat ``age`` seconds old."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw is None:
        raw = json.dumps({"host": host or locks.this_host(), "pid": pid, "started": time.time() - age,
                          "token": token})
    path.write_text(raw)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


@pytest.fixture
def dead_pid():
    """The pid of a process of this host that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def live_pid():
    """The pid of a live process of this host (not this one)."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield child.pid
    child.kill()
    child.wait()


def test_acquire_writes_owner_and_release_removes(tmp_path):
    path = tmp_path / "run" / "seed1.lock"
    lock = RunLock(path)
    assert lock.acquire() and lock.held
    meta = json.loads(path.read_text())
    assert meta["host"] == locks.this_host() and meta["pid"] == os.getpid()
    assert abs(meta["started"] - time.time()) < 60 and len(meta["token"]) == 32
    info = read_lock(path)
    assert info.pid == os.getpid() and f"pid {os.getpid()}" in info.describe()
    lock.release()
    assert not path.exists() and not lock.held
    lock.release()  # releasing twice is harmless


def test_second_owner_is_refused_while_held(tmp_path):
    path = tmp_path / "seed1.lock"
    first, second = RunLock(path), RunLock(path)
    assert first.acquire()
    assert not second.acquire()
    assert second.holder is not None and second.holder.pid == os.getpid()
    assert not second.held
    second.release()  # a refused lock releases nothing
    assert path.exists()
    first.release()
    assert second.acquire()
    second.release()


def test_context_manager(tmp_path):
    path = tmp_path / "seed1.lock"
    with RunLock(path) as taken:
        assert taken and path.exists()
    assert not path.exists()


def test_lock_of_a_live_process_is_kept(tmp_path, live_pid):
    path = write_lock(tmp_path / "seed1.lock", pid=live_pid)
    lock = RunLock(path)
    assert not lock.acquire()
    assert lock.holder.pid == live_pid
    assert read_lock(path).pid == live_pid  # untouched


def test_lock_of_a_dead_process_of_this_host_is_broken(tmp_path, dead_pid):
    path = write_lock(tmp_path / "seed1.lock", pid=dead_pid)
    assert not pid_alive(dead_pid)
    assert is_stale(read_lock(path))
    lock = RunLock(path)
    assert lock.acquire()
    assert read_lock(path).pid == os.getpid()
    assert not path.with_name("seed1.lock.break").exists()
    lock.release()


def test_zombie_owner_counts_as_dead(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.time() + 30
    while time.time() < deadline:  # exited but not reaped: a zombie
        if Path(f"/proc/{child.pid}/stat").exists() and \
                Path(f"/proc/{child.pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z":
            break
        time.sleep(0.05)
    try:
        assert not pid_alive(child.pid)
        assert is_stale(read_lock(write_lock(tmp_path / "seed1.lock", pid=child.pid)))
    finally:
        child.wait()


def test_other_host_is_stale_only_without_heartbeat(tmp_path):
    path = write_lock(tmp_path / "seed1.lock", host="another-node.example", pid=1, age=30)
    assert not is_stale(read_lock(path))
    assert not RunLock(path).acquire()
    write_lock(path, host="another-node.example", pid=1, age=locks.STALE_AFTER_SECONDS + 60)
    assert is_stale(read_lock(path))
    assert not is_stale(read_lock(path), stale_after=locks.STALE_AFTER_SECONDS + 600)
    lock = RunLock(path)
    assert lock.acquire()
    lock.release()


def test_live_pid_without_heartbeat_is_stale(tmp_path, live_pid):
    # A pid reused by an unrelated process after the owner died: the heartbeat decides.
    path = write_lock(tmp_path / "seed1.lock", pid=live_pid, age=120)
    assert not is_stale(read_lock(path))
    assert is_stale(read_lock(path), stale_after=60)
    lock = RunLock(path, stale_after=60)
    assert lock.acquire()
    lock.release()


@pytest.mark.parametrize("raw", ["", '{"host": "x"', "[1, 2]", "\xff\xfe"])
def test_unreadable_lock_is_judged_by_its_age(tmp_path, raw):
    path = write_lock(tmp_path / "seed1.lock", raw=raw)
    info = read_lock(path)
    assert info.pid is None and "still writing" in info.describe()
    assert not RunLock(path).acquire()  # fresh: its owner may be writing it now
    write_lock(path, raw=raw, age=locks.STALE_AFTER_SECONDS + 1)
    lock = RunLock(path)
    assert lock.acquire()
    assert read_lock(path).pid == os.getpid()
    lock.release()


def test_heartbeat_keeps_the_lock_fresh(tmp_path):
    path = tmp_path / "seed1.lock"
    lock = RunLock(path, heartbeat=0.05, stale_after=5)
    assert lock.acquire()
    try:
        old = time.time() - 3600
        os.utime(path, (old, old))
        assert is_stale(read_lock(path), stale_after=5)
        deadline = time.time() + 30
        while is_stale(read_lock(path), stale_after=5) and time.time() < deadline:
            time.sleep(0.05)
        assert not is_stale(read_lock(path), stale_after=5)
    finally:
        lock.release()
    assert not path.exists()


def test_release_leaves_a_new_owners_lock_alone(tmp_path):
    path = tmp_path / "seed1.lock"
    lock = RunLock(path)
    assert lock.acquire()
    # Frozen for longer than stale_after: another process broke the lock and took it.
    write_lock(path, host="another-node.example", pid=1, token="n" * 32)
    lock.release()
    assert read_lock(path).token == "n" * 32


def test_a_stale_break_file_is_ignored(tmp_path, dead_pid):
    path = write_lock(tmp_path / "seed1.lock", pid=dead_pid)
    guard = write_lock(tmp_path / "seed1.lock.break", raw="", age=locks.BREAK_TIMEOUT_SECONDS + 5)
    lock = RunLock(path)
    assert lock.acquire()
    assert not guard.exists()
    lock.release()


def test_interrupt_inside_acquire_leaves_nothing(tmp_path, monkeypatch):
    path = tmp_path / "seed1.lock"
    real_link = os.link

    def link_then_interrupt(src, dst):
        real_link(src, dst)
        raise KeyboardInterrupt

    monkeypatch.setattr(locks.os, "link", link_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        RunLock(path).acquire()
    assert list(tmp_path.iterdir()) == []


def test_release_removes_a_lock_taken_but_not_yet_marked_held(tmp_path):
    """What a pool worker's SIGTERM handler sees when it interrupts acquire() after the link."""
    path = tmp_path / "seed1.lock"
    lock = RunLock(path)
    assert lock._create() and path.exists() and not lock.held
    lock.release()
    assert list(tmp_path.iterdir()) == []


def test_a_handler_that_interrupts_release_still_removes_the_lock(tmp_path, monkeypatch):
    """A pool worker's SIGTERM handler may run while the worker itself releases the lock.

    The handler calls release() again and then ends the process (os._exit, simulated by
    SystemExit): the lock must be gone all the same. It once stayed behind when the token
    was forgotten before the file was removed.
    """
    path = tmp_path / "seed1.lock"
    lock = RunLock(path)
    assert lock.acquire()
    real_read_lock, calls = locks.read_lock, []

    def read_then_interrupt(p):
        calls.append(p)
        if len(calls) == 1:  # inside the worker's own release: the handler fires here
            lock.release()
            raise SystemExit(143)
        return real_read_lock(p)

    monkeypatch.setattr(locks, "read_lock", read_then_interrupt)
    with pytest.raises(SystemExit):
        lock.release()
    assert len(calls) == 2 and not path.exists() and not lock.held


def test_filesystem_without_hard_links(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(locks.os, "link", no_links)
    path = tmp_path / "seed1.lock"
    first, second = RunLock(path), RunLock(path)
    assert first.acquire() and read_lock(path).pid == os.getpid()
    assert not second.acquire()
    first.release()
    assert list(tmp_path.iterdir()) == []


def test_bad_parameters():
    with pytest.raises(ValueError, match="positive"):
        RunLock("x.lock", stale_after=0)
    with pytest.raises(ValueError, match="positive"):
        RunLock("x.lock", heartbeat=-1)


def test_lock_info_same_lock():
    a = LockInfo("h", 1, 0.0, "a" * 32, 10.0, 5)
    assert a.same_lock(LockInfo("h", 1, 0.0, "a" * 32, 20.0, 6))  # heartbeats move the mtime
    assert not a.same_lock(LockInfo("h", 1, 0.0, "b" * 32, 10.0, 5))
    blank = LockInfo(None, None, None, None, 10.0, 5)
    assert blank.same_lock(LockInfo(None, None, None, None, 10.0, 5))
    assert not blank.same_lock(LockInfo(None, None, None, None, 11.0, 5))
    assert not blank.same_lock(a)


def _contend(path: str, go, hold, out) -> None:
    go.wait()
    lock = RunLock(path)
    taken = lock.acquire()
    out.put(taken)
    hold.wait()
    lock.release()


@pytest.mark.parametrize("stale_first", [False, True], ids=["free", "stale"])
def test_exactly_one_of_many_processes_wins(tmp_path, dead_pid, stale_first):
    path = tmp_path / "seed1.lock"
    if stale_first:  # every contender must break the same stale lock first
        write_lock(path, pid=dead_pid)
    ctx = multiprocessing.get_context("fork")
    go, hold, out = ctx.Event(), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_contend, args=(str(path), go, hold, out)) for _ in range(6)]
    for p in procs:
        p.start()
    go.set()
    taken = [out.get(timeout=60) for _ in procs]
    hold.set()
    for p in procs:
        p.join(60)
    assert sorted(taken) == [False] * 5 + [True]
    assert list(tmp_path.iterdir()) == []  # no lock, .break or private file left


# ------------------------------------------------------------------ two grids on one folder

SUMMARY = re.compile(r"al-grid: (\d+) run\(s\) executed, (\d+) already finished(?:, (\d+) running elsewhere)?, "
                     r"(\d+) in the grid")


def test_two_identical_grids_do_not_run_anything_twice(tmp_path):
    results_dir = tmp_path / "shared"
    strategies, seeds = ["random", "margin", "entropy"], ["1", "2"]
    command = [sys.executable, "-m", "helpers.grid", "--pair", "digits_logreg", "--experiment", "small",
               "--strategies", *strategies, "--seeds", *seeds, "--iterations", "150", "--quiet",
               "--results-dir", str(results_dir)]
    grids = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [g.communicate(timeout=300) for g in grids]
    for grid, (out, err) in zip(grids, outputs):
        assert grid.returncode == 0, err
    summaries = [SUMMARY.search(out) for out, _ in outputs]
    assert all(summaries), outputs
    executed = [int(m.group(1)) for m in summaries]
    for m in summaries:
        ran, finished, elsewhere, total = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), int(m.group(4))
        assert total == 6 and ran + finished + elsewhere == 6
    assert sum(executed) == 6, outputs  # every run computed exactly once between the two grids
    configs = build_configs("digits_logreg", ["small"], strategies, [1, 2], n_iterations=150,
                            results_dir=str(results_dir))
    assert all(results.is_complete(c) for c in configs)
    leftovers = [p for p in results_dir.rglob("*") if p.is_file() and p.suffix not in (".csv", ".json")]
    assert leftovers == []


def test_folder_removed_while_taking_the_lock(tmp_path, monkeypatch):
    folder = tmp_path / "run"
    path = folder / "seed1.lock"
    real_write, calls = locks._write_new, []

    def folder_vanishes_once(target, data):
        calls.append(target)
        if len(calls) == 1:
            folder.rmdir()  # a cleanup of empty folders ran between mkdir and the write
        return real_write(target, data)

    monkeypatch.setattr(locks, "_write_new", folder_vanishes_once)
    lock = RunLock(path)
    assert lock.acquire() and read_lock(path).pid == os.getpid()
    lock.release()
    assert len(calls) == 2 and list(folder.iterdir()) == []
