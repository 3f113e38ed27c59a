"""A variational autoencoder on MNIST (Deep Learning with Python, 8.4, listings 8.23 to 8.27).

The book's Keras 2 program with `keras` replaced by `lamina` in the imports: a convolutional
encoder maps each digit to the mean and log-variance of a 2-D latent normal, a `Lambda` layer
samples a point with `K.random_normal`, and a decoder model maps it back to a 28x28 image. A
custom layer adds the loss with `add_loss` (the binary cross-entropy of the reconstruction plus
a small KL term on `z_mean` and `z_log_var`), so the model is compiled with `loss=None` and fit
with `y=None`. The model has 550,629 parameters. After training, the decoder draws a 15x15 grid
of digits over the latent space (`vae_grid.png`).

It prints the validation loss of each epoch and, last, the final validation loss (the book's
run: 0.1966 after the first epoch, 0.1801 after ten).

One line differs from the book beyond the imports: the optimizer. The book's
`optimizer='rmsprop'` ran Keras 2's RMSprop, which steps `lr * g / (sqrt(v) + epsilon)`;
lamina's `"rmsprop"` is Keras 3's, `lr * g / sqrt(v + epsilon)`, whose steps are smaller for
small gradients (ten times smaller for a first gradient of 1e-4), and this loss, a mean over
16 x 784 pixels, has mostly small gradients. So the example compiles with
`keras.optimizers.legacy.RMSprop()`, Keras 2's formula; `--optimizer rmsprop` runs Keras 3's.

Measured (full data, batch 16, one thread, on the shared 2-core machine beside other jobs;
deterministic: a run repeats its losses), val_loss per epoch:

- Keras 2's formula (the default), seed 1: 0.19666, 0.18942, 0.18543, 0.18441, 0.18349,
  0.18261, 0.18090, 0.18063, 0.18126 and 0.18046 after the tenth (goal: at most 0.187; the
  book's 0.1966 and 0.1801). 30 min 13 s for the ten epochs (173 to 205 s each).
- Keras 2's formula, seed 2: 0.19771, 0.19102, 0.18827, 0.18684, 0.18580, 0.18321, 0.18300,
  0.18213, 0.18182 and 0.18063 (28 min 50 s).
- Keras 3's formula (`--optimizer rmsprop`), seed 1: 0.2082, 0.2032, 0.1979, 0.1943, 0.1916,
  0.1901, 0.1879, 0.1871, 0.1876 and 0.18702; seed 2: 0.20932, 0.19821, 0.19375, 0.19089,
  0.18797, 0.18614, 0.18529, 0.18412, 0.18347 and 0.18107. Keras 3.15.1 itself
  (torch backend, the same network and loss in Keras 3's spelling, its own seed 1) went
  0.2018, 0.1954, 0.1937, 0.1888, 0.1884, 0.1848, 0.1877, 0.1840, 0.1831 and 0.1815. Started
  from the same weights, on the same batches and the same sampled noise, lamina with
  `"rmsprop"` and Keras 3 give the same losses to 6 digits for the first 18 steps; there the
  early instability described next amplifies float rounding, and over steps 200 to 300 their
  mean losses differ by 0.13%.

So both formulas can reach the goal, but Keras 3's ends anywhere from 0.181 to 0.187 with the
seed, while Keras 2's ended at 0.1805 and 0.1806, as the book's 0.1801, and only it reproduces
the book's first epoch. The first epoch's mean training loss shows the difference: 0.2135 with
Keras 2's formula (seed 1), against 1.42 with Keras 3's in lamina and 89.7 in Keras 3 itself,
where a few early steps make `z_log_var` jump, `exp(z_log_var)` scales the sampled noise and
the KL term, and those batches' losses dwarf the rest. Keras 2's formula makes such steps
rarer, not impossible: with seed 2 one batch of the first epoch did it (mean training loss
165,691), and the validation loss after that epoch was still 0.1977.

The grid (seed 2) shows the book's picture: digits that morph continuously across the latent
plane (6, 5, 8, 1, 2, 3, 9 and 7 in their regions, blurred at the borders between them). A
py-spy profile puts about 85% of the time in the convolutions' forward and backward passes
(im2col matrix products and the 3x3 Winograd kernels): the run is compute-bound, not slowed by
the framework's bookkeeping.

Run it with

    python examples/generative/vae_mnist.py [epochs] [--optimizer rmsprop] [--seed N]
"""

import argparse
import statistics

import numpy as np

import lamina as keras
from lamina import backend as K
from lamina import layers
from lamina.datasets import mnist
from lamina.models import Model
from lamina.utils import set_random_seed

img_shape = (28, 28, 1)
batch_size = 16
latent_dim = 2  # Dimensionality of the latent space: a plane


def build_vae():
    """The book's listings 8.23 to 8.26: returns `(vae, decoder)`, `vae` not compiled."""
    input_img = keras.Input(shape=img_shape)

    x = layers.Conv2D(32, 3, padding="same", activation="relu")(input_img)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", strides=(2, 2))(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    shape_before_flattening = K.int_shape(x)

    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu")(x)

    z_mean = layers.Dense(latent_dim)(x)
    z_log_var = layers.Dense(latent_dim)(x)

    def sampling(args):
        z_mean, z_log_var = args
        epsilon = K.random_normal(shape=(K.shape(z_mean)[0], latent_dim), mean=0.0, stddev=1.0)
        return z_mean + K.exp(z_log_var) * epsilon

    z = layers.Lambda(sampling)([z_mean, z_log_var])

    decoder_input = layers.Input(K.int_shape(z)[1:])
    x = layers.Dense(np.prod(shape_before_flattening[1:]), activation="relu")(decoder_input)
    x = layers.Reshape(shape_before_flattening[1:])(x)
    x = layers.Conv2DTranspose(32, 3, padding="same", activation="relu", strides=(2, 2))(x)
    x = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    decoder = Model(decoder_input, x)
    z_decoded = decoder(z)

    class CustomVariationalLayer(keras.layers.Layer):
        def vae_loss(self, x, z_decoded):
            x = K.flatten(x)
            z_decoded = K.flatten(z_decoded)
            xent_loss = keras.metrics.binary_crossentropy(x, z_decoded)
            kl_loss = -5e-4 * K.mean(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var), axis=-1)
            return K.mean(xent_loss + kl_loss)

        def call(self, inputs):
            x = inputs[0]
            z_decoded = inputs[1]
            loss = self.vae_loss(x, z_decoded)
            self.add_loss(loss, inputs=inputs)
            return x

    y = CustomVariationalLayer()([input_img, z_decoded])
    vae = Model(input_img, y)
    return vae, decoder


