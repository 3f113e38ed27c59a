"""Metrics: accumulated values worked out by hand, sample weights, resets, names and configs."""

import math

import numpy as np
import pytest

from lamina import Tensor, losses, metrics, ops


def result(m):
    return float(m.result())


# ----- Mean, Sum, MeanMetricWrapper -------------------------------------------------------


def test_mean_accumulates_over_batches():
    m = metrics.Mean()
    m.update_state([1.0, 2.0])
    m.update_state(np.array([3.0, 6.0], dtype="float32"))
    assert result(m) == 3.0
    assert m.name == "mean"
    assert isinstance(m.result(), Tensor) and m.result().shape == ()


def test_mean_with_sample_weight():
    m = metrics.Mean()
    m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1.0, 1.0, 0.0, 0.0])
    assert result(m) == 2.0
    m.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[[2.0], [0.0]])
    # Per-sample means 2 and 6 with weights 2 and 0: total 4 + 4 = 8 over weight 2 + 2.
    assert result(m) == 2.0


def test_mean_of_rank_2_values_counts_samples():
    m = metrics.Mean()
    m.update_state([[1.0, 2.0], [3.0, 4.0]])
    assert (m.total, m.count) == (5.0, 2.0)
    m.update_state(10.0)
    assert result(m) == 5.0


def test_sum_and_reset():
    m = metrics.Sum()
    m.update_state([1.0, 3.0, 5.0])
    m.update_state([1.0, 1.0], sample_weight=[2.0, 0.0])
    assert result(m) == 11.0
    m.reset_state()
    assert result(m) == 0.0


def test_empty_mean_is_zero():
    assert result(metrics.Mean()) == 0.0


def test_metric_call_updates_and_returns():
    m = metrics.Mean()
    assert float(m([2.0, 4.0])) == 3.0


def test_mean_metric_wrapper_on_a_loss_and_on_tensors():
    m = metrics.MeanMetricWrapper(losses.mean_squared_error, name="mse")
    m.update_state(Tensor(np.array([[0.0, 1.0]], "float32")), Tensor(np.ones((1, 2), "float32")))
    m.update_state([[0.0, 0.0]], [[0.0, 0.0]])
    assert result(m) == 0.25
    assert m.name == "mse"


def test_state_round_trip():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0])
    other = metrics.Mean()
    other.set_state(m.get_state())
    assert result(other) == 2.0
    assert [float(v) for v in m.variables] == [6.0, 3.0]


# ----- accuracy -----------------------------------------------------------------------------


def test_accuracy():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert result(m) == 0.75
    m.reset_state()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert result(m) == 0.5


def test_binary_accuracy():
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert result(m) == 0.75
    m.reset_state()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    assert result(m) == 0.5
    m = metrics.BinaryAccuracy(threshold=0.7)
    m.update_state([1, 0], [[0.65], [0.2]])  # (batch,) labels against (batch, 1) scores
    assert result(m) == 0.5
    assert m.name == "binary_accuracy"


def test_binary_accuracy_threshold_is_strict():
    m = metrics.BinaryAccuracy()
    m.update_state([[1.0], [0.0]], [[0.5], [0.5]])
    assert result(m) == 0.5


def test_categorical_accuracy():
    m = metrics.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    assert result(m) == 0.5
    m.reset_state()
    m.update_state(
        [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3]
    )
    assert result(m) == pytest.approx(0.3)


