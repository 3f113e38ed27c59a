"""Losses: values from the published formulas, reductions, sample weights, gradients, configs."""

import math

import numpy as np
import pytest

from lamina import GradientTape, Variable, losses, ops
from lamina.testing import check_gradients

EPS = 1e-7


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ----- reference implementations in NumPy (float64) ---------------------------------------


def ref_cce(y, p, from_logits=False, ls=0.0):
    y = y * (1 - ls) + ls / y.shape[-1]
    if from_logits:
        logp = x_logsoftmax(p)
    else:
        p = p / p.sum(-1, keepdims=True)
        logp = np.log(np.clip(p, EPS, 1 - EPS))
    return -(y * logp).sum(-1)


def x_logsoftmax(x):
    s = x - x.max(-1, keepdims=True)
    return s - np.log(np.exp(s).sum(-1, keepdims=True))


def ref_bce(y, p, from_logits=False, ls=0.0):
    y = y * (1 - ls) + 0.5 * ls
    if from_logits:
        p = 1 / (1 + np.exp(-p))
    p = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(-1)


RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4))
PROBS = np_softmax(LOGITS)
ONE_HOT = np.eye(4)[[0, 1, 2, 3, 1, 0]]
SPARSE = np.array([0, 1, 2, 3, 1, 0])
BIN_TRUE = (RNG.random((6, 3)) > 0.5).astype("float64")
BIN_PROB = RNG.random((6, 3)) * 0.98 + 0.01


# ----- the priority losses ----------------------------------------------------------------


def test_categorical_crossentropy_hand_value():
    out = losses.categorical_crossentropy([[0.0, 1.0, 0.0]], [[0.2, 0.5, 0.3]])
    np.testing.assert_allclose(out.numpy(), [-math.log(0.5)], rtol=1e-6)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.1])
def test_categorical_crossentropy_matches_formula(from_logits, ls):
    y_pred = LOGITS if from_logits else PROBS
    out = losses.categorical_crossentropy(
        ONE_HOT, y_pred, from_logits=from_logits, label_smoothing=ls
    )
    np.testing.assert_allclose(out.numpy(), ref_cce(ONE_HOT, y_pred, from_logits, ls), rtol=1e-6)


def test_categorical_crossentropy_renormalizes_and_clips():
    # Unnormalized probabilities are divided by their sum; zeros are clipped to epsilon.
    out = losses.categorical_crossentropy([[1.0, 0.0]], [[0.0, 2.0]])
    np.testing.assert_allclose(out.numpy(), [-math.log(EPS)], rtol=1e-4)


def test_categorical_crossentropy_logits_stay_finite():
    out = losses.categorical_crossentropy([[1.0, 0.0]], [[1000.0, -1000.0]], from_logits=True)
    np.testing.assert_allclose(out.numpy(), [0.0], atol=1e-6)
    out = losses.categorical_crossentropy([[0.0, 1.0]], [[1000.0, -1000.0]], from_logits=True)
    np.testing.assert_allclose(out.numpy(), [2000.0], rtol=1e-6)


def test_categorical_crossentropy_other_axis():
    out = losses.categorical_crossentropy(ONE_HOT.T, PROBS.T, axis=0)
    np.testing.assert_allclose(out.numpy(), ref_cce(ONE_HOT, PROBS), rtol=1e-6)


def test_categorical_crossentropy_shape_mismatch_raises():
    with pytest.raises(ValueError, match="same shape"):
        losses.categorical_crossentropy(np.zeros((2, 3)), np.ones((2, 4)) / 4)


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_matches_dense(from_logits):
    y_pred = LOGITS if from_logits else PROBS
    sparse = losses.sparse_categorical_crossentropy(SPARSE, y_pred, from_logits=from_logits)
    dense = losses.categorical_crossentropy(ONE_HOT, y_pred, from_logits=from_logits)
    np.testing.assert_allclose(sparse.numpy(), dense.numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "labels", [SPARSE[:, None], SPARSE.astype("float32"), SPARSE.astype("uint8")]
)
def test_sparse_accepts_trailing_axis_and_any_numeric_dtype(labels):
    out = losses.sparse_categorical_crossentropy(labels, PROBS)
    np.testing.assert_allclose(out.numpy(), ref_cce(ONE_HOT, PROBS), rtol=1e-6)


