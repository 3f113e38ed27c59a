"""The book's variational autoencoder (8.4) as examples/generative/vae_mnist.py builds it."""

import importlib.util
from pathlib import Path

import numpy as np

from lamina import optimizers
from lamina.utils import set_random_seed

EXAMPLE = Path(__file__).parents[2] / "examples" / "generative" / "vae_mnist.py"


def load_example():
    spec = importlib.util.spec_from_file_location("example_vae_mnist", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def digits(n, seed):
    """Blurry strokes in [0, 1], shaped like MNIST: enough for the loss to fall."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28, 1), dtype="float32")
    for img, (r, c) in zip(x, rng.integers(6, 16, size=(n, 2)), strict=True):
        img[r : r + 12, c : c + 3] = 1.0
    return x


def test_the_books_vae_has_its_parameter_count_and_learns():
    example = load_example()
    set_random_seed(0)
    vae, decoder = example.build_vae()
    assert vae.count_params() == 550_629
    assert decoder.count_params() == 56_385
    vae.compile(optimizer="rmsprop", loss=None)
    x_train, x_test = digits(64, 0), digits(32, 1)
    before = vae.evaluate(x_test, None, batch_size=16, verbose=0)
    history = vae.fit(
        x=x_train,
        y=None,
        shuffle=True,
        epochs=2,
        batch_size=16,
        validation_data=(x_test, None),
        verbose=0,
    ).history
    assert list(history) == ["loss", "val_loss"]
    assert history["val_loss"][-1] < 0.95 * before  # 0.693 -> 0.629 with this seed
    # The output is the input (the loss is added by the last layer), and the decoder draws
    # digits of the image shape from points of the latent plane.
    np.testing.assert_array_equal(vae.predict(x_test[:4], verbose=0), x_test[:4])
    assert decoder.predict(np.zeros((3, 2)), verbose=0).shape == (3, 28, 28, 1)


def test_latent_grid_tiles_one_decoded_digit_per_point():
    example = load_example()
    set_random_seed(0)
    _, decoder = example.build_vae()
    grid = example.latent_grid(decoder, n=3)
    assert grid.shape == (84, 84)
    assert 0 <= grid.min() and grid.max() <= 1


def test_main_prints_the_validation_losses_and_the_final_one_last(tmp_path, capsys):
    result = load_example().main(
        epochs=1, limit=64, test_limit=32, verbose=0, grid_stem=str(tmp_path / "grid")
    )
    lines = capsys.readouterr().out.strip().splitlines()
    val_loss = result["history"].history["val_loss"][-1]
    assert "parameters: 550,629" in lines
    assert f"epoch 1: val_loss {val_loss:.5f}" in lines
    assert (tmp_path / "grid.png").is_file()
    assert lines[-1] == f"val_loss: {val_loss:.5f}"
    # The book ran Keras 2's RMSprop; "rmsprop" asks for Keras 3's.
    assert type(result["vae"].optimizer) is optimizers.legacy.RMSprop


def test_the_optimizer_can_be_keras_3s_rmsprop():
    example = load_example()
    assert type(example.book_optimizer("legacy_rmsprop")) is optimizers.legacy.RMSprop
    assert example.book_optimizer("rmsprop") == "rmsprop"
