"""What the notebooks call: check their parameters, run one experiment's grid, summarise it.

The notebooks stay thin (parameters, calls, plots, prose); everything they compute lives
here or in the modules this package calls. Two modules, one concern each:

- :mod:`helpers.notebook.parameters`  the templates' declared parameters and their checks
- :mod:`helpers.notebook.experiment`  one experiment's grid, its summaries and figures

Every public name is available from ``helpers.notebook`` itself.
"""

from helpers.notebook.experiment import (
    LEFTOVER_MIN_AGE_S,
    ExperimentSummary,
    collapse_table,
    describe_pair,
    exhaustion_note,
    experiment_figures,
    remove_leftovers,
    run_experiment,
    summarize_experiment,
    summary_grid,
)
from helpers.notebook.parameters import (
    NOTEBOOK_MODELS,
    NOTEBOOK_PARAMETERS,
    PAPERMILL_HEADER,
    Parameter,
    ParameterError,
    _assigned_names,
    check_parameters,
    executor_choice,
    experiment_configs,
    injected_parameter_names,
)
from helpers.grid import build_configs

__all__ = [
    "LEFTOVER_MIN_AGE_S", "ExperimentSummary", "collapse_table", "describe_pair", "experiment_figures",
    "remove_leftovers", "run_experiment", "summarize_experiment", "summary_grid", "NOTEBOOK_MODELS",
    "NOTEBOOK_PARAMETERS", "PAPERMILL_HEADER", "Parameter", "ParameterError", "check_parameters",
    "executor_choice", "experiment_configs", "injected_parameter_names", "build_configs",
]
