"""How the C allocator keeps the memory of freed arrays, so that training steps reuse it.

A training step frees and makes again arrays of the same sizes on every step. glibc's malloc
hands the top of its heap back to the system as soon as more than its trim threshold (128 KiB
to start with) lies free there, and serves large arrays with fresh `mmap`s; which of the two
happens to the arrays of a step depends on the order in which Python frees them. When it
happens, every step faults its arrays' pages in again: measured on the book's MNIST network,
384 page faults and 30% more time per step. lamina therefore asks glibc, once at import, to
keep what it frees: arrays up to 32 MiB come from the heap (the largest threshold glibc's own
adaptive rule reaches), the heap grows by 16 MiB at a time and is trimmed only past 128 MiB
free at its top (on that network: about 30 faults a step, and 50 MiB more resident memory
after loading the data). `LAMINA_TUNE_MALLOC=0` leaves the allocator as it is; C libraries
other than glibc are left as they are.
"""

import ctypes
import os
import platform

_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
SETTINGS = {_M_MMAP_THRESHOLD: 32 << 20, _M_TOP_PAD: 16 << 20, _M_TRIM_THRESHOLD: 128 << 20}


def tune_malloc() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse (see the module docstring).

    Returns:
        True when the settings were applied; False on another C library, or when
        `LAMINA_TUNE_MALLOC=0`.
    """
    if os.environ.get("LAMINA_TUNE_MALLOC", "1") == "0" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return all(mallopt(param, value) == 1 for param, value in SETTINGS.items())
