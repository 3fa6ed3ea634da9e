"""Aggregation of active-learning results and the statistics the paper reports.

Everything here is a pure function of the result files (or of the data frames built from
them): nothing is plotted or written. :mod:`helpers.figures` and :mod:`helpers.report`
build on these functions. One module per concern:

- :mod:`helpers.stats.naming`       names and display order of pairs, experiments, strategies; roles
- :mod:`helpers.stats.loading`      reading runs, metadata and references (the asked grid only)
- :mod:`helpers.stats.metrics`      confidence intervals, learning curves, AULC, labels to target
- :mod:`helpers.stats.inference`    paired Wilcoxon/Holm tests, Friedman ranks, critical difference
- :mod:`helpers.stats.composition`  class composition of the queried labels
- :mod:`helpers.stats.ablation`     the same grid under several update rules of the model
- :mod:`helpers.stats.regularisation` the same grid at several values of the logistic regression's C
- :mod:`helpers.stats.comparison`   the shallow pair beside the deep one: gains, ranks, best strategies
- :mod:`helpers.stats.noise`        noise floors: final-accuracy spread on one labelled set, random drift
- :mod:`helpers.stats.perclass`     per-class recall, query share and share of the deficit to random
- :mod:`helpers.stats.crossed`      the crossed design: model, data, interaction and schedule effects;
  bootstrap probability of the best strategy

Conventions: accuracies are fractions in [0, 1]; confidence intervals are two-sided t
intervals over seeds (one run per seed); ``random`` is the reference strategy.
"""

from helpers.stats.ablation import (
    ABLATION_RULES,
    ablation_root,
    compare_update_rules,
    update_rule_roots,
    UPDATE_RULE_COLUMNS,
    load_update_rules,
    ranking_agreement,
    update_rule_table,
)
from helpers.stats.comparison import (
    BEST_COLUMNS,
    COMPARISON_COLUMNS,
    COMPARISON_METRICS,
    best_by_rank,
    best_strategies,
    comparison_roles,
    model_comparison,
)
from helpers.stats.crossed import (
    BOOTSTRAP_COLUMNS,
    CROSSED_CELLS,
    EFFECT_COLUMNS,
    bootstrap_best,
    crossed_effects,
    excludes_zero,
    paired_interval,
    seed_gains,
    welch_interval,
)
from helpers.stats.noise import DRIFT_COLUMNS, SPREAD_COLUMNS, exhausted_spread, random_drift
from helpers.stats.perclass import (
    DEFICIT_COLUMNS,
    PERCLASS_COLUMNS,
    class_runs,
    class_table,
    deficit_summary,
)
from helpers.stats.composition import (
    BALANCE_COLUMNS,
    COMPOSITION_COLUMNS,
    first_rounds_balance,
    query_composition,
)
from helpers.stats.inference import (
    best_strategy,
    friedman_ranks,
    holm,
    min_attainable_p,
    nemenyi_critical_difference,
    paired_tests,
    rank_blocks,
    signed_rank_test,
)
from helpers.stats.loading import (
    OPTIONAL_RUN_COLUMNS,
    REFERENCE_COLUMNS,
    RUN_COLUMNS,
    OutsideGridWarning,
    RunGrid,
    load_reference,
    load_run_meta,
    load_runs,
    runs_with_column,
)
from helpers.stats.metrics import (
    accuracy_change,
    aulc,
    curve_summary,
    labels_to_target,
    labels_to_target_table,
    mean_ci,
    per_run_metrics,
    reference_summary,
    strategy_summary,
)
from helpers.stats.regularisation import (
    ABLATION_C_VALUES,
    REGULARISATION_COLUMNS,
    STUDY_C,
    c_folder,
    compare_regularisation,
    load_regularisation,
    regularisation_root,
    regularisation_roots,
    regularisation_table,
)
from helpers.stats.naming import (
    EXPERIMENT_LABELS,
    EXPERIMENT_ORDER,
    PAIR_LABELS,
    PAIR_ORDER,
    REFERENCE_STRATEGY,
    STREAM_STRATEGY,
    ROLES,
    RUN_KEYS,
    STRATEGY_LABELS,
    STRATEGY_ORDER,
    experiment_label,
    ordered_experiments,
    ordered_pairs,
    ordered_strategies,
    pair_label,
    role_pair,
    strategy_label,
    study_pairs,
)

__all__ = [
    "ABLATION_RULES", "ablation_root", "compare_update_rules", "update_rule_roots", "ranking_agreement",
    "BALANCE_COLUMNS", "COMPOSITION_COLUMNS", "EXPERIMENT_LABELS", "EXPERIMENT_ORDER", "PAIR_LABELS", "PAIR_ORDER",
    "REFERENCE_COLUMNS", "REFERENCE_STRATEGY", "RUN_COLUMNS", "STREAM_STRATEGY", "RUN_KEYS", "STRATEGY_LABELS", "STRATEGY_ORDER",
    "OutsideGridWarning", "RunGrid", "aulc", "best_strategy", "curve_summary", "experiment_label", "first_rounds_balance",
    "friedman_ranks", "holm", "labels_to_target", "labels_to_target_table", "load_reference", "load_run_meta",
    "load_runs", "load_update_rules", "mean_ci", "min_attainable_p", "nemenyi_critical_difference",
    "ordered_experiments", "ordered_pairs", "ordered_strategies", "pair_label", "paired_tests", "per_run_metrics",
    "query_composition", "rank_blocks", "signed_rank_test", "reference_summary", "strategy_label",
    "strategy_summary", "UPDATE_RULE_COLUMNS", "update_rule_table",
    "BEST_COLUMNS", "COMPARISON_COLUMNS", "COMPARISON_METRICS", "ROLES", "best_by_rank", "best_strategies",
    "comparison_roles", "model_comparison", "role_pair", "study_pairs", "OPTIONAL_RUN_COLUMNS", "runs_with_column",
    "ABLATION_C_VALUES", "REGULARISATION_COLUMNS", "STUDY_C", "c_folder", "compare_regularisation", "load_regularisation",
    "regularisation_root", "regularisation_roots", "regularisation_table",
    "BOOTSTRAP_COLUMNS", "CROSSED_CELLS", "EFFECT_COLUMNS", "bootstrap_best", "crossed_effects", "excludes_zero", "paired_interval",
    "seed_gains", "welch_interval", "DEFICIT_COLUMNS", "PERCLASS_COLUMNS", "class_runs", "class_table",
    "deficit_summary", "DRIFT_COLUMNS", "SPREAD_COLUMNS", "exhausted_spread", "random_drift",
]
