# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Figures and generated paper inputs
#
# This notebook reads every result CSV and JSON under the results folder and writes
# every figure the paper uses (PDF for the paper, PNG for reading) and the paper's
# generated inputs: LaTeX summary tables and `macros.tex`, the numbers the text quotes.
# Each figure is drawn by one function of `helpers.figures`, whose docstring names the
# file it writes; nothing here recomputes a run. `./run_all.sh` executes it last.
#
# The summaries cover the grid that was asked for: `./run_all.sh` passes its profile's
# pairs, experiments, strategies and seeds, and runs of anything else found in the
# results folder (other seeds, strategies or iteration counts) are left out with a
# warning that lists them. With every grid parameter at None, every run found counts.

# %% tags=["parameters"]
results_dir = None  # None: $AL_RESULTS_DIR or results/
figures_dir = None  # None: figures/
generated_dir = None  # None: paper/generated/
pairs = None  # e.g. ["mnist_logreg", "cifar10_cnn"]; None: any
experiments = None  # None: any
strategies = None  # None: any
seeds = None  # e.g. [42, 43, 44, 45, 46]; None: any
n_iterations = None  # None: each pair's protocol value (when any grid parameter is set)

# %%
from pathlib import Path

from IPython.display import Image, display

from helpers import figures, paths, report
from helpers.notebook import check_parameters, summary_grid

check_parameters("figures", globals())  # unknown names or unusable values stop here
grid = summary_grid(pairs, experiments, strategies, seeds, n_iterations)
results_root = Path(results_dir) if results_dir else paths.results_dir()
figures_out = Path(figures_dir) if figures_dir else paths.FIGURES_DIR
generated_out = Path(generated_dir) if generated_dir else paths.PAPER_GENERATED_DIR

# %% [markdown]
# ## Figures

# %%
written = figures.make_all_figures(results_root, out_dir=figures_out, pairs=grid)
# The figures of one experiment (``*_small``, ``*_moderate``, ``*_large``) are shown in that
# experiment's notebook; here they are listed only, which keeps this notebook small.
per_experiment = tuple(f"_{e}" for e in experiments)
pngs = sorted(p for p in written if p.suffix == ".png")
for png in pngs:
    if png.stem.endswith(per_experiment):
        continue
    print(png.name)
    display(Image(filename=str(png)))
print("per-experiment figures (shown in the experiment notebooks):",
      ", ".join(p.name for p in pngs if p.stem.endswith(per_experiment)))

# %% [markdown]
# ## Mean ranks across experiments
#
# Every (experiment, seed) of a pair is one block in which the strategies are ranked by
# AULC (1 = best); the Friedman test asks whether the mean ranks differ more than chance
# allows, and `cd` is the Nemenyi critical difference (drawn in `critical_difference`).

# %%
from helpers import stats

per_run = stats.per_run_metrics(stats.load_runs(results_root, grid))
stats.friedman_ranks(per_run).sort_values(["pair", "mean_rank"], kind="stable")

# %% [markdown]
# ## Shallow versus deep
#
# Per experiment and strategy, the logistic regression's paired gain over random sampling
# (percentage points, 95 % interval, Holm-significant or not) and mean AULC rank beside the
# CNN's, as the figure `shallow_vs_deep` and the table `shallow_vs_deep.tex` show them.

# %%
import pandas as pd

roles = stats.comparison_roles(per_run["pair"])
if roles is None:
    print("shallow versus deep: needs the results of a logistic-regression and of a CNN pair")
else:
    tests = pd.concat([stats.paired_tests(per_run, m) for m in stats.COMPARISON_METRICS], ignore_index=True)
    experiment_ranks = stats.friedman_ranks(per_run, by=("pair", "experiment"))
    display(stats.best_strategies(experiment_ranks, *roles))
    comparison = stats.model_comparison(tests, experiment_ranks, *roles)
    in_points = [c for c in comparison.columns if c.endswith(("_gain", "_lo", "_hi"))]
    display(comparison.assign(**{c: comparison[c] * 100 for c in in_points}).round(3))

# %% [markdown]
# ## The crossed design: model, data and query schedule one at a time
#
# Four cells cross the model (logistic regression, CNN) with the data (MNIST, CIFAR-10) at
# one query schedule (250 labels x 50 queries, a 10,000-image pool subset scored per query);
# `mnist_logreg` against `mnist_logreg_b250` changes the schedule alone. The first table is
# each cell's best strategy by mean AULC rank with the share of seed resamples in which it
# is best (and the cell's seeds); the second gives the effects on each strategy's AULC gain over random sampling
# (percentage points, 95 % interval): the model on each dataset (paired by seed), the data
# for each model (independent samples, Welch), their interaction, and the schedule (paired).
# In `large` the pool runs out before the budget in every cell at this schedule: the labelled
# sets end identical, so only the AULC can differ.

