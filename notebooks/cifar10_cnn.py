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
# # Active learning with a CNN on CIFAR-10
#
# This notebook runs one experiment of the study for the deep model: a small CNN (two
# convolutions with 16 and 32 channels, fully connected layers of 128 and 64 units, ReLU,
# max-pooling and dropout) written in PyTorch and wrapped by skorch, on CIFAR-10 images
# normalised per channel with statistics of the training pool. A fifth of the official
# training set is held out, leaving a pool of 40,000 images; after pre-training on the
# initial labelled set (10 epochs), 250 labels are queried per iteration for 50 iterations,
# and the network is fine-tuned (never re-initialised) after each query with 30 Adam steps
# on batches drawn from the labelled set. The pool strategies score a random subset of
# 10,000 unlabelled images per query. These settings were chosen on the validation split
# (`benchmarks/pilot_cnn_widths.py`, `benchmarks/pilot_cnn_protocol.py`) so that the grid
# runs on a two-core CPU, one core per run; a GPU is used when one is visible.
#
# The experiment parameter picks the initial labelled set: `small` (one image per class),
# `moderate` (15 % of the pool) or `large` (80 % of the pool; this pool runs out after 32
# iterations, and the run records that). Finished runs are read back, not recomputed.
# `./run_all.sh` executes this notebook once per experiment with papermill.

# %% tags=["parameters"]
pair = "cifar10_cnn"  # the smoke profile runs "digits_cnn" here
experiment = "small"
strategies = ["random", "least_confident", "margin", "entropy", "stream_uncertainty"]
seeds = [42, 43, 44, 45, 46]
query_size = None  # None: the pair's protocol value
n_iterations = None
stream_threshold = 0.5
data_root = None  # None: $AL_DATA_DIR or data/
results_dir = None  # None: $AL_RESULTS_DIR or results/
device = "auto"
jobs = 1  # runs at once in local worker processes
scheduler = None  # or a Dask scheduler's address, e.g. "tcp://head-node:8786" (only with jobs 1)
dask_local = None  # or N: a local Dask cluster of N single-thread worker processes (only with jobs 1)
reference = True  # also train the CNN on the whole pool, once per seed
progress = True

# %%
from pathlib import Path

from IPython.display import Image, display

from helpers import paths
from helpers.notebook import check_parameters, experiment_figures, run_experiment, summarize_experiment

check_parameters("cifar10_cnn", globals())  # unknown names or unusable values stop here, before any work
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
# dashed line is the same CNN trained on the whole pool. The second plot puts the fraction
# of the pool labelled on the x axis.

# %%
summary = summarize_experiment(results_root, pair, experiment, strategies=strategies, seeds=seeds,
                               n_iterations=n_iterations)
for png in experiment_figures(summary, pair, experiment, results_root / "notebooks" / "figures"):
    display(Image(filename=str(png)))

# %% [markdown]
# ## Summary over seeds
#
# Area under the learning curve (AULC) and final accuracy, mean and 95 % confidence
# interval over seeds; then each strategy against random sampling, paired by seed
# (Wilcoxon signed-rank, Holm-corrected).

# %%
summary.table

# %%
summary.tests

# %% [markdown]
# The whole-pool reference: the same CNN trained once per seed on the whole pool
# (the dashed line above), its test accuracy per seed. It is a point of comparison, not a
# bound on what active learning can reach.

# %%
summary.reference

# %% [markdown]
# ## What the strategies query
#
# The figures above end with the class composition of the queried labels per block of
# iterations (mean over seeds). The table gives the class balance of the first 10 query
# rounds: classes covered, the share of the most queried class, and the entropy of the
# class histogram relative to a uniform one (1 = every class equally often).

# %%
summary.balance

# %% [markdown]
# ## The stream's account
#
# Per stream run: the pool instances that arrived (each once) and were labelled or
# discarded, labels forced by the deadline rule, and any shortfall of the label budget
# (in `large` the budget exceeds the pool, so every arrival is labelled).

# %%
summary.stream

# %% [markdown]
# Runs that stopped before their last iteration, and why (empty when none did):

# %%
[(m["strategy"], m["seed"], m["stop_reason"]) for m in summary.meta if m.get("stopped_early")]
