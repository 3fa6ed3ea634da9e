"""Check (and by default fetch) the data of model-dataset pairs before any work starts.

``run_all.sh`` calls this, through :mod:`helpers.job`, for every pair it is about to run,
before the first notebook: data that is present passes (and is decoded once, which fills
the cache the notebooks then read); missing MNIST or CIFAR-10 is downloaded through
torchvision into the data root, with torchvision's progress bar and checksum check, unless
downloads are turned off; data that is missing and cannot be fetched, or is corrupt, stops
everything with one message that names the pair, the files expected, where they were looked
for, how the data root was chosen and how to get them.

Command line::

    python -m helpers.datacheck --pair mnist_logreg [--pair cifar10_cnn] [--data-root DIR]
                                [--no-download]

Exit status 0 when every pair's data is usable, 2 otherwise (the message is on stderr).
A failed or interrupted download leaves the data root as it was (see
:func:`helpers.data.load_dataset`).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from helpers import paths
from helpers.config import PAIRS
from helpers.data import (
    CIFAR10_BATCH_FILES,
    CIFAR10_CLASSES,
    MNIST_FILES,
    CorruptDataError,
    DataNotFoundError,
    Dataset,
    load_dataset,
)

#: Seconds a download may wait on one network operation (connect, read) before it counts as
#: unreachable; without it a network that drops packets would hang the job for minutes.
DOWNLOAD_TIMEOUT_S = 60

#: Readable names of the datasets the pairs use.
DATASET_LABELS = {"mnist": "MNIST", "cifar10": "CIFAR-10", "digits": "scikit-learn's digits"}


def data_root_origin(data_root: str | os.PathLike[str] | None) -> str:
    """Say where the data root comes from, for messages.

    Returns
    -------
    str
        ``"given by --data-root"`` when ``data_root`` is given, else ``"from AL_DATA_DIR"``
        when that is set, else a note that the default folder is used.
    """
    if data_root is not None:
        return "given by --data-root"
    if os.environ.get("AL_DATA_DIR", "").strip():
        return "from AL_DATA_DIR"
    return "the default, as neither --data-root nor AL_DATA_DIR is set"


def resolve_data_root(data_root: str | os.PathLike[str] | None) -> Path:
    """Return the absolute data root: ``data_root`` if given, else :func:`helpers.paths.data_dir`."""
    return Path(data_root).expanduser().resolve() if data_root is not None else paths.data_dir()


def describe_source(dataset, data_root: str | os.PathLike[str] | None) -> str:
    """Return where a loaded dataset came from on this machine, for messages and plans.

    Returns
    -------
    str
        ``<variant>: <source>`` with the data root written out (a run's JSON keeps it as
        ``<data root>``, so that no absolute path is stored).
    """
    return f"{dataset.variant}: {dataset.source.replace('<data root>', str(resolve_data_root(data_root)))}"


def expected_files(dataset: str, root: Path) -> str:
    """Describe the files a dataset needs under ``root`` (for messages).

    Returns
    -------
    str
        One sentence naming the folder(s) and files.
    """
    if dataset == "mnist":
        return (f"{root / 'MNIST' / 'raw'} should hold {', '.join(MNIST_FILES)} "
                f"(uncompressed, or the original .gz files)")
    if dataset == "cifar10":
        return (f"{root / 'cifar-10-batches-py'} should hold {', '.join(CIFAR10_BATCH_FILES)} "
                f"(the 'CIFAR-10 python version'), or {root / 'cifar-10-jpeg'} should hold train/ and test/ "
                f"with one folder of images per class ({', '.join(CIFAR10_CLASSES)})")
    return f"{dataset} needs no files"


def missing_files(dataset: str, root: Path) -> list[str]:
    """Return the files of ``dataset``'s main layout that are absent under ``root``.

    Returns
    -------
    list of str
        Paths relative to ``root``; empty when nothing is missing (or for ``"digits"``).
    """
    if dataset == "mnist":
        raw = root / "MNIST" / "raw"
        return [f"MNIST/raw/{f}" for f in MNIST_FILES if not ((raw / f).is_file() or (raw / f"{f}.gz").is_file())]
    if dataset == "cifar10":
        if (root / "cifar-10-jpeg").is_dir() and not (root / "cifar-10-batches-py").is_dir():
            return []
        return [f"cifar-10-batches-py/{f}" for f in CIFAR10_BATCH_FILES
                if not (root / "cifar-10-batches-py" / f).is_file()]
    return []


def _one_line(text: object, limit: int = 400) -> str:
    """Join a multi-line message into one line (a part ending in ':' runs on) and cap its length."""
    line = ""
    for part in (p.strip() for p in str(text).splitlines()):
        if part:
            line += part if not line else (" " if line.endswith(":") else "; ") + part
    return line if len(line) <= limit else line[: limit - 3] + "..."


@contextmanager
def _network_timeout(seconds: float) -> Iterator[None]:
    """Bound every socket operation of a download, unless a timeout is already set."""
    previous = socket.getdefaulttimeout()
    if previous is None:
        socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def check_pair_data(pair: str, data_root: str | os.PathLike[str] | None = None, *, download: bool = True,
                    origin: str | None = None) -> Dataset:
    """Make sure ``pair``'s dataset is present and readable, downloading it if allowed.

    Parameters
    ----------
    pair : str
        A key of :data:`helpers.config.PAIRS`.
    data_root : path-like, optional
        The data root; ``None`` means :func:`helpers.paths.data_dir` (``AL_DATA_DIR``).
    download : bool, default True
        Let torchvision fetch MNIST or CIFAR-10 into the data root when they are missing.
    origin : str, optional
        How the data root was chosen, for the message (default :func:`data_root_origin`).

    Returns
    -------
    Dataset
        The decoded dataset (now also in the cache, so the notebooks load it quickly).

    Raises
    ------
    KeyError
        Unknown pair.
    DataNotFoundError
        The data is missing and was not (or could not be) downloaded; the message names the
        pair, the files, the folder, the data root's origin and how to get the data.
    CorruptDataError
        A file is present but unreadable; the message names the pair and the file.
    """
    if pair not in PAIRS:
        raise KeyError(f"unknown pair {pair!r}; choose one of: {', '.join(PAIRS)}")
    dataset = PAIRS[pair].dataset
    root = resolve_data_root(data_root)
    origin = origin or data_root_origin(data_root)
    label = DATASET_LABELS.get(dataset, dataset)
    try:
        with _network_timeout(DOWNLOAD_TIMEOUT_S):
            return load_dataset(dataset, root, download=download)
    except DataNotFoundError as err:
        missing = missing_files(dataset, root)
        some_missing = 0 < len(missing) < len(MNIST_FILES if dataset == "mnist" else CIFAR10_BATCH_FILES)
        cause = err.__cause__
        if not download:
            fetched = "Downloading is off (--no-download)."
        elif cause is not None:
            fetched = f"The download through torchvision failed: {_one_line(cause)}."
        else:
            fetched = "The download through torchvision did not produce them."
        message = (
            f"pair {pair} needs {label}, which is not in the data root {root} ({origin}). "
            f"Expected: {expected_files(dataset, root)}"
            + (f"; missing: {', '.join(missing)}" if some_missing else "")
            + f". {fetched} To get it: run again where the internet is reachable (the data is downloaded "
            f"unless --no-download is given), or copy the files there, or point --data-root DIR "
            f"(or AL_DATA_DIR) at a folder that holds them."
        )
        raise DataNotFoundError(message) from None
    except CorruptDataError as err:
        raise CorruptDataError(
            f"pair {pair}: the {label} files under the data root {root} ({origin}) are unreadable: "
            f"{_one_line(err)}. Replace the damaged file(s) with the originals, or delete them so that "
            f"they are downloaded again."
        ) from None


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so an interrupted download removes its partial files."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    # A background job of a non-interactive shell starts with SIGINT ignored; restore it.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line of :func:`main`."""
    parser = argparse.ArgumentParser(prog="python -m helpers.datacheck",
                                     description="Check (and fetch) the data of model-dataset pairs.")
    parser.add_argument("--pair", action="append", required=True, choices=list(PAIRS),
                        help="a pair whose data is needed (repeat for several)")
    parser.add_argument("--data-root", help="dataset root (default: $AL_DATA_DIR, else data/)")
    parser.add_argument("--download", action=argparse.BooleanOptionalAction, default=True,
                        help="fetch missing MNIST/CIFAR-10 through torchvision (default: on)")
    parser.add_argument("--prog", default="datacheck", help="name to prefix error messages with")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point.

    Returns
    -------
    int
        0 when every pair's data is usable, 2 otherwise.
    """
    args = parse_args(argv)
    if args.data_root is not None and not args.data_root.strip():
        print(f"{args.prog}: --data-root is empty; give a folder", file=sys.stderr)
        return 2
    exit_on_sigterm()
    for pair in dict.fromkeys(args.pair):
        try:
            data = check_pair_data(pair, args.data_root, download=args.download)
        except (DataNotFoundError, CorruptDataError) as err:
            print(f"{args.prog}: {err}", file=sys.stderr)
            return 2
        print(f"{pair}: {describe_source(data, args.data_root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
