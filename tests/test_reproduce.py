"""Tests of helpers.reproduce: a stored run recomputed and compared, on the offline digits pair."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from helpers import reproduce, results
from helpers.config import ProtocolConfig
from helpers.loop import run_and_save


def stored_run(isolated_dirs, strategy="margin", seed=1) -> ProtocolConfig:
    config = ProtocolConfig(pair="digits_logreg", experiment="small", strategy=strategy, seed=seed, n_iterations=4)
    run_and_save(config, progress=False)
    return config


def test_a_stored_run_reproduces_identically(isolated_dirs, capsys):
    config = stored_run(isolated_dirs)
    stored_run(isolated_dirs, seed=2)
    path = results.config_stem(config).with_suffix(".json")
    report = reproduce.reproduce(path, progress=False)
    assert report["identical"] and report["first_difference"] is None and report["same_queries"]
    assert report["identity_matches"] is True
    assert report["provenance"] == []  # same machine, same code, same data
    assert report["spread"]["seeds"] == 2
    assert reproduce.main([str(path), "--quiet"]) == 0
    assert "identical" in capsys.readouterr().out


def test_a_changed_row_is_named_with_its_iteration(isolated_dirs, capsys):
    config = stored_run(isolated_dirs)
    stem = results.config_stem(config)
    rows = pd.read_csv(stem.with_suffix(".csv"))
    rows.loc[rows["iteration"] == 2, "accuracy"] += 0.01
    rows.to_csv(stem.with_suffix(".csv"), index=False)
    meta = json.loads(stem.with_suffix(".json").read_text())
    meta["provenance"]["blas"] = [{"library": "openblas", "architecture": "SkylakeX"}]
    stem.with_suffix(".json").write_text(json.dumps(meta))
    report = reproduce.reproduce(stem.with_suffix(".json"), progress=False)
    assert not report["identical"] and report["first_difference"] == 2
    assert any(line.startswith("BLAS kernel: openblas SkylakeX -> ") for line in report["provenance"])
    assert report["recomputed"]["final_accuracy"] == report["stored"]["final_accuracy"]
    assert reproduce.main([str(stem.with_suffix(".json")), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "differs" in out and "first differing iteration: 2" in out and "between-seed SD" in out


def test_compare_rows_ignores_timings_and_added_columns():
    a = pd.DataFrame({"iteration": [0, 1], "accuracy": [0.5, 0.6], "fit_seconds": [1.0, 2.0]})
    b = a.assign(fit_seconds=[9.0, 9.0], top_class_share=[0.1, 0.2])
    assert reproduce.compare_rows(a, b) is None
    assert reproduce.compare_rows(a, b.assign(accuracy=[0.5, 0.7])) == 1
    assert reproduce.compare_rows(a, b.iloc[:1]) == 1  # a row fewer


def test_provenance_differences_say_not_recorded():
    stored = {"versions": {"numpy": "1.0"}}
    current = {"versions": {"numpy": "2.0"}, "provenance": {"cpu": "X"}, "dataset": {"variant": "mnist-idx"}}
    lines = reproduce.provenance_differences(stored, current)
    assert "CPU: not recorded -> X" in lines and "numpy: 1.0 -> 2.0" in lines
    assert "data variant: not recorded -> mnist-idx" in lines


@pytest.mark.parametrize("name", ["nothing.json", "seed1.csv"])
def test_bad_input_is_one_error(tmp_path, capsys, name):
    assert reproduce.main([str(tmp_path / name), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("reproduce: error:") and len(err.strip().splitlines()) == 1


def test_adopt_completes_only_an_identical_run_and_keeps_what_it_stored(isolated_dirs, capsys):
    """An older run lacks a column added since: --adopt adds it from an identical recomputation."""
    same, changed = stored_run(isolated_dirs, seed=1), stored_run(isolated_dirs, seed=2)
    for config in (same, changed):
        stem = results.config_stem(config)
        rows = pd.read_csv(stem.with_suffix(".csv")).drop(columns=["top_class_share"])  # as an older run wrote it
        if config is changed:
            rows.loc[rows["iteration"] == 1, "accuracy"] += 0.01
        rows.to_csv(stem.with_suffix(".csv"), index=False)
    stored_meta = json.loads(results.config_stem(same).with_suffix(".json").read_text())
    before = {c.seed: results.config_stem(c).with_suffix(".csv").read_bytes() for c in (same, changed)}
    paths = [str(results.config_stem(c).with_suffix(".json")) for c in (same, changed)]
    assert reproduce.main([*paths, "--quiet", "--adopt"]) == 1  # one of them differs
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("identical; added columns written")
    assert any(line.endswith("differs") for line in out)
    adopted = pd.read_csv(results.config_stem(same).with_suffix(".csv"))
    assert "top_class_share" in adopted and adopted["top_class_share"].notna().all()
    old = pd.read_csv(io.BytesIO(before[same.seed]))
    assert reproduce.compare_rows(old, adopted) is None  # every column it had is unchanged
    assert results.config_stem(changed).with_suffix(".csv").read_bytes() == before[changed.seed]  # never replaced
    assert not list(results.config_stem(same).parent.glob("*.lock"))
    pd.testing.assert_series_equal(adopted["fit_seconds"], old["fit_seconds"])  # the original run's timings
    meta = json.loads(results.config_stem(same).with_suffix(".json").read_text())
    assert meta["complete"] and "data_root" not in meta["config"]
    assert meta["recomputed"]["added_columns"] == ["top_class_share"]
    assert meta["recomputed"]["provenance"]["cpu"] and meta["recomputed"]["git_revision"]
    assert meta["started_at"] == stored_meta["started_at"] and meta["timings"] == stored_meta["timings"]
    # Without --adopt nothing is written.
    rows = adopted.drop(columns=["top_class_share"])
    rows.to_csv(results.config_stem(same).with_suffix(".csv"), index=False)
    assert reproduce.main([paths[0], "--quiet"]) == 0
    assert "top_class_share" not in pd.read_csv(results.config_stem(same).with_suffix(".csv"))


def test_every_path_is_checked_before_the_first_recomputation(isolated_dirs, tmp_path, capsys, monkeypatch):
    config = stored_run(isolated_dirs)
    monkeypatch.setattr(reproduce, "reproduce", lambda *a, **k: pytest.fail("recomputed before checking every path"))
    good = str(results.config_stem(config).with_suffix(".json"))
    assert reproduce.main([good, str(tmp_path / "missing.json"), "--quiet"]) == 2
    assert "missing.json" in capsys.readouterr().err
