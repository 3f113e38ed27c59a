"""Data-parallel training over the processes of an MPI job, with Keras 3's names.

Example:
>>> import lamina as keras
>>> keras.distribution.set_distribution(keras.distribution.DataParallel())
>>> model.fit(x_train, y_train, batch_size=128)  # run with `mpiexec -n 2 python -m mpi4py ...`
"""

from lamina.distribution.data_parallel import (
    DataParallel,
    active_strategy,
    distribution,
    is_chief,
    list_devices,
    rank,
    set_distribution,
    size,
)

__all__ = [
    "DataParallel",
    "active_strategy",
    "distribution",
    "is_chief",
    "list_devices",
    "rank",
    "set_distribution",
    "size",
]