def test_sparse_categorical_accuracy():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    assert result(m) == 0.5
    m.update_state(np.array([1.0, 1.0]), np.array([[0.1, 0.6, 0.3], [0.05, 0.95, 0]]))
    assert result(m) == 0.75
    m.reset_state()
    m.update_state([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert result(m) == pytest.approx(0.3)


def test_top_k_accuracies():
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]
    m = metrics.TopKCategoricalAccuracy(k=1)
    m.update_state([[0, 0, 1], [0, 1, 0]], y_pred)
    assert result(m) == 0.5
    m = metrics.TopKCategoricalAccuracy(k=2)
    m.update_state([[0, 0, 1], [0, 1, 0]], y_pred)
    assert result(m) == 1.0
    m = metrics.SparseTopKCategoricalAccuracy(k=1)
    m.update_state([2, 1], y_pred)
    assert result(m) == 0.5
    m = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    m.update_state([2, 1], [[1, 2, 0], [0, 2, 1]])
    assert result(m) == 0.5
    assert metrics.TopKCategoricalAccuracy().name == "top_k_categorical_accuracy"
    with pytest.raises(ValueError, match="k=0"):
        metrics.TopKCategoricalAccuracy(k=0)


def test_accuracy_on_a_large_batch_agrees_with_numpy():
    rng = np.random.default_rng(0)
    y_pred = rng.random((128, 10)).astype("float32")
    labels = rng.integers(0, 10, 128)
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(labels, Tensor(y_pred))
    assert result(m) == pytest.approx(np.mean(y_pred.argmax(-1) == labels))
    m = metrics.CategoricalAccuracy()
    m.update_state(np.eye(10, dtype="float32")[labels], y_pred)
    assert result(m) == pytest.approx(np.mean(y_pred.argmax(-1) == labels))


# ----- regression ---------------------------------------------------------------------------


def test_mean_squared_and_absolute_error():
    y_true, y_pred = [[0, 1], [0, 0]], [[1, 1], [0, 0]]
    m = metrics.MeanSquaredError()
    m.update_state(y_true, y_pred)
    assert result(m) == 0.25
    m = metrics.MeanAbsoluteError()
    m.update_state(y_true, y_pred, sample_weight=[1, 0])
    assert result(m) == 0.5
    assert m.name == "mean_absolute_error"


def test_root_mean_squared_error():
    m = metrics.RootMeanSquaredError()
    m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    assert result(m) == 0.5
    m.reset_state()
    m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
    assert result(m) == pytest.approx(math.sqrt(0.5))


def test_percentage_log_and_cosine_errors():
    m = metrics.MeanAbsolutePercentageError()
    m.update_state([[2.0, 4.0]], [[1.0, 5.0]])
    assert result(m) == pytest.approx(37.5)
    m = metrics.MeanSquaredLogarithmicError()
    m.update_state([[0.0]], [[math.e - 1]])
    assert result(m) == pytest.approx(1.0)
    m = metrics.CosineSimilarity()
    m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    assert result(m) == pytest.approx(0.5)
    m = metrics.LogCoshError()
    m.update_state([[0.0]], [[1.0]])
    assert result(m) == pytest.approx(math.log(math.cosh(1.0)))


# ----- losses as metrics --------------------------------------------------------------------


@pytest.mark.parametrize(
    "metric, fn, y_true, y_pred",
    [
        (metrics.BinaryCrossentropy(), losses.binary_crossentropy, [[0.0], [1.0]], [[0.2], [0.7]]),
        (
            metrics.CategoricalCrossentropy(),
            losses.categorical_crossentropy,
            [[0.0, 1.0], [1.0, 0.0]],
            [[0.3, 0.7], [0.6, 0.4]],
        ),
        (
            metrics.SparseCategoricalCrossentropy(),
            losses.sparse_categorical_crossentropy,
            [1, 0],
            [[0.3, 0.7], [0.6, 0.4]],
        ),
        (metrics.KLDivergence(), losses.kl_divergence, [[0.3, 0.7]], [[0.5, 0.5]]),
        (metrics.Poisson(), losses.poisson, [[1.0, 2.0]], [[1.5, 1.5]]),
        (metrics.Hinge(), losses.hinge, [[1.0, 0.0]], [[0.3, -0.2]]),
        (metrics.SquaredHinge(), losses.squared_hinge, [[1.0, 0.0]], [[0.3, -0.2]]),
        (metrics.CategoricalHinge(), losses.categorical_hinge, [[0.0, 1.0]], [[0.3, 0.5]]),
    ],
)
def test_losses_as_metrics(metric, fn, y_true, y_pred):
    metric.update_state(y_true, y_pred)
    expected = fn(np.asarray(y_true, "float32"), np.asarray(y_pred, "float32")).numpy().mean()
    assert result(metric) == pytest.approx(float(expected), rel=1e-6)


def test_every_loss_name_is_a_metric():
    for name in (
        "mse",
        "mae",
        "mape",
        "msle",
        "binary_crossentropy",
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "kld",
        "poisson",
        "hinge",
        "squared_hinge",
        "categorical_hinge",
        "logcosh",
        "cosine_similarity",
    ):
        m = metrics.get(name)
        assert isinstance(m, metrics.Metric) and m.name == name


def test_loss_object_as_metric():
    m = metrics.get(losses.Huber())
    m.update_state([[0.0, 0.0]], [[0.5, 3.0]])
    assert m.name == "huber_loss" and result(m) == pytest.approx(1.3125)


# ----- get / resolve_accuracy / configs -------------------------------------------------------


def test_get_names_metric_after_the_string():
    assert metrics.get("mae").name == "mae"
    assert isinstance(metrics.get("mae"), metrics.MeanAbsoluteError)
    assert metrics.get("MeanAbsoluteError").name == "mean_absolute_error"
    assert type(metrics.get("accuracy")) is metrics.Accuracy
    assert metrics.get("acc").name == "acc"
    m = metrics.Mean()
    assert metrics.get(m) is m
    assert isinstance(metrics.get(metrics.AUC), metrics.AUC)
    assert metrics.get(None) is None


def test_get_wraps_plain_functions():
    def my_error(y_true, y_pred):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred)).max(axis=-1)

    m = metrics.get(my_error)
    m.update_state([[0.0, 1.0]], [[0.5, 3.0]])
    assert m.name == "my_error" and result(m) == 2.0


