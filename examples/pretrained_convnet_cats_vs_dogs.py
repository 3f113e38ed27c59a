"""Cats vs dogs with a pretrained VGG16 (Deep Learning with Python, 5.3).

The book's three ways of using a convolutional base trained on ImageNet, with `keras`
replaced by `lamina` in the imports, on the 2,000 training and 1,000 validation images of
`cats_and_dogs_filtered` at 150x150 (`ImageDataGenerator.flow_from_directory`, rescaled by
1/255 as in the book):

- `extract`: feature extraction without augmentation. `conv_base.predict` runs once over the
  training and validation images; a Dense(256, relu), Dropout(0.5), Dense(1, sigmoid)
  classifier trains on the (4, 4, 512) features with RMSprop(2e-5), 30 epochs of batch 20.
  The book reaches about 0.90 validation accuracy.
- `augment`: feature extraction with augmentation: `Sequential([conv_base, Flatten(),
  Dense(256, relu), Dense(1, sigmoid)])` with `conv_base.trainable = False`, trained end to
  end on augmented batches of 20 (RMSprop(2e-5), 30 epochs); the frozen base is never
  differentiated. The book reaches about 0.96.
- `finetune`: then the last block (`block5_conv1` onwards) is unfrozen and trained with the
  classifier at RMSprop(1e-5) (the book's 100 epochs); the book reaches 0.96 to 0.97.

The ImageNet weights are Keras's `vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`, found by
`VGG16(weights="imagenet")` in `$LAMINA_DATA/models/` or the cache `~/.lamina/models/` (see
the README). Offline and without that file, the program says so and runs a SMOKE TEST
instead: random weights, 40 training and 20 validation images, one epoch per part, whose
accuracies are meaningless (43 s of CPU time; 7 min on 2 cores shared with other jobs).

On 2 CPU cores VGG16 at 150x150 takes seconds per batch of 20, so `augment` (2,000 images
through the base every epoch) and `finetune` take hours at the book's epochs: pick parts and
epochs on the command line. It prints each part's last validation accuracy, then one line
with all of them.

Usage:
    LAMINA_DATA=/path/to/datasets python examples/pretrained_convnet_cats_vs_dogs.py
    python examples/pretrained_convnet_cats_vs_dogs.py extract           # one part
    python examples/pretrained_convnet_cats_vs_dogs.py extract,augment 5  # 5 epochs each
"""

import os
import sys
from pathlib import Path

import numpy as np

from lamina import layers, models, optimizers
from lamina.applications import VGG16
from lamina.preprocessing.image import ImageDataGenerator
from lamina.utils import get_file, set_random_seed

ARCHIVE = "cats_and_dogs_filtered.tar.gz"
ARCHIVE_SHA256 = "70d31b012365aa81816a7bf6c73424250e5e5e239fe6d7182ea496b52adbb4e5"
PARTS = ("extract", "augment", "finetune")
BOOK_EPOCHS = {"extract": 30, "augment": 30, "finetune": 100}
BATCH = 20
# The smoke test's subset: images per split (a multiple of the batch size).
SMOKE_SAMPLES = {"train": 40, "validation": 20}


def extracted_folder() -> Path:
    """The extracted `cats_and_dogs_filtered` folder (with `train/` and `validation/`)."""
    data = os.environ.get("LAMINA_DATA")
    if not data:
        raise FileNotFoundError(f"Set LAMINA_DATA to the folder that holds cats_vs_dogs/{ARCHIVE}.")
    archive = Path(data).expanduser().resolve() / "cats_vs_dogs" / ARCHIVE
    folder = get_file(
        "cats_and_dogs_filtered", origin=archive.as_uri(), file_hash=ARCHIVE_SHA256, extract=True
    )
    return Path(folder) / "cats_and_dogs_filtered"


def load_conv_base(image_size: int) -> tuple[models.Model, bool]:
    """VGG16 without its top and whether it holds the ImageNet weights (else random ones)."""
    shape = (image_size, image_size, 3)
    try:
        return VGG16(weights="imagenet", include_top=False, input_shape=shape), True
    except FileNotFoundError as e:
        print(f"{e}\n")
        print(
            "The ImageNet weights of VGG16 are not available offline. Running a SMOKE TEST on "
            "random weights and a small subset instead: its accuracies are meaningless."
        )
        return VGG16(weights=None, include_top=False, input_shape=shape), False


def flow(directory: Path, image_size: int, augment: bool = False):
    """The book's generator of 20 images rescaled to [0, 1] (augmented with `augment`),
    shuffled, so that a subset holds both classes."""
    augmentation = dict(
        rotation_range=40,
        width_shift_range=0.2,
        height_shift_range=0.2,
        shear_range=0.2,
        zoom_range=0.2,
        horizontal_flip=True,
    )
    datagen = ImageDataGenerator(rescale=1.0 / 255, **(augmentation if augment else {}))
    return datagen.flow_from_directory(
        directory,
        target_size=(image_size, image_size),
        batch_size=BATCH,
        class_mode="binary",
        seed=1,
    )


