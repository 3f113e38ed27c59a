"""Choosing the device: set_device and the LAMINA_DEVICE environment variable (CPU side)."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import lamina
from lamina.backend import as_array_like, get_device, set_device, to_device


def _import_with(device: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "LAMINA_DEVICE": device}
    code = "import lamina; print(lamina.backend.get_device())"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def test_lamina_device_cpu_is_taken_at_import():
    result = _import_with("cpu")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "cpu"


def test_an_unknown_lamina_device_names_the_variable_and_the_choices():
    result = _import_with("tpu")
    assert result.returncode != 0
    assert "LAMINA_DEVICE" in result.stderr
    assert "'cpu' or 'gpu'" in result.stderr
    assert "'tpu'" in result.stderr


def test_set_device_rejects_unknown_devices():
    with pytest.raises(ValueError, match="'cpu' or 'gpu'.*device='GPU0'"):
        set_device("GPU0")
    assert get_device() == "cpu"


def test_on_the_cpu_host_arrays_stay_numpy():
    x = np.arange(3.0)
    assert to_device(x) is x
    assert lamina.ops.convert_to_tensor(x).data is x
    assert as_array_like(x, np.zeros(3)) is x
    assert as_array_like(2.0, np.zeros(3)) == 2.0
    assert as_array_like([1, 2], np.zeros(3)).tolist() == [1, 2]


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
def test_gpu_without_cupy_says_how_to_install_it():
    with pytest.raises(ValueError, match=r"needs CuPy.*pip install lamina\[gpu\]"):
        set_device("gpu")
    assert get_device() == "cpu"