def test_unknown_metric_lists_known_names():
    with pytest.raises(ValueError, match="Unknown metric 'acuracy'.*binary_accuracy"):
        metrics.get("acuracy")


@pytest.mark.parametrize(
    "loss, y_true_shape, y_pred_shape, expected",
    [
        ("binary_crossentropy", (32, 1), (32, 1), metrics.BinaryAccuracy),
        ("binary_crossentropy", (32, 5), (32, 5), metrics.BinaryAccuracy),
        ("mse", (32, 1), (32, 1), metrics.BinaryAccuracy),
        ("sparse_categorical_crossentropy", (32, 1), (32, 10), metrics.SparseCategoricalAccuracy),
        (
            losses.SparseCategoricalCrossentropy(from_logits=True),
            (32,),
            (32, 10),
            metrics.SparseCategoricalAccuracy,
        ),
        ("categorical_crossentropy", (32, 10), (32, 10), metrics.CategoricalAccuracy),
        (losses.categorical_crossentropy, (32, 10), (32, 10), metrics.CategoricalAccuracy),
        (None, (32,), (32, 10), metrics.SparseCategoricalAccuracy),
        (None, (32, 1), (32, 10), metrics.SparseCategoricalAccuracy),
        (losses.BinaryCrossentropy(from_logits=True), (32, 3), (32, 3), metrics.BinaryAccuracy),
    ],
)
def test_resolve_accuracy(loss, y_true_shape, y_pred_shape, expected):
    m = metrics.resolve_accuracy(loss, y_true_shape, y_pred_shape)
    assert type(m) is expected and m.name == "accuracy"


@pytest.mark.parametrize(
    "metric",
    [
        metrics.Mean(name="m"),
        metrics.BinaryAccuracy(threshold=0.3),
        metrics.SparseTopKCategoricalAccuracy(k=3),
        metrics.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics.MeanMetricWrapper(metrics.categorical_accuracy, name="ca"),
        metrics.RootMeanSquaredError(dtype="float64"),
    ],
)
def test_config_round_trip(metric):
    again = metrics.deserialize(metrics.serialize(metric))
    assert type(again) is type(metric)
    assert again.get_config() == metric.get_config()


def test_every_loss_is_a_metric_by_name_and_class():
    for name in (
        "huber",
        "binary_focal_crossentropy",
        "categorical_focal_crossentropy",
        "log_cosh",
        "kl_divergence",
    ):
        m = metrics.get(name)
        m.update_state([[0.0, 1.0]], [[0.3, 0.7]])
        assert m.name == name
        fn = losses.get(name)
        assert float(m.result()) == pytest.approx(float(fn([[0.0, 1.0]], [[0.3, 0.7]])[0]))
    m = metrics.get(losses.Huber)
    m.update_state([[0.0]], [[2.0]])
    assert m.name == "huber_loss" and float(m.result()) == pytest.approx(1.5)

    class Cube(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.mean((y_pred - y_true) ** 3, axis=-1)

    m = metrics.get(Cube(name="cube"))
    m.update_state([[0.0]], [[2.0]])
    assert m.name == "cube" and float(m.result()) == 8.0


def test_resolve_accuracy_follows_what_the_loss_takes_not_its_name():
    class Cube(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.mean((y_pred - y_true) ** 3, axis=-1)

    for name in ("sparse_categorical_crossentropy", "binary_crossentropy"):
        m = metrics.resolve_accuracy(Cube(name=name), (32, 10), (32, 10))
        assert type(m) is metrics.CategoricalAccuracy


def test_mean_metric_wrapper_from_logits():
    m = metrics.MeanMetricWrapper(losses.binary_crossentropy, from_logits=True)
    assert m.from_logits and m.fn_kwargs == {"from_logits": True}
    assert not metrics.MeanMetricWrapper(losses.binary_crossentropy).from_logits
