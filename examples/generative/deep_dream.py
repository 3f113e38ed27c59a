"""DeepDream (the book's section 8.2, listings 8.8 to 8.13), with the Keras 2 backend.

The program is the book's with only the imports changed (`from lamina import backend as K`,
`from lamina.applications import inception_v3`): the loss is a weighted sum of the squared
activations of a few layers (`layer_contributions`), `K.gradients` gives its gradient with
respect to the image, `K.function` fetches both, and gradient ascent runs on the image at
three successively larger scales (octaves), reinjecting after each the detail that upscaling
lost.

The network is InceptionV3 with ImageNet weights when its weight file is there (lamina never
downloads it offline). Otherwise it is a small convnet that lamina trains on CIFAR-10 for 3
epochs (`feature_net.py`, 1 to 3 minutes; kept for later runs), dreaming with its layers
`block2_conv1`, `block2_conv2` and `block3_conv1`. The input is a photo of a cat from the
cats-vs-dogs archive, 160 pixels high.

Every octave prints its first and last loss; gradient ascent must raise the loss within every
octave. The last line gives the final loss and the PNG's path. Measured with the CIFAR-10
convnet (20 steps per octave): 0.79 -> 35.2 at 81x87, 15.6 -> 89.3 at 114x122, 41.8 -> 139.9
at 160x171, final loss 146.5; the dream paints the convnet's striped textures over the cat.

    LAMINA_DATA=/path/to/datasets python examples/generative/deep_dream.py [output folder]
"""

import os
import sys
from pathlib import Path

import numpy as np

from lamina import backend as K
from lamina.applications import inception_v3
from lamina.preprocessing import image

sys.path.insert(0, str(Path(__file__).parent))
import feature_net  # noqa: E402 - the helper beside this file

INCEPTION_CONTRIBUTIONS = {"mixed2": 0.2, "mixed3": 3.0, "mixed4": 2.0, "mixed5": 1.5}
CONVNET_CONTRIBUTIONS = {"block2_conv1": 0.5, "block2_conv2": 1.0, "block3_conv1": 2.0}


def load_network(out_dir, epochs=3, limit=None):
    """InceptionV3 with ImageNet weights, or else the CIFAR-10 convnet; and its contributions."""
    K.set_learning_phase(0)  # no training-specific operations (book listing 8.8)
    try:
        model = inception_v3.InceptionV3(weights="imagenet", include_top=False)
        return model, INCEPTION_CONTRIBUTIONS
    except FileNotFoundError as error:
        print(f"No ImageNet weights for InceptionV3 ({str(error).splitlines()[0]})")
        print("Dreaming with a convnet trained on CIFAR-10 instead.")
    return feature_net.trained_convnet(out_dir, epochs, limit), CONVNET_CONTRIBUTIONS


def loss_and_gradients(model, layer_contributions):
    """Listings 8.9 to 8.11: the dream loss and `fetch_loss_and_grads`."""
    layer_dict = dict([(layer.name, layer) for layer in model.layers])
    loss = K.variable(0.0)
    for layer_name in layer_contributions:
        coeff = layer_contributions[layer_name]
        activation = layer_dict[layer_name].output
        scaling = K.prod(K.cast(K.shape(activation), "float32"))
        loss += coeff * K.sum(K.square(activation[:, 2:-2, 2:-2, :])) / scaling

    dream = model.input
    grads = K.gradients(loss, dream)[0]
    grads /= K.maximum(K.mean(K.abs(grads)), 1e-7)
    outputs = [loss, grads]
    return K.function([dream], outputs)


def gradient_ascent(fetch_loss_and_grads, x, iterations, step, max_loss=None):
    """Listing 8.11's loop; returns the image and the losses it saw."""
    losses = []
    for _ in range(iterations):
        loss_value, grad_values = fetch_loss_and_grads([x])
        if max_loss is not None and loss_value > max_loss:
            break
        losses.append(float(loss_value))
        x += step * grad_values
    return x, losses


def preprocess_image(image_path, height):
    img = image.load_img(image_path)
    img = image.load_img(image_path, target_size=(height, round(img.width * height / img.height)))
    img = image.img_to_array(img)
    img = np.expand_dims(img, axis=0)
    img = inception_v3.preprocess_input(img)
    return img


def deprocess_image(x):
    x = x.reshape((x.shape[1], x.shape[2], 3))
    x /= 2.0
    x += 0.5
    x *= 255.0
    x = np.clip(x, 0, 255).astype("uint8")
    return x


def dream(fetch_loss_and_grads, img, num_octave=3, octave_scale=1.4, iterations=20, step=0.01,
          max_loss=None):  # fmt: skip
    """Listing 8.13: gradient ascent over the octaves, smallest first, reinjecting lost detail.

    Returns the dreamed image and, per octave, its shape and the losses of its iterations.
    """
    original_shape = img.shape[1:3]
    successive_shapes = [original_shape]
    for i in range(1, num_octave):
        shape = tuple([int(dim / (octave_scale**i)) for dim in original_shape])
        successive_shapes.append(shape)
    successive_shapes = successive_shapes[::-1]
    original_img = np.copy(img)
    shrunk_original_img = feature_net.resize(img, successive_shapes[0])
    octaves = []
    for shape in successive_shapes:
        img = feature_net.resize(img, shape)
        img, losses = gradient_ascent(
            fetch_loss_and_grads, img, iterations=iterations, step=step, max_loss=max_loss
        )
        print(f"octave {shape}: loss {losses[0]:.4f} -> {losses[-1]:.4f} ({len(losses)} steps)")
        upscaled_shrunk_original_img = feature_net.resize(shrunk_original_img, shape)
        same_size_original = feature_net.resize(original_img, shape)
        lost_detail = same_size_original - upscaled_shrunk_original_img
        img += lost_detail
        shrunk_original_img = feature_net.resize(original_img, shape)
        octaves.append((shape, losses))
    return img, octaves


def main(out_dir="deep_dream_output", height=160, iterations=20, epochs=3, limit=None):
    """Dreams on a cat photo; returns the final loss, the per-octave losses and the PNG's path."""
    out_dir = Path(out_dir)
    model, layer_contributions = load_network(out_dir, epochs, limit)
    fetch_loss_and_grads = loss_and_gradients(model, layer_contributions)
    img = preprocess_image(feature_net.photo("train/cats/cat.1.jpg", out_dir), height)
    img, octaves = dream(fetch_loss_and_grads, img, iterations=iterations)
    for shape, losses in octaves:
        if not losses[-1] > losses[0]:
            raise RuntimeError(f"The loss did not increase at octave {shape}: {losses}")
    final_loss = float(fetch_loss_and_grads([img])[0])
    path = out_dir / "final_dream.png"
    image.save_img(path, deprocess_image(np.copy(img)))
    print(f"final loss {final_loss:.4f}, dream saved to {path}")
    return {"final_loss": final_loss, "octaves": octaves, "path": path}


if __name__ == "__main__":
    shared = Path(__file__).resolve().parents[3] / "shared" / "datasets"
    if "LAMINA_DATA" not in os.environ and shared.is_dir():
        os.environ["LAMINA_DATA"] = str(shared)  # the data sets beside the repository
    main(sys.argv[1] if len(sys.argv) > 1 else "deep_dream_output")
