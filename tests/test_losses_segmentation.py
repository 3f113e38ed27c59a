"""Dice, Tversky and generalized cross-entropy against hand-worked values and gradients."""

import numpy as np
import pytest

from lamina import losses
from lamina.testing.gradcheck import check_gradients

Y_TRUE = [[1.0, 1.0, 0.0, 0.0]]
Y_PRED = [[0.9, 0.5, 0.2, 0.0]]
# tp = 0.9 + 0.5 = 1.4; mass of the true mask missed = 0.1 + 0.5 = 0.6;
# mass predicted outside it = 0.2; sums: 2 and 1.6.


def test_dice_hand_value():
    assert float(losses.dice(Y_TRUE, Y_PRED)) == pytest.approx(1 - 2.8 / 3.6)
    assert float(losses.Dice()(Y_TRUE, Y_PRED)) == pytest.approx(1 - 2.8 / 3.6)
    assert float(losses.dice(Y_TRUE, Y_TRUE)) == pytest.approx(0.0, abs=1e-6)


def test_dice_per_sample_with_an_axis():
    y_true = [[1.0, 0.0], [1.0, 1.0]]
    y_pred = [[1.0, 1.0], [0.5, 0.5]]
    # Row 1: 2 * 1 / (1 + 2) -> 1/3 loss; row 2: 2 * 1 / (2 + 1) -> 1/3 loss.
    np.testing.assert_allclose(losses.dice(y_true, y_pred, axis=-1).numpy(), [1 / 3, 1 / 3])
    loss = losses.Dice(axis=-1)
    assert float(loss(y_true, y_pred, sample_weight=[1.0, 0.0])) == pytest.approx(1 / 6)
    assert float(losses.Dice(axis=-1, reduction="sum")(y_true, y_pred)) == pytest.approx(2 / 3)


def test_tversky_hand_values():
    # alpha weighs the missed mass (0.6), beta the mass outside the mask (0.2).
    got = float(losses.tversky(Y_TRUE, Y_PRED, alpha=0.7, beta=0.3))
    assert got == pytest.approx(1 - 1.4 / (1.4 + 0.7 * 0.6 + 0.3 * 0.2))
    got = float(losses.Tversky(alpha=0.0, beta=1.0)(Y_TRUE, Y_PRED))
    assert got == pytest.approx(1 - 1.4 / 1.6)
    # alpha = beta = 0.5 is the Dice loss.
    assert float(losses.tversky(Y_TRUE, Y_PRED)) == pytest.approx(
        float(losses.dice(Y_TRUE, Y_PRED))
    )


def test_generalized_cross_entropy_hand_values():
    y_pred = [[0.25, 0.75], [0.36, 0.64]]
    # p = 0.25 and 0.64; (1 - sqrt(p)) / 0.5 = 1.0 and 0.4.
    got = losses.categorical_generalized_cross_entropy([0, 1], y_pred, q=0.5).numpy()
    np.testing.assert_allclose(got, [1.0, 0.4], rtol=1e-6)
    assert float(losses.CategoricalGeneralizedCrossEntropy()([[0], [1]], y_pred)) == (
        pytest.approx(0.7)
    )
    # q close to 0 approaches cross-entropy; q = 0.999 approaches 1 - p.
    near_ce = losses.categorical_generalized_cross_entropy([1], [[0.5, 0.5]], q=1e-4)
    assert float(near_ce[0]) == pytest.approx(np.log(2), rel=1e-3)
    near_mae = losses.categorical_generalized_cross_entropy([1], [[0.5, 0.5]], q=0.999)
    assert float(near_mae[0]) == pytest.approx(0.5, rel=1e-3)


def test_arguments_raise():
    with pytest.raises(ValueError, match="q"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match="class ids"):
        losses.categorical_generalized_cross_entropy([2], [[0.5, 0.5]])
    with pytest.raises(ValueError, match="alpha"):
        losses.Tversky(alpha=-1.0)


@pytest.mark.parametrize(
    "fn",
    [
        lambda t, p: losses.dice(t, p),
        lambda t, p: losses.dice(t, p, axis=-1),
        lambda t, p: losses.tversky(t, p, alpha=0.7, beta=0.3),
    ],
    ids=["dice", "dice_axis", "tversky"],
)
def test_overlap_losses_gradients(fn):
    rng = np.random.default_rng(0)
    y_true = (rng.random((3, 5)) > 0.5).astype("float64")
    y_pred = rng.uniform(0.1, 0.9, (3, 5))
    check_gradients(lambda p: fn(y_true, p), [y_pred])


def test_generalized_cross_entropy_gradient():
    rng = np.random.default_rng(1)
    y_pred = rng.uniform(0.1, 0.9, (4, 3))
    check_gradients(
        lambda p: losses.categorical_generalized_cross_entropy([0, 2, 1, 1], p, q=0.7), [y_pred]
    )


@pytest.mark.parametrize(
    "loss",
    [
        losses.Dice(axis=-1, name="d"),
        losses.Tversky(alpha=0.2, beta=0.8),
        losses.CategoricalGeneralizedCrossEntropy(q=0.3, reduction="sum"),
    ],
    ids=lambda x: x.name,
)
def test_config_round_trip(loss):
    again = losses.deserialize(losses.serialize(loss))
    assert type(again) is type(loss)
    assert again.get_config() == loss.get_config()


def test_names_resolve():
    assert losses.get("dice") is losses.dice
    assert isinstance(losses.get("Tversky"), losses.Tversky)
    assert isinstance(
        losses.to_loss("categorical_generalized_cross_entropy"),
        (losses.CategoricalGeneralizedCrossEntropy),
    )