def test_sparse_bad_labels_raise():
    with pytest.raises(ValueError, match="class ids must lie in"):
        losses.sparse_categorical_crossentropy([4], [[0.25, 0.25, 0.25, 0.25]])
    with pytest.raises(ValueError, match="one class id per sample"):
        losses.sparse_categorical_crossentropy([[0, 1]], [[0.5, 0.5]])


def test_sparse_ignore_class():
    labels = np.array([0, -1, 1])
    probs = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]])
    per_sample = losses.sparse_categorical_crossentropy(labels, probs, ignore_class=-1)
    np.testing.assert_allclose(per_sample.numpy(), [-math.log(0.5), 0.0, -math.log(0.8)], rtol=1e-6)
    # The class form averages over the two valid samples only.
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)(labels, probs)
    np.testing.assert_allclose(float(loss), (-math.log(0.5) - math.log(0.8)) / 2, rtol=1e-5)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_binary_crossentropy_matches_formula(from_logits, ls):
    y_pred = np.log(BIN_PROB / (1 - BIN_PROB)) if from_logits else BIN_PROB
    out = losses.binary_crossentropy(BIN_TRUE, y_pred, from_logits=from_logits, label_smoothing=ls)
    np.testing.assert_allclose(out.numpy(), ref_bce(BIN_TRUE, BIN_PROB, False, ls), rtol=1e-6)


def test_binary_crossentropy_logits_exact_for_large_inputs():
    out = losses.binary_crossentropy([[0.0, 1.0]], [[100.0, -100.0]], from_logits=True)
    np.testing.assert_allclose(out.numpy(), [100.0], rtol=1e-6)


def test_binary_crossentropy_clips_probabilities():
    out = losses.binary_crossentropy([[1.0]], [[0.0]])
    np.testing.assert_allclose(out.numpy(), [-math.log(EPS)], rtol=1e-3)


def test_mse_mae_hand_values():
    y_true = [[0.0, 1.0], [0.0, 0.0]]
    y_pred = [[1.0, 1.0], [1.0, 0.0]]
    np.testing.assert_allclose(losses.mean_squared_error(y_true, y_pred).numpy(), [0.5, 0.5])
    np.testing.assert_allclose(losses.mae([[1.0, 2.0]], [[0.0, 4.0]]).numpy(), [1.5])
    assert losses.mse is losses.mean_squared_error and losses.MAE is losses.mean_absolute_error


def test_integer_labels_are_cast_to_prediction_dtype():
    out = losses.mean_squared_error(
        np.array([[1, 2]], dtype="int64"), np.array([[1.0, 1.0]], dtype="float32")
    )
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [0.5])


# ----- the Loss classes: reductions and sample weights ------------------------------------


def test_default_reduction_is_sum_over_batch_size():
    loss = losses.MeanSquaredError()
    value = loss([[0.0], [0.0], [0.0]], [[1.0], [2.0], [3.0]])
    assert value.shape == ()
    np.testing.assert_allclose(float(value), (1 + 4 + 9) / 3, rtol=1e-6)


@pytest.mark.parametrize(
    "reduction, expected",
    [
        ("sum_over_batch_size", (1 * 1 + 4 * 0 + 9 * 2) / 3),
        ("mean", (1 * 1 + 4 * 0 + 9 * 2) / 3),
        ("sum", 1 * 1 + 4 * 0 + 9 * 2),
        ("mean_with_sample_weight", (1 * 1 + 4 * 0 + 9 * 2) / 3),
        ("none", [1.0, 0.0, 18.0]),
        (None, [1.0, 0.0, 18.0]),
    ],
)
def test_reductions_with_sample_weight(reduction, expected):
    loss = losses.MeanSquaredError(reduction=reduction)
    value = loss([[0.0], [0.0], [0.0]], [[1.0], [2.0], [3.0]], sample_weight=[1.0, 0.0, 2.0])
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-6)


