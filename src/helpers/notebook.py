"""What the notebooks call: check their parameters, run one experiment's grid, summarise it.

The notebooks stay thin (parameters, calls, plots, prose); everything they compute lives
here or in the modules this one calls.

Parameters
----------
Each notebook template declares its papermill parameters in one cell tagged
``parameters``; :data:`NOTEBOOK_PARAMETERS` lists the same names with a check of each
value. The first code cell after the parameters calls :func:`check_parameters`, which
stops the notebook before any work when papermill injected a name the notebook does not
declare (``-p seed 43`` for ``seeds``) or a value of the wrong type (``-p seeds 42``, a
string for a list of strategies). ``run_all.sh`` runs the same check on every notebook's
parameters before the first notebook starts (:mod:`helpers.job`).
"""

from __future__ import annotations

import ast
import difflib
import math
import numbers
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

from helpers import figures, results, stats
from helpers.config import EXPERIMENTS, PAIRS, ConfigError
from helpers.executors import DaskExecutor
from helpers.grid import build_configs, run_grid
from helpers.strategies import STRATEGIES

# ------------------------------------------------------------------------------ parameters


class ParameterError(ValueError):
    """A notebook parameter with an unknown name or an unusable value."""


@dataclass(frozen=True)
class Parameter:
    """One declared notebook parameter.

    Attributes
    ----------
    name : str
        The variable of the ``parameters`` cell.
    check : callable
        ``check(value)`` raises :class:`ParameterError` (naming the parameter) when the
        value cannot be used, and returns nothing otherwise.
    """

    name: str
    check: Callable[[Any], None]


def _kind(value: Any) -> str:
    return f"the string {value!r}" if isinstance(value, str) else f"{value!r} ({type(value).__name__})"


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _choice(options: Iterable[str]) -> Callable[[str, Any], None]:
    options = tuple(options)

    def check(name: str, value: Any) -> None:
        if not isinstance(value, str) or value not in options:
            raise ParameterError(f"{name} must be one of {', '.join(options)}; got {_kind(value)}")
    return check


def _choices(options: Iterable[str], *, optional: bool = False) -> Callable[[str, Any], None]:
    options = tuple(options)

    def check(name: str, value: Any) -> None:
        if value is None and optional:
            return
        if isinstance(value, str):
            raise ParameterError(f"{name} must be a list of names, got {_kind(value)}; with papermill write "
                                 f"-y \"{name}: [{value}]\"")
        if not isinstance(value, (list, tuple)) or not value:
            raise ParameterError(f"{name} must be a non-empty list of names, got {_kind(value)}")
        unknown = [v for v in value if not isinstance(v, str) or v not in options]
        if unknown:
            raise ParameterError(f"{name}: unknown {', '.join(map(repr, unknown))}; choose from {', '.join(options)}")
    return check


def _seed_list(*, optional: bool = False) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if value is None and optional:
            return
        if _is_int(value):
            raise ParameterError(f"{name} must be a list of seeds, got the single number {value!r}; with papermill "
                                 f"write -y \"{name}: [{value}]\"")
        if not isinstance(value, (list, tuple)) or not value:
            raise ParameterError(f"{name} must be a non-empty list of non-negative integers, got {_kind(value)}")
        bad = [v for v in value if not _is_int(v) or v < 0]
        if bad:
            raise ParameterError(f"{name} must hold non-negative integers; bad: {', '.join(map(repr, bad))}")
    return check


def _positive_int(*, optional: bool = False) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if value is None and optional:
            return
        if not _is_int(value) or value < 1:
            none = " or None" if optional else ""
            raise ParameterError(f"{name} must be a positive integer{none}, got {_kind(value)}")
    return check


def _fraction(name: str, value: Any) -> None:
    if (isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value)
            or not 0 <= value <= 1):
        raise ParameterError(f"{name} must be a number in [0, 1], got {_kind(value)}")


def _flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ParameterError(f"{name} must be True or False, got {_kind(value)}")


def _folder(name: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise ParameterError(f"{name} must be a folder path or None, got {_kind(value)}")


def _iterations(name: str, value: Any) -> None:
    if value is None or (_is_int(value) and value > 0):
        return
    if isinstance(value, Mapping):
        bad = {k: v for k, v in value.items() if k not in PAIRS or not _is_int(v) or v < 1}
        if not bad:
            return
        raise ParameterError(f"{name}: every key must be a pair and every value a positive integer; bad: {bad!r}")
    raise ParameterError(f"{name} must be None, a positive integer or a mapping pair -> integer, got {_kind(value)}")


def _address(name: str, value: Any) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value):
        raise ParameterError(f"{name} must be a Dask scheduler address such as 'tcp://head-node:8786' (a string "
                             f"without spaces) or None, got {_kind(value)}")


