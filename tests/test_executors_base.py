"""Tests of helpers.executors.base: what a worker ended mid-run removes."""

from __future__ import annotations

import os

from helpers import results
from helpers.config import ProtocolConfig
from helpers.executors.base import remove_temp_files


def test_a_worker_removes_its_temporary_files_and_its_own_probe_only(isolated_dirs):
    config = ProtocolConfig(pair="digits_logreg", experiment="small", strategy="margin", seed=3, n_iterations=2)
    stem = results.config_stem(config)
    stem.parent.mkdir(parents=True)
    mine = [stem.parent / ".seed3.csv.abc.tmp", stem.parent / ".seed3.json.def.tmp",
            stem.parent / f"{results.PROBE_PREFIX}{os.getpid()}-xyz"]
    others = [stem.parent / ".seed4.csv.abc.tmp", stem.parent / f"{results.PROBE_PREFIX}{os.getpid() + 1}-xyz",
              stem.with_suffix(".csv")]
    for path in mine + others:
        path.write_text("")
    assert sorted(remove_temp_files(config)) == sorted(mine)
    assert all(p.exists() for p in others) and not any(p.exists() for p in mine)


def test_the_writability_probe_names_its_process(isolated_dirs, monkeypatch):
    seen = []
    real = results.tempfile.NamedTemporaryFile
    monkeypatch.setattr(results.tempfile, "NamedTemporaryFile", lambda **kw: seen.append(kw["prefix"]) or real(**kw))
    results.ensure_writable(isolated_dirs["results"] / "x")
    assert seen == [f"{results.PROBE_PREFIX}{os.getpid()}-"]
    assert list((isolated_dirs["results"] / "x").iterdir()) == []
