"""A sweep under `jax.distributed`: 2 processes × 2 emulated CPU devices on 127.0.0.1 (CPU
collectives for the barriers) give bitwise the single-process, single-device result, for a
plain sweep (float32) and a grid (float64); each process writes its own chunks."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np

from semjax import Task, store, sweep

SEED_MATRIX = [[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0], [0, 1, 0, 0],
               [0, 0, 1, 0], [0, 0, 0, 1]]
RUN = dict(n_steps=40, dt=0.05, init="gaussian", init_scale=[0.1, 0.3], record_every=10,
           record=("modes", "loss", "weights"), n_seeds=10, key=3)
GRID = dict(RUN, record=("modes", "loss"), over={"hidden": [3, 5]}, dtype="float64")

CHILD = textwrap.dedent("""
    import json, os, sys
    import jax
    jax.config.update("jax_enable_x64", True)
    import numpy as np
    import semjax  # sets 2 CPU devices per process (SEMJAX_CPU_DEVICES)
    process, port, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    jax.distributed.initialize(coordinator_address=f"127.0.0.1:{{port}}", num_processes=2,
                               process_id=process)
    assert jax.process_count() == 2 and len(jax.local_devices()) == 2
    task = semjax.Task(sigma_yx=np.array({matrix}, float), sigma_x=np.eye(4))
    for dtype in ("float32",):  # float64: the grid
        plain = semjax.sweep(task, hidden=4, chunk_size=3, dtype=dtype, progress=False,
                             checkpoint_dir=f"{{folder}}/plain_{{dtype}}", **{run})
        np.savez(f"{{folder}}/process{{process}}_{{dtype}}.npz", modes=plain.modes,
                 loss=plain.loss, w0=plain.weights[0], w1=plain.weights[1])
    grid = semjax.sweep(task, chunk_size=4, progress=False, checkpoint_dir=f"{{folder}}/grid",
                        **{grid})
    np.savez(f"{{folder}}/process{{process}}_grid.npz", modes=grid.modes, loss=grid.loss)
    print("devices", len(jax.devices()), flush=True)
""").format(matrix=SEED_MATRIX, run=RUN, grid=GRID)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_processes_give_bitwise_the_single_device_sweep(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = dict(os.environ, SEMJAX_CPU_DEVICES="2", JAX_PLATFORMS="cpu")
    port = str(_free_port())
    children = [subprocess.Popen([sys.executable, str(script), str(i), port, str(tmp_path)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=env) for i in range(2)]
    try:
        outputs = [child.communicate(timeout=300) for child in children]
    finally:  # neither process outlives a failure
        for child in children:
            if child.poll() is None:
                child.kill()
                child.communicate()
    for child, (out, err) in zip(children, outputs):
        assert child.returncode == 0, err[-3000:]
        assert "devices 4" in out  # 2 processes × 2 devices in one runtime

    task = Task(sigma_yx=np.array(SEED_MATRIX, float), sigma_x=np.eye(4))
    references = {}
    for dtype in ("float32",):  # float64: the grid
        plain = sweep(task, hidden=4, chunk_size=10, dtype=dtype, devices=1, progress=False,
                      **RUN)
        references[dtype] = {"modes": plain.modes, "loss": plain.loss, "w0": plain.weights[0],
                             "w1": plain.weights[1]}
        folder = tmp_path / f"plain_{dtype}"  # 4 chunks: process 0 wrote 0 and 2, 1 wrote 1, 3
        assert sorted(store.records(folder)) == [0, 1, 2, 3]
        assert not list(folder.glob("lock*"))  # each process removed its lock file
        assert not list(folder.glob(".*.tmp"))
        assert store.load(folder).loss.tobytes() == np.asarray(plain.loss).tobytes()
    grid = sweep(task, chunk_size=10, devices=1, progress=False, **GRID)
    references["grid"] = {"modes": grid.modes, "loss": grid.loss}
    grid_file = json.loads((tmp_path / "grid" / store.GRID).read_text())
    assert grid_file["axes"] == [["hidden", [3, 5]]]
    assert store.load(tmp_path / "grid").modes.tobytes() == np.asarray(grid.modes).tobytes()
    for name, reference in references.items():
        for process in range(2):
            with np.load(tmp_path / f"process{process}_{name}.npz") as got:
                for field, expected in reference.items():
                    assert got[field].dtype == np.asarray(expected).dtype == np.dtype(
                        name if name != "grid" else "float64"), field
                    assert got[field].tobytes() == np.asarray(expected).tobytes(), (
                        process, name, field)
