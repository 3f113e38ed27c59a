"""AllocationBudget: what the layers of a model rebuilt from a file may allocate."""

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from lamina import tree
from lamina.layers.layer import AllocationCheck, Layer, allocation_check


class AllocationBudget(AllocationCheck):
    """What the layers of a model rebuilt from a file may allocate (set by the loaders).

    A file's config chooses every size (`"units": 10**9`, an input of a billion features), so
    while a loader rebuilds a model `add_weight` may create no more weight values in all than
    the file holds (each weight must be filled from it), and no tensor of the graph may have
    more than `probe_elements` values: layers without `compute_output_shape` are probed on
    zeros while the graph is built, and the loader runs the whole graph once on zeros. Going
    over raises `error` naming the layer, before anything is allocated.

    Args:
        weight_elements: the most weight values the layers may create in all (what the file
            holds, with some slack).
        error: makes the exception raised from a message (the loader's own error type).
        probe_elements: the most values one tensor of the graph may have at batch size 3.
    """

    def __init__(
        self,
        weight_elements: int,
        error: Callable[[str], Exception],
        probe_elements: int = 1 << 26,
    ) -> None:
        self.weight_elements = int(weight_elements)
        self.error = error
        self.probe_elements = int(probe_elements)
        self.used = 0

    def weight(self, layer: Layer, name: str, shape: tuple, dtype: np.dtype) -> None:
        if dtype.kind not in "biuf" or dtype.itemsize > 8:
            raise self.error(
                f"layer {layer.name!r} asks for weight {name!r} of dtype {dtype}, which a model "
                "file cannot hold (numbers of at most 8 bytes only)."
            )
        size = math.prod(n if isinstance(n, int) and n > 0 else 0 for n in shape)
        if self.used + size > self.weight_elements:
            raise self.error(
                f"layer {layer.name!r} asks for weight {name!r} of shape {shape} ({size:,} "
                f"values), which with the {self.used:,} of the weights before it is more than "
                f"the {self.weight_elements:,} a model loaded from this file may have (its "
                "weights must come from the file); refusing to allocate it."
            )
        self.used += size

    def symbolic_inputs(self, layer: Layer, inputs: Any, args: tuple, kwargs: dict) -> None:
        # Imported here: lamina.models imports the trainer, whose callbacks import this package.
        from lamina.layers.symbolic import KerasTensor

        self._check_tensors(layer, (inputs, args, kwargs), "be probed on")
        if not layer.declares_output_shape():
            return  # the probe's outputs are checked when it returns
        # Refuse a too large declared output before `build` makes weights for it.
        try:
            shapes = layer.compute_output_shape(
                tree.map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, inputs)
            )
        except Exception:  # a layer that cannot say before it is built is checked after
            return
        tree.map_shape_structure(lambda shape: self._check_shape(layer, shape, "return"), shapes)

    def symbolic_outputs(self, layer: Layer, outputs: Any) -> None:
        self._check_tensors(layer, outputs, "return")

    def _check_tensors(self, layer: Layer, structure: Any, what: str) -> None:
        from lamina.layers.symbolic import KerasTensor  # as above: not at import time

        for t in tree.flatten(structure):
            if isinstance(t, KerasTensor):
                self._check_shape(layer, t.shape, what)

    def _check_shape(self, layer: Layer, shape: Any, what: str) -> None:
        if not tree.is_shape_tuple(shape):
            return
        size = math.prod(3 if n is None else max(int(n), 0) for n in shape)
        if size > self.probe_elements:
            raise self.error(
                f"layer {layer.name!r} would {what} a tensor of shape {tuple(shape)} ({size:,} "
                f"values at batch size 3), more than the {self.probe_elements:,} a model loaded "
                "from a file may use; refusing to allocate it."
            )


@contextlib.contextmanager
def allocation_budget(budget: AllocationBudget) -> Iterator[AllocationBudget]:
    """Make `budget` bound every layer built or called symbolically in the block.

    Example:
    >>> with allocation_budget(AllocationBudget(file_values, ModelFileError)):
    ...     model = Sequential.from_config(config)
    """
    with allocation_check(budget):
        yield budget
