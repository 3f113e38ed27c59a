"""Models with several outputs: losses per output, loss_weights and per-output metric keys."""

import numpy as np
import pytest

import lamina
from lamina import layers


def two_headed():
    x = lamina.Input((4,), name="features")
    h = layers.Dense(8, activation="relu")(x)
    score = layers.Dense(1, name="score")(h)
    label = layers.Dense(3, activation="softmax", name="label")(h)
    return lamina.Model(x, [score, label])


@pytest.fixture
def targets(data):
    x, y = data
    return x, [x[:, :1] * 2, y]


@pytest.mark.parametrize("as_dict", [False, True], ids=["list", "dict"])
def test_loss_per_output_and_keys(targets, as_dict):
    x, ys = targets
    model = two_headed()
    loss = ["mse", "sparse_categorical_crossentropy"]
    metrics = [["mae"], ["accuracy"]]
    if as_dict:
        loss = {"label": loss[1], "score": loss[0]}
        metrics = {"score": "mae", "label": ["accuracy"]}
    model.compile("adam", loss=loss, metrics=metrics)
    history = model.fit(x, ys, epochs=2, validation_split=0.25, verbose=0).history
    assert list(history) == [
        "loss",
        "score_loss",
        "label_loss",
        "score_mae",
        "label_accuracy",
        "val_loss",
        "val_score_loss",
        "val_label_loss",
        "val_score_mae",
        "val_label_accuracy",
    ]
    for i in range(2):
        total = history["score_loss"][i] + history["label_loss"][i]
        assert history["loss"][i] == pytest.approx(total, rel=1e-5)
    assert history["score_mean_absolute_error"] is history["score_mae"]
    assert history["val_label_acc"] is history["val_label_accuracy"]


def test_targets_as_a_dict_by_output_name(targets):
    x, ys = targets
    model = two_headed()
    model.compile("sgd", loss=["mse", "sparse_categorical_crossentropy"])
    by_list = model.evaluate(x, ys, verbose=0)
    by_dict = model.evaluate(x, {"label": ys[1], "score": ys[0]}, verbose=0)
    assert by_list == pytest.approx(by_dict)
    with pytest.raises(ValueError, match=r"keys \['lable'\] name no output.*\['score', 'label'\]"):
        model.evaluate(x, {"lable": ys[1], "score": ys[0]}, verbose=0)


def test_loss_weights(targets):
    x, ys = targets
    model = two_headed()
    model.compile("sgd", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[0.5, 2.0])
    logs = model.evaluate(x, ys, return_dict=True, verbose=0)
    assert logs["loss"] == pytest.approx(
        0.5 * logs["score_loss"] + 2.0 * logs["label_loss"], rel=1e-5
    )
    model.compile(
        "sgd", loss=["mse", "sparse_categorical_crossentropy"], loss_weights={"label": 0.0}
    )
    logs = model.evaluate(x, ys, return_dict=True, verbose=0)
    assert logs["loss"] == pytest.approx(logs["score_loss"], rel=1e-6)


def test_one_loss_for_every_output_and_shared_metrics():
    x = lamina.Input((3,))
    model = lamina.Model(x, [layers.Dense(2, name="a")(x), layers.Dense(2, name="b")(x)])
    model.compile("sgd", loss="mse", metrics=["mae"])
    data = np.ones((6, 3))
    logs = model.evaluate(data, [np.zeros((6, 2)), np.ones((6, 2))], return_dict=True, verbose=0)
    assert list(logs) == ["loss", "a_loss", "b_loss", "a_mae", "b_mae"]


def test_compile_errors_name_the_outputs():
    model = two_headed()
    with pytest.raises(ValueError, match=r"2 outputs \['score', 'label'\].*Received: 1 losses"):
        model.compile("sgd", loss=["mse"])
    with pytest.raises(ValueError, match=r"names outputs \['scor'\].*outputs are \['score', "):
        model.compile("sgd", loss={"scor": "mse", "label": "mse"})


def test_targets_checked_per_output(targets):
    x, ys = targets
    model = two_headed()
    model.compile("sgd", loss=["mse", "sparse_categorical_crossentropy"])
    bad = ys[1].copy()
    bad[5] = 7
    with pytest.raises(ValueError, match=r"y for output 'label' must hold class ids in \[0, 3\)"):
        model.fit(x, [ys[0], bad], verbose=0)
