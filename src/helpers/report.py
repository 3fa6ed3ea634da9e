"""Generated inputs of the paper: LaTeX tables and number macros.

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
    (``\\Shallow...``, ``\\Deep...``) so the same paper text builds on the study's
    pairs and on the smoke pairs.
``per_run_metrics.csv``, ``strategy_summary.csv``, ``paired_tests.csv``, ``labels_to_target.csv``
    The frames behind the tables and macros, for inspection.
``shallow_vs_deep.tex``, ``shallow_vs_deep.csv``
    :func:`write_model_comparison_table`, a whole ``table*`` float (caption included), and
    the frame behind it, when both a shallow and a deep pair have results.
"""

from __future__ import annotations

import math
import os
from decimal import ROUND_HALF_UP, Decimal
import re
import tempfile
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from helpers import stats
from helpers.config import PAIRS
from helpers import paths
from helpers.paths import PAPER_GENERATED_DIR

#: Metrics whose paired tests the summary table shows, in column order.
TABLE_TEST_METRICS = ("aulc", "final_accuracy")

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}

#: Roles the paper text refers to, and the model that fills each role (:data:`helpers.stats.ROLES`).
ROLES = stats.ROLES

#: Dataset names as the paper writes them.
DATASET_TEX = {"mnist": "MNIST", "cifar10": "CIFAR-10", "digits": "Digits"}

#: Initial labelled-set size of each experiment, as the table notes state it.
_INITIAL_SET_TEX = {"small": "10 labels", "moderate": r"15\,\% of the pool",
                    "large": r"80\,\% of the pool"}


# --------------------------------------------------------------------------- formatting
def latex_escape(text: str) -> str:
    """Return ``text`` with LaTeX special characters escaped (``_`` -> ``\\_`` etc.)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)


def round_half_up(value, digits: int = 0, scale: int = 0) -> Decimal:
    """Round a number to ``digits`` decimals, half up, in decimal: the one rounding rule of every generated number.

    The number is read as the decimal it prints as (``repr``: 2.35 is 2.35, not the binary
    2.34999...), multiplied by ``10**scale`` in decimal (``scale=2`` for percentages, so
    0.02345 becomes 2.345 exactly), and rounded half away from zero
    (:data:`decimal.ROUND_HALF_UP`): 3.55 -> 3.6, 2.35 -> 2.4, 0.125 -> 0.13, and
    symmetrically -3.55 -> -3.6. A result of zero carries no sign.

    Parameters
    ----------
    value
        A finite real number.
    digits
        Decimals kept (negative: round to tens, hundreds, ...).
    scale
        Power of ten applied before rounding.

    Returns
    -------
    decimal.Decimal
        The rounded value, with exactly ``digits`` decimals (for ``digits >= 0``).
    """
    exact = Decimal(repr(float(value))).scaleb(scale)
    rounded = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded


def fmt_num(value, digits: int = 1, scale: int = 0, thousands: bool = False) -> str:
    r"""Format a number with ``digits`` fixed decimals by :func:`round_half_up`.

    Every number the report generates passes through this function (or
    :func:`fmt_sig`), so all share one rounding rule: decimal, half away from zero.

    Parameters
    ----------
    value
        The number; NaN or None -> ``"n/a"``.
    digits
        Decimals printed.
    scale
        Power of ten applied first (2: a fraction printed as a percentage).
    thousands
        Group thousands with LaTeX's ``{,}`` (12{,}345).

    Returns
    -------
    str
        E.g. ``fmt_num(3.55) == "3.6"``, ``fmt_num(-2.35) == "-2.4"``,
        ``fmt_num(12345.5, 0, thousands=True) == "12{,}346"``.
    """
    if _missing(value):
        return "n/a"
    rounded = round_half_up(value, digits, scale)
    text = f"{rounded:,f}" if thousands else f"{rounded:f}"
    return text.replace(",", "{,}")


def fmt_sig(value, significant: int = 3) -> str:
    """Format a number to ``significant`` significant digits, rounded half up in decimal.

    Returns
    -------
    str
        As Python's ``g`` format prints the rounded value (``0.0625``, ``1.907e-06``);
        ``"n/a"`` for NaN or None.
    """
    if _missing(value):
        return "n/a"
    if float(value) == 0:
        return "0"
    exponent = Decimal(repr(float(value))).adjusted()
    rounded = round_half_up(value, significant - 1 - exponent)
    return f"{float(rounded):.{significant}g}"


def fmt_pct(value, digits: int = 1) -> str:
    """Format a fraction as a percentage number without the sign (0.9123 -> ``"91.2"``); NaN -> ``"n/a"``.

    Rounded half up in decimal (:func:`round_half_up`): 0.02345 -> ``"2.35"`` with two digits.
    """
    return fmt_num(value, digits, scale=2)


def experiment_digits(block: pd.DataFrame) -> int:
    """Decimals for the percentages of one experiment: 2 when its strategies are close.

    When the mean AULC and final accuracies of all strategies lie within one
    percentage point (typical of a large initial set), one decimal would print
    them all alike; two keep the differences readable. Returns 1 or 2.
    """
    spreads = [block[c].max() - block[c].min() for c in ("aulc_mean", "final_accuracy_mean")
               if c in block and block[c].notna().any()]
    return 2 if spreads and max(spreads) * 100 < 1.0 else 1


def fmt_signed_pp(value, digits: int = 1) -> str:
    r"""Format a difference of fractions as signed percentage points for LaTeX.

    ``0.012`` -> ``"\ensuremath{+}1.2"``, ``-0.003`` -> ``"\ensuremath{-}0.3"``; a value
    that rounds to zero has no sign (``"0.0"``); NaN -> ``"n/a"``. ``\ensuremath``
    keeps the result valid in text and in math mode. Rounded half up in decimal
    (:func:`round_half_up`).
    """
    if _missing(value):
        return "n/a"
    v = round_half_up(value, digits, scale=2)
    if v == 0:
        return f"{v:f}"
    sign = r"\ensuremath{-}" if v < 0 else r"\ensuremath{+}"
    return f"{sign}{abs(v):f}"


def fmt_p(value) -> str:
    r"""Format a p-value: three decimals rounded half up (:func:`fmt_num`), ``"\ensuremath{<}0.001"``
    below 0.001, ``"n/a"`` for NaN."""
    if _missing(value):
        return "n/a"
    return r"\ensuremath{<}0.001" if float(value) < 0.001 else fmt_num(value, 3)


def _atomic_write(path: Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        paths.replace_keeping_umask(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _atomic_csv(frame: pd.DataFrame, path: Path) -> Path:
    return _atomic_write(path, frame.to_csv(index=False))


# --------------------------------------------------------------------------- summary table
def write_summary_table(strategy_summary: pd.DataFrame, tests: pd.DataFrame, pair: str,
                        path, per_run: pd.DataFrame | None = None) -> Path:
    r"""Write the per-strategy results of one pair as a booktabs LaTeX ``tabular``.

    The table is meant for a full-width ``table*`` float of a two-column paper
    (about 16 cm wide at 10 pt, inside the 6.75 in text width but far too wide
    for one 3.25 in column); it contains
    only the ``tabular``, so the paper supplies the float, caption and label.
    Needs ``\usepackage{booktabs}``.

    Rows are grouped by experiment (separated by ``\midrule``), strategies in
    display order with escaped display names. Columns: experiment; strategy;
    AULC and final accuracy as ``mean $\pm$ CI half-width`` in percent (95 % t
    interval over seeds; the best mean of an experiment in bold only where the
    data single it out, :func:`helpers.stats.best_strategy`: better than every
    other strategy in a Holm-corrected paired Wilcoxon test; nothing is bold
    without ``per_run``); then, under a spanning header per metric of
    :data:`TABLE_TEST_METRICS` present in ``tests``, the mean paired difference
    to random sampling (percentage points) and the Holm-corrected two-sided
    Wilcoxon p-value. Note rows below ``\bottomrule`` state the number of seeds,
    the initial-set sizes, the test, and the smallest p-value the exact test can
    reach with that many seeds (before and after Holm correction).

    Parameters
    ----------
    strategy_summary
        Output of :func:`helpers.stats.strategy_summary`.
    tests
        Rows of :func:`helpers.stats.paired_tests` (one or several metrics, concatenated).
    pair
        Model-dataset pair to tabulate.
    path
        File to write.
    per_run
        Output of :func:`helpers.stats.per_run_metrics`, for the bold rule.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    summary = strategy_summary[strategy_summary["pair"] == pair]
    if summary.empty:
        raise ValueError(f"no summary rows for pair {pair!r}")
    tests = tests[tests["pair"] == pair] if not tests.empty else tests
    metrics = [m for m in TABLE_TEST_METRICS if not tests.empty and m in set(tests["metric"])]
    group = {"aulc": "AULC vs random", "final_accuracy": "Final acc. vs random"}
    n_cols = 4 + 2 * len(metrics)

    lines = [
        "% Generated by helpers.report.write_summary_table; do not edit by hand.",
        r"\begin{tabular}{ll" + "r" * (n_cols - 2) + "}",
        r"\toprule",
    ]
    if metrics:
        spans = [rf"\multicolumn{{2}}{{c}}{{{group[m]}}}" for m in metrics]
        lines.append(" & ".join(["", "", "", ""] + spans) + r" \\")
        lines.append("".join(rf"\cmidrule(lr){{{5 + 2 * i}-{6 + 2 * i}}}"
                             for i in range(len(metrics))))
    header = ["Experiment", "Strategy", r"AULC (\%)", r"Final acc. (\%)"]
    header += [r"$\Delta$ (pp)", r"$p_\mathrm{Holm}$"] * len(metrics)
    lines += [" & ".join(header) + r" \\", r"\midrule"]

    def cell(row, metric: str, bold: bool, digits: int) -> str:
        m, hi = row[f"{metric}_mean"], row[f"{metric}_ci_hi"]
        if _missing(m):
            return "n/a"
        mean = rf"\textbf{{{fmt_pct(m, digits)}}}" if bold else fmt_pct(m, digits)
        return rf"{mean} $\pm$ {fmt_pct(hi - m, digits)}"

    singled_out: dict[tuple[str, str], str] = {}
    if per_run is not None:
        mine = per_run[per_run["pair"] == pair]
        for metric in ("aulc", "final_accuracy"):
            for _, best in stats.best_strategy(mine, metric).iterrows():
                if best["singled_out"]:
                    singled_out[(best["experiment"], metric)] = best["strategy"]
    experiments = stats.ordered_experiments(summary["experiment"])
    for k, experiment in enumerate(experiments):
        block = summary[summary["experiment"] == experiment]
        digits = experiment_digits(block)
        bold = {metric: singled_out.get((experiment, metric)) for metric in ("aulc", "final_accuracy")}
        for r, strategy in enumerate(stats.ordered_strategies(block["strategy"])):
            row = block[block["strategy"] == strategy].iloc[0]
            cells = [
                latex_escape(experiment.capitalize()) if r == 0 else "",
                latex_escape(stats.strategy_label(strategy)),
                cell(row, "aulc", bold["aulc"] == strategy, digits),
                cell(row, "final_accuracy", bold["final_accuracy"] == strategy, digits),
            ]
            for metric in metrics:
                t = tests[(tests["experiment"] == experiment) & (tests["strategy"] == strategy)
                          & (tests["metric"] == metric)]
                if strategy == stats.REFERENCE_STRATEGY or t.empty:
                    cells += ["---", "---"]
                else:
                    cells += [fmt_signed_pp(t["mean_diff"].iloc[0], digits), fmt_p(t["p_holm"].iloc[0])]
            lines.append(" & ".join(cells) + r" \\")
        if k < len(experiments) - 1:
            lines.append(r"\midrule")
    lines.append(r"\bottomrule")

    # Several short note rows: one long \multicolumn{..}{l} would widen the whole table.
    seeds = sorted(set(int(n) for n in summary["n_seeds"]))
    plural = "s" if seeds != [1] else ""
    notes = [rf"Mean $\pm$ 95\,\% CI half-width over {'/'.join(map(str, seeds))} seed{plural}; "
             r"$\Delta$: mean paired difference to random, in percentage points."]
    if per_run is not None:
        notes.append(r"Bold: better than every other strategy (paired Wilcoxon, Holm, 5\,\%).")
    known = [f"{e} {_INITIAL_SET_TEX[e]}" for e in experiments if e in _INITIAL_SET_TEX]
    if known:
        notes.append("Initial labelled set: " + ", ".join(known) + ".")
    if metrics:
        notes.append(r"$p$: two-sided exact Wilcoxon signed-rank test (tied differences share their "
                     "average rank; the exact sign-flip distribution), Holm-corrected within each experiment.")
        holm_floor = tests["min_attainable_p_holm"].min()
        if min(seeds) < 2 or _missing(holm_floor):
            notes.append("With fewer than two seeds per strategy no test is possible.")
        else:
            notes.append(rf"With {min(seeds)} seeds no $p$ below "
                         f"{fmt_sig(stats.min_attainable_p(min(seeds)), 3)} is attainable "
                         f"({fmt_sig(holm_floor, 3)} after Holm correction).")
    for note in notes:
        lines.append(rf"\multicolumn{{{n_cols}}}{{l}}{{\footnotesize {note}}} \\")
    lines.append(r"\end{tabular}")
    return _atomic_write(Path(path), "\n".join(lines) + "\n")


