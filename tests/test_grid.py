"""Tests of helpers.grid: resuming, failing fast on bad input, the CLI, parallel workers, locks,
failed runs and interrupts (the Dask executor is tested in test_grid_dask.py)."""

from __future__ import annotations

import _thread
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from helpers import grid, loop, results
from helpers.config import PROTOCOL_VERSION, ConfigError
from helpers.data import CorruptDataError, DataNotFoundError
from helpers.executors import SerialExecutor, lock_path
from helpers.grid import build_configs, main, run_grid
from helpers.locks import RunLock, pid_alive, read_lock, this_host
from helpers.results import ResultsDirError, TIMING_COLUMNS

STRATEGIES = ["random", "margin"]
SEEDS = [1, 2]


def tiny_configs(results_dir=None, **options):
    options = {"n_iterations": 2, **options}
    if results_dir is not None:
        options["results_dir"] = str(results_dir)
    return build_configs("digits_logreg", ["small"], STRATEGIES, SEEDS, **options)


def key(config):
    return (config.experiment, config.strategy, config.seed)


@pytest.fixture
def executed(monkeypatch):
    """Record every run that actually trains (loop.run_active_learning calls)."""
    calls = []
    original = loop.run_active_learning

    def counting(config, *args, **kwargs):
        calls.append(key(config))
        return original(config, *args, **kwargs)

    monkeypatch.setattr(loop, "run_active_learning", counting)
    return calls


