"""Tests of helpers.notebook: parameter checks, leftovers of failed runs, summaries of the asked grid."""

from __future__ import annotations

import csv
import io
import json
import os

import pandas as pd
import pytest

from helpers import notebook, results, stats
from helpers.config import PAIRS, ConfigError
from helpers.job import template_defaults
from helpers.notebook import ParameterError, check_parameters


def namespace(template, **changes):
    return {**template_defaults(template), **changes}


@pytest.mark.parametrize("template", ["experiment", "figures"])
def test_template_defaults_pass(template):
    values = check_parameters(template, namespace(template), injected=())
    assert set(values) == set(notebook.NOTEBOOK_PARAMETERS[template])


def test_smoke_pairs_pass_in_their_notebooks():
    for pair in PAIRS:  # one notebook runs every pair of the registry
        check_parameters("experiment", namespace("experiment", pair=pair), injected={"pair"})


def test_unknown_injected_name_is_named_with_the_closest_parameter():
    with pytest.raises(ParameterError) as info:
        check_parameters("experiment", namespace("experiment", seed=43), injected={"seed", "pair"})
    message = str(info.value)
    assert "no parameter 'seed' (did you mean 'seeds'?)" in message and "seeds" in message


def test_papermill_paths_are_accepted():
    check_parameters("figures", namespace("figures"), injected={"PAPERMILL_INPUT_PATH", "PAPERMILL_OUTPUT_PATH"})


@pytest.mark.parametrize("template, changes, message", [
    ("experiment", dict(seeds=42), "single number 42"),
    ("experiment", dict(seeds=[42, "43"]), "bad: '43'"),
    ("experiment", dict(seeds=[-1]), "non-negative"),
    ("experiment", dict(seeds=[2**32]), "seed must be an integer in"),
    ("experiment", dict(seeds=[]), "non-empty"),
    ("experiment", dict(strategies="margin"), "the string 'margin'"),
    ("experiment", dict(strategies=["m"]), "unknown 'm'"),
    ("experiment", dict(experiment="tiny"), "experiment must be one of"),
    ("experiment", dict(pair="mnist_svm"), "pair must be one of"),
    ("experiment", dict(jobs=0), "jobs must be a positive integer"),
    ("experiment", dict(jobs=True), "jobs must be a positive integer"),
    ("experiment", dict(dask_local=0), "dask_local must be a positive integer or None"),
    ("experiment", dict(dask_local=2.0), "dask_local must be a positive integer or None"),
    ("experiment", dict(dask_local=True), "dask_local must be a positive integer or None"),
    ("experiment", dict(scheduler=8786), "scheduler must be a Dask scheduler address"),
    ("experiment", dict(scheduler=""), "scheduler must be a Dask scheduler address"),
    ("experiment", dict(scheduler="tcp://head node:8786"), "scheduler must be a Dask scheduler address"),
    ("experiment", dict(scheduler="tcp://a:1", dask_local=2), "scheduler and dask_local exclude each other"),
    ("experiment", dict(jobs=2, dask_local=2), "jobs > 1 and dask_local exclude each other"),
    ("experiment", dict(jobs=2, scheduler="tcp://a:1"), "jobs > 1 and scheduler exclude each other"),
    ("experiment", dict(query_size=2.5), "query_size must be a positive integer or None"),
    ("experiment", dict(n_iterations="250"), "the string '250'"),
    ("experiment", dict(stream_threshold=1.5), r"in \[0, 1\]"),
    ("experiment", dict(reference="yes"), "True or False"),
    ("experiment", dict(device="gpu"), "device must be one of"),
    ("experiment", dict(results_dir=""), "folder path or None"),
    ("figures", dict(pairs="mnist_logreg"), "list of names"),
    ("figures", dict(n_iterations={"nope": 3}), "every key must be a pair"),
    ("figures", dict(seeds=[1.5]), "bad: 1.5"),
])
def test_unusable_values(template, changes, message):
    with pytest.raises(ParameterError, match=message):
        check_parameters(template, namespace(template, **changes), injected=set(changes))


@pytest.mark.parametrize("changes", [dict(dask_local=2), dict(scheduler="tcp://head-node:8786"),
                                     dict(jobs=1, dask_local=1), dict(jobs=3)])
