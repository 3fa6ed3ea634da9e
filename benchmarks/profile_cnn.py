"""Where the seconds of one CIFAR-10 iteration go, component by component.

Times, on the real data of one seed and at the thread count of one grid worker (default
1), each piece of work a CNN run repeats after every query, plus the once-per-run pieces:

- fine-tuning: ``finetune_steps`` Adam steps of batch 128 (and, for comparison, one epoch
  over a labelled set of the ``moderate`` experiment's size, the first edition's rule);
- pool scoring: class probabilities of ``pool_subset`` unlabelled images, the project's
  sliced ``predict_proba`` against skorch's own data-loader path at its default batch;
- test-set evaluation (10,000 images) and labelled-set accuracy (``train_eval_size``
  images);
- pre-training per epoch of ``moderate`` (6,000 images) and the per-channel
  normalisation of the whole training set.

Numbers only; nothing here asserts a speed.

    AL_DATA_DIR=../shared/data .venv/bin/python benchmarks/profile_cnn.py
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time

import torch
from skorch import NeuralNetClassifier

from helpers.config import ProtocolConfig
from helpers.data import DataNotFoundError, load_dataset
from helpers.loop import model_inputs, pinned_threads, prepare, seed_everything
from helpers.models import make_cnn


def _best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def profile(threads: int = 1, repeats: int = 3, data_root=None) -> list[tuple[str, float, str]]:
    """Return (component, seconds, note) rows for the study's CNN configuration."""
    config = ProtocolConfig(pair="cifar10_cnn", experiment="moderate", strategy="margin", device="cpu",
                            data_root=data_root, n_threads=threads)
    params = config.model_params
    dataset, splits = prepare(config, load_dataset("cifar10", config.data_path()))
    rows = []
    t0 = time.perf_counter()
    X, X_test = model_inputs("cnn", dataset, splits.pool)
    rows.append(("normalise the training and test images (once per run)", time.perf_counter() - t0, ""))
    y = dataset.y_train
    X_lab, y_lab = X[splits.initial], y[splits.initial]
    pool = X[splits.unlabeled]
    with pinned_threads(threads):
        seed_everything(0)
        net = make_cnn(params, X.shape[1:], 10, "cpu")
        net.max_epochs = 1
        t0 = time.perf_counter()
        net.fit(X_lab, y_lab)
        rows.append((f"pre-training, one epoch over {len(y_lab):,} images", time.perf_counter() - t0,
                     f"x {params['pretrain_epochs']} epochs, once per (experiment, seed)"))
        steps = params["finetune_steps"] or 30
        rows.append((f"fine-tuning: {steps} Adam steps of batch {params['batch_size']}",
                     _best(lambda: net._take_steps(X_lab, y_lab, steps), repeats), "every query"))
        rows.append((f"fine-tuning: one epoch over {len(y_lab):,} labelled images (first edition: 2 per query)",
                     _best(lambda: net.partial_fit(X_lab, y_lab, epochs=1), 1), "for comparison"))
        subset = pool[: config.pool_subset]
        rows.append((f"pool scoring, {len(subset):,} images, sliced predict_proba (batch "
                     f"{params['predict_batch_size']})", _best(lambda: net.predict_proba(subset), repeats),
                     "every query, pool strategies"))
        skorch_proba = functools.partial(NeuralNetClassifier.predict_proba, net)
        old_batch = net.batch_size
        # skorch reads the iterator's settings from these attributes when it builds a loader.
        net.iterator_valid__batch_size = old_batch
        rows.append((f"pool scoring, {len(subset):,} images, skorch's data loader (batch {old_batch})",
                     _best(lambda: skorch_proba(subset), 1), "for comparison"))
        net.iterator_valid__batch_size = params["predict_batch_size"]
        rows.append((f"pool scoring, whole unlabelled pool ({len(pool):,} images)",
                     _best(lambda: net.predict_proba(pool), 1), "for comparison"))
        rows.append((f"test-set evaluation ({len(X_test):,} images)", _best(lambda: net.predict(X_test), repeats),
                     "every query"))
        sample = X_lab[: config.train_eval_size]
        rows.append((f"labelled-set accuracy ({len(sample):,}-image sample)",
                     _best(lambda: net.predict(sample), repeats), "every query"))
        rows.append((f"labelled-set accuracy (all {len(X_lab):,} labelled images)",
                     _best(lambda: net.predict(X_lab), 1), "for comparison"))
        contiguous = make_cnn({**params, "channels_last": False}, X.shape[1:], 10, "cpu")
        contiguous.initialize()
        contiguous.module_.load_state_dict(net.module_.state_dict())
        rows.append((f"pool scoring, {len(subset):,} images, contiguous memory layout",
                     _best(lambda: contiguous.predict_proba(subset), repeats), "for comparison"))
    return rows


def main(argv=None) -> int:
    """Print the profile; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--data-root", default=os.environ.get("AL_DATA_DIR"))
    args = parser.parse_args(argv)
    try:
        rows = profile(args.threads, args.repeats, args.data_root)
    except DataNotFoundError as err:
        print(f"profile_cnn: {err}", file=sys.stderr)
        return 2
    width = max(len(r[0]) for r in rows)
    print(f"{'component':<{width}}  {'seconds':>8}  note")
    for name, seconds, note in rows:
        print(f"{name:<{width}}  {seconds:>8.3f}  {note}")
    print(f"\ntorch {torch.__version__}, {args.threads} thread(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
