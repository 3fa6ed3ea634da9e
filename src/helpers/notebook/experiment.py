"""What the experiment and figures notebooks run and show: one experiment's grid and its summaries.

May import :mod:`helpers.grid`, :mod:`helpers.results`, :mod:`helpers.stats` and
:mod:`helpers.figures`; the parameters were checked before (:mod:`helpers.notebook.parameters`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from helpers import figures, results, stats
from helpers.config import PAIRS
from helpers.executors import DaskExecutor
from helpers.grid import build_configs, run_grid
from helpers.notebook.parameters import executor_choice

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
        forced, shortfall, and its selectivity (:func:`stream_table`; empty without stream runs).
    ranks : DataFrame
        Mean AULC rank per strategy over the seeds and the bootstrap probability that it has
        the best mean rank (:func:`helpers.stats.bootstrap_best`).
    per_class : DataFrame
        Per class: mean recall of the final model, query share and term of the
        final-accuracy difference to random (:func:`helpers.stats.class_table`).
    deficit : DataFrame
        Per strategy: its difference to random, the class carrying most of it and its
        dominant confusion (:func:`helpers.stats.deficit_summary`).
    collapse : DataFrame
        Per strategy: the mean share of evaluation predictions going to the most predicted
        class after pre-training, at its highest over the run, and at the end, with the
        number of runs that record it (:func:`collapse_table`).
    exhaustion : str
        Whether the pool ran out before the label budget, as a sentence (:func:`exhaustion_note`;
        empty when no run stopped early).
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
    ranks: pd.DataFrame
    per_class: pd.DataFrame
    deficit: pd.DataFrame
    collapse: pd.DataFrame
    exhaustion: str = ""


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
        out with a :class:`helpers.stats.OutsideGridWarning`. ``None`` accepts any. The
        pair's other experiments are left out without a warning.
    n_iterations : int, optional
        Iterations asked per run; ``None`` means the pair's protocol value.

    Returns
    -------
    ExperimentSummary
    """
    # The pair's other experiments share its folder by design: leaving them out is not news.
    grid = stats.RunGrid(pairs=(pair,), experiments=(experiment,), strategies=strategies, seeds=seeds,
                         n_iterations={pair: n_iterations or PAIRS[pair].n_iterations}, unreported=("experiment",))
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
        stream=stream_table(meta, per_run),
        ranks=stats.bootstrap_best(per_run),
        per_class=stats.class_table(meta),
        deficit=stats.deficit_summary(meta),
        collapse=collapse_table(runs),
        exhaustion=exhaustion_note(meta),
    )


def exhaustion_note(meta: list) -> str:
    """Say whether the runs' pool ran out before their label budget.

    Parameters
    ----------
    meta
        The runs' JSON metadata (``stop_reason``, ``iterations_run``).

    Returns
    -------
    str
        A sentence for the notebook: in every run (with the range of iterations after which it
        ran out, and that the labelled sets end identical, so the experiment is read by AULC),
        in some of them, or ``""`` when no run's pool ran out.
    """
    out = [m for m in meta if str(m.get("stop_reason") or "").startswith("pool exhausted")]
    if not out:
        return ""
    its = sorted(int(m["iterations_run"]) for m in out if m.get("iterations_run") is not None)
    when = (f" after {its[0]} iterations" if its and its[0] == its[-1]
            else f" after {its[0]}-{its[-1]} iterations" if its else "")
    if len(out) == len(meta):
        return (f"The pool runs out before the label budget in every run{when}: every strategy ends with "
                "the same labelled set, the whole pool, so final accuracies differ only through the order "
                "of the labels. Read this experiment by AULC.")
    return f"The pool ran out before the label budget in {len(out)} of {len(meta)} runs{when}."


#: The stream's selectivity per run (:func:`helpers.stats.per_run_metrics`), shown beside its account.
SELECTIVITY_COLUMNS = ["budget_discard_share", "confidence_discard_share", "labeled_uncertainty_percentile",
                       "never_arrived_share"]


def stream_table(meta: list, per_run: pd.DataFrame) -> pd.DataFrame:
    """Return the stream's account per run, with how selective it was.

    Returns
    -------
    DataFrame
        One row per stream run: its JSON ``stream`` record (arrivals consumed, labels
        obtained and forced, shortfall) and :data:`SELECTIVITY_COLUMNS` (NaN for a run
        written before the stream recorded them); empty without stream runs.
    """
    account = pd.DataFrame([{"strategy": m["strategy"], "seed": m["seed"], **m["stream"]}
                            for m in meta if m.get("stream")])
    if account.empty:
        return account
    columns = [c for c in SELECTIVITY_COLUMNS if c in per_run]
    return account.merge(per_run[["strategy", "seed", *columns]], on=["strategy", "seed"], how="left")


