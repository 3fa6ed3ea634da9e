"""Aggregation of active-learning results and the statistics the paper reports.

Everything here is a pure function of the result files (or of the data frames
built from them): nothing is plotted or written. :mod:`helpers.figures` and
:mod:`helpers.report` build on these functions.

Result layout read here (written by :mod:`helpers.results`)::

    <results_root>/<pair>/<experiment>/<strategy>/seed<k>.csv   one row per evaluation
    <results_root>/<pair>/<experiment>/<strategy>/seed<k>.json  run metadata
    <results_root>/<pair>/reference/seed<k>.json                 full-pool reference model

Other folders (for example ``<results_root>/notebooks/``) are ignored.

Conventions
-----------
* Accuracies are fractions in [0, 1]; only the report turns them into percentages.
* Confidence intervals are two-sided t intervals over seeds (one run per seed).
* ``random`` is the reference strategy every other strategy is compared with.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from helpers import results
from helpers.config import PROTOCOL_VERSION

#: Strategy used as the baseline in every comparison.
REFERENCE_STRATEGY = "random"

#: Display order of strategies (reference first); unknown ones follow alphabetically.
STRATEGY_ORDER = ("random", "least_confident", "margin", "entropy", "stream_uncertainty", "stream_redraw")

#: Human-readable strategy names used in figures and tables.
STRATEGY_LABELS = {
    "random": "Random",
    "least_confident": "Least confident",
    "margin": "Margin",
    "entropy": "Entropy",
    "stream_uncertainty": "Stream",
    "stream_redraw": "Stream (redrawn, ablation)",
}

#: Display order of experiments (initial labelled-set size, smallest first).
EXPERIMENT_ORDER = ("small", "moderate", "large")

#: Human-readable experiment names.
EXPERIMENT_LABELS = {
    "small": "Small start (10 labels)",
    "moderate": "Moderate start (15 % of pool)",
    "large": "Large start (80 % of pool)",
}

#: Display order of model-dataset pairs.
PAIR_ORDER = ("mnist_logreg", "cifar10_cnn", "digits_logreg")

#: Human-readable model-dataset pair names.
PAIR_LABELS = {
    "mnist_logreg": "MNIST, logistic regression",
    "cifar10_cnn": "CIFAR-10, CNN",
    "digits_logreg": "Digits, logistic regression",
    "digits_cnn": "Digits, CNN",
}

#: Columns every per-evaluation CSV must contain: the ones the loop writes.
RUN_COLUMNS = tuple(results.COLUMNS)

#: Columns of :func:`load_reference`'s frame.
REFERENCE_COLUMNS = ("pair", "seed", "n_train", "accuracy", "macro_f1")

RUN_KEYS = ["pair", "experiment", "strategy", "seed"]
_GROUP_KEYS = ["pair", "experiment", "strategy"]
_SEED_FILE = re.compile(r"^seed(\d+)\.(csv|json)$")
#: Top-level folders of the results root that never hold runs.
_IGNORED_TOP = {"notebooks"}
#: Second-level folder holding reference (full-pool) models, not an experiment.
_REFERENCE_DIR = "reference"


# --------------------------------------------------------------------------- labels / ordering
def _fallback_label(name: str) -> str:
    return str(name).replace("_", " ").capitalize()


def strategy_label(name: str) -> str:
    """Return the display name of a strategy (e.g. ``"Least confident"``)."""
    return STRATEGY_LABELS.get(name, _fallback_label(name))


def experiment_label(name: str) -> str:
    """Return the display name of an experiment (e.g. ``"Small start (10 labels)"``)."""
    return EXPERIMENT_LABELS.get(name, _fallback_label(name))


def pair_label(name: str) -> str:
    """Return the display name of a model-dataset pair (e.g. ``"CIFAR-10, CNN"``)."""
    return PAIR_LABELS.get(name, name)


def _ordered(values: Iterable[str], order: Sequence[str]) -> list[str]:
    present = list(dict.fromkeys(values))
    known = [v for v in order if v in present]
    return known + sorted(v for v in present if v not in order)


def ordered_strategies(values: Iterable[str]) -> list[str]:
    """Return the distinct strategies in ``values`` in display order.

    Returns
    -------
    list of str
        :data:`STRATEGY_ORDER` first, then unknown names alphabetically.
    """
    return _ordered(values, STRATEGY_ORDER)


def ordered_experiments(values: Iterable[str]) -> list[str]:
    """Return the distinct experiments in ``values`` in display order (small, moderate, large, others)."""
    return _ordered(values, EXPERIMENT_ORDER)


def ordered_pairs(values: Iterable[str]) -> list[str]:
    """Return the distinct pairs in ``values`` in display order (:data:`PAIR_ORDER`, then others)."""
    return _ordered(values, PAIR_ORDER)


# --------------------------------------------------------------------------- loading
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
    """

    pairs: tuple[str, ...]
    experiments: tuple[str, ...] | None = None
    strategies: tuple[str, ...] | None = None
    seeds: tuple[int, ...] | None = None
    n_iterations: Mapping[str, int] | None = None

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
    version = meta.get("protocol_version", 1)
    return "complete" if version == PROTOCOL_VERSION else "stale"


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
        if "n_inspected" not in frame.columns:
            frame["n_inspected"] = np.nan
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
    df["n_inspected"] = pd.to_numeric(df["n_inspected"], errors="coerce")
    return df.sort_values(RUN_KEYS + ["iteration"], kind="stable").reset_index(drop=True)


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
                outside.setdefault(f"seed {seed}", []).append(path)
                continue
            record = _read_json(path)
            if record is None:
                unreadable.append(path)
                continue
            if record.get("protocol_version", 1) != PROTOCOL_VERSION:
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


