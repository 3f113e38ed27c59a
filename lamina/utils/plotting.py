"""matplotlib, loaded only when a plot is drawn, and figures written to PNG files atomically.

matplotlib is optional (`pip install lamina[viz]`). Figures are made with
`matplotlib.figure.Figure`, not `pyplot`, so drawing needs no display and leaves pyplot's
global state (the current figure, the interactive backend) alone.
"""

import os
from typing import Any

from lamina.io.atomic import atomic_open


def require_matplotlib() -> Any:
    """Return the `matplotlib` module with `matplotlib.figure` loaded, or raise ImportError.

    Raises:
        ImportError: matplotlib is not installed; the message says how to install it.
    """
    try:
        import matplotlib
        import matplotlib.figure
    except ImportError as err:
        raise ImportError(
            "Drawing plots needs matplotlib. Install it with `pip install lamina[viz]` "
            "(or `pip install matplotlib`)."
        ) from err
    return matplotlib


def new_figure(width: float, height: float) -> Any:
    """A `matplotlib.figure.Figure` of `width` by `height` inches, not attached to pyplot."""
    return require_matplotlib().figure.Figure(figsize=(width, height))


def save_png(figure: Any, to_file: str | os.PathLike, dpi: int = 100) -> None:
    """Write `figure` to `to_file` as a PNG image, atomically (the old file or the new one)."""
    with atomic_open(to_file, "wb") as f:
        figure.savefig(f, format="png", dpi=dpi, bbox_inches="tight")
