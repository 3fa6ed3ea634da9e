"""Tests of helpers.results: layout, atomic writes, completion marks, writability."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import results
from helpers.config import PROTOCOL_VERSION, ProtocolConfig
from helpers.results import COLUMNS, TIMING_COLUMNS, ResultsDirError


def make_config(**changes) -> ProtocolConfig:
    return ProtocolConfig(**{"pair": "digits_logreg", "experiment": "small", "strategy": "margin", "seed": 3,
                             "n_iterations": 2, **changes})


def make_rows(config, n=3) -> pd.DataFrame:
    rows = [{
        "pair": config.pair, "experiment": config.experiment, "strategy": config.strategy, "seed": config.seed,
        "iteration": i, "n_labeled": 10 + 5 * i, "frac_labeled": (10 + 5 * i) / 1077, "accuracy": 0.5 + 0.1 * i,
        "macro_f1": 0.4 + 0.1 * i, "train_accuracy": 1.0, "fit_seconds": 0.01, "query_seconds": 0.0,
        "fit_steps": 10, "n_queried": 5 * (i > 0), "cold_refit": 0, "n_inspected": np.nan, "n_fallback": np.nan,
        "top_class": 1, "top_class_share": 0.2, **{c: np.nan for c in results.ADDED_COLUMNS[2:]},
    } for i in range(n)]
    # An extra column must not reach the CSV.
    return pd.DataFrame(rows).assign(extra=1)


def leftovers(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]


def test_layout(tmp_path):
    assert results.run_stem(tmp_path, "p", "e", "s", 4) == tmp_path / "p" / "e" / "s" / "seed4"
    assert results.reference_path(tmp_path, "p", 4) == tmp_path / "p" / "reference" / "seed4.json"
    config = make_config()
    assert results.config_stem(config) == config.results_root() / "digits_logreg" / "small" / "margin" / "seed3"


def test_timing_columns_are_columns():
    assert set(TIMING_COLUMNS) <= set(COLUMNS)
    assert len(set(COLUMNS)) == len(COLUMNS)


def test_added_columns_are_appended_last():
    assert COLUMNS[-len(results.ADDED_COLUMNS):] == results.ADDED_COLUMNS
    assert {"top_class_share", "theta", "n_discarded_budget", "n_discarded_confidence"} <= set(results.ADDED_COLUMNS)


def test_a_run_written_before_the_added_columns_stays_complete():
    # A committed run's CSV lacks the added columns; resuming must neither redo nor mark it stale.
    config = make_config()
    csv_path, _ = results.write_run(config, make_rows(config), {})
    pd.read_csv(csv_path).drop(columns=results.ADDED_COLUMNS).to_csv(csv_path, index=False)
    assert results.run_status(config) == "complete" and results.is_complete(config)


def test_write_run_then_complete(isolated_dirs):
    config = make_config()
    assert not results.is_complete(config)
    csv_path, json_path = results.write_run(config, make_rows(config), {"note": "x", "array": np.arange(3)})
    assert csv_path.parent == isolated_dirs["results"] / "digits_logreg" / "small" / "margin"
    assert results.is_complete(config)
    assert leftovers(isolated_dirs["results"]) == []
    assert list(pd.read_csv(csv_path).columns) == COLUMNS
    rows, meta = results.read_run(config)
    assert list(rows.columns) == COLUMNS and len(rows) == 3
    assert meta["complete"] is True and meta["config"] == results.stored_config(config)
    assert "data_root" not in meta["config"] and "results_dir" not in meta["config"]
    assert meta["array"] == [0, 1, 2] and meta["note"] == "x"


@pytest.mark.parametrize("change", [{"n_iterations": 3}, {"stream_threshold": 0.2}, {"model_params": {"C": 1.0}}])
def test_not_complete_for_another_config(change):
    config = make_config()
    results.write_run(config, make_rows(config), {})
    assert not results.is_complete(config.replace(**change))


@pytest.mark.parametrize("version", [None, 1, PROTOCOL_VERSION + 1, "2", True])
def test_another_protocol_version_is_stale_not_complete(version):
    config = make_config()
    _, json_path = results.write_run(config, make_rows(config), {})
    assert json.loads(json_path.read_text())["protocol_version"] == PROTOCOL_VERSION
    assert results.run_status(config) == "complete"
    meta = json.loads(json_path.read_text())
    if version is None:
        del meta["protocol_version"]  # written before versioning existed: version 1
    else:
        meta["protocol_version"] = version
    json_path.write_text(json.dumps(meta))
    assert results.run_status(config) == "stale"
    assert not results.is_complete(config)


def test_fields_added_later_match_at_their_default():
    config = make_config()
    _, json_path = results.write_run(config, make_rows(config), {})
    meta = json.loads(json_path.read_text())
    # A run written before ``evaluation`` and the ``finetune`` model parameter existed.
    del meta["config"]["evaluation"]
    del meta["config"]["model_params"]["finetune"]
    json_path.write_text(json.dumps(meta))
    assert results.run_status(config) == "complete"
    assert results.run_status(config.replace(evaluation="validation")) == "missing"
    assert results.run_status(config.replace(model_params={"finetune": "cold"})) == "missing"
    # A stored field the engine no longer knows never matches.
    meta["config"]["retired_option"] = 1
    json_path.write_text(json.dumps(meta))
    assert results.run_status(config) == "missing"


def test_fields_added_later_match_when_their_default_resolves_per_pair():
    """A run written before pool_subset/train_eval_size existed stays finished ("auto" resolves to None here)."""
    config = make_config()
    assert config.pool_subset is None and config.train_eval_size is None  # "auto" for a logistic regression
    _, json_path = results.write_run(config, make_rows(config), {})
    meta = json.loads(json_path.read_text())
    del meta["config"]["pool_subset"], meta["config"]["train_eval_size"]
    json_path.write_text(json.dumps(meta))
    assert results.run_status(config) == "complete"
    assert results.run_status(config.replace(pool_subset=5)) == "missing"


def test_not_complete_when_json_missing_or_corrupt():
    config = make_config()
    _, json_path = results.write_run(config, make_rows(config), {})
    text = json_path.read_text()
    json_path.write_text(text[: len(text) // 2])  # truncated
    assert not results.is_complete(config)
    json_path.write_text("")
    assert not results.is_complete(config)
    json_path.write_text(json.dumps({**json.loads(text), "complete": False}))
    assert not results.is_complete(config)
    json_path.write_text("[1, 2]")  # valid JSON of the wrong shape
    assert not results.is_complete(config)
    json_path.unlink()
    assert not results.is_complete(config)


def test_not_complete_when_csv_missing():
    config = make_config()
    csv_path, _ = results.write_run(config, make_rows(config), {})
    csv_path.unlink()
    assert not results.is_complete(config)


def test_complete_however_the_results_dir_is_spelled(isolated_dirs, monkeypatch):
    """The CLI passes $AL_RESULTS_DIR as given (or None); the notebooks pass the resolved path."""
    root = isolated_dirs["results"]
    results.write_run(make_config(), make_rows(make_config()), {})
    assert results.is_complete(make_config(results_dir=str(root)))
    monkeypatch.chdir(root.parent)
    assert results.is_complete(make_config(results_dir=root.name))
    # Likewise the data root: $AL_DATA_DIR as given by the CLI, None in the notebooks.
    assert results.is_complete(make_config(data_root="/somewhere/data"))


def test_rewrite_removes_the_stale_mark_first():
    config = make_config()
    results.write_run(config, make_rows(config), {})
    with pytest.raises(KeyError):
        results.write_run(config, make_rows(config).drop(columns=["accuracy"]), {})
    assert not results.is_complete(config)  # the old JSON no longer vouches for anything


def test_atomic_write_failure_keeps_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "out" / "data.json"
    results.write_json(path, {"a": 1})

    class Boom(Exception):
        pass

    def fail(handle):
        handle.write("partial")
        raise Boom

    with pytest.raises(Boom):
        results._atomic_write(path, fail)
    assert json.loads(path.read_text()) == {"a": 1}
    assert sorted(p.name for p in path.parent.iterdir()) == ["data.json"]


def test_write_json_handles_numpy_and_paths(tmp_path):
    path = results.write_json(tmp_path / "x.json", {"i": np.int64(3), "f": np.float32(0.5), "a": np.eye(2),
                                                     "p": Path("/a/b")})
    assert json.loads(path.read_text()) == {"i": 3, "f": 0.5, "a": [[1.0, 0.0], [0.0, 1.0]], "p": "/a/b"}
    with pytest.raises(TypeError, match="not JSON serialisable"):
        results.write_json(tmp_path / "y.json", {"s": {1, 2}})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]


def test_ensure_writable_creates_and_leaves_no_probe(tmp_path):
    target = tmp_path / "a" / "b"
    assert results.ensure_writable(target) == target
    assert target.is_dir() and list(target.iterdir()) == []


def test_ensure_writable_under_a_regular_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ResultsDirError, match="is not writable"):
        results.ensure_writable(blocker / "results")
    with pytest.raises(ResultsDirError):
        results.ensure_writable(blocker)
    assert issubclass(ResultsDirError, OSError)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores directory permissions")
def test_ensure_writable_read_only_directory(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ResultsDirError):
            results.ensure_writable(locked)
    finally:
        locked.chmod(0o700)


def test_versions_and_revision():
    versions = results.library_versions()
    assert {"python", "numpy", "scikit-learn", "torch", "skorch", "modAL-python"} <= set(versions)
    revision = results.git_revision()
    assert revision is None or len(revision.removesuffix("-dirty")) == 40


IDENTITY = {"variant": "cifar10-jpeg", "digest": "a" * 64}
OTHER = {"variant": "cifar10-original", "digest": "b" * 64}


def test_complete_only_on_the_same_data(isolated_dirs):
    config = make_config()
    results.write_run(config, make_rows(config), {"dataset": {"name": "cifar10", **IDENTITY}})
    assert results.run_status(config, IDENTITY) == "complete"
    assert results.run_status(config) == "complete"  # data unchecked
    assert results.run_status(config, OTHER) == "missing"
    assert results.is_complete(config, IDENTITY) and not results.is_complete(config, OTHER)


def test_a_run_without_a_recorded_identity_is_redone_when_the_data_is_known(isolated_dirs):
    config = make_config()
    results.write_run(config, make_rows(config), {"dataset": {"name": "cifar10"}})
    assert results.run_status(config, IDENTITY) == "missing"


def test_identity_check_refuses_mixing_variants(isolated_dirs):
    config = make_config()
    results.write_run(config, make_rows(config), {"dataset": {"name": "cifar10", **IDENTITY}})
    results.write_run(config.replace(seed=4), make_rows(config), {"dataset": {"name": "cifar10"}})
    root = isolated_dirs["results"]
    assert results.check_dataset_identity(root, config.pair, IDENTITY) == 1
    with pytest.raises(results.DatasetMismatchError) as err:
        results.check_dataset_identity(root, config.pair, OTHER)
    message = str(err.value)
    assert "cifar10-jpeg" in message and "cifar10-original" in message and "--out" in message
    assert results.check_dataset_identity(root, "another_pair", OTHER) == 0


def test_reference_matches_the_data(isolated_dirs):
    config = make_config()
    stored = {"model_params": dict(config.model_params), "evaluation": "test", "protocol_version": PROTOCOL_VERSION,
              "dataset": {"name": "digits", **IDENTITY}}
    assert results.reference_matches(stored, config) and results.reference_matches(stored, config, IDENTITY)
    assert not results.reference_matches(stored, config, OTHER)


def test_git_revision_is_dirty_only_for_code(monkeypatch):
    from helpers import provenance

    monkeypatch.setattr(provenance, "git_state", lambda repo=None: {"revision": "abc", "src_dirty": False})
    assert results.git_revision() == "abc"
    monkeypatch.setattr(provenance, "git_state", lambda repo=None: {"revision": "abc", "src_dirty": True})
    assert results.git_revision() == "abc-dirty"
    monkeypatch.setattr(provenance, "git_state", lambda repo=None: None)
    assert results.git_revision() is None


def _finished_run(config, n_rows=3):
    meta = {"iterations_run": n_rows - 1, "n_initial": 10, "labels": {"obtained": 5 * (n_rows - 1)}}
    csv_path, json_path = results.write_run(config, make_rows(config, n_rows), meta)
    return csv_path, json_path


def test_intact_run_is_complete(isolated_dirs):
    config = make_config()
    _finished_run(config)
    assert results.run_status(config) == "complete"


@pytest.mark.parametrize("damage", ["cut_mid_line", "cut_at_line", "no_rows", "removed", "labels", "iteration"])
def test_csv_cut_short_beside_an_intact_json_is_damaged(damage, isolated_dirs):
    config = make_config()
    csv_path, _ = _finished_run(config)
    text = csv_path.read_text()
    lines = text.splitlines(keepends=True)
    if damage == "cut_mid_line":
        csv_path.write_text(text[: len(text) - 7])
    elif damage == "cut_at_line":
        csv_path.write_text("".join(lines[:-1]))
    elif damage == "no_rows":
        csv_path.write_text(lines[0])
    elif damage == "removed":
        csv_path.unlink()
    elif damage == "labels":  # the last row's n_labeled disagrees with n_initial + obtained
        csv_path.write_text(text.replace(",20,", ",21,"))
    else:  # the rows are renumbered: the last iteration disagrees with iterations_run
        csv_path.write_text("".join(lines[:-1]) + lines[-1].replace(",2,20,", ",3,20,", 1))
    assert results.run_status(config) == "damaged"
    assert not results.is_complete(config)
    assert results._files_agree(results.config_stem(config), json.loads(
        results.config_stem(config).with_suffix(".json").read_text())) is not None


def test_files_agree_without_counts_only_needs_a_whole_csv(isolated_dirs):
    config = make_config()
    results.write_run(config, make_rows(config), {"note": "older JSON without iterations_run"})
    assert results.run_status(config) == "complete"


def test_files_respect_the_umask(isolated_dirs):
    previous = os.umask(0o022)
    try:
        config = make_config()
        csv_path, json_path = results.write_run(config, make_rows(config), {"note": "x"})
        other = results.write_json(isolated_dirs["results"] / "digits_logreg" / "reference" / "seed3.json", {"a": 1})
    finally:
        os.umask(previous)
    for path in (csv_path, json_path, other):
        assert os.stat(path).st_mode & 0o777 == 0o644, path