def test_mean_with_sample_weight_divides_by_weight_sum():
    loss = losses.MeanAbsoluteError(reduction="mean_with_sample_weight")
    value = loss([[0.0], [0.0]], [[1.0], [3.0]], sample_weight=[1.0, 3.0])
    np.testing.assert_allclose(float(value), (1 + 9) / 4, rtol=1e-6)


def test_rank_1_labels_against_column_predictions():
    # (batch,) labels against (batch, 1) predictions are expanded, not broadcast to (b, b).
    value = losses.MeanSquaredError()(np.array([0.0, 1.0]), np.array([[1.0], [1.0]], "float32"))
    np.testing.assert_allclose(float(value), 0.5)
    value = losses.BinaryCrossentropy()(np.array([0, 1]), np.array([[0.5], [0.5]], "float32"))
    np.testing.assert_allclose(float(value), math.log(2), rtol=1e-6)


def test_invalid_reduction_and_arguments_raise():
    with pytest.raises(ValueError, match="reduction='avg'"):
        losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing=1.5"):
        losses.CategoricalCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="delta=-1"):
        losses.Huber(delta=-1)


@pytest.mark.parametrize(
    "cls, fn, kwargs, y_true, y_pred",
    [
        (
            losses.CategoricalCrossentropy,
            losses.categorical_crossentropy,
            {"from_logits": True},
            ONE_HOT,
            LOGITS,
        ),
        (
            losses.SparseCategoricalCrossentropy,
            losses.sparse_categorical_crossentropy,
            {"from_logits": True},
            SPARSE,
            LOGITS,
        ),
        (losses.BinaryCrossentropy, losses.binary_crossentropy, {}, BIN_TRUE, BIN_PROB),
        (losses.MeanSquaredError, losses.mean_squared_error, {}, BIN_TRUE, BIN_PROB),
        (losses.MeanAbsoluteError, losses.mean_absolute_error, {}, BIN_TRUE, BIN_PROB),
    ],
)
def test_class_is_mean_of_function(cls, fn, kwargs, y_true, y_pred):
    value = cls(**kwargs)(y_true, y_pred)
    np.testing.assert_allclose(float(value), fn(y_true, y_pred, **kwargs).numpy().mean(), rtol=1e-6)


def test_loss_keeps_float64_predictions_and_float32_by_default():
    assert losses.CategoricalCrossentropy()(ONE_HOT, PROBS).dtype == np.float64
    assert losses.CategoricalCrossentropy()(ONE_HOT, PROBS.astype("float32")).dtype == np.float32
    assert losses.MeanSquaredError(dtype="float32")(BIN_TRUE, BIN_PROB).dtype == np.float32


# ----- gradients --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn",
    [
        lambda t, p: losses.categorical_crossentropy(t, ops.softmax(p)),
        lambda t, p: losses.categorical_crossentropy(t, p, from_logits=True, label_smoothing=0.1),
        lambda t, p: losses.binary_crossentropy(t, ops.sigmoid(p)),
        lambda t, p: losses.binary_crossentropy(t, p, from_logits=True),
        lambda t, p: losses.mean_squared_error(t, p),
        lambda t, p: losses.mean_absolute_error(t, p + 0.3),
        lambda t, p: losses.huber(t, p * 2.0),
        lambda t, p: losses.log_cosh(t, p),
        lambda t, p: losses.cosine_similarity(t + 0.5, p),
        lambda t, p: losses.binary_focal_crossentropy(t, p, from_logits=True),
        lambda t, p: losses.categorical_focal_crossentropy(t, p, from_logits=True),
        lambda t, p: losses.poisson(t, ops.exp(p)),
        lambda t, p: losses.kl_divergence(ops.softmax(t), ops.softmax(p)),
        lambda t, p: losses.squared_hinge(t, p),
    ],
)
def test_gradients_match_finite_differences(fn):
    y_true = np.eye(3)[[0, 2, 1, 1]]
    y_pred = np.random.default_rng(1).standard_normal((4, 3)) * 0.7
    check_gradients(fn, [y_true, y_pred], wrt=[1])


