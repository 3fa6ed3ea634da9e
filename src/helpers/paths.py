"""The one place that knows the project's directories.

Every module asks here instead of building paths itself, so a setting such as
``AL_DATA_DIR`` has exactly one meaning everywhere.

Environment settings
--------------------
``AL_DATA_DIR``
    Root of the datasets (default ``<repo>/data``). MNIST is read from
    ``<root>/MNIST/raw``; CIFAR-10 from ``<root>/cifar-10-batches-py`` or from an
    image-folder copy in ``<root>/cifar-10-jpeg``.
``AL_RESULTS_DIR``
    Root of the result files (default ``<repo>/results``).
``AL_CACHE_DIR``
    Where decoded dataset arrays are cached (default ``<repo>/.cache``).
"""

from __future__ import annotations

import os
from pathlib import Path

#: Repository root (``src/helpers/paths.py`` -> three levels up).
REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
FIGURES_DIR = REPO_ROOT / "figures"
PAPER_DIR = REPO_ROOT / "paper"
PAPER_GENERATED_DIR = PAPER_DIR / "generated"


def _from_env(name: str, default: Path) -> Path:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else default


def data_dir() -> Path:
    """Return the dataset root: ``$AL_DATA_DIR`` or ``<repo>/data``."""
    return _from_env("AL_DATA_DIR", REPO_ROOT / "data")


def results_dir() -> Path:
    """Return the results root: ``$AL_RESULTS_DIR`` or ``<repo>/results``."""
    return _from_env("AL_RESULTS_DIR", REPO_ROOT / "results")


def cache_dir() -> Path:
    """Return the cache root for decoded arrays: ``$AL_CACHE_DIR`` or ``<repo>/.cache``."""
    return _from_env("AL_CACHE_DIR", REPO_ROOT / ".cache")


def current_umask() -> int:
    """Return this process's file-creation mask without changing it for longer than a moment.

    Returns
    -------
    int
        The umask (``0o022`` on most systems), read from ``/proc/self/status`` where Linux
        offers it, else by setting and restoring it.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def replace_keeping_umask(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Give a temporary file the mode a new file would get, then rename it over ``path``.

    ``tempfile.mkstemp`` creates files readable by their owner only (0600); results,
    tables and caches are meant for everyone the umask lets read them (0644 under the
    usual umask 022), as a file opened with ``open(path, "w")`` would be.

    Returns
    -------
    None
    """
    os.chmod(tmp, 0o666 & ~current_umask())
    os.replace(tmp, path)