def test_one_executor_choice_passes(changes):
    values = check_parameters("experiment", namespace("experiment", **changes), injected=set(changes))
    assert {k: values[k] for k in changes} == changes


def test_executor_choice():
    assert notebook.executor_choice() == "serial"
    assert notebook.executor_choice(jobs=2) == "pool"
    assert notebook.executor_choice(scheduler="tcp://a:1") == "scheduler"
    assert notebook.executor_choice(jobs=1, dask_local=3) == "dask-local"
    with pytest.raises(ConfigError, match="jobs > 1 and scheduler and dask_local exclude each other"):
        notebook.executor_choice(jobs=2, scheduler="tcp://a:1", dask_local=2)


def test_a_declared_parameter_must_be_set():
    values = namespace("figures")
    del values["seeds"]
    with pytest.raises(ParameterError, match="seeds not set"):
        check_parameters("figures", values, injected=())
    with pytest.raises(ParameterError, match="unknown notebook"):
        check_parameters("nope", {}, injected=())


def test_injected_names_are_read_from_papermill_cells():
    source = '# Parameters\nseed = 43\npair = "digits_logreg"\nx: int = 1\nprint(seed)\n'
    assert notebook._assigned_names(source) == {"seed", "pair", "x"}
    assert notebook.injected_parameter_names() is None  # not inside a kernel


def test_summary_grid():
    assert notebook.summary_grid() is None
    grid = notebook.summary_grid(pairs=["digits_logreg", "mnist_logreg"], seeds=[42])
    assert grid.n_iterations == {"digits_logreg": 20, "mnist_logreg": 250} and grid.seeds == (42,)
    assert notebook.summary_grid(pairs=["digits_logreg"], n_iterations=5).n_iterations == {"digits_logreg": 5}


def test_remove_leftovers(tmp_path):
    run_dir = tmp_path / "digits_logreg" / "small" / "margin"
    run_dir.mkdir(parents=True)
    kept = [run_dir / "seed42.csv", run_dir / "seed42.json", run_dir / "seed43.lock"]
    for path in kept:
        path.write_text("x")
    old_tmp, young_tmp = run_dir / ".seed44.csv.abc123.tmp", run_dir / ".seed45.json.def456.tmp"
    probe = run_dir / ".probe-xyz"
    for path in (old_tmp, young_tmp, probe):
        path.write_text("partial")
    now = os.path.getmtime(young_tmp)
    os.utime(old_tmp, (now - 3600, now - 3600))
    os.utime(probe, (now - 3600, now - 3600))
    empty = [tmp_path / "digits_logreg" / "large" / "random", tmp_path / "digits_logreg" / "reference"]
    for folder in empty:
        folder.mkdir(parents=True)
    removed = notebook.remove_leftovers(tmp_path, "digits_logreg", now=now)
    assert set(removed) == {old_tmp, probe, *empty, tmp_path / "digits_logreg" / "large"}
    assert all(p.exists() for p in kept) and young_tmp.exists()
    assert notebook.remove_leftovers(tmp_path, "mnist_logreg") == []


def test_run_experiment_tidies_up_and_summaries_keep_to_the_asked_grid(isolated_dirs, capsys):
    root = isolated_dirs["results"]
    (root / "digits_logreg" / "moderate" / "entropy").mkdir(parents=True)  # left by a failed run
    counts = notebook.run_experiment("digits_logreg", "small", ["random", "margin"], [42, 43], n_iterations=3,
                                     progress=False, reference=True, results_dir=str(root))
    assert counts["ran"] == 4
    assert "removed 3 leftover(s)" in capsys.readouterr().out
    assert not (root / "digits_logreg" / "moderate").exists()
    notebook.run_experiment("digits_logreg", "small", ["random"], [44], n_iterations=3, progress=False,
                            reference=False, results_dir=str(root))
    notebook.run_experiment("digits_logreg", "large", ["random"], [42], n_iterations=3, progress=False,
                            reference=False, results_dir=str(root))
    with pytest.warns(stats.OutsideGridWarning, match="seed 44: 1") as caught:
        summary = notebook.summarize_experiment(root, "digits_logreg", "small", strategies=["random", "margin"],
                                                seeds=[42, 43], n_iterations=3)
    # The pair's other experiment is part of its folder, not a run outside the grid.
    assert not any("experiment large" in str(w.message) for w in caught)
    assert set(summary.runs["seed"]) == {42, 43} and len(summary.meta) == 4
    assert set(summary.runs["experiment"]) == {"small"} and {m["experiment"] for m in summary.meta} == {"small"}
    assert set(summary.per_run["experiment"]) == {"small"}
    with pytest.raises(FileNotFoundError):
        notebook.summarize_experiment(root, "digits_logreg", "moderate", n_iterations=3)
    assert summary.stream.empty  # no stream run asked
    assert sorted(summary.reference["seed"]) == [42, 43]
    with pytest.raises(FileNotFoundError):  # nothing at the protocol's 20 iterations
        with pytest.warns(stats.OutsideGridWarning, match=r"n_iterations 3 \(asked 20\): 5"):
            notebook.summarize_experiment(root, "digits_logreg", "small")


