"""A cache of pre-trained CNNs, so that the strategies of one seed share one pre-training.

Every strategy of an (experiment, seed) cell starts from the same initial labelled set and
the same model initialisation, so the pre-trained network is the same for all of them; in
the CIFAR-10 ``large`` experiment (32,000 initial images, ``pretrain_epochs`` epochs) it is
the most expensive step of a run. The loop therefore stores the state right after
pre-training in :func:`helpers.paths.cache_dir` and restores it in the next run that would
compute the same thing: module weights, optimiser state, skorch history, and the random
states of torch, numpy and Python, so that fine-tuning continues exactly as after a fresh
pre-training (tested: identical rows with and without the cache).

What the key covers
-------------------
The key is a SHA-256 digest of everything pre-training depends on:

- the stored format (:data:`FORMAT`) and the protocol version
  (:data:`helpers.config.PROTOCOL_VERSION`);
- the code of the network and of its restoring: :func:`model_code_digest`, a digest of the
  bytes of ``helpers/models.py`` (the ``CNN`` module and the skorch ``FineTunedNet`` that
  trains it) and of this file (what is stored and how it is restored), computed once per
  process;
- the torch and skorch versions;
- the model parameters that act during pre-training (all but :data:`AFTER_PRETRAINING`),
  the model seed, the thread count and the device;
- the shapes, dtypes and bytes of the initial images and labels themselves (which covers
  the dataset, its normalisation, the split and the initial draw).

It does not cover other code (the loop, the data loading: their effect on pre-training
reaches it through the initial data, the parameters and the seed), numpy or Python
versions, or the CPU's instruction set.

What is stored
--------------
Tensors and primitive containers only, so an entry is read with
``torch.load(..., weights_only=True)`` and never unpickles arbitrary objects from a folder
that may be shared: the skorch history as a JSON string, numpy's random state as
``(name, int64 tensor of the key words, pos, has_gauss, cached_gaussian)``, Python's as
its tuple of integers. An entry of an older format (``FORMAT`` 1 was a pickle) has another
key and is never read. A missing, unreadable, refused or unwritable entry is only a missed
shortcut: the run pre-trains as usual (with a warning when an entry exists but is not used).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import random
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import skorch
import torch
from skorch.history import History

from helpers import paths
from helpers.config import PROTOCOL_VERSION

#: Model parameters that only act after pre-training (or not on training at all).
AFTER_PRETRAINING = frozenset({"finetune_epochs", "finetune_steps", "predict_batch_size"})

#: Bump when the stored format changes; part of every key. 2: tensors and primitives only.
FORMAT = 2

#: The files whose code defines the pre-trained network and how a stored one is restored.
MODEL_CODE_FILES = (Path(__file__).with_name("models.py"), Path(__file__))


def _digest_files(files: Iterable[str | os.PathLike]) -> str:
    digest = hashlib.sha256()
    for file in files:
        data = Path(file).read_bytes()
        # The file's name, not its folder: the same code installed elsewhere has the same key.
        digest.update(f"{Path(file).name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


@functools.lru_cache(maxsize=1)
def _own_code_digest() -> str:
    return _digest_files(MODEL_CODE_FILES)


def model_code_digest(files: Iterable[str | os.PathLike] | None = None) -> str:
    """Return a SHA-256 digest of the code that defines the pre-trained network.

    Parameters
    ----------
    files : iterable of path-like, optional
        The files to digest, in order; by default :data:`MODEL_CODE_FILES`, whose digest is
        computed once per process.

    Returns
    -------
    str
        A hex digest of each file's name, length and bytes.
    """
    return _own_code_digest() if files is None else _digest_files(files)


def pretrain_key(model_params: dict, model_seed: int, n_threads: int, device: str,
                 X_initial: np.ndarray, y_initial: np.ndarray) -> str:
    """Return the cache key of one pre-training (see the module docstring for what it covers).

    Returns
    -------
    str
        A hex SHA-256 digest; equal keys mean the same pre-training computation.
    """
    settings = {
        "format": FORMAT, "protocol_version": PROTOCOL_VERSION, "model_code": model_code_digest(),
        "torch": torch.__version__, "skorch": skorch.__version__,
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


def _json_default(value):
    # skorch records losses as Python floats; a callback may record numpy scalars.
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store a {type(value).__name__} in the skorch history")


def _numpy_state_to_tensors(state: tuple) -> tuple:
    """Return numpy's legacy random state with its key as an int64 tensor (exact)."""
    name, keys, pos, has_gauss, cached_gaussian = state
    return (str(name), torch.from_numpy(np.asarray(keys, dtype=np.int64)), int(pos), int(has_gauss),
            float(cached_gaussian))


def _numpy_state_from_tensors(stored) -> tuple:
    """Invert :func:`_numpy_state_to_tensors`."""
    name, keys, pos, has_gauss, cached_gaussian = stored
    return (str(name), keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(cached_gaussian))


def _python_state_from_stored(stored) -> tuple:
    version, internal, gauss_next = stored
    return int(version), tuple(int(word) for word in internal), None if gauss_next is None else float(gauss_next)


def save_pretrained(net, key: str, seconds: float) -> Path | None:
    """Store ``net``'s state right after pre-training, with the random states.

    Call it straight after the pre-training fit, before anything else draws random numbers.
    Everything is stored as tensors and primitive containers (see the module docstring).

    Returns
    -------
    Path or None
        The file written, or None (with a warning) when the cache cannot be written.
    """
    path = checkpoint_path(key)
    try:
        history = json.dumps(net.history.to_list(), default=_json_default)
    except (TypeError, ValueError) as exc:
        warnings.warn(f"could not write the pre-training cache {path} ({exc}); continuing without it", stacklevel=2)
        return None
    state = {
        "key": key, "seconds": float(seconds), "fit_steps": int(net.fit_steps_),
        "module": net.module_.state_dict(), "optimizer": net.optimizer_.state_dict(), "history": history,
        "torch_rng": torch.get_rng_state(), "numpy_rng": _numpy_state_to_tensors(np.random.get_state()),
        "python_rng": random.getstate(),
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

    The entry is read with ``torch.load(..., weights_only=True)``: one that needs anything
    but tensors and primitive containers is refused like an unreadable one.

    Returns
    -------
    float or None
        Seconds the stored pre-training took, or None (with a warning when an entry exists)
        when nothing usable is stored; then ``net`` and the random states are untouched.
    """
    path = checkpoint_path(key)
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if state.get("key") != key:
            raise ValueError("the file belongs to another key")
        history = History(json.loads(state["history"]))
        fit_steps, seconds = int(state["fit_steps"]), float(state["seconds"])
        numpy_rng = _numpy_state_from_tensors(state["numpy_rng"])
        python_rng = _python_state_from_stored(state["python_rng"])
        torch_rng, cuda_rng = state["torch_rng"], state["cuda_rng"]
        net.initialize()
        net.module_.load_state_dict(state["module"])
        net.optimizer_.load_state_dict(state["optimizer"])
    except Exception as exc:  # noqa: BLE001 - a broken or refused entry is only a missed shortcut
        warnings.warn(f"ignoring unreadable pre-training cache {path} ({exc}); pre-training again", stacklevel=2)
        net.initialized_ = False
        return None
    net.history = history
    net.cold_fit_, net.fit_steps_ = True, fit_steps
    torch.set_rng_state(torch_rng)
    np.random.set_state(numpy_rng)
    random.setstate(python_rng)
    if cuda_rng is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda_rng)
    return seconds