def _params(**checks: Callable[[str, Any], None]) -> dict[str, Parameter]:
    return {name: Parameter(name, lambda value, _c=check, _n=name: _c(_n, value)) for name, check in checks.items()}


_EXPERIMENT_PARAMETERS = _params(
    pair=_choice(PAIRS),
    experiment=_choice(EXPERIMENTS),
    strategies=_choices(STRATEGIES),
    seeds=_seed_list(),
    query_size=_positive_int(optional=True),
    n_iterations=_positive_int(optional=True),
    stream_threshold=_fraction,
    data_root=_folder,
    results_dir=_folder,
    device=_choice(("auto", "cpu", "cuda")),
    jobs=_positive_int(),
    scheduler=_address,
    dask_local=_positive_int(optional=True),
    reference=_flag,
    progress=_flag,
)

_FIGURES_PARAMETERS = _params(
    results_dir=_folder,
    figures_dir=_folder,
    generated_dir=_folder,
    pairs=_choices(PAIRS, optional=True),
    experiments=_choices(EXPERIMENTS, optional=True),
    strategies=_choices(STRATEGIES, optional=True),
    seeds=_seed_list(optional=True),
    n_iterations=_iterations,
)

#: The parameters each notebook template declares (its ``parameters`` cell), with checks.
NOTEBOOK_PARAMETERS: dict[str, dict[str, Parameter]] = {
    "mnist_logreg": _EXPERIMENT_PARAMETERS,
    "cifar10_cnn": _EXPERIMENT_PARAMETERS,
    "figures": _FIGURES_PARAMETERS,
}

#: The model each experiment notebook is written for (its ``pair`` must use this model).
NOTEBOOK_MODELS: dict[str, str] = {"mnist_logreg": "logreg", "cifar10_cnn": "cnn"}

#: The first line of the cell papermill injects (papermill's Python translator).
PAPERMILL_HEADER = "# Parameters"


def injected_parameter_names() -> set[str] | None:
    """Return the names papermill injected into the running IPython kernel.

    Papermill executes the parameters it was given as one cell that starts with
    ``# Parameters`` and assigns each name; the kernel's input history keeps that cell.
    The most recent such cell is parsed (assignments only, nothing is evaluated).

    Returns
    -------
    set of str or None
        The injected names; None outside IPython or when no cell was injected (a notebook
        run by hand), where only the values can be checked.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    if not history:
        return None
    for source in reversed(history):
        if source.lstrip().startswith(PAPERMILL_HEADER):
            return _assigned_names(source)
    return None


def _assigned_names(source: str) -> set[str]:
    """Return the names a cell assigns at top level."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def check_parameters(notebook: str, namespace: Mapping[str, Any],
                     injected: Iterable[str] | None = None) -> dict[str, Any]:
    """Check a notebook's parameters before it does any work.

    Parameters
    ----------
    notebook : str
        The template's name, a key of :data:`NOTEBOOK_PARAMETERS`.
    namespace : mapping
        Where the parameter values live: ``globals()`` in the notebook.
    injected : iterable of str, optional
        The names set from outside (papermill's ``-p``/``-y``/``-f``); by default read
        from the kernel's history (:func:`injected_parameter_names`). Names papermill's
        ``--inject-paths`` adds (``PAPERMILL_*``) are accepted.

    Returns
    -------
    dict
        The declared parameters and their values.

    Raises
    ------
    ParameterError
        One message naming every unknown injected name (with the closest declared name)
        or the first unusable value; for an experiment notebook also a pair of the
        wrong model or a grid :class:`helpers.config.ProtocolConfig` rejects.
    """
    if notebook not in NOTEBOOK_PARAMETERS:
        raise ParameterError(f"unknown notebook {notebook!r}; known: {', '.join(NOTEBOOK_PARAMETERS)}")
    declared = NOTEBOOK_PARAMETERS[notebook]
    names = injected_parameter_names() if injected is None else set(injected)
    unknown = sorted(n for n in (names or ()) if n not in declared and not n.startswith("PAPERMILL_"))
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, declared, n=1)
            hints.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ParameterError(f"notebook {notebook} has no parameter {', '.join(hints)}; "
                             f"its parameters are {', '.join(declared)}")
    absent = [n for n in declared if n not in namespace]
    if absent:
        raise ParameterError(f"notebook {notebook}: parameter(s) {', '.join(absent)} not set")
    values = {name: namespace[name] for name in declared}
    for parameter in declared.values():
        parameter.check(values[parameter.name])
    if notebook in NOTEBOOK_MODELS:
        _check_experiment(notebook, values)
    return values