def test_stream_table_puts_the_selectivity_beside_the_account(isolated_dirs):
    root = isolated_dirs["results"]
    notebook.run_experiment("digits_logreg", "small", ["random", "stream_uncertainty"], [42], n_iterations=3,
                            progress=False, reference=False, results_dir=str(root))
    summary = notebook.summarize_experiment(root, "digits_logreg", "small", n_iterations=3)
    stream = summary.stream
    assert list(stream["strategy"]) == ["stream_uncertainty"] and stream["seed"].tolist() == [42]
    assert set(notebook.experiment.SELECTIVITY_COLUMNS) <= set(stream.columns)
    row, metrics = stream.iloc[0], summary.per_run.set_index("strategy").loc["stream_uncertainty"]
    for column in notebook.experiment.SELECTIVITY_COLUMNS:
        assert row[column] == pytest.approx(metrics[column])
    assert 0 <= row["budget_discard_share"] + row["confidence_discard_share"] <= 1


def test_failed_run_leaves_no_empty_folder(isolated_dirs, monkeypatch):
    root = isolated_dirs["results"]

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("helpers.loop.run_active_learning", broken)
    with pytest.raises(Exception, match="boom|failed"):
        notebook.run_experiment("digits_logreg", "large", ["random"], [42], n_iterations=2, progress=False,
                                reference=False, results_dir=str(root))
    assert not (root / "digits_logreg").exists()
    assert not list(root.rglob("*.tmp"))
    assert results.run_status(
        notebook.build_configs("digits_logreg", ["large"], ["random"], [42], n_iterations=2,
                               results_dir=str(root))[0]) == "missing"


def _csv_without_timings(path) -> list[list[str]]:
    """The CSV's rows as written, without the timing columns (which differ from run to run)."""
    rows = list(csv.reader(io.StringIO(path.read_text(), newline="")))
    drop = {rows[0].index(name) for name in results.TIMING_COLUMNS}
    return [[v for i, v in enumerate(row) if i not in drop] for row in rows]


