"""Tests of helpers.executors.scheduler_check: every address ends in one clear error, in bounded time.

The executors themselves run grids in test_grid.py (serial, process pool) and
test_grid_dask.py (Dask); here the stand-in services of conftest.py play a wrong address.
"""

from __future__ import annotations

import socket
import time

import pytest

from helpers.config import ConfigError
from helpers.executors import DaskExecutor, connect_scheduler, probe_scheduler

pytest.importorskip("distributed")


def test_silent_service_is_not_a_dask_scheduler(silent_service):
    t0 = time.monotonic()
    with pytest.raises(ConfigError) as info:
        connect_scheduler(silent_service, timeout=2)
    assert time.monotonic() - t0 < 15  # bounded, where the Dask client waited minutes
    message = str(info.value)
    assert f"answered at {silent_service} but it is not a Dask scheduler" in message
    assert "sent nothing in 2 s" in message and "\n" not in message


def test_ssh_banner_is_not_a_dask_scheduler(ssh_banner_service):
    t0 = time.monotonic()
    with pytest.raises(ConfigError) as info:
        probe_scheduler(ssh_banner_service, timeout=2)
    assert time.monotonic() - t0 < 15
    message = str(info.value)
    assert f"answered at {ssh_banner_service} but it is not a Dask scheduler" in message
    assert "'SSH-2.0-" in message and "EiB" not in message and "\n" not in message


def test_nothing_listening_cannot_be_reached():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(ConfigError, match=rf"cannot reach the Dask scheduler at {address} \("):
        probe_scheduler(address, timeout=2)
    with pytest.raises(ConfigError, match="missing port number"):
        probe_scheduler("no-port-here", timeout=2)


def test_dask_executor_start_is_bounded_on_a_silent_service(silent_service):
    executor = DaskExecutor(silent_service, connect_timeout=2)
    t0 = time.monotonic()
    with pytest.raises(ConfigError, match="not a Dask scheduler"):
        executor.start()
    assert time.monotonic() - t0 < 15 and executor.client is None


def test_a_real_scheduler_passes_the_probe_and_counts_its_workers():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        probe_scheduler(cluster.scheduler_address, timeout=5)
        client, nthreads = connect_scheduler(cluster.scheduler_address, timeout=10)
        try:
            assert len(nthreads) == 1
        finally:
            client.close()
