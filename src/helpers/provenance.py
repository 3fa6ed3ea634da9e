"""Where a result was computed: pinned numerical kernels, machine, code and library identity.

Two machines compute bit-identical runs only where their numerical kernels are the same.
OpenBLAS and torch pick their kernels at run time from the CPU: on a CPU with AVX-512,
OpenBLAS uses its SkylakeX kernels, on an AVX2 CPU its Haswell kernels, and the two round
differently. A logistic-regression run is a chain of 250 fits and queries, so one changed
bit early on selects other images later (the committed MNIST runs differ from iteration 8
on when recomputed with the SkylakeX kernels).

This module therefore

- pins OpenBLAS to its Haswell (AVX2) kernels by default (:data:`PINNED`): every x86-64
  CPU of the last decade runs them, and they computed the committed MNIST results. A value
  already set in the environment wins, so a user (or a machine whose administrators set it
  because other kernels fail there) can override it. OpenBLAS reads the setting once, when
  the library loads, so it must be in the environment before Python imports numpy:
  ``run_all.sh`` and the ``Makefile`` export it, and :func:`reexec_pinned` restarts a
  command-line entry point with it when it is missing;
- does *not* pin torch's CPU instruction set (the committed CNN runs were computed with its
  AVX-512 kernels; pinning would change them), but records it;
- describes the machine and the code for every run's JSON (:func:`run_provenance`).

It imports nothing of the project but :mod:`helpers.paths`, so every layer may use it.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

from helpers import paths

#: Environment settings the project pins by default (a value already set wins).
PINNED: dict[str, str] = {"OPENBLAS_CORETYPE": "Haswell"}

#: Environment settings that select numerical kernels; recorded in every run.
KERNEL_SETTINGS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY",
                   "MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR")

#: Set by :func:`reexec_pinned` in the restarted process, so it never restarts twice.
_REEXEC_MARK = "AL_PINNED_REEXEC"

#: The package whose source the code digest covers.
CODE_DIR = Path(__file__).resolve().parent


def pinned_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return a copy of ``env`` (default ``os.environ``) with the pinned settings added.

    Returns
    -------
    dict
        ``env`` plus every :data:`PINNED` setting it does not already set (an empty value
        counts as unset).
    """
    out = dict(os.environ if env is None else env)
    for name, value in PINNED.items():
        if not out.get(name):
            out[name] = value
    return out


def missing_pins(env: Mapping[str, str] | None = None) -> list[str]:
    """Return the names of the :data:`PINNED` settings that ``env`` (default ``os.environ``) lacks."""
    env = os.environ if env is None else env
    return [name for name in PINNED if not env.get(name)]


def reexec_pinned(module: str, argv: Sequence[str]) -> None:
    """Restart ``python -m module argv...`` with the pinned settings when any is missing.

    OpenBLAS reads ``OPENBLAS_CORETYPE`` only when it loads, which happened when the
    command's imports loaded numpy; setting it now would change nothing. The process is
    therefore replaced by a fresh one (same interpreter, same arguments) whose
    environment holds the pinned settings. Returns without doing anything when nothing
    is missing, when this process is already such a restart, or when
    ``AL_NO_PIN_REEXEC`` is set (tests that call ``main()`` in-process).
    """
    if not missing_pins() or os.environ.get(_REEXEC_MARK) or os.environ.get("AL_NO_PIN_REEXEC"):
        return
    env = pinned_environment()
    env[_REEXEC_MARK] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", module, *argv], env)


