"""Recompute one stored run and say whether this machine reproduces it, and if not, why and how much.

    python -m helpers.reproduce results/mnist_logreg/small/margin/seed42.json --data-root data/
    make reproduce RUN=results/mnist_logreg/small/margin/seed42.json

The run is recomputed from the configuration its JSON records, into a temporary folder
(the stored files are only read), on the data under ``--data-root`` (default
``$AL_DATA_DIR``, else ``data/``). Then it reports

- ``identical`` (every non-timing column of every row, the queried indices and the final
  confusion matrix), or ``differs`` with the first differing iteration;
- the provenance fields that differ between the stored run and this machine: the numerical
  kernels (BLAS kernel, torch's CPU instruction set, the kernel settings), the library
  versions and the data's identity (``not recorded`` for runs written before they were);
- the run's AULC and final accuracy, stored and recomputed, and their differences beside
  the between-seed standard deviation of the same cell (the run's siblings in its folder),
  so a difference can be read against the noise the study already has.

Several runs may be given; each is recomputed and reported in turn. With ``--adopt``, a run
that reproduces identically gains what the engine has added since it was written (under its
lock): the new CSV columns (e.g. ``top_class_share`` or the stream's selectivity columns)
and JSON fields. Everything it stored stays as it was, its timings included (they measure
the original run); a ``recomputed`` record in the JSON says when, at which revision and on
which machine the added values were computed. A run that differs is never changed.

Exit status: 0 identical (all of them), 1 differs (any), 2 bad input (no such run, missing data, ...). Like
the grid, it runs with the pinned OpenBLAS kernel (:mod:`helpers.provenance`) unless the
environment sets another.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from helpers import provenance, results
from helpers.config import ConfigError, ProtocolConfig
from helpers.data import CorruptDataError, DataNotFoundError, load_dataset
from helpers.stats.metrics import aulc


class ReproduceError(ValueError):
    """The stored run cannot be recomputed (unreadable JSON, unknown configuration, no CSV)."""


def load_stored(json_path: str | os.PathLike[str]) -> tuple[dict[str, Any], pd.DataFrame]:
    """Return a stored run's JSON and CSV rows.

    Raises
    ------
    ReproduceError
        When either file is missing or unreadable, or the JSON is not a finished run.
    """
    path = Path(json_path)
    if path.suffix != ".json":
        raise ReproduceError(f"{path}: give a run's JSON file (<pair>/<experiment>/<strategy>/seed<k>.json)")
    try:
        meta = json.loads(path.read_text())
    except OSError as err:
        raise ReproduceError(f"{path}: cannot read it ({err.strerror or err})") from None
    except ValueError as err:
        raise ReproduceError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("config"), dict) or not meta.get("complete"):
        raise ReproduceError(f"{path}: not the JSON of a finished run (a reference or an interrupted run?)")
    try:
        rows = _read_rows(path.with_suffix(".csv"))
    except (OSError, ValueError) as err:
        raise ReproduceError(f"{path.with_suffix('.csv')}: cannot read the run's rows ({err})") from None
    return meta, rows


def _read_rows(source) -> pd.DataFrame:
    """Read run rows as written (pandas parses floats so that they round-trip)."""
    return pd.read_csv(source)


def stored_to_config(meta: dict[str, Any], *, data_root: str | None, results_dir: str) -> ProtocolConfig:
    """Return the configuration a stored run recorded, with this machine's data and a results folder.

    Raises
    ------
    ReproduceError
        When the recorded configuration is not one this code can run.
    """
    fields = {k: v for k, v in meta["config"].items() if k not in ("data_root", "results_dir")}
    try:
        return ProtocolConfig(**fields, data_root=data_root, results_dir=results_dir)
    except (TypeError, ConfigError) as err:
        raise ReproduceError(f"the stored configuration cannot be run by this code: {err}") from None


def compare_rows(stored: pd.DataFrame, recomputed: pd.DataFrame) -> int | None:
    """Return the first iteration at which the two runs' rows differ, or None when they agree.

    Timing columns are ignored; so are columns only one of the two runs has (a column added
    to the engine after the stored run was written). Numbers are compared exactly (as the
    CSV stores them), missing values equal missing values.

    Returns
    -------
    int or None
    """
    columns = [c for c in stored.columns if c in recomputed.columns and c not in results.TIMING_COLUMNS]
    n = min(len(stored), len(recomputed))
    a = stored[columns].iloc[:n].reset_index(drop=True)
    b = recomputed[columns].iloc[:n].reset_index(drop=True)
    same = (a == b) | (a.isna() & b.isna())
    bad = np.flatnonzero(~same.all(axis=1).to_numpy())
    if bad.size:
        return int(a["iteration"].iloc[bad[0]]) if "iteration" in a else int(bad[0])
    if len(stored) != len(recomputed):
        return n
    return None


def provenance_differences(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Return one line per provenance field that differs between a stored run's JSON and ``current``.

    Parameters
    ----------
    stored, current : dict
        Run JSONs (``current`` as :func:`helpers.loop.run_active_learning` builds it).

    Returns
    -------
    list of str
        ``"field: stored -> current"``; ``not recorded`` where the stored run predates the field.
    """
    def get(meta, *keys):
        value = meta
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                return "not recorded"
            value = value[key]
        return value

    def blas(meta):
        kernels = get(meta, "provenance", "blas")
        if not isinstance(kernels, list):
            return kernels
        return ", ".join(f"{k.get('library')} {k.get('architecture')}" for k in kernels) or "none"

    fields = [
        ("BLAS kernel", blas),
        ("torch CPU instruction set", lambda m: get(m, "provenance", "torch_cpu_capability")),
        ("kernel settings", lambda m: get(m, "provenance", "settings")),
        ("CPU", lambda m: get(m, "provenance", "cpu")),
        ("data variant", lambda m: get(m, "dataset", "variant")),
        ("data digest", lambda m: get(m, "dataset", "digest")),
        ("code digest", lambda m: get(m, "provenance", "code_digest")),
    ]
    lines = [f"{name}: {f(stored)} -> {f(current)}" for name, f in fields if f(stored) != f(current)]
    versions_then, versions_now = stored.get("versions") or {}, current.get("versions") or {}
    for lib in sorted(set(versions_then) | set(versions_now)):
        if versions_then.get(lib) != versions_now.get(lib):
            lines.append(f"{lib}: {versions_then.get(lib, 'not recorded')} -> {versions_now.get(lib, 'not recorded')}")
    return lines


