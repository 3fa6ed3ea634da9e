"""Tests of helpers.job: the plan of run_all.sh, its checks, its estimates and progress lines."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
import time

import pytest
import torch

from helpers import job, results
from helpers.config import PAIRS
from helpers.data import DataNotFoundError
from helpers.loop import run_and_save
from helpers.notebook import ParameterError
from data_files import write_mnist


def smoke(tmp_path, **options):
    return job.plan_job("smoke", out=str(tmp_path / "out"), **options)


def test_smoke_plan_runs_both_pairs_then_the_figures(tmp_path):
    plan = smoke(tmp_path, jobs=2)
    assert [s.name for s in plan.steps] == [f"{p}_{e}" for p in ("digits_logreg", "digits_cnn")
                                            for e in ("small", "moderate", "large")] + ["figures"]
    first = plan.steps[0]
    assert first.template == "mnist_logreg" and first.parameters["seeds"] == [42, 43]
    assert first.parameters["results_dir"] == str(tmp_path / "out") and first.parameters["jobs"] == 2
    assert len(first.configs) == 10 and {c.seed for c in first.configs} == {42, 43}
    figures = plan.steps[-1].parameters
    assert figures["pairs"] == ["digits_logreg", "digits_cnn"] and figures["seeds"] == [42, 43]
    assert plan.folders["figures"] == tmp_path / "out" / "figures"


def test_only_keeps_one_pair_but_the_figures_cover_the_profile(tmp_path):
    plan = smoke(tmp_path, only="digits_cnn")
    assert plan.pairs == ["digits_cnn"] and len(plan.steps) == 4
    assert smoke(tmp_path, only="cifar10_cnn").pairs == ["digits_cnn"]  # the notebook's name works too
    assert plan.steps[-1].parameters["pairs"] == ["digits_logreg", "digits_cnn"]


def test_paper_layout_without_out():
    folders = job.PROFILES["paper"].folders(None)
    root = job.paths.REPO_ROOT
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
    assert plan.parallel_runs == min(2, job.os.cpu_count()) and plan.executor_option == "--dask-local 2"
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


def test_unreachable_scheduler_fails_the_check_with_one_message(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(job, "SCHEDULER_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr("helpers.datacheck.exit_on_sigterm", lambda: None)
    port = _free_port()
    plan_file = tmp_path / "plan.tsv"
    args = ["check", "--profile", "smoke", "--only", "digits_logreg", "--out", str(tmp_path / "o"),
            "--scheduler", f"tcp://127.0.0.1:{port}", "--plan", str(plan_file), "--prog", "run_all.sh"]
    assert job.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"run_all.sh: --scheduler tcp://127.0.0.1:{port}: cannot reach the Dask scheduler")
    assert err.count("\n") == 1 and not plan_file.exists() and not (tmp_path / "o").exists()
    with pytest.raises(job.JobError, match="missing port number"):
        job.check_scheduler("no-port-here", timeout=1.0)


@pytest.mark.parametrize("service", ["silent_service", "ssh_banner_service"])
def test_wrong_service_at_the_scheduler_address_is_one_line_in_bounded_time(service, request, tmp_path, capsys,
                                                                            monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(job, "SCHEDULER_TIMEOUT_SECONDS", 3.0)
    monkeypatch.setattr("helpers.datacheck.exit_on_sigterm", lambda: None)
    address = request.getfixturevalue(service)
    plan_file = tmp_path / "plan.tsv"
    args = ["check", "--profile", "smoke", "--only", "digits_logreg", "--out", str(tmp_path / "o"),
            "--scheduler", address, "--plan", str(plan_file), "--prog", "run_all.sh"]
    t0 = time.monotonic()
    assert job.main(args) == 2
    assert time.monotonic() - t0 < 20
    err = capsys.readouterr().err
    assert err.startswith(f"run_all.sh: --scheduler {address}: a service answered at {address} but it is not a "
                          f"Dask scheduler")
    assert err.count("\n") == 1 and "Traceback" not in err and not plan_file.exists()


def test_scheduler_check_counts_the_workers_and_the_plan_says_where_runs_go(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty:
        with pytest.raises(job.JobError, match="has no workers"):
            job.check_scheduler(empty.scheduler_address, timeout=5)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        plan = smoke(tmp_path, only="digits_logreg", scheduler=cluster.scheduler_address)
        checks = job.check_job(plan, download=False)
    assert plan.workers == 2 and plan.parallel_runs == 2
    text = job.describe(plan, checks)
    assert f"runs execute on the Dask cluster at {cluster.scheduler_address} (2 worker(s) now; --scheduler)" in text
    assert f"every worker must see {tmp_path / 'out'} at the same path" in text
    assert f"with --scheduler {cluster.scheduler_address}" in text and "Dask scheduler, data" in text


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_out_that_is_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(job.JobError, match="is a file"):
        job.plan_job("smoke", out=str(tmp_path / "file"))


def test_template_parameters_are_checked(monkeypatch, tmp_path):
    real = job.template_defaults
    monkeypatch.setattr(job, "template_defaults",
                        lambda t: {**real(t), "strategies": "margin"} if t != "figures" else real(t))
    with pytest.raises(ParameterError, match="strategies must be a list"):
        smoke(tmp_path)


def test_check_writes_nothing_and_counts_finished_runs(tmp_path):
    plan = smoke(tmp_path, only="digits_logreg")
    config = plan.steps[0].configs[0]
    checks = job.check_job(plan, download=False)
    assert not (tmp_path / "out").exists()
    assert [(c.pair, c.finished, c.total, c.references_finished, c.references) for c in checks] == [
        ("digits_logreg", 0, 30, 0, 2)]
    run_and_save(config.replace(results_dir=str(tmp_path / "out")), progress=False)
    assert job.check_job(plan, download=False)[0].finished == 1
    text = job.describe(plan, job.check_job(plan, download=False))
    assert "30 runs: 1 already finished, 29 to run" in text
    assert "experiments small, moderate, large" in text and "seeds 42, 43" in text
    assert "expected wall time: about" in text and "on an otherwise idle machine" in text


def test_check_counts_a_cut_short_csv_as_to_be_redone(tmp_path):
    plan = smoke(tmp_path, only="digits_logreg")
    config = plan.steps[0].configs[0].replace(results_dir=str(tmp_path / "out"))
    run_and_save(config, progress=False)
    csv_path = results.config_stem(config).with_suffix(".csv")
    csv_path.write_text(csv_path.read_text()[:-40])
    check, = job.check_job(plan, download=False)
    assert (check.finished, check.damaged) == (0, 1)
    text = job.describe(plan, [check])
    assert "30 runs: 0 already finished, 30 to run (1 with a cut-short or disagreeing CSV, redone)" in text


def test_the_figures_notebook_has_its_own_measured_cost(tmp_path):
    plan = smoke(tmp_path, only="digits_logreg")
    figures, = [s for s in plan.steps if s.template == "figures"]
    assert job.notebook_seconds(figures) == job.FIGURES_NOTEBOOK_SECONDS > job.NOTEBOOK_SECONDS
    assert job.notebook_seconds(plan.steps[0]) == job.NOTEBOOK_SECONDS
    seconds, _ = job.estimate_seconds(plan, [], {})
    assert seconds == pytest.approx(3 * job.NOTEBOOK_SECONDS + job.FIGURES_NOTEBOOK_SECONDS)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_a_gpu_fails_before_the_data(tmp_path):
    plan = job.plan_job("paper", only="cifar10_cnn", device="cuda", data_root=str(tmp_path), out=str(tmp_path / "o"))
    with pytest.raises(job.JobError, match="--device cuda asks for a GPU"):
        job.check_job(plan, download=False)


def test_output_folder_blocked_by_a_file(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notebooks").write_text("not a folder")
    with pytest.raises(job.JobError, match="notebooks folder .* is a file"):
        job.check_job(smoke(tmp_path), download=False)
    (tmp_path / "out" / "notebooks").unlink()
    (tmp_path / "out" / "digits_cnn").write_text("not a folder")
    with pytest.raises(job.JobError, match="digits_cnn results folder"):
        job.check_job(smoke(tmp_path), download=False)


def test_missing_data_stops_the_check(tmp_path):
    plan = job.plan_job("paper", only="mnist_logreg", data_root=str(tmp_path), out=str(tmp_path / "o"))
    with pytest.raises(DataNotFoundError, match="pair mnist_logreg needs MNIST"):
        job.check_job(plan, download=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_splits_that_do_not_fit_are_reported(tmp_path):
    write_mnist(tmp_path)  # 20 training images: no room for one per class in a stratified pool
    plan = job.plan_job("paper", only="mnist_logreg", data_root=str(tmp_path), out=str(tmp_path / "o"))
    with pytest.raises(job.JobError, match="pair mnist_logreg, experiment small, seed 42"):
        job.check_job(plan, download=False)


def test_every_paper_run_has_a_measured_cost(tmp_path):
    plan = job.plan_job("paper", jobs=2, data_root=str(tmp_path), out=str(tmp_path / "o"))
    seconds, unknown = job.estimate_seconds(plan, plan.run_configs, {"mnist_logreg": 20, "cifar10_cnn": 5})
    assert unknown == [] and seconds > 0


def test_estimate_uses_the_table_and_names_unmeasured_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(job, "RUN_SECONDS", {k: v for k, v in job.RUN_SECONDS.items() if k[0] != "cifar10_cnn"})
    monkeypatch.setattr(job, "REFERENCE_SECONDS", {"mnist_logreg": 2.2})
    plan = job.plan_job("paper", jobs=2, data_root=str(tmp_path), out=str(tmp_path / "o"))
    seconds, unknown = job.estimate_seconds(plan, plan.run_configs, {"mnist_logreg": 5, "cifar10_cnn": 5})
    mnist = [c for c in plan.run_configs if c.pair == "mnist_logreg"]
    expected = (job.NOTEBOOK_SECONDS * 6 + job.FIGURES_NOTEBOOK_SECONDS + 5 * job.REFERENCE_SECONDS["mnist_logreg"]
                + sum(job.run_seconds(c) for c in mnist) / min(2, job.os.cpu_count()))
    assert seconds == pytest.approx(expected)
    assert len(unknown) == 3 * 5 * len(job.PAIRS["cifar10_cnn"].seeds) and {c.pair for c in unknown} == {"cifar10_cnn"}
    assert job.run_seconds(mnist[0].replace(n_iterations=125)) == pytest.approx(job.run_seconds(mnist[0]) / 2)


def test_plan_file_round_trip_with_awkward_paths(tmp_path):
    out = tmp_path / "it's a \"folder\" with spaces"
    plan = job.plan_job("smoke", out=str(out))
    path = tmp_path / "plan.tsv"
    job.write_plan(plan, path)
    folders, steps = job.read_plan(path)
    assert folders == plan.folders
    assert [(s.name, s.template, s.parameters) for s in steps] == [(s.name, s.template, s.parameters) for s in plan.steps]
    assert [len(s.configs) for s in steps] == [len(s.configs) for s in plan.steps]
    line = path.read_text().splitlines()[-1].split("\t")
    assert json.loads(line[3])["results_dir"] == str(out)


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
    monkeypatch.setattr(job, "RUN_SECONDS", {})
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


def test_last_error_command(tmp_path, capsys):
    log = tmp_path / "x.log"
    log.write_text("FileExistsError: [Errno 17] File exists: '/r/it's here'\n")
    assert job.main(["last-error", str(log)]) == 0
    assert capsys.readouterr().out.strip() == "FileExistsError: [Errno 17] File exists: '/r/it's here'"
    assert job.main(["last-error", str(tmp_path / "none.log")]) == 2


def test_check_command_writes_the_plan_only_when_every_check_passed(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("helpers.datacheck.exit_on_sigterm", lambda: None)
    plan_file = tmp_path / "plan.tsv"
    args = ["check", "--profile", "paper", "--only", "mnist_logreg", "--data-root", str(tmp_path),
            "--out", str(tmp_path / "o"), "--no-download", "--plan", str(plan_file), "--prog", "run_all.sh"]
    assert job.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("run_all.sh: pair mnist_logreg needs MNIST") and err.count("\n") == 1
    assert not plan_file.exists()
    args = ["check", "--profile", "smoke", "--out", str(tmp_path / "o"), "--plan", str(plan_file)]
    assert job.main(args) == 0
    assert "every check passed" in capsys.readouterr().out
    assert plan_file.read_text().count("\nnotebook\t") == 7
    assert not (tmp_path / "o").exists()


def test_pairs_of_profiles_exist():
    for profile in job.PROFILES.values():
        for template, pair in profile.pairs:
            assert pair in PAIRS and (job.paths.NOTEBOOKS_DIR / f"{template}.ipynb").exists()


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
