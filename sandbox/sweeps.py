"""One executor for the Monte-Carlo sweeps: local processes, or a Dask distributed cluster.

Why one: `shapan journey bots`, `shapan exam calibrate` and `shapan model calibrate` all play
thousands of independent contacts. They hand a list of tasks and a top-level function to
`Sweep.map`; the sweep runs them in this process, on local worker processes (all cores by
default) or on a Dask distributed cluster (`--scheduler ADDRESS`), and always returns the
results **in task order**. Every random number a task uses derives from the task itself
(`task_seed(master, *key)`, a `numpy.random.SeedSequence` of the master seed and the task's
key), never from the worker it lands on, so the results are the same bytes wherever they ran.

Dask: `distributed.Client(address)`, `client.map(fn, tasks, pure=False)` and
`client.gather(futures)` (https://distributed.dask.org/en/stable/client.html). Every worker
needs the same shapan version installed and the files a task names (journeys, exams) at the
same path — a shared folder — and a task checks the content hash of what it loads. dask and
distributed are imported only when a scheduler address is given.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: How long to wait for a Dask scheduler to answer before giving up (seconds).
CONNECT_TIMEOUT_S = 10


class SweepError(Exception):
    """The sweep could not start (e.g. no scheduler at the address); one line, no traceback."""


def task_seed(master: int, *key: int) -> int:
    """The seed of one task: `SeedSequence([master, *key])`'s first 32-bit word. The same on
    every machine and for any number of workers."""
    import numpy as np

    state = np.random.SeedSequence([int(master), *(int(k) for k in key)]).generate_state(
        1, np.uint32
    )
    return int(state[0])


class Sweep:
    """Runs `fn` over tasks; results in task order. Use as a context manager (or `close()`)."""

    kind = "in-process"

    @property
    def workers(self) -> int:
        return 1

    def map(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        on_result: Callable[[int, R], None] | None = None,
    ) -> list[R]:
        out: list[R] = []
        for i, task in enumerate(tasks):
            out.append(fn(task))
            if on_result is not None:
                on_result(i, out[-1])
        return out

    def describe(self) -> str:
        return "in this process"

    def close(self) -> None:
        """Release workers (nothing to do in process)."""

    def __enter__(self) -> Sweep:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class LocalSweep(Sweep):
    """Local worker processes (`ProcessPoolExecutor`), started at the first `map` and kept
    for the next ones (a sequential sweep maps batch after batch)."""

    kind = "local"

    def __init__(
        self,
        workers: int,
        initializer: Callable[..., object] | None = None,
        initargs: tuple[Any, ...] = (),
        chunksize: int = 1,
    ):
        self._workers = max(1, int(workers))
        self._initializer = initializer
        self._initargs = initargs
        self._chunksize = chunksize
        self._pool: ProcessPoolExecutor | None = None

    @property
    def workers(self) -> int:
        return self._workers

    def map(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        on_result: Callable[[int, R], None] | None = None,
    ) -> list[R]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers,
                initializer=self._initializer,
                initargs=self._initargs,
            )
        out: list[R] = []
        for i, result in enumerate(self._pool.map(fn, tasks, chunksize=self._chunksize)):
            out.append(result)
            if on_result is not None:
                on_result(i, result)
        return out

    def describe(self) -> str:
        return f"{self._workers} local processes"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class DaskSweep(Sweep):
    """A Dask distributed cluster: `Client(address)`, `client.map`, results gathered in order.
    `client` may be given instead of an address (tests pass a LocalCluster's client)."""

    kind = "dask"

    def __init__(self, address: str | None = None, client: Any = None):
        if client is None:
            if not address:
                raise SweepError("a Dask scheduler address is needed (e.g. tcp://host:8786)")
            try:
                from distributed import Client
            except ImportError:  # pragma: no cover - distributed is in the lock
                raise SweepError("--scheduler needs the 'distributed' package") from None
            try:
                client = Client(address, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as err:
                raise SweepError(
                    f"cannot reach the Dask scheduler at {address}: {err} / 无法连接 Dask 调度器"
                ) from None
            self._own = True
        else:
            self._own = False
        self.client = client
        self.address = address or str(getattr(client, "scheduler", {}) or "")

    @property
    def workers(self) -> int:
        try:
            return max(1, len(self.client.scheduler_info().get("workers", {})))
        except Exception:  # pragma: no cover - a cluster that went away
            return 1

    def map(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        on_result: Callable[[int, R], None] | None = None,
    ) -> list[R]:
        if not tasks:
            return []
        futures = self.client.map(fn, list(tasks), pure=False)
        out: list[R] = []
        try:
            for i, future in enumerate(futures):
                result = future.result()
                out.append(result)
                if on_result is not None:
                    on_result(i, result)
        finally:
            for future in futures:
                future.release()
        return out

    def describe(self) -> str:
        return f"Dask cluster {self.address} ({self.workers} workers)"

    def close(self) -> None:
        if self._own:
            self.client.close()


def open_sweep(
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    tasks: int | None = None,
    min_parallel: int = 2,
    initializer: Callable[..., object] | None = None,
    initargs: tuple[Any, ...] = (),
    chunksize: int = 1,
) -> Sweep:
    """The sweep for a command: Dask when `scheduler` is given, else local processes
    (`workers`, default all cores), else in process when one worker is asked for or there
    are fewer than `min_parallel` tasks (starting processes would cost more than it saves).
    Raises SweepError when the scheduler cannot be reached."""
    if scheduler:
        return DaskSweep(scheduler)
    n = workers if workers is not None else (os.cpu_count() or 1)
    if tasks is not None:
        n = min(n, tasks)
    if n <= 1 or (tasks is not None and tasks < min_parallel):
        return Sweep()
    return LocalSweep(n, initializer=initializer, initargs=initargs, chunksize=chunksize)
