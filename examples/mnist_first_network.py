"""The book's first network (Deep Learning with Python, 2.1): a two-layer MLP on MNIST.

The program is the book's, with `keras` replaced by `lamina` in the imports. It prints the test
accuracy last (the book reports 0.9777).
"""

from lamina import layers, models
from lamina.datasets import mnist
from lamina.utils import set_random_seed, to_categorical

set_random_seed(1)

(train_images, train_labels), (test_images, test_labels) = mnist.load_data()

network = models.Sequential()
network.add(layers.Dense(512, activation="relu", input_shape=(28 * 28,)))
network.add(layers.Dense(10, activation="softmax"))
network.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
network.summary()

train_images = train_images.reshape((60000, 28 * 28)).astype("float32") / 255
test_images = test_images.reshape((10000, 28 * 28)).astype("float32") / 255
train_labels = to_categorical(train_labels)
test_labels = to_categorical(test_labels)

network.fit(train_images, train_labels, epochs=5, batch_size=128)
test_loss, test_acc = network.evaluate(test_images, test_labels, verbose=0)
print(f"test_acc: {test_acc:.4f}")
