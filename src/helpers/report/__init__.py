r"""Generated inputs of the paper: LaTeX tables and number macros.

Everything is written to :data:`helpers.paths.PAPER_GENERATED_DIR` by default,
atomically (a temporary file in the same directory, then :func:`os.replace`), so
a LaTeX build never reads a half-written file. :func:`write_all` is what the
figures notebook calls.

Files
-----
``summary_table_<pair>.tex``
    :func:`write_summary_table`, one ``tabular`` per model-dataset pair.
``macros.tex``
    :func:`write_macros`, every number the paper text quotes, plus role aliases
    (``\Shallow...``, ``\Deep...``) so the same paper text builds on the study's
    pairs and on the smoke pairs.
``per_run_metrics.csv``, ``strategy_summary.csv``, ``paired_tests.csv``, ``labels_to_target.csv``
    The frames behind the tables and macros, for inspection.
``shallow_vs_deep.tex``, ``shallow_vs_deep.csv``
    :func:`write_model_comparison_table`, a whole ``table*`` float (caption included), and
    the frame behind it, when both a shallow and a deep pair have results.
``regularisation_<pair>.tex``, ``crossed_effects.tex`` (and their ``.csv``), ``best_by_cell.tex``
    :func:`write_regularisation_table` (the C ablation), :func:`write_crossed_table` (the
    crossed design's effects) and :func:`write_best_by_cell_table` (its best strategy per cell),
    when their runs exist.

Layout:

- :mod:`~helpers.report.numbers`: the one number formatter (``round_half_up``, ``fmt_*``)
- :mod:`~helpers.report.output`: atomic writes
- :mod:`~helpers.report.naming`: roles, dataset names, macro names
- :mod:`~helpers.report.tables`: summary, macro-F1, update-rule, regularisation and
  model-comparison tables
- :mod:`~helpers.report.crossed`: the crossed design's effects and best-by-cell tables
- :mod:`~helpers.report.pilots`: pilot tables
- :mod:`~helpers.report.phrases`: generated prose phrases
- :mod:`~helpers.report.analysis_macros`: the analyses' macros (comparison, per class, C ablation,
  noise floors, crossed design)
- :mod:`~helpers.report.macros`: ``macros.tex`` (its entries and role aliases)
- :mod:`~helpers.report.build`: :func:`write_all`

Every name is re-exported here. This package may import :mod:`helpers.stats`,
:mod:`helpers.config` and :mod:`helpers.paths`, never the run layers (loop, grid, notebook).
"""

from __future__ import annotations

from helpers.report.numbers import (  # noqa: F401
    _LATEX_SPECIAL,
    latex_escape,
    _missing,
    round_half_up,
    fmt_num,
    fmt_sig,
    fmt_sig_tex,
    fmt_pct,
    experiment_digits,
    fmt_signed_pp,
    fmt_p,
)
from helpers.report.output import (  # noqa: F401
    _atomic_write,
    _atomic_csv,
)
from helpers.report.naming import (  # noqa: F401
    ROLES,
    DATASET_TEX,
    _ONES,
    _TENS,
    _number_word,
    c_macro_part,
    macro_part,
    macro_name,
)
from helpers.report.tables import (  # noqa: F401
    TABLE_TEST_METRICS,
    _INITIAL_SET_TEX,
    write_summary_table,
    write_macro_f1_table,
    write_stream_table,
    _RULE_LABELS,
    write_update_rule_table,
    write_regularisation_table,
    _MODEL_TEX,
    _seeds_phrase,
    _model_tex,
    write_model_comparison_table,
)
from helpers.report.crossed import (  # noqa: F401
    CROSSED_TABLE_COLUMNS,
    _SHORT_STRATEGY,
    write_crossed_table,
    write_best_by_cell_table,
)
from helpers.report.pilots import (  # noqa: F401
    PILOTS,
    _ARM_LABELS,
    _pilot_rows,
    write_pilot_tables,
)
from helpers.report.phrases import (  # noqa: F401
    STRATEGY_PHRASES,
    RULE_PHRASES,
    _NUMBER_WORDS,
    number_word,
    seed_range,
    all_experiments_phrase,
    join_phrases,
    strategy_phrase,
    experiment_phrase,
    change_phrase,
    per_experiment_phrase,
    per_value_phrase,
    MODEL_PHRASES,
    cell_phrase,
    best_by_cell_phrase,
    resolved_phrase,
    resolved_by_level_phrase,
    same_order_phrase,
    _order,
    order_agreement_phrase,
)
from helpers.report.macros import (  # noqa: F401
    _macro_entries,
    _analysis_entries,
    _strategy_names,
    _comparison_entries,
    _perclass_entries,
    write_macros,
    role_pair,
    study_rows,
    _role_entries,
)
from helpers.report.build import (  # noqa: F401
    _model_comparison,
    write_all,
)
