"""Neural style transfer (the book's section 8.3, listings 8.14 to 8.21), with the Keras 2 backend.

The program is the book's with only the imports changed (`from lamina import backend as K`,
`from lamina.applications import vgg19`): the target and style images are constants and the
combination image a placeholder, concatenated into one batch that the network sees; the loss
adds a content loss (squared differences of a deep layer's activations), a style loss (squared
differences of Gram matrices at several layers) and a total variation loss on the pixels;
`K.function` fetches the loss and its gradient, and SciPy's L-BFGS (`fmin_l_bfgs_b`, 20
evaluations per iteration) optimizes the pixels for 10 iterations through the `Evaluator`.

The network is VGG19 with ImageNet weights when its weight file is there. Otherwise it is the
small convnet that lamina trains on CIFAR-10 (`feature_net.py`, shared with DeepDream): its
trained filters respond to edges, colors and textures, which is what the Gram matrices
compare, whereas a VGG19 with random weights would be about 100 times slower per evaluation
here and match random features. The convnet has three blocks, so the content layer is
`block3_conv1` and the style layers `block1_conv1`, `block2_conv1`, `block3_conv1`, and its
images are scaled to [-1, 1], which makes the total variation loss much smaller: its weight is
1e-3 and the content's 0.01 (the book's are 1e-4 and 0.025, kept for VGG19). The content
image is a cat photo and the style image a dog photo (another image of the cats-vs-dogs
archive), both 96 pixels high.

Each iteration prints the loss; the total loss must fall by at least half over the 10
iterations. The last line gives the first and last losses and their ratio. Measured with the
CIFAR-10 convnet: 1.836 for the content image, 0.429 after the first iteration, 0.2098 after the
tenth (ratio 8.8, 4 to 9 s per iteration); the cat stays recognizable under reddish strokes.

    LAMINA_DATA=/path/to/datasets python examples/generative/neural_style_transfer.py [folder]
"""

import os
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import fmin_l_bfgs_b

from lamina import backend as K
from lamina.applications import inception_v3, vgg19
from lamina.preprocessing.image import img_to_array, load_img, save_img

sys.path.insert(0, str(Path(__file__).parent))
import feature_net  # noqa: E402 - the helper beside this file

# The content layer, the style layers and the weights (total variation, style, content).
VGG19_SETTINGS = (
    "block5_conv2",
    ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"],
    (1e-4, 1.0, 0.025),
)
# Pixels in [-1, 1] make the total variation about 128**2.5 times smaller than with VGG19's
# preprocessing: with the book's 1e-4 it does nothing and the loss only halves; with 1e-3 and
# less weight on the content the style shows and the cat stays recognizable.
CONVNET_SETTINGS = (
    "block3_conv1",
    ["block1_conv1", "block2_conv1", "block3_conv1"],
    (1e-3, 1.0, 0.01),
)


def vgg19_deprocess_image(x):
    """Listing 8.14's `deprocess_image`: zero-centering undone, BGR back to RGB."""
    x[:, :, 0] += 103.939
    x[:, :, 1] += 116.779
    x[:, :, 2] += 123.68
    x = x[:, :, ::-1]
    x = np.clip(x, 0, 255).astype("uint8")
    return x


def convnet_deprocess_image(x):
    """Pixels in [-1, 1] back to [0, 255]."""
    return np.clip((x + 1.0) * 127.5, 0, 255).astype("uint8")


def load_network(out_dir, epochs=3, limit=None):
    """VGG19 with ImageNet weights, or else the CIFAR-10 convnet.

    Returns a function that builds the network on an input tensor, the content layer, the
    style layers, the loss weights, `preprocess_input` and `deprocess_image`.
    """
    try:
        pretrained = vgg19.VGG19(weights="imagenet", include_top=False)
    except FileNotFoundError as error:
        print(f"No ImageNet weights for VGG19 ({str(error).splitlines()[0]})")
        print("Transferring the style with a convnet trained on CIFAR-10 instead.")
    else:

        def build_vgg19(input_tensor):
            model = vgg19.VGG19(input_tensor=input_tensor, weights=None, include_top=False)
            model.set_weights(pretrained.get_weights())
            return model

        return (build_vgg19, *VGG19_SETTINGS, vgg19.preprocess_input, vgg19_deprocess_image)

    def build_convnet(input_tensor):
        return feature_net.trained_convnet(out_dir, epochs, limit, input_tensor=input_tensor)

    return (
        build_convnet,
        *CONVNET_SETTINGS,
        inception_v3.preprocess_input,
        convnet_deprocess_image,
    )


def content_loss(base, combination):
    return K.sum(K.square(combination - base))


def gram_matrix(x):
    features = K.batch_flatten(K.permute_dimensions(x, (2, 0, 1)))
    gram = K.dot(features, K.transpose(features))
    return gram


def style_loss(style, combination, img_height, img_width):
    S = gram_matrix(style)
    C = gram_matrix(combination)
    channels = 3
    size = img_height * img_width
    return K.sum(K.square(S - C)) / (4.0 * (channels**2) * (size**2))


