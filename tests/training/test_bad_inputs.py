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


@pytest.mark.parametrize("make_val", [lambda x, y: x, lambda x, y: (x,), lambda x, y: (x, None)])
def test_validation_data_without_targets(data, sparse_model, make_val):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit(x, y, validation_data=make_val(x, y), verbose=0)
    message = str(err.value)
    assert message.startswith("fit: ") and "(x_val, y_val)" in message
    assert "Received: validation_data=" in message


def test_validation_data_of_four_items(data, sparse_model):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit(x, y, validation_data=(x, y, y, y), verbose=0)
    assert str(err.value).endswith("Received: validation_data=a tuple of length 4")


def test_validation_generator_without_targets(data, sparse_model):
    x, y = data
    batches = ((x[:10],) for _ in range(5))
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit(x, y, validation_data=batches, verbose=0)
    message = str(err.value)
    assert message.startswith("fit (validation_data): the batches of the data hold no targets")
    assert "yield (x, y)" in message


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_y_missing_with_a_compiled_loss(data, sparse_model, method):
    x, _ = data
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        getattr(sparse_model, method)(x, verbose=0)
    message = str(err.value)
    assert message.startswith(f"{method}: y is missing")
    assert f"model.{method}(x, y)" in message and message.endswith("Received: y=None")


def test_generator_without_targets(data, sparse_model):
    x, _ = data
    with Unchanged(sparse_model), pytest.raises(ValueError, match="hold no targets"):
        sparse_model.fit(((x[:10],) for _ in range(3)), verbose=0)


def test_a_custom_train_step_decides_about_targets(data):
    x, _ = data

    class Autoencoder(lamina.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(4)

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            return super().train_step((data[0], data[0]))  # learns to reproduce x

    model = Autoencoder()
    model.compile("sgd", "mse")
    history = model.fit(x, epochs=1, batch_size=10, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_ragged_nested_lists(sparse_model):
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]], [0, 1], verbose=0)
    message = str(err.value)
    assert message.startswith("fit: x is not a regular array of numbers")
    assert "pad_sequences" in message
    assert message.endswith("Received: x=[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]]")


def test_list_mixing_arrays_and_numbers(data, sparse_model):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit([x, 3], y, verbose=0)
    message = str(err.value)
    assert "holding both arrays and single numbers" in message
    assert message.endswith("Received: x[1]=3")


@pytest.mark.parametrize("labels", ["array", "list", "object"])
def test_string_labels(data, sparse_model, labels):
    x, y = data
    names = np.array(["cat", "dog", "bird"])[y]
    y_str = {"array": names, "list": names.tolist(), "object": names.astype(object)}[labels]
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit(x, y_str, verbose=0)
    message = str(err.value)
    assert message.startswith("fit: y holds strings (dtype ")
    assert "np.unique(y, return_inverse=True)" in message and "to_categorical" in message
    assert message.endswith(f"first label {str(names[0])!r}")


def test_string_labels_from_a_generator(data, sparse_model):
    x, y = data
    names = np.array(["cat", "dog", "bird"])[y]
    with Unchanged(sparse_model), pytest.raises(ValueError, match=r"^evaluate: y holds strings"):
        sparse_model.evaluate(((x[:10], names[:10]) for _ in range(2)), verbose=0)


def test_dict_input_to_a_sequential_model(data, sparse_model):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit({"features": x}, y, verbose=0)
    message = str(err.value)
    assert "has a single input: pass it as one array" in message
    assert "lamina.Model(inputs={...}" in message
    assert message.endswith("Received: inputs=a dict with keys ['features']")


def _two_output_model():
    inputs = layers.Input((4,))
    outputs = [layers.Dense(2, name="a")(inputs), layers.Dense(3, name="b")(inputs)]
    model = lamina.Model(inputs, outputs)
    model.compile("sgd", "mse")
    return model