def kernel_settings(env: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Return the kernel-selecting environment settings (:data:`KERNEL_SETTINGS`) as set, or None."""
    env = os.environ if env is None else env
    return {name: env.get(name) or None for name in KERNEL_SETTINGS}


@lru_cache(maxsize=1)
def cpu_model() -> str:
    """Return the CPU's model name (``/proc/cpuinfo``, else :func:`platform.processor`), or ``"unknown"``."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def blas_kernels() -> list[dict[str, Any]]:
    """Return the BLAS libraries loaded in this process and the kernel each one runs.

    Returns
    -------
    list of dict
        One entry per BLAS library that :mod:`threadpoolctl` finds: ``library``
        (``openblas``, ``mkl``, ...), ``version``, ``architecture`` (the kernel, e.g.
        ``Haswell`` or ``SkylakeX``; None where the library does not say) and ``file`` (the
        library's file name, without its directory).
    """
    import numpy  # noqa: F401 - load the BLAS libraries the study uses, so they are listed
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    return [{"library": pool.get("internal_api"), "version": pool.get("version"),
             "architecture": pool.get("architecture"), "file": Path(pool.get("filepath", "")).name}
            for pool in threadpool_info() if pool.get("user_api") == "blas"]


def torch_cpu_capability() -> str | None:
    """Return the instruction set torch's CPU kernels use (e.g. ``AVX512``), or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):
        return None


def kernel_record() -> dict[str, Any]:
    """Return what decides the bits a run computes on this machine.

    Returns
    -------
    dict
        ``cpu`` (model name), ``machine`` (architecture), ``blas`` (:func:`blas_kernels`),
        ``torch_cpu_capability`` and ``settings`` (:func:`kernel_settings`).
    """
    return {"cpu": cpu_model(), "machine": platform.machine(), "blas": blas_kernels(),
            "torch_cpu_capability": torch_cpu_capability(), "settings": kernel_settings()}


def kernel_signature(record: Mapping[str, Any]) -> tuple:
    """Return the part of a :func:`kernel_record` two machines must share to compute the same bits.

    Returns
    -------
    tuple
        The BLAS kernels (library and architecture, sorted) and torch's CPU capability;
        the CPU's name and the settings are left out (two CPU models with the same kernels
        compute the same bits).
    """
    blas = tuple(sorted((str(b.get("library")), str(b.get("architecture"))) for b in record.get("blas") or []))
    return blas, record.get("torch_cpu_capability")


def code_files(root: Path | None = None) -> list[Path]:
    """Return the Python source files of the package under ``root`` (default: ``helpers``), sorted."""
    root = CODE_DIR if root is None else Path(root)
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def code_digest(root: Path | None = None) -> str:
    """Return a SHA-256 digest of the package's source code.

    Covers every ``*.py`` file under ``root`` (default: the ``helpers`` package): its path
    relative to ``root`` and its bytes. Two checkouts whose package code is the same give
    the same digest, whatever else differs (results, notebooks, paper).

    Returns
    -------
    str
        A hex digest.
    """
    root = CODE_DIR if root is None else Path(root)
    return _code_digest(root.resolve(), tuple((p, p.stat().st_mtime_ns) for p in code_files(root)))


@lru_cache(maxsize=8)
def _code_digest(root: Path, files: tuple) -> str:
    digest = hashlib.sha256()
    for path, _ in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def git_state(repo: Path | None = None) -> dict[str, Any] | None:
    """Return the repository's commit and whether its code differs from that commit.

    Returns
    -------
    dict or None
        ``revision`` (the commit) and ``src_dirty`` (True when a tracked file under
        ``src/`` differs from the commit: changed results, notebooks or paper sources do
        not count), or None outside a git checkout.
    """
    repo = paths.REPO_ROOT if repo is None else Path(repo)
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True,
                             timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "src"], cwd=repo,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"revision": rev, "src_dirty": bool(dirty)}


def revision_label(state: Mapping[str, Any] | None) -> str | None:
    """Return a :func:`git_state` as ``<commit>`` or ``<commit>-dirty`` (code under ``src/`` changed), or None."""
    if state is None:
        return None
    return state["revision"] + ("-dirty" if state["src_dirty"] else "")


def run_provenance() -> dict[str, Any]:
    """Return the provenance block of a run's JSON: kernels, machine and code.

    Returns
    -------
    dict
        :func:`kernel_record` plus ``code_digest`` (:func:`code_digest`) and ``git``
        (:func:`git_state`).
    """
    return {**kernel_record(), "code_digest": code_digest(), "git": git_state()}
