"""Tests of the Dask executor: a LocalCluster of 2 worker processes (one thread each) runs digits grids.

The cluster's workers are separate processes, as on a real cluster: they receive the
dataset once (scattered), take the run locks themselves and write into the shared results
directory.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

from helpers import results  # noqa: E402
from helpers.config import ConfigError  # noqa: E402
from helpers.executors import DaskExecutor, ProcessPool, lock_path  # noqa: E402
from helpers.grid import GridRunError, RunningElsewhereWarning, build_configs, main, run_grid  # noqa: E402
from helpers.locks import RunLock, read_lock, this_host  # noqa: E402
from helpers.results import TIMING_COLUMNS  # noqa: E402


@pytest.fixture(scope="module")
def client():
    """A client of a LocalCluster with 2 worker processes of one thread each."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    with distributed.Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


def digits_configs(results_dir: Path, strategies=("random", "margin", "entropy"), seeds=(1, 2), **options):
    options = {"n_iterations": 4, **options}
    return build_configs("digits_logreg", ["small"], list(strategies), list(seeds), results_dir=str(results_dir),
                         **options)


def csv_without_timings(path: Path) -> str:
    """The CSV's text with the timing columns removed, every other byte as written."""
    rows = list(csv.reader(io.StringIO(path.read_text(), newline="")))
    drop = {rows[0].index(name) for name in TIMING_COLUMNS}
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([v for i, v in enumerate(row) if i not in drop] for row in rows)
    return out.getvalue()


def worker_pids(client) -> set[int]:
    return set(client.run(os.getpid).values())


def test_dask_results_are_identical_to_the_process_pool(client, digits, tmp_path):
    pool_dir, dask_dir = tmp_path / "pool", tmp_path / "dask"
    pool_configs, dask_configs = digits_configs(pool_dir), digits_configs(dask_dir)
    assert run_grid(pool_configs, jobs=2, dataset=digits, progress=False)["ran"] == 6
    assert run_grid(dask_configs, executor=client, dataset=digits, progress=False)["ran"] == 6
    for a, b in zip(pool_configs, dask_configs):
        stem_a, stem_b = results.config_stem(a), results.config_stem(b)
        assert csv_without_timings(stem_a.with_suffix(".csv")) == csv_without_timings(stem_b.with_suffix(".csv"))
        meta_a, meta_b = (json.loads(s.with_suffix(".json").read_text()) for s in (stem_a, stem_b))
        for field in ("queried_indices", "confusion_matrix", "labels", "n_initial", "iterations_run"):
            assert meta_a[field] == meta_b[field], field
    # The runs executed in the cluster's worker processes, and no lock is left.
    assert not list(dask_dir.rglob("*.lock"))
    assert client.run(lambda: "helpers.loop" in __import__("sys").modules)  # imported there, not here only


def test_dataset_is_scattered_once_and_never_sent_per_task(client, digits, tmp_path, monkeypatch):
    scattered, submitted = [], []
    real_scatter, real_submit = client.scatter, client.submit

    def scatter(data, **kwargs):
        future = real_scatter(data, **kwargs)
        scattered.append((data, kwargs, future))
        return future

    def submit(func, *args, **kwargs):
        submitted.append(args)
        return real_submit(func, *args, **kwargs)

    monkeypatch.setattr(client, "scatter", scatter)
    monkeypatch.setattr(client, "submit", submit)
    run_grid(digits_configs(tmp_path / "r"), executor=client, dataset=digits, progress=False)
    (data, kwargs, future), = scattered
    assert data is digits and kwargs["broadcast"] is True  # one copy per worker, sent once
    assert len(submitted) == 6
    for args in submitted:  # every task refers to that copy instead of carrying the arrays
        assert all(not hasattr(a, "X_train") for a in args)
        assert any(isinstance(a, distributed.Future) and a.key == future.key for a in args)


def test_rerun_on_dask_skips_finished_runs(client, digits, tmp_path):
    configs = digits_configs(tmp_path / "r")
    run_grid(configs, executor=client, dataset=digits, progress=False)
    results.config_stem(configs[3]).with_suffix(".json").unlink()
    counts = run_grid(configs, executor=client, dataset=digits, progress=False)
    assert counts == {"total": 6, "skipped": 5, "ran": 1, "stale": 0, "damaged": 0, "elsewhere": 0}


