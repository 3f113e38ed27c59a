"""text_dataset_from_directory on small folders made by hand."""

import numpy as np
import pytest

import lamina
from lamina.layers.preprocessing.text_vectorization import TextVectorization
from lamina.training.py_dataset import PyDataset
from lamina.utils.text_dataset import text_dataset_from_directory

FILES = {
    "neg/b.txt": "bad movie",
    "neg/a.txt": "awful, boring",
    "pos/c.txt": "great fun",
    "pos/deep/e.txt": "loved it",
    "pos/d.txt": "good\r\nacting",
}


@pytest.fixture
def folder(tmp_path):
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    (tmp_path / "pos" / "notes.md").write_text("not a review")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.txt").write_text("ignored")
    (tmp_path / "README.txt").write_text("ignored: not in a class folder")
    return tmp_path


def everything(ds):
    texts, labels = zip(*ds, strict=True)
    return np.concatenate(texts).tolist(), np.concatenate(labels)


def test_inferred_labels_in_sorted_order_without_shuffle(folder, capsys):
    ds = text_dataset_from_directory(folder, batch_size=2, shuffle=False)
    assert "Found 5 files belonging to 2 classes." in capsys.readouterr().out
    assert isinstance(ds, PyDataset) and len(ds) == 3
    assert ds.class_names == ["neg", "pos"]
    texts, labels = ds[0]
    assert texts.dtype.kind == "U" and texts.shape == (2,)
    assert texts.tolist() == ["awful, boring", "bad movie"]
    assert labels.dtype == np.int32 and labels.tolist() == [0, 0]
    texts, labels = everything(ds)
    # pos/ first, then pos/deep/; the \r\n is kept as in the file
    assert texts[2:] == ["great fun", "good\r\nacting", "loved it"]
    assert labels.tolist() == [0, 0, 1, 1, 1]
    with pytest.raises(IndexError):
        ds[3]


def test_label_modes(folder):
    cat = text_dataset_from_directory(folder, label_mode="categorical", shuffle=False, verbose=0)
    _, labels = cat[0]
    assert labels.dtype == np.float32 and labels.shape == (5, 2)
    np.testing.assert_array_equal(labels[:, 1], [0, 0, 1, 1, 1])
    binary = text_dataset_from_directory(folder, label_mode="binary", shuffle=False, verbose=0)
    _, labels = binary[0]
    assert labels.dtype == np.float32 and labels.shape == (5, 1)
    texts = text_dataset_from_directory(folder, label_mode=None, shuffle=False, verbose=0)[0]
    # without labels the whole tree is read, as Keras does: README.txt and .hidden/ too
    assert isinstance(texts, np.ndarray) and len(texts) == 7


def test_unlabeled_reads_the_whole_tree(folder):
    ds = text_dataset_from_directory(folder, labels=None, shuffle=False, verbose=False)
    texts = ds[0].tolist()
    assert ds.class_names is None
    assert texts[:2] == ["ignored: not in a class folder", "ignored"]
    assert len(texts) == 7


def test_explicit_labels_follow_sorted_file_paths(folder):
    labels = [1, 0, 2, 1, 0, 1, 0]
    ds = text_dataset_from_directory(folder, labels=labels, shuffle=False, verbose=False)
    assert ds.class_names == ["0", "1", "2"]
    np.testing.assert_array_equal(ds[0][1], labels)
    with pytest.raises(ValueError, match="len\\(labels\\)=2, with 7 files"):
        text_dataset_from_directory(folder, labels=[0, 1], verbose=False)


def test_class_names_choose_and_order_the_classes(folder):
    ds = text_dataset_from_directory(
        folder, class_names=["pos", "neg"], shuffle=False, verbose=False
    )
    texts, labels = ds[0]
    assert ds.class_names == ["pos", "neg"]
    assert texts[0] == "great fun" and labels.tolist() == [0, 0, 0, 1, 1]
    only = text_dataset_from_directory(folder, class_names=["pos"], verbose=False, seed=1)
    assert sorted(only[0][1].tolist()) == [0, 0, 0]
    with pytest.raises(ValueError, match="'ugly'"):
        text_dataset_from_directory(folder, class_names=["pos", "ugly"], verbose=False)


def test_max_length_and_unbatched(folder):
    ds = text_dataset_from_directory(folder, max_length=4, shuffle=False, verbose=False)
    assert ds[0][0].tolist() == ["awfu", "bad ", "grea", "good", "love"]
    single = text_dataset_from_directory(folder, batch_size=None, shuffle=False, verbose=False)
    assert len(single) == 5
    text, label = single[4]
    assert text == "loved it" and label == 1