def write_macro_f1_table(strategy_summary: pd.DataFrame, path) -> Path:
    r"""Write the final macro-F1 score of every strategy as a booktabs LaTeX ``tabular``.

    One row per (pair, strategy), rows grouped by pair under a ``\multicolumn`` heading
    with the pair's display name; one column per experiment present, each cell
    ``mean $\pm$ CI half-width`` in percent (95 % t interval over seeds), with the
    experiment's precision (:func:`experiment_digits`). Narrow enough for one column.

    Parameters
    ----------
    strategy_summary
        Output of :func:`helpers.stats.strategy_summary` with ``final_macro_f1`` columns.
    path
        File to write.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    if strategy_summary.empty or "final_macro_f1_mean" not in strategy_summary:
        raise ValueError("no final_macro_f1 in the strategy summary")
    experiments = stats.ordered_experiments(strategy_summary["experiment"])
    n_cols = 1 + len(experiments)
    lines = [
        "% Generated by helpers.report.write_macro_f1_table; do not edit by hand.",
        r"\begin{tabular}{l" + "r" * len(experiments) + "}",
        r"\toprule",
        " & ".join(["Strategy"] + [latex_escape(e.capitalize()) for e in experiments]) + r" \\",
    ]
    for pair in stats.ordered_pairs(strategy_summary["pair"]):
        rows = strategy_summary[strategy_summary["pair"] == pair]
        lines += [r"\midrule", rf"\multicolumn{{{n_cols}}}{{l}}{{\emph{{{latex_escape(stats.pair_label(pair))}}}}} \\"]
        digits = {e: experiment_digits(rows[rows["experiment"] == e]) for e in experiments
                  if not rows[rows["experiment"] == e].empty}
        for strategy in stats.ordered_strategies(rows["strategy"]):
            cells = [latex_escape(stats.strategy_label(strategy))]
            for experiment in experiments:
                row = rows[(rows["experiment"] == experiment) & (rows["strategy"] == strategy)]
                if row.empty or _missing(row["final_macro_f1_mean"].iloc[0]):
                    cells.append("---")
                    continue
                m, hi = row["final_macro_f1_mean"].iloc[0], row["final_macro_f1_ci_hi"].iloc[0]
                d = digits[experiment]
                cells.append(f"{fmt_pct(m, d)} $\\pm$ {fmt_pct(hi - m, d)}" if not _missing(hi)
                             else fmt_pct(m, d))
            lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return _atomic_write(Path(path), "\n".join(lines) + "\n")


_RULE_LABELS = {"fixed": "fixed budget", "converge": "to convergence", "cold": "cold refit"}


def write_update_rule_table(table: pd.DataFrame, path) -> Path:
    r"""Write the fine-tuning ablation as a booktabs LaTeX ``tabular``.

    Rows: experiments, then strategies in display order. For each update rule (in the
    table's order, the study's first) two columns: the mean paired AULC difference to
    random in percentage points (random's own row shows its AULC in percent, in
    parentheses) and the strategy's mean AULC rank over the seeds (1 = best). Only the
    ``tabular``; the paper supplies the float.

    Parameters
    ----------
    table
        Output of :func:`helpers.stats.update_rule_table`.
    path
        File to write.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    if table.empty:
        raise ValueError("the update-rule table is empty")
    rules = list(dict.fromkeys(table["rule"]))
    n_cols = 2 + 2 * len(rules)
    lines = ["% Generated by helpers.report.write_update_rule_table; do not edit by hand.",
             r"\begin{tabular}{ll" + "rr" * len(rules) + "}", r"\toprule",
             " & ".join(["", ""] + [rf"\multicolumn{{2}}{{c}}{{{_RULE_LABELS.get(r, latex_escape(r))}}}"
                                    for r in rules]) + r" \\",
             "".join(rf"\cmidrule(lr){{{3 + 2 * i}-{4 + 2 * i}}}" for i in range(len(rules))),
             " & ".join(["Experiment", "Strategy"] + [r"$\Delta$AULC", "rank"] * len(rules)) + r" \\",
             r"\midrule"]
    experiments = stats.ordered_experiments(table["experiment"])
    indexed = table.set_index(["experiment", "rule", "strategy"])
    for k, experiment in enumerate(experiments):
        block = table[table["experiment"] == experiment]
        for r, strategy in enumerate(stats.ordered_strategies(block["strategy"])):
            cells = [latex_escape(experiment.capitalize()) if r == 0 else "", latex_escape(stats.strategy_label(strategy))]
            for rule in rules:
                row = indexed.loc[(experiment, rule, strategy)]
                if strategy == stats.REFERENCE_STRATEGY:
                    cells.append(f"({fmt_pct(row['aulc'])})")
                else:
                    cells.append(fmt_signed_pp(row["aulc_gain"]))
                cells.append(fmt_num(row["mean_rank"], 1))
            lines.append(" & ".join(cells) + r" \\")
        if k < len(experiments) - 1:
            lines.append(r"\midrule")
    seeds = sorted(set(int(n) for n in table["n_seeds"]))
    lines += [r"\bottomrule",
              rf"\multicolumn{{{n_cols}}}{{l}}{{\footnotesize $\Delta$AULC: mean paired difference to random "
              rf"(pp) over {'/'.join(map(str, seeds))} seeds; random: its AULC (\%).}} \\",
              rf"\multicolumn{{{n_cols}}}{{l}}{{\footnotesize rank: mean AULC rank over the seeds "
              r"(1 = best of the five strategies).} \\",
              r"\end{tabular}"]
    return _atomic_write(Path(path), "\n".join(lines) + "\n")


#: How the comparison table names each model, in headers and in its caption.
_MODEL_TEX = {"logreg": ("LogReg", "logistic regression"), "cnn": ("CNN", "CNN")}