# --------------------------------------------------------------------------- basic statistics
def mean_ci(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval over seeds.

    Parameters
    ----------
    values
        One value per seed; NaNs are dropped.
    confidence
        Coverage of the interval.

    Returns
    -------
    tuple of float
        ``(mean, lo, hi)`` with ``lo, hi = mean -/+ t_{(1+c)/2, n-1} * s / sqrt(n)``
        (``s`` the sample standard deviation). With one value ``lo = hi = mean``
        (no spread can be estimated); with none, all three are NaN.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(x.mean())
    if n == 1:
        return (mean, mean, mean)
    half = float(sps.t.ppf((1 + confidence) / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return (mean, mean - half, mean + half)


def _ci_half_width(std: np.ndarray, n: np.ndarray, confidence: float) -> np.ndarray:
    """Vectorised t half-width; 0 where n == 1, NaN where n == 0."""
    std = np.asarray(std, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = sps.t.ppf((1 + confidence) / 2, np.where(n > 1, n - 1, np.nan))
        half = q * std / np.sqrt(n)
    half = np.where(n == 1, 0.0, half)
    return np.where(n == 0, np.nan, half)


def curve_summary(df: pd.DataFrame, metric: str = "accuracy",
                  confidence: float = 0.95) -> pd.DataFrame:
    """Mean learning curve with a confidence band, per pair, experiment and strategy.

    Parameters
    ----------
    df
        Output of :func:`load_runs`.
    metric
        Column to summarise (``"accuracy"`` or ``"macro_f1"``).
    confidence
        Coverage of the t interval over seeds.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment, strategy, iteration) with ``n_labeled`` and
        ``frac_labeled`` (means over seeds; runs of one configuration share them, so
        the mean is the common value), ``mean``, ``ci_lo``, ``ci_hi`` of ``metric``
        and ``n_seeds`` (runs that reached that iteration: fewer at the tail when
        some runs stopped early).
    """
    keys = _GROUP_KEYS + ["iteration"]
    grouped = df.groupby(keys, sort=True)
    out = grouped.agg(
        n_labeled=("n_labeled", "mean"),
        frac_labeled=("frac_labeled", "mean"),
        mean=(metric, "mean"),
        std=(metric, "std"),
        n_seeds=(metric, "count"),
    ).reset_index()
    half = _ci_half_width(out["std"].to_numpy(), out["n_seeds"].to_numpy(), confidence)
    out["ci_lo"] = out["mean"] - half
    out["ci_hi"] = out["mean"] + half
    out["n_seeds"] = out["n_seeds"].astype(int)
    return out[keys + ["n_labeled", "frac_labeled", "mean", "ci_lo", "ci_hi", "n_seeds"]]


# --------------------------------------------------------------------------- curve metrics
def _clean_curve(n_labeled, accuracy) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(n_labeled, dtype=float)
    y = np.asarray(accuracy, dtype=float)
    if x.shape != y.shape:
        raise ValueError("n_labeled and accuracy must have the same length")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


def aulc(n_labeled, accuracy, normalize: bool = True) -> float:
    """Area under the learning curve (accuracy against number of labels).

    The trapezoid rule is applied over the labels axis between the first and the
    last evaluation of the run. A run that stopped early (pool exhausted) simply
    has fewer points and is integrated over the range it covers; no value is
    extrapolated.

    Parameters
    ----------
    n_labeled
        Number of labelled examples at each evaluation (any order; sorted here).
    accuracy
        Accuracy at each evaluation, as a fraction.
    normalize
        Divide the area by the label range ``max(n_labeled) - min(n_labeled)``.

    Returns
    -------
    float
        With ``normalize=True`` (default): the label-weighted mean accuracy over
        the run, a number in [0, 1] (a constant curve at ``a`` gives exactly ``a``).
        With ``normalize=False``: the raw area in accuracy x labels. A single point
        gives its accuracy (normalised) or 0.0 (raw); no valid point gives NaN.
    """
    x, y = _clean_curve(n_labeled, accuracy)
    if x.size == 0:
        return np.nan
    if x.size == 1 or x[-1] == x[0]:
        return float(y.mean()) if normalize else 0.0
    area = float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))
    return area / float(x[-1] - x[0]) if normalize else area


def labels_to_target(n_labeled, accuracy, target: float) -> float:
    """Number of labels at which a learning curve first reaches ``target``.

    Parameters
    ----------
    n_labeled, accuracy
        The learning curve (sorted by ``n_labeled`` here; NaN points dropped).
    target
        Accuracy to reach, as a fraction.

    Returns
    -------
    float
        The first point's ``n_labeled`` if the curve already starts at or above
        ``target``; otherwise the labels at which the straight line between the
        last evaluation below ``target`` and the first one at or above it crosses
        ``target``; NaN if the curve never reaches it.
    """
    x, y = _clean_curve(n_labeled, accuracy)
    hit = np.flatnonzero(y >= target)
    if hit.size == 0:
        return np.nan
    i = int(hit[0])
    if i == 0:
        return float(x[0])
    x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
    return float(x0 + (target - y0) / (y1 - y0) * (x1 - x0))


def per_run_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Summary numbers of every run.

    Parameters
    ----------
    df
        Output of :func:`load_runs`.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment, strategy, seed) with

        ``aulc``
            normalised :func:`aulc` of accuracy against ``n_labeled``;
        ``final_accuracy``, ``final_macro_f1``
            test metrics at the last evaluation;
        ``initial_accuracy``
            test accuracy at the first evaluation (after pre-training);
        ``n_labeled_initial``, ``n_labeled_final``, ``labels_acquired``
            labelled-set size at the first and last evaluation and their difference;
        ``total_inspected``
            sum of ``n_inspected`` (stream strategies): arrivals consumed by the
            one-pass stream, each inspected once (instances inspected, re-inspections
            included, by the ``stream_redraw`` ablation); NaN for pool strategies;
        ``inspected_per_label``
            ``total_inspected / labels_acquired``: arrivals consumed per label
            obtained (NaN when undefined);
        ``fallback_share``
            share of the acquired labels not chosen by the stream's threshold
            (``sum(n_fallback) / labels_acquired``): labels forced by the one-pass
            stream's deadline rule, or fill-ins of the ablation when its pool ran dry;
            NaN for pool strategies;
        ``iterations``
            number of query iterations performed (largest ``iteration``);
        ``fit_seconds``, ``query_seconds``
            total wall-clock time spent fitting and querying.
    """
    rows = []
    for key, run in df.groupby(RUN_KEYS, sort=True):
        run = run.sort_values("iteration")
        first, last = run.iloc[0], run.iloc[-1]
        inspected = run["n_inspected"].sum(min_count=1)
        fallback = run["n_fallback"].sum(min_count=1)
        acquired = float(last["n_labeled"] - first["n_labeled"])
        rows.append({
            **dict(zip(RUN_KEYS, key)),
            "aulc": aulc(run["n_labeled"], run["accuracy"]),
            "final_accuracy": float(last["accuracy"]),
            "final_macro_f1": float(last["macro_f1"]),
            "initial_accuracy": float(first["accuracy"]),
            "n_labeled_initial": int(first["n_labeled"]),
            "n_labeled_final": int(last["n_labeled"]),
            "labels_acquired": acquired,
            "total_inspected": float(inspected),
            "inspected_per_label": float(inspected) / acquired if acquired > 0 else np.nan,
            "fallback_share": float(fallback) / acquired if acquired > 0 else np.nan,
            "iterations": int(run["iteration"].max()),
            "fit_seconds": float(run["fit_seconds"].sum()),
            "query_seconds": float(run["query_seconds"].sum()),
        })
    return pd.DataFrame(rows)


def strategy_summary(per_run: pd.DataFrame,
                     metrics: Sequence[str] = ("aulc", "final_accuracy", "final_macro_f1",
                                               "initial_accuracy", "inspected_per_label",
                                               "fallback_share"),
                     confidence: float = 0.95) -> pd.DataFrame:
    """Mean and confidence interval over seeds of per-run metrics.

    Parameters
    ----------
    per_run
        Output of :func:`per_run_metrics`.
    metrics
        Columns to summarise; those absent from ``per_run`` are skipped.
    confidence
        Coverage of the t interval over seeds.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment, strategy) in display order, with
        ``<metric>_mean``, ``<metric>_ci_lo``, ``<metric>_ci_hi`` for each metric
        and ``n_seeds`` (number of runs).
    """
    rows = []
    for key, group in per_run.groupby(_GROUP_KEYS, sort=False):
        row = dict(zip(_GROUP_KEYS, key))
        for metric in metrics:
            if metric in group.columns:
                m, lo, hi = mean_ci(group[metric], confidence)
                row.update({f"{metric}_mean": m, f"{metric}_ci_lo": lo, f"{metric}_ci_hi": hi})
        row["n_seeds"] = int(group["seed"].nunique())
        rows.append(row)
    return _sort_display(pd.DataFrame(rows))


def _sort_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort a frame with pair/experiment/strategy columns in display order."""
    if frame.empty:
        return frame
    ranks = {
        "pair": {p: i for i, p in enumerate(ordered_pairs(frame["pair"]))},
        "experiment": {e: i for i, e in enumerate(ordered_experiments(frame["experiment"]))},
        "strategy": {s: i for i, s in enumerate(ordered_strategies(frame["strategy"]))},
    }
    cols = [c for c in ("pair", "experiment", "strategy") if c in frame.columns]
    return frame.sort_values(cols, key=lambda s: s.map(ranks[s.name]), kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- paired tests
def min_attainable_p(n: int) -> float:
    """Smallest two-sided p-value the exact Wilcoxon signed-rank test can give.

    With ``n`` non-zero paired differences the most extreme outcome (all of one
    sign) has probability ``2 / 2**n`` under the null. For ``n = 5`` seeds this is
    0.0625, so five seeds can never reach p < 0.05 with this test, however large
    and consistent the effect; six seeds give 0.03125.

    Returns
    -------
    float
        ``min(1, 2 / 2**n)``; NaN for ``n < 1``.
    """
    if n < 1:
        return np.nan
    return float(min(1.0, 2.0 / 2.0 ** int(n)))


def holm(pvalues) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone).

    Parameters
    ----------
    pvalues
        Raw p-values of one family; NaNs are ignored and do not count towards the
        family size.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order (NaN where the input was NaN): the
        k-th smallest of m p-values becomes ``max_{j<=k} min(1, (m - j + 1) p_(j))``.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = valid.size
    if m == 0:
        return out
    order = valid[np.argsort(p[valid], kind="stable")]
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def paired_tests(per_run: pd.DataFrame, metric: str, reference: str = REFERENCE_STRATEGY,
                 alpha: float = 0.05) -> pd.DataFrame:
    """Paired comparison of every strategy with the reference strategy.

    Runs of a strategy and of ``reference`` with the same seed (same split and
    initial labelled set) are paired. Differences are ``strategy - reference``.
    The two-sided Wilcoxon signed-rank test (:func:`scipy.stats.wilcoxon`, zero
    differences dropped, exact null distribution for small samples) is applied to
    each strategy; p-values are Holm-corrected within each (pair, experiment)
    family of comparisons.

    The exact test has a floor: with ``n`` non-zero differences no p-value below
    ``2 / 2**n`` is possible (see :func:`min_attainable_p`). With 5 seeds the floor
    is 0.0625, so **5 seeds can never give p < 0.05**; the ``min_attainable_p``
    column makes this visible next to every result. After Holm correction over
    ``m`` tests the smallest possible adjusted p is ``m`` times that floor (0.25 for
    four strategies and 5 seeds), reported as ``min_attainable_p_holm``.

    Parameters
    ----------
    per_run
        Output of :func:`per_run_metrics`.
    metric
        Column compared (e.g. ``"aulc"`` or ``"final_accuracy"``).
    reference
        Strategy the others are compared with.
    alpha
        Significance level applied to the Holm-corrected p-values.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment, strategy != reference) with ``metric``,
        ``n_pairs`` (seeds present in both), ``n_nonzero`` (non-zero differences),
        ``mean_diff`` with its t interval ``diff_ci_lo``/``diff_ci_hi``,
        ``n_better`` (pairs where the strategy beats the reference), ``statistic``
        and ``p_value`` of the test (1.0 when all differences are zero, NaN with
        fewer than 2 pairs), ``p_holm``, ``significant`` (``p_holm < alpha``),
        ``min_attainable_p`` (floor of ``p_value`` given ``n_nonzero``) and
        ``min_attainable_p_holm`` (floor of ``p_holm``: family size times
        ``min_attainable_p``).
    """
    rows = []
    for (pair, experiment), group in per_run.groupby(["pair", "experiment"], sort=False):
        ref = group[group["strategy"] == reference].set_index("seed")[metric]
        family = []
        for strategy in ordered_strategies(group["strategy"]):
            if strategy == reference:
                continue
            other = group[group["strategy"] == strategy].set_index("seed")[metric]
            joined = pd.concat([other.rename("s"), ref.rename("r")], axis=1, join="inner").dropna()
            diff = (joined["s"] - joined["r"]).to_numpy(dtype=float)
            n = diff.size
            nonzero = int(np.count_nonzero(diff))
            stat, p = np.nan, np.nan
            if n >= 2:
                if nonzero == 0:
                    p = 1.0
                else:
                    res = sps.wilcoxon(diff, zero_method="wilcox", alternative="two-sided")
                    stat, p = float(res.statistic), float(res.pvalue)
            m, lo, hi = mean_ci(diff)
            family.append({
                "pair": pair, "experiment": experiment, "strategy": strategy, "metric": metric,
                "n_pairs": n, "n_nonzero": nonzero, "mean_diff": m, "diff_ci_lo": lo,
                "diff_ci_hi": hi, "n_better": int(np.sum(diff > 0)), "statistic": stat,
                "p_value": p, "min_attainable_p": min_attainable_p(nonzero) if n >= 2 else np.nan,
            })
        adjusted = holm([r["p_value"] for r in family])
        n_tests = int(np.sum(~np.isnan([r["p_value"] for r in family])))
        for row, p_adj in zip(family, adjusted):
            row["p_holm"] = p_adj
            row["significant"] = bool(p_adj < alpha) if not np.isnan(p_adj) else False
            row["min_attainable_p_holm"] = (min(1.0, n_tests * row["min_attainable_p"])
                                            if n_tests else np.nan)
        rows.extend(family)
    columns = ["pair", "experiment", "strategy", "metric", "n_pairs", "n_nonzero", "mean_diff",
               "diff_ci_lo", "diff_ci_hi", "n_better", "statistic", "p_value", "p_holm",
               "significant", "min_attainable_p", "min_attainable_p_holm"]
    return _sort_display(pd.DataFrame(rows, columns=columns))