def test_shuffle_is_keras_seeded_permutation_and_reshuffles_between_passes(folder):
    plain = text_dataset_from_directory(folder, batch_size=None, shuffle=False, verbose=False)
    order = [plain[i][0] for i in range(5)]
    ds = text_dataset_from_directory(folder, batch_size=2, seed=3, verbose=False)
    perm = np.random.RandomState(3).permutation(5)
    first, labels = everything(ds)
    assert first == [order[i] for i in perm]
    np.testing.assert_array_equal(labels, [0 if i < 2 else 1 for i in perm])
    again, _ = everything(text_dataset_from_directory(folder, batch_size=2, seed=3, verbose=0))
    assert again == first
    passes = [everything(ds)[0] for _ in range(4)]
    assert all(sorted(p) == sorted(order) for p in passes)
    assert any(p != first for p in passes)


def test_validation_split_gives_disjoint_subsets(folder, capsys):
    kwargs = {"validation_split": 0.4, "seed": 5, "verbose": True}
    train = text_dataset_from_directory(folder, subset="training", **kwargs)
    val = text_dataset_from_directory(folder, subset="validation", **kwargs)
    out = capsys.readouterr().out
    assert "Using 3 files for training." in out and "Using 2 files for validation." in out
    train_texts, _ = everything(train)
    val_texts, _ = everything(val)
    assert len(train_texts) == 3 and len(val_texts) == 2
    assert sorted(train_texts + val_texts) == sorted(FILES.values())
    both = text_dataset_from_directory(folder, subset="both", **kwargs)
    assert sorted(everything(both[0])[0]) == sorted(train_texts)
    assert sorted(everything(both[1])[0]) == sorted(val_texts)


def test_map_cache_take_and_text_vectorization(folder):
    ds = text_dataset_from_directory(folder, batch_size=2, shuffle=False, verbose=False)
    texts_only = ds.map(lambda x, y: x, num_parallel_calls=4)
    assert len(texts_only) == 3 and texts_only[0].tolist() == ["awful, boring", "bad movie"]
    vectorizer = TextVectorization(output_mode="multi_hot")
    vectorizer.adapt(texts_only)
    assert vectorizer.vocabulary_size() == 11  # [UNK] + 10 distinct words
    vectors = ds.map(lambda x, y: (vectorizer(x), y)).cache().prefetch(2)
    x, y = vectors[0]
    assert x.shape == (2, 11) and vectors[0][0] is x  # cached
    assert len(ds.take(2)) == 2 and len(ds.take(-1)) == 3
    assert vectors.class_names == ["neg", "pos"]
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(vectors, validation_data=vectors, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2


def test_errors(folder, tmp_path_factory):
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(ValueError, match="no class subfolders"):
        text_dataset_from_directory(empty)
    with pytest.raises(ValueError, match="No text files"):
        text_dataset_from_directory(empty, labels=None)
    loose = tmp_path_factory.mktemp("loose")
    (loose / "a.txt").write_text("x")
    with pytest.raises(ValueError, match="labels=None"):
        text_dataset_from_directory(loose)
    bare = tmp_path_factory.mktemp("bare")
    (bare / "pos").mkdir()
    with pytest.raises(ValueError, match="No text files found in the class subfolders"):
        text_dataset_from_directory(bare)
    with pytest.raises(FileNotFoundError, match="no such folder"):
        text_dataset_from_directory(folder / "missing")
    with pytest.raises(ValueError, match="exactly 2 classes"):
        text_dataset_from_directory(folder, labels=[0, 1, 2, 0, 1, 2, 0], label_mode="binary")
    with pytest.raises(ValueError, match="label_mode='sparse'"):
        text_dataset_from_directory(folder, label_mode="sparse")
    with pytest.raises(ValueError, match="labels='auto'"):
        text_dataset_from_directory(folder, labels="auto")
    with pytest.raises(ValueError, match="class_names can only"):
        text_dataset_from_directory(folder, labels=None, class_names=["pos"])
    with pytest.raises(ValueError, match="pass a seed"):
        text_dataset_from_directory(folder, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="together"):
        text_dataset_from_directory(folder, validation_split=0.2, seed=1)
    with pytest.raises(ValueError, match="subset='train'"):
        text_dataset_from_directory(folder, validation_split=0.2, subset="train", seed=1)
    with pytest.raises(ValueError, match="validation_split=1.5"):
        text_dataset_from_directory(folder, validation_split=1.5, subset="training", seed=1)
    with pytest.raises(ValueError, match="validation subset is empty"):
        text_dataset_from_directory(
            folder, validation_split=0.1, subset="validation", seed=1, verbose=False
        )
    with pytest.raises(ValueError, match="batch_size=0"):
        text_dataset_from_directory(folder, batch_size=0)
