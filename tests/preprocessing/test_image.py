"""Image files and ImageDataGenerator: exact transforms on synthetic PNGs, real cats/dogs JPEGs."""

import os
import pickle
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.preprocessing import image
from lamina.preprocessing.image import ImageDataGenerator, apply_affine_transform

Image = pytest.importorskip("PIL.Image", reason="the image tests need Pillow")

SHARED = Path(__file__).parents[2].parent / "shared" / "datasets"
CATS_DOGS = SHARED / "cats_vs_dogs" / "cats_and_dogs_filtered.tar.gz"
HWC = {"row_axis": 0, "col_axis": 1, "channel_axis": 2}


def extract_cats_dogs(root: Path, per_class: int) -> Path:
    """Write the first `per_class` training cats and dogs to root/{cats,dogs}/ (streamed)."""
    if not CATS_DOGS.is_file():
        pytest.skip(f"the shared cats_vs_dogs copy is not at {CATS_DOGS}")
    prefix = "cats_and_dogs_filtered/train/"
    want = {f"{prefix}{c}s/{c}.{i}.jpg" for c in ("cat", "dog") for i in range(per_class)}
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


@pytest.fixture(scope="module")
def cats_dogs(tmp_path_factory) -> Path:
    return extract_cats_dogs(tmp_path_factory.mktemp("cats_dogs"), per_class=5)


def write_png(path: Path, pixels: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "L" if pixels.ndim == 2 else "RGB"
    Image.fromarray(pixels.astype(np.uint8), mode).save(path)


def ramp(h: int = 4, w: int = 5) -> np.ndarray:
    """An (h, w, 3) uint8 image whose pixels are all different: red=row, green=col."""
    r, c = np.indices((h, w))
    return np.stack([r * 10, c * 10, r * w + c], axis=-1).astype(np.uint8)


# load_img, img_to_array, array_to_img, save_img


def test_load_img_reads_a_png_exactly(tmp_path):
    write_png(tmp_path / "a.png", ramp())
    img = image.load_img(tmp_path / "a.png")
    assert img.mode == "RGB" and img.size == (5, 4)
    x = image.img_to_array(img)
    assert x.dtype == np.float32 and x.shape == (4, 5, 3)
    np.testing.assert_array_equal(x, ramp())
    assert image.img_to_array(img, data_format="channels_first").shape == (3, 4, 5)


def test_load_img_color_modes_and_target_size(tmp_path):
    write_png(tmp_path / "a.png", ramp())
    gray = image.load_img(str(tmp_path / "a.png"), color_mode="grayscale")
    assert gray.mode == "L" and image.img_to_array(gray).shape == (4, 5, 1)
    assert image.load_img(tmp_path / "a.png", color_mode="rgba").mode == "RGBA"
    resized = image.load_img(tmp_path / "a.png", target_size=(8, 10), interpolation="bilinear")
    assert resized.size == (10, 8)
    # nearest upsampling by 2 repeats every pixel
    big = image.img_to_array(image.load_img(tmp_path / "a.png", target_size=(8, 10)))
    np.testing.assert_array_equal(big[::2, ::2], ramp())


def test_load_img_keep_aspect_ratio_crops_the_centre(tmp_path):
    wide = np.repeat(np.arange(30, dtype=np.uint8)[None, :], 10, axis=0)  # column c holds c
    write_png(tmp_path / "wide.png", wide)
    img = image.load_img(tmp_path / "wide.png", "grayscale", (10, 10), keep_aspect_ratio=True)
    np.testing.assert_array_equal(image.img_to_array(img)[0, :, 0], np.arange(10, 20))


def test_load_img_on_a_real_jpeg(cats_dogs):
    img = image.load_img(cats_dogs / "cats" / "cat.0.jpg", target_size=(150, 150))
    x = image.img_to_array(img)
    assert x.shape == (150, 150, 3) and 0 <= x.min() and x.max() <= 255 and x.std() > 10


def test_unreadable_and_missing_files(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match="broken.jpg"):
        image.load_img(bad)
    with pytest.raises(FileNotFoundError):
        image.load_img(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="color_mode"):
        image.load_img(bad, color_mode="cmyk")


def test_missing_pillow_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"lamina\[images\]"):
        image.load_img("whatever.png")
    with pytest.raises(ImportError, match=r"lamina\[images\]"):
        ImageDataGenerator().flow_from_directory(tmp_path)
    batch = ImageDataGenerator(horizontal_flip=True).flow(np.ones((2, 3, 3, 1)))[0]
    assert batch.shape == (2, 3, 3, 1)  # arrays need no Pillow


