"""The on-disk layout of results, written atomically so interrupted runs leave no traces.

Layout under the results root (:func:`helpers.paths.results_dir` unless configured)::

    <pair>/<experiment>/<strategy>/seed<k>.csv   one row per evaluation (COLUMNS)
    <pair>/<experiment>/<strategy>/seed<k>.json  configuration, versions, git revision,
                                                 device, timings, final confusion matrix
    <pair>/reference/seed<k>.json                model trained on the whole pool

A run is finished when its JSON exists, holds ``"complete": true``, the same configuration,
the current :data:`helpers.config.PROTOCOL_VERSION` and, when the caller knows the data, the
same dataset identity (variant and content digest, :attr:`helpers.data.Dataset.identity`),
and its CSV is whole and agrees with it (row count, last iteration, labels); the JSON is
written after the CSV, so it doubles as the completion mark. A finished JSON beside a
missing, truncated or disagreeing CSV is *damaged* and recomputed. One results tree never
mixes data variants: :func:`check_dataset_identity` refuses to add runs on other data to a
pair whose stored runs name another identity. JSONs hold no absolute path: the
configuration is stored without its location fields and the dataset's source names the
data root as ``<data root>``. A finished run of another protocol version is
*stale*: it was computed by code that computes something else, so it is neither skipped
nor summarised, and the grid recomputes it.
"""

from __future__ import annotations

import errno
import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from helpers import paths, provenance
from helpers.config import PROTOCOL_VERSION

#: Columns of a run's CSV, in order.
COLUMNS = [
    "pair", "experiment", "strategy", "seed", "iteration", "n_labeled", "frac_labeled", "n_queried",
    "accuracy", "macro_f1", "train_accuracy", "fit_seconds", "query_seconds", "fit_steps", "cold_refit",
    "n_inspected", "n_fallback",
    "top_class", "top_class_share",
    "theta", "budget_rate", "n_discarded_budget", "n_discarded_confidence", "labeled_uncertainty_percentile",
]
#: Columns appended to :data:`COLUMNS` after runs had been committed without them. They record
#: more of what a run computes, never something else, so they leave the protocol version as it
#: was: a finished run that lacks them stays complete, and loaders fill them with NaN.
ADDED_COLUMNS = [
    "top_class", "top_class_share",
    "theta", "budget_rate", "n_discarded_budget", "n_discarded_confidence", "labeled_uncertainty_percentile",
]
#: Columns that depend on the machine's speed and are ignored when comparing runs.
TIMING_COLUMNS = ["fit_seconds", "query_seconds"]


#: Name prefix of the writability probes of :func:`ensure_writable` (then the writer's pid and ``-``).
PROBE_PREFIX = ".probe-"


class ResultsDirError(OSError):
    """The results directory cannot be created or written."""


class DatasetMismatchError(ValueError):
    """A results tree holds runs computed on other data than the data at hand."""


def run_stem(results_root: Path, pair: str, experiment: str, strategy: str, seed: int) -> Path:
    """Return ``<root>/<pair>/<experiment>/<strategy>/seed<k>`` (add ``.csv`` / ``.json``)."""
    return Path(results_root) / pair / experiment / strategy / f"seed{seed}"


def config_stem(config) -> Path:
    """Return :func:`run_stem` for a :class:`helpers.config.ProtocolConfig`."""
    return run_stem(config.results_root(), config.pair, config.experiment, config.strategy, config.seed)


def reference_path(results_root: Path, pair: str, seed: int) -> Path:
    """Return ``<root>/<pair>/reference/seed<k>.json``."""
    return Path(results_root) / pair / "reference" / f"seed{seed}.json"


#: errno values of a full disk or an exhausted quota.
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def _no_space(path: Path, err: OSError) -> ResultsDirError:
    return ResultsDirError(f"no space left on the device holding {path} ({err.strerror}); free some space "
                           f"and run again (finished runs are kept)")


