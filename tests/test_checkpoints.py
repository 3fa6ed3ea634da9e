"""Tests of helpers.checkpoints: a cached pre-training gives exactly the rows of a fresh one."""


import os

import numpy as np
import pandas as pd
import pytest

from helpers import checkpoints
from helpers.config import ProtocolConfig
from helpers.loop import run_active_learning

TIMING = ["fit_seconds", "query_seconds"]


def _run(strategy="margin", seed=3, **params):
    cfg = ProtocolConfig(pair="digits_cnn", experiment="moderate", strategy=strategy, seed=seed, n_iterations=3,
                         device="cpu", model_params={"pretrain_epochs": 3, **params})
    return run_active_learning(cfg, progress=False)


def _entries(cache):
    return sorted((cache / "pretrained").glob("cnn-*.pt"))


def test_restored_pretraining_continues_exactly(isolated_dirs):
    fresh = _run()
    assert not fresh.meta["timings"]["pretrain_cached"]
    assert len(_entries(isolated_dirs["cache"])) == 1
    again = _run()
    assert again.meta["timings"]["pretrain_cached"]
    assert again.meta["timings"]["pretrain_seconds"] == fresh.meta["timings"]["pretrain_seconds"]
    pd.testing.assert_frame_equal(fresh.rows.drop(columns=TIMING), again.rows.drop(columns=TIMING))
    np.testing.assert_array_equal(fresh.queried, again.queried)
    assert fresh.meta["confusion_matrix"] == again.meta["confusion_matrix"]


def test_strategies_of_a_seed_share_it_and_other_settings_do_not(isolated_dirs):
    _run("margin")
    random_run = _run("random")
    assert random_run.meta["timings"]["pretrain_cached"]  # same seed, same initial set
    # Fine-tuning settings do not change the pre-training; the seed and the widths do.
    assert _run("margin", finetune_steps=2).meta["timings"]["pretrain_cached"]
    assert not _run("margin", seed=4).meta["timings"]["pretrain_cached"]
    assert not _run("margin", l1_channels=4).meta["timings"]["pretrain_cached"]
    assert len(_entries(isolated_dirs["cache"])) == 3


def test_a_broken_entry_is_ignored_and_rewritten(isolated_dirs):
    fresh = _run()
    (entry,) = _entries(isolated_dirs["cache"])
    entry.write_bytes(b"not a checkpoint")
    with pytest.warns(UserWarning, match="ignoring unreadable pre-training cache"):
        again = _run()
    assert not again.meta["timings"]["pretrain_cached"]
    pd.testing.assert_frame_equal(fresh.rows.drop(columns=TIMING), again.rows.drop(columns=TIMING))
    assert _run().meta["timings"]["pretrain_cached"]  # rewritten by the second run


def test_an_unwritable_cache_only_costs_the_shortcut(isolated_dirs, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("AL_CACHE_DIR", str(blocker))
    with pytest.warns(UserWarning, match="could not write the pre-training cache"):
        outcome = _run()
    assert not outcome.meta["timings"]["pretrain_cached"]


def test_key_covers_the_initial_data():
    X = np.zeros((4, 1, 2, 2), dtype=np.float32)
    y = np.arange(4)
    key = checkpoints.pretrain_key({"lr": 1e-3, "finetune_steps": 5}, 7, 1, "cpu", X, y)
    assert key == checkpoints.pretrain_key({"lr": 1e-3, "finetune_steps": 9}, 7, 1, "cpu", X, y)
    X2 = X.copy()
    X2[0, 0, 0, 0] = 1.0
    assert key != checkpoints.pretrain_key({"lr": 1e-3, "finetune_steps": 5}, 7, 1, "cpu", X2, y)
    assert key != checkpoints.pretrain_key({"lr": 1e-3, "finetune_steps": 5}, 7, 2, "cpu", X, y)
    assert key != checkpoints.pretrain_key({"lr": 1e-3, "finetune_steps": 5}, 8, 1, "cpu", X, y)


def test_cache_entry_respects_the_umask(isolated_dirs):
    previous = os.umask(0o022)
    try:
        _run()
    finally:
        os.umask(previous)
    (entry,) = _entries(isolated_dirs["cache"])
    assert os.stat(entry).st_mode & 0o777 == 0o644