def test_lock_keeps_dask_workers_off_a_run_held_elsewhere(client, digits, tmp_path):
    configs = digits_configs(tmp_path / "r")
    held = RunLock(lock_path(configs[2]))
    assert held.acquire()
    try:
        with pytest.warns(RunningElsewhereWarning, match=f"pid {os.getpid()}"):
            counts = run_grid(configs, executor=client, dataset=digits, progress=False)
        assert counts["ran"] == 5 and counts["elsewhere"] == 1
        assert results.run_status(configs[2]) == "missing"
    finally:
        held.release()


@pytest.mark.filterwarnings("ignore::helpers.grid.RunningElsewhereWarning")
def test_a_dask_grid_and_a_process_pool_grid_share_a_folder(client, digits, tmp_path):
    """Two grids at once on one results folder (one on the cluster, one local): no run twice."""
    configs = digits_configs(tmp_path / "shared", seeds=(1, 2, 3), n_iterations=100)
    outcome = {}

    def pool_grid():
        outcome["pool"] = run_grid(configs, executor=ProcessPool(2), dataset=digits, progress=False)

    other = threading.Thread(target=pool_grid)
    other.start()
    dask_counts = run_grid(configs, executor=client, dataset=digits, progress=False)
    other.join(300)
    pool_counts = outcome["pool"]
    assert dask_counts["ran"] + pool_counts["ran"] == 9
    assert all(results.is_complete(c) for c in configs)


def test_failed_task_reports_the_workers_traceback_and_the_others_go_on(client, digits, tmp_path, capsys):
    def install():
        from helpers import loop

        original = loop.run_active_learning

        def fail_margin_seed2(config, *args, **kwargs):
            if (config.strategy, config.seed) == ("margin", 2):
                raise RuntimeError("injected failure on a Dask worker")
            return original(config, *args, **kwargs)

        loop.__dict__.setdefault("_original_run_active_learning", original)
        loop.run_active_learning = fail_margin_seed2

    def uninstall():
        from helpers import loop

        loop.run_active_learning = loop.__dict__.pop("_original_run_active_learning")

    configs = digits_configs(tmp_path / "r")
    client.run(install)
    try:
        with pytest.raises(GridRunError, match=r"1 of 6 run\(s\) failed: digits_logreg/small/margin/seed2 "
                                               r"\(RuntimeError: injected failure on a Dask worker\)") as info:
            run_grid(configs, executor=client, dataset=digits, progress=False)
    finally:
        client.run(uninstall)
    failure, = info.value.failures
    assert "fail_margin_seed2" in failure.traceback and "injected failure" in failure.traceback
    assert failure.host == this_host() and failure.pid in worker_pids(client)
    assert "al-grid: run digits_logreg/small/margin/seed2 failed on" in capsys.readouterr().err
    assert sum(results.is_complete(c) for c in configs) == 5
    counts = run_grid(configs, executor=client, dataset=digits, progress=False)
    assert counts["ran"] == 1 and counts["skipped"] == 5


def test_killed_worker_loses_no_finished_run(digits, tmp_path):
    """SIGKILL a worker mid-run: finished runs stay as they were, the lost ones are named, a rerun redoes only them."""
    root = tmp_path / "r"
    configs = digits_configs(root, strategies=("random", "margin"), seeds=(1, 2, 3), n_iterations=250, query_size=1)
    finished_before: dict[Path, bytes] = {}
    killed = []

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # a lost task is not retried
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0")
    with cluster, distributed.Client(cluster) as dask_client:
        pids = worker_pids(dask_client)

        def kill_a_worker_mid_run():
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                done = list(root.rglob("seed*.json"))
                running = [read_lock(p) for p in root.rglob("*.lock")]
                running = [i.pid for i in running if i is not None and i.pid in pids]
                if done and running:
                    for path in done:
                        finished_before[path] = path.read_bytes()
                        finished_before[path.with_suffix(".csv")] = path.with_suffix(".csv").read_bytes()
                    os.kill(running[0], signal.SIGKILL)
                    killed.append(running[0])
                    return
                time.sleep(0.02)

        killer = threading.Thread(target=kill_a_worker_mid_run, daemon=True)
        killer.start()
        with pytest.raises(GridRunError) as info:
            run_grid(configs, executor=dask_client, dataset=digits, progress=False)
        killer.join(10)
    assert killed, "no worker was killed"
    lost = {(f.config.strategy, f.config.seed) for f in info.value.failures}
    assert lost and all("KilledWorker" in f.detail for f in info.value.failures)
    for path, content in finished_before.items():
        assert path.read_bytes() == content, f"{path} changed"
    missing = {(c.strategy, c.seed) for c in configs if not results.is_complete(c)}
    assert missing == lost  # every run not finished was named; every named run is missing

    # The rerun (on a fresh process pool) redoes exactly the lost runs, breaking the dead worker's lock.
    counts = run_grid(configs, jobs=2, dataset=digits, progress=False)
    assert counts["ran"] == len(lost) and counts["skipped"] == 6 - len(lost)
    assert all(results.is_complete(c) for c in configs)
    assert not list(root.rglob("*.lock"))


