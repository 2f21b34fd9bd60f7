"""Who may change the index, and which generations are in use.

- **One writer at a time**: ingest holds ``<data>/ingest.lock`` (``filelock``) from reading the
  previous generation to cleaning up; a second ingest waits (or, with ``wait=False``, gives up with
  ``IngestBusy``). The lock is released by the operating system if its holder dies.
- **Readers hold leases**: a process that opens a generation takes a shared ``flock`` on
  ``<gen>/readers.lock``; clean-up removes a generation only when it can take the exclusive lock,
  i.e. when no live process holds it. A killed reader's lease disappears with it, so stale leases
  cannot pin a generation.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

log = logging.getLogger(__name__)
LEASE_FILE = "readers.lock"


class IngestBusy(Exception):
    """Another ingest holds the writer lock and the caller chose not to wait."""


def _owner_file(data_dir: Path) -> Path:
    return data_dir / "ingest.lock.owner"


def _owner(data_dir: Path) -> str:
    try:
        return _owner_file(data_dir).read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


@contextlib.contextmanager
def writer_lock(
    data_dir: Path, wait: bool = True, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the one-writer lock of a data directory for the duration of the block."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(data_dir / "ingest.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        message = f"another ingest (pid {_owner(data_dir)}) is updating the index in {data_dir}"
        if not wait:
            raise IngestBusy(f"{message}; try again when it has finished") from None
        (on_wait or log.warning)(f"{message}; waiting for it to finish…")
        lock.acquire()
    try:
        _owner_file(data_dir).write_text(str(os.getpid()), encoding="utf-8")
        yield
    finally:
        with contextlib.suppress(OSError):
            _owner_file(data_dir).unlink()
        lock.release()


class Lease:
    """A shared lock on one generation folder, held while a snapshot of it is in use."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._fd: int | None = _open_lease_file(folder / LEASE_FILE)
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_SH)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


def _open_lease_file(path: Path) -> int | None:
    """A descriptor to lock (a shared flock needs no write access), or None on a read-only index
    without a lease file: nothing can remove generations there, so there is nothing to guard against."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        raise
    except OSError:
        try:
            return os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            if path.parent.is_dir():
                return None
            raise


def create_lease_file(folder: Path) -> None:
    """Written by ingest with each generation, so readers without write access can still take leases."""
    (folder / LEASE_FILE).touch()


def take_lease(folder: Path) -> Lease | None:
    """A lease on ``folder``, or None when the generation is gone (removed by clean-up meanwhile)."""
    try:
        lease = Lease(folder)
    except FileNotFoundError:
        return None
    if not (folder / "manifest.json").exists():  # removed while we waited for the lock
        lease.release()
        return None
    return lease


@contextlib.contextmanager
def exclusive_if_unused(folder: Path) -> Iterator[bool]:
    """Yields True (holding an exclusive lock) when no process holds a lease on ``folder``."""
    try:
        fd = os.open(folder / LEASE_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield True  # no lease file can be made: the folder is a leftover, nobody can be reading it
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)