# --------------------------------------------------------------------------- labels to target
def labels_to_target_table(df: pd.DataFrame, target_fraction: float = 1.0,
                           reference: str = REFERENCE_STRATEGY) -> pd.DataFrame:
    """Labels each strategy needs to reach a common target accuracy, relative to random.

    Target rule (per pair and experiment): let ``a0`` be the reference strategy's
    mean accuracy at iteration 0 (after pre-training) and ``aT`` its mean accuracy
    at its last iteration. The target is ``a0 + target_fraction * (aT - a0)``; with
    the default ``target_fraction = 1.0`` it is simply random sampling's final mean
    accuracy, i.e. "how many labels does a strategy need to match what random
    sampling reaches with the whole query budget".

    Labels are counted on the mean curve over seeds (:func:`curve_summary`) with
    :func:`labels_to_target`, and expressed as *queried* labels (labels beyond the
    initial set), since the initial set is the same for every strategy and would
    otherwise swamp the ratio in the large-start experiment. Where the curves are
    nearly flat (large start) the target sits within seed noise of the starting
    accuracy, so the ratio there says little; read it with the AULC tests.

    Parameters
    ----------
    df
        Output of :func:`load_runs`.
    target_fraction
        Fraction of random sampling's accuracy gain that defines the target.
    reference
        Strategy defining the target and the denominator of the ratio.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, experiment, strategy) with ``target_accuracy``,
        ``target_fraction``, ``labels_total`` (interpolated ``n_labeled`` at which the
        mean curve reaches the target), ``labels_queried`` (``labels_total`` minus the
        initial labelled-set size), ``reference_labels_queried``, ``ratio``
        (``labels_queried / reference_labels_queried``; < 1 means fewer labels than
        random; NaN when not reached or when random needed no query) and ``reached``.
        Pairs and experiments without reference runs are skipped.
    """
    summary = curve_summary(df)
    rows = []
    for (pair, experiment), group in summary.groupby(["pair", "experiment"], sort=False):
        ref = group[group["strategy"] == reference].sort_values("iteration")
        if ref.empty:
            continue
        a0, a_final = float(ref["mean"].iloc[0]), float(ref["mean"].iloc[-1])
        target = a0 + target_fraction * (a_final - a0)
        needed = {}
        for strategy, curve in group.groupby("strategy", sort=False):
            curve = curve.sort_values("iteration")
            total = labels_to_target(curve["n_labeled"], curve["mean"], target)
            needed[strategy] = (total, total - float(curve["n_labeled"].iloc[0]))
        ref_queried = needed[reference][1]
        for strategy in ordered_strategies(needed):
            total, queried = needed[strategy]
            ratio = queried / ref_queried if (ref_queried > 0 and not np.isnan(queried)) else np.nan
            rows.append({
                "pair": pair, "experiment": experiment, "strategy": strategy,
                "target_accuracy": target, "target_fraction": target_fraction,
                "labels_total": total, "labels_queried": queried,
                "reference_labels_queried": ref_queried, "ratio": ratio,
                "reached": bool(not np.isnan(total)),
            })
    columns = ["pair", "experiment", "strategy", "target_accuracy", "target_fraction",
               "labels_total", "labels_queried", "reference_labels_queried", "ratio", "reached"]
    return _sort_display(pd.DataFrame(rows, columns=columns))


def reference_summary(reference: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and t interval of the full-pool reference accuracy per pair.

    Returns
    -------
    pandas.DataFrame
        One row per pair with ``accuracy_mean``, ``accuracy_ci_lo``,
        ``accuracy_ci_hi``, ``macro_f1_mean`` and ``n_seeds``; empty (with those
        columns) when ``reference`` is empty.
    """
    columns = ["pair", "accuracy_mean", "accuracy_ci_lo", "accuracy_ci_hi", "macro_f1_mean", "n_seeds"]
    rows = []
    for pair, group in reference.groupby("pair", sort=False):
        m, lo, hi = mean_ci(group["accuracy"], confidence)
        rows.append({"pair": pair, "accuracy_mean": m, "accuracy_ci_lo": lo, "accuracy_ci_hi": hi,
                     "macro_f1_mean": float(np.nanmean(group["macro_f1"].astype(float)))
                     if group["macro_f1"].notna().any() else np.nan,
                     "n_seeds": int(group["seed"].nunique())})
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    ranks = {p: i for i, p in enumerate(ordered_pairs(frame["pair"]))}
    return frame.sort_values("pair", key=lambda s: s.map(ranks)).reset_index(drop=True)