def ensure_writable(directory: Path) -> Path:
    """Create ``directory`` if needed and prove it writable with a probe file.

    Returns
    -------
    Path
        The directory.

    Raises
    ------
    ResultsDirError
        With the path and the operating-system reason (a full disk is named as such).
    """
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # The pid in the name lets a worker ended mid-probe remove its own probe (executors).
        with tempfile.NamedTemporaryFile(dir=directory, prefix=f"{PROBE_PREFIX}{os.getpid()}-"):
            pass
    except OSError as err:
        if err.errno in _DISK_FULL:
            raise _no_space(directory, err) from None
        raise ResultsDirError(f"results directory {directory} is not writable: {err.strerror or err}") from None
    return directory


def _atomic_write(path: Path, write) -> None:
    """Write through ``write(file)`` to a temporary sibling, then rename over ``path``.

    Nothing is left behind when writing fails: ``path`` keeps its old content (or stays
    absent) and the temporary file is removed.

    Raises
    ------
    ResultsDirError
        When the disk or the quota is full; the message names ``path``.
    """
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", newline="") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        paths.replace_keeping_umask(tmp, path)
        tmp = None
    except OSError as err:
        if err.errno in _DISK_FULL:
            raise _no_space(path, err) from None
        raise
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def write_json(path: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as indented JSON atomically; return the path."""
    _atomic_write(Path(path), lambda f: json.dump(data, f, indent=1, sort_keys=False, default=_jsonable))
    return Path(path)


def write_run(config, rows: pd.DataFrame, meta: dict[str, Any]) -> tuple[Path, Path]:
    """Write a finished run's CSV, then its JSON (the completion mark).

    Returns
    -------
    (Path, Path)
        The CSV and JSON paths.
    """
    stem = config_stem(config)
    csv_path, json_path = stem.with_suffix(".csv"), stem.with_suffix(".json")
    json_path.unlink(missing_ok=True)  # a stale mark must never vouch for a new CSV
    _atomic_write(csv_path, lambda f: rows[COLUMNS].to_csv(f, index=False))
    write_json(json_path, {**meta, "config": stored_config(config), "protocol_version": PROTOCOL_VERSION,
                           "complete": True})
    return csv_path, json_path


def stored_config(config) -> dict[str, Any]:
    """Return ``config`` as stored in a run's JSON: its fields without the location fields.

    Where the data and the results lie is the user's business and would put absolute paths
    of one machine into the results; it never decides whether a run matches
    (:func:`same_protocol` ignores it).

    Returns
    -------
    dict
    """
    return _protocol(config.to_dict())


#: Config fields that say where files live, not what ran. They are ignored when matching a
#: finished run: the command line passes ``$AL_RESULTS_DIR``/``$AL_DATA_DIR`` as given (or
#: None) while the notebooks pass resolved paths, and the JSON sits inside the results
#: directory anyway.
_LOCATION_FIELDS = ("data_root", "results_dir")


def _protocol(config_dict: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config_dict.items() if k not in _LOCATION_FIELDS}


def same_protocol(stored: dict[str, Any], config) -> bool:
    """Return True when a stored configuration describes the same run as ``config``.

    Location fields are ignored. A field (or model parameter) that ``config`` has and the
    stored configuration lacks was added to the engine after that run was written; it
    matches when ``config`` holds its default, because a new setting is always introduced
    with a default that computes what the engine computed before (a change that alters
    what a run computes bumps :data:`helpers.config.PROTOCOL_VERSION` instead).

    Returns
    -------
    bool
    """
    import dataclasses

    current = _protocol(config.to_dict())
    stored = _protocol(stored)
    defaults = {f.name: f.default for f in dataclasses.fields(config) if f.default is not dataclasses.MISSING}
    if set(stored) - set(current):
        return False
    for name, value in current.items():
        if name == "model_params":
            saved = stored.get(name, {})
            if not isinstance(saved, dict) or set(saved) - set(value):
                return False
            spec_defaults = config.spec.model_params
            if any(saved.get(k, spec_defaults.get(k)) != v for k, v in value.items()):
                return False
        elif name in stored:
            if stored[name] != value:
                return False
        elif name not in defaults:
            return False
        elif value != defaults[name] and value != _resolved_default(config, name, defaults[name]):
            # A default such as "auto" resolves per pair (pool_subset is None for MNIST).
            return False
    return True


def _resolved_default(config, name: str, default: Any) -> Any:
    """The value ``config`` would hold for ``name`` had it been built with the field's default."""
    import dataclasses

    try:
        return getattr(dataclasses.replace(config, **{name: default}), name)
    except (TypeError, ValueError):
        return default


def protocol_version(meta: dict[str, Any]) -> int:
    """Return the protocol version a run's or reference's JSON was written with (1 if unrecorded)."""
    version = meta.get("protocol_version", 1)
    return version if isinstance(version, int) and not isinstance(version, bool) else 1


def reference_matches(stored: Any, config, identity: dict[str, str] | None = None) -> bool:
    """Return True when a stored reference record can stand for ``config``'s reference fit.

    Returns
    -------
    bool
        Same model parameters, same evaluation split, the current protocol version and,
        when ``identity`` is given, the same data.
    """
    return (isinstance(stored, dict) and stored.get("model_params") == dict(config.model_params)
            and stored.get("evaluation", "test") == config.evaluation
            and protocol_version(stored) == PROTOCOL_VERSION
            and (identity is None or stored_identity(stored) == identity))


def stored_identity(meta: Any) -> dict[str, str] | None:
    """Return the dataset identity a run's or reference's JSON records, or None if it has none.

    Returns
    -------
    dict or None
        ``{"variant": ..., "digest": ...}``.
    """
    dataset = meta.get("dataset") if isinstance(meta, dict) else None
    if not isinstance(dataset, dict) or not dataset.get("variant") or not dataset.get("digest"):
        return None
    return {"variant": dataset["variant"], "digest": dataset["digest"]}


def describe_identity(identity: dict[str, str] | None) -> str:
    """Return a dataset identity as ``variant (digest 1a2b3c4d5e6f)`` for messages."""
    if not identity:
        return "unrecorded data"
    return f"{identity['variant']} (digest {identity['digest'][:12]})"


def check_dataset_identity(results_root: Path, pair: str, identity: dict[str, str]) -> int:
    """Refuse to add runs on ``identity``'s data to a pair whose stored runs used other data.

    Every run and reference JSON of ``pair`` under ``results_root`` that records a dataset
    identity is compared with ``identity``; JSONs without one (written before identities
    were recorded) are not counted.

    Returns
    -------
    int
        How many stored JSONs carry the same identity.

    Raises
    ------
    DatasetMismatchError
        Naming both identities, an example file and what to do (a separate results folder).
    """
    same = 0
    for path in sorted((Path(results_root) / pair).glob("*/**/seed*.json")):
        try:
            stored = stored_identity(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
        if stored is None:
            continue
        if stored != identity:
            raise DatasetMismatchError(
                f"{Path(results_root) / pair} holds runs computed on {describe_identity(stored)} (e.g. {path}), "
                f"but the data at hand is {describe_identity(identity)}; one results tree never mixes data "
                f"variants: write these runs to another folder (--out DIR) or use the data the stored runs used"
            )
        same += 1
    return same


def run_status(config, identity: dict[str, str] | None = None) -> str:
    """Return the state of ``config``'s result files.

    Parameters
    ----------
    config : ProtocolConfig
    identity : dict, optional
        The dataset identity (:attr:`helpers.data.Dataset.identity`) the run must have been
        computed on; None to leave the data unchecked (progress watching).

    Returns
    -------
    str
        ``"complete"``: finished with the same configuration at the current protocol
        version (on the same data, when ``identity`` is given); ``"stale"``: finished with
        the same configuration by another protocol version (to be recomputed);
        ``"damaged"``: its JSON marks it finished but the CSV is missing, cut short or
        disagrees with the JSON (:func:`_files_agree`; to be recomputed); ``"missing"``:
        anything else (no files, an interrupted run, another configuration, other or
        unrecorded data, a corrupt JSON).
    """
    stem = config_stem(config)
    try:
        meta = json.loads(stem.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return "missing"
    if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict):
        return "missing"
    if identity is not None and stored_identity(meta) != identity:
        return "missing"
    same = same_protocol(meta["config"], config)
    if not (bool(meta.get("complete")) and same):
        return "missing"
    if _files_agree(stem, meta) is not None:
        return "damaged"
    return "complete" if protocol_version(meta) == PROTOCOL_VERSION else "stale"


def _files_agree(stem: Path, meta: dict[str, Any]) -> str | None:
    """Check that a finished run's CSV is whole and agrees with its JSON ``meta``.

    The CSV must end with a line break, hold the header and one row per evaluation:
    ``iterations_run + 1`` rows, the last of iteration ``iterations_run`` with
    ``n_initial + labels.obtained`` labels. Fields the JSON lacks are not compared. Only
    the CSV's text is read (no pandas), so checking a few hundred runs stays cheap.

    Returns
    -------
    str or None
        None when the files agree, else what is wrong (for messages).
    """
    try:
        text = stem.with_suffix(".csv").read_text()
    except (OSError, UnicodeDecodeError) as err:
        return f"its CSV cannot be read ({getattr(err, 'strerror', None) or err})"
    if not text.endswith("\n"):
        return "its CSV is cut short (no final line break)"
    lines = text.splitlines()
    header = lines[0].split(",") if lines else []
    if "iteration" not in header or "n_labeled" not in header:
        return "its CSV has no header"
    rows = [line.split(",") for line in lines[1:]]
    if not rows or any(len(row) != len(header) for row in rows):
        return "its CSV has no rows or a row of the wrong length"
    last = dict(zip(header, rows[-1]))
    iterations, labels, initial = meta.get("iterations_run"), meta.get("labels"), meta.get("n_initial")
    if isinstance(iterations, int):
        if len(rows) != iterations + 1:
            return f"its CSV has {len(rows)} rows where its JSON reports {iterations} iterations"
        if last["iteration"] != str(iterations):
            return f"its CSV ends at iteration {last['iteration']}, its JSON at {iterations}"
    if isinstance(labels, dict) and isinstance(labels.get("obtained"), int) and isinstance(initial, int):
        if last["n_labeled"] != str(initial + labels["obtained"]):
            return (f"its CSV ends with {last['n_labeled']} labels where its JSON reports "
                    f"{initial} initial + {labels['obtained']} obtained")
    return None


def is_complete(config, identity: dict[str, str] | None = None) -> bool:
    """Return True when ``config``'s run finished earlier with the same configuration and protocol version.

    ``identity``, when given, must also match the data the run was computed on (:func:`run_status`).
    """
    return run_status(config, identity) == "complete"


def read_run(config) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return the CSV rows and JSON metadata of a finished run."""
    stem = config_stem(config)
    return pd.read_csv(stem.with_suffix(".csv")), json.loads(stem.with_suffix(".json").read_text())


def git_revision() -> str | None:
    """Return the repository's current commit, or None outside a git checkout.

    ``-dirty`` is appended only when the code under ``src/`` differs from the commit
    (:func:`helpers.provenance.git_state`); changed results, notebooks or paper sources do
    not make a run's code dirty.
    """
    return provenance.revision_label(provenance.git_state())


def library_versions() -> dict[str, str]:
    """Return the versions of Python and of the libraries a result depends on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for dist in ("numpy", "scipy", "scikit-learn", "torch", "torchvision", "skorch", "modAL-python", "pandas"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "not installed"
    return out


def _jsonable(value):
    """Convert numpy scalars and arrays for ``json.dump``."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
