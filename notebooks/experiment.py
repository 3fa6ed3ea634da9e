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
# # One experiment of the study: a model-dataset pair from one initial labelled set
#
# This notebook runs one cell of the study for the pair given as its `pair` parameter (any
# entry of `helpers.config.PAIRS`: the study's two pairs, the crossed design's three, the
# smoke pairs) and one experiment: the initial labelled set is `small` (one image per class),
# `moderate` (15 % of the pool) or `large` (80 % of the pool). Every strategy runs once per
# seed, with the same label budget; finished runs are read back, not recomputed. The next
# cell says what the pair runs. `./run_all.sh` executes this notebook once per pair and
# experiment with papermill.

# %% tags=["parameters"]
pair = "mnist_logreg"  # any pair of helpers.config.PAIRS; the smoke profile runs "digits_logreg"
experiment = "small"
strategies = ["random", "least_confident", "margin", "entropy", "stream_uncertainty"]
seeds = [42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61]  # paper profile
query_size = None  # None: the pair's protocol value
n_iterations = None
stream_threshold = 0.5
data_root = None  # None: $AL_DATA_DIR or data/
results_dir = None  # None: $AL_RESULTS_DIR or results/
device = "auto"
jobs = 1  # runs at once in local worker processes
scheduler = None  # or a Dask scheduler's address, e.g. "tcp://head-node:8786" (only with jobs 1)
dask_local = None  # or N: a local Dask cluster of N single-thread worker processes (only with jobs 1)
reference = True  # also train the model on the whole pool, once per seed
progress = True

# %%
from pathlib import Path

from IPython.display import Image, Markdown, display

from helpers import paths
from helpers.notebook import (check_parameters, describe_pair, experiment_figures, run_experiment,
                              summarize_experiment)

check_parameters("experiment", globals())  # unknown names or unusable values stop here, before any work
display(Markdown(describe_pair(pair)))
results_root = Path(results_dir) if results_dir else paths.results_dir()
counts = run_experiment(
    pair, experiment, strategies, seeds, jobs=jobs, scheduler=scheduler, dask_local=dask_local,
    reference=reference, progress=progress, query_size=query_size, n_iterations=n_iterations,
    stream_threshold=stream_threshold, data_root=data_root, results_dir=str(results_root), device=device,
)
counts

# %% [markdown]
# ## Learning curves
#
# Test accuracy after every query, averaged over seeds, with 95 % confidence bands; the
# dashed line is the same model trained on the whole pool. The second plot puts the
# fraction of the pool labelled on the x axis. The figures end with the confusion matrices
# of the final models, the class composition of the queried labels per block of iterations,
# and each class's part of every strategy's final-accuracy difference to random sampling.

# %%
summary = summarize_experiment(results_root, pair, experiment, strategies=strategies, seeds=seeds,
                               n_iterations=n_iterations)
for png in experiment_figures(summary, pair, experiment, results_root / "notebooks" / "figures"):
    display(Image(filename=str(png)))

# %% [markdown]
# ## Summary over seeds
#
# Area under the learning curve (AULC, the mean accuracy over the label budget) and final
# accuracy, as mean and 95 % confidence interval over seeds (with a note when the pool runs
# out before the budget, as it does in `large` at 250 labels per query); then each strategy against
# random sampling, paired by seed (exact signed-rank test, Holm-corrected).

# %%
if summary.exhaustion:
    print(summary.exhaustion)
summary.table

# %%
summary.tests

# %% [markdown]
# Mean AULC rank of each strategy over the seeds (1 = best), and how sure the best one is:
# the share of 2,000 resamples of the seeds (with replacement) in which each strategy has the
# best mean rank.

# %%
summary.ranks

# %% [markdown]
# The whole-pool reference: the same model trained once per seed on the whole pool (the
# dashed line above), its test accuracy per seed. It is a point of comparison, not a bound
# on what active learning can reach.

# %%
summary.reference

# %% [markdown]
# ## What the strategies query, and which classes they get wrong
#
# The class balance of the first 10 query rounds: classes covered, the share of the most
# queried class, and the entropy of the class histogram relative to a uniform one (1 = every
# class equally often).

# %%
summary.balance

# %% [markdown]
# Per strategy, its final-accuracy difference to random sampling (percentage points) and the
# class that carries most of it: that class's term, its share of the difference, the class
# its images are most often mistaken for (with the share of its images predicted so, under
# the strategy and under random sampling), and the least and most queried classes.

# %%
summary.deficit

# %% [markdown]
# Collapse onto one class: the share of test predictions that go to the most predicted class,
# after pre-training, at its highest over the run, and at the end (about 0.1 for ten classes
# predicted evenly; runs written before this column existed are not counted).

# %%
summary.collapse

# %% [markdown]
# ## The stream's account
#
# Per stream run: the pool instances that arrived (each at most once) and were labelled or
# discarded, labels forced by the deadline rule, and any shortfall of the label budget (when
# the budget exceeds what the pool can still give, every arrival is labelled). Then how
# selective it was: the shares of arrivals discarded because the label rate had reached the
# budget and because the model was confident, the labelled arrivals' mean uncertainty
# percentile among their round's arrivals (0.5 = picked at random), and the share of the pool
# that never arrived (runs written before these were recorded show NaN).

# %%
summary.stream

# %% [markdown]
# Runs that stopped before their last iteration, and why (empty when none did):

# %%
[(m["strategy"], m["seed"], m["stop_reason"]) for m in summary.meta if m.get("stopped_early")]
