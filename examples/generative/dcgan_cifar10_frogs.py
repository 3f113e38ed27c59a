"""A deep convolutional GAN on CIFAR-10's frogs (Deep Learning with Python, 8.5).

The book's listings 8.29 to 8.32 with only the imports changed (`import lamina as keras`):

- the generator maps a 32-dimensional latent point through Dense(128*16*16), LeakyReLU and a
  Reshape to 16x16x128, a Conv2D(256, 5), a Conv2DTranspose(256, 4, strides=2) to 32x32, two
  more Conv2D(256, 5), each followed by LeakyReLU, and a Conv2D(3, 7, tanh): 6,264,579
  parameters;
- the discriminator is a Conv2D(128, 3) and three Conv2D(128, 4, strides=2), each followed by
  LeakyReLU, then Flatten, Dropout(0.4) and Dense(1, sigmoid): 790,913 parameters;
- the discriminator is compiled with `RMSprop(lr=0.0008, clipvalue=1.0, decay=1e-8)` (Keras 2
  spellings), then frozen (`discriminator.trainable = False`) and chained after the generator
  into the GAN, compiled with `lr=0.0004`: the discriminator's own `train_on_batch` still
  trains it (it was compiled while trainable), the GAN's trains only the generator;
- each iteration decodes 20 latent points, trains the discriminator on them (label 1) and on 20
  real frogs (label 0), labels noised by `0.05 * np.random.random`, then trains the generator
  through the GAN to make the discriminator say "real" (label 0) on 20 new latent points.

As in the book the real images are scaled to [0, 1] (`/ 255.`) while the generator's tanh
reaches [-1, 1], and the training set is the frog class (label 6): 1,000 images in lamina's
CIFAR-10 subset (5,000 in Keras's). Two departures, both Keras 3's: `generator.predict` is
called with `verbose=0` (Keras 3 prints a progress bar on each call, Keras 2 did not) and the
weights are saved as `gan.weights.safetensors`, since Keras 3 refuses the book's `gan.h5` name.

Instead of the book's single images, it writes 4x4 grids of 16 fixed latent points, decoded as
the book displays them (`x * 255`, clipped to 0-255): `generated_00000.png` before training,
one at the middle and one at the end, beside `real_frogs.png`. It prints both losses ten times
in the run; the last line holds the final discriminator and adversarial losses,
the iterations run and the time.

The network is heavy for a CPU (the book ran 10,000 iterations on a GPU): an iteration costs
about 13 s of CPU time (3.5 s to decode 20 images, 9 s for the GAN's step, 0.3 s for the
discriminator's), and on the 2-core machine shared by many jobs where it was written (load
average 11 to 12) each took 55 to 140 s of wall time. The default is therefore 15 iterations,
15 to 35 minutes there; pass more on a quieter machine.

Measured there (seed 0, `nice -n 5`, 30 iterations, 26 minutes of them beside the test
suite): 2,776 s in all (93 s an iteration; the first 16 took 35 minutes). The discriminator's
loss at iterations 0, 3, 6, ..., 27, 29 went 0.688, 0.556, 1.445, 0.676, 0.720, 0.708, 0.698,
0.678, 0.672, 0.654, 0.683 and the adversarial loss 0.670, 0.718, 0.702, 0.654, 0.691, 0.687,
0.683, 0.788, 0.696, 0.698, 0.734: neither collapses to 0, the discriminator stays near
chance. The grid before training is black (the untrained generator's outputs are near 0,
shown as `x * 255`: mean pixel 0.2 of 255); at iteration 15 every image is the same dark
brown (mean RGB 57, 38, 32; at most 74), at iteration 29 the same grey-violet (mean RGB 76,
65, 82; at most 104), each darker towards its borders and all 16 nearly alike (1.3 grey
levels apart): the generator has left its initial output for flat colours near the data's
range but shows no frog and no variety yet, as expected this early (the book shows frog-like
shapes after thousands of iterations on a GPU).

A longer run (seed 0, `python examples/generative/dcgan_cifar10_frogs.py 250`, stopped after
its middle grid for lack of time: 125 iterations in 63 minutes beside three other jobs, most
of it at low priority): discriminator loss 0.688, 0.696, 0.735, 0.699, 0.709 and 0.658 at
iterations 0, 25, 50, 75, 100 and 125, adversarial loss 0.670, 0.830, 0.922, 0.854, 0.771 and
0.830. At iteration 125 the images have left flat colour: green, grey and brown textures in
the frogs' colours (mean RGB 111, 124, 107; pixel spread 50 grey levels), crossed by the
checkerboard stripes of a young transposed-convolution generator, with variety between the
16 images but no frog shape yet.

Run it with the dataset folder in `LAMINA_DATA`; the arguments are the iterations and the
folder for the images (default `gan_images`):

    LAMINA_DATA=/path/to/datasets python examples/generative/dcgan_cifar10_frogs.py 15 out/
"""