def test_array_to_img_round_trip_and_scaling():
    x = ramp().astype(np.float32)
    np.testing.assert_array_equal(image.img_to_array(image.array_to_img(x, scale=False)), x)
    stretched = image.img_to_array(image.array_to_img(x / 100))  # scale: min 0, max 255
    assert stretched.min() == 0 and stretched.max() == 255
    assert image.array_to_img(np.zeros((3, 3, 1))).mode == "L"
    assert image.array_to_img(np.zeros((3, 3, 4))).mode == "RGBA"
    assert image.array_to_img(np.zeros((3, 2, 2)), data_format="channels_first").size == (2, 2)
    with pytest.raises(ValueError, match="channels"):
        image.array_to_img(np.zeros((3, 3, 2)))
    with pytest.raises(ValueError, match="3D"):
        image.array_to_img(np.zeros((3, 3)))


def test_save_img_is_atomic_and_exact(tmp_path):
    path = tmp_path / "out.png"
    path.write_bytes(b"old content")
    image.save_img(path, ramp(), scale=False)
    np.testing.assert_array_equal(image.img_to_array(image.load_img(path)), ramp())
    assert os.listdir(tmp_path) == ["out.png"]  # no temporary file left behind
    with pytest.raises(ValueError, match="file_format"):
        image.save_img(tmp_path / "out.unknown", ramp())
    image.save_img(tmp_path / "raw", ramp(), file_format="png")
    assert image.load_img(tmp_path / "raw").format == "PNG"
    with pytest.warns(UserWarning, match="RGBA"):
        image.save_img(tmp_path / "x.jpg", np.zeros((4, 4, 4)))
    assert image.load_img(tmp_path / "x.jpg").size == (4, 4)


# Transforms


def test_flips_are_exact():
    x = ramp().astype(np.float32)
    gen = ImageDataGenerator()
    np.testing.assert_array_equal(gen.apply_transform(x, {"flip_horizontal": True}), x[:, ::-1])
    np.testing.assert_array_equal(gen.apply_transform(x, {"flip_vertical": True}), x[::-1])
    flipper = ImageDataGenerator(horizontal_flip=True)
    seen = {float(flipper.random_transform(x, seed=s)[0, 0, 1]) for s in range(20)}
    assert seen == {0.0, 40.0}  # the first column, or the last one after a flip


def test_whole_pixel_shifts_are_exact():
    x = ramp().astype(np.float32)
    shifted = apply_affine_transform(x, tx=1, ty=-2, fill_mode="constant", cval=-1, **HWC)
    expected = np.full_like(x, -1)
    expected[:-1, 2:] = x[1:, :-2]  # output (r, c) shows input (r + 1, c - 2)
    np.testing.assert_allclose(shifted, expected, atol=1e-5)
    gen = ImageDataGenerator(fill_mode="constant", cval=-1)
    np.testing.assert_allclose(gen.apply_transform(x, {"tx": 1, "ty": -2}), expected, atol=1e-5)


