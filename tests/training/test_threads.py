"""Training in one thread and predicting in another: the recording state is per thread."""

import sys
import threading

import numpy as np
import pytest

import lamina
from lamina import layers


@pytest.fixture
def frequent_switches():
    """Switch threads every 10 microseconds, so that the two threads interleave finely."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("frequent_switches")
def test_fit_in_one_thread_and_predict_in_another(data, make_classifier):
    x, y = data
    trained = make_classifier()
    trained.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    # Dropout in the predicting model: were `training=True` from the other thread's fit to
    # leak into it, its predictions would change from call to call.
    predictor = lamina.Sequential(
        [layers.Dense(8, input_shape=(4,)), layers.Dropout(0.5), layers.Dense(3)]
    )
    expected = predictor.predict(x, verbose=0)
    predictions, errors = [], []
    done = threading.Event()

    def fit():
        try:
            trained.fit(x, y, batch_size=4, epochs=20, verbose=0)
        except Exception as err:  # handed to the main thread
            errors.append(err)
        finally:
            done.set()

    def predict():
        try:  # for as long as the other thread trains
            while not done.is_set() or len(predictions) < 20:
                predictions.append(predictor.predict(x, batch_size=8, verbose=0))
        except Exception as err:  # handed to the main thread
            errors.append(err)

    threads = [threading.Thread(target=predict), threading.Thread(target=fit)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(trained.history.history["loss"]) == 20
    assert np.isfinite(trained.history.history["loss"]).all()
    for p in predictions:
        np.testing.assert_array_equal(p, expected)
    assert not lamina.function.is_recording()  # nothing left switched on
