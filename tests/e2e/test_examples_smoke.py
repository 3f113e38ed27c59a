"""Each book example in examples/ runs end to end on a few samples and prints its figure last.

The examples read the real datasets: `LAMINA_DATA` if set, else the shared folder beside the
repository; a test is skipped when its dataset is in neither. The loaders' cache
(`LAMINA_HOME`) is the user's, as when the examples run by hand, so the IMDB arrays are built
once (about 15 s) and then read back.
"""

import importlib.util
import os
import string
from pathlib import Path

import numpy as np
import pytest

from lamina.saving import load_model

EXAMPLES = Path(__file__).parents[2] / "examples"
SHARED = Path(__file__).parents[3] / "shared" / "datasets"


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def dataset(monkeypatch):
    """Points LAMINA_DATA at a folder holding the named dataset, or skips."""

    def use(name):
        data = os.environ.get("LAMINA_DATA")
        if data and (Path(data) / name).is_dir():
            return
        if not (SHARED / name).is_dir():
            pytest.skip(f"the {name} dataset is neither in LAMINA_DATA nor in {SHARED}")
        monkeypatch.setenv("LAMINA_DATA", str(SHARED))

    return use


def last_line(capsys):
    return capsys.readouterr().out.strip().splitlines()[-1]


def curves_file(tmp_path):
    """A path for an example's `plot=` PNG file (skips without matplotlib)."""
    pytest.importorskip("matplotlib", reason="plot_history needs matplotlib")
    return tmp_path / "curves.png"


def assert_png(path):
    assert path.read_bytes().startswith(b"\x89PNG")


def test_imdb_binary_classification(dataset, capsys, tmp_path):
    dataset("imdb")
    plot = curves_file(tmp_path)
    result = load_example("imdb_binary_classification").main(
        epochs=2, validation_epochs=2, limit=500, plot=plot
    )
    assert_png(plot)
    assert result["best_epoch"] in (1, 2)
    assert 0 <= result["test_acc"] <= 1
    assert last_line(capsys) == f"test_acc: {result['test_acc']:.4f}"


def test_reuters_newswires(dataset, capsys, tmp_path):
    dataset("reuters")
    plot = curves_file(tmp_path)
    result = load_example("reuters_newswires").main(
        epochs=2, validation_epochs=2, limit=500, plot=plot
    )
    assert_png(plot)
    # Even two epochs on 375 wires beat guessing (the most frequent topics dominate).
    assert result["test_acc"] > result["random_acc"]
    assert last_line(capsys) == f"test_acc: {result['test_acc']:.4f}"


def test_boston_housing_kfold(dataset, capsys):
    dataset("boston_housing")
    result = load_example("boston_housing_kfold").main(num_epochs=2, final_epochs=2, limit=80)
    assert len(result["all_scores"]) == 4
    assert result["best_epoch"] in (1, 2)
    assert last_line(capsys) == (
        f"mean_val_mae: {result['mean_val_mae']:.2f} test_mae: {result['test_mae']:.2f}"
    )


def test_imdb_overfitting(dataset, capsys, tmp_path):
    dataset("imdb")
    plot = curves_file(tmp_path)
    result = load_example("imdb_overfitting").main(epochs=2, limit=200, plot=plot)
    assert_png(plot)
    assert set(result["val_loss"]) == {"original", "smaller", "bigger", "l2", "dropout"}
    assert all(len(losses) == 2 for losses in result["val_loss"].values())
    assert set(result["onset"]) == {"original", "smaller", "bigger"}
    assert all(0 < epoch <= 2 for epoch, _ in result["onset"].values())
    line = last_line(capsys)
    assert line.startswith("overfitting_starts_at_epoch original: ")
    assert f"bigger_overfits_first: {result['bigger_overfits_first']}" in line
    assert f"dropout_beats_original: {result['dropout_beats_original']}" in line


def test_reuse_mnist_base_for_fashion(dataset, capsys):
    dataset("fashion_mnist")
    result = load_example("reuse_mnist_base_for_fashion").main(
        mnist_epochs=1,
        epochs=2,
        fine_tune_epochs=1,
        train_size=300,
        mnist_limit=3000,
        test_limit=500,
    )
    assert result["mnist_accuracy"] > 0.8
    # Even a few epochs on 300 images beat guessing among 10 kinds of clothing.
    assert all(result[k] > 0.3 for k in ("from_scratch", "feature_extraction", "fine_tuning"))
    assert last_line(capsys) == (
        f"from_scratch: {result['from_scratch']:.4f} "
        f"feature_extraction: {result['feature_extraction']:.4f} "
        f"fine_tuning: {result['fine_tuning']:.4f}"
    )


