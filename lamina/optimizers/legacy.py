"""Keras 2's update formulas, for programs that must reproduce a Keras 2 run.

Keras 2 (2.0 to 2.3, and `tf.keras.optimizers.legacy` after it) divided RMSprop's step by
`sqrt(v) + epsilon`; Keras 3 divides by `sqrt(v + epsilon)`. With `epsilon=1e-7` the two differ
wherever `v` is below about 1e-6, which is most weights of a network whose loss is a mean over
many outputs: there Keras 3 takes smaller steps. The book *Deep Learning with Python* ran on
Keras 2, so its `optimizer="rmsprop"` figures come from the formula kept here.

Example:
>>> opt = lamina.optimizers.legacy.RMSprop()
>>> w = lamina.Variable([1.0])
>>> opt.apply([np.array([1e-4], dtype="float32")], [w])
>>> round(float(w.numpy()[0]), 5)
0.99685
"""

from lamina.optimizers import rmsprop


class RMSprop(rmsprop.RMSprop):
    """RMSprop with Keras 2's denominator: `var -= lr * g / (sqrt(v) + epsilon)`.

    The arguments are `lamina.optimizers.RMSprop`'s (and Keras 2's `lr` and `decay`). As in
    `tf.keras.optimizers.legacy.RMSprop`, the formula differs from Keras 3's only without
    momentum; with `momentum > 0` the step is Keras 3's.

    Example:
    >>> model.compile(optimizer=lamina.optimizers.legacy.RMSprop(), loss="mse")
    """

    # Read by RMSprop.update_step; tf.keras's legacy class kept Keras 3's step with momentum.
    _keras2_denominator = True

    def __repr__(self) -> str:
        return "<legacy." + super().__repr__()[1:]

    def get_config(self) -> dict:
        # Keras's own marker, which `lamina.optimizers.deserialize` reads back.
        return {**super().get_config(), "is_legacy_optimizer": True}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "RMSprop":
        config = {k: v for k, v in config.items() if k != "is_legacy_optimizer"}
        return super().from_config(config, custom_objects)


__all__ = ["RMSprop"]
