"""The MPI calls data-parallel training makes; the only module that imports mpi4py.

mpi4py is imported on first use, so lamina imports without it. Every function is a
collective: all processes of the job must call it, in the same order.
"""

from typing import Any

import numpy as np

_comm: Any = None
_INSTALL = 'pip install "lamina[mpi]"'


def world() -> Any:
    """The job's `MPI.COMM_WORLD`, importing mpi4py (and starting MPI) on first use.

    Raises:
        ImportError: when mpi4py is not installed, with the command that installs it.
    """
    global _comm
    if _comm is None:
        try:
            from mpi4py import MPI
        except ImportError as err:
            raise ImportError(
                "lamina.distribution runs its processes over MPI through mpi4py, which is not "
                f"installed. Install it with `{_INSTALL}` (mpi4py and an MPI library), then "
                "launch with `mpiexec -n 2 python -m mpi4py train.py`. "
                f"Received: ImportError({err})"
            ) from err
        _comm = MPI.COMM_WORLD
    return _comm


def rank() -> int:
    """This process's index in the job, from 0."""
    return world().Get_rank()


def size() -> int:
    """The number of processes in the job (1 when not launched by mpiexec)."""
    return world().Get_size()


def broadcast(buffer: np.ndarray, root: int = 0) -> np.ndarray:
    """Overwrite the flat contiguous `buffer` in place with the root's; returns it."""
    world().Bcast(buffer, root=root)
    return buffer


def broadcast_object(obj: Any, root: int = 0) -> Any:
    """The root's `obj` (a small picklable value, such as a random generator's state)."""
    return world().bcast(obj, root=root)


def allreduce_sum(buffer: np.ndarray) -> np.ndarray:
    """Replace the flat contiguous float `buffer` in place by its sum over the processes."""
    from mpi4py import MPI

    world().Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
    return buffer


def allreduce_mean(buffer: np.ndarray) -> np.ndarray:
    """Replace the flat contiguous float `buffer` in place by its mean over the processes."""
    allreduce_sum(buffer)
    buffer /= size()
    return buffer


def allgather_rows(array: np.ndarray) -> np.ndarray:
    """Every process's `array` concatenated along the first axis, in rank order.

    The arrays may differ in their first dimension only; every process gets the result.
    """
    array = np.ascontiguousarray(array)
    comm = world()
    rows = comm.allgather(int(array.shape[0]))
    per_row = int(np.prod(array.shape[1:], dtype=np.int64))
    out = np.empty((sum(rows), *array.shape[1:]), dtype=array.dtype)
    counts = [n * per_row for n in rows]
    comm.Allgatherv(array.reshape(-1), [out.reshape(-1), counts])
    return out


def allgather_object(obj: Any) -> list:
    """Every process's small picklable `obj`, in rank order."""
    return world().allgather(obj)


def barrier() -> None:
    """Wait until every process gets here."""
    world().Barrier()