def _seeds_phrase(counts) -> str:
    seeds = sorted(set(int(n) for n in counts))
    return f"{'/'.join(map(str, seeds))} seed{'s' if seeds != [1] else ''}"


def _model_tex(pair: str) -> tuple[str, str]:
    """(column header, caption phrase) of a pair, e.g. ``("LogReg", "logistic regression on MNIST")``."""
    spec = PAIRS.get(pair)
    if spec is None:
        return latex_escape(pair), latex_escape(pair)
    short, long = _MODEL_TEX.get(spec.model, (latex_escape(spec.model),) * 2)
    return short, f"{long} on {DATASET_TEX.get(spec.dataset, latex_escape(spec.dataset))}"


def write_model_comparison_table(table: pd.DataFrame, path, label: str = "tab:shallow-vs-deep") -> Path:
    r"""Write the shallow-versus-deep comparison as a full-width LaTeX ``table*`` float.

    Unlike the other generated tables this file is the whole float, caption and label
    included (the caption is generated from the data: models, datasets, seeds), so the
    paper only reads it with ``\input``. Needs ``\usepackage{booktabs}``.

    Rows are grouped by experiment (separated by ``\midrule``), one row per strategy
    (display names, display order). Columns: experiment; strategy; under "AULC gain over
    random (pp)" the shallow model's gain and mean AULC rank, then the deep model's; under
    "Final acc. gain (pp)" the shallow and the deep model's gain. A gain is
    the mean paired difference to random sampling in signed percentage points
    (:func:`fmt_signed_pp`) followed by ``$\pm$`` the half-width of its 95 % t interval (the
    interval is symmetric), or by nothing with a single seed. Two decimals in an
    experiment whose gains all lie within one point, one otherwise. A dagger marks a gain
    whose Holm-corrected Wilcoxon p is below the level (``significant``); nothing is bold.
    The rank is the mean AULC rank with one decimal (1 = best, random included).

    Parameters
    ----------
    table
        Output of :func:`helpers.stats.model_comparison`.
    path
        File to write (usually ``shallow_vs_deep.tex``).
    label
        LaTeX label of the float.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If ``table`` is empty.
    """
    if table.empty:
        raise ValueError("the model comparison table is empty")
    shallow, deep = table["shallow_pair"].iloc[0], table["deep_pair"].iloc[0]
    (s_head, s_long), (d_head, d_long) = _model_tex(shallow), _model_tex(deep)
    metrics = [m for m in stats.COMPARISON_METRICS if m in set(table["metric"])]
    # Per metric: the roles shown, and whether the rank follows each gain (AULC only).
    layout = {"aulc": [("shallow", True), ("deep", True)], "final_accuracy": [("shallow", False), ("deep", False)]}
    titles = {"aulc": "AULC gain over random (pp)", "final_accuracy": r"Final acc.\ gain (pp)"}
    heads = {"shallow": s_head, "deep": d_head}
    spans, header, start = [], ["Experiment", "Strategy"], 3
    for metric in metrics:
        width = sum(2 if with_rank else 1 for _, with_rank in layout[metric])
        spans.append((titles[metric], start, start + width - 1))
        for role, with_rank in layout[metric]:
            header += [heads[role]] + (["rank"] if with_rank else [])
        start += width
    n_cols = start - 1

    def gain_cell(row, role: str, digits: int) -> str:
        gain, lo, hi = row[f"{role}_gain"], row[f"{role}_lo"], row[f"{role}_hi"]
        if _missing(gain):
            return "n/a"
        text = fmt_signed_pp(gain, digits)
        if not _missing(lo) and not _missing(hi):
            text += rf" $\pm$ {fmt_pct((hi - lo) / 2, digits)}"
        return text + (r"$^\dagger$" if bool(row[f"{role}_significant"]) else "")

    caption = (
        rf"Shallow versus deep model: what each query strategy gains over random sampling with the "
        rf"{s_long} ({_seeds_phrase(table['shallow_n_seeds'])}) and with the {d_long} "
        rf"({_seeds_phrase(table['deep_n_seeds'])}). Gain: mean paired difference to random sampling "
        r"in percentage points, $\pm$ the half-width of its 95\,\% $t$ interval over seeds (none with a "
        r"single seed); AULC: area under the learning curve (the mean accuracy over the label budget). "
        r"Rank: the strategy's mean AULC rank within the model and experiment, random included "
        r"(1 = best). $^\dagger$: Holm-corrected two-sided Wilcoxon signed-rank $p < 0.05$ (corrected "
        r"within each model, experiment and metric); with fewer than two seeds no test is possible.")
    experiments = stats.ordered_experiments(table["experiment"])
    known = [f"{e} {_INITIAL_SET_TEX[e]}" for e in experiments if e in _INITIAL_SET_TEX]
    if known:
        caption += " Initial labelled set: " + ", ".join(known) + "."
    lines = ["% Generated by helpers.report.write_model_comparison_table; do not edit by hand.",
             r"\begin{table*}[t]", rf"\caption{{{caption}}}", rf"\label{{{label}}}", r"\centering", r"\small",
             r"\setlength{\tabcolsep}{4pt}",
             r"\begin{tabular}{ll" + "r" * (n_cols - 2) + "}", r"\toprule",
             " & ".join(["", ""] + [rf"\multicolumn{{{b - a + 1}}}{{c}}{{{t}}}" for t, a, b in spans]) + r" \\",
             "".join(rf"\cmidrule(lr){{{a}-{b}}}" for _, a, b in spans),
             " & ".join(header) + r" \\", r"\midrule"]
    for k, experiment in enumerate(experiments):
        block = table[table["experiment"] == experiment]
        values = block[["shallow_gain", "deep_gain"]].abs().to_numpy(dtype=float)
        digits = 2 if np.isfinite(values).any() and np.nanmax(values) * 100 < 1.0 else 1
        for r, strategy in enumerate(stats.ordered_strategies(block["strategy"])):
            cells = [latex_escape(experiment.capitalize()) if r == 0 else "",
                     latex_escape(stats.strategy_label(strategy))]
            for metric in metrics:
                rows = block[(block["strategy"] == strategy) & (block["metric"] == metric)]
                for role, with_rank in layout[metric]:
                    if rows.empty:
                        cells += ["---"] + (["---"] if with_rank else [])
                        continue
                    row = rows.iloc[0]
                    cells.append(gain_cell(row, role, digits))
                    if with_rank:
                        rank = row[f"{role}_rank"]
                        cells.append(fmt_num(rank, 1))
            lines.append(" & ".join(cells) + r" \\")
        if k < len(experiments) - 1:
            lines.append(r"\midrule")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table*}"]
    return _atomic_write(Path(path), "\n".join(lines) + "\n")


#: Pilot summaries rendered by :func:`write_pilot_tables`: folder under ``results/pilots``
#: -> stem of the table written into the paper's generated folder.
PILOTS = {
    "mnist_logreg_finetune": "pilot_finetune_mnist_logreg",
    "cifar10_cnn_widths": "pilot_widths_cifar10_cnn",
    "cifar10_cnn_protocol": "pilot_protocol_cifar10_cnn",
}

_ARM_LABELS = {"steps10": "10 steps", "steps30": "30 steps", "steps100": "100 steps", "epochs2": "2 epochs",
               "subset5k": "5,000", "subset10k": "10,000", "subset20k": "20,000", "whole": "whole pool"}


def _pilot_rows(name: str, table: pd.DataFrame) -> tuple[list[str], list[list[str]], list[str]]:
    """Return (header, rows, notes) of one pilot's LaTeX table."""
    if name == "mnist_logreg_finetune":
        header = ["Experiment", "L-BFGS it.", r"Val.\ AULC (\%)", r"Val.\ final (\%)", "s/query"]
        rows = [[latex_escape(r.experiment.capitalize()), str(int(r.finetune_max_iter)), fmt_pct(r.val_aulc, 2),
                 fmt_pct(r.val_final_accuracy, 2), fmt_num(r.fit_seconds_per_query, 3)] for r in table.itertuples()]
        notes = [r"Validation split; random and margin sampling, seeds 42 and 43, 250 queries of 5 labels.",
                 r"s/query: mean fine-tuning time per query."]
    elif name == "cifar10_cnn_widths":
        header = [r"Widths $c_1/c_2/h_1/h_2$", "Pad.", "Params", r"Val.\ acc.\ 10 ep.\ (\%)", "Train img/s",
                  "Infer.\\ img/s"]
        rows = []
        for r in table.itertuples():
            acc = getattr(r, "val_accuracy_e10", np.nan)
            widths = r.widths if isinstance(r.widths, str) else "32/64/256/128"
            rows.append([widths, "1" if (r.setting.endswith("p") or r.setting == "w32") else "0",
                         "n/a" if _missing(r.n_params) else fmt_num(r.n_params, 2, scale=-6) + r"\,M",
                         "n/a" if _missing(acc) else fmt_pct(acc),
                         fmt_num(r.bench_train_images_per_s, 0, thousands=True),
                         fmt_num(r.bench_infer_images_per_s, 0, thousands=True)])
        notes = [r"Whole 40{,}000-image pool of seed 42, Adam $10^{-3}$, batch 128; validation split.",
                 r"Throughput on one core, settings timed side by side; 32/64/256/128 timed only."]
    else:
        header = ["Experiment", "Setting", "AULC random", "AULC margin", "fit s/q.", "query s/q."]
        rows = [[latex_escape(r.experiment.capitalize()), _ARM_LABELS.get(r.arm, latex_escape(r.arm)),
                 fmt_pct(getattr(r, "val_aulc_random", np.nan)), fmt_pct(getattr(r, "val_aulc_margin", np.nan)),
                 fmt_num(r.fit_seconds_per_query, 2), fmt_num(r.query_seconds_per_query, 2)]
                for r in table.itertuples()]
        subset = fmt_num(PAIRS["cifar10_cnn"].pool_subset, 0, thousands=True)
        notes = [r"Validation AULC (\%), seed 42, 50 queries of 250 labels; steps: Adam steps per query,",
                 rf"scoring a random subset of {subset} pool images per query;",
                 r"numbers: pool images scored per query (margin only). s/q.: seconds per query, one core."]
    return header, rows, notes