def run_metrics(rows: pd.DataFrame) -> tuple[float, float]:
    """Return a run's AULC (normalised, :func:`helpers.stats.metrics.aulc`) and final accuracy."""
    return float(aulc(rows["n_labeled"], rows["accuracy"])), float(rows["accuracy"].iloc[-1])


def cell_spread(json_path: Path) -> tuple[float, float, int]:
    """Return the between-seed standard deviation of AULC and final accuracy in a run's cell.

    The cell is the run's folder (same pair, experiment and strategy): every ``seed*.csv``
    beside it, the run itself included.

    Returns
    -------
    (float, float, int)
        Standard deviations (ddof 1; NaN with fewer than two seeds) and the number of seeds.
    """
    values = []
    for csv in sorted(Path(json_path).parent.glob("seed*.csv")):
        try:
            values.append(run_metrics(pd.read_csv(csv)))
        except (OSError, ValueError, KeyError, IndexError):
            continue
    if len(values) < 2:
        return float("nan"), float("nan"), len(values)
    array = np.asarray(values)
    return float(array[:, 0].std(ddof=1)), float(array[:, 1].std(ddof=1)), len(values)


def results_root_of(json_path: Path) -> Path:
    """Return the results root of a run's JSON (``<root>/<pair>/<experiment>/<strategy>/seed<k>.json``)."""
    return Path(json_path).resolve().parents[3]


def reproduce(json_path: str | os.PathLike[str], *, data_root: str | None = None,
              progress: bool = True, adopt: bool = False) -> dict[str, Any]:
    """Recompute a stored run and compare it with what is stored.

    Parameters
    ----------
    json_path
        The stored run's JSON.
    data_root
        Where the datasets are.
    progress
        Show a progress bar.
    adopt
        When the recomputation is identical, add to the stored run what the engine computes
        since it was written (CSV columns, JSON fields), keeping every stored value and
        timing, with a ``recomputed`` record (time, revision, provenance, what was added);
        written under the run's lock, so a grid never sees it half-written. A run that
        differs, or whose lock another process holds, is left as it is.

    Returns
    -------
    dict
        ``identical`` (bool), ``first_difference`` (iteration or None), ``same_queries``
        (bool), ``provenance`` (:func:`provenance_differences`), ``stored`` and
        ``recomputed`` (AULC, final accuracy), ``spread`` (between-seed standard deviations
        of the cell and its seed count), ``identity_matches`` (None when the stored run
        records no data identity) and ``adopted`` (whether the stored run was completed).

    Raises
    ------
    ReproduceError, helpers.data.DataNotFoundError, helpers.data.CorruptDataError
    """
    from helpers.loop import run_active_learning

    json_path = Path(json_path)
    meta, stored_rows = load_stored(json_path)
    with tempfile.TemporaryDirectory(prefix="al-reproduce-") as tmp:
        config = stored_to_config(meta, data_root=data_root, results_dir=tmp)
        dataset = load_dataset(config.spec.dataset, config.data_path())
        stored_identity = results.stored_identity(meta)
        run = run_active_learning(config, dataset, progress=progress)
    # Both sides through the CSV writer and reader, so they compare as stored numbers.
    recomputed = _read_rows(io.StringIO(run.rows[results.COLUMNS].to_csv(index=False)))
    first = compare_rows(stored_rows, recomputed)
    same_queries = list(meta.get("queried_indices", [])) == run.queried.tolist()
    same_confusion = meta.get("confusion_matrix") == run.meta["confusion_matrix"]
    sd_aulc, sd_final, n_seeds = cell_spread(json_path)
    identical = first is None and same_queries and same_confusion
    adopted = False
    if adopt and identical:
        adopted = _adopt(json_path, meta, stored_rows, run, data_root)
    return {
        "adopted": adopted,
        "identical": identical,
        "first_difference": first,
        "same_queries": same_queries,
        "provenance": provenance_differences(meta, run.meta),
        "stored": dict(zip(("aulc", "final_accuracy"), run_metrics(stored_rows))),
        "recomputed": dict(zip(("aulc", "final_accuracy"), run_metrics(recomputed))),
        "spread": {"aulc_sd": sd_aulc, "final_accuracy_sd": sd_final, "seeds": n_seeds},
        "identity_matches": None if stored_identity is None else stored_identity == dataset.identity,
    }