def test_run_experiment_on_a_local_dask_cluster_writes_what_jobs_1_writes(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    from helpers import executors

    started = []
    real_start = executors.DaskExecutor.start

    def start(self):
        started.append(self.n_workers)
        real_start(self)

    monkeypatch.setattr(executors.DaskExecutor, "start", start)
    grid = dict(strategies=["random", "margin"], seeds=[42, 43], n_iterations=2, progress=False, reference=False)
    serial, dask = tmp_path / "serial", tmp_path / "dask"
    assert notebook.run_experiment("digits_logreg", "small", jobs=1, results_dir=str(serial), **grid)["ran"] == 4
    assert started == []
    counts = notebook.run_experiment("digits_logreg", "small", dask_local=2, results_dir=str(dask), **grid)
    assert counts["ran"] == 4 and started == [2]  # one cluster for the whole experiment, not one per run
    configs = notebook.build_configs("digits_logreg", ["small"], grid["strategies"], grid["seeds"], n_iterations=2,
                                     results_dir=str(serial))
    for config in configs:
        a = results.config_stem(config)
        b = results.config_stem(config.replace(results_dir=str(dask)))
        assert _csv_without_timings(a.with_suffix(".csv")) == _csv_without_timings(b.with_suffix(".csv"))
        meta_a, meta_b = (json.loads(s.with_suffix(".json").read_text()) for s in (a, b))
        for field in ("queried_indices", "confusion_matrix", "n_initial", "iterations_run"):
            assert meta_a[field] == meta_b[field], field
    assert not list(dask.rglob("*.lock")) and not list(dask.rglob("*.tmp"))
    # Everything finished: resuming starts no cluster at all.
    assert notebook.run_experiment("digits_logreg", "small", dask_local=2, results_dir=str(dask),
                                   **grid)["skipped"] == 4
    assert started == [2]


def test_run_experiment_sends_the_runs_to_a_scheduler_and_leaves_its_cluster_running(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        counts = notebook.run_experiment("digits_logreg", "small", ["random", "margin"], [42], n_iterations=2,
                                         scheduler=cluster.scheduler_address, results_dir=str(tmp_path),
                                         progress=False, reference=False)
        assert counts["ran"] == 2
        with distributed.Client(cluster.scheduler_address, timeout=5) as client:
            assert len(client.nthreads()) == 1  # the cluster is the user's: still up, its worker too


def test_run_experiment_rejects_two_executors_before_any_work(tmp_path):
    with pytest.raises(ConfigError, match="exclude each other"):
        notebook.run_experiment("digits_logreg", "small", ["random"], [42], jobs=2, dask_local=2,
                                results_dir=str(tmp_path / "r"), progress=False)
    assert not (tmp_path / "r").exists()


def test_run_experiment_with_an_unreachable_scheduler_fails_without_running(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    import socket

    from helpers import executors

    real_init = executors.DaskExecutor.__init__
    monkeypatch.setattr(executors.DaskExecutor, "__init__",
                        lambda self, *a, **k: real_init(self, *a, **{**k, "connect_timeout": 1.0}))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConfigError, match=f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"):
        notebook.run_experiment("digits_logreg", "small", ["random"], [42], scheduler=f"tcp://127.0.0.1:{port}",
                                n_iterations=2, results_dir=str(tmp_path / "r"), progress=False, reference=False)
    assert not list((tmp_path / "r").rglob("*.csv"))


@pytest.mark.parametrize("pair", list(PAIRS))
def test_describe_pair_says_model_data_and_schedule(pair):
    text = notebook.describe_pair(pair)
    spec = PAIRS[pair]
    assert f"{spec.query_size} labels per query for {spec.n_iterations} queries" in text
    assert ("CNN" in text) == (spec.model == "cnn") and ("logistic regression" in text) == (spec.model == "logreg")
    assert ("subset of" in text) == (spec.pool_subset is not None)


def test_collapse_table_by_hand():
    runs = pd.DataFrame({
        "strategy": ["margin"] * 6, "seed": [1, 1, 1, 2, 2, 2], "iteration": [0, 1, 2, 0, 1, 2],
        "top_class_share": [0.2, 0.6, 0.3, 0.1, 0.2, 0.5],
    })
    table = notebook.collapse_table(runs).iloc[0]
    assert table["runs_recording"] == 2
    assert table["initial"] == pytest.approx(0.15) and table["highest"] == pytest.approx(0.55)
    assert table["iteration_of_highest"] == pytest.approx(1.5) and table["final"] == pytest.approx(0.4)
    older = runs.drop(columns="top_class_share")
    assert notebook.collapse_table(older).empty
    assert notebook.collapse_table(runs.assign(top_class_share=float("nan"))).empty


def test_exhaustion_note_says_when_the_pool_runs_out():
    out = {"stop_reason": "pool exhausted: all 8000 pool samples labelled after 32 iterations", "iterations_run": 32}
    assert notebook.exhaustion_note([{"stop_reason": None, "iterations_run": 50}]) == ""
    every = notebook.exhaustion_note([out, dict(out)])
    assert every.startswith("The pool runs out before the label budget in every run after 32 iterations")
    assert "Read this experiment by AULC" in every
    some = notebook.exhaustion_note([out, {**out, "iterations_run": 33}, {"stop_reason": None, "iterations_run": 50}])
    assert some == "The pool ran out before the label budget in 2 of 3 runs after 32-33 iterations."
