"""Notebook parameters: each template's declared parameters, checked before any work.

Each notebook template declares its papermill parameters in one cell tagged
``parameters``; :data:`NOTEBOOK_PARAMETERS` lists the same names with a check of each
value. The first code cell after the parameters calls :func:`check_parameters`, which
stops the notebook before any work when papermill injected a name the notebook does not
declare (``-p seed 43`` for ``seeds``) or a value of the wrong type (``-p seeds 42``, a
string for a list of strategies). ``run_all.sh`` runs the same check on every notebook's
parameters before the first notebook starts (:mod:`helpers.job`).

May import :mod:`helpers.config`, :mod:`helpers.grid` (to build configurations) and
:mod:`helpers.strategies`; nothing that runs or summarises.
"""

from __future__ import annotations

import ast
import difflib
import math
import numbers
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from helpers.config import EXPERIMENTS, PAIRS, ConfigError
from helpers.grid import build_configs
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
    "experiment": _EXPERIMENT_PARAMETERS,
    "figures": _FIGURES_PARAMETERS,
}

#: The experiment notebooks and the model each is written for (its ``pair`` must use this
#: model); None: any pair (the ``experiment`` notebook describes the pair it is given).
NOTEBOOK_MODELS: dict[str, str | None] = {"experiment": None}

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
    if model is not None and PAIRS[values["pair"]].model != model:
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