def _check_experiment(notebook: str, values: dict[str, Any]) -> None:
    try:
        executor_choice(values["jobs"], values["scheduler"], values["dask_local"])
    except ConfigError as err:
        raise ParameterError(f"notebook {notebook}: {err}") from None
    model = NOTEBOOK_MODELS[notebook]
    if PAIRS[values["pair"]].model != model:
        fitting = [p for p, spec in PAIRS.items() if spec.model == model]
        raise ParameterError(f"notebook {notebook} runs the {model} model; pair {values['pair']!r} uses "
                             f"{PAIRS[values['pair']].model}; choose one of {', '.join(fitting)}")
    try:
        experiment_configs(values)
    except ConfigError as err:
        raise ParameterError(f"notebook {notebook}: {err}") from None


def experiment_configs(values: Mapping[str, Any]) -> list:
    """Return the validated run configurations an experiment notebook's parameters ask for.

    Parameters
    ----------
    values : mapping
        The experiment notebook's parameters (as :func:`check_parameters` returns them).

    Returns
    -------
    list of ProtocolConfig
        One per strategy and seed, repeats counted once.
    """
    options = {k: values[k] for k in ("query_size", "n_iterations", "data_root", "results_dir") if values[k] is not None}
    options = {k: str(v) if k in ("data_root", "results_dir") else v for k, v in options.items()}
    return build_configs(values["pair"], [values["experiment"]], values["strategies"], values["seeds"],
                         stream_threshold=values["stream_threshold"], device=values["device"], **options)


def summary_grid(pairs: Sequence[str] | None = None, experiments: Sequence[str] | None = None,
                 strategies: Sequence[str] | None = None, seeds: Sequence[int] | None = None,
                 n_iterations: int | Mapping[str, int] | None = None) -> stats.RunGrid | None:
    """Return the grid a summary should cover, as the figures notebook's parameters give it.

    Parameters
    ----------
    pairs, experiments, strategies, seeds
        What was asked; ``None`` accepts any (all ``None``: no restriction at all).
    n_iterations : int or mapping, optional
        Iterations per run: one number for every pair, or per pair; ``None`` means each
        pair's protocol value (:data:`helpers.config.PAIRS`).

    Returns
    -------
    RunGrid or None
        None when nothing restricts the summary (every run found is summarised).
    """
    if all(v is None for v in (pairs, experiments, strategies, seeds, n_iterations)):
        return None
    pairs = tuple(pairs) if pairs is not None else tuple(PAIRS)
    if n_iterations is None:
        per_pair = {p: PAIRS[p].n_iterations for p in pairs if p in PAIRS}
    elif isinstance(n_iterations, Mapping):
        per_pair = dict(n_iterations)
    else:
        per_pair = {p: int(n_iterations) for p in pairs}
    return stats.RunGrid(pairs=pairs, experiments=experiments, strategies=strategies, seeds=seeds,
                         n_iterations=per_pair)


# ------------------------------------------------------------------------------ running


@dataclass
class ExperimentSummary:
    """Tables of one pair x experiment, ready to display.

    Attributes
    ----------
    runs : DataFrame
        Every evaluation row of the experiment's runs.
    curves : DataFrame
        Mean learning curve with 95 % CI per strategy (:func:`helpers.stats.curve_summary`).
    per_run : DataFrame
        AULC, final accuracy etc. per run.
    table : DataFrame
        Mean and 95 % CI of AULC and final accuracy per strategy.
    tests : DataFrame
        Paired Wilcoxon tests of each strategy against random (AULC and final accuracy).
    reference : DataFrame
        Whole-pool reference accuracy per seed (may be empty).
    meta : list of dict
        The runs' JSON metadata (confusion matrices, stop reasons).
    composition : DataFrame
        Class histogram of the queried labels per block of iterations and run
        (:func:`helpers.stats.query_composition`).
    balance : DataFrame
        Mean over seeds, per strategy, of the class balance of the first 10 query rounds
        (:func:`helpers.stats.first_rounds_balance`).
    stream : DataFrame
        The stream strategies' account per run: arrivals consumed, labels obtained and
        forced, shortfall (empty without stream runs).
    """

    runs: pd.DataFrame
    curves: pd.DataFrame
    per_run: pd.DataFrame
    table: pd.DataFrame
    tests: pd.DataFrame
    reference: pd.DataFrame
    meta: list
    composition: pd.DataFrame
    balance: pd.DataFrame
    stream: pd.DataFrame


