"""The BLAS thread count lamina computes with.

On a busy 2-core machine two BLAS threads can be many times slower than one, while the
matrix products of typical layers gain little from a second thread, so lamina picks the count
itself: `LAMINA_NUM_THREADS` if set, else 1 on machines with at most 2 cores, else half the cores.
"""

import os

_num_threads: int | None = None
_limiter = None


def _default_threads() -> int:
    env = os.environ.get("LAMINA_NUM_THREADS")
    if env:
        return int(env)
    cores = os.cpu_count() or 1
    return 1 if cores <= 2 else cores // 2


def set_num_threads(n: int) -> None:
    """Set the number of BLAS threads NumPy uses (through threadpoolctl when installed).

    Args:
        n: a positive integer.

    Example:
    >>> lamina.backend.set_num_threads(1)
    """
    global _num_threads, _limiter
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"Expected a positive integer number of threads. Received: n={n!r}")
    _num_threads = n
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # The env vars below still reach a BLAS not loaded yet.
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(n)
        return
    _limiter = threadpool_limits(limits=n, user_api="blas")


def get_num_threads() -> int:
    """Return the BLAS thread count lamina set."""
    return _num_threads if _num_threads is not None else _default_threads()


def init_threads() -> None:
    """Apply the default thread count once, at import."""
    if _num_threads is None:
        set_num_threads(_default_threads())