def test_sparse_gradient_matches_finite_differences():
    labels = np.array([0, 2, 1, 1])
    y_pred = np.random.default_rng(2).standard_normal((4, 3))
    check_gradients(
        lambda p: losses.sparse_categorical_crossentropy(labels, p, from_logits=True), [y_pred]
    )


def test_cce_gradient_from_logits_is_softmax_minus_labels():
    logits = Variable(LOGITS.astype("float32"))
    with GradientTape() as tape:
        loss = losses.CategoricalCrossentropy(from_logits=True)(ONE_HOT, logits)
    grad = tape.gradient(loss, logits).numpy()
    np.testing.assert_allclose(grad, (np_softmax(LOGITS) - ONE_HOT) / 6, atol=1e-6)


# ----- the rest of the list ---------------------------------------------------------------


def test_regression_losses_hand_values():
    np.testing.assert_allclose(losses.mape([[2.0, 4.0]], [[1.0, 5.0]]).numpy(), [37.5])
    msle = losses.msle([[0.0]], [[math.e - 1]]).numpy()
    np.testing.assert_allclose(msle, [1.0], rtol=1e-6)
    # Huber with delta 1: 0.5 * 0.5^2 = 0.125 and 1 * 3 - 0.5 = 2.5; mean 1.3125.
    np.testing.assert_allclose(losses.huber([[0.0, 0.0]], [[0.5, 3.0]]).numpy(), [1.3125])
    np.testing.assert_allclose(losses.huber([[0.0]], [[3.0]], delta=2.0).numpy(), [4.0])
    np.testing.assert_allclose(
        losses.log_cosh([[0.0, 0.0]], [[1.0, -30.0]]).numpy(),
        [(math.log(math.cosh(1.0)) + 30 - math.log(2)) / 2],
        rtol=1e-6,
    )
    np.testing.assert_allclose(
        losses.cosine_similarity([[1.0, 1.0]], [[-2.0, -2.0]]).numpy(), [1.0], rtol=1e-6
    )


def test_probabilistic_losses_hand_values():
    t = np.array([[0.2, 0.8]])
    p = np.array([[0.5, 0.5]])
    np.testing.assert_allclose(
        losses.kld(t, p).numpy(), [0.2 * math.log(0.4) + 0.8 * math.log(1.6)], rtol=1e-6
    )
    assert losses.KLD is losses.kl_divergence
    np.testing.assert_allclose(
        losses.poisson([[2.0]], [[3.0]]).numpy(), [3.0 - 2.0 * math.log(3.0 + EPS)], rtol=1e-6
    )


def test_focal_losses_hand_values():
    # p_t = 0.8 -> (0.2)^2 * -log(0.8)
    out = losses.binary_focal_crossentropy([[1.0, 0.0]], [[0.8, 0.2]], gamma=2.0)
    np.testing.assert_allclose(out.numpy(), [0.04 * -math.log(0.8)], rtol=1e-5)
    balanced = losses.binary_focal_crossentropy(
        [[1.0, 0.0]], [[0.8, 0.2]], apply_class_balancing=True, alpha=0.25
    )
    np.testing.assert_allclose(
        balanced.numpy(), [0.04 * -math.log(0.8) * (0.25 + 0.75) / 2], rtol=1e-5
    )
    # gamma 0 reduces to the plain cross-entropy.
    np.testing.assert_allclose(
        losses.binary_focal_crossentropy(BIN_TRUE, BIN_PROB, gamma=0.0).numpy(),
        ref_bce(BIN_TRUE, BIN_PROB),
        rtol=1e-6,
    )
    cfce = losses.categorical_focal_crossentropy([[0.0, 1.0]], [[0.4, 0.6]], alpha=0.25)
    np.testing.assert_allclose(cfce.numpy(), [0.25 * 0.4**2 * -math.log(0.6)], rtol=1e-5)


