"""Shared fixtures of the engine tests.

Every test gets its own results and cache directories (``AL_RESULTS_DIR`` and
``AL_CACHE_DIR`` point into ``tmp_path``), so no test writes into the repository.
"""

from __future__ import annotations

import os
import signal
import socket
import threading

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """Point the results and cache roots at fresh temporary directories."""
    results = tmp_path / "results"
    cache = tmp_path / "cache"
    monkeypatch.setenv("AL_RESULTS_DIR", str(results))
    monkeypatch.setenv("AL_CACHE_DIR", str(cache))
    yield {"results": results, "cache": cache}
    # A test that calls monkeypatch.undo() drops these settings, and whatever it runs afterwards
    # writes into the repository; fail loudly instead. (A test may point them elsewhere.)
    assert os.environ.get("AL_RESULTS_DIR") is not None, "AL_RESULTS_DIR was unset during the test"
    assert os.environ.get("AL_CACHE_DIR") is not None, "AL_CACHE_DIR was unset during the test"


class FakeClassifier:
    """A classifier whose ``predict_proba`` reads a fixed probability table.

    A pool instance is a one-column row holding its own row number in the table
    (``X = np.arange(n)[:, None]``), so any subset or reordering of the pool is scored
    with the right table rows, as a real model would score them.
    """

    def __init__(self, table):
        self.table = np.asarray(table, dtype=float)
        assert np.allclose(self.table.sum(axis=1), 1.0), "every row must be a distribution"
        self.calls = 0

    @property
    def pool(self) -> np.ndarray:
        """The pool whose rows are scored with the table's rows, in order."""
        return np.arange(len(self.table))[:, None]

    def predict_proba(self, X):
        self.calls += 1
        return self.table[np.asarray(X)[:, 0].astype(int)]

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


def uncertainty_rows(uncertainties, n_classes: int = 10) -> np.ndarray:
    """Return probability rows whose least-confidence score ``1 - max p`` is each given value."""
    u = np.asarray(uncertainties, dtype=float)
    assert np.all(u <= 1 - 1 / n_classes), "1 - max p cannot exceed 1 - 1/n_classes"
    rest = (u / (n_classes - 1))[:, None]
    return np.hstack([(1 - u)[:, None], np.repeat(rest, n_classes - 1, axis=1)])


@pytest.fixture
def fake_classifier():
    """Factory: ``fake_classifier(table) -> FakeClassifier``."""
    return FakeClassifier


@pytest.fixture
def make_uncertainty_rows():
    """Factory: ``make_uncertainty_rows(values, n_classes=10) -> table``."""
    return uncertainty_rows


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 8x8 digits as a :class:`helpers.data.Dataset` (bundled, offline)."""
    from helpers.data import load_dataset

    return load_dataset("digits")


class StandInService:
    """A TCP service on 127.0.0.1 that accepts connections and sends ``greeting`` (or nothing).

    It keeps every connection open and silent afterwards, as an HTTP server (the Dask
    dashboard) waits for a request or an SSH server for the client's banner. ``address``
    is ``tcp://127.0.0.1:<port>``; ``close()`` ends it.
    """

    def __init__(self, greeting: bytes = b""):
        self.greeting = greeting
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.address = f"tcp://127.0.0.1:{self._sock.getsockname()[1]}"
        self._connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self._connections.append(conn)
            if self.greeting:
                try:
                    conn.sendall(self.greeting)
                except OSError:
                    pass

    def close(self):
        self._stop.set()
        self._thread.join(5)
        for conn in self._connections:
            conn.close()
        self._sock.close()


@pytest.fixture
def silent_service():
    """A TCP service that accepts and never says anything; yields its ``tcp://`` address."""
    service = StandInService()
    yield service.address
    service.close()


@pytest.fixture
def ssh_banner_service():
    """A TCP service that greets with an SSH banner first; yields its ``tcp://`` address."""
    service = StandInService(b"SSH-2.0-OpenSSH_9.2\r\n")
    yield service.address
    service.close()


# A pytest started in the background by a non-interactive shell (``cmd &``) inherits SIGINT
# ignored, and Python then installs no KeyboardInterrupt handler: the tests that interrupt a
# grid (``_thread.interrupt_main``, Ctrl-C to a ``run_all.sh`` they start, which inherits the
# disposition) could not work. Give the test process Python's own handler, whoever started it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _signal_handlers_restored():
    """Give every test the SIGINT and SIGTERM handlers it found back.

    A handler left at SIG_IGN (the grid ignores both after its first interrupt) would be
    inherited by every process a later test starts: a ``run_all.sh`` that cannot be stopped.
    """
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    if threading.current_thread() is threading.main_thread():
        for signum, handler in saved.items():
            if signal.getsignal(signum) is not handler:
                signal.signal(signum, handler)
