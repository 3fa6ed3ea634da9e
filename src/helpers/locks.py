"""Per-run lock files, so that two workers or two grids never compute the same run at once.

A lock is a small JSON file beside the run's result files (``seed<k>.lock`` next to
``seed<k>.csv`` and ``seed<k>.json``) holding the owner's ``host``, ``pid``, ``started``
(Unix time) and a random ``token``. It is taken atomically, whole: the record is written
to a private file created with ``open(O_CREAT | O_EXCL)`` and hard-linked to the lock's
name, and ``link`` succeeds for exactly one process, on a local disk and on NFSv3+ alike,
so the results directory may be shared by the machines of a cluster (on a filesystem
without hard links the lock itself is created with ``O_CREAT | O_EXCL``, then written).
While the lock is held, a daemon
thread of the owner touches the file every :data:`HEARTBEAT_SECONDS`, so its modification
time says the owner is still alive.

Stale-lock rule
---------------
A lock whose owner has gone away without releasing it (the process was killed, the machine
crashed) is *stale* and may be broken by the next process that wants the run. A lock is
stale when

1. it names this host and its pid is no live process (a zombie counts as dead): decided at
   once, because a process on the same machine can be asked; or
2. its heartbeat is older than ``stale_after`` (default :data:`STALE_AFTER_SECONDS`, ten
   minutes, i.e. twenty missed heartbeats): the only test possible for an owner on another
   machine, and the fallback when a dead owner's pid has been reused on this one.

A lock file whose content cannot be read (on a filesystem without hard links its owner may
be writing it this very moment, or have died between creating and writing it) is judged by
rule 2 alone. An owner that is frozen for
longer than ``stale_after`` (a stopped process, a suspended machine) loses its lock; when it
wakes up it finishes and writes the same result atomically, and its release leaves the new
owner's lock alone. Clocks of the machines sharing a results directory must agree to well
within ``stale_after`` (NTP does).

Breaking a stale lock is serialised by a second, short-lived lock file (``<lock>.break``),
so two processes that both judge a lock stale cannot remove each other's fresh locks.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

#: Seconds between two heartbeats (touches of the lock file) of a lock's owner.
HEARTBEAT_SECONDS = 30.0
#: Seconds without a heartbeat after which any lock counts as stale (rule 2).
STALE_AFTER_SECONDS = 600.0
#: Seconds after which a ``.break`` file left by a process that died while breaking a lock is ignored.
BREAK_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class LockInfo:
    """What a lock file says about its owner.

    Attributes
    ----------
    host : str or None
        Host name of the owner (None when the file could not be read).
    pid : int or None
        Process id of the owner on ``host``.
    started : float or None
        Unix time at which the lock was taken.
    token : str or None
        Random token that tells this lock from a later one of the same owner.
    mtime : float
        Modification time of the file: the owner's last heartbeat.
    inode : int
        The file's inode, which identifies a lock whose content could not be read.
    """

    host: str | None
    pid: int | None
    started: float | None
    token: str | None
    mtime: float
    inode: int

    def describe(self) -> str:
        """Return the owner in words, e.g. ``"host node7, pid 4242, since 2026-05-01 10:00:00 UTC"``."""
        if self.host is None or self.pid is None:
            return f"an owner still writing the lock (last touched {_utc(self.mtime)})"
        since = _utc(self.started) if self.started is not None else "an unknown time"
        return f"host {self.host}, pid {self.pid}, since {since}"

    def same_lock(self, other: "LockInfo") -> bool:
        """Return True when ``other`` was read from the same lock (not a later one at the same path)."""
        if self.token is not None or other.token is not None:
            return self.token == other.token
        return (self.inode, self.mtime) == (other.inode, other.mtime)


#: errno values of a filesystem that cannot make hard links.
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK}


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` (failing with FileExistsError if it exists) holding ``data``, synced."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def this_host() -> str:
    """Return the host name written into lock files."""
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """Return True when ``pid`` is a live process of this machine (a zombie is not live)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    if sys.platform.startswith("linux"):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False  # it went away meanwhile
        # The state follows the parenthesised command name, which may itself hold ") ".
        return stat.rpartition(")")[2].split()[0] not in ("Z", "X")
    return True


