"""run_layer_test passes sound layers and names the check a broken layer fails."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.testing.layer_test import LayerTestError, run_layer_test


class Scale(lamina.layers.Layer):
    """A sound layer: one weight per feature."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w


class WrongGradient(Scale):
    """Forward doubles `x * w`, but the gradient only sees one copy."""

    def call(self, x):
        y = x * self.w
        return y + lamina.stop_gradient(y)


class WrongWeightGradient(Scale):
    """The input gradient is right (2w); the weight's misses half (x instead of 2x)."""

    def call(self, x):
        return x * self.w + x * lamina.stop_gradient(self.w)


class DeadWeight(Scale):
    """Its weight never reaches the output."""

    def call(self, x):
        return x * lamina.stop_gradient(self.w)


class WrongShape(Scale):
    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 99)


class LosesArgument(lamina.layers.Layer):
    """get_config forgets `factor`, so the clone computes something else."""

    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor


class NotJsonSafe(LosesArgument):
    def get_config(self):
        return {**super().get_config(), "factor": np.float32(self.factor), "junk": object()}


class Float32Only(Scale):
    """Ignores its dtype: always computes in float32."""

    def call(self, x):
        return ops.cast(x, "float32") * ops.cast(self.w, "float32")


def test_sound_layer_passes_and_is_returned_built():
    layer = run_layer_test(
        Scale,
        {},
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=1,
        expected_num_non_trainable_weights=0,
    )
    assert layer.built and layer.weights[0].shape == (3,)


def test_expected_output_values_are_compared():
    x = np.arange(6, dtype="float32").reshape(2, 3)
    run_layer_test(Scale, input_data=x, expected_output=x)
    with pytest.raises(LayerTestError, match="differs from expected_output"):
        run_layer_test(Scale, input_data=x, expected_output=x + 1)


def test_wrong_gradient_is_caught():
    with pytest.raises(LayerTestError, match="gradient check: with respect to the inputs"):
        run_layer_test(WrongGradient, {}, input_shape=(2, 3))
    with pytest.raises(LayerTestError, match="gradient of weight '.*/w'.*disagrees"):
        run_layer_test(WrongWeightGradient, {}, input_shape=(2, 3))


def test_weight_without_gradient_is_caught():
    with pytest.raises(LayerTestError, match="gets no gradient"):
        run_layer_test(DeadWeight, {}, input_shape=(2, 3), run_gradient_check=False)


def test_wrong_weight_count_is_reported_with_names():
    with pytest.raises(LayerTestError, match=r"expected 2 trainable weights, found 1: \['.*/w'\]"):
        run_layer_test(Scale, {}, input_shape=(2, 3), expected_num_trainable_weights=2)
    with pytest.raises(LayerTestError, match="expected 1 non-trainable weights, found 0"):
        run_layer_test(Scale, {}, input_shape=(2, 3), expected_num_non_trainable_weights=1)


def test_wrong_output_shape_and_dtype_are_reported():
    with pytest.raises(LayerTestError, match=r"expected output shape \(2, 4\), got \(2, 3\)"):
        run_layer_test(Scale, {}, input_shape=(2, 3), expected_output_shape=(2, 4))
    with pytest.raises(LayerTestError, match="expected output dtype float64, got float32"):
        run_layer_test(Scale, {}, input_shape=(2, 3), expected_output_dtype="float64")


def test_wrong_compute_output_shape_is_caught():
    with pytest.raises(LayerTestError, match="compute_output_shape"):
        run_layer_test(WrongShape, {}, input_shape=(2, 3))


def test_config_round_trip_is_checked():
    with pytest.raises(LayerTestError, match="config round trip.*different outputs"):
        run_layer_test(LosesArgument, {"factor": 3.0}, input_shape=(2, 3))
    with pytest.raises(LayerTestError, match="not JSON-safe"):
        run_layer_test(NotJsonSafe, {"factor": 3.0}, input_shape=(2, 3))


def test_layer_ignoring_its_dtype_fails_the_float64_check():
    with pytest.raises(LayerTestError, match="float64 layer returned float32"):
        run_layer_test(Float32Only, {}, input_shape=(2, 3))


def test_list_inputs_and_missing_shape():
    run_layer_test(
        lamina.layers.Add, {}, input_shape=[(2, 3), (2, 3)], expected_output_shape=(2, 3)
    )
    with pytest.raises(ValueError, match="needs input_shape or input_data"):
        run_layer_test(Scale, {})


def test_message_names_class_and_arguments():
    with pytest.raises(LayerTestError, match=r"^LosesArgument\(factor=3.0\) config round trip"):
        run_layer_test(LosesArgument, {"factor": 3.0}, input_shape=(2, 3))