def test_mnist_convnet(capsys):
    result = load_example("mnist_convnet").main(epochs=1, limit=256, test_limit=128, verbose=0)
    model = result["model"]
    assert model.count_params() == 93_322  # the book's figure, as Keras counts it
    assert [tuple(layer.output.shape) for layer in model.layers] == [
        (None, 26, 26, 32),
        (None, 13, 13, 32),
        (None, 11, 11, 64),
        (None, 5, 5, 64),
        (None, 3, 3, 64),
        (None, 576),
        (None, 64),
        (None, 10),
    ]
    assert 0 <= result["test_acc"] <= 1
    assert last_line(capsys) == f"test_acc: {result['test_acc']:.4f}"


def test_mnist_convnet_learns_from_2000_images():
    result = load_example("mnist_convnet").main(epochs=1, limit=2000, test_limit=1000, verbose=0)
    # One epoch is only 32 steps of 64 images: seeds 0 to 7 give 0.50 (seed 1, the default)
    # to 0.75, far above the 0.10 of guessing but short of what 5 full epochs give.
    assert result["test_acc"] >= 0.4, f"test accuracy {result['test_acc']:.4f}"


def test_visualize_mnist_convnet_writes_its_pictures(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the pictures need the viz extra")
    image_module = pytest.importorskip("PIL.Image")
    result = load_example("visualize_mnist_convnet").main(
        epochs=2, limit=300, test_limit=100, out_dir=str(tmp_path), verbose=0
    )
    for path in result["paths"].values():
        with image_module.open(path) as img:
            assert img.format == "PNG" and min(img.size) > 100
    assert result["heatmap"].shape == (28, 28)
    assert last_line(capsys).startswith(f"test_acc: {result['test_acc']:.4f} predicted: ")


def test_cats_vs_dogs_small_convnet(dataset, capsys, tmp_path):
    dataset("cats_vs_dogs")
    plot = curves_file(tmp_path)
    saved = tmp_path / "cats_and_dogs_small_2.keras"
    result = load_example("cats_vs_dogs_small_convnet").main(
        epochs=1,
        steps_per_epoch=1,
        validation_steps=1,
        batch_size=4,
        verbose=0,
        save_to=saved,
        plot=plot,
    )
    assert_png(plot)
    assert result["model"].count_params() == 3_453_121  # the book's figure
    assert load_model(saved).count_params() == 3_453_121
    assert result["model"].output.shape == (None, 1)
    assert len(result["history"]["val_acc"]) == 1
    assert 0 <= result["val_acc"] <= 1
    assert last_line(capsys) == f"val_acc: {result['val_acc']:.4f}"


def test_visualize_cats_vs_dogs_convnet_draws_a_saved_model(dataset, tmp_path, capsys):
    dataset("cats_vs_dogs")
    pytest.importorskip("matplotlib", reason="the pictures need the viz extra")
    image_module = pytest.importorskip("PIL.Image")
    saved = tmp_path / "cats_and_dogs_small_2.keras"
    load_example("cats_vs_dogs_small_convnet").main(
        epochs=1, steps_per_epoch=1, validation_steps=1, batch_size=4, verbose=0, save_to=saved
    )
    result = load_example("visualize_cats_vs_dogs_convnet").main(
        saved, out_dir=tmp_path / "pictures", filters=2, steps=2
    )
    names = sorted(result["paths"])
    assert names[0] == "activations" and names[-1] == "grad_cam"
    assert len(names) == 4 and all(name.startswith("filters_conv2d") for name in names[1:3])
    for path in result["paths"].values():
        with image_module.open(path) as img:
            assert img.format == "PNG" and min(img.size) > 100
    assert result["heatmap"].shape == (150, 150)
    cat, dog = result["scores"]
    assert last_line(capsys) == f"dog score: cat picture {cat:.3f}, dog picture {dog:.3f}"


def test_cats_vs_dogs_small_convnet_resumes_from_its_backup(dataset, tmp_path, monkeypatch):
    dataset("cats_vs_dogs")
    example = load_example("cats_vs_dogs_small_convnet")
    trained = []

    class Interrupted(Exception):
        pass

    class Backup(example.callbacks.BackupAndRestore):
        stop_after_first_epoch = True

        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            trained.append(epoch)
            if self.stop_after_first_epoch:
                raise Interrupted  # as if the machine went away after the first backup

    monkeypatch.setattr(example.callbacks, "BackupAndRestore", Backup)
    settings = dict(epochs=2, steps_per_epoch=1, validation_steps=1, batch_size=4, verbose=0)
    with pytest.raises(Interrupted):
        example.main(backup_dir=tmp_path / "backup", **settings)
    Backup.stop_after_first_epoch = False
    resumed = example.main(backup_dir=tmp_path / "backup", **settings)
    assert trained == [0, 1]  # the second run trained the second epoch only
    assert len(resumed["history"]["val_acc"]) == 2


def test_cifar10_modern_convnet(dataset, capsys):
    dataset("cifar10_jpg")
    example = load_example("cifar10_modern_convnet")
    modern, plain = example.build_model(modern=True), example.build_model(modern=False)
    kinds = {type(layer).__name__ for layer in modern.layers}
    assert {"SeparableConv2D", "BatchNormalization", "Add"} <= kinds
    assert not {"SeparableConv2D", "BatchNormalization", "Add"} & {
        type(layer).__name__ for layer in plain.layers
    }
    assert modern.output.shape == plain.output.shape == (None, 10)
    result = example.main(epochs=1, limit=16, val_limit=16, batch_size=16, verbose=0)
    assert all(0 <= result[f"{name}_val_acc"] <= 1 for name in ("modern", "plain"))
    assert last_line(capsys) == (
        f"modern_val_acc {result['modern_val_acc']:.4f} plain_val_acc {result['plain_val_acc']:.4f}"
    )


def test_temperature_forecasting(dataset, capsys):
    dataset("vic_elec")
    example = load_example("temperature_forecasting")
    result = example.main(
        epochs=1, regularized_epochs=1, steps_per_epoch=2, validation_steps=2, verbose=0
    )
    names = {"dense", "gru", "gru_dropout", "stacked_gru", "bidirectional_gru", "conv1d_gru"}
    assert set(result["val_mae"]) == names
    # Two validation batches of the naive forecast: errors of a degree or more, not of zero.
    assert 0.5 < result["naive_mae"] < 10
    assert all(np.isfinite(mae) and mae > 0 for mae in result["val_mae"].values())
    line = last_line(capsys)
    assert line.startswith(f"naive: {result['naive_mae']:.2f} dense: ")
    assert line.endswith(f"gru_beats_naive: {result['gru_beats_naive']}")


def test_temperature_forecasting_trains_only_the_named_models(dataset, capsys, tmp_path):
    dataset("vic_elec")
    example = load_example("temperature_forecasting")
    plot = curves_file(tmp_path)
    result = example.main(
        steps_per_epoch=1, epochs=1, validation_steps=1, only=["dense"], verbose=0, plot=plot
    )
    assert_png(plot)
    assert list(result["val_mae"]) == ["dense"]
    assert last_line(capsys).endswith("gru_beats_naive: False")  # the GRU was not trained
    with pytest.raises(ValueError, match=r"Received: only=\['lstm'\]"):
        example.main(only=["lstm", "gru"])


def test_temperature_generator_windows():
    generator = load_example("temperature_forecasting").generator
    data = np.arange(200, dtype="float32").reshape(100, 2)
    samples, targets = next(generator(data, 10, 3, 0, 50, batch_size=4, step=2))
    # Row i = 10 + j: the rows i-10, i-8, ..., i-2, and column 0 of row i + 3.
    assert samples.shape == (4, 5, 2)
    np.testing.assert_array_equal(samples[1, :, 0], [2, 6, 10, 14, 18])
    np.testing.assert_array_equal(targets, [26, 28, 30, 32])
    batches = generator(data, 10, 3, 0, 50, shuffle=True, batch_size=64, step=2)
    rows = next(batches)[1] / 2 - 3
    assert rows.min() >= 10 and rows.max() < 50


def test_text_generation_lstm(dataset, capsys):
    dataset("nietzsche")
    result = load_example("text_generation_lstm").main(limit=3000, length=20, verbose=0)
    assert result["model"].count_params() == 4 * (128 * (38 + 128) + 128) + 129 * 38
    assert set(result["generated"]) == {0.2, 0.5, 1.0, 1.2}
    assert all(len(text) == 20 for text in result["generated"].values())
    assert last_line(capsys) == f"loss: {result['loss'][-1]:.4f}"


def test_text_generation_batches_and_sample():
    example = load_example("text_generation_lstm")
    sequences, next_chars = example.vectorize("abcab" * 30, ["a", "b", "c"])
    assert sequences.shape == (len(range(0, 150 - 60, 3)), 60)
    # Each target follows its sequence in the periodic text "abcab abcab ...".
    assert all(
        (seq[-1], nxt) in {(0, 1), (1, 2), (2, 0), (1, 0)}
        for seq, nxt in zip(sequences, next_chars, strict=True)
    )
    x, y = example.OneHotSequences(sequences, next_chars, 3, batch_size=8)[1]
    assert x.shape == (8, 60, 3) and y.shape == (8, 3)
    np.testing.assert_array_equal(x.argmax(-1), sequences[8:16])
    np.random.seed(0)
    # A low temperature picks the most likely character almost always; a high one does not.
    preds = np.array([0.5, 0.3, 0.2])
    cold = [example.sample(preds, 0.05) for _ in range(200)]
    hot = [example.sample(preds, 5.0) for _ in range(200)]
    assert cold.count(0) == 200
    assert hot.count(0) < 120


def test_imdb_embedding(dataset, capsys):
    dataset("imdb")
    result = load_example("imdb_embedding").main(epochs=2, limit=500, verbose=0)
    model = result["model"]
    assert model.count_params() == 80_161  # the book's figure
    assert [tuple(layer.output.shape) for layer in model.layers] == [
        (None, 20, 8),
        (None, 160),
        (None, 1),
    ]
    assert len(result["history"].history["val_acc"]) == 2
    assert last_line(capsys) == f"best_val_acc: {result['best_val_acc']:.4f}"


def test_imdb_rnn(dataset, capsys):
    dataset("imdb")
    results = load_example("imdb_rnn").main(epochs=1, limit=64, verbose=0)
    # The book's figures: 320,000 embedding weights, then 2,080 (SimpleRNN) or 8,320 (LSTM).
    assert results["simple_rnn"]["model"].count_params() == 322_113
    assert results["lstm"]["model"].count_params() == 328_353
    assert last_line(capsys) == (
        f"simple_rnn_best_val_acc: {results['simple_rnn']['best_val_acc']:.4f} "
        f"lstm_best_val_acc: {results['lstm']['best_val_acc']:.4f}"
    )


def test_imdb_rnn_runs_one_model(dataset):
    dataset("imdb")
    results = load_example("imdb_rnn").main(kinds=("lstm",), epochs=1, limit=8, verbose=0)
    assert list(results) == ["lstm"]
    with pytest.raises(ValueError, match=r"Received: kinds=\['gru'\]"):
        load_example("imdb_rnn").main(kinds=("gru",))


def test_imdb_conv1d(dataset, capsys):
    dataset("imdb")
    result = load_example("imdb_conv1d").main(epochs=1, limit=128, verbose=0)
    model = result["model"]
    assert model.count_params() == 1_315_937  # the book's figure
    assert [tuple(layer.output.shape) for layer in model.layers] == [
        (None, 500, 128),
        (None, 494, 32),
        (None, 98, 32),
        (None, 92, 32),
        (None, 32),
        (None, 1),
    ]
    assert last_line(capsys) == f"best_val_acc: {result['best_val_acc']:.4f}"


def test_one_hot_encoding(capsys):
    result = load_example("one_hot_encoding").main()
    # Listing 6.3's figures: 9 unique tokens, "the" first as the most frequent.
    assert result["word_index"] == {
        "the": 1, "cat": 2, "sat": 3, "on": 4, "mat": 5, "dog": 6, "ate": 7, "my": 8, "homework": 9
    }  # fmt: skip
    assert result["sequences"] == [[1, 2, 3, 4, 1, 5], [1, 6, 7, 8, 9]]
    np.testing.assert_array_equal(result["matrix"][1, :11], [0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0])
    # Listing 6.1 splits on spaces only: "The" and "the" are two of its 10 words.
    word = result["word_results"]
    assert word.shape == (2, 10, 11)
    np.testing.assert_array_equal(word.sum(axis=(1, 2)), [6, 5])
    assert word[0, 0].argmax() == 1 and word[0, 4].argmax() == 5
    # Listing 6.2: one 1 per character, at the character's place in string.printable (from 1).
    char = result["char_results"]
    assert char.shape == (2, 50, 101)
    np.testing.assert_array_equal(char.sum(axis=(1, 2)), [23, 24])
    assert char[0, 0].argmax() == 1 + string.printable.index("T")
    # Listing 6.4: the hashed words "The" and "the" land in the same slot.
    hashed = result["hashed"]
    assert hashed.shape == (2, 10, 1000)
    assert hashed[0, 0].argmax() == hashed[0, 4].argmax()
    assert last_line(capsys) == (
        "unique_tokens: 9 word: (2, 10, 11) char: (2, 50, 101) tokenizer: (2, 1000) "
        "hashed: (2, 10, 1000)"
    )


def test_imdb_reversed_bidirectional_inputs():
    example = load_example("imdb_reversed_bidirectional")
    reviews = [[1, 2, 3], list(range(1, 601))]
    reversed_inputs = example.prepare(reviews, "reversed_lstm")
    assert reversed_inputs.shape == (2, 500)
    np.testing.assert_array_equal(reversed_inputs[0, -3:], [3, 2, 1])
    # The reversed review is cut from the front, as pad_sequences does: its first 500 words.
    np.testing.assert_array_equal(reversed_inputs[1, [0, -1]], [500, 1])
    chronological = example.prepare(reviews, "bidirectional_lstm")
    np.testing.assert_array_equal(chronological[1, [0, -1]], [101, 600])


def test_imdb_reversed_bidirectional(dataset, capsys):
    dataset("imdb")
    example = load_example("imdb_reversed_bidirectional")
    results = example.main(epochs=1, limit=64, verbose=0)
    kinds = ["reversed_lstm", "bidirectional_lstm"]
    # Two LSTM(32) of 8,320 weights each on a 32-dimensional embedding.
    assert results["bidirectional_lstm"]["model"].count_params() == 336_705
    assert list(results) == kinds
    # 1,280,000 embedding weights, an LSTM(32) on 128 features, one sigmoid unit.
    assert results["reversed_lstm"]["model"].count_params() == 1_300_641
    assert last_line(capsys) == " ".join(
        f"{kind}_best_val_acc: {results[kind]['best_val_acc']:.4f}" for kind in kinds
    )
    with pytest.raises(ValueError, match=r"Received: kinds=\['gru'\]"):
        example.main(kinds=("gru",))


def test_dcgan_cifar10_frogs(tmp_path, capsys):
    example = load_example("generative/dcgan_cifar10_frogs")
    frogs = np.random.default_rng(0).random((6, 32, 32, 3)).astype("float32")
    result = example.main(iterations=2, save_dir=tmp_path, x_train=frogs, batch_size=2, grid=1)
    # Dense 32 -> 128*16*16; Conv2D 128 -> 256 (5x5); Conv2DTranspose 256 -> 256 (4x4); two
    # Conv2D 256 -> 256 (5x5); Conv2D 256 -> 3 (7x7), each with its biases.
    generator = 33 * 32768 + (25 * 128 + 1) * 256 + (16 * 256 + 1) * 256
    generator += 2 * (25 * 256 + 1) * 256 + (49 * 256 + 1) * 3
    assert result["generator"].count_params() == generator == 6_264_579
    # Conv2D 3 -> 128 (3x3) to 30x30, three Conv2D 128 -> 128 (4x4, strides 2) to 14, 6 and 2,
    # then Dense on the 2*2*128 features.
    discriminator = (9 * 3 + 1) * 128 + 3 * (16 * 128 + 1) * 128 + 2 * 2 * 128 + 1
    assert result["discriminator"].count_params() == discriminator == 790_913
    # Frozen after its compile, the discriminator is no part of what the GAN trains.
    assert [id(w) for w in result["gan"].trainable_weights] == [
        id(w) for w in result["generator"].trainable_weights
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "gan.weights.safetensors",
        "generated_00000.png",
        "generated_00001.png",
        "real_frogs.png",
    ]
    assert last_line(capsys).startswith(
        f"d_loss: {result['d_loss']:.4f} a_loss: {result['a_loss']:.4f} iterations: 2 time: "
    )
