"""What the cats-vs-dogs convnet learns (Deep Learning with Python, 5.4).

Loads the model that `examples/cats_vs_dogs_small_convnet.py` trained and saved (its `--save`
argument), then writes three PNG files into `out_dir`, as the book's 5.4 does for this model:

- `activations.png`: every channel of each convolution and pooling layer for a validation
  cat picture (the book's figure of channels per layer);
- `filters.png`: the input patterns that the first 16 filters of the first and the third
  convolution respond to most (`filters_<layer>.png`);
- `grad_cam.png`: the class activation heatmap of the last convolution over a dog picture
  (the model's one sigmoid output is the "dog" score).

With the model of the 100-epoch run (validation accuracy 0.78) the first layers respond to
edges and colour areas, the deeper ones to ever sparser, coarser features; the heatmap of
`dog.2001.jpg` lies over the dog's eyes and muzzle. This small network does not always look
at the dog: of `dog.2000`-`dog.2003`, two maps lie on the dog's face and two on the ground or
on the person beside it.

It prints the model's dog score for both pictures last. Needs matplotlib
(`pip install -e ".[viz]"`) and the data set in `LAMINA_DATA`. Run it with

    python examples/cats_vs_dogs_small_convnet.py 100 /tmp/backup --save cats_and_dogs_small_2.keras
    python examples/visualize_cats_vs_dogs_convnet.py cats_and_dogs_small_2.keras
"""

import os
import sys
from pathlib import Path

import numpy as np

from lamina.saving import load_model
from lamina.utils import img_to_array, load_img, set_random_seed
from lamina.visualization import filter_patterns, grad_cam, layer_activations

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cats_vs_dogs_small_convnet import extracted_folder  # noqa: E402  (the sibling example)

CAT, DOG = "validation/cats/cat.2000.jpg", "validation/dogs/dog.2001.jpg"


def picture(relative_path):
    """One validation picture as the model sees it: 150x150 RGB scaled to [0, 1]."""
    path = extracted_folder() / relative_path
    return img_to_array(load_img(path, target_size=(150, 150))) / 255.0


def main(model_file, out_dir="cats_vs_dogs_pictures", filters=16, steps=40, seed=1):
    """Draws the pictures of a trained model; returns the file paths and the dog scores.

    Args:
        model_file: the `.keras` or `.h5` file `cats_vs_dogs_small_convnet.py` saved.
        out_dir: the folder the PNG files go to (made if missing).
        filters: how many filters of each chosen convolution to draw.
        steps: gradient-ascent steps per filter pattern.
        seed: passed to `set_random_seed` (the patterns start from random noise).
    """
    set_random_seed(seed)
    model = load_model(model_file)
    convs = [layer.name for layer in model.layers if type(layer).__name__ == "Conv2D"]
    cat, dog = picture(CAT), picture(DOG)

    os.makedirs(out_dir, exist_ok=True)
    paths = {"activations": os.path.join(out_dir, "activations.png")}
    layer_activations(
        model,
        cat,
        layer_names=[layer.name for layer in model.layers[:8]],
        to_file=paths["activations"],
    )
    for name in (convs[0], convs[2]):
        paths[f"filters_{name}"] = os.path.join(out_dir, f"filters_{name}.png")
        filter_patterns(
            model, name, filters=list(range(filters)), steps=steps, to_file=paths[f"filters_{name}"]
        )
    paths["grad_cam"] = os.path.join(out_dir, "grad_cam.png")
    heatmap = grad_cam(model, dog, convs[-1], class_index=0, to_file=paths["grad_cam"])

    scores = model.predict(np.stack([cat, dog]), verbose=0)[:, 0]
    for path in paths.values():
        print(f"wrote {path}")
    print(f"dog score: cat picture {scores[0]:.3f}, dog picture {scores[1]:.3f}")
    return {"paths": paths, "heatmap": heatmap, "scores": scores}


if __name__ == "__main__":
    shared = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    if "LAMINA_DATA" not in os.environ and shared.is_dir():
        os.environ["LAMINA_DATA"] = str(shared)  # the data sets beside the repository
    main(sys.argv[1] if len(sys.argv) > 1 else "cats_and_dogs_small_2.keras")
