"""Fashion-MNIST: 28x28 grayscale images of 10 kinds of clothing (Zalando, MIT license)."""

from lamina.datasets import files, idx

# Keras's mirror first, then Zalando's own (an S3 website endpoint: plain HTTP only). The
# content digests below protect both.
ORIGINS = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)
# sha256 of the decompressed IDX bytes of the verified copies in shared/datasets. The .gz
# bytes differ between mirrors (recompressed), so hashing them would reject good downloads.
CONTENT_SHA256 = {
    idx.TRAIN_LABELS: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    idx.TRAIN_IMAGES: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    idx.TEST_LABELS: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    idx.TEST_IMAGES: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
}

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def load_data() -> tuple[idx.Split, idx.Split]:
    """Loads Fashion-MNIST: 60,000 training and 10,000 test images, labels 0-9.

    Files are looked for in `$LAMINA_DATA/fashion_mnist/`, then in the cache
    `$LAMINA_HOME/datasets/fashion_mnist/` (`LAMINA_HOME` defaults to `~/.lamina`), then
    downloaded into the cache. Each is checked against a sha256 of its content. The label
    names are in `CLASS_NAMES`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes `(60000, 28, 28)`,
        `(60000,)`, `(10000, 28, 28)` and `(10000,)`.

    Raises:
        FileNotFoundError: the files are nowhere and cannot be downloaded; the message says
            where it looked and what to do.
        ValueError: a file is corrupt or not the expected one.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()  # doctest: +SKIP
        >>> CLASS_NAMES[y_train[0]]  # doctest: +SKIP
        'Ankle boot'
    """
    paths = files.find_dataset_files(
        "fashion_mnist", CONTENT_SHA256, ORIGINS, digest=idx.gunzip_sha256
    )
    return idx.read_mnist_files(paths, train=60000, test=10000)
