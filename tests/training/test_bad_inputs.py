"""Bad inputs stop before the first weight update, with a message that says what to do."""

import warnings

import numpy as np
import pytest

import lamina
from lamina import layers


class Unchanged:
    """Check that a model's weights are the same after the block as before it."""

    def __init__(self, model):
        self.model = model

    def __enter__(self):
        self.before = self.model.get_weights()
        return self

    def __exit__(self, *exc):
        after = self.model.get_weights()
        assert len(after) == len(self.before)
        for a, b in zip(self.before, after, strict=True):
            np.testing.assert_array_equal(a, b, err_msg="a weight changed before the error")
        return False


@pytest.fixture
def sparse_model(make_classifier):
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_x_and_y_of_different_lengths(data, sparse_model):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit(x, y[:30], verbose=0)
    message = str(err.value)
    assert "must have the same number of samples" in message
    assert "x_train with y_train" in message
    assert message.endswith("Received: x with 40 samples, y with 30 samples")


def test_input_shape_not_matching_the_model(data, sparse_model):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit(x[:, :3], y, verbose=0)
    message = str(err.value)
    assert "expects x of shape (batch, 4)" in message
    assert "Received: x with shape (40, 3)" in message
    assert "Reshape the data" in message


def test_images_not_flattened_for_a_dense_network(make_classifier):
    model = lamina.Sequential([layers.Dense(4, input_shape=(784,)), layers.Dense(10)])
    model.compile("sgd", "mse")
    with (
        Unchanged(model),
        pytest.raises(
            ValueError,
            match=r"x.reshape\(len\(x\), -1\).*"
            r"\(5, 28, 28\)",
        ),
    ):
        model.fit(np.zeros((5, 28, 28)), np.zeros((5, 10)), verbose=0)


def test_one_hot_labels_with_sparse_loss(data, sparse_model):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit(x, lamina.utils.to_categorical(y, 3), verbose=0)
    message = str(err.value)
    assert "sparse_categorical_crossentropy" in message and "one-hot" in message
    assert "loss='categorical_crossentropy'" in message and "argmax" in message
    assert "Received: y with shape (40, 3)" in message


@pytest.mark.parametrize("labels", ["flat", "column"])
def test_integer_labels_with_categorical_loss(data, make_classifier, labels):
    x, y = data
    model = make_classifier()
    model.compile("sgd", "categorical_crossentropy")
    y = y if labels == "flat" else y.reshape(-1, 1)
    with Unchanged(model), pytest.raises(ValueError) as err:
        model.fit(x, y, verbose=0)
    message = str(err.value)
    assert "expects one-hot targets shaped like the output (batch, 3)" in message
    assert "sparse_categorical_crossentropy" in message and "to_categorical" in message
    assert f"Received: y with shape {y.shape}" in message


def test_labels_out_of_range_name_the_first_bad_sample(data, sparse_model):
    x, y = data
    bad = y.copy()
    bad[17] = 3
    bad[30] = 5
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit(x, bad, verbose=0)
    message = str(err.value)
    assert "class ids in [0, 3)" in message and "3 units" in message
    assert "Received: y[17]=3 (sample 17)" in message
    bad = y.copy()
    bad[2] = -1
    with pytest.raises(ValueError, match=r"Received: y\[2\]=-1"):
        sparse_model.evaluate(x, bad, verbose=0)


def test_labels_out_of_range_on_a_generator(data, sparse_model):
    x, y = data
    bad = y.copy()
    bad[4] = 9

    def batches():
        while True:
            yield x[:10], bad[:10]

    with Unchanged(sparse_model), pytest.raises(ValueError, match=r"Received: y\[4\]=9"):
        sparse_model.fit(batches(), steps_per_epoch=2, verbose=0)


@pytest.mark.parametrize(
    ("kwargs", "kind"),
    [
        ({"optimizer": "adamm", "loss": "mse"}, "optimizer"),
        ({"optimizer": "sgd", "loss": "mean_sqared_error"}, "loss"),
        ({"optimizer": "sgd", "loss": "mse", "metrics": ["acuracy"]}, "metric"),
    ],
)
def test_unknown_names_list_the_known_ones(make_classifier, kwargs, kind):
    model = make_classifier()
    with pytest.raises(ValueError) as err:
        model.compile(**kwargs)
    message = str(err.value)
    assert f"Unknown {kind}" in message and "Known:" in message
    known = {"optimizer": "rmsprop", "loss": "mean_squared_error", "metric": "accuracy"}[kind]
    assert known in message