@pytest.mark.parametrize("targets", ["list", "array"])
def test_too_few_targets_for_a_two_output_model(data, targets):
    x, _ = data
    model = _two_output_model()
    y = [np.zeros((40, 2))] if targets == "list" else np.zeros((40, 2))
    with Unchanged(model), pytest.raises(ValueError) as err:
        model.fit(x, y, verbose=0)
    message = str(err.value)
    assert message.startswith("fit: the model has 2 output(s) ['a', 'b']")
    given = "a list of 1 target(s)" if targets == "list" else "1 array"
    assert message.endswith(f"Received: y as {given}")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("batch_size", 0),
        ("batch_size", -4),
        ("batch_size", 16.5),
        ("batch_size", True),
        ("steps_per_epoch", 0),
        ("steps_per_epoch", -1),
        ("validation_steps", 0),
        ("validation_batch_size", 2.0),
        ("epochs", 1.5),
        ("initial_epoch", -1),
    ],
)
def test_bad_counts(data, sparse_model, name, value):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit(x, y, validation_data=(x, y), verbose=0, **{name: value})
    assert str(err.value).startswith(f"fit: expected {name} to be an integer >= ")
    assert str(err.value).endswith(f"Received: {name}={value!r}")


@pytest.mark.parametrize("method", ["evaluate", "predict"])
@pytest.mark.parametrize(("name", "value"), [("batch_size", 0), ("steps", -2), ("steps", 1.0)])
def test_bad_counts_in_evaluate_and_predict(data, sparse_model, method, name, value):
    x, y = data
    args = (x, y) if method == "evaluate" else (x,)
    with pytest.raises(ValueError, match=rf"^{method}: expected {name} to be an integer"):
        getattr(sparse_model, method)(*args, verbose=0, **{name: value})


@pytest.mark.parametrize("class_weight", [{"0": 1.0, "1": 2.0}, {0.0: 1.0}, {-1: 2.0}, {True: 1.0}])
def test_class_weight_with_non_integer_keys(data, sparse_model, class_weight):
    x, y = data
    with Unchanged(sparse_model), pytest.raises(ValueError) as err:
        sparse_model.fit(x, y, class_weight=class_weight, verbose=0)
    key = next(iter(class_weight))
    message = str(err.value)
    assert "class_weight keys must be the classes' integer indices" in message
    assert message.endswith(f"Received: class_weight with key {key!r} ({type(key).__name__})")


def test_class_weight_that_is_not_a_dict_or_has_bad_values(data, sparse_model):
    x, y = data
    with pytest.raises(TypeError, match=r"Received: class_weight=\[1.0, 2.0\]"):
        sparse_model.fit(x, y, class_weight=[1.0, 2.0], verbose=0)
    with pytest.raises(ValueError, match=r"Received: class_weight\[1\]='high'"):
        sparse_model.fit(x, y, class_weight={0: 1.0, 1: "high"}, verbose=0)


def test_class_weight_on_a_two_output_model(data):
    x, _ = data
    model = _two_output_model()
    with pytest.raises(ValueError, match="only supported for models with a single output"):
        model.fit(x, [np.zeros((40, 2)), np.zeros((40, 3))], class_weight={0: 1.0}, verbose=0)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
@pytest.mark.parametrize("verbose", ["loud", 3, -1, None, 1.0])
def test_bad_verbose(data, sparse_model, method, verbose):
    x, y = data
    args = (x,) if method == "predict" else (x, y)
    with pytest.raises(ValueError) as err:
        getattr(sparse_model, method)(*args, verbose=verbose)
    assert str(err.value).startswith(f"{method}: Expected verbose to be 'auto', 0")
    assert str(err.value).endswith(f"Received: verbose={verbose!r}")


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("evaluate", lambda x, y: (x, y[:30])),
        ("evaluate", lambda x, y: (x[:0], y[:0])),
        ("predict", lambda x, y: (x[:0],)),
        ("evaluate", lambda x, y: (iter([]),)),
        ("predict", lambda x, y: (iter([]),)),
    ],
)
def test_errors_name_the_method(data, sparse_model, method, args):
    x, y = data
    with pytest.raises(ValueError) as err:
        getattr(sparse_model, method)(*args(x, y), verbose=0)
    assert str(err.value).startswith(f"{method}: ")


def test_nan_loss_in_evaluate_warns_once(data, sparse_model):
    x, y = data
    x = x.copy()
    x[13] = np.nan  # in the second batch of 10
    with pytest.warns(RuntimeWarning, match=r"^evaluate: the loss became nan at batch 1") as record:
        sparse_model.evaluate(x, y, batch_size=10, verbose=0)
    assert len([w for w in record if "the loss became" in str(w.message)]) == 1
