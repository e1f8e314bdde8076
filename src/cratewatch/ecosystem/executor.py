"""Where partitions run: a local process pool or a Dask cluster, behind one small interface.

An :class:`Executor` runs ``fn(context, item)`` for every item and yields ``(position,
result)`` pairs as they finish (in any order). The *context* is the heavy, read-only part of a
job (the advisory matcher, the index location) and reaches each worker once:

* :class:`LocalExecutor` forks its worker processes after storing the context in a module
  global, so every worker inherits it without pickling; with one worker everything runs in
  the calling process (no pool at all);
* :class:`DaskExecutor` scatters the context to every worker of a ``dask.distributed``
  cluster once (``broadcast=True``) and submits one task per item.

Each worker keeps its own state between items through the context (see
:func:`cratewatch.ecosystem.job.run_partition`), so nothing is loaded twice per worker.

>>> def double(context, item):
...     return context * item
>>> sorted(LocalExecutor(workers=1).map_unordered(double, 2, [1, 2, 3]))
[(0, 2), (1, 4), (2, 6)]
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Self, TypeVar

from cratewatch.errors import CratewatchError

__all__ = [
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "LocalExecutor",
    "default_workers",
]

C = TypeVar("C")
T = TypeVar("T")
R = TypeVar("R")

_DASK_CONNECT_TIMEOUT = 30.0

# the context of the current LocalExecutor run, inherited by forked workers
_CONTEXT: Any = None


class ExecutorError(CratewatchError):
    """The executor could not start (a cluster that does not answer, a bad address)."""


def default_workers() -> int:
    """The CPUs this process may use (``sched_getaffinity``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover (not Linux)
        return max(1, os.cpu_count() or 1)


class Executor(ABC):
    """Runs a function over items, in parallel somewhere."""

    @property
    @abstractmethod
    def workers(self) -> int:
        """How many items can run at once."""

    @property
    @abstractmethod
    def description(self) -> str:
        """Where the work runs, for progress lines and the report's methods section."""

    @abstractmethod
    def map_unordered(
        self, fn: Callable[[C, T], R], context: C, items: Sequence[T]
    ) -> Iterator[tuple[int, R]]:
        """Yield ``(position in items, fn(context, item))`` as each item finishes.

        *fn* must be a module-level function (workers import it by name). Closing the
        iterator early (an interrupt) cancels what has not finished.
        """

    def close(self) -> None:  # noqa: B027 (a local pool holds nothing between runs)
        """Release what the executor holds (a cluster connection)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """A pool of forked processes on this machine (one worker: run in this process)."""

    def __init__(self, *, workers: int | None = None) -> None:
        self._workers = default_workers() if workers is None else workers
        if self._workers < 1:
            raise ExecutorError(f"workers: expected at least 1, got {self._workers}")

    @property
    def workers(self) -> int:
        return self._workers

    @property
    def description(self) -> str:
        if self._workers == 1:
            return "1 process (this one)"
        return f"a local pool of {self._workers} processes"

    def map_unordered(
        self, fn: Callable[[C, T], R], context: C, items: Sequence[T]
    ) -> Iterator[tuple[int, R]]:
        if self._workers == 1 or len(items) <= 1:
            for position, item in enumerate(items):
                yield position, fn(context, item)
            return
        global _CONTEXT  # noqa: PLW0603 (handed to forked children without pickling)
        _CONTEXT = context
        try:
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(min(self._workers, len(items))) as pool:
                jobs = [(fn, position, item) for position, item in enumerate(items)]
                yield from pool.imap_unordered(_local_call, jobs, chunksize=1)
        finally:
            _CONTEXT = None


def _local_call(job: tuple[Callable[[Any, Any], Any], int, Any]) -> tuple[int, Any]:
    fn, position, item = job
    return position, fn(_CONTEXT, item)


class DaskExecutor(Executor):
    """The workers of a ``dask.distributed`` cluster (a scheduler address or a client)."""

    def __init__(self, scheduler: str | Any, *, timeout: float = _DASK_CONNECT_TIMEOUT) -> None:
        """*scheduler* is ``tcp://HOST:PORT`` (connected here, closed by :meth:`close`) or an
        existing ``distributed.Client`` (left open)."""
        distributed = _distributed()
        self._client: Any
        if isinstance(scheduler, distributed.Client):
            self._client = scheduler
            self._owned = False
            self._address = str(scheduler.scheduler.address)
        else:
            address = str(scheduler)
            try:
                self._client = distributed.Client(address, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as e:
                raise ExecutorError(
                    f"{address}: cannot reach the Dask scheduler: {e} (is `dask scheduler` "
                    "running there, and the port open?)"
                ) from e
            self._owned = True
            self._address = address

    @property
    def workers(self) -> int:
        info = self._client.scheduler_info()
        workers = info.get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    @property
    def description(self) -> str:
        count = len(self._client.scheduler_info().get("workers", {}))
        return f"a Dask cluster at {self._address} ({count} workers, {self.workers} threads)"

    def map_unordered(
        self, fn: Callable[[C, T], R], context: C, items: Sequence[T]
    ) -> Iterator[tuple[int, R]]:
        as_completed = _distributed().as_completed
        client = self._client
        shared = client.scatter(context, broadcast=True, hash=False)
        run = uuid.uuid4().hex[:12]
        futures = {}
        for position, item in enumerate(items):
            key = f"cratewatch-{run}-{position}"
            futures[client.submit(fn, shared, item, pure=False, key=key)] = position
        try:
            for future in as_completed(futures):
                result = future.result()
                yield futures[future], result
                future.release()
        finally:
            client.cancel(list(futures))
            client.cancel(shared)

    def close(self) -> None:
        """Disconnect from a cluster this executor connected to."""
        if self._owned:
            self._client.close()


def _distributed() -> Any:
    """``dask.distributed``, imported on first use (slow to import; untyped)."""
    return importlib.import_module("distributed")