@pytest.mark.parametrize(
    ("fill_mode", "expected"),
    [
        ("nearest", [2, 3, 3, 3]),
        ("reflect", [2, 3, 3, 2]),
        ("wrap", [2, 3, 0, 1]),
        ("constant", [2, 3, 7, 7]),
    ],
)
def test_fill_modes(fill_mode, expected):
    x = np.arange(4.0).reshape(1, 4, 1)
    for order in (0, 1):
        out = apply_affine_transform(x, ty=2, fill_mode=fill_mode, cval=7, order=order, **HWC)
        np.testing.assert_allclose(out[0, :, 0], expected, atol=1e-6)


def test_rotation_by_90_degrees():
    x = np.random.default_rng(0).uniform(0, 255, (6, 6, 3)).astype(np.float32)
    clockwise = np.rot90(x, k=-1, axes=(0, 1))
    np.testing.assert_allclose(apply_affine_transform(x, theta=90, **HWC), clockwise, atol=1e-3)
    nearest = apply_affine_transform(x, theta=90, order=0, **HWC)
    np.testing.assert_array_equal(nearest, clockwise)
    gen = ImageDataGenerator(data_format="channels_first")
    chw = x.transpose(2, 0, 1)
    out = gen.apply_transform(chw, {"theta": -90})
    np.testing.assert_allclose(out, np.rot90(chw, k=1, axes=(1, 2)), atol=1e-3)


def test_zoom_and_identity_transforms_leave_the_image_alone():
    x = ramp().astype(np.float32)
    gen = ImageDataGenerator(zoom_range=0.0)
    assert gen.zoom_range == [1.0, 1.0]
    np.testing.assert_array_equal(gen.random_transform(x, seed=3), x)
    np.testing.assert_array_equal(gen.apply_transform(x, {"zx": 1.0, "zy": 1.0}), x)
    zoomed_out = apply_affine_transform(x, zx=2.0, zy=2.0, order=0, **HWC)
    assert zoomed_out.shape == x.shape and not np.array_equal(zoomed_out, x)


def test_standalone_random_transforms():
    lamina.utils.set_random_seed(0)
    x = np.random.default_rng(0).uniform(0, 255, (3, 8, 10))  # Keras's default: channels first
    for out in (
        image.random_rotation(x, 30),
        image.random_shift(x, 0.2, 0.2),
        image.random_shear(x, 20),
        image.random_zoom(x, (0.8, 1.2)),
        image.random_channel_shift(x, 10.0),
        image.random_brightness(x, (0.5, 1.5)),
    ):
        assert out.shape == x.shape and not np.array_equal(out, x)
    hwc = image.random_rotation(x.transpose(1, 2, 0), 30, **HWC)
    assert hwc.shape == (8, 10, 3)
    with pytest.raises(ValueError, match="zoom_range"):
        image.random_zoom(x, 0.2)
    with pytest.raises(ValueError, match="brightness_range"):
        image.random_brightness(x, 0.2)
    with pytest.raises(ValueError, match="3D"):
        apply_affine_transform(x[0], theta=10)


def test_rescale_channel_shift_and_brightness():
    x = np.array([[[10.0, 100.0, 200.0]]])
    np.testing.assert_allclose(ImageDataGenerator(rescale=1 / 255).standardize(x), x / 255)
    gen = ImageDataGenerator()
    np.testing.assert_allclose(
        gen.apply_transform(x, {"channel_shift_intensity": 50}), [[[60, 150, 200]]]
    )
    np.testing.assert_allclose(gen.apply_transform(x, {"brightness": 1.5}), [[[15, 150, 255]]])


