"""image_dataset_from_directory: real cats/dogs JPEGs and synthetic PNGs with known pixels."""

import os
import tarfile
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.utils.image_dataset import image_dataset_from_directory

Image = pytest.importorskip("PIL.Image", reason="the image tests need Pillow")

SHARED = Path(__file__).parents[2].parent / "shared" / "datasets"
CATS_DOGS = SHARED / "cats_vs_dogs" / "cats_and_dogs_filtered.tar.gz"


@pytest.fixture(scope="module")
def cats_dogs(tmp_path_factory) -> Path:
    """The first 6 training cats and dogs in root/{cats,dogs}/, read from the shared tar."""
    if not CATS_DOGS.is_file():
        pytest.skip(f"the shared cats_vs_dogs copy is not at {CATS_DOGS}")
    root = tmp_path_factory.mktemp("cats_dogs")
    prefix = "cats_and_dogs_filtered/train/"
    want = {f"{prefix}{c}s/{c}.{i}.jpg" for c in ("cat", "dog") for i in range(6)}
    with tarfile.open(CATS_DOGS, "r|gz") as tar:
        for member in tar:
            if member.name in want:
                target = root / member.name[len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(member).read())
                want.discard(member.name)
                if not want:
                    break
    return root


def write_png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels.astype(np.uint8), "L" if pixels.ndim == 2 else "RGB").save(path)


@pytest.fixture
def shapes(tmp_path) -> Path:
    """Three classes of 2x3 RGB PNGs; image k of class c is filled with 10 * c + k."""
    for c, name in enumerate(["circle", "square", "triangle"]):
        for k in range(c + 2):
            write_png(tmp_path / name / f"{k}.png", np.full((2, 3, 3), 10 * c + k))
    return tmp_path


def test_cats_and_dogs_batches(cats_dogs, capsys):
    ds = image_dataset_from_directory(cats_dogs, image_size=(180, 180), batch_size=5, seed=1)
    assert "Found 12 files belonging to 2 classes." in capsys.readouterr().out
    assert isinstance(ds, lamina.utils.PyDataset)
    assert ds.class_names == ["cats", "dogs"] and len(ds) == 3 and len(ds.file_paths) == 12
    first_epoch = [ds[i] for i in range(len(ds))]
    images, labels = first_epoch[0]
    assert images.shape == (5, 180, 180, 3) and images.dtype == np.float32
    assert labels.dtype == np.int32 and set(labels) <= {0, 1}
    assert 0 <= images.min() and images.max() <= 255 and images.std() > 10
    all_labels = np.concatenate([labels for _, labels in first_epoch])
    for path, label in zip(ds.file_paths, all_labels, strict=True):  # file_paths: epoch 1
        assert os.path.basename(os.path.dirname(path)) == ds.class_names[label]
    seen = [labels for _, labels in ds]  # one epoch per for loop
    assert len(seen) == 3 and sum(len(s) for s in seen) == 12


def test_label_modes(cats_dogs):
    kw = {"image_size": (16, 16), "batch_size": 4, "shuffle": False}
    _, cat = image_dataset_from_directory(cats_dogs, label_mode="categorical", **kw)[0]
    assert cat.shape == (4, 2) and cat.dtype == np.float32
    np.testing.assert_array_equal(cat, [[1, 0]] * 4)
    _, binary = image_dataset_from_directory(cats_dogs, label_mode="binary", **kw)[2]
    assert binary.shape == (4, 1) and binary.dtype == np.float32
    np.testing.assert_array_equal(binary[:, 0], [1, 1, 1, 1])
    only = image_dataset_from_directory(cats_dogs, label_mode=None, **kw)[0]
    assert isinstance(only, np.ndarray) and only.shape == (4, 16, 16, 3)
    gray = image_dataset_from_directory(cats_dogs, color_mode="grayscale", **kw)[0][0]
    assert gray.shape == (4, 16, 16, 1)
    first = image_dataset_from_directory(cats_dogs, data_format="channels_first", **kw)[0][0]
    assert first.shape == (4, 3, 16, 16)


def test_exact_pixels_order_and_unbatched(shapes):
    ds = image_dataset_from_directory(shapes, image_size=(2, 3), batch_size=None, shuffle=False)
    assert ds.class_names == ["circle", "square", "triangle"] and len(ds) == 9
    values = [int(img[0, 0, 0]) for img, _ in ds]
    assert values == [0, 1, 10, 11, 12, 20, 21, 22, 23]
    assert [int(label) for _, label in ds] == [0, 0, 1, 1, 1, 2, 2, 2, 2]
    img, _ = ds[3]
    np.testing.assert_array_equal(img, np.full((2, 3, 3), 11))