#: Temporary files younger than this may belong to a write in progress elsewhere; older ones
#: were left by a killed process (a result file is written in well under a second).
LEFTOVER_MIN_AGE_S = 600.0


def remove_leftovers(results_root: str | os.PathLike[str], pair: str, *, min_age_s: float = LEFTOVER_MIN_AGE_S,
                     now: float | None = None) -> list[Path]:
    """Remove what failed or killed runs left under ``<results_root>/<pair>``.

    That is: temporary files of interrupted atomic writes (``.<name>.<random>.tmp``) and
    writability probes (``.probe-*``) older than ``min_age_s``, then every empty folder,
    deepest first (``<pair>`` itself included). Result files and lock files are never
    touched, so a run in progress elsewhere keeps its folder.

    Returns
    -------
    list of Path
        What was removed.
    """
    top = Path(results_root) / pair
    if not top.is_dir():
        return []
    now = time.time() if now is None else now
    removed = []
    for folder, subdirs, files in os.walk(top, topdown=False):
        for name in files:
            if name.startswith(".") and (name.endswith(".tmp") or name.startswith(".probe-")):
                path = Path(folder) / name
                try:
                    if now - path.stat().st_mtime >= min_age_s:
                        path.unlink()
                        removed.append(path)
                except OSError:
                    pass
        try:
            if not os.listdir(folder):
                os.rmdir(folder)
                removed.append(Path(folder))
        except OSError:
            pass
    return removed


def executor_choice(jobs: int = 1, scheduler: str | None = None, dask_local: int | None = None) -> str:
    """Say which executor the experiment notebooks' ``jobs``, ``scheduler`` and ``dask_local`` choose.

    Parameters
    ----------
    jobs : int
        Local worker processes (``--jobs``); 1 runs in the notebook's own process.
    scheduler : str, optional
        Address of a running Dask scheduler (``--scheduler``).
    dask_local : int, optional
        Worker processes of a local Dask cluster (``--dask-local``).

    Returns
    -------
    str
        ``"serial"``, ``"pool"``, ``"scheduler"`` or ``"dask-local"``.

    Raises
    ------
    ConfigError
        When more than one of ``jobs > 1``, ``scheduler`` and ``dask_local`` is given.
    """
    given = [name for name, on in (("jobs > 1", jobs != 1), ("scheduler", scheduler is not None),
                                   ("dask_local", dask_local is not None)) if on]
    if len(given) > 1:
        raise ConfigError(f"{' and '.join(given)} exclude each other: runs go to local worker processes (jobs), "
                          f"an existing Dask cluster (scheduler) or a local Dask cluster (dask_local); give one")
    if scheduler is not None:
        return "scheduler"
    if dask_local is not None:
        return "dask-local"
    return "pool" if jobs > 1 else "serial"