def test_random_parameters_follow_keras_rules():
    gen = ImageDataGenerator(
        rotation_range=30,
        width_shift_range=0.25,
        height_shift_range=3,
        shear_range=10,
        zoom_range=[0.5, 0.9],
        channel_shift_range=5.0,
        brightness_range=(0.5, 1.5),
    )
    shape = (8, 40, 3)
    for s in range(30):
        p = gen.get_random_transform(shape, seed=s)
        assert abs(p["theta"]) <= 30 and abs(p["shear"]) <= 10
        assert abs(p["ty"]) <= 0.25 * 40  # a fraction of the width
        assert p["tx"] in (-2, -1, 0, 1, 2)  # an int: whole pixels in (-3, 3)
        assert 0.5 <= p["zx"] <= 0.9 and 0.5 <= p["zy"] <= 0.9
        assert abs(p["channel_shift_intensity"]) <= 5 and 0.5 <= p["brightness"] <= 1.5
    assert gen.get_random_transform(shape, seed=7) == gen.get_random_transform(shape, seed=7)
    picks = ImageDataGenerator(width_shift_range=[0.5]).get_random_transform(shape, seed=1)
    assert abs(picks["ty"]) == 20


@pytest.mark.parametrize(
    "kwargs",
    [
        {"zoom_range": "big"},
        {"zoom_range": (0.5, 1.0, 2.0)},
        {"brightness_range": (0.5,)},
        {"fill_mode": "mirror"},
        {"validation_split": 1.5},
        {"interpolation_order": 3},
        {"data_format": "channels_middle"},
        {"rotation_range": "40"},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        ImageDataGenerator(**kwargs)


# Standardization


def test_featurewise_centering_and_std_from_fit():
    rng = np.random.default_rng(0)
    x = rng.normal([10, 20, 30], [1, 2, 3], size=(50, 4, 4, 3)).astype(np.float32)
    gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    gen.fit(x)
    assert gen.mean.shape == (1, 1, 3) and gen.std.shape == (1, 1, 3)
    np.testing.assert_allclose(gen.mean[0, 0], x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(gen.std[0, 0], x.std(axis=(0, 1, 2)), rtol=1e-4)
    out = gen.standardize(x)
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)
    np.testing.assert_allclose(gen.standardize(x[0]), out[0], atol=1e-5)  # one image too


def test_fit_applies_rescale_and_channels_first():
    x = np.full((2, 3, 4, 4), 100.0)
    x[:, 1] = 200
    gen = ImageDataGenerator(featurewise_center=True, rescale=0.01, data_format="channels_first")
    gen.fit(x)
    np.testing.assert_allclose(gen.mean.ravel(), [1, 2, 1])
    assert gen.mean.shape == (3, 1, 1)
    np.testing.assert_allclose(gen.standardize(x[0]), 0, atol=1e-6)
    with pytest.raises(ValueError, match="rank-4"):
        gen.fit(x[0])


def test_samplewise_and_preprocessing_function():
    x = np.arange(12.0).reshape(2, 2, 3)
    centred = ImageDataGenerator(samplewise_center=True).standardize(x)
    np.testing.assert_allclose(centred, x - x.mean(), atol=1e-6)
    with pytest.warns(UserWarning, match="samplewise_center"):
        scaled = ImageDataGenerator(samplewise_std_normalization=True).standardize(x)
    np.testing.assert_allclose(scaled.std(), 1, atol=1e-4)
    gen = ImageDataGenerator(preprocessing_function=lambda v: v + 1, rescale=0.5)
    np.testing.assert_allclose(gen.standardize(x), (x + 1) * 0.5)  # the function comes first
    np.testing.assert_array_equal(x, np.arange(12.0).reshape(2, 2, 3))  # input untouched


def test_featurewise_without_fit_warns():
    gen = ImageDataGenerator(featurewise_center=True)
    with pytest.warns(UserWarning, match=r"\.fit"):
        gen.standardize(np.ones((2, 2, 3)))


def test_zca_whitening_decorrelates():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(400, 4))
    x = base @ np.array([[2, 1, 0, 0], [0, 1, 0, 0], [0, 0, 3, 1], [0, 0, 0, 1.0]])
    x = x.reshape(400, 2, 2, 1).astype(np.float32)
    with pytest.warns(UserWarning, match="featurewise_center"):
        gen = ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-8)
    gen.fit(x)
    flat = gen.standardize(x).reshape(400, 4)
    np.testing.assert_allclose(flat.T @ flat / 400, np.eye(4), atol=1e-3)