def test_shuffling_is_seeded_and_changes_every_epoch(shapes):
    def epoch(ds):
        return [int(v) for images, _ in ds for v in images[:, 0, 0, 0]]

    a = image_dataset_from_directory(shapes, image_size=(2, 3), batch_size=4, seed=3)
    b = image_dataset_from_directory(shapes, image_size=(2, 3), batch_size=4, seed=3)
    epoch1, epoch2 = epoch(a), epoch(a)
    assert epoch1 == epoch(b)
    assert sorted(epoch1) == sorted(epoch2) == [0, 1, 10, 11, 12, 20, 21, 22, 23]
    assert epoch1 != epoch2
    c = image_dataset_from_directory(shapes, image_size=(2, 3), batch_size=4, seed=3)
    assert [int(c[i][0][0, 0, 0, 0]) for i in range(len(c))] == epoch1[::4]  # by index
    for images, labels in a:  # labels stay with their images
        np.testing.assert_array_equal(images[:, 0, 0, 0] // 10, labels)


def test_validation_split(shapes):
    kw = {"image_size": (2, 3), "batch_size": None, "validation_split": 0.34, "seed": 7}
    train = image_dataset_from_directory(shapes, subset="training", **kw)
    val = image_dataset_from_directory(shapes, subset="validation", **kw)
    assert (len(train), len(val)) == (6, 3)
    assert set(train.file_paths).isdisjoint(val.file_paths)
    both = image_dataset_from_directory(shapes, subset="both", **kw)
    assert [d.file_paths for d in both] == [train.file_paths, val.file_paths]
    with pytest.raises(ValueError, match="seed"):
        image_dataset_from_directory(shapes, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="give both"):
        image_dataset_from_directory(shapes, validation_split=0.2, seed=1)
    with pytest.raises(ValueError, match="subset"):
        image_dataset_from_directory(shapes, validation_split=0.2, subset="test", seed=1)


def test_explicit_labels_class_names_and_no_labels(shapes):
    ds = image_dataset_from_directory(
        shapes,
        labels=[1, 0, 1, 0, 1, 0, 1, 0, 1],
        image_size=(2, 3),
        shuffle=False,
        batch_size=9,
    )
    np.testing.assert_array_equal(ds[0][1], [1, 0, 1, 0, 1, 0, 1, 0, 1])
    with pytest.raises(ValueError, match="one label per image"):
        image_dataset_from_directory(shapes, labels=[0, 1])
    reordered = image_dataset_from_directory(
        shapes,
        class_names=["triangle", "square", "circle"],
        shuffle=False,
        image_size=(2, 3),
        batch_size=9,
    )
    images, labels = reordered[0]
    assert int(images[0, 0, 0, 0]) == 20 and labels[0] == 0
    with pytest.raises(ValueError, match="class_names"):
        image_dataset_from_directory(shapes, class_names=["circle", "square"])
    images_only = image_dataset_from_directory(shapes, labels=None, image_size=(2, 3))[0]
    assert isinstance(images_only, np.ndarray) and images_only.shape == (9, 2, 3, 3)
    with pytest.raises(ValueError, match="exactly 2 classes"):
        image_dataset_from_directory(shapes, label_mode="binary")


def test_crop_and_pad_to_aspect_ratio(tmp_path):
    wide = np.zeros((2, 6, 3))
    wide[:, 2:4] = 200  # a bright centre
    write_png(tmp_path / "a" / "wide.png", wide)
    kw = {"image_size": (2, 2), "shuffle": False, "interpolation": "nearest"}
    cropped = image_dataset_from_directory(tmp_path, crop_to_aspect_ratio=True, **kw)[0][0]
    np.testing.assert_array_equal(cropped[0], np.full((2, 2, 3), 200))
    padded = image_dataset_from_directory(tmp_path, pad_to_aspect_ratio=True, **kw)[0][0]
    assert padded.shape == (1, 2, 2, 3) and padded[0].min() == 0  # black bars above and below
    with pytest.raises(ValueError, match="Only one"):
        image_dataset_from_directory(tmp_path, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)


def test_folder_problems(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty"):
        image_dataset_from_directory(tmp_path / "empty")
    write_png(tmp_path / "flat" / "a.png", np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="no class subfolders"):
        image_dataset_from_directory(tmp_path / "flat")
    assert len(image_dataset_from_directory(tmp_path / "flat", labels=None)) == 1
    (tmp_path / "texts" / "a").mkdir(parents=True)
    (tmp_path / "texts" / "a" / "x.txt").write_text("hello")
    with pytest.raises(ValueError, match="no image files"):
        image_dataset_from_directory(tmp_path / "texts")
    with pytest.raises(FileNotFoundError):
        image_dataset_from_directory(tmp_path / "missing")
    for bad in (
        {"label_mode": "sparse"},
        {"color_mode": "cmyk"},
        {"interpolation": "magic"},
        {"batch_size": 0},
        {"image_size": (0, 4)},
        {"labels": "folders"},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            image_dataset_from_directory(tmp_path / "flat", **bad)


def test_unreadable_images(shapes):
    (shapes / "square" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    ds = image_dataset_from_directory(shapes, image_size=(2, 3), batch_size=10, shuffle=False)
    with pytest.raises(ValueError, match="corrupt.png"):
        ds[0]
    with pytest.warns(UserWarning, match="corrupt.png"):
        ds = image_dataset_from_directory(
            shapes, image_size=(2, 3), batch_size=10, shuffle=False, on_error="skip"
        )
    assert len(ds.file_paths) == 9 and ds[0][0].shape == (9, 2, 3, 3)


def test_take_and_fit(cats_dogs):
    train = image_dataset_from_directory(
        cats_dogs, image_size=(20, 20), batch_size=4, label_mode="binary", seed=0
    )
    taken = [images.shape for images, _ in train.take(1)]
    assert taken == [(4, 20, 20, 3)] and len(train.take(-1)) == 3
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [
            lamina.Input((20, 20, 3)),
            layers.Rescaling(1 / 255) if hasattr(layers, "Rescaling") else layers.Flatten(),
            layers.Flatten(),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(train, epochs=2, validation_data=train.take(1), verbose=0)
    assert len(history.history["val_loss"]) == 2
    assert model.evaluate(train, verbose=0) is not None
