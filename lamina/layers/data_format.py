"""The `data_format` argument of image and sequence layers."""

from typing import Any


def check_data_format(data_format: Any, owner: str) -> str:
    """`data_format` with None read as `"channels_last"`; raise naming `owner` otherwise."""
    if data_format is None:
        return "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{owner}: expected data_format to be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )
    return data_format
