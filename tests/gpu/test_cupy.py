"""The CuPy path on a real GPU: skipped where CuPy or a GPU is missing (CI has neither)."""

import numpy as np
import pytest

import lamina
from lamina import layers, models, ops
from lamina.backend import get_xp, set_device, to_numpy
from lamina.callbacks import BackupAndRestore, LambdaCallback
from lamina.testing.device_parity import compare_devices
from lamina.testing.op_registry import REGISTRY

cupy = pytest.importorskip("cupy")
try:
    HAS_GPU = cupy.cuda.runtime.getDeviceCount() > 0
except cupy.cuda.runtime.CUDARuntimeError:
    HAS_GPU = False
pytestmark = pytest.mark.skipif(not HAS_GPU, reason="no NVIDIA GPU")

CASES = [
    pytest.param(info, sample, id=f"{info.name}-{i}-{sample.desc}")
    for info in REGISTRY.values()
    if not info.is_random
    for i, sample in enumerate(info.sample_inputs())
]


@pytest.fixture
def gpu():
    set_device("gpu")
    yield
    set_device("cpu")


@pytest.mark.parametrize("info, sample", CASES)
def test_every_op_gives_the_cpu_results_on_the_gpu(info, sample):
    compare_devices(info, sample)


def _mlp(rate=0.0):
    return models.Sequential(
        [
            layers.Input((20,)),
            layers.Dense(32, activation="relu"),
            layers.Dropout(rate),
            layers.Dense(3, activation="softmax"),
        ]
    )


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 20)).astype("float32")
    y = (x[:, :3] > 0).argmax(axis=1)
    return x, y


def _train(device, rate):
    set_device(device)
    try:
        lamina.utils.set_random_seed(3)
        model = _mlp(rate)
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        x, y = _data()
        history = model.fit(x, y, epochs=3, batch_size=32, verbose=0, validation_split=0.25)
        return model, history.history
    finally:
        set_device("cpu")


@pytest.mark.parametrize("rate", [0.0, 0.5])
def test_training_on_the_gpu_follows_the_cpu_run(rate):
    cpu_model, cpu_history = _train("cpu", rate)
    gpu_model, gpu_history = _train("gpu", rate)
    assert all(get_xp(w.data) is cupy for w in gpu_model.weights)
    for key in ("loss", "val_loss", "accuracy"):
        np.testing.assert_allclose(gpu_history[key], cpu_history[key], rtol=1e-4, atol=1e-5)
    for a, b in zip(cpu_model.get_weights(), gpu_model.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5)


def test_a_seed_gives_the_same_initial_weights_on_both_devices():
    lamina.utils.set_random_seed(5)
    cpu = _mlp().get_weights()
    set_device("gpu")
    try:
        lamina.utils.set_random_seed(5)
        gpu = _mlp().get_weights()
    finally:
        set_device("cpu")
    for a, b in zip(cpu, gpu, strict=True):
        np.testing.assert_array_equal(a, b)


def test_save_and_load_on_the_gpu_predict_identically(gpu, tmp_path):
    model = _mlp()
    x, _ = _data()
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras")
    assert all(get_xp(w.data) is cupy for w in loaded.weights)
    np.testing.assert_array_equal(to_numpy(loaded.predict(x, verbose=0)), to_numpy(before))


def test_backup_and_restore_resumes_a_gpu_run(gpu, tmp_path):
    x, y = _data()
    batches = []

    def run(epochs, callbacks):
        lamina.utils.set_random_seed(1)
        model = _mlp(0.5)
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=callbacks)
        return model

    straight = run(3, [])
    run(2, [BackupAndRestore(tmp_path, delete_checkpoint=False)])
    count = LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))
    resumed = run(3, [BackupAndRestore(tmp_path), count])
    assert len(batches) == 8  # only the third epoch ran
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


def test_variables_take_host_arrays_and_strings_stay_on_the_host(gpu):
    v = lamina.Variable(np.zeros((2, 2), "float32"))
    v.assign(np.ones((2, 2), "float32"))
    v.assign_add(np.ones((2, 2), "float32"))
    assert get_xp(v.data) is cupy
    np.testing.assert_array_equal(v.numpy(), np.full((2, 2), 2.0))
    words = ops.convert_to_tensor(np.array(["a", "b"]))
    assert isinstance(words.data, np.ndarray)
