"""Tests of helpers.job.options: the profiles, options and parameters of run_all.sh's job.
"""

from __future__ import annotations

import os

import pytest

from helpers import job, paths
from helpers.config import PAIRS
from helpers.notebook import ParameterError
from job_fixtures import smoke


def test_smoke_plan_runs_both_pairs_then_the_figures(tmp_path):
    plan = smoke(tmp_path, jobs=2)
    assert [s.name for s in plan.steps] == [f"{p}_{e}" for p in ("digits_logreg", "digits_cnn")
                                            for e in ("small", "moderate", "large")] + ["figures"]
    first = plan.steps[0]
    assert first.template == "experiment" and first.parameters["seeds"] == [42, 43]
    assert first.parameters["results_dir"] == str(tmp_path / "out") and first.parameters["jobs"] == 2
    assert len(first.configs) == 10 and {c.seed for c in first.configs} == {42, 43}
    figures = plan.steps[-1].parameters
    assert figures["pairs"] == ["digits_logreg", "digits_cnn"] and figures["seeds"] == [42, 43]
    assert plan.folders["figures"] == tmp_path / "out" / "figures"


def test_only_keeps_one_pair_but_the_figures_cover_the_profile(tmp_path):
    plan = smoke(tmp_path, only="digits_cnn")
    assert plan.pairs == ["digits_cnn"] and len(plan.steps) == 4
    assert smoke(tmp_path, only="cifar10_cnn").pairs == ["digits_cnn"]  # the study cell it stands for works too
    assert plan.steps[-1].parameters["pairs"] == ["digits_logreg", "digits_cnn"]


def test_paper_layout_without_out():
    folders = job.PROFILES["paper"].folders(None)
    root = paths.REPO_ROOT
    assert folders["results"] == root / "results" and folders["generated"] == root / "paper" / "generated"
    assert folders["logs"] == root / "results" / "notebooks" / "logs"


@pytest.mark.parametrize("options, message", [
    (dict(profile="fast"), "--profile"),
    (dict(jobs=0), "--jobs"),
    (dict(jobs=True), "--jobs"),
    (dict(device="tpu"), "--device"),
    (dict(only="nope"), "matches no pair"),
    (dict(data_root=""), "--data-root is empty"),
    (dict(out="  "), "--out is empty"),
    (dict(data_root="/does/not/exist"), "is not a folder"),
    (dict(out="a\tb"), "a tab"),
    (dict(dask_local=0), "--dask-local must be a positive integer"),
    (dict(dask_local="2"), "--dask-local must be a positive integer"),
    (dict(scheduler=""), "--scheduler needs the address"),
    (dict(scheduler="tcp://a b:1"), "--scheduler needs the address"),
    (dict(scheduler="tcp://a:1", dask_local=2), "--scheduler tcp://a:1 and --dask-local 2 exclude each other"),
    (dict(jobs=2, dask_local=2), "--jobs 2 and --dask-local 2 exclude each other"),
    (dict(jobs=2, scheduler="tcp://a:1"), "--jobs 2 and --scheduler tcp://a:1 exclude each other"),
])
def test_bad_options(options, message):
    options = {"profile": "smoke", **options}
    with pytest.raises(job.JobError, match=message):
        job.plan_job(options.pop("profile"), **options)


def test_executor_options_reach_the_experiment_notebooks(tmp_path):
    plan = smoke(tmp_path, dask_local=2)
    assert [(s.parameters["jobs"], s.parameters["scheduler"], s.parameters["dask_local"]) for s in plan.steps[:-1]] == [
        (1, None, 2)] * 6
    assert "dask_local" not in plan.steps[-1].parameters  # the figures notebook runs nothing
    assert plan.parallel_runs == min(2, os.cpu_count()) and plan.executor_option == "--dask-local 2"
    assert plan.where.startswith("on a local Dask cluster of 2 single-thread worker process(es)")
    remote = smoke(tmp_path, jobs=1, scheduler="tcp://head-node:8786")
    assert remote.steps[0].parameters["scheduler"] == "tcp://head-node:8786"
    assert remote.where == "on the Dask cluster at tcp://head-node:8786 (--scheduler)"
    remote.workers = 16
    assert remote.parallel_runs == 16  # a remote cluster is not limited by this machine's CPUs
    assert "16 worker(s) now" in remote.where
    assert smoke(tmp_path).where == "one at a time in each notebook's own process (--jobs 1)"
    path = tmp_path / "plan.tsv"
    job.write_plan(remote, path)
    assert job.read_plan_workers(path) == 16 and job.read_plan(path)[1][0].parameters["scheduler"] == remote.scheduler


def test_out_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(job.JobError, match="is a file"):
        job.plan_job("smoke", out=str(tmp_path / "file"))


def test_template_parameters_are_checked(monkeypatch, tmp_path):
    real = job.template_defaults
    monkeypatch.setattr(job.options, "template_defaults",
                        lambda t: {**real(t), "strategies": "margin"} if t != "figures" else real(t))
    with pytest.raises(ParameterError, match="strategies must be a list"):
        smoke(tmp_path)


def test_pairs_of_profiles_exist():
    assert (paths.NOTEBOOKS_DIR / f"{job.options.EXPERIMENT_TEMPLATE}.ipynb").exists()
    for profile in job.PROFILES.values():
        for cell, pair in profile.pairs:
            assert pair in PAIRS and cell in PAIRS and PAIRS[cell].model == PAIRS[pair].model


def test_the_paper_profile_runs_every_cell_of_the_study_and_the_crossed_design(tmp_path):
    plan = job.plan_job("paper", data_root=str(tmp_path), out=str(tmp_path / "o"))
    assert plan.pairs == ["mnist_logreg", "cifar10_cnn", "mnist_logreg_b250", "cifar10_logreg", "mnist_cnn"]
    assert {s.template for s in plan.steps} == {"experiment", "figures"}
    seeds = {c.pair: {c.seed for c in plan.run_configs if c.pair == c.pair} for c in plan.run_configs}
    assert {p: len({c.seed for c in plan.run_configs if c.pair == p}) for p in seeds} == {
        "mnist_logreg": 20, "cifar10_cnn": 10, "mnist_logreg_b250": 20, "cifar10_logreg": 20, "mnist_cnn": 10}
    assert job.plan_job("paper", only="mnist_cnn", data_root=str(tmp_path), out=str(tmp_path / "o")).pairs == [
        "mnist_cnn"]