def test_unreachable_scheduler_is_one_error_before_any_work(digits, tmp_path, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("data was loaded although the scheduler is unreachable")

    monkeypatch.setattr("helpers.grid.load_dataset", forbidden)
    with pytest.raises(ConfigError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:1"):
        run_grid(digits_configs(tmp_path / "r"), executor=DaskExecutor("tcp://127.0.0.1:1", connect_timeout=1),
                 progress=False)
    with pytest.raises(ConfigError, match="missing port"):
        run_grid(digits_configs(tmp_path / "r"), executor="nohost", progress=False)
    assert not (tmp_path / "r" / "digits_logreg").exists()


def test_executor_arguments_are_checked():
    with pytest.raises(ConfigError, match="exactly one"):
        DaskExecutor()
    with pytest.raises(ConfigError, match="exactly one"):
        DaskExecutor("tcp://h:8786", n_workers=2)
    with pytest.raises(ConfigError, match="positive number of workers"):
        DaskExecutor(n_workers=0)


def test_cli_dask_local(capsys, isolated_dirs):
    argv = ["--pair", "digits_logreg", "--experiment", "small", "--strategies", "random", "margin",
            "--seeds", "1", "2", "--iterations", "2", "--quiet", "--dask-local", "2"]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == "al-grid: 4 run(s) executed, 0 already finished, 4 in the grid"
    assert len(list((isolated_dirs["results"] / "digits_logreg").rglob("seed*.csv"))) == 4


def test_cli_scheduler_address(client, capsys, tmp_path):
    argv = ["--pair", "digits_logreg", "--experiment", "small", "--strategies", "random", "--seeds", "1", "2",
            "--iterations", "2", "--quiet", "--results-dir", str(tmp_path / "r"),
            "--scheduler", client.scheduler.address]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == "al-grid: 2 run(s) executed, 0 already finished, 2 in the grid"


def test_keyboard_interrupt_cancels_a_local_cluster_grid(digits, tmp_path):
    import _thread

    from helpers.grid import GridInterrupted

    root = tmp_path / "r"
    configs = digits_configs(root, strategies=("random", "margin"), seeds=(1, 2, 3), n_iterations=250, query_size=1)
    moments = []

    def interrupt_when_one_finished():
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not list(root.rglob("seed*.json")):
            time.sleep(0.02)
        moments.append(time.monotonic())
        _thread.interrupt_main()

    watcher = threading.Thread(target=interrupt_when_one_finished, daemon=True)
    watcher.start()
    with pytest.raises(GridInterrupted) as info:
        run_grid(configs, executor=DaskExecutor(n_workers=2), dataset=digits, progress=False)
    assert time.monotonic() - moments[0] < 60
    watcher.join(10)
    finished = sum(results.is_complete(c) for c in configs)
    assert 1 <= finished < 6 and info.value.counts["ran"] == finished
    # The local workers ended on SIGTERM like pool workers: no lock, no temporary file.
    assert sorted(p.suffix for p in root.rglob("*") if p.is_file()) == sorted([".csv", ".json"] * finished)
    counts = run_grid(configs, jobs=2, dataset=digits, progress=False)  # resumes
    assert counts["ran"] == 6 - finished
    assert not list(root.rglob("*.lock"))


def test_workers_with_other_kernels_are_named(client, monkeypatch):
    """The grid warns when a worker's BLAS kernel differs from its own (and not when it matches)."""
    from helpers import provenance
    from helpers.executors import KernelMismatchWarning

    executor = DaskExecutor(client=client)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", KernelMismatchWarning)
        executor._check_kernels()  # the workers inherit this process's environment
    real, here = provenance.kernel_record, os.getpid()

    def other_kernel_here():  # the workers (other processes) report their real kernels
        record = real()
        return {**record, "blas": [{"library": "openblas", "architecture": "NotThisOne"}]} if os.getpid() == here \
            else record

    monkeypatch.setattr(provenance, "kernel_record", other_kernel_here)
    with pytest.warns(KernelMismatchWarning, match="2 of 2 Dask worker.*NotThisOne"):
        executor._check_kernels()