def write_pilot_tables(results_root, out_dir) -> list[Path]:
    r"""Write one booktabs ``tabular`` per pilot summary found under ``results/pilots``.

    The pilots are the scripts in ``benchmarks/`` that chose protocol settings on the
    validation split (:data:`PILOTS`); each writes ``summary.csv`` into its folder. Missing
    pilots are skipped.

    Returns
    -------
    list of pathlib.Path
        The ``.tex`` files written (``<stem>.tex`` per :data:`PILOTS`).
    """
    written = []
    for name, stem in PILOTS.items():
        path = Path(results_root) / "pilots" / name / "summary.csv"
        if not path.is_file():
            continue
        header, rows, notes = _pilot_rows(name, pd.read_csv(path))
        lines = [f"% Generated by helpers.report.write_pilot_tables from {path.parent.name}/summary.csv.",
                 r"\begin{tabular}{" + "l" * 2 + "r" * (len(header) - 2) + "}", r"\toprule",
                 " & ".join(header) + r" \\", r"\midrule"]
        previous = None
        for row in rows:
            if header[0] == "Experiment":
                if previous is not None and row[0] != previous:
                    lines.append(r"\midrule")
                previous, row = row[0], [row[0] if row[0] != previous else ""] + row[1:]
            lines.append(" & ".join(row) + r" \\")
        lines.append(r"\bottomrule")
        lines += [rf"\multicolumn{{{len(header)}}}{{l}}{{\footnotesize {note}}} \\" for note in notes]
        lines.append(r"\end{tabular}")
        written.append(_atomic_write(Path(out_dir) / f"{stem}.tex", "\n".join(lines) + "\n"))
    return written


# --------------------------------------------------------------------------- macros
_ONES = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
         "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen",
         "Eighteen", "Nineteen"]
