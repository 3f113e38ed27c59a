"""check_validation_split_arg: one split check for the image and text dataset helpers."""

import pytest

from lamina.utils import image_dataset_from_directory, text_dataset_from_directory
from lamina.utils.dataset_utils import check_validation_split_arg


@pytest.mark.parametrize(
    ("split", "subset", "seed", "message"),
    [
        (0.2, "train", 1, r"'training', 'validation', 'both' or None. Received: subset='train'"),
        ("0.2", "training", 1, r"number in \(0, 1\) or None. Received: validation_split='0.2'"),
        (1.0, "training", 1, r"Received: validation_split=1.0$"),
        (0.2, None, 1, r"give both or neither. Received: validation_split=0.2, subset=None"),
        (None, "both", 1, r"give both or neither"),
        (0.2, "both", None, r"pass a seed .* Received: seed=None"),
    ],
)
def test_refuses_each_bad_combination(split, subset, seed, message):
    with pytest.raises(ValueError, match=message):
        check_validation_split_arg(split, subset, True, seed)


def test_accepts_good_combinations():
    check_validation_split_arg(None, None, True, None)
    check_validation_split_arg(0.25, "both", True, 7)
    check_validation_split_arg(0.25, "validation", False, None)


@pytest.mark.parametrize("make", [image_dataset_from_directory, text_dataset_from_directory])
def test_image_and_text_helpers_refuse_alike(make, tmp_path):
    with pytest.raises(ValueError, match=r"Received: validation_split='0.2'"):
        make(str(tmp_path), validation_split="0.2", subset="training", seed=1)
