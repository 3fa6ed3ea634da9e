"""Reading the result tree: runs, run metadata and references, restricted to the asked grid.

Result layout read here (written by :mod:`helpers.results`)::

    <results_root>/<pair>/<experiment>/<strategy>/seed<k>.csv   one row per evaluation
    <results_root>/<pair>/<experiment>/<strategy>/seed<k>.json  run metadata
    <results_root>/<pair>/reference/seed<k>.json                 full-pool reference model

Other folders (for example ``<results_root>/notebooks/``) are ignored. Unfinished runs (no
JSON, a truncated CSV) and stale runs (another protocol version) are skipped with a warning.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from helpers import results
from helpers.config import PROTOCOL_VERSION
from helpers.stats.naming import RUN_KEYS

#: Columns of :func:`load_runs`' frame: the ones the loop writes.
RUN_COLUMNS = tuple(results.COLUMNS)
#: Columns a finished run's CSV may lack because it was written before they existed
#: (:data:`helpers.results.ADDED_COLUMNS`, and ``n_inspected`` of the first edition);
#: :func:`load_runs` fills them with NaN. Every other column of :data:`RUN_COLUMNS` is required.
OPTIONAL_RUN_COLUMNS = ("n_inspected", *results.ADDED_COLUMNS)

#: Columns of :func:`load_reference`'s frame.
REFERENCE_COLUMNS = ("pair", "seed", "n_train", "accuracy", "macro_f1")

_SEED_FILE = re.compile(r"^seed(\d+)\.(csv|json)$")
#: Top-level folders of the results root that never hold runs.
_IGNORED_TOP = {"notebooks"}
#: Second-level folder holding reference (full-pool) models, not an experiment.
_REFERENCE_DIR = "reference"



# --------------------------------------------------------------------------- loading
#: The fields of a run that :meth:`RunGrid.outside` compares, in its order; a reason it gives
#: starts with one of them.
_FIELDS = ("pair", "experiment", "strategy", "seed", "n_iterations")


class OutsideGridWarning(UserWarning):
    """The results folder holds runs that the asked grid does not cover; they were left out."""


@dataclass(frozen=True)
class RunGrid:
    """The runs a summary covers: the grid that was asked for, not whatever the folder holds.

    A folder can collect runs of other seeds, strategies or iteration counts (an earlier
    profile, a test from the command line). Passing a grid to :func:`load_runs`,
    :func:`load_run_meta` or :func:`load_reference` keeps only its runs and warns
    (:class:`OutsideGridWarning`) about the rest. A grid iterates over its pairs, so it can
    stand wherever a list of pairs is accepted (for example ``pairs=`` of
    :func:`helpers.figures.make_all_figures` and :func:`helpers.report.write_all`, which
    hand it on to these loaders).

    Attributes
    ----------
    pairs : tuple of str
        Model-dataset pairs.
    experiments, strategies : tuple of str, optional
        ``None`` accepts any.
    seeds : tuple of int, optional
        ``None`` accepts any.
    n_iterations : mapping of str to int, optional
        Query iterations asked per pair (a run's JSON ``config.n_iterations``); a pair
        missing from the mapping, or ``None``, accepts any.
    unreported : tuple of str
        Fields (``"experiment"``, ``"strategy"``, ``"seed"``, ``"n_iterations"``) whose
        other values the folder holds by design, such as the pair's other experiments
        beside a one-experiment summary: runs left out for one of them raise no warning.
    """

    pairs: tuple[str, ...]
    experiments: tuple[str, ...] | None = None
    strategies: tuple[str, ...] | None = None
    seeds: tuple[int, ...] | None = None
    n_iterations: Mapping[str, int] | None = None
    unreported: tuple[str, ...] = ()

    def __post_init__(self):
        if isinstance(self.pairs, str):
            raise TypeError("RunGrid.pairs must be a sequence of pair names, not one string")
        object.__setattr__(self, "pairs", tuple(self.pairs))
        for name in ("experiments", "strategies", "seeds"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise TypeError(f"RunGrid.{name} must be a sequence, not one string")
            if value is not None:
                object.__setattr__(self, name, tuple(value))
        if self.n_iterations is not None:
            object.__setattr__(self, "n_iterations", dict(self.n_iterations))
        if isinstance(self.unreported, str):
            raise TypeError("RunGrid.unreported must be a sequence of field names, not one string")
        unknown = sorted(set(self.unreported) - set(_FIELDS))
        if unknown:
            raise ValueError(f"RunGrid.unreported names unknown field(s) {unknown}; known: {list(_FIELDS)}")
        object.__setattr__(self, "unreported", tuple(self.unreported))

    def __iter__(self) -> Iterator[str]:
        return iter(self.pairs)

    def outside(self, pair: str, experiment: str, strategy: str, seed: int,
                n_iterations: int | None = None) -> str | None:
        """Say why a run is outside the grid.

        Returns
        -------
        str or None
            ``None`` for a run of the grid, else the first field that differs, e.g.
            ``"seed 47"`` or ``"n_iterations 10 (asked 250)"``. An unknown
            ``n_iterations`` (``None``) is not held against the run.
        """
        if pair not in self.pairs:
            return f"pair {pair}"
        if self.experiments is not None and experiment not in self.experiments:
            return f"experiment {experiment}"
        if self.strategies is not None and strategy not in self.strategies:
            return f"strategy {strategy}"
        if self.seeds is not None and seed not in self.seeds:
            return f"seed {seed}"
        asked = (self.n_iterations or {}).get(pair)
        if asked is not None and n_iterations is not None and n_iterations != asked:
            return f"n_iterations {n_iterations} (asked {asked})"
        return None


def _grid_of(pairs) -> RunGrid | None:
    return pairs if isinstance(pairs, RunGrid) else None


def _run_files(results_root: Path, suffix: str, pairs: Iterable[str] | None) -> list[Path]:
    """Return ``<root>/<pair>/<experiment>/<strategy>/seed<k>.<suffix>`` files, sorted."""
    root = Path(results_root)
    if not root.is_dir():
        raise FileNotFoundError(f"results root {root} does not exist")
    wanted = None if pairs is None else set(pairs)
    found = []
    for path in root.glob(f"*/*/*/seed*.{suffix}"):
        pair, experiment = path.parts[-4], path.parts[-3]
        if pair in _IGNORED_TOP or pair.startswith((".", "_")) or experiment == _REFERENCE_DIR:
            continue
        if wanted is not None and pair not in wanted:
            continue
        if _SEED_FILE.match(path.name):
            found.append(path)
    return sorted(found)


def _read_json(path: Path) -> dict | None:
    """Return a JSON file's object, or None when it is missing, unreadable or not an object."""
    try:
        meta = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _run_state(meta: dict | None) -> str:
    """Return ``"complete"``, ``"stale"`` or ``"unfinished"`` for a run's JSON content.

    :mod:`helpers.results` writes the JSON after the CSV (and removes it before
    rewriting a run), so a CSV without its JSON belongs to a run in progress. A JSON
    that does not say ``"complete": false`` is finished; it is stale when another
    :data:`helpers.config.PROTOCOL_VERSION` wrote it (1 when unrecorded).
    """
    if meta is None or meta.get("complete", True) is False:
        return "unfinished"
    return "complete" if results.protocol_version(meta) == PROTOCOL_VERSION else "stale"


def _run_key(path: Path) -> tuple[str, str, str, int]:
    """Return (pair, experiment, strategy, seed) of a run file from its path."""
    pair, experiment, strategy = path.parts[-4:-1]
    return pair, experiment, strategy, int(_SEED_FILE.match(path.name).group(1))


def _asked_iterations(meta: dict | None) -> int | None:
    config = (meta or {}).get("config")
    value = config.get("n_iterations") if isinstance(config, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _truncation(frame: pd.DataFrame, text: str, meta: dict | None) -> str | None:
    """Check a finished run's CSV against its JSON.

    Returns
    -------
    str or None
        Why the CSV does not hold the whole run (a last line cut short, fewer or more
        rows than the JSON's ``iterations_run`` + 1, iterations out of order), or None
        when it is intact or the JSON does not record ``iterations_run``.
    """
    expected = (meta or {}).get("iterations_run")
    if not isinstance(expected, int) or isinstance(expected, bool):
        return None
    lines = text.splitlines()
    if not text.endswith("\n") or (lines and len(next(csv.reader([lines[-1]]), [])) != len(frame.columns)):
        return "the last line is cut short"
    if len(frame) != expected + 1:
        return f"{len(frame)} row(s), its JSON says {expected} iteration(s) ({expected + 1} rows)"
    if "iteration" in frame.columns and list(frame["iteration"]) != list(range(expected + 1)):
        return "iterations are not 0, 1, 2, ... in order"
    return None


def _read_csv(path: Path, warn: bool = True) -> tuple[pd.DataFrame, str] | None:
    """Return a run's CSV and its text, or None (with a warning) when it cannot be parsed."""
    try:
        text = Path(path).read_text()
        return pd.read_csv(io.StringIO(text)), text
    except (OSError, ValueError) as err:  # pandas' EmptyDataError and ParserError are ValueErrors
        if warn:
            warnings.warn(f"skipping unreadable run CSV {path} ({err})", stacklevel=4)
        return None


def _skip_warning(paths: list[Path], what: str) -> None:
    warnings.warn(f"skipping {len(paths)} {what}, e.g. {paths[0]}", stacklevel=3)


def _outside_warning(results_root, reasons: dict[str, list[Path]], what: str) -> None:
    """Warn once, listing by reason the runs (or references) left out as outside the grid."""
    if not reasons:
        return
    total = sum(len(paths) for paths in reasons.values())
    listed = "; ".join(f"{reason}: {len(paths)}" for reason, paths in sorted(reasons.items()))
    warnings.warn(f"{results_root} holds {total} {what} outside the asked grid, left out of this summary "
                  f"({listed})", OutsideGridWarning, stacklevel=3)


def load_runs(results_root: str | Path, pairs: Iterable[str] | RunGrid | None = None,
              complete_only: bool = True) -> pd.DataFrame:
    """Concatenate every per-run CSV under ``results_root`` (of the asked grid).

    Parameters
    ----------
    results_root
        Root of the result tree (usually :func:`helpers.paths.results_dir`).
    pairs
        Restrict to these model-dataset pairs; a :class:`RunGrid` also restricts
        experiments, strategies, seeds and iteration counts, and warns
        (:class:`OutsideGridWarning`) about the runs it leaves out. ``None`` loads all.
    complete_only
        Skip (with a warning) CSVs of unfinished runs (no readable sibling JSON, or a
        JSON with ``"complete": false``), of stale runs (written by another protocol
        version), and truncated CSVs (fewer or more rows than the JSON's
        ``iterations_run`` + 1, or a last line cut short), so a summary never mixes
        results of different engine versions or counts half a run.

    Returns
    -------
    pandas.DataFrame
        One row per evaluation with the columns of :data:`RUN_COLUMNS`, sorted by
        pair, experiment, strategy, seed and iteration. ``pair``, ``experiment`` and
        ``strategy`` come from the folder names when the CSV lacks them.

    Raises
    ------
    FileNotFoundError
        If the root does not exist or holds no run CSV (for the requested pairs).
    ValueError
        If a CSV lacks a required column.
    """
    grid = _grid_of(pairs)
    files = _run_files(Path(results_root), "csv", pairs)
    skipped: dict[str, list[Path]] = {"unfinished": [], "stale": [], "truncated": []}
    outside: dict[str, list[Path]] = {}
    frames = []
    for path in files:
        meta = _read_json(path.with_suffix(".json"))
        if grid is not None:
            reason = grid.outside(*_run_key(path), _asked_iterations(meta))
            if reason is not None:
                if reason.split(" ", 1)[0] not in grid.unreported:
                    outside.setdefault(reason, []).append(path)
                continue
        state = _run_state(meta)
        if complete_only and state != "complete":
            skipped[state].append(path)
            continue
        read = _read_csv(path)
        if read is None:
            continue
        frame, text = read
        if complete_only and _truncation(frame, text, meta) is not None:
            skipped["truncated"].append(path)
            continue
        if frame.empty:
            continue  # a run that has not evaluated anything yet
        frame = frame.copy()
        for key, value in zip(("pair", "experiment", "strategy"), path.parts[-4:-1]):
            if key not in frame.columns:
                frame[key] = value
        if "seed" not in frame.columns:
            frame["seed"] = int(_SEED_FILE.match(path.name).group(1))
        for column in OPTIONAL_RUN_COLUMNS:
            if column not in frame.columns:
                frame[column] = np.nan
        missing = [c for c in RUN_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"{path} lacks column(s) {missing}")
        frames.append(frame)
    for kind, what in (("unfinished", "unfinished run(s) without a complete JSON"),
                       ("stale", f"stale run(s) of another protocol version than {PROTOCOL_VERSION}"),
                       ("truncated", "truncated run CSV(s) whose rows do not match their JSON (redo those runs)")):
        if skipped[kind]:
            _skip_warning(skipped[kind], what)
    _outside_warning(results_root, outside, "run(s)")
    if not frames:
        which = "" if pairs is None else f" for pairs {sorted(set(pairs))}"
        raise FileNotFoundError(
            f"no run CSV (<pair>/<experiment>/<strategy>/seed<k>.csv) under {results_root}{which}"
        )
    df = pd.concat(frames, ignore_index=True)
    df["seed"] = df["seed"].astype(int)
    for column in OPTIONAL_RUN_COLUMNS:
        df[column] = pd.to_numeric(df[column], errors="coerce")
    return df.sort_values(RUN_KEYS + ["iteration"], kind="stable").reset_index(drop=True)


def runs_with_column(runs: pd.DataFrame, column: str) -> int:
    """Count the runs of a :func:`load_runs` frame that carry ``column``.

    A run carries a column when at least one of its rows holds a value (not NaN). Runs
    written before the column existed hold NaN in every row (:func:`load_runs` fills
    :data:`OPTIONAL_RUN_COLUMNS`), and so do runs of strategies the column does not apply
    to (the one-pass stream's columns in a pool strategy's run), so a summary of a column
    can say over how many runs it was computed.

    Parameters
    ----------
    runs : DataFrame
        Rows of :func:`load_runs` (or a subset of them), with the :data:`RUN_KEYS` columns.
    column : str
        One of :data:`RUN_COLUMNS`.

    Returns
    -------
    int
        The number of distinct (pair, experiment, strategy, seed) runs carrying ``column``;
        0 when the frame is empty or lacks the column.
    """
    if column not in runs.columns or runs.empty:
        return 0
    held = runs.loc[runs[column].notna(), RUN_KEYS]
    return int(len(held.drop_duplicates()))


def load_run_meta(results_root: str | Path, pairs: Iterable[str] | RunGrid | None = None) -> list[dict]:
    """Read every per-run JSON under ``results_root`` (of the asked grid).

    Parameters
    ----------
    results_root
        Root of the result tree.
    pairs
        Restrict to these pairs, or to a :class:`RunGrid`; ``None`` loads all.

    Returns
    -------
    list of dict
        The JSON contents, each extended with ``pair``, ``experiment``, ``strategy``
        and ``seed`` (from ``config``, else from the path) when absent at top level,
        ``json_path`` and ``csv_path`` (str; the sibling CSV, which may not exist).
        Stale JSONs and unreadable ones are skipped with a warning; runs outside the
        grid and runs whose CSV is truncated are left out silently, as :func:`load_runs`
        leaves them out and warns about them. Empty when there are no JSON files.
    """
    grid = _grid_of(pairs)
    try:
        files = _run_files(Path(results_root), "json", pairs)
    except FileNotFoundError:
        return []
    stale, unreadable = [], []
    metas = []
    for path in files:
        meta = _read_json(path)
        if meta is None:
            unreadable.append(path)
            continue
        if grid is not None and grid.outside(*_run_key(path), _asked_iterations(meta)) is not None:
            continue
        if _run_state(meta) == "stale":
            stale.append(path)
            continue
        csv_path = path.with_suffix(".csv")
        if csv_path.exists() and isinstance(meta.get("iterations_run"), int):
            read = _read_csv(csv_path, warn=False)
            if read is None or _truncation(*read, meta) is not None:
                continue
        config = meta.get("config") or {}
        from_path = dict(zip(("pair", "experiment", "strategy", "seed"), _run_key(path)))
        for key, value in from_path.items():
            meta.setdefault(key, config.get(key, value))
        meta["json_path"] = str(path)
        meta["csv_path"] = str(csv_path)
        metas.append(meta)
    if stale:
        _skip_warning(stale, f"stale run JSON(s) of another protocol version than {PROTOCOL_VERSION}")
    if unreadable:
        _skip_warning(unreadable, "unreadable run JSON(s) (their runs are redone by the next grid)")
    return metas


def load_reference(results_root: str | Path, pairs: Iterable[str] | RunGrid | None = None) -> pd.DataFrame:
    """Read the full-pool reference results ``<root>/<pair>/reference/seed<k>.json``.

    Parameters
    ----------
    results_root
        Root of the result tree.
    pairs
        Restrict to these pairs; a :class:`RunGrid` also restricts the seeds and warns
        about the references it leaves out. ``None`` loads all.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, seed) with at least :data:`REFERENCE_COLUMNS`; an empty
        frame with those columns when there is no reference file. Stale and unreadable
        files are skipped with a warning (the grid recomputes them).
    """
    root = Path(results_root)
    grid = _grid_of(pairs)
    wanted = None if pairs is None else set(pairs)
    rows, stale, unreadable = [], [], []
    outside: dict[str, list[Path]] = {}
    if root.is_dir():
        for path in sorted(root.glob(f"*/{_REFERENCE_DIR}/seed*.json")):
            pair = path.parts[-3]
            if pair in _IGNORED_TOP or not _SEED_FILE.match(path.name):
                continue
            if wanted is not None and pair not in wanted:
                continue
            seed = int(_SEED_FILE.match(path.name).group(1))
            if grid is not None and grid.seeds is not None and seed not in grid.seeds:
                if "seed" not in grid.unreported:
                    outside.setdefault(f"seed {seed}", []).append(path)
                continue
            record = _read_json(path)
            if record is None:
                unreadable.append(path)
                continue
            if results.protocol_version(record) != PROTOCOL_VERSION:
                stale.append(path)
                continue
            record.setdefault("pair", pair)
            record.setdefault("seed", seed)
            rows.append(record)
    if stale:
        _skip_warning(stale, f"stale reference(s) of another protocol version than {PROTOCOL_VERSION}")
    if unreadable:
        _skip_warning(unreadable, "unreadable reference JSON(s) (the next grid recomputes them)")
    _outside_warning(results_root, outside, "reference(s)")
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("accuracy", "macro_f1") else object)
                             for c in REFERENCE_COLUMNS})
    frame = pd.DataFrame(rows)
    for col in REFERENCE_COLUMNS:
        if col not in frame.columns:
            frame[col] = np.nan
    return frame.sort_values(["pair", "seed"]).reset_index(drop=True)

