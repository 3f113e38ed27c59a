"""The book's first network on 10,000 MNIST training images reaches 93% test accuracy."""

import time

import lamina
from lamina import layers


def test_book_network_on_a_mnist_subset():
    start = time.perf_counter()
    lamina.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = lamina.datasets.mnist.load_data()
    x_train = x_train[:10_000].reshape(10_000, 28 * 28).astype("float32") / 255
    y_train = lamina.utils.to_categorical(y_train[:10_000], 10)
    x_test = x_test.reshape(10_000, 28 * 28).astype("float32") / 255
    y_test = lamina.utils.to_categorical(y_test, 10)

    network = lamina.Sequential(
        [
            layers.Dense(512, activation="relu", input_shape=(28 * 28,)),
            layers.Dense(10, activation="softmax"),
        ]
    )
    network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = network.fit(x_train, y_train, epochs=5, batch_size=128, verbose=0)
    test_loss, test_acc = network.evaluate(x_test, y_test, verbose=0)
    elapsed = time.perf_counter() - start

    assert history.history["acc"][-1] > history.history["acc"][0]
    assert test_acc >= 0.93, f"test accuracy {test_acc:.4f} (loss {test_loss:.4f})"
    assert elapsed < 60, f"took {elapsed:.1f} s"