_TENS = ["", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety"]


def _number_word(digits: str) -> str:
    """``"10"`` -> ``"Ten"``, ``"42"`` -> ``"FortyTwo"``; beyond 99 digit by digit."""
    n = int(digits)
    if len(digits) > 2 or (len(digits) > 1 and digits.startswith("0")):
        return "".join(_ONES[int(d)] for d in digits)
    if n < 20:
        return _ONES[n]
    return _TENS[n // 10] + (_ONES[n % 10] if n % 10 else "")


def macro_part(identifier: str) -> str:
    """Turn an identifier into a letters-only CamelCase fragment of a macro name.

    Rule: split at every character that is not a letter or digit (``_``, ``-``,
    spaces), capitalise the first letter of each piece and lower-case nothing
    else; runs of digits become English words with a capital (0-99 as one number,
    ``10`` -> ``Ten``, ``42`` -> ``FortyTwo``; longer runs digit by digit).
    Examples: ``mnist_logreg`` -> ``MnistLogreg``, ``cifar10_cnn`` -> ``CifarTenCnn``,
    ``least_confident`` -> ``LeastConfident``, ``stream_uncertainty`` -> ``StreamUncertainty``.
    """
    pieces = re.findall(r"[A-Za-z]+|\d+", str(identifier))
    out = []
    for piece in pieces:
        out.append(_number_word(piece) if piece.isdigit() else piece[0].upper() + piece[1:])
    return "".join(out)


def macro_name(*parts: str) -> str:
    """Join identifiers into a macro name (without backslash) by :func:`macro_part`.

    Raises
    ------
    ValueError
        If the result is empty or not letters only.
    """
    name = "".join(macro_part(p) for p in parts)
    if not re.fullmatch(r"[A-Za-z]+", name):
        raise ValueError(f"cannot build a letters-only macro name from {parts!r}")
    return name


def _macro_entries(strategy_summary: pd.DataFrame, tests: pd.DataFrame,
                   reference: pd.DataFrame | None, labels_table: pd.DataFrame | None,
                   meta: list[dict] | None) -> list[tuple[str, str, str]]:
    """Return (name, value, comment) triples in a deterministic order."""
    entries: list[tuple[str, str, str]] = []

    def add(name_parts: Sequence[str], value: str, comment: str) -> None:
        entries.append((macro_name(*name_parts), value, comment))

    all_seeds = sorted(set(int(n) for n in strategy_summary["n_seeds"]))
    if all_seeds:
        add(["N", "Seeds"], str(max(all_seeds)), "largest number of seeds of any configuration")
        add(["Min", "Attainable", "P"],
            fmt_sig(stats.min_attainable_p(max(all_seeds)), 4) if max(all_seeds) >= 2 else "n/a",
            "smallest two-sided exact Wilcoxon p with that many seeds")
    add(["Significance", "Level"], "0.05", "significance level (Holm-corrected p)")

    ref_summary = (stats.reference_summary(reference)
                   if reference is not None and not reference.empty else None)
    n_pool = {}
    for m in meta or []:
        if m.get("n_pool") is not None:
            n_pool.setdefault(m["pair"], int(m["n_pool"]))

    for pair in stats.ordered_pairs(strategy_summary["pair"]):
        p_rows = strategy_summary[strategy_summary["pair"] == pair]
        if pair in n_pool:
            add([pair, "N", "Pool"], fmt_num(n_pool[pair], 0, thousands=True), "pool size")
        if pair in PAIRS and PAIRS[pair].pool_subset is not None:
            add([pair, "Pool", "Subset"], fmt_num(PAIRS[pair].pool_subset, 0, thousands=True),
                "unlabelled images the pool strategies score per query (a random subset of the pool)")
        run_seconds = [m["timings"]["total_seconds"] for m in meta or []
                       if m.get("pair") == pair and isinstance(m.get("timings"), dict)
                       and isinstance(m["timings"].get("total_seconds"), (int, float))]
        if run_seconds:
            add([pair, "Grid", "Core", "Minutes"], fmt_num(sum(run_seconds) / 60, 0, thousands=True),
                "sum of the wall times of the pair's runs (one core each), minutes; references not included")
            ref_seconds = (pd.to_numeric(reference.loc[reference["pair"] == pair, "fit_seconds"], errors="coerce")
                           .dropna() if reference is not None and "fit_seconds" in reference else pd.Series([]))
            add([pair, "Grid", "And", "References", "Core", "Minutes"],
                fmt_num((sum(run_seconds) + float(ref_seconds.sum())) / 60, 0, thousands=True)
                if len(ref_seconds) else "n/a",
                "the runs' wall times plus the training times of the pair's full-pool references "
                "(one core each), minutes; n/a without references")
        if ref_summary is not None and pair in set(ref_summary["pair"]):
            r = ref_summary[ref_summary["pair"] == pair].iloc[0]
            add([pair, "Ref", "Acc"], fmt_pct(r["accuracy_mean"]), "full-pool reference accuracy, %")
            add([pair, "Ref", "N", "Seeds"], str(int(r["n_seeds"])), "seeds of the reference model")
        for experiment in stats.ordered_experiments(p_rows["experiment"]):
            e_rows = p_rows[p_rows["experiment"] == experiment]
            base = [pair, experiment]
            digits = experiment_digits(e_rows)
            n = int(e_rows["n_seeds"].min())
            add(base + ["N", "Seeds"], str(n), "seeds per strategy (smallest)")
            add(base + ["Min", "P"], fmt_sig(stats.min_attainable_p(n), 4) if n >= 2 else "n/a",
                "smallest attainable exact Wilcoxon p with that many seeds")
            best = e_rows.loc[e_rows["aulc_mean"].idxmax()]
            add(base + ["Best", "Strategy"], latex_escape(stats.strategy_label(best["strategy"])),
                "strategy with the highest mean AULC")
            add(base + ["Best", "Strategy", "Aulc"], fmt_pct(best["aulc_mean"], digits), "its mean AULC, %")
            if "initial_accuracy_mean" in e_rows:
                # Every strategy of a seed starts from the same model; the mean over
                # strategies is the mean over seeds.
                add(base + ["Initial", "Acc"], fmt_pct(e_rows["initial_accuracy_mean"].mean(), digits),
                    "mean accuracy of the pre-trained model (before any query), %")
            if "lowest_accuracy_mean" in e_rows and e_rows["lowest_accuracy_mean"].notna().any():
                add(base + ["Lowest", "Acc"], fmt_pct(e_rows["lowest_accuracy_mean"].mean(), digits),
                    "lowest test accuracy after a query, % (mean over strategies and seeds)")
            add(base + ["Lowest", "Final", "Acc"], fmt_pct(e_rows["final_accuracy_mean"].min(), digits),
                "lowest mean final accuracy of any strategy, %")
            add(base + ["Highest", "Final", "Acc"], fmt_pct(e_rows["final_accuracy_mean"].max(), digits),
                "highest mean final accuracy of any strategy, %")
            best_final = e_rows.loc[e_rows["final_accuracy_mean"].idxmax()]
            add(base + ["Best", "Final", "Strategy"],
                latex_escape(stats.strategy_label(best_final["strategy"])),
                "strategy with the highest mean final accuracy")
            e_tests = tests[(tests["pair"] == pair) & (tests["experiment"] == experiment)] \
                if not tests.empty else tests
            for metric, tag in (("aulc", "Aulc"), ("final_accuracy", "FinalAcc")):
                if not e_tests.empty and metric in set(e_tests["metric"]):
                    n_sig = int(e_tests[e_tests["metric"] == metric]["significant"].sum())
                    add(base + ["N", "Sig", tag], str(n_sig),
                        f"strategies significantly different from random in {metric}")
            if not e_tests.empty:
                aulc_tests = e_tests[e_tests["metric"] == "aulc"].set_index("strategy")
                gains = aulc_tests["mean_diff"]
                # A share of a gain whose interval includes zero would be noise over noise: n/a.
                if {"margin", "stream_uncertainty"} <= set(gains.index):
                    share = 100 * gains["stream_uncertainty"] / gains["margin"]
                    add(base + ["Stream", "Share", "Of", "Margin"],
                        fmt_num(share, 0) if aulc_tests.loc["margin", "diff_ci_lo"] > 0 else "n/a",
                        "the stream's mean AULC gain over random as a share of margin sampling's, % "
                        "(n/a unless margin's gain has a positive 95 % interval)")
            for strategy in stats.ordered_strategies(e_rows["strategy"]):
                row = e_rows[e_rows["strategy"] == strategy].iloc[0]
                s_base = base + [strategy]
                add(s_base + ["Final", "Acc"], fmt_pct(row["final_accuracy_mean"], digits),
                    "mean final accuracy, %")
                add(s_base + ["Final", "Acc", "CI"],
                    fmt_pct(row["final_accuracy_ci_hi"] - row["final_accuracy_mean"], digits),
                    "95 % CI half-width, pp")
                add(s_base + ["Aulc"], fmt_pct(row["aulc_mean"], digits), "mean AULC, %")
                if "final_train_accuracy_mean" in row and not _missing(row["final_train_accuracy_mean"]):
                    add(s_base + ["Final", "Train", "Acc"], fmt_pct(row["final_train_accuracy_mean"]),
                        "mean accuracy on the labelled set at the end, %")
                add(s_base + ["Aulc", "CI"], fmt_pct(row["aulc_ci_hi"] - row["aulc_mean"], digits),
                    "95 % CI half-width, pp")
                if strategy != stats.REFERENCE_STRATEGY and not e_tests.empty:
                    for metric, tag in (("aulc", "Aulc"), ("final_accuracy", "FinalAcc")):
                        t = e_tests[(e_tests["strategy"] == strategy) & (e_tests["metric"] == metric)]
                        if t.empty:
                            continue
                        add(s_base + [tag, "Diff"], fmt_signed_pp(t["mean_diff"].iloc[0], digits),
                            f"mean paired difference to random in {metric}, pp")
                        add(s_base + [tag, "Change"], change_phrase(t["mean_diff"].iloc[0], digits),
                            f"the same difference as text ('gains 1.5 points', 'loses 1.5 points')")
                        add(s_base + [tag, "P"], fmt_p(t["p_holm"].iloc[0]),
                            f"Holm-corrected Wilcoxon p for {metric}")
                        add(s_base + [tag, "Better"], str(int(t["n_better"].iloc[0])),
                            f"seeds on which it beats random in {metric}")
                if "inspected_per_label_mean" in row and not _missing(row["inspected_per_label_mean"]):
                    add(s_base + ["Inspected", "Per", "Label"], fmt_num(row["inspected_per_label_mean"], 1),
                        "instances inspected per label obtained (mean over seeds)")
                if "fallback_share_mean" in row and not _missing(row["fallback_share_mean"]):
                    add(s_base + ["Fallback", "Share"], fmt_pct(row["fallback_share_mean"]),
                        "labels filled in after the stream ran dry, % of labels acquired")
                if labels_table is not None and not labels_table.empty:
                    lt = labels_table[(labels_table["pair"] == pair)
                                      & (labels_table["experiment"] == experiment)
                                      & (labels_table["strategy"] == strategy)]
                    if not lt.empty:
                        ratio = lt["ratio"].iloc[0]
                        add(s_base + ["Labels", "Ratio"],
                            fmt_num(ratio, 2),
                            "queried labels to reach the target / random's")
            if labels_table is not None and not labels_table.empty:
                lt = labels_table[(labels_table["pair"] == pair)
                                  & (labels_table["experiment"] == experiment)]
                if not lt.empty:
                    add(base + ["Target", "Acc"], fmt_pct(lt["target_accuracy"].iloc[0]),
                        "target accuracy of the labels-to-target comparison, %")
    return entries


def _analysis_entries(ranks: pd.DataFrame | None, balance: pd.DataFrame | None,
                      update_rules: Mapping[str, pd.DataFrame] | None,
                      composition: pd.DataFrame | None = None) -> list[tuple[str, str, str]]:
    """Macros of the rank, query-balance and update-rule analyses (see :func:`write_macros`)."""
    entries: list[tuple[str, str, str]] = []
    add = lambda parts, value, comment: entries.append((macro_name(*parts), value, comment))  # noqa: E731
    if composition is not None and not composition.empty:
        # Whole-run class shares (one block), mean over seeds.
        shares = composition.groupby(["pair", "experiment", "strategy", "class"])["share"].mean()
        # Classes by name, as the figures show them (index when a run recorded no names).
        names = (composition.drop_duplicates(["pair", "class"]).set_index(["pair", "class"])["class_name"]
                 if "class_name" in composition else None)
        name_of = lambda pair, c: latex_escape(names[(pair, c)]) if names is not None else str(c)  # noqa: E731
        for (pair, experiment, strategy), block in shares.groupby(level=[0, 1, 2]):
            block = block.droplevel([0, 1, 2])
            base = [pair, experiment, strategy]
            add(base + ["Least", "Queried", "Class"], name_of(pair, block.idxmin()),
                "class with the smallest share of the "
                "queried labels (whole run, mean over seeds)")
            add(base + ["Least", "Queried", "Share"], fmt_pct(block.min()), "its share of the queried labels, %")
            add(base + ["Most", "Queried", "Class"], name_of(pair, block.idxmax()), "class with the largest share")
            add(base + ["Most", "Queried", "Share"], fmt_pct(block.max()), "its share of the queried labels, %")
    if ranks is not None and not ranks.empty:
        for (pair, experiment), block in ranks.groupby(["pair", "experiment"], sort=False):
            base = [pair] + ([] if experiment == "all" else [experiment])
            first = block.iloc[0]
            add(base + ["Friedman", "P"], fmt_p(first["friedman_p"]), "Friedman test p over the seed blocks")
            add(base + ["Rank", "CD"], fmt_num(first["cd"], 2), "Nemenyi critical difference of mean ranks")
            add(base + ["N", "Rank", "Blocks"], str(int(first["n_blocks"])), "blocks (experiment x seed) ranked")
            for _, row in block.iterrows():
                add(base + [row["strategy"], "Mean", "Rank"], fmt_num(row["mean_rank"], 2),
                    "mean AULC rank (1 = best)")
        best_rows = stats.best_by_rank(ranks)
        for row in best_rows.itertuples():
            base = [row.pair] + ([] if row.experiment == "all" else [row.experiment])
            add(base + ["Best", "Rank", "Strategy"], _strategy_names(row.best),
                "strategy with the best mean AULC rank (display name; tied ones joined by 'and')")
        for pair, block in best_rows[best_rows["experiment"] != "all"].groupby("pair", sort=False):
            add([pair, "Best", "Rank", "By", "Experiment"],
                per_experiment_phrase(dict(zip(block["experiment"], block["best"]))),
                "best strategy by mean AULC rank per experiment, as text ('margin sampling in all three "
                "experiments')")
    if balance is not None and not balance.empty:
        means = balance.groupby(["pair", "experiment", "strategy"])[["max_share", "classes_covered"]].mean()
        for (pair, experiment, strategy), row in means.iterrows():
            base = [pair, experiment, strategy, "First", "Rounds"]
            add(base + ["Max", "Share"], fmt_pct(row["max_share"], 0),
                "share of the most queried class in the first query rounds, % (mean over seeds)")
            add(base + ["Classes"], fmt_num(row["classes_covered"], 1),
                "classes among the labels of the first query rounds (mean over seeds)")
    for pair, table in (update_rules or {}).items():
        agreement = stats.ranking_agreement(table)
        for _, row in agreement.iterrows():
            base = [pair, row["experiment"], row["rule"]]
            add(base + ["Best"], latex_escape(stats.strategy_label(row["best"])),
                "strategy with the best mean AULC rank under this update rule")
            add(base + ["Same", "Order"], "the same" if row["same_order"] else "a different",
                "ranking of the strategies compared with the study's update rule")
            add(base + ["Kendall", "Tau"], fmt_num(row["kendall_tau"], 2), "Kendall tau with the study's ranking")
        for experiment, block in agreement.groupby("experiment", sort=False):
            add([pair, experiment, "Update", "Rules", "Order"],
                same_order_phrase(dict(zip(block["rule"], block["same_order"])), reference=block["rule"].iloc[0]),
                "whether the other update rules rank the strategies as the study's rule does, as text")
        for _, row in table.iterrows():
            base = [pair, row["experiment"], row["rule"], row["strategy"]]
            if row["strategy"] == stats.REFERENCE_STRATEGY:
                add(base + ["Aulc"], fmt_pct(row["aulc"]), "mean AULC under this update rule, %")
            else:
                add(base + ["Aulc", "Gain"], fmt_signed_pp(row["aulc_gain"]),
                    "mean paired AULC difference to random under this update rule, pp")
        for (experiment, rule), block in table.groupby(["experiment", "rule"], sort=False):
            add([pair, experiment, rule, "Initial", "Acc"], fmt_pct(block["initial_accuracy"].mean()),
                "pre-trained model's accuracy, % (mean over strategies and seeds)")
            add([pair, experiment, rule, "Lowest", "Acc"], fmt_pct(block["lowest_accuracy"].mean()),
                "lowest accuracy after a query, % (mean over strategies and seeds)")
        add([pair, "Update", "Rule", "N", "Seeds"], str(int(table["n_seeds"].min())), "seeds of the ablation")
    return entries


# --------------------------------------------------------------------------- prose
#: How the paper's running text names a strategy (tables use :func:`helpers.stats.strategy_label`).
STRATEGY_PHRASES = {"random": "random sampling", "margin": "margin sampling", "least_confident": "least confidence",
                    "entropy": "entropy sampling", "stream_uncertainty": "the stream",
                    "stream_redraw": "the redrawn stream"}

#: How the running text names an update rule of the fine-tuning ablation.
RULE_PHRASES = {"fixed": "the fixed budget", "converge": "fine-tuning to convergence", "cold": "the cold refit"}

_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                 "twelve")


def number_word(n: int) -> str:
    """Return ``n`` as the text writes it: a word up to twelve (``3 -> "three"``), digits beyond."""
    n = int(n)
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def all_experiments_phrase(n: int) -> str:
    """Return ``"both experiments"`` for two, else ``"all <n> experiments"`` (``"all three experiments"``)."""
    return "both experiments" if int(n) == 2 else f"all {number_word(n)} experiments"


def join_phrases(items: Iterable[str]) -> str:
    """Join phrases as a sentence lists them.

    Returns
    -------
    str
        ``""``, ``"a"``, ``"a and b"``, ``"a, b and c"``.
    """
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def strategy_phrase(strategy: str) -> str:
    """Return the running text's name of a strategy (``"margin"`` -> ``"margin sampling"``).

    Strategies tied for a place (joined by ``","`` as :func:`helpers.stats.best_by_rank`
    joins them) are listed and marked: ``"margin sampling and the stream (tied)"``.
    """
    names = [STRATEGY_PHRASES.get(s, latex_escape(s)) for s in str(strategy).split(",")]
    return join_phrases(names) + (" (tied)" if len(names) > 1 else "")


def experiment_phrase(experiment: str) -> str:
    r"""Return the running text's name of an experiment (``"small"`` -> ``"\emph{small}"``)."""
    return rf"\emph{{{latex_escape(experiment)}}}"


def change_phrase(value, digits: int = 1, unit: str = "points") -> str:
    r"""Say a signed difference in percentage points as a verb phrase, without a sign.

    Parameters
    ----------
    value
        A difference of fractions (0.015 = 1.5 points), rounded by :func:`round_half_up`.
    digits
        Decimals printed.
    unit
        Word after the number.

    Returns
    -------
    str
        ``"gains 1.5 points"``, ``"loses 1.5 points"`` (never ``"loses -1.5"``), ``"neither
        gains nor loses (0.0 points)"`` when the value rounds to zero, ``"n/a"`` for NaN.
        The subject is singular: "least confidence loses 1.5 points".
    """
    if _missing(value):
        return "n/a"
    rounded = round_half_up(value, digits, scale=2)
    if rounded == 0:
        return f"neither gains nor loses ({fmt_num(0, digits)} {unit})"
    return f"{'gains' if rounded > 0 else 'loses'} {abs(rounded):f} {unit}"


def per_experiment_phrase(best: Mapping[str, str]) -> str:
    r"""Say which strategy holds a place in each experiment, naming each strategy once.

    Parameters
    ----------
    best
        Experiment -> strategy (ties joined by ``","``), in the order the text lists them.

    Returns
    -------
    str
        ``"margin sampling in all three experiments"`` when one strategy holds it
        everywhere; otherwise the experiments grouped by strategy, e.g. ``"margin sampling
        in \emph{small} and \emph{moderate} and the stream in \emph{large}"``;
        ``"margin sampling in \emph{small}"`` for one experiment.
    """
    groups: dict[str, list[str]] = {}
    for experiment, strategy in best.items():
        groups.setdefault(str(strategy), []).append(experiment)
    if len(groups) == 1 and len(best) > 1:
        (strategy,) = groups
        return f"{strategy_phrase(strategy)} in {all_experiments_phrase(len(best))}"
    parts = [f"{strategy_phrase(strategy)} in {join_phrases(experiment_phrase(e) for e in experiments)}"
             for strategy, experiments in groups.items()]
    return join_phrases(parts) if len(parts) <= 2 else "; ".join(parts[:-1]) + "; and " + parts[-1]


def same_order_phrase(same: Mapping[str, bool], reference: str = "fixed") -> str:
    """Say whether other update rules rank the strategies as the reference rule does.

    Parameters
    ----------
    same
        Rule -> whether it gives the reference rule's order (the reference itself is ignored).
    reference
        The rule compared with.

    Returns
    -------
    str
        ``"in the same order as the fixed budget"`` (all rules agree), ``"in a different
        order from the fixed budget"`` (none does), or both halves with the rules named,
        e.g. ``"in the same order as the fixed budget under fine-tuning to convergence
        but in a different order under the cold refit"``.
    """
    others = {rule: bool(flag) for rule, flag in same.items() if rule != reference}
    base = RULE_PHRASES.get(reference, latex_escape(reference))
    if all(others.values()):
        return f"in the same order as {base}"
    if not any(others.values()):
        return f"in a different order from {base}"
    agree = join_phrases(RULE_PHRASES.get(r, latex_escape(r)) for r, flag in others.items() if flag)
    differ = join_phrases(RULE_PHRASES.get(r, latex_escape(r)) for r, flag in others.items() if not flag)
    return f"in the same order as {base} under {agree} but in a different order under {differ}"


def _order(block: pd.DataFrame, column: str) -> list[str]:
    """Strategies of one experiment sorted by ``column``, best first (ties by display order)."""
    block = block.assign(_display=[stats.ordered_strategies(block["strategy"]).index(s) for s in block["strategy"]])
    return list(block.sort_values([column, "_display"], ascending=[False, True])["strategy"])


def order_agreement_phrase(strategy_summary: pd.DataFrame, metric: str = "final_macro_f1_mean",
                           reference: str = "final_accuracy_mean", metric_name: str = "macro-F1") -> str:
    r"""Say where a metric orders the strategies as the reference metric does, and where not.

    The clause completes "…, which order the strategies as final accuracy does". Means
    are compared after rounding to the printed precision (:func:`experiment_digits`), so
    two strategies printed alike count as tied, not as swapped.

    Returns
    -------
    str
        ``"in all six experiments"``, or e.g. ``"in five of the six experiments; in CIFAR-10
        \emph{small} macro-F1 puts least confidence ahead of random sampling"`` (each pair
        of strategies whose order differs, the one ``metric`` ranks higher first).
    """
    differing, n = [], 0
    for pair in stats.ordered_pairs(strategy_summary["pair"]):
        p_rows = strategy_summary[strategy_summary["pair"] == pair]
        for experiment in stats.ordered_experiments(p_rows["experiment"]):
            block = p_rows[p_rows["experiment"] == experiment]
            if block[[metric, reference]].isna().any().any():
                continue
            n += 1
            digits = experiment_digits(block)
            shown = block.assign(**{c: [float(round_half_up(v, digits, scale=2)) for v in block[c]]
                                    for c in (metric, reference)})
            by_metric, by_reference = _order(shown, metric), _order(shown, reference)
            values = shown.set_index("strategy")
            swaps = [(a, b) for i, a in enumerate(by_metric) for b in by_metric[i + 1:]
                     if values.loc[a, metric] > values.loc[b, metric]
                     and values.loc[a, reference] < values.loc[b, reference]]
            if swaps:
                dataset = DATASET_TEX.get(PAIRS[pair].dataset, latex_escape(PAIRS[pair].dataset)) \
                    if pair in PAIRS else latex_escape(pair)
                differing.append(f"in {dataset} {experiment_phrase(experiment)} {metric_name} puts "
                                 + join_phrases(f"{STRATEGY_PHRASES.get(a, a)} ahead of {STRATEGY_PHRASES.get(b, b)}"
                                                for a, b in swaps))
    if not differing:
        return f"in {all_experiments_phrase(n)}" if n > 1 else "in this experiment"
    return f"in {number_word(n - len(differing))} of the {number_word(n)} experiments; " + "; ".join(differing)


def _strategy_names(joined: str) -> str:
    """Display names of ``","``-joined strategies (ties of :func:`helpers.stats.best_by_rank`) joined by "and"."""
    return " and ".join(latex_escape(stats.strategy_label(s)) for s in str(joined).split(","))


def _comparison_entries(best: pd.DataFrame | None) -> list[tuple[str, str, str]]:
    """Macros of the shallow-versus-deep comparison (see :func:`write_macros`)."""
    if best is None or best.empty:
        return []
    entries = []
    for row in best.itertuples():
        entries.append((macro_name("Comparison", row.experiment, "Same", "Best"),
                        "the same" if row.same_best else "a different",
                        "best strategy by mean AULC rank, deep model compared with the shallow one"))
    entries.append((macro_name("Comparison", "Best", "Changes"), str(int((~best["same_best"].astype(bool)).sum())),
                    "experiments whose best strategy by mean AULC rank differs between the models"))
    entries.append((macro_name("Comparison", "N", "Experiments"), str(len(best)),
                    "experiments compared between the models"))
    return entries


def _perclass_entries(deficit: pd.DataFrame | None, bootstrap: pd.DataFrame | None) -> list[tuple[str, str, str]]:
    """Macros of the per-class account and of the bootstrap probability of the best strategy."""
    entries = []
    for row in ([] if deficit is None else deficit.itertuples(index=False)):
        base = [row.pair, row.experiment, row.strategy]
        for quantity, value, comment in (
                ("ClassGap", fmt_signed_pp(row.gap_points / 100), "final-accuracy difference to random (pp), "
                                                                   "the sum of the per-class terms"),
                ("WorstClass", latex_escape(str(row.worst_class_name)), "class with the most negative term of "
                                                                         "the difference to random"),
                ("WorstClassGap", fmt_signed_pp(row.worst_gap_points / 100), "that class's term (pp)"),
                ("WorstClassShareOfGap", fmt_num(row.worst_share_of_gap, 0, scale=2),
                 "that term as a share of the whole difference (%)"),
                ("WorstClassConfusedAs", latex_escape(str(row.confused_as_name)),
                 "predicted class whose count in that class's row grew most against random"),
                ("WorstClassConfusionShare", fmt_num(row.confusion_share, 0, scale=2),
                 "share of that class's images predicted as it (%)"),
                ("WorstClassRefConfusionShare", fmt_num(row.reference_confusion_share, 0, scale=2),
                 "the same share under random sampling (%)")):
            entries.append((macro_name(*base, quantity), value, comment))
    for (pair, experiment), block in ([] if bootstrap is None else bootstrap.groupby(["pair", "experiment"],
                                                                                     sort=False)):
        best = block.loc[block["p_best"].idxmax()]
        entries.append((macro_name(pair, experiment, "BootstrapBest"), strategy_phrase(best["strategy"]),
                        "strategy most often best by mean AULC rank when seeds are resampled"))
        entries.append((macro_name(pair, experiment, "BootstrapBestP"), fmt_num(best["p_best"], 0, scale=2),
                        "how often it is best in the resamples (%)"))
        for row in block.itertuples(index=False):
            entries.append((macro_name(pair, experiment, row.strategy, "PBest"), fmt_num(row.p_best, 0, scale=2),
                            "share of seed resamples in which the strategy has the best mean AULC rank (%)"))
    return entries


def write_macros(strategy_summary: pd.DataFrame, tests: pd.DataFrame, path,
                 reference: pd.DataFrame | None = None, labels_table: pd.DataFrame | None = None,
                 meta: list[dict] | None = None, ranks: pd.DataFrame | None = None,
                 balance: pd.DataFrame | None = None,
                 update_rules: Mapping[str, pd.DataFrame] | None = None,
                 composition: pd.DataFrame | None = None, switches: Mapping[str, bool] | None = None,
                 comparison_best: pd.DataFrame | None = None, deficit: pd.DataFrame | None = None,
                 bootstrap: pd.DataFrame | None = None) -> Path:
    """Write ``\\newcommand`` definitions for every number the paper text quotes.

    Naming rule (deterministic): a macro name is the concatenation of
    :func:`macro_part` of its components, most general first --
    ``<Pair><Experiment><Strategy><Quantity>``, e.g. ``\\MnistLogregSmallMarginFinalAcc``,
    ``\\CifarTenCnnLargeStreamUncertaintyInspectedPerLabel``. Identifiers are split
    at ``_`` and capitalised; digits are spelled out (``cifar10`` -> ``CifarTen``),
    because LaTeX control words can contain letters only. Defined macros:

    * global: ``\\NSeeds``, ``\\MinAttainableP``, ``\\SignificanceLevel``;
    * per pair: ``<Pair>NPool`` (needs ``meta``), ``<Pair>GridCoreMinutes`` (the runs' wall
      times, references excluded; needs ``meta``), ``<Pair>GridAndReferencesCoreMinutes``
      (the same plus the full-pool references' training times; needs ``meta`` and
      ``reference``), ``<Pair>RefAcc``, ``<Pair>RefNSeeds`` (need ``reference``),
      ``<Pair>PoolSubset`` (pool images scored per query, for pairs that score a subset);
    * per pair and experiment: ``NSeeds``, ``MinP``, ``InitialAcc`` (the pre-trained
      model), ``LowestFinalAcc``, ``HighestFinalAcc``, ``BestStrategy`` (highest mean
      AULC, display name), ``BestStrategyAulc``, ``BestFinalStrategy``,
      ``NSigAulc``, ``NSigFinalAcc``, ``TargetAcc`` (needs ``labels_table``);
    * per pair, experiment and strategy: ``FinalAcc``, ``FinalAccCI``, ``Aulc``,
      ``AulcCI``; for non-random strategies ``AulcDiff``, ``AulcP``, ``AulcBetter``
      (seeds on which it beats random), ``FinalAccDiff``, ``FinalAccP``,
      ``FinalAccBetter``, ``AulcChange`` and ``FinalAccChange`` (the difference as a verb
      phrase, :func:`change_phrase`); ``InspectedPerLabel`` and ``FallbackShare`` (stream strategy);
      ``LabelsRatio`` (needs ``labels_table``);
    * from ``ranks`` (:func:`helpers.stats.friedman_ranks`, ``experiment`` ``"all"`` for a
      pair's whole grid): ``<Pair>[<Experiment>]FriedmanP``, ``RankCD``, ``NRankBlocks``,
      ``<Strategy>MeanRank``, ``BestRankStrategy`` (display name of the strategy with the
      best mean AULC rank, :func:`helpers.stats.best_by_rank`; tied ones joined by "and"),
      ``<Pair>BestRankByExperiment`` (a phrase, :func:`per_experiment_phrase`);
    * from ``balance`` (:func:`helpers.stats.first_rounds_balance`):
      ``<Pair><Experiment><Strategy>FirstRoundsMaxShare`` (%) and ``FirstRoundsClasses``;
    * from ``update_rules`` (pair -> :func:`helpers.stats.update_rule_table`):
      ``<Pair><Experiment><Rule>Best``, ``SameOrder`` ("the same"/"a different"),
      ``KendallTau``, ``<Strategy>AulcGain`` (random: ``Aulc``), and
      ``<Pair>UpdateRuleNSeeds``, ``<Pair><Experiment>UpdateRulesOrder`` (a phrase,
      :func:`same_order_phrase`);
    * from ``composition`` (:func:`helpers.stats.query_composition` with one block: the
      whole run): ``<Pair><Experiment><Strategy>LeastQueriedClass``, ``LeastQueriedShare``
      (%), ``MostQueriedClass``, ``MostQueriedShare``;
    * from ``comparison_best`` (:func:`helpers.stats.best_strategies`, shallow against deep
      pair): ``Comparison<Experiment>SameBest`` ("the same"/"a different" best strategy by
      mean AULC rank), ``ComparisonBestChanges`` (experiments where it differs, digits) and
      ``ComparisonNExperiments``;
    * from ``deficit`` (:func:`helpers.stats.deficit_summary`):
      ``<Pair><Experiment><Strategy>ClassGap`` (pp), ``WorstClass``, ``WorstClassGap`` (pp),
      ``WorstClassShareOfGap`` (%), ``WorstClassConfusedAs``, ``WorstClassConfusionShare`` and
      ``WorstClassRefConfusionShare`` (%);
    * from ``bootstrap`` (:func:`helpers.stats.bootstrap_best`): ``<Pair><Experiment>BootstrapBest``
      (a strategy phrase), ``BootstrapBestP`` (%) and ``<Pair><Experiment><Strategy>PBest`` (%);
    * ``\\MacroFOneOrder`` (needs ``final_macro_f1_mean``): where macro-F1 orders the
      strategies as final accuracy does (:func:`order_agreement_phrase`). The best strategy of each role is
      ``\\<Role><Experiment>BestRankStrategy``, an alias of the pair's macro.

    Accuracies and AULC are percentages with one decimal (two where the strategies of
    an experiment lie within one point, :func:`experiment_digits`) and no ``%`` sign
    (``CI`` = 95 % half-width, ``Diff`` = signed percentage points); p-values have
    three decimals (``$<$0.001`` below); undefined values read ``n/a``. Every number is
    rounded by one rule, decimal half away from zero (:func:`round_half_up`).

    Parameters
    ----------
    strategy_summary
        Output of :func:`helpers.stats.strategy_summary`.
    tests
        Rows of :func:`helpers.stats.paired_tests` (aulc and/or final_accuracy).
    path
        File to write (usually ``macros.tex``).
    reference
        Output of :func:`helpers.stats.load_reference`.
    labels_table
        Output of :func:`helpers.stats.labels_to_target_table`.
    meta
        Output of :func:`helpers.stats.load_run_meta` (for pool sizes).
    ranks, balance, update_rules, composition
        The analyses listed above.
    switches
        Further ``\\ifHave<Name>`` switches (name -> state), e.g. ``UpdateRules``,
        ``Pilots`` and ``Comparison``, that let the paper include optional tables only
        when they exist.
    comparison_best
        Output of :func:`helpers.stats.best_strategies`, or None.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If two quantities map to the same macro name.
    """
    entries = _macro_entries(strategy_summary, tests, reference, labels_table, meta)
    entries += _analysis_entries(ranks, balance, update_rules, composition)
    entries += _role_entries(entries, stats.ordered_pairs(strategy_summary["pair"]))
    entries += _comparison_entries(comparison_best)
    entries += _perclass_entries(deficit, bootstrap)
    if {"final_macro_f1_mean", "final_accuracy_mean"} <= set(strategy_summary.columns):
        entries.append(("MacroFOneOrder", order_agreement_phrase(strategy_summary),
                        "where final macro-F1 orders the strategies as final accuracy does, and where not, as text "
                        "(completes 'which order the strategies as final accuracy does')"))
    seen: dict[str, str] = {}
    lines = ["% Generated by helpers.report.write_macros; do not edit by hand.",
             "% Accuracies/AULC in percent (no % sign), differences in percentage points."]
    present = {role: role_pair(role, strategy_summary["pair"]) for role in ROLES}
    for role, pair in present.items():
        lines.append(f"\\newif\\ifHave{role}\\Have{role}{'true' if pair else 'false'}"
                     f" % results of the {ROLES[role]} model exist")
    for name, state in (switches or {}).items():
        lines.append(f"\\newif\\ifHave{name}\\Have{name}{'true' if state else 'false'} % optional paper input")
    for name, value, comment in entries:
        if name in seen:
            raise ValueError(f"macro name collision: \\{name} ({comment!r} and {seen[name]!r})")
        seen[name] = comment
        lines.append(f"\\newcommand{{\\{name}}}{{{value}}} % {comment}")
    return _atomic_write(Path(path), "\n".join(lines) + "\n")


def role_pair(role: str, pairs: Iterable[str]) -> str | None:
    """Return the pair that fills ``role`` (``"Shallow"`` or ``"Deep"``), or None.

    The pair whose model is the role's; a study pair wins over a smoke pair, so the
    paper describes MNIST and CIFAR-10 whenever their results exist. Same as
    :func:`helpers.stats.role_pair`, which :mod:`helpers.figures` uses too.
    """
    return stats.role_pair(role, pairs)


def _role_entries(entries: list[tuple[str, str, str]], pairs: Sequence[str]) -> list[tuple[str, str, str]]:
    """Alias every macro of a role's pair under the role's name.

    ``\\ShallowSmallMarginFinalAcc`` expands to ``\\MnistLogregSmallMarginFinalAcc`` (or to
    the digits pair's macro in the smoke profile). Also defines ``\\<Role>Pair`` (the pair
    identifier, for file names) and ``\\<Role>Dataset`` (the dataset's display name).
    """
    out: list[tuple[str, str, str]] = []
    for role in ROLES:
        pair = role_pair(role, pairs)
        if pair is None:
            continue
        prefix = macro_name(pair)
        out.append((f"{role}Pair", pair, f"pair in the {role.lower()} role (file names)"))
        out.append((f"{role}Dataset", DATASET_TEX.get(PAIRS[pair].dataset, latex_escape(PAIRS[pair].dataset)),
                    f"dataset of the {role.lower()} role"))
        for name, _, comment in entries:
            if name.startswith(prefix) and name != prefix:
                out.append((role + name[len(prefix):], f"\\{name}", f"{role.lower()} role: {comment}"))
    return out


# --------------------------------------------------------------------------- everything
def _model_comparison(tests: pd.DataFrame, ranks: pd.DataFrame, pairs: Iterable[str]):
    """``(model_comparison, best_strategies)`` of the shallow and the deep pair; ``(None, None)``
    when a role has no pair or the pairs share no compared row."""
    roles = stats.comparison_roles(pairs)
    if roles is None:
        return None, None
    per_experiment = ranks[ranks["experiment"] != "all"]
    table = stats.model_comparison(tests, per_experiment, *roles)
    if table.empty:
        return None, None
    return table, stats.best_strategies(per_experiment, *roles)


def write_all(results_root=None, out_dir=PAPER_GENERATED_DIR,
              pairs: Iterable[str] | None = None) -> list[Path]:
    """Compute every statistic from a result tree and write the paper's generated inputs.

    Writes ``summary_table_<pair>.tex`` for each pair, ``macros.tex`` and the CSV
    files ``per_run_metrics.csv``, ``strategy_summary.csv``, ``paired_tests.csv``
    (AULC and final accuracy: mean paired difference with its t interval, seeds better,
    Wilcoxon with Holm within each pair x experiment and metric), ``labels_to_target.csv``,
    ``friedman_ranks.csv`` (mean AULC ranks per pair over every experiment and seed, and per
    experiment, with the Friedman test and the Nemenyi critical difference) and
    ``query_balance.csv`` (class balance of the first 10 query rounds, per run),
    ``per_class.csv`` and ``per_class_deficit.csv`` (:func:`helpers.stats.class_table`,
    :func:`helpers.stats.deficit_summary`), ``bootstrap_best.csv``
    (:func:`helpers.stats.bootstrap_best`) and, when two cells of the crossed design at the
    common schedule have runs, ``crossed_effects.csv`` (:func:`helpers.stats.crossed_effects`)
    into ``out_dir``. Where a pair has a fine-tuning ablation (:func:`helpers.stats.update_rule_roots`)
    it also writes ``update_rules_<pair>.tex`` and ``.csv`` (the strategies under each update
    rule) and ``update_rule_rankings_<pair>.csv`` (whether the ranking changes). Where both a
    shallow and a deep pair exist (:func:`helpers.stats.comparison_roles`) it writes
    ``shallow_vs_deep.tex`` (:func:`write_model_comparison_table`) and ``shallow_vs_deep.csv``
    (:func:`helpers.stats.model_comparison`), and ``macros.tex`` switches ``\\ifHaveComparison`` on.

    Parameters
    ----------
    results_root
        Root of the result tree; ``None`` means :func:`helpers.paths.results_dir`.
    out_dir
        Output directory (default :data:`helpers.paths.PAPER_GENERATED_DIR`).
    pairs
        Restrict to these pairs; ``None`` uses all present.

    Returns
    -------
    list of pathlib.Path
        Every file written.
    """
    if results_root is None:
        from helpers.paths import results_dir

        results_root = results_dir()
    out = Path(out_dir)
    runs = stats.load_runs(results_root, pairs)
    meta = stats.load_run_meta(results_root, pairs)
    reference = stats.load_reference(results_root, pairs)
    per_run = stats.per_run_metrics(runs)
    summary = stats.strategy_summary(per_run)
    tests = pd.concat([stats.paired_tests(per_run, m) for m in TABLE_TEST_METRICS],
                      ignore_index=True)
    labels_table = stats.labels_to_target_table(runs)

    written = []
    for pair in stats.ordered_pairs(summary["pair"]):
        written.append(write_summary_table(summary, tests, pair, out / f"summary_table_{pair}.tex",
                                           per_run=per_run))
    ranks = pd.concat([stats.friedman_ranks(per_run).assign(experiment="all"),
                       stats.friedman_ranks(per_run, by=("pair", "experiment"))], ignore_index=True)
    balance = stats.first_rounds_balance(meta)
    update_rules = {}
    for pair in stats.ordered_pairs(summary["pair"]):
        table = stats.compare_update_rules(results_root, pair, pairs if isinstance(pairs, stats.RunGrid) else None)
        if table is not None:
            update_rules[pair] = table
    pilots = write_pilot_tables(results_root, out)
    per_class, deficit = stats.class_table(meta), stats.deficit_summary(meta)
    bootstrap = stats.bootstrap_best(per_run)
    crossed = [p for p, (_, _, schedule) in stats.CROSSED_CELLS.items() if schedule == "b250"]
    effects = stats.crossed_effects(per_run) if len(set(per_run["pair"]) & set(crossed)) >= 2 else None
    shallow = role_pair("Shallow", summary["pair"])
    comparison, comparison_best = _model_comparison(tests, ranks, summary["pair"])
    switches = {"UpdateRules": shallow in update_rules, "Pilots": len(pilots) == len(PILOTS),
                "Comparison": comparison is not None}
    for stale in ([] if switches["Pilots"] else pilots):
        stale.unlink()  # all pilot tables or none: the appendix shows them together
    written += pilots if switches["Pilots"] else []
    written.append(write_macros(summary, tests, out / "macros.tex", reference=reference,
                                labels_table=labels_table, meta=meta, ranks=ranks, balance=balance,
                                update_rules=update_rules, composition=stats.query_composition(meta, n_blocks=1),
                                switches=switches, comparison_best=comparison_best, deficit=deficit,
                                bootstrap=bootstrap))
    if comparison is not None:
        written.append(write_model_comparison_table(comparison, out / "shallow_vs_deep.tex"))
        written.append(_atomic_csv(comparison, out / "shallow_vs_deep.csv"))
    for name, frame in (("per_run_metrics", per_run), ("strategy_summary", summary),
                        ("paired_tests", tests), ("labels_to_target", labels_table),
                        ("friedman_ranks", ranks), ("query_balance", balance), ("per_class", per_class),
                        ("per_class_deficit", deficit), ("bootstrap_best", bootstrap)):
        written.append(_atomic_csv(frame, out / f"{name}.csv"))
    if effects is not None:
        written.append(_atomic_csv(effects, out / "crossed_effects.csv"))
    written.append(write_macro_f1_table(summary, out / "macro_f1.tex"))
    for pair, table in update_rules.items():
        written.append(write_update_rule_table(table, out / f"update_rules_{pair}.tex"))
        written.append(_atomic_csv(table, out / f"update_rules_{pair}.csv"))
        written.append(_atomic_csv(stats.ranking_agreement(table), out / f"update_rule_rankings_{pair}.csv"))
    return written