# %%
cells = [p for p in stats.CROSSED_CELLS if p in set(per_run["pair"])]
boot = stats.bootstrap_best(per_run[per_run["pair"].isin(cells)])
best = boot.loc[boot.groupby(["pair", "experiment"])["mean_rank"].idxmin()]
display(best.assign(best=best["strategy"] + " (" + (100 * best["p_best"]).round().astype(int).astype(str) + " %, "
                    + best["n_seeds"].astype(str) + " seeds)")
        .pivot(index="experiment", columns="pair", values="best")
        .reindex(index=stats.ordered_experiments(best["experiment"]), columns=cells))
effects = stats.crossed_effects(per_run)
if effects.empty:
    print(f"no effect of the crossed design can be computed yet: cells with results: {', '.join(cells) or 'none'}")
else:
    pp = lambda v: f"{100 * v:+.2f}"  # noqa: E731
    shown = effects.assign(effect=effects["effect"] + " " + effects["level"],
                           value=[f"{pp(e)} [{pp(lo)}, {pp(hi)}]" if pd.notna(lo) else pp(e)
                                  for e, lo, hi in zip(effects["estimate"], effects["ci_low"], effects["ci_high"])])
    display(shown.pivot(index=["experiment", "strategy"], columns="effect", values="value")
            .reindex(index=pd.MultiIndex.from_tuples(
                [(e, s) for e in stats.ordered_experiments(effects["experiment"])
                 for s in stats.ordered_strategies(effects["strategy"])], names=["experiment", "strategy"])))

# %% [markdown]
# ## The one-pass stream: how selective it is
#
# Per cell and experiment, means over the stream's runs (the paper's `stream.tex`): arrivals
# it consumed per label, forced labels (arrivals left no more than the labels due), arrivals
# discarded because the label rate had reached the budget or because the model was confident
# (shares of the arrivals), the pool share that never arrived, and the labelled arrivals' mean
# percentile of uncertainty among their round's arrivals (0.5: no better than random), and
# the threshold theta (median over a run's query rounds; a label is asked below it).
# `n_runs_selectivity` counts the runs that record the discards and the percentile.

# %%
stream_columns = ["inspected_per_label_mean", "fallback_share_mean", "budget_discard_share_mean",
                  "confidence_discard_share_mean", "never_arrived_share_mean",
                  "labeled_uncertainty_percentile_mean", "threshold_median_mean", "n_seeds", "n_runs_selectivity"]
summary = stats.strategy_summary(per_run)
stream = summary[summary["strategy"] == stats.STREAM_STRATEGY]
(stream.set_index(["pair", "experiment"])[[c for c in stream_columns if c in stream]].round(3)
 if not stream.empty else print("no stream runs in this grid"))

# %% [markdown]
# ## Per class: which classes carry each strategy's difference to random sampling
#
# Per pair, experiment and strategy: the final-accuracy difference to random sampling, the
# class with the most negative term of it, that term's share of the difference, and the class
# its images are most often mistaken for (figures `per_class_<pair>`).

# %%
meta = stats.load_run_meta(results_root, grid)
stats.deficit_summary(meta)

# %% [markdown]
# ## The regularisation ablation
#
# The study's C = 0.01 beside C = 0.1 and C = 1 in MNIST `small` and `moderate`
# (`benchmarks/ablation_regularisation.py`): initial accuracy, the dip (lowest mean accuracy
# after a query) and the collapse onto one class there, AULC and final accuracy, each
# strategy's paired gain over random sampling and its mean rank.

# %%
# The ablation script writes this summary from every run on disk (it resumes and re-summarises).
summary_csv = stats.regularisation_root(results_root, "mnist_logreg") / "summary.csv"
pd.read_csv(summary_csv) if summary_csv.exists() else print(f"no regularisation ablation under {results_root}")

# %% [markdown]
# ## The fine-tuning ablation
#
# The study fine-tunes the logistic regression after every query with a fixed budget of
# L-BFGS iterations from the current weights (`fixed budget`). `benchmarks/ablation_finetune.py`
# reruns MNIST `small` and `moderate` with every strategy under two other update rules:
# from the current weights to convergence (`converge`), and a model re-trained from scratch
# after every query (`cold`, what modAL does with a plain scikit-learn estimator). The first
# table says, per experiment, whether a rule ranks the strategies (by mean AULC rank over
# the shared seeds) as the study's rule does; the second gives each strategy's paired AULC
# gain over random and its mean rank under each rule.

# %%
for pair in stats.ordered_pairs(per_run["pair"]):
    table = stats.compare_update_rules(results_root, pair, grid)
    if table is None:
        print(f"{pair}: no fine-tuning ablation under {results_root}")
        continue
    display(stats.ranking_agreement(table))
    display(table)

# %% [markdown]
# ## Generated paper inputs

# %%
generated = report.write_all(results_root, out_dir=generated_out, pairs=grid)
sorted(p.name for p in generated)