def read_lock(path: Path) -> LockInfo | None:
    """Return the owner recorded in the lock file ``path``, or None when there is no lock.

    Returns
    -------
    LockInfo or None
        The owner; its ``host``/``pid``/``started``/``token`` are None when the content is
        missing or unreadable (being written, or its writer died first).
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        stat = os.fstat(fd)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(4096)
    finally:
        os.close(fd)
    try:
        meta = json.loads(raw.decode())
        if not isinstance(meta, dict):
            raise ValueError("not a dict")
        host, pid, started, token = meta.get("host"), meta.get("pid"), meta.get("started"), meta.get("token")
        if not (isinstance(host, str) and isinstance(pid, int) and isinstance(token, str)):
            raise ValueError("fields missing")
        started = float(started) if isinstance(started, (int, float)) else None
    except ValueError:  # includes UnicodeDecodeError and json.JSONDecodeError
        host = pid = started = token = None
    return LockInfo(host, pid, started, token, stat.st_mtime, stat.st_ino)


def is_stale(info: LockInfo, *, stale_after: float = STALE_AFTER_SECONDS, now: float | None = None) -> bool:
    """Return True when the lock described by ``info`` may be broken (see the module's rule).

    Returns
    -------
    bool
        True when the owner is a dead process of this host, or its heartbeat is older than
        ``stale_after`` seconds.
    """
    now = time.time() if now is None else now
    if info.host == this_host() and info.pid is not None and not pid_alive(info.pid):
        return True
    return now - info.mtime > stale_after


class RunLock:
    """An exclusive lock file with a heartbeat and the stale-lock rule of this module.

    Parameters
    ----------
    path : path-like
        The lock file; its folder is created when missing.
    stale_after : float
        Seconds without a heartbeat after which another owner's lock counts as stale.
    heartbeat : float
        Seconds between two touches of the file while the lock is held.

    Examples
    --------
    >>> lock = RunLock("results/digits_logreg/small/margin/seed42.lock")  # doctest: +SKIP
    >>> if lock.acquire():  # doctest: +SKIP
    ...     try:
    ...         ...  # compute and write the run
    ...     finally:
    ...         lock.release()
    ... else:
    ...     print("running elsewhere:", lock.holder.describe())
    """

    def __init__(self, path, *, stale_after: float = STALE_AFTER_SECONDS, heartbeat: float = HEARTBEAT_SECONDS):
        if not stale_after > 0 or not heartbeat > 0:
            raise ValueError(f"stale_after and heartbeat must be positive, got {stale_after!r} and {heartbeat!r}")
        self.path = Path(path)
        self.stale_after = float(stale_after)
        self.heartbeat = float(heartbeat)
        #: The live owner seen by the last :meth:`acquire` that failed, else None.
        self.holder: LockInfo | None = None
        #: Token of the lock this object holds or is taking (see :meth:`release`).
        self._token: str | None = None
        self._held = False
        self._stop = threading.Event()
        self._beater: threading.Thread | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._held

    def acquire(self) -> bool:
        """Take the lock unless a live owner holds it; a stale lock is broken first.

        Returns
        -------
        bool
            True when the lock is now held by this object; False when another live owner
            holds it (described by :attr:`holder`).
        """
        if self._held:
            raise RuntimeError(f"{self.path} is already held by this lock object")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.holder = None
        for _ in range(5):
            try:
                created = self._create()
            except FileNotFoundError:  # the folder was removed meanwhile (a cleanup of empty folders)
                self.path.parent.mkdir(parents=True, exist_ok=True)
                continue
            if created:
                self._held = True
                self._start_heartbeat()
                return True
            holder = read_lock(self.path)
            if holder is None:
                continue  # released meanwhile: try again
            if not is_stale(holder, stale_after=self.stale_after):
                self.holder = holder
                return False
            self._break(holder)
        # Five rounds of contention (other processes breaking and taking it): someone has it.
        self.holder = read_lock(self.path)
        return False

    def _pending_path(self, token: str) -> Path:
        return self.path.with_name(f".{self.path.name}.{token}.tmp")

    def _create(self) -> bool:
        """Create the lock file with its full record, atomically; return False if it exists.

        The record is written to a private file (``O_CREAT | O_EXCL``) and hard-linked to the
        lock's name, which fails when the name exists: the lock never exists half-written.
        Where the filesystem has no hard links, the lock itself is created with
        ``O_CREAT | O_EXCL`` and then written. The token is recorded first, so that
        :meth:`release` (also from a signal handler) finds whatever this call created.
        """
        token = uuid.uuid4().hex
        record = json.dumps({"host": this_host(), "pid": os.getpid(), "started": time.time(),
                             "token": token}).encode()
        self._token = token
        pending = self._pending_path(token)
        try:
            _write_new(pending, record)
            try:
                os.link(pending, self.path)
                return True
            except FileExistsError:
                self._token = None
                return False
            except OSError as err:
                if err.errno not in _NO_HARD_LINKS:
                    raise
            try:
                _write_new(self.path, record)
                return True
            except FileExistsError:
                self._token = None
                return False
        except BaseException:
            self._forget_own_lock(token)
            self._token = None
            raise
        finally:
            pending.unlink(missing_ok=True)

    def release(self) -> None:
        """Stop the heartbeat and remove the lock file if it is this object's lock.

        Safe at any moment, also from a signal handler that interrupted :meth:`acquire` or
        this method itself: it removes exactly what this object created, and the token is
        forgotten only once the file is gone, so a handler that interrupts a release (and
        then ends the process) still finds the lock it has to remove.
        """
        self._stop.set()
        token = self._token
        if token is not None:
            self._pending_path(token).unlink(missing_ok=True)
            self._forget_own_lock(token)
        self._token, self._held = None, False
        beater, self._beater = self._beater, None
        if beater is not None and beater is not threading.current_thread():
            beater.join()

    def _forget_own_lock(self, token: str) -> None:
        current = read_lock(self.path)
        if current is not None and current.token == token:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def _start_heartbeat(self) -> None:
        self._stop = threading.Event()
        self._beater = threading.Thread(target=self._beat, args=(self._token, self._stop),
                                        name=f"heartbeat {self.path.name}", daemon=True)
        self._beater.start()

    def _beat(self, token: str, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat):
            current = read_lock(self.path)
            if current is None or current.token != token:
                return  # broken by another process after a freeze: nothing left to keep alive
            try:
                os.utime(self.path)
            except OSError:
                return

    def _break(self, judged: LockInfo) -> None:
        """Remove the stale lock ``judged`` unless it was replaced meanwhile (serialised by ``.break``)."""
        guard = self.path.with_name(self.path.name + ".break")
        try:
            fd = os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                if time.time() - guard.stat().st_mtime > BREAK_TIMEOUT_SECONDS:
                    guard.unlink(missing_ok=True)  # left by a breaker that died
            except FileNotFoundError:
                pass
            time.sleep(0.05)
            return
        os.close(fd)
        try:
            current = read_lock(self.path)
            if current is not None and current.same_lock(judged) and is_stale(current, stale_after=self.stale_after):
                try:
                    self.path.unlink()
                except OSError as err:
                    if err.errno != errno.ENOENT:
                        raise
        finally:
            guard.unlink(missing_ok=True)
