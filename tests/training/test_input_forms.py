"""The forms of data that fit, evaluate and predict accept besides NumPy arrays."""

import warnings

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.training.argument_checks import split_validation_data
from lamina.training.data_adapters import unpack


@pytest.fixture
def model(make_classifier):
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _trained_weights(model, *args, **kwargs):
    lamina.utils.set_random_seed(7)
    model.fit(*args, epochs=2, batch_size=10, shuffle=False, verbose=0, **kwargs)
    return model.get_weights()


def test_nested_lists_of_numbers_train_like_arrays(data, make_classifier):
    x, y = data
    from_arrays = _trained_weights(_compiled(make_classifier), x, y)
    from_lists = _trained_weights(_compiled(make_classifier), x.tolist(), y.tolist())
    for a, b in zip(from_arrays, from_lists, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def _compiled(make_classifier):
    lamina.utils.set_random_seed(3)
    model = make_classifier()
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


def test_lists_in_evaluate_predict_and_the_one_batch_methods(data, model):
    x, y = data
    assert model.evaluate(x.tolist(), y.tolist(), verbose=0) == pytest.approx(
        model.evaluate(x, y, verbose=0)
    )
    np.testing.assert_allclose(model.predict(x.tolist(), verbose=0), model.predict(x, verbose=0))
    assert np.isfinite(model.test_on_batch(x.tolist(), y.tolist())[0])
    assert np.isfinite(model.train_on_batch(x.tolist(), y.tolist())[0])


def test_a_list_of_arrays_is_several_inputs(data):
    x, y = data
    a, b = layers.Input((2,)), layers.Input((2,))
    out = layers.Dense(3, activation="softmax")(layers.Concatenate()([a, b]))
    model = lamina.Model([a, b], out)
    model.compile("sgd", "sparse_categorical_crossentropy")
    # each input may itself be a nested list of numbers
    history = model.fit([x[:, :2], x[:, 2:].tolist()], y, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_a_generator_may_yield_lists(data, model):
    x, y = data

    def batches():
        while True:
            for i in range(0, 40, 10):
                yield [x[i : i + 10], y[i : i + 10]]

    history = model.fit(batches(), steps_per_epoch=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert np.isfinite(model.evaluate(batches(), steps=2, verbose=0)[0])
    assert model.predict(([x[i : i + 10]] for i in range(0, 40, 10)), verbose=0).shape == (40, 3)
    assert unpack([x, y]) == (x, y, None)  # as Keras 3's unpack_x_y_sample_weight


def test_numpy_integers_for_counts(data, model):
    x, y = data
    history = model.fit(
        x,
        y,
        batch_size=np.int64(16),
        epochs=np.int32(2),
        steps_per_epoch=np.int64(2),
        validation_data=(x, y),
        validation_steps=np.int16(1),
        validation_batch_size=np.uint8(8),
        verbose=np.int64(0),
    )
    assert history.params == {"epochs": 2, "steps": 2, "verbose": 0, "mode": "fit"}
    assert isinstance(history.params["steps"], int)
    assert len(history.history["val_loss"]) == 2
    model.evaluate(x, y, batch_size=np.int64(8), steps=np.int64(1), verbose=False)
    assert model.predict(x, batch_size=np.int64(8), verbose=True).shape == (40, 3)


def test_class_weight_with_numpy_integer_keys(data, model):
    x, y = data
    history = model.fit(x, y, class_weight={np.int64(0): 1.0, np.int32(1): 2.0, 2: 1}, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_steps_per_epoch_beyond_the_arrays_stops_when_they_run_out(data, model):
    x, y = data
    seen = []

    class Count(lamina.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    with pytest.warns(UserWarning) as record:
        history = model.fit(
            x, y, batch_size=10, steps_per_epoch=6, epochs=2, verbose=0, callbacks=[Count()]
        )
    messages = [str(w.message) for w in record]
    assert messages == [
        "fit: steps_per_epoch=6 is more than the 4 batches of 10 that the 40 samples make; each "
        "pass stops when the arrays run out, after 4 batches (the arrays are not repeated). Leave "
        "steps_per_epoch unset to use all the data, or raise epochs to train longer."
    ]
    assert record[0].filename == __file__
    assert seen == [0, 1, 2, 3, 0, 1, 2, 3]
    assert history.params["steps"] == 4
    with pytest.warns(UserWarning, match=r"^evaluate: steps=9 is more than the 4 batches"):
        model.evaluate(x, y, batch_size=10, steps=9, verbose=0)
    with pytest.warns(UserWarning, match=r"^fit \(validation_data\): validation_steps=5 is more"):
        model.fit(x, y, batch_size=10, validation_data=(x, y), validation_steps=5, verbose=0)


def test_steps_per_epoch_within_the_arrays_is_quiet(data, model):
    x, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = model.fit(x, y, batch_size=10, steps_per_epoch=4, verbose=0)
    assert history.params["steps"] == 4


def test_verbose_accepts_booleans(data, model, capsys):
    x, y = data
    model.fit(x, y, epochs=1, verbose=False)
    assert capsys.readouterr().out == ""
    model.evaluate(x, y, verbose=True)
    assert "loss" in capsys.readouterr().out


def test_validation_data_without_targets_is_kept_when_no_loss_needs_them(data):
    x, y = data
    for given in ((x,), [x], x):
        got = split_validation_data(given, needs_targets=False)
        assert got[0] is x and got[1:] == (None, None)
    got = split_validation_data([x, y], needs_targets=True)
    assert got[0] is x and got[1] is y and got[2] is None
    with pytest.raises(ValueError, match="validation_data holds no targets"):
        split_validation_data(x, needs_targets=True)


def test_a_generator_that_runs_out_before_steps_per_epoch_warns_once(data, model):
    x, y = data

    class TwoBatches:  # re-iterable: each pass yields two batches
        def __iter__(self):
            yield x[:10], y[:10]
            yield x[10:20], y[10:20]

    batches = TwoBatches()
    with pytest.warns(UserWarning) as record:
        history = model.fit(batches, steps_per_epoch=3, epochs=2, verbose=0)
    assert [str(w.message) for w in record] == [
        "fit: the data ran out after 2 batches, fewer than steps_per_epoch=3; the pass ends "
        "there. Make the generator yield at least steps_per_epoch batches per pass (an endless "
        "generator for several epochs)."
    ]
    assert len(history.history["loss"]) == 2
    with pytest.warns(UserWarning, match=r"^evaluate: the data ran out after 2 batches"):
        model.evaluate(batches, steps=4, verbose=0)
