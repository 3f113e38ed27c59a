"""The book's first network (Deep Learning with Python, 2.1), trained on several processes.

The program of mnist_first_network.py with one line added, `set_distribution(DataParallel())`:
each process trains on its half of every batch of 128 and the gradients are averaged, so two
processes train as one would. Launch it with

    mpiexec -n 2 python -m mpi4py examples/mnist_distributed.py

Only rank 0 prints; it prints the test accuracy last.
"""

from lamina import layers, models
from lamina.datasets import mnist
from lamina.distribution import DataParallel, is_chief, set_distribution
from lamina.utils import set_random_seed, to_categorical

set_random_seed(1)
set_distribution(DataParallel())

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()

network = models.Sequential()
network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
network.add(layers.Dense(10, activation="softmax"))
network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
if is_chief():
    network.summary()

train_images = train_images.reshape((60000, 28 * 28)).astype("float32") / 255
test_images = test_images.reshape((10000, 28 * 28)).astype("float32") / 255
train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)

network.fit(train_images, train_labels, epochs=5, batch_size=128)
test_loss, test_acc = network.evaluate(test_images, test_labels, verbose=0)
if is_chief():
    print(f"test_acc: {test_acc:.4f}")
