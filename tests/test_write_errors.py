"""One-line errors instead of tracebacks: a full disk, a corrupt reference, bad CIFAR class folders."""

from __future__ import annotations

import errno
import json
import os

import pytest

from helpers import grid, loop, results
from helpers.config import ProtocolConfig
from helpers.data import CIFAR10_CLASSES
from data_files import write_image_folder


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_while_writing_names_the_file_and_leaves_nothing(tmp_path, monkeypatch):
    target = tmp_path / "run" / "seed42.json"
    results.write_json(target, {"old": True})
    monkeypatch.setattr(results.os, "fsync", _disk_full)
    with pytest.raises(results.ResultsDirError) as info:
        results.write_json(target, {"new": True})
    message = str(info.value)
    assert message.startswith("no space left on the device holding") and str(target) in message
    assert "\n" not in message
    assert json.loads(target.read_text()) == {"old": True}
    assert sorted(p.name for p in target.parent.iterdir()) == ["seed42.json"]


def test_full_disk_when_probing_the_results_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(results.tempfile, "NamedTemporaryFile", _disk_full)
    with pytest.raises(results.ResultsDirError, match=f"no space left on the device holding {tmp_path}"):
        results.ensure_writable(tmp_path)


def test_other_write_errors_stay_what_they_are(tmp_path, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(results.os, "fsync", denied)
    with pytest.raises(PermissionError):
        results.write_json(tmp_path / "x.json", {})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", ["", "{\"pair\": \"digits_lo", "[1, 2]"])
def test_corrupt_reference_json_is_recomputed(digits, isolated_dirs, content):
    config = ProtocolConfig(pair="digits_logreg", experiment="small", strategy="random", seed=42)
    path = results.reference_path(config.results_root(), config.pair, config.seed)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    record = loop.run_reference(config, digits)
    assert json.loads(path.read_text()) == record and 0.5 < record["accuracy"] <= 1.0


def test_grid_command_reports_a_bad_cifar_class_folder_in_one_line(tmp_path, capsys):
    write_image_folder(tmp_path / "cifar-10-jpeg", [c for c in CIFAR10_CLASSES if c != "deer"], n_train=1, size=32)
    status = grid.main(["--pair", "cifar10_cnn", "--experiment", "small", "--strategies", "random",
                        "--seeds", "42", "--data-root", str(tmp_path), "--results-dir", str(tmp_path / "r"),
                        "--device", "cpu", "--quiet"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and "\n" not in err
    assert "missing: deer" in err and "Traceback" not in err