# flow


def numbered_images(n: int, size: int = 4) -> np.ndarray:
    """Image i is filled with the value i, so a batch shows which samples it holds."""
    return np.broadcast_to(np.arange(n, dtype=np.float32)[:, None, None, None], (n, size, size, 3))


def test_flow_batches_by_index_and_endlessly():
    x, y = numbered_images(10), np.arange(10)
    it = ImageDataGenerator().flow(x, y, batch_size=4, shuffle=False)
    assert isinstance(it, lamina.utils.PyDataset) and len(it) == 3
    bx, by = it[2]
    assert bx.shape == (2, 4, 4, 3) and bx.dtype == np.float32
    np.testing.assert_array_equal(by, [8, 9])
    firsts = [next(it)[1][0] for _ in range(7)]  # cycles forever
    assert firsts == [0, 4, 8, 0, 4, 8, 0]
    it.reset()
    assert next(it)[1][0] == 0
    with pytest.raises(IndexError):
        it[3]


def test_flow_shuffles_each_epoch_and_keeps_pairs():
    x, y = numbered_images(10), np.arange(10)
    it = ImageDataGenerator().flow(x, y, batch_size=4, seed=1)
    epochs = []
    for _ in range(3):
        batches = [it[i] for i in range(len(it))]
        it.on_epoch_end()  # as fit does after reading a PyDataset by index
        for bx, by in batches:
            np.testing.assert_array_equal(bx[:, 0, 0, 0], by)  # each label with its image
        epochs.append(np.concatenate([by for _, by in batches]))
    for order in epochs:
        assert sorted(order) == list(range(10))
    assert not np.array_equal(epochs[0], epochs[1])
    again = ImageDataGenerator().flow(x, y, batch_size=4, seed=1)
    by_next = [np.concatenate([next(again)[1] for _ in range(3)]) for _ in range(2)]
    np.testing.assert_array_equal(by_next[0], epochs[0])  # next() wraps into a new epoch
    np.testing.assert_array_equal(by_next[1], epochs[1])


def test_flow_augmentation_is_reproducible_with_a_seed():
    x = np.random.default_rng(0).uniform(0, 255, (6, 8, 8, 3))
    gen = ImageDataGenerator(rotation_range=30, width_shift_range=0.2, horizontal_flip=True)
    a = gen.flow(x, batch_size=3, seed=5)
    b = gen.flow(x, batch_size=3, seed=5)
    first = next(a)
    np.testing.assert_array_equal(first, next(b))
    assert not np.array_equal(first, a[0])  # a second visit draws new transforms
    copy = pickle.loads(pickle.dumps(b))
    assert copy[1].shape == (3, 8, 8, 3)


def test_flow_outputs_sample_weight_subsets_and_extra_arrays():
    x, y, w = numbered_images(10), np.arange(10) % 2, np.linspace(0, 1, 10)
    gen = ImageDataGenerator(validation_split=0.3)
    bx, by, bw = gen.flow(x, y, sample_weight=w, batch_size=10, shuffle=False)[0]
    np.testing.assert_array_equal(bw, w)
    val = gen.flow(x, y, batch_size=10, shuffle=False, subset="validation")
    train = gen.flow(x, y, batch_size=10, shuffle=False, subset="training")
    np.testing.assert_array_equal(val[0][0][:, 0, 0, 0], [0, 1, 2])
    np.testing.assert_array_equal(train[0][0][:, 0, 0, 0], np.arange(3, 10))
    images_only = gen.flow(x, batch_size=5, shuffle=False)[0]
    assert isinstance(images_only, np.ndarray) and images_only.shape == (5, 4, 4, 3)
    (bx, extra), by = gen.flow((x, np.arange(10) * 10), y, batch_size=5, shuffle=False)[1]
    np.testing.assert_array_equal(extra, [50, 60, 70, 80, 90])