def total_variation_loss(x, img_height, img_width):
    a = K.square(x[:, : img_height - 1, : img_width - 1, :] - x[:, 1:, : img_width - 1, :])
    b = K.square(x[:, : img_height - 1, : img_width - 1, :] - x[:, : img_height - 1, 1:, :])
    return K.sum(K.pow(a + b, 1.25))


class Evaluator:
    """Listing 8.20: computes loss and gradients in one pass, hands them out in two calls."""

    def __init__(self, fetch_loss_and_grads, shape):
        self.fetch_loss_and_grads = fetch_loss_and_grads
        self.shape = shape
        self.loss_value = None
        self.grad_values = None

    def loss(self, x):
        if self.loss_value is not None:
            raise RuntimeError("Evaluator.loss was called twice without Evaluator.grads.")
        x = x.reshape(self.shape)
        outs = self.fetch_loss_and_grads([x])
        loss_value = outs[0]
        grad_values = outs[1].flatten().astype("float64")
        self.loss_value = loss_value
        self.grad_values = grad_values
        return self.loss_value

    def grads(self, x):
        if self.loss_value is None:
            raise RuntimeError("Evaluator.grads was called before Evaluator.loss.")
        grad_values = np.copy(self.grad_values)
        self.loss_value = None
        self.grad_values = None
        return grad_values


def transfer(target_image_path, style_reference_image_path, out_dir, img_height=96,
             iterations=10, maxfun=20, epochs=3, limit=None):  # fmt: skip
    """Listings 8.14 to 8.21; returns the loss after each iteration and the last image."""
    network = load_network(out_dir, epochs, limit)
    build_network, content_layer, style_layers, weights, preprocess_input, deprocess_image = network
    width, height = load_img(target_image_path).size
    img_width = int(width * img_height / height)

    def preprocess_image(image_path):
        img = load_img(image_path, target_size=(img_height, img_width))
        img = img_to_array(img)
        img = np.expand_dims(img, axis=0)
        img = preprocess_input(img)
        return img

    target_image = K.constant(preprocess_image(target_image_path))
    style_reference_image = K.constant(preprocess_image(style_reference_image_path))
    combination_image = K.placeholder((1, img_height, img_width, 3))
    input_tensor = K.concatenate([target_image, style_reference_image, combination_image], axis=0)
    model = build_network(input_tensor)

    outputs_dict = dict([(layer.name, layer.output) for layer in model.layers])
    total_variation_weight, style_weight, content_weight = weights
    loss = K.variable(0.0)
    layer_features = outputs_dict[content_layer]
    target_image_features = layer_features[0, :, :, :]
    combination_features = layer_features[2, :, :, :]
    loss += content_weight * content_loss(target_image_features, combination_features)
    for layer_name in style_layers:
        layer_features = outputs_dict[layer_name]
        style_reference_features = layer_features[1, :, :, :]
        combination_features = layer_features[2, :, :, :]
        sl = style_loss(style_reference_features, combination_features, img_height, img_width)
        loss += (style_weight / len(style_layers)) * sl
    loss += total_variation_weight * total_variation_loss(combination_image, img_height, img_width)

    grads = K.gradients(loss, combination_image)[0]
    fetch_loss_and_grads = K.function([combination_image], [loss, grads])
    evaluator = Evaluator(fetch_loss_and_grads, (1, img_height, img_width, 3))

    x = preprocess_image(target_image_path)
    x = x.flatten()
    losses = [float(evaluator.loss(x))]
    evaluator.grads(x)
    print(f"initial loss {losses[0]:.6g}")
    for i in range(iterations):
        start_time = time.time()
        x, min_val, info = fmin_l_bfgs_b(evaluator.loss, x, fprime=evaluator.grads, maxfun=maxfun)
        losses.append(float(min_val))
        print(f"iteration {i}: loss {min_val:.6g} ({time.time() - start_time:.1f} s)")
    img = deprocess_image(x.copy().reshape((img_height, img_width, 3)))
    return losses, img


def main(out_dir="style_transfer_output", img_height=96, iterations=10, epochs=3, limit=None):
    """Paints the cat photo in the dog photo's style; returns the losses and the PNG's path."""
    out_dir = Path(out_dir)
    target = feature_net.photo("train/cats/cat.1.jpg", out_dir)
    style = feature_net.photo("train/dogs/dog.2.jpg", out_dir)
    losses, img = transfer(target, style, out_dir, img_height, iterations, epochs=epochs,
                           limit=limit)  # fmt: skip
    path = out_dir / "style_transfer.png"
    save_img(path, img)
    ratio = losses[0] / losses[-1]
    if ratio < 2:
        raise RuntimeError(f"The loss fell by less than half over the iterations: {losses}")
    print(f"first loss {losses[0]:.6g}, last loss {losses[-1]:.6g}, ratio {ratio:.1f}; {path}")
    return {"losses": losses, "ratio": ratio, "path": path}


if __name__ == "__main__":
    shared = Path(__file__).resolve().parents[3] / "shared" / "datasets"
    if "LAMINA_DATA" not in os.environ and shared.is_dir():
        os.environ["LAMINA_DATA"] = str(shared)  # the data sets beside the repository
    main(sys.argv[1] if len(sys.argv) > 1 else "style_transfer_output")
