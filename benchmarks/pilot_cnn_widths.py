"""Pilot: the CNN's widths, chosen on the validation split and by their CPU cost.

The study fixes the CNN's layer shape (two convolutions, max-pool, three fully connected
layers) but not its widths, kernel size or padding. This pilot trains each candidate
setting on the whole training pool of one seed (40,000 CIFAR-10 images), epoch by epoch
with the study's optimiser (Adam 1e-3, batch 128, dropout 0.25), and after every epoch
scores the seed's 20 % validation hold-out, never the test set. It also records the
training and inference throughput at the thread count of one grid worker (default 1), from
which the cost of a run follows.

One CSV per setting (``<out>/<setting>.csv``, one row per epoch) is written when the
setting finishes; finished settings are skipped on the next call. The summary
(``<out>/summary.csv``) gives per setting the parameter count, the median training and
inference images per second, and the validation accuracy after each of the epoch counts
in ``--report-epochs``. ``--throughput`` also times every setting (the first edition's
``w32`` included) side by side on random images, interleaved so that all share one
machine load, and adds those numbers (``throughput.csv``) to the summary.

    AL_DATA_DIR=../shared/data .venv/bin/python benchmarks/pilot_cnn_widths.py
    AL_DATA_DIR=../shared/data .venv/bin/python benchmarks/pilot_cnn_widths.py --settings w32 --epochs 3
    .venv/bin/python benchmarks/pilot_cnn_widths.py --summary-only
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from _summary import save_and_print
from helpers import paths
from helpers.config import CNN_PARAMS, ConfigError, ProtocolConfig
from helpers.data import CorruptDataError, DataNotFoundError
from helpers.loop import evaluation_set, model_inputs, pinned_threads, prepare, seed_everything
from helpers.models import make_cnn
from helpers.seeding import random_streams

#: Candidate settings: widths l1/l2/l4/l5, kernel size and padding of both convolutions.
SETTINGS = {
    "w8": dict(l1_channels=8, l2_channels=16, l4_input=64, l5_input=32, kernel_size=3, padding=0),
    "w8p": dict(l1_channels=8, l2_channels=16, l4_input=64, l5_input=32, kernel_size=3, padding=1),
    "w12": dict(l1_channels=12, l2_channels=24, l4_input=96, l5_input=48, kernel_size=3, padding=0),
    "w16": dict(l1_channels=16, l2_channels=32, l4_input=128, l5_input=64, kernel_size=3, padding=0),
    "w32": dict(l1_channels=32, l2_channels=64, l4_input=256, l5_input=128, kernel_size=3, padding=1),
}


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", nargs="+", default=["w8", "w8p", "w12", "w16"], choices=list(SETTINGS))
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--report-epochs", nargs="+", type=int, default=[4, 8, 10, 12])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--threads", type=int, default=1, help="torch/BLAS threads (one grid worker: 1)")
    parser.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--data-root", default=os.environ.get("AL_DATA_DIR"))
    parser.add_argument("--out", type=Path, default=None, help="default: results/pilots/cifar10_cnn_widths")
    parser.add_argument("--summary-only", action="store_true")
    parser.add_argument("--throughput", action="store_true",
                        help="also time every setting side by side on random images (throughput.csv)")
    return parser.parse_args(argv)


def train_setting(name: str, args, dataset=None) -> pd.DataFrame:
    """Train one setting epoch by epoch on the whole pool; return one row per epoch."""
    params = {**SETTINGS[name], "channels_last": args.channels_last}
    config = ProtocolConfig(pair="cifar10_cnn", experiment="small", strategy="random", seed=args.seed,
                            evaluation="validation", model_params=params, data_root=args.data_root,
                            n_threads=args.threads, device="cpu")
    dataset, splits = prepare(config, dataset)
    X, X_test = model_inputs("cnn", dataset, splits.pool)
    X_val, y_val = evaluation_set(config, X, X_test, dataset.y_train, dataset.y_test, splits)
    X_pool, y_pool = np.ascontiguousarray(X[splits.pool]), dataset.y_train[splits.pool]
    rows = []
    with pinned_threads(args.threads):
        seed_everything(random_streams(args.seed).integer_seed("model"))
        net = make_cnn(config.model_params, X.shape[1:], len(dataset.classes), device="cpu")
        net.initialize()
        n_params = sum(p.numel() for p in net.module_.parameters())
        for epoch in range(1, args.epochs + 1):
            t0 = time.perf_counter()
            net.partial_fit(X_pool, y_pool, epochs=1)
            train_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            accuracy = float((net.predict(X_val) == y_val).mean())
            infer_s = time.perf_counter() - t0
            rows.append({"setting": name, **params, "n_params": n_params, "epoch": epoch,
                         "val_accuracy": accuracy, "train_seconds": train_s,
                         "train_images_per_s": len(y_pool) / train_s, "infer_images_per_s": len(y_val) / infer_s,
                         "threads": args.threads, "n_train": len(y_pool), "n_validation": len(y_val)})
            print(f"{name} epoch {epoch}: validation accuracy {accuracy:.4f}, train {len(y_pool) / train_s:,.0f} "
                  f"img/s, inference {len(y_val) / infer_s:,.0f} img/s", flush=True)
    return pd.DataFrame(rows)


def measure_throughput(names, threads: int = 1, repeats: int = 3, steps: int = 20, n_infer: int = 10_000,
                       channels_last: bool = True) -> pd.DataFrame:
    """Time training steps and inference of each setting on random 32x32 images, interleaved.

    The settings take turns, ``repeats`` times, so that a change of machine load between
    them affects all alike; the medians are what a grid worker (``threads`` threads) gets.

    Returns
    -------
    DataFrame
        One row per setting: ``bench_train_images_per_s`` (``steps`` Adam steps of batch
        128, as in fine-tuning) and ``bench_infer_images_per_s`` (``n_infer`` images in
        slices of ``CNN_PARAMS["predict_batch_size"]``).
    """
    import torch

    rng = np.random.default_rng(0)
    X = rng.standard_normal((max(n_infer, 128 * steps), 3, 32, 32), dtype=np.float32)
    y = rng.integers(0, 10, len(X))
    nets = {}
    with pinned_threads(threads):
        for name in names:
            torch.manual_seed(0)
            nets[name] = make_cnn({**CNN_PARAMS, **SETTINGS[name], "channels_last": channels_last}, (3, 32, 32), 10,
                                  device="cpu").fit(X[:128], y[:128])
        times = {name: ([], []) for name in names}
        for _ in range(repeats):
            for name, net in nets.items():
                t0 = time.perf_counter()
                net._take_steps(X[:128 * steps], y[:128 * steps], steps)
                times[name][0].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                net.predict_proba(X[:n_infer])
                times[name][1].append(time.perf_counter() - t0)
    return pd.DataFrame([{"setting": name, "bench_train_images_per_s": 128 * steps / float(np.median(train)),
                          "bench_infer_images_per_s": n_infer / float(np.median(infer)), "bench_threads": threads}
                         for name, (train, infer) in times.items()])


def summarize(per_epoch: pd.DataFrame, report_epochs) -> pd.DataFrame:
    """Return one row per setting: size, throughput and validation accuracy at some epochs."""
    rows = []
    for name, block in per_epoch.groupby("setting", sort=False):
        first = block.iloc[0]
        row = {"setting": name, "widths": f"{first.l1_channels}/{first.l2_channels}/{first.l4_input}/{first.l5_input}",
               "kernel": int(first.kernel_size), "padding": int(first.padding), "n_params": int(first.n_params),
               "train_images_per_s": float(block["train_images_per_s"].median()),
               "infer_images_per_s": float(block["infer_images_per_s"].median()),
               "epochs_run": int(block["epoch"].max()), "best_val_accuracy": float(block["val_accuracy"].max())}
        for epoch in report_epochs:
            hit = block.loc[block["epoch"] == epoch, "val_accuracy"]
            row[f"val_accuracy_e{epoch}"] = float(hit.iloc[0]) if len(hit) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    """Train (or resume) the settings and print the summary; return the exit status."""
    args = parse_args(argv)
    out = args.out or paths.results_dir() / "pilots" / "cifar10_cnn_widths"
    out.mkdir(parents=True, exist_ok=True)
    dataset = None
    try:
        for name in args.settings:
            path = out / f"{name}.csv"
            if args.summary_only or path.exists():
                continue
            if dataset is None:
                from helpers.data import load_dataset

                dataset = load_dataset("cifar10", args.data_root)
            frame = train_setting(name, args, dataset)
            tmp = path.with_suffix(".csv.tmp")
            frame.to_csv(tmp, index=False)
            tmp.replace(path)
    except (ConfigError, DataNotFoundError, CorruptDataError, OSError) as err:
        print(f"pilot_cnn_widths: error: {err}", file=sys.stderr)
        return 2
    found = [pd.read_csv(p) for name in SETTINGS if (p := out / f"{name}.csv").exists()]
    if not found:
        print("pilot_cnn_widths: no finished setting yet", file=sys.stderr)
        return 1
    table = summarize(pd.concat(found, ignore_index=True), args.report_epochs)
    if args.throughput:
        bench = measure_throughput(list(SETTINGS), threads=args.threads, channels_last=args.channels_last)
        bench.to_csv(out / "throughput.csv", index=False)
    if (out / "throughput.csv").exists():
        # Per-epoch throughput shares the machine with whatever ran beside it; the side-by-side
        # timing compares the settings under one load.
        table = table.merge(pd.read_csv(out / "throughput.csv"), on="setting", how="outer")
        table = table.set_index("setting").reindex([n for n in SETTINGS if n in set(table["setting"])]).reset_index()
    save_and_print(table, out / "summary.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