def test_flow_bad_inputs():
    gen = ImageDataGenerator(validation_split=0.5)
    with pytest.raises(ValueError, match="rank-4"):
        gen.flow(np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match="same length"):
        gen.flow(np.zeros((4, 2, 2, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="different classes"):
        gen.flow(np.zeros((4, 2, 2, 3)), np.array([0, 0, 1, 1]), subset="training")
    gen.flow(
        np.zeros((4, 2, 2, 3)), np.array([0, 0, 1, 1]), subset="training", ignore_class_split=True
    )
    with pytest.raises(ValueError, match="batch_size"):
        gen.flow(np.zeros((4, 2, 2, 3)), batch_size=0)
    with pytest.raises(ValueError, match="validation_split"):
        ImageDataGenerator().flow(np.zeros((4, 2, 2, 3)), subset="training")


def tiny_classifier(input_shape, units=1, activation="sigmoid"):
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [lamina.Input(input_shape), layers.Flatten(), layers.Dense(units, activation=activation)]
    )
    loss = "binary_crossentropy" if units == 1 else "categorical_crossentropy"
    model.compile(optimizer="rmsprop", loss=loss, metrics=["accuracy"])
    return model


def test_fit_on_flow_both_styles():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (20, 6, 6, 3)).astype(np.float32)
    y = (x.mean(axis=(1, 2, 3)) > 127).astype(np.float32)
    gen = ImageDataGenerator(rescale=1 / 255, horizontal_flip=True, rotation_range=10)
    model = tiny_classifier((6, 6, 3))
    history = model.fit(gen.flow(x, y, batch_size=8), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    history = model.fit_generator(
        gen.flow(x, y, batch_size=8), steps_per_epoch=5, epochs=2, verbose=0
    )
    assert np.isfinite(history.history["loss"]).all()
    threaded = gen.flow(x, y, batch_size=4, seed=0)
    threaded.workers = 2  # PyDataset's prefetching threads
    assert len(model.fit(threaded, epochs=2, verbose=0).history["loss"]) == 2


# flow_from_directory


def test_flow_from_directory_on_cats_and_dogs(cats_dogs, capsys):
    gen = ImageDataGenerator(rescale=1 / 255)
    it = gen.flow_from_directory(
        cats_dogs, target_size=(150, 150), batch_size=4, class_mode="binary", shuffle=False
    )
    assert "Found 10 images belonging to 2 classes." in capsys.readouterr().out
    assert it.class_indices == {"cats": 0, "dogs": 1} and it.samples == 10 and len(it) == 3
    assert it.filenames[0] == os.path.join("cats", "cat.0.jpg")
    np.testing.assert_array_equal(it.classes, [0] * 5 + [1] * 5)
    bx, by = it[1]
    assert bx.shape == (4, 150, 150, 3) and bx.dtype == np.float32
    assert 0 <= bx.min() and bx.max() <= 1
    np.testing.assert_array_equal(by, [0, 1, 1, 1])
    direct = image.img_to_array(image.load_img(it.filepaths[0], target_size=(150, 150))) / 255
    np.testing.assert_allclose(it[0][0][0], direct, rtol=1e-6)


@pytest.mark.parametrize(
    ("class_mode", "label_shape"),
    [("categorical", (4, 2)), ("sparse", (4,)), ("input", (4, 32, 32, 1)), (None, None)],
)
def test_flow_from_directory_class_modes(cats_dogs, class_mode, label_shape):
    it = ImageDataGenerator().flow_from_directory(
        cats_dogs,
        target_size=(32, 32),
        color_mode="grayscale",
        class_mode=class_mode,
        batch_size=4,
        seed=0,
    )
    batch = it[0]
    if class_mode is None:
        assert batch.shape == (4, 32, 32, 1)
    else:
        assert batch[1].shape == label_shape and batch[1].dtype == np.float32
    if class_mode == "categorical":
        np.testing.assert_array_equal(batch[1].sum(axis=1), 1)


def test_flow_from_directory_subsets_and_augmented_fit(cats_dogs):
    gen = ImageDataGenerator(
        rescale=1 / 255,
        validation_split=0.4,
        rotation_range=40,
        width_shift_range=0.2,
        height_shift_range=0.2,
        shear_range=0.2,
        zoom_range=0.2,
        horizontal_flip=True,
    )
    train = gen.flow_from_directory(
        cats_dogs, (24, 24), batch_size=4, class_mode="binary", subset="training", seed=1
    )
    val = gen.flow_from_directory(
        cats_dogs, (24, 24), batch_size=4, class_mode="binary", subset="validation", seed=1
    )
    assert (train.samples, val.samples) == (6, 4)
    assert set(train.filenames).isdisjoint(val.filenames)
    assert os.path.join("cats", "cat.0.jpg") in val.filenames  # the first of each class
    model = tiny_classifier((24, 24, 3))
    history = model.fit(
        train, steps_per_epoch=2, epochs=2, validation_data=val, validation_steps=1, verbose=0
    )
    assert "val_loss" in history.history


def test_flow_from_directory_folder_problems(tmp_path):
    gen = ImageDataGenerator()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty"):
        gen.flow_from_directory(tmp_path / "empty")
    write_png(tmp_path / "flat" / "a.png", ramp())
    with pytest.raises(ValueError, match="no class subfolders"):
        gen.flow_from_directory(tmp_path / "flat")
    (tmp_path / "noimages" / "cats").mkdir(parents=True)
    (tmp_path / "noimages" / "cats" / "notes.txt").write_text("hi")
    with pytest.raises(ValueError, match="no image files"):
        gen.flow_from_directory(tmp_path / "noimages")
    with pytest.raises(FileNotFoundError, match="nowhere"):
        gen.flow_from_directory(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="birds"):
        gen.flow_from_directory(tmp_path / "flat", classes=["birds"])
    for name in ("a", "b", "c"):
        write_png(tmp_path / "three" / name / "x.png", ramp())
    with pytest.raises(ValueError, match="exactly 2 classes"):
        gen.flow_from_directory(tmp_path / "three", class_mode="binary")
    with pytest.raises(ValueError, match="class_mode"):
        gen.flow_from_directory(tmp_path / "three", class_mode="multi")
    with pytest.raises(ValueError, match="interpolation"):
        gen.flow_from_directory(tmp_path / "three", interpolation="cubic")


def test_flow_from_directory_unreadable_images(tmp_path):
    write_png(tmp_path / "cats" / "good.png", ramp())
    write_png(tmp_path / "dogs" / "good.png", ramp())
    (tmp_path / "dogs" / "bad.png").write_bytes(b"\x89PNG garbage")
    (tmp_path / ".ipynb_checkpoints").mkdir()  # hidden folders are not classes
    gen = ImageDataGenerator()
    it = gen.flow_from_directory(tmp_path, target_size=(4, 5), batch_size=3, shuffle=False)
    assert it.samples == 3 and it.num_classes == 2
    with pytest.raises(ValueError, match="bad.png"):
        it[0]
    with pytest.warns(UserWarning, match="bad.png"):
        skipping = gen.flow_from_directory(tmp_path, target_size=(4, 5), on_error="skip")
    assert skipping.samples == 2
    np.testing.assert_array_equal(skipping[0][0][0], ramp())
    with pytest.raises(ValueError, match="on_error"):
        gen.flow_from_directory(tmp_path, on_error="ignore")


def test_save_to_dir_writes_the_augmented_images(tmp_path):
    out = tmp_path / "previews"
    out.mkdir()
    it = ImageDataGenerator(horizontal_flip=True).flow(
        numbered_images(3, size=8) * 50, batch_size=3, save_to_dir=out, save_prefix="aug"
    )
    it[0]
    names = sorted(os.listdir(out))
    assert len(names) == 3 and all(n.startswith("aug_") and n.endswith(".png") for n in names)
