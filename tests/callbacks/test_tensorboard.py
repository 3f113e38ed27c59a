"""TensorBoard: the event files read back by TensorBoard's own reader and its server."""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks import LambdaCallback, TensorBoard
from lamina.callbacks.tensorboard import weight_image

HAS_WRITER = importlib.util.find_spec("tensorboardX") is not None
HAS_READER = HAS_WRITER and importlib.util.find_spec("tensorboard") is not None
needs_writer = pytest.mark.skipif(
    not HAS_WRITER,
    reason='TensorBoard writes through tensorboardX: pip install "lamina[tensorboard]"',
)
needs_reader = pytest.mark.skipif(
    not HAS_READER,
    reason="reading the event files back needs tensorboardX and the tensorboard package "
    '(pip install "lamina[test]")',
)


def make_model():
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [
            lamina.Input((4,)),
            layers.Dense(3, activation="relu", name="hidden"),
            layers.Dense(1, name="out"),
        ],
        name="net",
    )
    model.compile(optimizer=lamina.optimizers.SGD(learning_rate=0.01), loss="mse", metrics=["mae"])
    return model


def fit(model, callbacks, epochs=3, **kwargs):
    x = np.random.default_rng(0).normal(size=(40, 4)).astype("float32")
    kwargs.setdefault("validation_split", 0.2)
    return model.fit(
        x,
        x.sum(axis=1, keepdims=True),
        batch_size=8,
        epochs=epochs,
        verbose=0,
        callbacks=callbacks,
        **kwargs,
    )


def read_run(path):
    """The accumulator of one run, holding every event."""
    from tensorboard.backend.event_processing import event_accumulator

    sizes = {"scalars": 0, "histograms": 0, "images": 0, "tensors": 0}
    acc = event_accumulator.EventAccumulator(str(path), size_guidance=sizes)
    acc.Reload()
    return acc


