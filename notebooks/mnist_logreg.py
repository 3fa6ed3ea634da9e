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
# # Active learning with logistic regression on MNIST
#
# This notebook runs one experiment of the study for the shallow model: scikit-learn's
# multinomial logistic regression (L2, C = 0.01, lbfgs) on MNIST digits flattened to 784
# values in [0, 1]. A fifth of the official training set is held out, leaving a pool of
# 48,000 images; the model is pre-trained on an initial labelled set, then five labels are
# queried per iteration for 250 iterations, with fine-tuning after each query.
#
# The experiment parameter picks the initial labelled set: `small` (one image per class),
# `moderate` (15 % of the pool) or `large` (80 % of the pool). Every strategy runs once per
# seed; finished runs are read back from the results folder instead of being recomputed.
# `./run_all.sh` executes this notebook once per experiment with papermill.

# %% tags=["parameters"]
pair = "mnist_logreg"  # the smoke profile runs "digits_logreg" here
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
reference = True  # also fit the model on the whole pool, once per seed
progress = True

# %%
from pathlib import Path

from IPython.display import Image, display

from helpers import paths
from helpers.notebook import check_parameters, experiment_figures, run_experiment, summarize_experiment

check_parameters("mnist_logreg", globals())  # unknown names or unusable values stop here, before any work
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
# fraction of the pool labelled on the x axis.

# %%
summary = summarize_experiment(results_root, pair, experiment, strategies=strategies, seeds=seeds,
                               n_iterations=n_iterations)
for png in experiment_figures(summary, pair, experiment, results_root / "notebooks" / "figures"):
    display(Image(filename=str(png)))

# %% [markdown]
# ## Summary over seeds
#
# Area under the learning curve (AULC, the mean accuracy over the label budget) and final
# accuracy, as mean and 95 % confidence interval over seeds; then each strategy against
# random sampling, paired by seed (Wilcoxon signed-rank, Holm-corrected).

# %%
summary.table

# %%
summary.tests

# %% [markdown]
# The whole-pool reference: the same logistic regression trained once per seed on the whole pool
# (the dashed line above), its test accuracy per seed. It is a point of comparison, not a
# bound on what active learning can reach.

# %%
summary.reference

# %% [markdown]
# ## What the strategies query
#
# The learning-curve figure above is followed by the class composition of the queried
# labels: the share of every digit among the labels of each block of iterations, averaged
# over seeds. The table gives the class balance of the first 10 query rounds: classes
# covered, the share of the most queried class, and the entropy of the class histogram
# relative to a uniform one (1 = every class equally often).

# %%
summary.balance

# %% [markdown]
# ## The stream's account
#
# Per stream run: the pool instances that arrived (each once) and were labelled or
# discarded, labels forced by the deadline rule, and any shortfall of the label budget.

# %%
summary.stream

# %% [markdown]
# Runs that stopped before their last iteration, and why (empty when none did):

# %%
[(m["strategy"], m["seed"], m["stop_reason"]) for m in summary.meta if m.get("stopped_early")]