def _adopt(json_path: Path, meta: dict[str, Any], stored_rows: pd.DataFrame, run, data_root: str | None) -> bool:
    """Add what the identical recomputation ``run`` has and the stored run lacks; return whether it did.

    ``stored_rows`` are the stored run's rows as :func:`load_stored` read them (not read again).
    """
    from helpers.locks import RunLock

    config = stored_to_config(meta, data_root=data_root, results_dir=str(results_root_of(json_path)))
    stem = results.config_stem(config)
    if stem.resolve() != Path(json_path).resolve().with_suffix(""):
        raise ReproduceError(f"{json_path}: its configuration belongs at {stem}.json; not replaced")
    rows = run.rows[results.COLUMNS].copy()
    for column in results.TIMING_COLUMNS:  # the stored run's measurements stay the run's measurements
        if column in stored_rows and column in rows:
            rows[column] = stored_rows[column].to_numpy()
    added = [c for c in results.COLUMNS if c not in stored_rows.columns]
    recomputed = {"at": run.meta.get("finished_at"), "git_revision": run.meta.get("git_revision"),
                  "provenance": run.meta.get("provenance"), "added_columns": added,
                  "added_fields": sorted(set(run.meta) - set(meta))}
    merged = {**{k: v for k, v in run.meta.items() if k not in meta}, **meta, "recomputed": recomputed}
    lock = RunLock(stem.with_suffix(".lock"))
    if not lock.acquire():
        return False
    try:
        results.write_run(config, rows, merged)
    finally:
        lock.release()
    return True


def format_report(json_path: Path, report: dict[str, Any]) -> str:
    """Return the report of :func:`reproduce` as the lines the command prints."""
    verdict = "identical" if report["identical"] else "differs"
    lines = [f"{json_path}: {verdict}" + ("; added columns written" if report.get("adopted") else "")]
    if not report["identical"]:
        first = report["first_difference"]
        lines.append(f"  first differing iteration: {first if first is not None else 'none in the rows'}"
                     f"; queried indices {'the same' if report['same_queries'] else 'differ'}")
    if report["identity_matches"] is False:
        lines.append("  the data differ from the data the run was computed on (see the data fields below)")
    for line in report["provenance"]:
        lines.append(f"  differs from the stored run: {line}")
    spread = report["spread"]
    for key, sd_key, name in (("aulc", "aulc_sd", "AULC"), ("final_accuracy", "final_accuracy_sd", "final accuracy")):
        then, now = report["stored"][key], report["recomputed"][key]
        lines.append(f"  {name}: stored {then:.4f}, recomputed {now:.4f}, difference {now - then:+.4f}; "
                     f"between-seed SD of the cell {spread[sd_key]:.4f} ({spread['seeds']} seeds)")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line of :func:`main`.

    Returns
    -------
    argparse.Namespace
    """
    parser = argparse.ArgumentParser(prog="python -m helpers.reproduce", description=__doc__.split("\n\n")[0])
    parser.add_argument("run", nargs="+",
                        help="stored runs' JSON files, e.g. results/mnist_logreg/small/margin/seed42.json")
    parser.add_argument("--adopt", action="store_true",
                        help="add to each run that reproduces identically the columns and fields added to the "
                             "engine since it was written (stored values and timings kept)")
    parser.add_argument("--data-root", default=os.environ.get("AL_DATA_DIR"),
                        help="where the datasets are (default $AL_DATA_DIR, else data/)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point.

    Returns
    -------
    int
        0 identical, 1 differs, 2 bad input.
    """
    if argv is None:
        provenance.reexec_pinned("helpers.reproduce", sys.argv[1:])
    args = parse_args(argv)
    for run in args.run:  # every path is checked before the first (expensive) recomputation
        try:
            load_stored(run)
        except ReproduceError as err:
            print(f"reproduce: error: {err}", file=sys.stderr)
            return 2
    reports = {}
    for run in args.run:
        try:
            report = reproduce(run, data_root=args.data_root, progress=not args.quiet, adopt=args.adopt)
        except (ReproduceError, DataNotFoundError, CorruptDataError) as err:
            print(f"reproduce: error: {err}", file=sys.stderr)
            return 2
        reports[run] = report
        if not args.json:
            print(format_report(Path(run), report), flush=True)
    if args.json:
        print(json.dumps(reports[args.run[0]] if len(args.run) == 1 else reports, indent=1))
    return 0 if all(r["identical"] for r in reports.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