def collapse_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Return, per strategy, how far its predictions collapse onto one class over a run.

    Returns
    -------
    DataFrame
        strategy, ``runs_recording`` (runs whose CSV has the ``top_class_share`` column;
        runs written before it was added have none), and the mean over those runs of the
        share of evaluation predictions going to the most predicted class: ``initial``
        (after pre-training), ``highest`` (the largest over the run), ``iteration_of_highest``
        (mean iteration where it occurs) and ``final``. Empty when no run records it.
    """
    columns = ["strategy", "runs_recording", "initial", "highest", "iteration_of_highest", "final"]
    if "top_class_share" not in runs.columns:
        return pd.DataFrame(columns=columns)
    recorded = runs.dropna(subset=["top_class_share"])
    rows = []
    for strategy, block in recorded.groupby("strategy", sort=False):
        per_run = block.sort_values("iteration").groupby("seed")
        highest = per_run.apply(lambda r: r.loc[r["top_class_share"].idxmax()], include_groups=False)
        rows.append([strategy, per_run.ngroups, per_run["top_class_share"].first().mean(),
                     highest["top_class_share"].mean(), highest["iteration"].mean(),
                     per_run["top_class_share"].last().mean()])
    table = pd.DataFrame(rows, columns=columns)
    if table.empty:
        return table
    order = {s: i for i, s in enumerate(stats.ordered_strategies(table["strategy"]))}
    return table.sort_values("strategy", key=lambda s: s.map(order)).reset_index(drop=True)


def describe_pair(pair: str) -> str:
    """Return a paragraph (Markdown) saying what a pair runs: model, data, schedule, seeds.

    The experiment notebook prints it, so one notebook serves every pair of the registry
    (:data:`helpers.config.PAIRS`).

    Returns
    -------
    str
    """
    spec = PAIRS[pair]
    params = spec.model_params
    data = {"mnist": "MNIST digits (28 x 28 pixels, grey)", "cifar10": "CIFAR-10 images (32 x 32 pixels, colour)",
            "digits": "scikit-learn's 8 x 8 digits"}.get(spec.dataset, spec.dataset)
    if spec.model == "logreg":
        model = (f"scikit-learn's multinomial logistic regression (L2, C = {params['C']:g}, lbfgs) on the "
                 f"flattened pixels in [0, 1], fine-tuned after each query with "
                 f"{params['finetune_max_iter']} L-BFGS iterations from the current weights")
    else:
        model = (f"a small CNN (two 3 x 3 convolutions with {params['l1_channels']} and {params['l2_channels']} "
                 f"channels, fully connected layers of {params['l4_input']} and {params['l5_input']} units, ReLU, "
                 f"max-pooling, dropout {params['dropout']:g}) in PyTorch, wrapped by skorch, on images normalised "
                 f"per channel with statistics of the training pool; pre-trained for {params['pretrain_epochs']} "
                 f"epochs, then fine-tuned after each query with {params['finetune_steps']} Adam steps on batches "
                 f"of {params['batch_size']} drawn from the labelled set")
    scored = (f"the pool strategies score a random subset of {spec.pool_subset:,} unlabelled images per query"
              if spec.pool_subset else "the pool strategies score the whole unlabelled pool")
    seeds = spec.seeds
    seed_text = f"seeds {seeds[0]}-{seeds[-1]}" if list(seeds) == list(range(seeds[0], seeds[-1] + 1)) else \
        "seeds " + ", ".join(map(str, seeds))
    return (f"**{stats.pair_label(pair)}** (`{pair}`): {model}. Data: {data}; a stratified fifth of the "
            f"official training set is held out for validation, the rest is the pool. Schedule: "
            f"{spec.query_size} labels per query for {spec.n_iterations} queries; {scored}. "
            f"The study runs {seed_text} for this pair.")


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
    if summary.per_class["gap_points"].notna().any():
        written += figures.plot_per_class_deficit(summary.per_class, pair, out_dir=out_dir,
                                                  stem=f"per_class_{pair}_{experiment}")
    return [p for p in written if p.suffix == ".png"]
