"""Tests of helpers.notebook: parameter checks, leftovers of failed runs, summaries of the asked grid."""

from __future__ import annotations

import os

import pytest

from helpers import notebook, results, stats
from helpers.job import template_defaults
from helpers.notebook import ParameterError, check_parameters


def namespace(template, **changes):
    return {**template_defaults(template), **changes}


@pytest.mark.parametrize("template", ["mnist_logreg", "cifar10_cnn", "figures"])
def test_template_defaults_pass(template):
    values = check_parameters(template, namespace(template), injected=())
    assert set(values) == set(notebook.NOTEBOOK_PARAMETERS[template])


def test_smoke_pairs_pass_in_their_notebooks():
    check_parameters("mnist_logreg", namespace("mnist_logreg", pair="digits_logreg"), injected={"pair"})
    check_parameters("cifar10_cnn", namespace("cifar10_cnn", pair="digits_cnn"), injected={"pair"})


def test_unknown_injected_name_is_named_with_the_closest_parameter():
    with pytest.raises(ParameterError) as info:
        check_parameters("mnist_logreg", namespace("mnist_logreg", seed=43), injected={"seed", "pair"})
    message = str(info.value)
    assert "no parameter 'seed' (did you mean 'seeds'?)" in message and "seeds" in message


def test_papermill_paths_are_accepted():
    check_parameters("figures", namespace("figures"), injected={"PAPERMILL_INPUT_PATH", "PAPERMILL_OUTPUT_PATH"})


@pytest.mark.parametrize("template, changes, message", [
    ("mnist_logreg", dict(seeds=42), "single number 42"),
    ("mnist_logreg", dict(seeds=[42, "43"]), "bad: '43'"),
    ("mnist_logreg", dict(seeds=[-1]), "non-negative"),
    ("mnist_logreg", dict(seeds=[2**32]), "seed must be an integer in"),
    ("mnist_logreg", dict(seeds=[]), "non-empty"),
    ("mnist_logreg", dict(strategies="margin"), "the string 'margin'"),
    ("mnist_logreg", dict(strategies=["m"]), "unknown 'm'"),
    ("mnist_logreg", dict(experiment="tiny"), "experiment must be one of"),
    ("mnist_logreg", dict(pair="digits_cnn"), "runs the logreg model"),
    ("cifar10_cnn", dict(pair="mnist_logreg"), "runs the cnn model"),
    ("mnist_logreg", dict(jobs=0), "jobs must be a positive integer"),
    ("mnist_logreg", dict(jobs=True), "jobs must be a positive integer"),
    ("mnist_logreg", dict(query_size=2.5), "query_size must be a positive integer or None"),
    ("mnist_logreg", dict(n_iterations="250"), "the string '250'"),
    ("mnist_logreg", dict(stream_threshold=1.5), r"in \[0, 1\]"),
    ("mnist_logreg", dict(reference="yes"), "True or False"),
    ("mnist_logreg", dict(device="gpu"), "device must be one of"),
    ("mnist_logreg", dict(results_dir=""), "folder path or None"),
    ("figures", dict(pairs="mnist_logreg"), "list of names"),
    ("figures", dict(n_iterations={"nope": 3}), "every key must be a pair"),
    ("figures", dict(seeds=[1.5]), "bad: 1.5"),
])
def test_unusable_values(template, changes, message):
    with pytest.raises(ParameterError, match=message):
        check_parameters(template, namespace(template, **changes), injected=set(changes))


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
    with pytest.warns(stats.OutsideGridWarning, match="seed 44: 1"):
        summary = notebook.summarize_experiment(root, "digits_logreg", "small", strategies=["random", "margin"],
                                                seeds=[42, 43], n_iterations=3)
    assert set(summary.runs["seed"]) == {42, 43} and len(summary.meta) == 4
    assert sorted(summary.reference["seed"]) == [42, 43]
    with pytest.raises(FileNotFoundError):  # nothing at the protocol's 20 iterations
        with pytest.warns(stats.OutsideGridWarning, match=r"n_iterations 3 \(asked 20\): 5"):
            notebook.summarize_experiment(root, "digits_logreg", "small")


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
