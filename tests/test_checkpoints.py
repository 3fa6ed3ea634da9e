"""Tests of helpers.checkpoints: a cached pre-training gives exactly the rows of a fresh one."""


import os
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skorch
import torch

from helpers import checkpoints, models
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


def _key(X=None, y=None):
    X = np.zeros((4, 1, 2, 2), dtype=np.float32) if X is None else X
    y = np.arange(4) if y is None else y
    return checkpoints.pretrain_key({"lr": 1e-3}, 7, 1, "cpu", X, y)


def test_code_digest_covers_the_network_and_its_restoring():
    files = [Path(f).name for f in checkpoints.MODEL_CODE_FILES]
    assert files == ["models.py", "checkpoints.py"]
    assert Path(models.__file__).resolve() == Path(checkpoints.MODEL_CODE_FILES[0]).resolve()
    source = Path(models.__file__).read_text()
    assert "class CNN(" in source and "class FineTunedNet(" in source
    assert checkpoints.model_code_digest() == checkpoints.model_code_digest(checkpoints.MODEL_CODE_FILES)


def test_changing_the_network_code_changes_the_key(tmp_path, monkeypatch):
    source = Path(models.__file__).read_text()
    assert "nn.ReLU()" in source
    changed = tmp_path / "models.py"
    changed.write_text(source.replace("nn.ReLU()", "nn.LeakyReLU()", 1))
    same = tmp_path / "same" / "models.py"
    same.parent.mkdir()
    same.write_text(source)
    own = checkpoints.MODEL_CODE_FILES[1]
    # The digest depends on the bytes (and file names), not on where the code lies.
    assert checkpoints.model_code_digest([same, own]) == checkpoints.model_code_digest()
    assert checkpoints.model_code_digest([changed, own]) != checkpoints.model_code_digest()
    key = _key()
    monkeypatch.setattr(checkpoints, "model_code_digest", lambda files=None: checkpoints._digest_files([changed, own]))
    assert _key() != key


def test_key_covers_library_versions_and_format(monkeypatch):
    key = _key()
    keys = {key}
    for module, name, value in ((skorch, "__version__", "0.0.1"), (torch, "__version__", "0.0.1"),
                                (checkpoints, "FORMAT", 1)):
        with monkeypatch.context() as patch:
            patch.setattr(module, name, value)
            keys.add(_key())
    assert len(keys) == 4
    assert _key() == key


def test_an_entry_holds_tensors_and_primitives_only(isolated_dirs):
    _run()
    (entry,) = _entries(isolated_dirs["cache"])
    state = torch.load(entry, weights_only=True)
    assert set(state) == {"key", "seconds", "fit_steps", "module", "optimizer", "history",
                          "torch_rng", "numpy_rng", "python_rng", "cuda_rng"}
    assert entry.name == f"cnn-{state['key'][:40]}.pt"
    assert isinstance(state["history"], str) and state["history"].startswith("[")
    name, keys, pos, has_gauss, cached = state["numpy_rng"]
    assert name == "MT19937" and keys.dtype == torch.int64 and keys.shape == (624,)


def test_random_states_survive_the_conversion(tmp_path):
    np.random.seed(5)
    np.random.standard_normal()  # leaves a cached Gaussian behind
    before = np.random.get_state()
    restored = checkpoints._numpy_state_from_tensors(checkpoints._numpy_state_to_tensors(before))
    assert restored[0] == before[0] and restored[2:] == before[2:]
    assert restored[1].dtype == np.uint32 and np.array_equal(restored[1], before[1])
    path = tmp_path / "python.pt"
    torch.save({"python_rng": random.getstate()}, path)
    stored = torch.load(path, weights_only=True)["python_rng"]
    assert checkpoints._python_state_from_stored(stored) == random.getstate()


class _Payload:
    """An arbitrary object: unpickling it would run code a shared cache folder should not run."""


def test_an_entry_needing_arbitrary_objects_is_refused(isolated_dirs):
    fresh = _run()
    (entry,) = _entries(isolated_dirs["cache"])
    state = torch.load(entry, weights_only=True)
    torch.save({**state, "history": _Payload()}, entry)
    with pytest.warns(UserWarning, match="ignoring unreadable pre-training cache.*[Ww]eights"):
        again = _run()
    assert not again.meta["timings"]["pretrain_cached"]
    pd.testing.assert_frame_equal(fresh.rows.drop(columns=TIMING), again.rows.drop(columns=TIMING))
    assert _run().meta["timings"]["pretrain_cached"]  # rewritten in the stored format


def test_cache_entry_respects_the_umask(isolated_dirs):
    previous = os.umask(0o022)
    try:
        _run()
    finally:
        os.umask(previous)
    (entry,) = _entries(isolated_dirs["cache"])
    assert os.stat(entry).st_mode & 0o777 == 0o644