@pytest.mark.parametrize("split", [1.0, 1.5, -0.2])
def test_validation_split_outside_the_open_interval(data, sparse_model, split):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit(x, y, validation_split=split, verbose=0)
    assert "validation_split" in str(err.value)


def test_validation_split_leaving_no_training_data(data, sparse_model):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError, match=r"leaves 0 for training"):
        sparse_model.fit(x[:1], y[:1], validation_split=0.5, verbose=0)


def test_validation_split_with_a_generator_is_refused(data, sparse_model):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError, match="pass validation_data"):
        sparse_model.fit(((x, y) for _ in range(3)), validation_split=0.5, verbose=0)


def test_empty_data(data, sparse_model):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError, match="the data is empty"):
        sparse_model.fit(x[:0], y[:0], verbose=0)
    with Unchanged(sparse_model), pytest.raises(ValueError, match="yielded no batch"):
        sparse_model.fit(iter([]), verbose=0)


def test_generator_with_x_and_y_of_different_lengths(data, sparse_model):
    x, y = data

    def batches():
        yield x[:10], y[:9]

    with (
        Unchanged(sparse_model),
        pytest.raises(
            ValueError,
            match=r"batch 0 from the generator is inconsistent.*x with 10 samples, y with 9",
        ),
    ):
        sparse_model.fit(batches(), verbose=0)


def test_generator_whose_batches_change_shape(data, sparse_model):
    x, y = data
    x_wide = np.concatenate([x, x], axis=1)

    def batches():
        yield x[:10], y[:10]
        yield x_wide[10:20], y[10:20]

    trained_on_first = []

    class Record(lamina.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            trained_on_first.append(self.model.get_weights())

    with pytest.raises(
        ValueError,
        match=r"first batch, \[\(4,\), \(\)\].*batch 1 with sample "
        r"shapes \[\(8,\), \(\)\]",
    ):
        sparse_model.fit(batches(), verbose=0, callbacks=[Record()])
    # the bad batch is refused before it is trained on: the weights are those after batch 0
    assert len(trained_on_first) == 1
    for a, b in zip(trained_on_first[0], sparse_model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_y_with_a_generator_is_refused(data, sparse_model):
    x, y = data
    with pytest.raises(ValueError, match="do not pass y"):
        sparse_model.fit(((x, y) for _ in range(2)), y, verbose=0)


def test_bad_epochs_and_batch_size(data, sparse_model):
    x, y = data
    with pytest.raises(ValueError, match=r"Received: epochs=-1"):
        sparse_model.fit(x, y, epochs=-1, verbose=0)
    with pytest.raises(ValueError, match=r"Received: batch_size=0"):
        sparse_model.fit(x, y, batch_size=0, verbose=0)


def test_nan_loss_warns_with_epoch_and_batch(data, make_regressor):
    x, _ = data
    y = x[:, :1].copy()
    y[25] = np.nan  # the third batch of 10
    model = make_regressor()
    model.compile("sgd", "mse")
    with pytest.warns(RuntimeWarning, match=r"The loss became nan at epoch 1, batch 2"):
        model.fit(x, y, batch_size=10, shuffle=False, epochs=2, verbose=0)


def test_infinite_loss_warns_once(data, make_regressor):
    x, _ = data
    y = x[:, :1].copy()
    y[3] = np.inf
    model = make_regressor()
    model.compile("sgd", "mae")
    with pytest.warns(RuntimeWarning, match=r"The loss became inf at epoch 1, batch 0") as record:
        model.fit(x, y, batch_size=10, shuffle=False, epochs=1, verbose=0)
    assert len([w for w in record if "The loss became" in str(w.message)]) == 1


def test_from_logits_on_a_softmax_output_warns(data, make_classifier):
    x, y = data
    model = make_classifier()
    model.compile("sgd", lamina.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.warns(
        UserWarning,
        match=r"from_logits=True but output '.*' already goes "
        r"through softmax",
    ):
        model.fit(x, y, epochs=1, verbose=0)


def test_from_logits_on_a_linear_output_is_quiet(data, make_classifier):
    x, y = data
    model = make_classifier(activation=None)
    model.compile("sgd", lamina.losses.SparseCategoricalCrossentropy(from_logits=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, epochs=1, verbose=0)


def test_a_metric_that_cannot_apply_names_the_output_before_any_update():
    model = lamina.Sequential([lamina.layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("rmsprop", "sparse_categorical_crossentropy", metrics=["mae"])
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"Metric 'mae' cannot apply to output 'dense"):
        model.fit(np.ones((8, 4)), np.array([0, 1, 2, 0, 1, 2, 0, 1]), verbose=0)
    for w, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(w, b)
