"""Tests of helpers.grid: resuming, failing fast on bad input, the CLI and parallel workers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from helpers import grid, loop, results
from helpers.config import PROTOCOL_VERSION, ConfigError
from helpers.data import CorruptDataError, DataNotFoundError
from helpers.grid import build_configs, main, run_grid
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
    assert counts == {"total": 4, "skipped": 0, "ran": 4, "stale": 0}
    assert sorted(executed) == sorted(key(c) for c in configs)
    assert all(results.is_complete(c) for c in configs)
    assert len(files_under(isolated_dirs["results"])) == 8  # a CSV and a JSON per run

    executed.clear()
    assert run_grid(configs, dataset=digits, progress=False) == {"total": 4, "skipped": 4, "ran": 0, "stale": 0}
    assert executed == []

    # Lose one run's completion mark: only that run is executed again.
    victim = configs[2]
    results.config_stem(victim).with_suffix(".json").unlink()
    assert run_grid(configs, dataset=digits, progress=False) == {"total": 4, "skipped": 3, "ran": 1, "stale": 0}
    assert executed == [key(victim)]


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
    assert counts == {"total": 4, "skipped": 2, "ran": 2, "stale": 0}
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
    assert counts == {"total": 4, "skipped": 3, "ran": 1, "stale": 1}
    assert executed == [key(stale)]
    assert results.run_status(stale) == "complete"


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
        (["--seeds", "-1"], "seed must be a non-negative integer"),
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
    return {p.relative_to(root).as_posix(): pd.read_csv(p).drop(columns=TIMING_COLUMNS)
            for p in sorted(root.rglob("*.csv"))}


def test_parallel_jobs_match_serial(tmp_path, capsys):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert main(TINY + ["--results-dir", str(serial), "--jobs", "1"]) == 0
    assert main(TINY + ["--results-dir", str(parallel), "--jobs", "2"]) == 0
    a, b = read_grid(serial), read_grid(parallel)
    assert len(a) == 4 and list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)