def series(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


@needs_reader
def test_epoch_scalars_equal_history(tmp_path):
    history = fit(make_model(), [TensorBoard(tmp_path)]).history
    train, val = read_run(tmp_path / "train"), read_run(tmp_path / "validation")
    assert set(train.Tags()["scalars"]) == {"epoch_loss", "epoch_mae", "epoch_learning_rate"}
    assert set(val.Tags()["scalars"]) == {
        "epoch_loss",
        "epoch_mae",
        "evaluation_loss_vs_iterations",
        "evaluation_mae_vs_iterations",
    }
    for name in ("loss", "mae"):
        expected = list(enumerate(np.float32(history[name])))
        assert series(train, f"epoch_{name}") == expected
        assert series(val, f"epoch_{name}") == list(enumerate(np.float32(history[f"val_{name}"])))
    assert series(train, "epoch_learning_rate") == [(e, np.float32(0.01)) for e in range(3)]
    # 32 training samples in batches of 8: 4 optimizer steps an epoch.
    evaluation = series(val, "evaluation_loss_vs_iterations")
    assert evaluation == [(4 * (e + 1), np.float32(v)) for e, v in enumerate(history["val_loss"])]


@needs_reader
def test_steps_per_second(tmp_path):
    fit(make_model(), [TensorBoard(tmp_path, write_steps_per_second=True, update_freq=2)])
    train = read_run(tmp_path / "train")
    assert [s for s, _ in series(train, "epoch_steps_per_second")] == [0, 1, 2]
    assert [s for s, _ in series(train, "batch_steps_per_second")] == [2, 4, 6, 8, 10, 12]
    assert all(v > 0 for _, v in series(train, "epoch_steps_per_second"))


@needs_reader
@pytest.mark.parametrize("update_freq, every", [("batch", 1), (3, 3)])
def test_batch_series(tmp_path, update_freq, every):
    batch_logs = []
    record = LambdaCallback(on_train_batch_end=lambda batch, logs: batch_logs.append(logs))
    fit(make_model(), [TensorBoard(tmp_path, update_freq=update_freq), record])
    train = read_run(tmp_path / "train")
    steps = range(every, len(batch_logs) + 1, every)  # counted from 1 over the whole fit
    for name in ("loss", "mae"):
        expected = [(s, np.float32(batch_logs[s - 1][name])) for s in steps]
        assert series(train, f"batch_{name}") == expected
    assert not any(
        t.startswith("batch_") for t in read_run(tmp_path / "validation").Tags()["scalars"]
    )


@needs_reader
def test_no_batch_series_per_epoch(tmp_path):
    fit(make_model(), [TensorBoard(tmp_path)])
    assert not any(t.startswith("batch_") for t in read_run(tmp_path / "train").Tags()["scalars"])


@needs_reader
def test_histograms_and_images_every_n_epochs(tmp_path):
    model = make_model()
    fit(model, [TensorBoard(tmp_path, histogram_freq=2, write_images=True)])
    train = read_run(tmp_path / "train")
    paths = [w.path for layer in model.layers for w in layer.weights]
    assert paths[0] == "net/hidden/kernel"
    assert set(train.Tags()["histograms"]) == {f"{p}/histogram" for p in paths}
    last = train.Histograms("net/hidden/kernel/histogram")
    assert [h.step for h in last] == [0, 2]
    kernel = model.layers[0].kernel.numpy()
    assert last[-1].histogram_value.num == kernel.size
    assert last[-1].histogram_value.sum == pytest.approx(kernel.sum(), rel=1e-5)
    # The (1,) bias of the last layer squeezes to a scalar: no image, as in Keras.
    assert set(train.Tags()["images"]) == {f"{p}/image" for p in paths[:3]}
    image = train.Images("net/hidden/kernel/image")[-1]
    assert (image.step, image.width, image.height) == (2, 4, 3)  # the 4x3 kernel, transposed


def test_weight_image_layouts():
    bias = weight_image(np.array([1.0, 2.0, 3.0]))
    assert bias.shape == (1, 1, 3, 1)
    assert bias.ravel().tolist() == [0.0, 0.5, 1.0]  # the weight's range fills [0, 1]
    tall = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(weight_image(tall)[0, ..., 0], tall.T / 5, rtol=1e-6)
    conv = np.arange(2 * 2 * 5, dtype=float).reshape(2, 2, 1, 5)  # one input channel
    image = weight_image(conv)
    assert image.shape == (5, 2, 2, 1)
    np.testing.assert_allclose(image[1, ..., 0], conv[..., 0, 1] / 19, rtol=1e-6)
    assert weight_image(np.zeros((3, 3, 2, 8))) is None  # 8 "channels": not an image
    assert weight_image(np.ones(4)).max() == 0.0


@needs_reader
def test_graph_is_the_keras_model_config(tmp_path):
    model = make_model()
    fit(model, [TensorBoard(tmp_path)])
    train = read_run(tmp_path / "train")
    assert train.Tags()["tensors"] == ["keras"]
    (event,) = train.Tensors("keras")
    assert event.step == 0
    assert json.loads(event.tensor_proto.string_val[0]) == json.loads(model.to_json())
    metadata = train.SummaryMetadata("keras").plugin_data
    assert (metadata.plugin_name, metadata.content) == ("graph_keras_model", b"1")


@needs_reader
def test_functional_graph_has_the_layer_edges(tmp_path):
    from tensorboard.plugins.graph import keras_util

    inputs = lamina.Input((4,), name="x")
    total = layers.Add(name="sum")(
        [layers.Dense(1, name="a")(inputs), layers.Dense(1, name="b")(inputs)]
    )
    model = lamina.Model(inputs, total, name="fn")
    model.compile(optimizer="sgd", loss="mse")
    fit(model, [TensorBoard(tmp_path)], epochs=1)
    (event,) = read_run(tmp_path / "train").Tensors("keras")
    graph = keras_util.keras_model_to_graph_def(json.loads(event.tensor_proto.string_val[0]))
    edges = {node.name: list(node.input) for node in graph.node}
    assert edges == {"fn/x": [], "fn/a": ["fn/x"], "fn/b": ["fn/x"], "fn/sum": ["fn/a", "fn/b"]}


@needs_reader
def test_no_graph_when_not_asked(tmp_path):
    fit(make_model(), [TensorBoard(tmp_path, write_graph=False)])
    assert read_run(tmp_path / "train").Tags()["tensors"] == []


def embedding_model():
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [
            lamina.Input((3,), dtype="int32"),
            layers.Embedding(5, 2, name="words"),
            layers.Flatten(),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    return model


def fit_ids(model, callbacks, epochs=2):
    ids = np.random.default_rng(0).integers(0, 5, size=(16, 3))
    return model.fit(
        ids,
        ids.sum(axis=1, keepdims=True) / 10.0,
        epochs=epochs,
        batch_size=8,
        verbose=0,
        callbacks=callbacks,
    )


@needs_writer
def test_embeddings_for_the_projector(tmp_path):
    labels = ["pad", "cat", "dog", "fish", "bird"]
    (tmp_path / "words.tsv").write_text("\n".join(labels) + "\n", encoding="utf-8")
    model = embedding_model()
    fit_ids(model, [TensorBoard(tmp_path, embeddings_freq=1, embeddings_metadata="words.tsv")])
    config = (tmp_path / "train" / "projector_config.pbtxt").read_text()
    assert config.count("embeddings {") == 2  # epochs 0 and 1
    assert 'tensor_path: "00001/words/tensors.tsv"' in config
    folder = tmp_path / "train" / "00001" / "words"
    assert (folder / "metadata.tsv").read_text().splitlines() == labels
    written = np.loadtxt(folder / "tensors.tsv", delimiter="\t")
    np.testing.assert_allclose(written, model.get_layer("words").embeddings.numpy(), rtol=1e-6)


@needs_writer
def test_embeddings_metadata_with_columns_by_layer_name(tmp_path):
    rows = ["word\tcount", "pad\t0", "cat\t3", "dog\t2", "fish\t1", "bird\t5"]
    path = tmp_path / "meta.tsv"
    path.write_text("\n".join(rows), encoding="utf-8")
    tb = TensorBoard(tmp_path / "logs", embeddings_freq=2, embeddings_metadata={"words": path})
    fit_ids(embedding_model(), [tb], epochs=3)
    assert sorted(os.listdir(tmp_path / "logs" / "train" / "00002")) == ["words"]
    written = tmp_path / "logs" / "train" / "00000" / "words" / "metadata.tsv"
    assert written.read_text().splitlines() == rows


@needs_writer
def test_embeddings_metadata_errors(tmp_path):
    tb = TensorBoard(tmp_path, embeddings_freq=1, embeddings_metadata={"wordz": "m.tsv"})
    with pytest.raises(ValueError, match=r"not embedding layers of the model \['wordz'\]"):
        fit_ids(embedding_model(), [tb])
    (tmp_path / "short.tsv").write_text("a\nb\n")
    tb = TensorBoard(tmp_path, embeddings_freq=1, embeddings_metadata="short.tsv")
    with pytest.raises(ValueError, match=r"has 2 rows of labels.*input_dim=5"):
        fit_ids(embedding_model(), [tb])
    tb = TensorBoard(tmp_path, embeddings_freq=1, embeddings_metadata="missing.tsv")
    with pytest.raises(ValueError, match="was found neither in log_dir"):
        fit_ids(embedding_model(), [tb])


@needs_reader
def test_second_fit_appends_and_continues_the_epochs(tmp_path):
    model, tb = make_model(), TensorBoard(tmp_path, update_freq="batch")
    first = fit(model, [tb], epochs=2).history
    assert tb._writers == {}  # closed at the end of fit
    second = fit(model, [tb], epochs=4, initial_epoch=2).history
    assert len(os.listdir(tmp_path / "train")) == 2  # one event file per fit
    train = read_run(tmp_path / "train")
    losses = np.float32(first["loss"] + second["loss"])
    assert series(train, "epoch_loss") == list(enumerate(losses))
    # The batch counter goes on: TensorBoard drops the points of a series whose step goes back.
    assert [s for s, _ in series(train, "batch_loss")] == list(range(1, 17))


@needs_reader
def test_files_open_lazily_and_evaluate_writes_and_closes(tmp_path):
    model = make_model()
    tb = TensorBoard(tmp_path / "logs", write_graph=False)
    assert not (tmp_path / "logs").exists()
    x = np.ones((8, 4), "float32")
    loss, _ = model.evaluate(x, x.sum(axis=1, keepdims=True), verbose=0, callbacks=[tb])
    assert os.listdir(tmp_path / "logs") == ["validation"]
    assert tb._writers == {}
    val = read_run(tmp_path / "logs" / "validation")
    assert series(val, "evaluation_loss_vs_iterations") == [(0, np.float32(loss))]


def test_needs_tensorboardx(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r'pip install "lamina\[tensorboard\]"'):
        TensorBoard()


@needs_writer
@pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="tensorboardX imports PyTorch only if present"
)
def test_writing_does_not_import_torch(tmp_path):
    program = f"""
import sys
import numpy as np
import lamina
model = lamina.Sequential([lamina.Input((2,)), lamina.layers.Dense(1)])
model.compile("sgd", "mse")
tb = lamina.callbacks.TensorBoard({str(tmp_path)!r}, histogram_freq=1, write_images=True)
model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0, callbacks=[tb])
assert "tensorboardX" in sys.modules and "torch" not in sys.modules, sorted(sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert os.listdir(tmp_path / "train")


@needs_writer
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"update_freq": "step"}, "update_freq='step'"),
        ({"update_freq": 0}, "update_freq=0"),
        ({"histogram_freq": -1}, "histogram_freq=-1"),
        ({"embeddings_freq": 1.5}, "embeddings_freq=1.5"),
        ({"profile_batch": (5, 2)}, r"profile_batch=\(5, 2\)"),
        ({"profile_batch": "a,b"}, "profile_batch='a,b'"),
    ],
)
@needs_writer
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        TensorBoard(tmp_path, **kwargs)


@needs_writer
def test_bad_metadata_type(tmp_path):
    with pytest.raises(TypeError, match="embeddings_metadata=3"):
        TensorBoard(tmp_path, embeddings_metadata=3)


@needs_writer
@pytest.mark.parametrize("profile_batch", [2, (2, 4), "10,20"])
def test_profile_batch_is_accepted_with_a_warning(tmp_path, profile_batch):
    with pytest.warns(UserWarning, match="profiling is not available"):
        tb = TensorBoard(tmp_path, profile_batch=profile_batch)
    fit(make_model(), [tb], epochs=1)
    assert (tmp_path / "train").is_dir()


# ----- the real TensorBoard program ---------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def wait_for_runs(base, server, runs, timeout=90.0):
    """The scalar tags by run, once TensorBoard has loaded `runs`."""
    deadline = time.monotonic() + timeout
    while True:
        if server.poll() is not None:
            pytest.fail(f"tensorboard exited with {server.returncode}: {server.stderr.read()}")
        try:
            tags = get_json(f"{base}/data/plugin/scalars/tags")
            if set(runs) <= set(tags):
                return tags
        except (urllib.error.URLError, ConnectionError):
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"tensorboard did not serve the runs {runs} within {timeout:.0f} s")
        time.sleep(0.5)


@needs_reader
def test_tensorboard_server_shows_the_history(tmp_path):
    history = fit(make_model(), [TensorBoard(tmp_path / "net", histogram_freq=1)]).history
    (tmp_path / "words.tsv").write_text("pad\ncat\ndog\nfish\nbird\n")
    words = TensorBoard(
        tmp_path / "emb", embeddings_freq=1, embeddings_metadata=tmp_path / "words.tsv"
    )
    fit_ids(embedding_model(), [words])
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path), "--port",
         str(port), "--host", "127.0.0.1", "--load_fast=false", "--reload_interval", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        tags = wait_for_runs(base, server, ["net/train", "net/validation", "emb/train"])
        assert {"epoch_loss", "epoch_mae", "epoch_learning_rate"} <= set(tags["net/train"])
        for run, key in (("net/train", "loss"), ("net/validation", "val_loss")):
            points = get_json(f"{base}/data/plugin/scalars/scalars?run={run}&tag=epoch_loss")
            assert [step for _, step, _ in points] == [0, 1, 2]
            assert [value for _, _, value in points] == pytest.approx(history[key], rel=1e-6)
        histograms = get_json(f"{base}/data/plugin/histograms/tags")["net/train"]
        assert "net/hidden/kernel/histogram" in histograms
        url = f"{base}/data/plugin/graphs/graph?run=net/train&tag=keras&conceptual=true"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert b'name: "net/out"' in response.read()  # the layers, drawn from the config
        info = get_json(f"{base}/data/plugin/projector/info?run=emb/train")
        assert [e["tensorName"] for e in info["embeddings"]] == ["words:00000", "words:00001"]
        url = f"{base}/data/plugin/projector/metadata?run=emb/train&name=words:00001"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read().decode().split() == ["pad", "cat", "dog", "fish", "bird"]
    finally:
        server.kill()
        server.wait(timeout=30)
        server.stderr.close()
