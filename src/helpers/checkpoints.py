"""A cache of pre-trained CNNs, so that the strategies of one seed share one pre-training.

Every strategy of an (experiment, seed) cell starts from the same initial labelled set and
the same model initialisation, so the pre-trained network is the same for all of them; in
the CIFAR-10 ``large`` experiment (32,000 initial images, ``pretrain_epochs`` epochs) it is
the most expensive step of a run. The loop therefore stores the state right after
pre-training in :func:`helpers.paths.cache_dir` and restores it in the next run that would
compute the same thing: module weights, optimiser state, skorch history, and the random
states of torch, numpy and Python, so that fine-tuning continues exactly as after a fresh
pre-training (tested: identical rows with and without the cache).

The key is a SHA-256 digest of everything pre-training depends on: the protocol version,
the model parameters that act during pre-training, the model seed, the thread count, the
device, the torch version, and the bytes of the initial images and labels themselves
(which covers the dataset, its normalisation, the split and the initial draw). A missing,
unreadable or unwritable cache is only a missed shortcut: the run pre-trains as usual.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from skorch.history import History

from helpers import paths
from helpers.config import PROTOCOL_VERSION

#: Model parameters that only act after pre-training (or not on training at all).
AFTER_PRETRAINING = frozenset({"finetune_epochs", "finetune_steps", "predict_batch_size"})

#: Bump when the stored format changes; part of every key.
FORMAT = 1


def pretrain_key(model_params: dict, model_seed: int, n_threads: int, device: str,
                 X_initial: np.ndarray, y_initial: np.ndarray) -> str:
    """Return the cache key of one pre-training.

    Returns
    -------
    str
        A hex SHA-256 digest; equal keys mean the same pre-training computation.
    """
    settings = {
        "format": FORMAT, "protocol_version": PROTOCOL_VERSION, "torch": torch.__version__,
        "model_params": {k: v for k, v in sorted(model_params.items()) if k not in AFTER_PRETRAINING},
        "model_seed": int(model_seed), "n_threads": int(n_threads), "device": device,
        "X_shape": list(X_initial.shape), "X_dtype": str(X_initial.dtype), "y_dtype": str(y_initial.dtype),
    }
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    digest.update(np.ascontiguousarray(X_initial).data)
    digest.update(np.ascontiguousarray(y_initial).data)
    return digest.hexdigest()


def checkpoint_path(key: str) -> Path:
    """Return where the pre-trained state of ``key`` is stored."""
    return paths.cache_dir() / "pretrained" / f"cnn-{key[:40]}.pt"


def save_pretrained(net, key: str, seconds: float) -> Path | None:
    """Store ``net``'s state right after pre-training, with the random states.

    Call it straight after the pre-training fit, before anything else draws random numbers.

    Returns
    -------
    Path or None
        The file written, or None (with a warning) when the cache cannot be written.
    """
    path = checkpoint_path(key)
    state = {
        "key": key, "seconds": float(seconds), "fit_steps": int(net.fit_steps_),
        "module": net.module_.state_dict(), "optimizer": net.optimizer_.state_dict(),
        "history": net.history.to_list(),
        "torch_rng": torch.get_rng_state(), "numpy_rng": np.random.get_state(), "python_rng": random.getstate(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            torch.save(state, fh)
        paths.replace_keeping_umask(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        warnings.warn(f"could not write the pre-training cache {path} ({exc}); continuing without it", stacklevel=2)
        return None
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
    return path


def load_pretrained(net, key: str) -> float | None:
    """Restore a stored pre-training into ``net`` (initialised here) and the random states.

    Returns
    -------
    float or None
        Seconds the stored pre-training took, or None when nothing usable is stored (then
        ``net`` and the random states are untouched).
    """
    path = checkpoint_path(key)
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location=net.device, weights_only=False)
        if state.get("key") != key:
            raise ValueError("the file belongs to another key")
        net.initialize()
        net.module_.load_state_dict(state["module"])
        net.optimizer_.load_state_dict(state["optimizer"])
    except Exception as exc:  # noqa: BLE001 - a broken cache entry is only a missed shortcut
        warnings.warn(f"ignoring unreadable pre-training cache {path} ({exc}); pre-training again", stacklevel=2)
        net.initialized_ = False
        return None
    net.history = History(state["history"])
    net.cold_fit_, net.fit_steps_ = True, state["fit_steps"]
    torch.set_rng_state(state["torch_rng"])
    np.random.set_state(state["numpy_rng"])
    random.setstate(state["python_rng"])
    if state["cuda_rng"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    return float(state["seconds"])
