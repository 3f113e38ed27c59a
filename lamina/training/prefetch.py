"""Prefetching: prepare the next batches on worker threads or processes while one trains.

`prefetch(fetch, indices, ...)` calls `fetch(i)` for each index ahead of time and yields the
results in the order of `indices`. A bounded queue of futures keeps at most `max_queue_size`
batches in flight, so memory stays at a few batches however large the dataset. The pool lives
for one pass over `indices` (an epoch) and is shut down when the pass ends, when the consumer
stops early, or when an error or a KeyboardInterrupt comes through.

Threads are the default: NumPy releases the GIL in copies, file reads and BLAS, so threads
overlap reading the next batch with training on this one. Processes (`use_multiprocessing`)
help only when `fetch` is pure Python; each worker then receives a pickled copy of `owner`.

An error in a worker comes back as a `RuntimeError` naming the owner's class and the batch
index, chained to the original; a worker process that dies (killed, out of memory,
`os._exit`) does too, naming the batch it was preparing, instead of a hang.
"""

import itertools
import multiprocessing
import pickle
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

# In a worker process: the pickled dataset, unpickled on first use; the shared array in which
# each worker writes the batch index it is preparing (-1 when idle), and its slot there.
_worker_payload: bytes | None = None
_worker_dataset: Any = None
_worker_busy: Any = None
_worker_slot = 0


def prefetch(
    fetch: Callable[[int], Any],
    indices: Iterable[int],
    workers: int,
    use_multiprocessing: bool = False,
    max_queue_size: int = 10,
    owner: Any = None,
) -> Iterator[Any]:
    """Yield `fetch(i)` for each `i` in `indices`, in order, computed ahead by `workers`.

    Args:
        fetch: the function preparing one batch from its index (e.g. `dataset.__getitem__`).
        indices: the batch indices, in the order the batches are wanted.
        workers: how many threads (or processes) call `fetch` at once.
        use_multiprocessing: use worker processes instead of threads; `owner` is pickled to
            each worker, whose `owner[i]` then replaces `fetch(i)`.
        max_queue_size: how many batches may be requested ahead of the one being consumed.
        owner: the object `fetch` belongs to, named in error notes (and pickled for processes).

    Returns:
        An iterator over the batches; closing it early shuts the workers down.

    Raises:
        TypeError: with `use_multiprocessing`, when `owner` cannot be pickled.
        RuntimeError: when `fetch` raised (chained to its error) or a worker process died;
            the message names the owner's class and the batch index.
    """
    executor, busy = _make_executor(workers, use_multiprocessing, owner)
    call = _getitem_in_worker if use_multiprocessing else fetch
    where = "a worker process" if use_multiprocessing else "a worker thread"
    depth = max(int(max_queue_size), int(workers))
    order = iter(indices)
    pending: deque[tuple[int, Future]] = deque()
    interrupted = False
    try:
        for i in itertools.islice(order, depth):
            pending.append((i, executor.submit(call, i)))
        while pending:
            i, future = pending.popleft()
            try:
                batch = future.result()
            except BrokenProcessPool as err:
                raise RuntimeError(_death_message(owner, i, busy)) from err
            except Exception as err:
                raise RuntimeError(
                    f"{_fetch_name(owner)}({i}) raised {type(err).__name__} in {where} while "
                    f"preparing batch index {i}: {err}"
                ) from err
            # Refill before handing the batch over, so the workers stay busy while it trains.
            for j in itertools.islice(order, 1):
                pending.append((j, executor.submit(call, j)))
            yield batch
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        for _, future in pending:
            future.cancel()
        # Running fetches finish their batch (threads cannot be stopped); on Ctrl-C, return
        # without waiting for them.
        executor.shutdown(wait=not interrupted, cancel_futures=True)


def add_batch_note(err: BaseException, owner: Any, index: int, where: str) -> None:
    """Attach to `err` which batch failed and where, so the training loop's traceback says so."""
    err.add_note(
        f"Raised while preparing batch index {index}: {_fetch_name(owner)}({index}) in {where}."
    )


def _fetch_name(owner: Any) -> str:
    return f"{type(owner).__name__}.__getitem__" if owner is not None else "fetch"


def _death_message(owner: Any, waited_for: int, busy: Any) -> str:
    preparing = [int(i) for i in busy if i >= 0] if busy is not None else []
    if len(preparing) == 1:
        what = f"while preparing batch index {preparing[0]}"
    elif preparing:
        what = (
            f"while the workers prepared batch indices {preparing} (the other workers were "
            "stopped with it)"
        )
    else:
        what = f"while fit waited for batch index {waited_for}"
    return (
        f"A worker process of {type(owner).__name__} died {what}: it was killed (out of memory, "
        f"a signal) or exited (os._exit, a crash in native code) inside "
        f"{_fetch_name(owner)}. Run that batch in this process (dataset[index]) to see why, "
        "or use threads (use_multiprocessing=False)."
    )


def _make_executor(workers: int, use_multiprocessing: bool, owner: Any) -> tuple[Executor, Any]:
    if not use_multiprocessing:
        executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lamina-prefetch")
        return executor, None
    try:
        payload = pickle.dumps(owner, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as err:
        raise TypeError(
            f"use_multiprocessing=True runs __getitem__ in worker processes, which each receive "
            f"a pickled copy of the dataset, but {type(owner).__name__} cannot be pickled "
            f"({type(err).__name__}: {err}). Keep file paths rather than open files, locks, "
            "generators or lambdas in its attributes, and define the class at the top level "
            "of a module; or use threads (use_multiprocessing=False), which suffice unless "
            f"__getitem__ is pure Python. Received: {type(owner).__name__} object"
        ) from err
    # forkserver/spawn rather than fork: forking a process that already runs BLAS or prefetch
    # threads can deadlock the child.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    busy = context.Array("q", [-1] * workers, lock=False)
    slots = context.Value("i", 0)
    executor = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(payload, busy, slots),
    )
    return executor, busy


def _init_worker(payload: bytes, busy: Any, slots: Any) -> None:
    global _worker_payload, _worker_dataset, _worker_busy, _worker_slot
    # Ctrl-C reaches the whole process group; only the training process should handle it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_payload, _worker_dataset = payload, None
    with slots.get_lock():
        _worker_slot = slots.value % len(busy)
        slots.value += 1
    _worker_busy = busy


def _getitem_in_worker(index: int) -> Any:
    global _worker_dataset
    if _worker_dataset is None:
        try:
            _worker_dataset = pickle.loads(_worker_payload)
        except Exception as err:
            raise RuntimeError(
                "use_multiprocessing=True: a worker process could not rebuild the dataset from "
                f"its pickle ({type(err).__name__}: {err}). Define the dataset's class in an "
                "importable module (not inside a function or an interactive session), or use "
                "threads (use_multiprocessing=False)."
            ) from None
    _worker_busy[_worker_slot] = index
    try:
        return _worker_dataset[index]
    finally:  # not reached if the process dies: the index stays for the error to name
        _worker_busy[_worker_slot] = -1
