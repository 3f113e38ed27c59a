"""MNIST handwritten digits, shipped inside lamina so it loads offline."""

from pathlib import Path

from lamina.datasets import files, idx

DATA_DIR = Path(__file__).parent / "data" / "mnist"

# sha256 of the .gz files shipped in DATA_DIR (from shared/datasets/SHA256SUMS).
SHIPPED_SHA256 = {
    idx.TRAIN_IMAGES: "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    idx.TRAIN_LABELS: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    idx.TEST_IMAGES: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    idx.TEST_LABELS: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
# sha256 of the decompressed IDX bytes, for copies found elsewhere: mirrors recompress the
# .gz files (the shipped train images are not byte-identical to the original .gz).
CONTENT_SHA256 = {
    idx.TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    idx.TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    idx.TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    idx.TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
ORIGINS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",)


def load_data(path: str = "mnist.npz") -> tuple[idx.Split, idx.Split]:
    """Loads the MNIST dataset: 60,000 training and 10,000 test 28x28 digit images.

    The files ship with lamina and are checked against their sha256 on every load. Only if
    they are missing from the installation are they looked for in `$LAMINA_DATA/mnist/`,
    the cache `$LAMINA_HOME/datasets/mnist/`, then downloaded.

    Args:
        path: kept for Keras compatibility (its name for the cached `.npz`); unused, since
            lamina reads the original IDX files and caches nothing for MNIST.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes `(60000, 28, 28)`,
        `(60000,)`, `(10000, 28, 28)` and `(10000,)`; pixels 0-255, labels 0-9.

    Raises:
        ValueError: a shipped file is corrupt (its sha256 differs).

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_data()
        >>> x_train.shape, y_train[:3].tolist()
        ((60000, 28, 28), [5, 0, 4])
    """
    paths = _shipped_files()
    if paths is None:
        paths = files.find_dataset_files("mnist", CONTENT_SHA256, ORIGINS, idx.gunzip_sha256)
    return idx.read_mnist_files(paths, train=60000, test=10000)


def _shipped_files() -> dict[str, Path] | None:
    paths = {name: DATA_DIR / name for name in SHIPPED_SHA256}
    if not all(p.is_file() for p in paths.values()):
        return None
    for name, path in paths.items():
        received = files.sha256_file(path)
        if received != SHIPPED_SHA256[name]:
            raise ValueError(
                f"The MNIST file shipped with lamina is corrupt: {path} should have sha256 "
                f"{SHIPPED_SHA256[name]}; reinstall lamina. Received: sha256={received}"
            )
    return paths