def test_hinge_losses_hand_values():
    # Labels {0, 1} become {-1, 1}.
    np.testing.assert_allclose(losses.hinge([[1.0, 0.0]], [[0.3, -0.2]]).numpy(), [0.75])
    np.testing.assert_allclose(losses.hinge([[1.0, -1.0]], [[0.3, -0.2]]).numpy(), [0.75])
    np.testing.assert_allclose(
        losses.squared_hinge([[1.0, 0.0]], [[0.3, -0.2]]).numpy(), [(0.49 + 0.64) / 2], rtol=1e-6
    )
    np.testing.assert_allclose(
        losses.categorical_hinge([[0.0, 1.0, 0.0]], [[0.5, 0.3, 0.1]]).numpy(), [1.2], rtol=1e-6
    )


def test_all_classes_have_keras_names():
    expected = {
        losses.MeanSquaredError: "mean_squared_error",
        losses.MeanAbsoluteError: "mean_absolute_error",
        losses.MeanAbsolutePercentageError: "mean_absolute_percentage_error",
        losses.MeanSquaredLogarithmicError: "mean_squared_logarithmic_error",
        losses.CategoricalCrossentropy: "categorical_crossentropy",
        losses.SparseCategoricalCrossentropy: "sparse_categorical_crossentropy",
        losses.BinaryCrossentropy: "binary_crossentropy",
        losses.BinaryFocalCrossentropy: "binary_focal_crossentropy",
        losses.CategoricalFocalCrossentropy: "categorical_focal_crossentropy",
        losses.KLDivergence: "kl_divergence",
        losses.Poisson: "poisson",
        losses.Huber: "huber_loss",
        losses.LogCosh: "log_cosh",
        losses.CosineSimilarity: "cosine_similarity",
        losses.Hinge: "hinge",
        losses.SquaredHinge: "squared_hinge",
        losses.CategoricalHinge: "categorical_hinge",
    }
    for cls, name in expected.items():
        assert cls().name == name


# ----- get / serialize / deserialize ------------------------------------------------------


def test_get_by_name_class_and_config():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    obj = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert obj.get_config()["from_logits"] is True
    assert losses.get(None) is None


def test_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="Unknown loss 'msee'.*mean_squared_error"):
        losses.get("msee")


def test_to_loss_names_after_the_string():
    loss = losses.to_loss("mse")
    assert isinstance(loss, losses.MeanSquaredError) and loss.name == "mse"
    assert isinstance(losses.to_loss(losses.binary_crossentropy), losses.BinaryCrossentropy)
    custom = losses.to_loss(lambda t, p: ops.mean(p - t, axis=-1))
    assert isinstance(custom, losses.LossFunctionWrapper)


@pytest.mark.parametrize(
    "loss",
    [
        losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        losses.SparseCategoricalCrossentropy(ignore_class=3, reduction="sum"),
        losses.BinaryFocalCrossentropy(gamma=3.0, apply_class_balancing=True),
        losses.Huber(delta=2.0, name="h"),
        losses.CosineSimilarity(axis=0),
        losses.LossFunctionWrapper(losses.mean_absolute_error, name="m"),
    ],
)
def test_config_round_trip(loss):
    again = losses.deserialize(losses.serialize(loss))
    assert type(again) is type(loss)
    assert again.get_config() == loss.get_config()
    y_true, y_pred = np.eye(4)[[0, 1, 3]], np_softmax(LOGITS[:3])
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        y_true = np.array([0, 1, 3])
    np.testing.assert_allclose(again(y_true, y_pred).numpy(), loss(y_true, y_pred).numpy())


def test_serialize_function_gives_its_name():
    assert losses.serialize(losses.mse) == "mean_squared_error"
    assert losses.deserialize("mae") is losses.mean_absolute_error


