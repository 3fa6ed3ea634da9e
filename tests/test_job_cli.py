"""Tests of helpers.job.cli: the command line of python -m helpers.job.
"""

from __future__ import annotations

from helpers import job


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
