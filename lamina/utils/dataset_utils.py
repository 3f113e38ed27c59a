"""Checks shared by the `*_dataset_from_directory` helpers."""

from typing import Any

from lamina.validation import check_number


def check_validation_split_arg(
    validation_split: Any, subset: Any, shuffle: bool, seed: Any
) -> None:
    """Refuse a `validation_split`/`subset`/`seed` combination that cannot split the files.

    Raises:
        ValueError: for a subset other than "training", "validation", "both" or None, a split
            outside (0, 1), one of split and subset without the other, or a shuffled split
            without a seed (the two subsets would overlap).
    """
    if subset not in (None, "training", "validation", "both"):
        raise ValueError(
            "Expected subset to be 'training', 'validation', 'both' or None. "
            f"Received: subset={subset!r}"
        )
    check_number(
        "validation_split",
        validation_split,
        low=0,
        high=1,
        low_open=True,
        high_open=True,
        allow_none=True,
    )
    if bool(validation_split) != (subset is not None):
        raise ValueError(
            "validation_split and subset go together: give both or neither. "
            f"Received: validation_split={validation_split!r}, subset={subset!r}"
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "With validation_split and shuffle=True, pass a seed so the training and "
            "validation subsets do not overlap. Received: seed=None"
        )
