"""The bounded check of a Dask scheduler address: :func:`probe_scheduler` (is anything there,
and does it speak Dask?) and :func:`connect_scheduler` (a client with workers, or one clear
error, within :data:`SCHEDULER_CHECK_SECONDS`).

May import: :mod:`helpers.config` (its error), the standard library and, lazily,
``distributed``; nothing else of :mod:`helpers`.
"""

from __future__ import annotations

import threading
import time

from helpers.config import ConfigError


#: Seconds the whole check of a scheduler address may take: connection, Dask's handshake and
#: the query of its workers.
SCHEDULER_CHECK_SECONDS = 10.0

#: Largest first message (bytes) a Dask scheduler's handshake is taken to send; it sends a
#: few hundred. Anything bigger is another service's bytes read as a length.
_MAX_HANDSHAKE_BYTES = 1 << 20


def _shown(data: bytes) -> str:
    """Return the start of what a service sent, printable, for a message."""
    text = data[:40].decode("ascii", "replace")
    return repr("".join(c if c.isprintable() else "?" for c in text.strip()))


def probe_scheduler(address: str, timeout: float) -> None:
    """Check that a Dask scheduler answers at a ``tcp://`` address, within ``timeout`` seconds.

    A Dask scheduler sends its handshake (an 8-byte length, then a small message holding
    its ``pickle-protocol``) as soon as a client connects. A service that says nothing (an
    HTTP server such as the Dask dashboard) or sends something else (an SSH banner) is
    named as not a Dask scheduler, where ``distributed.Client`` would wait without bound or
    try to allocate the banner read as a length. Addresses of other protocols (``tls://``,
    ``inproc://``) are left to ``distributed``.

    Returns
    -------
    None

    Raises
    ------
    ConfigError
        The address is malformed or unreachable, or what answers is not a Dask scheduler;
        one line naming the address.
    """
    import socket
    import struct

    from distributed.comm import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme != "tcp":
            return
        host, port = parse_host_port(location)
    except ValueError as err:
        raise ConfigError(f"cannot reach the Dask scheduler at {address}: {err}") from None
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as err:
        reason = err.strerror or type(err).__name__ if not isinstance(err, TimeoutError) else f"no answer in {timeout:g} s"
        raise ConfigError(f"cannot reach the Dask scheduler at {address} ({reason})") from None
    not_dask = f"a service answered at {address} but it is not a Dask scheduler"
    with sock:
        received = b""
        try:
            while len(received) < 8:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(8 - len(received))
                if not chunk:
                    raise ConfigError(f"{not_dask}: it closed the connection without Dask's handshake"
                                      + (f" after {_shown(received)}" if received else ""))
                received += chunk
            (length,) = struct.unpack("<Q", received)
            if not 0 < length <= _MAX_HANDSHAKE_BYTES:
                raise ConfigError(f"{not_dask}: it sent {_shown(received)} where Dask's handshake was expected")
            body = b""
            while len(body) < length:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(min(65536, length - len(body)))
                if not chunk:
                    break
                body += chunk
        except (socket.timeout, TimeoutError):
            what = f"sent only {_shown(received)}" if received else f"sent nothing in {timeout:g} s"
            raise ConfigError(f"{not_dask}: it {what} where Dask's handshake was expected (the dashboard "
                              f"port? a scheduler listens on 8786 by default)") from None
        except OSError as err:
            raise ConfigError(f"{not_dask}: {err.strerror or err}") from None
        if b"pickle-protocol" not in body:
            raise ConfigError(f"{not_dask}: its first message is not Dask's handshake")


def connect_scheduler(address: str, timeout: float = SCHEDULER_CHECK_SECONDS):
    """Connect to the Dask scheduler at ``address`` and count its workers, all within ``timeout`` seconds.

    Returns
    -------
    (distributed.Client, dict)
        The open client and its workers' thread counts (``Client.nthreads()``).

    Raises
    ------
    ConfigError
        One line: the address is malformed or unreachable, what answers is not a Dask
        scheduler (:func:`probe_scheduler`), or the connection or the worker query took
        longer than ``timeout``.
    """
    import distributed

    deadline = time.monotonic() + timeout
    outcome: dict = {}

    def connect():  # in a daemon thread: a stuck name lookup or connection cannot hold the caller
        try:
            probe_scheduler(address, timeout)
            client = distributed.Client(address, timeout=max(1.0, deadline - time.monotonic()))
            outcome["client"] = client
            outcome["nthreads"] = client.nthreads()
        except ConfigError as err:
            outcome["config_error"] = err
        except Exception as err:  # noqa: BLE001 -- reported below as the reason
            outcome["error"] = err

    thread = threading.Thread(target=connect, name="dask scheduler check", daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()) + 1.0)
    if "config_error" in outcome:
        raise outcome["config_error"]
    if thread.is_alive() or "error" in outcome:
        err = outcome.get("error")
        reason = (" ".join(f"{type(err).__name__}: {err}".split()) if err is not None
                  else f"no answer within {timeout:g} s")
        raise ConfigError(f"cannot reach the Dask scheduler at {address} ({reason})")
    return outcome["client"], outcome["nthreads"]
