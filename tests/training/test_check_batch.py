"""check_batch: the one consistency check for batches streamed from generators and PyDatasets."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.training.data_adapters import check_batch


def test_returns_the_sample_shapes_and_refuses_a_change():
    x, y = np.zeros((4, 3)), np.zeros((4, 1))
    first = check_batch(x, y, None, 0, "of Data", None, "fit")
    assert first == [(3,), (1,)]
    assert check_batch(x[:2], y[:2], None, 1, "of Data", first, "fit") == first
    with pytest.raises(ValueError, match=r"every batch of Data must hold .* batch 2 with"):
        check_batch(np.zeros((4, 5)), y, None, 2, "of Data", first, "fit")
    with pytest.raises(ValueError, match=r"fit: batch 3 of Data is inconsistent"):
        check_batch(x, y[:3], None, 3, "of Data", first, "fit")


class Shifting(lamina.utils.PyDataset):
    def __len__(self):
        return 2

    def __getitem__(self, index):
        return np.zeros((2, 3 + index), "float32"), np.zeros((2, 1), "float32")


def _model():
    model = lamina.Sequential([layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_generators_and_py_datasets_refuse_a_shape_change_alike():
    def generator():
        for i in range(2):
            yield np.zeros((2, 3 + i), "float32"), np.zeros((2, 1), "float32")

    with pytest.raises(ValueError, match=r"every batch from the generator must hold samples"):
        _model().fit(generator(), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"every batch of Shifting must hold samples"):
        _model().fit(Shifting(), epochs=1, verbose=0)