def extract_features(conv_base, directory: Path, sample_count: int, image_size: int):
    """`(features, labels)` of the first `sample_count` images: `conv_base.predict` per batch."""
    generator = flow(directory, image_size)
    features = np.zeros((sample_count, *conv_base.output.shape[1:]), dtype="float32")
    labels = np.zeros(sample_count, dtype="float32")
    for i in range(sample_count // BATCH):
        inputs_batch, labels_batch = generator[i]
        features[i * BATCH : (i + 1) * BATCH] = conv_base.predict(inputs_batch, verbose=0)
        labels[i * BATCH : (i + 1) * BATCH] = labels_batch
    return features, labels


def classifier_on_features(features_dim: int) -> models.Sequential:
    """The book's densely connected classifier on flattened VGG16 features."""
    model = models.Sequential(
        [
            layers.Dense(256, activation="relu", input_dim=features_dim),
            layers.Dropout(0.5),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=optimizers.RMSprop(lr=2e-5), loss="binary_crossentropy", metrics=["acc"]
    )
    return model


def main(
    parts=PARTS,
    epochs=None,
    base_dir=None,
    image_size=150,
    samples=None,
    seed=1,
    verbose=2,
):
    """Runs the chosen parts; returns `{"pretrained", "val_acc": {part: accuracy}, "models"}`.

    Args:
        parts: some of `"extract"`, `"augment"`, `"finetune"` (`finetune` needs `augment`'s
            model and runs it first when it is not chosen).
        epochs: epochs of every part; None for the book's (30, 30, 100), or 1 in a smoke test.
        base_dir: a folder with `train/` and `validation/`, each with `cats/` and `dogs/`;
            None for the extracted dataset.
        image_size: the images' height and width (the book's 150; at least 32).
        samples: `{"train": n, "validation": m}` images to use (rounded down to multiples of
            20); None for all of them, or 40 and 20 in a smoke test.
        seed: passed to `set_random_seed`.
        verbose: passed to `fit`.
    """
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise ValueError(f"Expected parts among {PARTS}. Received: parts={list(parts)}")
    set_random_seed(seed)
    base_dir = Path(base_dir) if base_dir is not None else extracted_folder()
    conv_base, pretrained = load_conv_base(image_size)
    available = {split: flow(base_dir / split, image_size).samples for split in SMOKE_SAMPLES}
    wanted = samples or (available if pretrained else SMOKE_SAMPLES)
    samples = {split: min(wanted[split], n) // BATCH * BATCH for split, n in available.items()}
    if not all(samples.values()):
        raise ValueError(
            f"Expected at least {BATCH} images in {base_dir}/train and /validation. "
            f"Received: {available}"
        )
    steps = {split: n // BATCH for split, n in samples.items()}
    epochs_of = {p: epochs or (BOOK_EPOCHS[p] if pretrained else 1) for p in PARTS}
    val_acc, trained = {}, {}

    if "extract" in parts:
        train = extract_features(conv_base, base_dir / "train", samples["train"], image_size)
        validation = extract_features(
            conv_base, base_dir / "validation", samples["validation"], image_size
        )
        dim = int(np.prod(train[0].shape[1:]))
        model = classifier_on_features(dim)
        history = model.fit(
            train[0].reshape(len(train[0]), dim),
            train[1],
            epochs=epochs_of["extract"],
            batch_size=BATCH,
            validation_data=(validation[0].reshape(len(validation[0]), dim), validation[1]),
            verbose=verbose,
        )
        val_acc["extract"] = history.history["val_acc"][-1]
        trained["extract"] = model
        print(f"feature extraction: val_acc {val_acc['extract']:.4f}")

    if "augment" in parts or "finetune" in parts:
        model = models.Sequential(
            [
                conv_base,
                layers.Flatten(),
                layers.Dense(256, activation="relu"),
                layers.Dense(1, activation="sigmoid"),
            ]
        )
        conv_base.trainable = False
        model.compile(
            optimizer=optimizers.RMSprop(lr=2e-5), loss="binary_crossentropy", metrics=["acc"]
        )
        settings = dict(
            x=flow(base_dir / "train", image_size, augment=True),
            steps_per_epoch=steps["train"],
            validation_data=flow(base_dir / "validation", image_size),
            validation_steps=steps["validation"],
            verbose=verbose,
        )
        history = model.fit(epochs=epochs_of["augment"], **settings)
        val_acc["augment"] = history.history["val_acc"][-1]
        trained["augment"] = model
        print(f"feature extraction with augmentation: val_acc {val_acc['augment']:.4f}")

    if "finetune" in parts:
        conv_base.trainable = True
        unfrozen = False
        for layer in conv_base.layers:
            unfrozen = unfrozen or layer.name == "block5_conv1"
            layer.trainable = unfrozen
        model.compile(
            optimizer=optimizers.RMSprop(lr=1e-5), loss="binary_crossentropy", metrics=["acc"]
        )
        history = model.fit(epochs=epochs_of["finetune"], **settings)
        val_acc["finetune"] = history.history["val_acc"][-1]
        trained["finetune"] = model
        print(f"fine-tuning block5: val_acc {val_acc['finetune']:.4f}")

    figures = ", ".join(f"{part} {acc:.4f}" for part, acc in val_acc.items())
    weights = "ImageNet weights" if pretrained else "SMOKE TEST, random weights: meaningless"
    print(f"val_acc ({weights}): {figures}")
    return {"pretrained": pretrained, "val_acc": val_acc, "models": trained}


if __name__ == "__main__":
    shared = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    if "LAMINA_DATA" not in os.environ and shared.is_dir():
        os.environ["LAMINA_DATA"] = str(shared)  # the data sets beside the repository
    main(
        parts=sys.argv[1].split(",") if len(sys.argv) > 1 else PARTS,
        epochs=int(sys.argv[2]) if len(sys.argv) > 2 else None,
    )