def test_functions_reconcile_rank_1_labels_with_column_predictions():
    out = losses.mean_squared_error(np.array([0.0, 1.0]), np.array([[1.0], [1.0]]))
    np.testing.assert_allclose(out.numpy(), [1.0, 0.0])
    out = losses.binary_crossentropy(np.array([0, 1]), np.array([[0.5], [0.5]]))
    np.testing.assert_allclose(out.numpy(), [math.log(2)] * 2, rtol=1e-6)
    assert losses.hinge(np.array([1.0, 0.0]), np.array([[0.5], [-0.5]])).shape == (2,)


ELEMENTWISE_LOSSES = [
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "huber",
    "log_cosh",
    "cosine_similarity",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "poisson",
    "kl_divergence",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "dice",
    "tversky",
]


@pytest.mark.parametrize("name", ELEMENTWISE_LOSSES)
def test_targets_that_only_broadcast_to_the_output_are_refused(name):
    fn = getattr(losses, name)
    y_true = np.full((8, 2), 0.5, dtype=np.float32)
    y_pred = np.full((8, 1), 0.25, dtype=np.float32)
    match = rf"^{name}: `y_true` and `y_pred` must have the same shape.*"
    match += r"Received: y_true.shape=\(8, 2\), y_pred.shape=\(8, 1\)"
    with pytest.raises(ValueError, match=match):
        fn(y_true, y_pred)
    with pytest.raises(ValueError, match=rf"^{name}: "):
        losses.LossFunctionWrapper(fn)(y_pred, y_true)  # through a Loss, sides swapped


@pytest.mark.parametrize("name", ELEMENTWISE_LOSSES)
def test_a_trailing_axis_of_length_one_is_still_reconciled(name):
    loss = losses.LossFunctionWrapper(getattr(losses, name))
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype=np.float32)
    p = np.array([0.2, 0.7, 0.9, 0.4], dtype=np.float32)
    want = float(loss(y[:, None], p[:, None]))
    np.testing.assert_allclose(float(loss(y, p[:, None])), want, rtol=1e-6)
    np.testing.assert_allclose(float(loss(y[:, None], p)), want, rtol=1e-6)


def test_fit_with_targets_wider_than_a_dense_1_output_names_the_loss_and_shapes():
    import lamina

    model = lamina.Sequential([lamina.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 3), dtype=np.float32)
    y = np.ones((4, 2), dtype=np.float32)
    with pytest.raises(ValueError, match=r"mean_squared_error: .*\(4, 2\).*\(4, 1\)"):
        model.fit(x, y, epochs=1, verbose=0)


# ----- label_type ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss, expected",
    [
        ("sparse_categorical_crossentropy", "class_ids"),
        (losses.sparse_categorical_crossentropy, "class_ids"),
        (losses.LossFunctionWrapper(losses.sparse_categorical_crossentropy), "class_ids"),
        (losses.SparseCategoricalCrossentropy(from_logits=True), "class_ids"),
        (losses.CategoricalGeneralizedCrossEntropy(), "class_ids"),
        ("categorical_crossentropy", "one_hot"),
        (losses.CategoricalHinge, "one_hot"),
        ("bce", "binary"),
        (losses.BinaryFocalCrossentropy(), "binary"),
        ("mse", None),
        (losses.LossFunctionWrapper(losses.mean_squared_error, name="sparse_mse"), None),
    ],
)
def test_label_type_of_follows_the_loss_not_its_name(loss, expected):
    assert losses.label_type_of(loss) == expected


def test_a_user_function_named_sparse_takes_no_class_ids():
    def my_sparse_thing(y_true, y_pred):
        return losses.mean_squared_error(y_true, y_pred)

    assert losses.label_type_of(my_sparse_thing) is None
    assert losses.label_type_of(losses.LossFunctionWrapper(my_sparse_thing)) is None


def test_from_logits_is_a_public_attribute():
    assert losses.CategoricalCrossentropy(from_logits=True).from_logits
    assert not losses.MeanSquaredError().from_logits
    wrapper = losses.LossFunctionWrapper(losses.categorical_crossentropy, from_logits=True)
    assert wrapper.from_logits and wrapper.fn_kwargs == {"from_logits": True}
