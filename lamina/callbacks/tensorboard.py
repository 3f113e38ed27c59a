"""TensorBoard: write scalars, histograms, images, the model graph and embeddings for TensorBoard.

The event files are written by tensorboardX (`pip install "lamina[tensorboard]"`), so neither
TensorFlow nor PyTorch is needed, to write them or, with the `tensorboard` package, to view them.
"""

import itertools
import os
import sys
import time
import warnings
from typing import Any

import numpy as np

from lamina.backend import to_numpy
from lamina.callbacks.callback import Callback

# Each writer gets its own event file, even when two open in one directory within one second.
_FILE_IDS = itertools.count()


class TensorBoard(Callback):
    """Log metrics, weight histograms and images, the model and embeddings for TensorBoard.

    Writes under `log_dir/train` and `log_dir/validation`, as Keras does: per epoch the logs
    as `epoch_<name>` (`epoch_loss`, `epoch_accuracy`, ...; the validation run drops the
    `val_` prefix), the optimizer's `epoch_learning_rate`, and, when asked,
    `epoch_steps_per_second`. Epoch steps are the epochs `fit` reports, so a second `fit` with
    `initial_epoch` continues the series. With `update_freq="batch"` or N, the training logs
    of every (or every Nth) batch go to `batch_<name>`, at the batch count from 1, which goes
    on through later `fit` calls (Keras 3 restarts it, and TensorBoard then hides the earlier
    points, as it does whenever a step goes back). After each evaluation (the validation of
    `fit`, or `model.evaluate`) its logs go to the validation run as
    `evaluation_<name>_vs_iterations`, at the optimizer's step count.

    `write_graph` writes the model's configuration (Sequential and functional models) the way
    Keras does, which TensorBoard's Graphs tab draws as a conceptual graph of layers; there is
    no graph of operations. Weights are written as histograms and images under their paths
    (`sequential/dense/kernel/histogram`); each image is scaled so that the weight's range
    fills the grey levels. Embedding layers are written for the Projector tab under
    `log_dir/train`. Non-scalar logs (a metric with one value per class) are not written.
    Files open at the first value written and are closed at the end of `fit`; another `fit`
    adds new files to the same runs. Profiling is not available (there is no TensorFlow
    profiler): a non-zero `profile_batch` is accepted with a warning.

    Args:
        log_dir: the folder of the runs; do not share it with another callback.
        histogram_freq: write weight histograms every N epochs (0: never).
        write_graph: write the model's graph.
        write_images: also write the weights as images, with the histograms.
        write_steps_per_second: also write the training steps per second.
        update_freq: `"epoch"`, `"batch"`, or an integer N to write the batch logs every N
            batches.
        profile_batch: Keras's profiling range (an integer, a pair, or `"start,stop"`);
            validated, then ignored.
        embeddings_freq: write the embedding layers every N epochs (0: never).
        embeddings_metadata: the labels of the embedding rows: the path of a TSV file (one
            label a line, or a header line and tab-separated columns) for every embedding
            layer, or a dict from layer name to such a path. A relative path is looked up in
            `log_dir` first, then in the working directory.

    Raises:
        ImportError: when tensorboardX is not installed.

    Example:
    >>> tensorboard = lamina.callbacks.TensorBoard(log_dir="logs")
    >>> model.fit(x, y, epochs=5, callbacks=[tensorboard])
    Then run `tensorboard --logdir logs` and open the address it prints.
    """

    def __init__(
        self,
        log_dir: str | os.PathLike = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: Any = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: str | os.PathLike | dict | None = None,
    ) -> None:
        super().__init__()
        self._summary_writer = _summary_writer_class()
        owner = type(self).__name__
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = _check_freq("histogram_freq", histogram_freq)
        self.write_graph = bool(write_graph)
        self.write_images = bool(write_images)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = _check_update_freq(update_freq)
        if _profile_range(profile_batch) != (0, 0):
            warnings.warn(
                f"{owner}: profiling is not available in lamina (it needs TensorFlow's "
                f"profiler); profile_batch is ignored. Received: profile_batch={profile_batch!r}",
                UserWarning,
                stacklevel=2,
            )
        self.embeddings_freq = _check_freq("embeddings_freq", embeddings_freq)
        if embeddings_metadata is not None and not isinstance(embeddings_metadata, dict):
            if not isinstance(embeddings_metadata, str | os.PathLike):
                raise TypeError(
                    f"{owner}: expected embeddings_metadata to be a file path, a dict from "
                    "embedding layer name to file path, or None. "
                    f"Received: embeddings_metadata={embeddings_metadata!r}"
                )
            embeddings_metadata = os.fspath(embeddings_metadata)
        self.embeddings_metadata = embeddings_metadata
        self._writers: dict[str, Any] = {}
        self._global_train_batch = 0
        self._batch_start_time = 0.0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0
        self._embedding_labels: dict[str, tuple[list, list[str] | None]] = {}

    def _writer(self, run: str) -> Any:
        """The open writer of `run` (`"train"` or `"validation"`), created at first use.

        Every event goes through here: the one place to decide which process writes.
        """
        if run not in self._writers:
            self._writers[run] = self._summary_writer(
                os.path.join(self.log_dir, run),
                filename_suffix=f".{os.getpid()}.{next(_FILE_IDS)}.v2",
            )
        return self._writers[run]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()  # flushes first
        self._writers = {}

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.embeddings_freq:
            self._embedding_labels = self._read_embeddings_metadata()
        if self.write_graph:
            self._write_model_config()

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close_writers()

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        step = self._global_train_batch
        if self.update_freq == "epoch" or step % self.update_freq:
            return
        scalars = dict(logs or {})
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._batch_start_time
            scalars["steps_per_second"] = 1.0 / max(elapsed, 1e-9)
        self._write_scalars("train", "batch_", scalars, step)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.write_steps_per_second:
            self._epoch_start_time = time.perf_counter()
            self._epoch_start_iterations = self._iterations()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        learning_rate = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
        if learning_rate is not None:
            train["learning_rate"] = learning_rate
        if self.write_steps_per_second:
            elapsed = time.perf_counter() - self._epoch_start_time
            steps = self._iterations() - self._epoch_start_iterations
            train["steps_per_second"] = steps / max(elapsed, 1e-9)
        self._write_scalars("train", "epoch_", train, epoch)
        val = {k[len("val_") :]: v for k, v in logs.items() if k.startswith("val_")}
        if val:
            self._write_scalars("validation", "epoch_", val, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._write_embeddings(epoch)
        for writer in self._writers.values():
            writer.flush()  # so that a running TensorBoard shows the epoch

    def on_test_end(self, logs: dict | None = None) -> None:
        if getattr(self.model, "optimizer", None) is not None and logs:
            scalars = {f"{k}_vs_iterations": v for k, v in logs.items()}
            self._write_scalars("validation", "evaluation_", scalars, self._iterations())
        if self.params.get("mode") == "evaluate":
            self._close_writers()

    def _iterations(self) -> int:
        return int(self.model.optimizer.iterations)

    def _write_scalars(self, run: str, prefix: str, scalars: dict, step: int) -> None:
        for name, value in scalars.items():
            if isinstance(value, int | float | np.number) or (
                isinstance(value, np.ndarray) and value.size == 1
            ):
                self._writer(run).add_scalar(prefix + name, float(value), step)

    def _write_model_config(self) -> None:
        """The model's JSON configuration as Keras's `graph_keras_model` summary."""
        from lamina.models import Functional, Sequential  # models stand below callbacks

        if not isinstance(self.model, Functional | Sequential):
            return
        try:
            config = self.model.to_json()
        except (NotImplementedError, TypeError, ValueError) as error:
            warnings.warn(
                f"TensorBoard: the model's graph is not written: {error}",
                UserWarning,
                stacklevel=3,
            )
            return
        # The Summary proto comes from tensorboardX, which also frames and writes the record.
        from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
        from tensorboardX.proto.tensor_pb2 import TensorProto
        from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto

        plugin = SummaryMetadata.PluginData(plugin_name="graph_keras_model", content=b"1")
        tensor = TensorProto(
            dtype="DT_STRING", string_val=[config.encode()], tensor_shape=TensorShapeProto()
        )
        value = Summary.Value(
            tag="keras", metadata=SummaryMetadata(plugin_data=plugin), tensor=tensor
        )
        self._writer("train").file_writer.add_summary(Summary(value=[value]), global_step=0)

    def _write_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in self.model.layers:
            for weight in layer.weights:
                name = weight.path.replace(":", "_")
                values = to_numpy(weight.data)
                writer.add_histogram(f"{name}/histogram", values, epoch)
                if self.write_images:
                    image = weight_image(values)
                    if image is not None:
                        writer.add_images(f"{name}/image", image, epoch, dataformats="NHWC")

    def _read_embeddings_metadata(self) -> dict[str, tuple[list, list[str] | None]]:
        """Each embedding layer's labels and header, read from `embeddings_metadata`."""
        layers = {layer.name: layer for layer in self.model.layers if _is_embedding(layer)}
        paths = self.embeddings_metadata
        if paths is None:
            return {}
        if isinstance(paths, str):
            paths = dict.fromkeys(layers, paths)
        unknown = sorted(set(paths) - set(layers))
        if unknown:
            raise ValueError(
                f"TensorBoard: embeddings_metadata names layers that are not embedding layers "
                f"of the model {unknown}; its embedding layers are {sorted(layers)}. "
                f"Received: embeddings_metadata={self.embeddings_metadata!r}"
            )
        return {
            name: _read_labels(self._metadata_file(path), layers[name])
            for name, path in paths.items()
        }

    def _metadata_file(self, path: Any) -> str:
        path = os.fspath(path)
        in_log_dir = os.path.join(self.log_dir, path)
        for candidate in (in_log_dir, path) if not os.path.isabs(path) else (path,):
            if os.path.isfile(candidate):
                return candidate
        raise ValueError(
            f"TensorBoard: the embeddings metadata file {path!r} was found neither in log_dir "
            f"({in_log_dir!r}) nor in the working directory. "
            f"Received: embeddings_metadata={self.embeddings_metadata!r}"
        )

    def _write_embeddings(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in self.model.layers:
            if not _is_embedding(layer):
                continue
            labels, header = self._embedding_labels.get(layer.name, (None, None))
            matrix = to_numpy(layer.embeddings.data)
            writer.add_embedding(
                matrix, metadata=labels, global_step=epoch, tag=layer.name, metadata_header=header
            )


def weight_image(values: np.ndarray) -> np.ndarray | None:
    """A weight as a batch of grey images `(n, height, width, 1)` in [0, 1], laid out as
    Keras's TensorBoard does: a bias as one row, a kernel as one image with its longer side
    across, a 3-D kernel as one image per last-axis slice; None for other shapes."""
    image = np.squeeze(values)
    if image.ndim == 1:
        image = image.reshape(1, 1, -1, 1)
    elif image.ndim == 2:
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, *image.shape, 1)
    elif image.ndim == 3:
        image = np.transpose(image, (2, 0, 1))[..., None]
    if image.ndim != 4 or image.shape[-1] not in (1, 3, 4):
        return None
    low, high = float(image.min()), float(image.max())
    scaled = (image - low) / (high - low) if high > low else np.zeros_like(image)
    return scaled.astype(np.float32)


def _read_labels(path: str, layer: Any) -> tuple[list, list[str] | None]:
    """The rows of a projector metadata file: a label a line, or a header and columns."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    header = None
    if lines and "\t" in lines[0]:
        header = lines[0].split("\t")
        rows: list = [line.split("\t") for line in lines[1:]]
    else:
        rows = lines
    if len(rows) != layer.input_dim:
        raise ValueError(
            f"TensorBoard: the embeddings metadata file {path!r} has {len(rows)} rows of "
            f"labels, but embedding layer {layer.name!r} has input_dim={layer.input_dim} rows; "
            "write one label a line (or a header line then one tab-separated row a line) for "
            f"each. Received: embeddings_metadata={path!r}"
        )
    return rows, header


def _is_embedding(layer: Any) -> bool:
    from lamina.layers import Embedding  # layers stand below callbacks

    return isinstance(layer, Embedding)


def _summary_writer_class() -> type:
    # tensorboardX imports PyTorch whenever it is installed, only to name a type in its hints;
    # hiding it during the import keeps lamina free of other frameworks (and saves seconds).
    hide_torch = "torch" not in sys.modules
    if hide_torch:
        sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        from tensorboardX import SummaryWriter
    except ImportError as error:
        raise ImportError(
            "TensorBoard writes its event files through the tensorboardX package, which is not "
            'installed. Install it with: pip install "lamina[tensorboard]"'
        ) from error
    finally:
        if hide_torch and sys.modules.get("torch", ...) is None:
            del sys.modules["torch"]
    return SummaryWriter


def _check_freq(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(
            f"TensorBoard: expected {name} to be an integer >= 0 (a number of epochs; 0 turns "
            f"it off). Received: {name}={value!r}"
        )
    return int(value)


def _check_update_freq(value: Any) -> str | int:
    if value == "batch":
        return 1
    if value == "epoch":
        return value
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(
            "TensorBoard: expected update_freq to be 'epoch', 'batch' or a positive number of "
            f"batches. Received: update_freq={value!r}"
        )
    return int(value)


def _profile_range(value: Any) -> tuple[int, int]:
    """Keras's profile_batch as (start, stop): an integer, a pair, or "start,stop"."""
    parts = value.split(",") if isinstance(value, str) else value
    if isinstance(parts, int | np.integer) and not isinstance(parts, bool):
        parts = (parts, parts)
    try:
        start, stop = (int(p) for p in parts)
    except (TypeError, ValueError):
        start, stop = -1, -1
    if start < 0 or stop < start:
        raise ValueError(
            "TensorBoard: expected profile_batch to be an integer >= 0 or a pair of batch "
            f"numbers (start, stop) with start <= stop. Received: profile_batch={value!r}"
        )
    return start, stop