def run_experiment(pair: str, experiment: str, strategies: Sequence[str], seeds: Sequence[int], *,
                   jobs: int = 1, scheduler: str | None = None, dask_local: int | None = None,
                   reference: bool = True, progress: bool = True, **options) -> dict[str, int]:
    """Run (or resume) every strategy x seed of one experiment.

    ``options`` are :class:`helpers.config.ProtocolConfig` fields (query_size,
    n_iterations, stream_threshold, data_root, results_dir, device, model_params); None
    values are dropped so the pair's defaults apply. Leftovers of failed or killed runs
    (:func:`remove_leftovers`) are removed before and after the grid, and named.

    Where the runs execute (at most one of the three):

    - ``jobs``: 1 runs them in this process, N > 1 in N local worker processes;
    - ``scheduler``: on the Dask cluster whose scheduler listens at this address (every
      worker must see the results directory at the same path);
    - ``dask_local``: on a local Dask cluster of this many single-thread worker processes,
      started once for the whole experiment and closed when its grid ends.

    A Dask cluster is neither started nor contacted when every run has finished already.

    Returns
    -------
    dict
        Counts of runs from :func:`helpers.grid.run_grid` (``total``, ``skipped``, ``ran``...).

    Raises
    ------
    ConfigError
        More than one executor asked for, an unreachable scheduler, a cluster without
        workers, or a configuration :func:`helpers.grid.build_configs` rejects (as well as
        what :func:`helpers.grid.run_grid` raises).
    """
    choice = executor_choice(jobs, scheduler, dask_local)
    options = {k: v for k, v in options.items() if v is not None}
    configs = build_configs(pair, [experiment], strategies, seeds, **options)
    executor = None
    if choice in ("scheduler", "dask-local") and not all(results.is_complete(c) for c in configs):
        executor = DaskExecutor(scheduler) if choice == "scheduler" else DaskExecutor(n_workers=dask_local)
    root = configs[0].results_root()
    _report_leftovers(remove_leftovers(root, pair))
    try:
        # run_grid starts the executor once, runs the whole grid on it and closes it.
        return run_grid(configs, jobs=jobs, executor=executor, reference=reference, progress=progress)
    finally:
        _report_leftovers(remove_leftovers(root, pair))


def _report_leftovers(removed: list[Path]) -> None:
    if removed:
        shown = ", ".join(str(p) for p in removed[:3]) + (f" and {len(removed) - 3} more" if len(removed) > 3 else "")
        print(f"removed {len(removed)} leftover(s) of failed or interrupted runs: {shown}")


def summarize_experiment(results_root, pair: str, experiment: str, *, strategies: Sequence[str] | None = None,
                         seeds: Sequence[int] | None = None, n_iterations: int | None = None) -> ExperimentSummary:
    """Load one experiment's results and compute its curves, per-run metrics and tests.

    Parameters
    ----------
    results_root : path-like
        Root of the result tree.
    pair, experiment : str
        What to summarise.
    strategies, seeds : sequence, optional
        The strategies and seeds asked for; runs of others found in the folder are left
        out with a :class:`helpers.stats.OutsideGridWarning`. ``None`` accepts any.
    n_iterations : int, optional
        Iterations asked per run; ``None`` means the pair's protocol value.

    Returns
    -------
    ExperimentSummary
    """
    grid = stats.RunGrid(pairs=(pair,), experiments=(experiment,), strategies=strategies, seeds=seeds,
                         n_iterations={pair: n_iterations or PAIRS[pair].n_iterations})
    runs = stats.load_runs(results_root, grid)
    per_run = stats.per_run_metrics(runs)
    meta = stats.load_run_meta(results_root, grid)
    reference = stats.load_reference(results_root, grid)
    return ExperimentSummary(
        runs=runs,
        curves=stats.curve_summary(runs),
        per_run=per_run,
        table=stats.strategy_summary(per_run),
        tests=pd.concat([stats.paired_tests(per_run, m) for m in ("aulc", "final_accuracy")], ignore_index=True),
        reference=reference,
        meta=meta,
        composition=stats.query_composition(meta),
        balance=_balance_table(stats.first_rounds_balance(meta)),
        stream=pd.DataFrame([{"strategy": m["strategy"], "seed": m["seed"], **m["stream"]}
                             for m in meta if m.get("stream")]),
    )


def _balance_table(balance: pd.DataFrame) -> pd.DataFrame:
    if balance.empty:
        return balance
    columns = ["classes_covered", "max_share", "normalized_entropy"]
    table = balance.groupby("strategy")[columns].mean()
    return table.loc[stats.ordered_strategies(table.index)].reset_index()


def experiment_figures(summary: ExperimentSummary, pair: str, experiment: str, out_dir: Path) -> list[Path]:
    """Draw the experiment's learning curves (both x axes), confusion matrices and query composition.

    Returns
    -------
    list of Path
        The PNG files, for display in the notebook.
    """
    written = []
    for x in ("n_labeled", "frac_labeled"):
        written += figures.plot_learning_curves(summary.curves, summary.reference, pair, experiment, x=x, out_dir=out_dir)
    if summary.meta:
        written += figures.plot_confusion_matrices(summary.meta, pair, experiment, out_dir=out_dir)
    if not summary.composition.empty:
        written += figures.plot_query_composition(summary.composition, pair, out_dir=out_dir,
                                                  stem=f"query_composition_{pair}_{experiment}")
    return [p for p in written if p.suffix == ".png"]
