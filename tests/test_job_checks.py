"""Tests of helpers.job.checks: the pre-checks of run_all.sh's job.
"""

from __future__ import annotations

import time

import pytest
import torch
from data_files import write_mnist

from helpers import job, results
from helpers.data import DataNotFoundError
from helpers.loop import run_and_save
from job_fixtures import smoke


def test_unreachable_scheduler_fails_the_check_with_one_message(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(job.checks, "SCHEDULER_TIMEOUT_SECONDS", 1.0)
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
    monkeypatch.setattr(job.checks, "SCHEDULER_TIMEOUT_SECONDS", 3.0)
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