import os
import sys
import time

import numpy as np

import lamina as keras
from lamina import layers
from lamina.utils import save_img
from lamina.visualization.images import tile

latent_dim = 32
height = 32
width = 32
channels = 3
FROG = 6


def build_generator():
    """Listing 8.29."""
    generator_input = keras.Input(shape=(latent_dim,))

    # First, transform the input into a 16x16 128-channels feature map
    x = layers.Dense(128 * 16 * 16)(generator_input)
    x = layers.LeakyReLU()(x)
    x = layers.Reshape((16, 16, 128))(x)

    # Then, add a convolution layer
    x = layers.Conv2D(256, 5, padding="same")(x)
    x = layers.LeakyReLU()(x)

    # Upsample to 32x32
    x = layers.Conv2DTranspose(256, 4, strides=2, padding="same")(x)
    x = layers.LeakyReLU()(x)

    # Few more conv layers
    x = layers.Conv2D(256, 5, padding="same")(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(256, 5, padding="same")(x)
    x = layers.LeakyReLU()(x)

    # Produce a 32x32 3-channel image
    x = layers.Conv2D(channels, 7, activation="tanh", padding="same")(x)
    return keras.models.Model(generator_input, x)


def build_discriminator():
    """Listing 8.30, compiled as the book compiles it."""
    discriminator_input = layers.Input(shape=(height, width, channels))
    x = layers.Conv2D(128, 3)(discriminator_input)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(128, 4, strides=2)(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(128, 4, strides=2)(x)
    x = layers.LeakyReLU()(x)
    x = layers.Conv2D(128, 4, strides=2)(x)
    x = layers.LeakyReLU()(x)
    x = layers.Flatten()(x)

    # One dropout layer - important trick!
    x = layers.Dropout(0.4)(x)

    # Classification layer
    x = layers.Dense(1, activation="sigmoid")(x)

    discriminator = keras.models.Model(discriminator_input, x)

    # To stabilize training, we use learning rate decay
    # and gradient clipping (by value) in the optimizer.
    discriminator_optimizer = keras.optimizers.RMSprop(lr=0.0008, clipvalue=1.0, decay=1e-8)
    discriminator.compile(optimizer=discriminator_optimizer, loss="binary_crossentropy")
    return discriminator


def build_gan(generator, discriminator):
    """Listing 8.31: the generator followed by the frozen discriminator."""
    # Set discriminator weights to non-trainable (will only apply to the `gan` model)
    discriminator.trainable = False

    gan_input = keras.Input(shape=(latent_dim,))
    gan_output = discriminator(generator(gan_input))
    gan = keras.models.Model(gan_input, gan_output)

    gan_optimizer = keras.optimizers.RMSprop(lr=0.0004, clipvalue=1.0, decay=1e-8)
    gan.compile(optimizer=gan_optimizer, loss="binary_crossentropy")
    return gan


def load_frogs():
    """The frogs of the training set, scaled as the book scales them (to [0, 1])."""
    (x_train, y_train), (_, _) = keras.datasets.cifar10.load_data()
    x_train = x_train[y_train.flatten() == FROG]
    return (
        x_train.reshape((x_train.shape[0],) + (height, width, channels)).astype("float32") / 255.0
    )


def save_grid(images, path):
    """n*n images as an n x n grid, shown as the book shows them: `x * 255`, clipped."""
    pixels = np.clip(np.asarray(images) * 255.0, 0, 255).astype("uint8")
    columns = round(len(pixels) ** 0.5)
    save_img(path, tile(pixels, columns=columns, margin=2, fill=255), scale=False)


def train(models, x_train, iterations, save_dir, fixed_latent, batch_size=20):
    """Listing 8.32's loop; returns the last `(d_loss, a_loss)`.

    Args:
        models: `(generator, discriminator, gan)`.
        fixed_latent: the latent points decoded into the saved grids.
    """
    generator, discriminator, gan = models
    print_every = max(1, iterations // 10)
    grid_steps = {0, iterations // 2, iterations - 1}
    d_loss = a_loss = float("nan")
    start = 0
    for step in range(iterations):
        if step in grid_steps:
            save_grid(
                generator.predict(fixed_latent, verbose=0),
                os.path.join(save_dir, f"generated_{step:05d}.png"),
            )
        # Sample random points in the latent space
        random_latent_vectors = np.random.normal(size=(batch_size, latent_dim))

        # Decode them to fake images
        generated_images = generator.predict(random_latent_vectors, verbose=0)

        # Combine them with real images
        stop = start + batch_size
        real_images = x_train[start:stop]
        combined_images = np.concatenate([generated_images, real_images])

        # Assemble labels discriminating real from fake images
        labels = np.concatenate([np.ones((batch_size, 1)), np.zeros((batch_size, 1))])
        # Add random noise to the labels - important trick!
        labels += 0.05 * np.random.random(labels.shape)

        # Train the discriminator
        d_loss = discriminator.train_on_batch(combined_images, labels)

        # Sample random points in the latent space
        random_latent_vectors = np.random.normal(size=(batch_size, latent_dim))

        # Assemble labels that say "all real images"
        misleading_targets = np.zeros((batch_size, 1))

        # Train the generator (via the gan model, where the discriminator weights are frozen)
        a_loss = gan.train_on_batch(random_latent_vectors, misleading_targets)

        start += batch_size
        if start > len(x_train) - batch_size:
            start = 0

        if step % print_every == 0 or step == iterations - 1:
            print(f"step {step}: discriminator loss {d_loss:.4f}, adversarial loss {a_loss:.4f}")
    gan.save_weights(os.path.join(save_dir, "gan.weights.safetensors"))
    return float(d_loss), float(a_loss)


def main(iterations=15, save_dir="gan_images", x_train=None, batch_size=20, grid=4, seed=0):
    """Builds the book's GAN and trains it; returns the models, the losses and the time.

    Args:
        iterations: training iterations (the book runs 10,000).
        save_dir: the folder for the PNG grids and the weights (made if missing).
        x_train: the real images, in [0, 1]; the frogs of CIFAR-10 when None.
        batch_size: real (and generated) images per iteration (the book's 20).
        grid: the saved grids show grid x grid images.
        seed: seeds lamina and NumPy.
    """
    keras.utils.set_random_seed(seed)
    np.random.seed(seed)
    os.makedirs(save_dir, exist_ok=True)
    if x_train is None:
        x_train = load_frogs()
    generator = build_generator()
    discriminator = build_discriminator()
    gan = build_gan(generator, discriminator)
    print(
        f"generator: {generator.count_params():,} parameters; discriminator: "
        f"{discriminator.count_params():,}; real images: {len(x_train)}"
    )
    save_grid(x_train[: grid * grid], os.path.join(save_dir, "real_frogs.png"))
    fixed_latent = np.random.normal(size=(grid * grid, latent_dim))
    began = time.perf_counter()
    d_loss, a_loss = train(
        (generator, discriminator, gan), x_train, iterations, save_dir, fixed_latent, batch_size
    )
    seconds = time.perf_counter() - began
    print(
        f"d_loss: {d_loss:.4f} a_loss: {a_loss:.4f} iterations: {iterations} time: {seconds:.0f} s"
    )
    return {
        "generator": generator,
        "discriminator": discriminator,
        "gan": gan,
        "d_loss": d_loss,
        "a_loss": a_loss,
        "seconds": seconds,
    }


if __name__ == "__main__":
    main(*([int(sys.argv[1])] if len(sys.argv) > 1 else []), *sys.argv[2:3])