@pytest.fixture
def no_training(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a model was trained although the input was bad")

    monkeypatch.setattr(loop, "run_active_learning", forbidden)
    monkeypatch.setattr(loop, "run_reference", forbidden)
    monkeypatch.setattr(grid, "run_reference", forbidden)


def files_under(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


def test_build_configs():
    configs = build_configs("digits_logreg", ["small", "large"], STRATEGIES, SEEDS, n_iterations=2)
    assert len(configs) == 2 * 2 * 2
    assert len({key(c) for c in configs}) == 8
    assert all(c.n_iterations == 2 and c.query_size == 5 for c in configs)


def test_grid_runs_then_resumes(digits, executed, isolated_dirs):
    configs = tiny_configs()
    counts = run_grid(configs, dataset=digits, progress=False)
    assert counts == {"total": 4, "skipped": 0, "ran": 4, "stale": 0, "damaged": 0, "elsewhere": 0}
    assert sorted(executed) == sorted(key(c) for c in configs)
    assert all(results.is_complete(c) for c in configs)
    assert len(files_under(isolated_dirs["results"])) == 8  # a CSV and a JSON per run

    executed.clear()
    assert run_grid(configs, dataset=digits, progress=False) == {"total": 4, "skipped": 4, "ran": 0, "stale": 0, "damaged": 0, "elsewhere": 0}
    assert executed == []

    # Lose one run's completion mark: only that run is executed again.
    victim = configs[2]
    results.config_stem(victim).with_suffix(".json").unlink()
    assert run_grid(configs, dataset=digits, progress=False) == {"total": 4, "skipped": 3, "ran": 1, "stale": 0, "damaged": 0, "elsewhere": 0}
    assert executed == [key(victim)]


def test_resume_refuses_runs_on_other_data(digits, executed, isolated_dirs):
    """A tree whose runs name another dataset identity stops the grid before any run."""
    configs = tiny_configs()
    run_grid(configs, dataset=digits, progress=False)
    executed.clear()
    path = results.config_stem(configs[0]).with_suffix(".json")
    meta = json.loads(path.read_text())
    meta["dataset"] = {**meta["dataset"], "variant": "cifar10-original", "digest": "0" * 64}
    path.write_text(json.dumps(meta))
    with pytest.raises(results.DatasetMismatchError, match="cifar10-original.*sklearn-digits"):
        run_grid(configs, dataset=digits, progress=False)
    assert executed == []


def test_resume_after_interruption(digits, monkeypatch, isolated_dirs):
    configs = tiny_configs()
    original = loop.run_active_learning
    calls = []

    def interrupted_on_third(config, *args, **kwargs):
        calls.append(key(config))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(config, *args, **kwargs)

    monkeypatch.setattr(loop, "run_active_learning", interrupted_on_third)
    with pytest.raises(KeyboardInterrupt):
        run_grid(configs, dataset=digits, progress=False)
    finished = [c for c in configs if results.is_complete(c)]
    assert [key(c) for c in finished] == calls[:2]
    # The interruption left no partial or temporary files: two runs, CSV + JSON each.
    assert len(files_under(isolated_dirs["results"])) == 4

    calls.clear()
    counts = run_grid(configs, dataset=digits, progress=False)
    assert counts == {"total": 4, "skipped": 2, "ran": 2, "stale": 0, "damaged": 0, "elsewhere": 0}
    assert sorted(calls) == sorted(key(c) for c in configs if c not in finished)
    assert all(results.is_complete(c) for c in configs)


def test_changed_protocol_is_not_skipped(digits, executed):
    run_grid(tiny_configs(), dataset=digits, progress=False)
    executed.clear()
    counts = run_grid(tiny_configs(n_iterations=3), dataset=digits, progress=False)
    assert counts["ran"] == 4 and len(executed) == 4


def test_stale_runs_are_named_and_recomputed(digits, executed):
    configs = tiny_configs()
    run_grid(configs, dataset=digits, progress=False)
    stale = configs[1]
    json_path = results.config_stem(stale).with_suffix(".json")
    meta = json.loads(json_path.read_text())
    meta["protocol_version"] = PROTOCOL_VERSION - 1
    json_path.write_text(json.dumps(meta))
    executed.clear()
    with pytest.warns(grid.StaleResultsWarning, match=rf"1 finished run.*{stale.strategy}/seed{stale.seed}"):
        counts = run_grid(configs, dataset=digits, progress=False)
    assert counts == {"total": 4, "skipped": 3, "ran": 1, "stale": 1, "damaged": 0, "elsewhere": 0}
    assert executed == [key(stale)]
    assert results.run_status(stale) == "complete"


def test_truncated_csv_is_named_and_recomputed(digits, executed):
    configs = tiny_configs()
    run_grid(configs, dataset=digits, progress=False)
    damaged = configs[2]
    csv_path = results.config_stem(damaged).with_suffix(".csv")
    whole = csv_path.read_text()
    csv_path.write_text(whole[: len(whole) // 2])  # cut short, its JSON intact
    executed.clear()
    with pytest.warns(grid.DamagedResultsWarning, match=rf"1 finished run.*{damaged.strategy}/seed{damaged.seed}"):
        counts = run_grid(configs, dataset=digits, progress=False)
    assert counts == {"total": 4, "skipped": 3, "ran": 1, "stale": 0, "damaged": 1, "elsewhere": 0}
    assert executed == [key(damaged)]
    assert results.run_status(damaged) == "complete"
    assert len(csv_path.read_text().splitlines()) == len(whole.splitlines())


def test_reference_runs_once_per_seed(digits, monkeypatch, isolated_dirs):
    seen = []
    monkeypatch.setattr(grid, "run_reference", lambda config, dataset: seen.append(config.seed))
    run_grid(tiny_configs(), dataset=digits, reference=True, progress=False)
    assert sorted(seen) == SEEDS


def test_unknown_strategy_fails_before_training(no_training, isolated_dirs):
    with pytest.raises(ConfigError, match="unknown strategy 'bogus'"):
        build_configs("digits_logreg", ["small"], ["random", "bogus"], SEEDS)
    assert files_under(isolated_dirs["results"]) == []


def test_unwritable_results_dir_fails_before_training(digits, no_training, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(ResultsDirError, match="not writable"):
        run_grid(tiny_configs(results_dir=blocker / "results"), dataset=digits, progress=False)
    assert blocker.read_text() == "" and files_under(tmp_path) == [blocker]


def test_sizes_that_do_not_fit_fail_before_training(digits, no_training, isolated_dirs):
    configs = tiny_configs() + build_configs("digits_logreg", ["large"], ["random"], [1], initial_size=5000)
    with pytest.raises(ConfigError, match="does not fit a pool of 1077"):
        run_grid(configs, dataset=digits, progress=False)
    assert files_under(isolated_dirs["results"]) == []


def test_missing_dataset_fails_before_training(no_training, monkeypatch, isolated_dirs):
    def missing(*args, **kwargs):
        raise DataNotFoundError("no MNIST here")

    monkeypatch.setattr(grid, "load_dataset", missing)
    with pytest.raises(DataNotFoundError):
        run_grid(tiny_configs(), progress=False)
    assert files_under(isolated_dirs["results"]) == []


def test_grid_checks(digits):
    with pytest.raises(ConfigError, match="empty"):
        run_grid([], dataset=digits)
    with pytest.raises(ConfigError, match="jobs"):
        run_grid(tiny_configs(), jobs=0, dataset=digits)
    mixed = tiny_configs() + build_configs("digits_cnn", ["small"], ["random"], [1])
    with pytest.raises(ConfigError, match="one pair per grid"):
        run_grid(mixed, dataset=digits)


# ---------------------------------------------------------------------------------- command line

TINY = ["--pair", "digits_logreg", "--experiment", "small", "--strategies", "random", "margin",
        "--seeds", "1", "2", "--iterations", "2", "--quiet"]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("al-grid: error: ")
    return lines[0]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--strategies", "bogus"], "unknown strategy 'bogus'"),
        (["--query-size", "0"], "query_size must be a positive integer"),
        (["--iterations", "0"], "n_iterations must be a positive integer"),
        (["--threshold", "1.5"], "stream_threshold must lie in [0, 1]"),
        (["--seeds", "-1"], "seed must be an integer in [0, 2**32)"),
        (["--seeds", str(2**32)], "seed must be an integer in [0, 2**32), got 4294967296"),
        (["--results-dir", ""], "results_dir must be a path or None, got an empty string"),
        (["--jobs", "0"], "jobs must be a positive integer"),
    ],
)
def test_cli_bad_input_returns_2(extra, message, capsys, no_training, isolated_dirs):
    assert main(TINY + extra) == 2
    assert message in one_line_error(capsys)
    assert files_under(isolated_dirs["results"]) == []


def test_cli_unwritable_results_dir_returns_2(tmp_path, capsys, no_training):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert main(TINY + ["--results-dir", str(blocker / "results")]) == 2
    assert "not writable" in one_line_error(capsys)


def test_cli_sizes_that_do_not_fit_return_2(capsys, no_training, monkeypatch):
    real = grid.build_configs
    monkeypatch.setattr(grid, "build_configs", lambda *a, **k: real(*a, **{**k, "initial_size": 5000}))
    assert main(TINY) == 2
    assert "does not fit" in one_line_error(capsys)


@pytest.mark.parametrize("error", [DataNotFoundError("MNIST not found under /nowhere"),
                                   CorruptDataError("train-images-idx3-ubyte.gz is truncated")])
def test_cli_data_errors_return_2(error, capsys, no_training, monkeypatch):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(grid, "load_dataset", fail)
    assert main(TINY) == 2
    assert str(error) in one_line_error(capsys)


def test_cli_failed_data_check_leaves_no_results_folder(capsys, no_training, monkeypatch, tmp_path):
    def fail(*args, **kwargs):
        raise DataNotFoundError("digits not found under /nowhere")

    monkeypatch.setattr(grid, "load_dataset", fail)
    root = tmp_path / "new" / "results"
    assert main(TINY + ["--results-dir", str(root)]) == 2
    assert "not found" in one_line_error(capsys)
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("service", ["silent_service", "ssh_banner_service"])
def test_cli_wrong_scheduler_is_one_line_in_bounded_time(service, request, capsys, no_training, monkeypatch,
                                                         tmp_path):
    pytest.importorskip("distributed")
    monkeypatch.setattr("helpers.executors.scheduler_check.SCHEDULER_CHECK_SECONDS", 3.0)
    address = request.getfixturevalue(service)
    root = tmp_path / "new" / "results"
    t0 = time.monotonic()
    assert main(TINY + ["--scheduler", address, "--results-dir", str(root)]) == 2
    assert time.monotonic() - t0 < 20
    error = one_line_error(capsys)
    assert f"answered at {address} but it is not a Dask scheduler" in error and "Traceback" not in error
    assert not (tmp_path / "new").exists()


def test_cli_full_disk_is_one_line_per_run_and_one_summary(capsys, monkeypatch):
    import errno

    def full(config, rows, meta):
        path = results.config_stem(config).with_suffix(".csv")
        raise results._no_space(path, OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr(results, "write_run", full)
    assert main(TINY) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 5, lines
    assert all(line.startswith("al-grid: run digits_logreg/small/") and "no space left" in line for line in lines[:4])
    assert lines[-1].startswith("al-grid: error: 4 of 4 run(s) failed; the results could not be written: ")
    assert "tracebacks above" not in lines[-1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_cli_cuda_without_gpu_returns_2(capsys, no_training, monkeypatch):
    monkeypatch.setattr(loop, "run_active_learning", lambda *a, **k: pytest.fail("a run started"))
    assert main(["--pair", "digits_cnn", "--experiment", "small", "--strategies", "random", "--seeds", "1",
                 "--iterations", "1", "--device", "cuda", "--quiet"]) == 2
    assert "cuda" in one_line_error(capsys)


def test_cli_unknown_pair_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--pair", "mnist"])
    assert info.value.code == 2
    assert "invalid choice: 'mnist'" in capsys.readouterr().err


def test_cli_tiny_grid(capsys, isolated_dirs):
    assert main(TINY) == 0
    out = capsys.readouterr().out
    assert out.strip() == "al-grid: 4 run(s) executed, 0 already finished, 4 in the grid"
    root = isolated_dirs["results"] / "digits_logreg" / "small"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("seed*")) == [
        "margin/seed1.csv", "margin/seed1.json", "margin/seed2.csv", "margin/seed2.json",
        "random/seed1.csv", "random/seed1.json", "random/seed2.csv", "random/seed2.json",
    ]
    assert main(TINY) == 0
    assert "0 run(s) executed, 4 already finished" in capsys.readouterr().out


def read_grid(root: Path) -> dict[str, pd.DataFrame]:
    """Every CSV of a grid as text cells (so equal frames mean byte-identical values), timings dropped."""
    return {p.relative_to(root).as_posix(): pd.read_csv(p, dtype=str, keep_default_na=False)
            .drop(columns=TIMING_COLUMNS) for p in sorted(root.rglob("*.csv"))}


def test_parallel_jobs_match_serial(tmp_path, capsys):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert main(TINY + ["--results-dir", str(serial), "--jobs", "1"]) == 0
    assert main(TINY + ["--results-dir", str(parallel), "--jobs", "2"]) == 0
    a, b = read_grid(serial), read_grid(parallel)
    assert len(a) == 4 and list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


# ------------------------------------------------------------------------------ repeats

def test_build_configs_runs_repeated_values_once():
    configs = build_configs("digits_logreg", ["small", "small"], ["random", "margin", "random"], [42, 42, 43])
    assert [key(c) for c in configs] == [("small", "random", 42), ("small", "random", 43),
                                         ("small", "margin", 42), ("small", "margin", 43)]


def test_repeated_configs_run_once(digits, executed):
    configs = tiny_configs()
    counts = run_grid(configs + configs[::-1], dataset=digits, progress=False)
    assert counts["total"] == 4 and counts["ran"] == 4
    assert sorted(executed) == sorted(key(c) for c in configs)


def test_configs_differing_only_in_location_are_one_run(digits, executed, isolated_dirs):
    spelt_out = tiny_configs(results_dir=isolated_dirs["results"])
    counts = run_grid(tiny_configs() + spelt_out, dataset=digits, progress=False)
    assert counts["total"] == 4 and len(executed) == 4


def test_configs_writing_the_same_files_differently_fail_before_training(digits, no_training, isolated_dirs):
    with pytest.raises(ConfigError, match="write the same result files"):
        run_grid(tiny_configs() + tiny_configs(n_iterations=3), dataset=digits, progress=False)
    assert files_under(isolated_dirs["results"]) == []


def test_cli_repeated_seeds_run_once(capsys, isolated_dirs):
    assert main(TINY + ["--seeds", "1", "1", "2", "1"]) == 0
    assert capsys.readouterr().out.strip() == "al-grid: 4 run(s) executed, 0 already finished, 4 in the grid"


# ----------------------------------------------------------------------------------- locks

def lock_files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.name.endswith((".lock", ".break")))


def temp_files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*") if p.is_file() and p.suffix not in (".csv", ".json"))


@pytest.mark.parametrize("jobs", [1, 2])
def test_run_locked_by_a_live_owner_is_left_to_it(digits, isolated_dirs, jobs):
    configs = tiny_configs()
    held = RunLock(lock_path(configs[1]))
    assert held.acquire()
    try:
        with pytest.warns(grid.RunningElsewhereWarning,
                          match=rf"1 run\(s\) are running elsewhere.*small/{configs[1].strategy}/seed{configs[1].seed} "
                                rf"\(host .*, pid {os.getpid()}"):
            counts = run_grid(configs, jobs=jobs, dataset=digits, progress=False)
        assert counts == {"total": 4, "skipped": 0, "ran": 3, "stale": 0, "damaged": 0, "elsewhere": 1}
        assert results.run_status(configs[1]) == "missing"
        assert not results.config_stem(configs[1]).with_suffix(".csv").exists()
        assert read_lock(lock_path(configs[1])).token == held._token  # the owner's lock is untouched
    finally:
        held.release()
    counts = run_grid(configs, jobs=jobs, dataset=digits, progress=False)
    assert counts == {"total": 4, "skipped": 3, "ran": 1, "stale": 0, "damaged": 0, "elsewhere": 0}
    assert lock_files(isolated_dirs["results"]) == []


def test_cli_reports_runs_running_elsewhere(capsys, isolated_dirs):
    config = build_configs("digits_logreg", ["small"], ["margin"], [2], n_iterations=2)[0]
    held = RunLock(lock_path(config))
    assert held.acquire()
    try:
        assert main(TINY) == 0
    finally:
        held.release()
    captured = capsys.readouterr()
    assert captured.out.strip() == "al-grid: 3 run(s) executed, 0 already finished, 1 running elsewhere, 4 in the grid"
    assert captured.err.strip().startswith("al-grid: warning: 1 run(s) are running elsewhere")
    assert len(captured.err.strip().splitlines()) == 1


def test_stale_lock_of_a_dead_owner_is_broken(digits, executed, isolated_dirs):
    configs = tiny_configs()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    path = lock_path(configs[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": this_host(), "pid": child.pid, "started": time.time(), "token": "x" * 32}))
    counts = run_grid(configs, dataset=digits, progress=False)
    assert counts["ran"] == 4 and len(executed) == 4
    assert lock_files(isolated_dirs["results"]) == []


def test_run_finished_meanwhile_is_not_redone(digits, executed, monkeypatch):
    """Completeness is checked again after the lock is taken (another grid may have just finished the run)."""
    configs = tiny_configs()
    run_grid(configs, dataset=digits, progress=False)
    executed.clear()
    real, asked = results.run_status, set()

    def missing_when_the_grid_plans(config, identity=None):
        if key(config) not in asked:  # the grid's first look, before another grid finished the run
            asked.add(key(config))
            return "missing"
        return real(config, identity)

    monkeypatch.setattr(results, "run_status", missing_when_the_grid_plans)
    counts = run_grid(configs, dataset=digits, progress=False)
    assert counts == {"total": 4, "skipped": 4, "ran": 0, "stale": 0, "damaged": 0, "elsewhere": 0}
    assert executed == []


def test_reference_locked_elsewhere_is_left_to_it(digits, monkeypatch):
    seen = []
    monkeypatch.setattr(grid, "run_reference", lambda config, dataset: seen.append(config.seed))
    config = tiny_configs()[0]
    held = RunLock(results.reference_path(config.results_root(), config.pair, SEEDS[0]).with_suffix(".lock"))
    assert held.acquire()
    try:
        with pytest.warns(grid.RunningElsewhereWarning, match=f"reference of digits_logreg seed {SEEDS[0]}"):
            run_grid(tiny_configs(), dataset=digits, reference=True, progress=False)
    finally:
        held.release()
    assert seen == SEEDS[1:]


# ----------------------------------------------------------------------------- failed runs

@pytest.fixture
def failing_margin_seed1(monkeypatch):
    """margin/seed1 raises inside the run (inherited by forked pool workers)."""
    original = loop.run_active_learning

    def fail_one(config, *args, **kwargs):
        if (config.strategy, config.seed) == ("margin", 1):
            raise ValueError("injected failure of margin/seed1")
        return original(config, *args, **kwargs)

    monkeypatch.setattr(loop, "run_active_learning", fail_one)


@pytest.mark.parametrize("jobs", [1, 2])
def test_failed_run_is_reported_and_the_others_go_on(digits, failing_margin_seed1, capsys, isolated_dirs,
                                                       monkeypatch, jobs):
    configs = tiny_configs()
    with pytest.raises(grid.GridRunError, match=r"1 of 4 run\(s\) failed: digits_logreg/small/margin/seed1 "
                                                r"\(ValueError: injected failure of margin/seed1\)") as info:
        run_grid(configs, jobs=jobs, dataset=digits, progress=False)
    failure, = info.value.failures
    assert key(failure.config) == ("small", "margin", 1)
    assert "ValueError: injected failure" in failure.traceback and "fail_one" in failure.traceback
    assert failure.host == this_host() and (failure.pid == os.getpid()) == (jobs == 1)
    assert info.value.counts["ran"] == 3
    assert [results.is_complete(c) for c in configs] == [key(c) != ("small", "margin", 1) for c in configs]
    err = capsys.readouterr().err
    assert "al-grid: run digits_logreg/small/margin/seed1 failed on" in err and "fail_one" in err
    assert temp_files(isolated_dirs["results"]) == []  # no lock or temporary file left behind

    monkeypatch.undo()  # the fault is gone: a rerun redoes only the failed run
    monkeypatch.setenv("AL_RESULTS_DIR", str(isolated_dirs["results"]))
    monkeypatch.setenv("AL_CACHE_DIR", str(isolated_dirs["cache"]))
    counts = run_grid(configs, jobs=jobs, dataset=digits, progress=False)
    assert counts == {"total": 4, "skipped": 3, "ran": 1, "stale": 0, "damaged": 0, "elsewhere": 0}


def test_cli_failed_run_returns_1(failing_margin_seed1, capsys):
    assert main(TINY + ["--jobs", "2"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("al-grid: error: 1 of 4 run(s) failed: digits_logreg/small/margin/seed1 "
                              "(ValueError: injected failure of margin/seed1); 3 run(s) executed")
    assert any("Traceback" in line for line in err[:-1])


def test_cli_dask_options_are_checked(capsys, no_training, isolated_dirs):
    assert main(TINY + ["--dask-local", "0"]) == 2
    assert "positive number of workers" in one_line_error(capsys)
    assert main(TINY + ["--scheduler", " "]) == 2
    assert "scheduler address must be a non-empty string" in one_line_error(capsys)
    with pytest.raises(SystemExit):
        main(TINY + ["--jobs", "2", "--dask-local", "2"])
    assert "not allowed with argument" in capsys.readouterr().err
    assert files_under(isolated_dirs["results"]) == []


# ------------------------------------------------------------------------------- interrupts

#: Runs long enough (about a second or more each) to be interrupted while running.
LONG = ["--pair", "digits_logreg", "--experiment", "small", "--strategies", "random", "margin", "--seeds", "1", "2",
        "3", "--iterations", "400", "--query-size", "1", "--quiet"]
LONG_CONFIGS = dict(pair="digits_logreg", experiments=["small"], strategies=["random", "margin"], seeds=[1, 2, 3],
                    n_iterations=400, query_size=1)


def wait_for(condition, what: str, timeout: float = 120.0, detail=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what} {detail()}")


def finished_files(root: Path) -> dict[Path, bytes]:
    """The bytes of every finished run's CSV and JSON under ``root``."""
    out = {}
    for json_path in Path(root).rglob("seed*.json"):
        out[json_path] = json_path.read_bytes()
        out[json_path.with_suffix(".csv")] = json_path.with_suffix(".csv").read_bytes()
    return out


def live_lock_pids(root: Path) -> set[int]:
    infos = [read_lock(p) for p in Path(root).rglob("*.lock")]
    return {i.pid for i in infos if i is not None and i.pid is not None}


def running_and_finished(root: Path) -> bool:
    """True once a run has finished while another one is running."""
    return bool(list(Path(root).rglob("seed*.json"))) and bool(live_lock_pids(root))


def long_configs(results_dir: Path):
    spec = dict(LONG_CONFIGS)
    return build_configs(spec.pop("pair"), spec.pop("experiments"), spec.pop("strategies"), spec.pop("seeds"),
                         results_dir=str(results_dir), **spec)


def assert_clean_stop(root: Path, before: dict[Path, bytes]) -> int:
    """Finished runs are intact, no lock or temporary file is left; return the number finished."""
    for path, content in before.items():
        assert path.read_bytes() == content, f"{path} changed after the interrupt"
    configs = long_configs(root)
    finished = [c for c in configs if results.is_complete(c)]
    assert temp_files(root) == [], "locks or temporary files left behind"
    assert sorted(p.name for p in Path(root).rglob("seed*.*")) == sorted(
        f"seed{c.seed}.{ext}" for c in finished for ext in ("csv", "json"))
    return len(finished)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals to a child process as on Linux")
@pytest.mark.parametrize("signum, code, summary", [(signal.SIGINT, 130, "al-grid: interrupted: "),
                                                   (signal.SIGTERM, 143, "al-grid: terminated by SIGTERM: ")],
                         ids=["SIGINT", "SIGTERM"])
def test_cli_signal_stops_the_grid_promptly_with_a_summary(tmp_path, signum, code, summary):
    root = tmp_path / "results"
    grid_process = subprocess.Popen([sys.executable, "-m", "helpers.grid", *LONG, "--jobs", "2",
                                     "--results-dir", str(root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
    try:
        wait_for(lambda: running_and_finished(root), "a finished and a running run")
        workers = live_lock_pids(root)
        before = finished_files(root)
        grid_process.send_signal(signum)
        t0 = time.monotonic()
        out, err = grid_process.communicate(timeout=60)
        elapsed = time.monotonic() - t0
    finally:
        grid_process.kill()
    assert grid_process.returncode == code, err
    assert elapsed < 30  # seconds, not the minutes the queued runs would take
    lines = err.strip().splitlines()
    assert lines[-1].startswith(summary) and "Traceback" not in err, err
    assert "rerun the same grid to resume" in lines[-1]
    finished = assert_clean_stop(root, before)
    assert 1 <= finished < 6  # the queued runs were cancelled
    assert f"{finished} run(s) executed and kept, {6 - finished} not run" in lines[-1]
    wait_for(lambda: not any(pid_alive(pid) for pid in workers), "the workers to end", timeout=30)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals to a child process as on Linux")
def test_cli_second_sigint_does_not_hang(tmp_path):
    root = tmp_path / "results"
    grid_process = subprocess.Popen([sys.executable, "-m", "helpers.grid", *LONG, "--jobs", "2",
                                     "--results-dir", str(root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True)
    try:
        wait_for(lambda: running_and_finished(root), "a finished and a running run")
        workers = live_lock_pids(root)
        before = finished_files(root)
        grid_process.send_signal(signal.SIGINT)
        time.sleep(0.02)
        grid_process.send_signal(signal.SIGINT)
        out, err = grid_process.communicate(timeout=60)
    finally:
        grid_process.kill()
    assert grid_process.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("al-grid: interrupted: ")
    for path, content in before.items():
        assert path.read_bytes() == content
    wait_for(lambda: not any(pid_alive(pid) for pid in workers), "the workers to end", timeout=30)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal of Linux")
def test_workers_exit_when_the_grid_is_killed(tmp_path):
    root = tmp_path / "results"
    grid_process = subprocess.Popen([sys.executable, "-m", "helpers.grid", *LONG, "--jobs", "2",
                                     "--results-dir", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        workers = wait_for(lambda: len(live_lock_pids(root)) == 2 and live_lock_pids(root), "two running workers")
        assert grid_process.pid not in workers
        before = finished_files(root)
        grid_process.kill()  # SIGKILL: no chance to stop its pool
        grid_process.wait(60)
    finally:
        grid_process.kill()
    wait_for(lambda: not any(pid_alive(pid) for pid in workers), "the orphaned workers to exit", timeout=90)  # generous: a loaded machine
    # Each worker ended its run cleanly on the parent-death signal: its lock released, no temporary file.
    wait_for(lambda: not lock_files(root), "the workers' locks to be released", timeout=30,
             detail=lambda: {str(p): (p.read_text(), Path(f"/proc/{read_lock(p).pid}/stat").exists() and Path(f"/proc/{read_lock(p).pid}/stat").read_text()) for p in lock_files(root)})
    assert_clean_stop(root, before)


def test_keyboard_interrupt_in_the_main_process_stops_the_pool(digits, tmp_path):
    """What Jupyter's "interrupt kernel" does: a KeyboardInterrupt in the main thread of the grid's process."""
    root = tmp_path / "results"
    configs = long_configs(root)
    interrupted_at = []
    earlier = set(multiprocessing.active_children())  # children of earlier tests still being reaped

    def interrupt_when_running():
        wait_for(lambda: running_and_finished(root), "a finished and a running run")
        interrupted_at.append(time.monotonic())
        _thread.interrupt_main()

    watcher = threading.Thread(target=interrupt_when_running, daemon=True)
    watcher.start()
    with pytest.raises(grid.GridInterrupted) as info:
        run_grid(configs, jobs=2, dataset=digits, progress=False)
    assert time.monotonic() - interrupted_at[0] < 30
    watcher.join(10)
    # The pool's workers are gone (within seconds: each ends its run, or is killed, and is reaped).
    wait_for(lambda: not set(multiprocessing.active_children()) - earlier, "the pool's workers to end", timeout=10)
    counts = info.value.counts
    finished = assert_clean_stop(root, {})
    assert counts["ran"] == finished and counts["not_run"] == 6 - finished and 1 <= finished < 6
    assert isinstance(info.value, KeyboardInterrupt)


def test_jobs_and_executor_exclude_each_other(digits, no_training, isolated_dirs):
    with pytest.raises(ConfigError, match="not both"):
        run_grid(tiny_configs(), jobs=2, executor=SerialExecutor(), dataset=digits, progress=False)
    with pytest.raises(ConfigError, match="executor must be"):
        run_grid(tiny_configs(), executor=42, dataset=digits, progress=False)
    assert files_under(isolated_dirs["results"]) == []


def test_an_executor_object_runs_the_grid(digits, executed):
    counts = run_grid(tiny_configs(), executor=SerialExecutor(), dataset=digits, progress=False)
    assert counts["ran"] == 4 and len(executed) == 4


def test_cli_keeps_ignoring_sigint_after_an_interrupt(monkeypatch):
    """A Ctrl-C during the interpreter's shutdown must not print a stray traceback."""
    def interrupted_main(args):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)  # the handler runs here
        except KeyboardInterrupt:
            return grid.EXIT_INTERRUPTED
        raise AssertionError("the first SIGINT did not interrupt")

    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    monkeypatch.setattr(grid, "_main", interrupted_main)
    try:
        assert grid.main(["--pair", "digits_logreg"]) == grid.EXIT_INTERRUPTED
        assert signal.getsignal(signal.SIGINT) is signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        # Ignored signals are inherited by every process the test session starts later.
        for signum, handler in before.items():
            signal.signal(signum, handler)


def test_cli_restores_the_sigint_handler_when_not_interrupted(monkeypatch):
    before = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(grid, "_main", lambda args: 0)
    assert grid.main(["--pair", "digits_logreg"]) == 0
    assert signal.getsignal(signal.SIGINT) is before