def load_digits(limit=None, test_limit=None):
    """MNIST scaled to [0, 1], shaped `(n, 28, 28, 1)`: `(x_train, x_test)`."""
    (x_train, _), (x_test, y_test) = mnist.load_data()
    x_train = x_train[:limit].astype("float32") / 255.0
    x_train = x_train.reshape(x_train.shape + (1,))
    x_test = x_test[:test_limit].astype("float32") / 255.0
    x_test = x_test.reshape(x_test.shape + (1,))
    return x_train, x_test


def latent_grid(decoder, n=15, digit_size=28):
    """Listing 8.27: decode a grid of `n` by `n` points of the latent plane into one image.

    The points are the normal quantiles of 0.05 ... 0.95 on each axis (`scipy.stats.norm.ppf`
    as in the book when SciPy is installed, else the standard library's `NormalDist`).
    """
    try:
        from scipy.stats import norm

        ppf = norm.ppf
    except ImportError:
        ppf = np.vectorize(statistics.NormalDist().inv_cdf)
    figure = np.zeros((digit_size * n, digit_size * n))
    grid_x = ppf(np.linspace(0.05, 0.95, n))
    grid_y = ppf(np.linspace(0.05, 0.95, n))
    for i, yi in enumerate(grid_x):
        for j, xi in enumerate(grid_y):
            z_sample = np.array([[xi, yi]])
            z_sample = np.tile(z_sample, batch_size).reshape(batch_size, 2)
            x_decoded = decoder.predict(z_sample, batch_size=batch_size, verbose=0)
            digit = x_decoded[0].reshape(digit_size, digit_size)
            figure[i * digit_size : (i + 1) * digit_size, j * digit_size : (j + 1) * digit_size] = (
                digit
            )
    return figure


def save_grid(figure, stem="vae_grid"):
    """Write the grid as `<stem>.png` (matplotlib, else Pillow), else `<stem>.npy`; the path."""
    try:
        from lamina.utils.plotting import new_figure, save_png

        fig = new_figure(10, 10)
        ax = fig.add_subplot()
        ax.imshow(figure, cmap="Greys_r")
        ax.axis("off")
        save_png(fig, stem + ".png")
    except ImportError:
        try:
            keras.utils.save_img(stem + ".png", figure[..., None], scale=False)
        except ImportError:
            np.save(stem + ".npy", figure)
            return stem + ".npy"
    return stem + ".png"


def book_optimizer(name="legacy_rmsprop"):
    """The book's `optimizer='rmsprop'`: Keras 2's formula by default, or Keras 3's.

    The book ran on Keras 2, whose RMSprop divides by `sqrt(v) + epsilon`; the string
    `"rmsprop"` means Keras 3's, which divides by `sqrt(v + epsilon)` (see the module docstring).
    """
    if name == "legacy_rmsprop":
        return keras.optimizers.legacy.RMSprop()
    return name


def main(
    epochs=10,
    limit=None,
    test_limit=None,
    seed=1,
    verbose=2,
    grid_stem="vae_grid",
    optimizer="legacy_rmsprop",
):
    """Trains the book's VAE and draws the latent grid; returns the model and the history.

    Args:
        epochs: training epochs (the book's 10).
        limit: keep only the first `limit` training images (for quick checks).
        test_limit: validate on only the first `test_limit` test images (for quick checks).
        seed: passed to `set_random_seed`.
        verbose: passed to `fit`.
        grid_stem: the grid's file name without extension; None skips the grid.
        optimizer: `"legacy_rmsprop"` (Keras 2's RMSprop, as the book ran) or any name
            `compile` takes, such as `"rmsprop"` (Keras 3's).
    """
    set_random_seed(seed)
    vae, decoder = build_vae()
    vae.compile(optimizer=book_optimizer(optimizer), loss=None)
    vae.summary()
    print(f"parameters: {vae.count_params():,}")

    x_train, x_test = load_digits(limit, test_limit)
    history = vae.fit(
        x=x_train,
        y=None,
        shuffle=True,
        epochs=epochs,
        batch_size=batch_size,
        validation_data=(x_test, None),
        verbose=verbose,
    )
    for epoch, val_loss in enumerate(history.history["val_loss"], 1):
        print(f"epoch {epoch}: val_loss {val_loss:.5f}")
    if grid_stem is not None:
        print(f"latent grid: {save_grid(latent_grid(decoder), grid_stem)}")
    print(f"val_loss: {history.history['val_loss'][-1]:.5f}")
    return {"vae": vae, "decoder": decoder, "history": history}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("epochs", nargs="?", type=int, default=10)
    parser.add_argument(
        "--optimizer",
        default="legacy_rmsprop",
        help="legacy_rmsprop (Keras 2's RMSprop, the book's; default) or rmsprop (Keras 3's)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    main(epochs=args.epochs, seed=args.seed, optimizer=args.optimizer)
