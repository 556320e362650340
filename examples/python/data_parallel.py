"""Data-parallel training through mind on MPI: every rank computes the gradient of the MLP of
mlp.mind on its shard of the batch with `mind`, the gradients are averaged with an MPI
allreduce, and every rank takes the same SGD step, so all ranks hold the same weights.

    mpirun -n 2 python examples/python/data_parallel.py --out weights.npz
    python examples/python/data_parallel.py --out weights.npz        # one process, whole batch

Both give the same weights (to f32 rounding: the shards' mean gradients averaged are the whole
batch's mean gradient). On several machines, the same script runs under `mpirun` with a host
file (`mpirun -n 8 --hostfile hosts python data_parallel.py`): each machine needs the
repository's build of libmindc (or the installed package) and its own object cache.
"""
import argparse
import os

import mind  # pip install ./python
import numpy as np

try:
    from mpi4py import MPI
except ImportError:  # one process without MPI
    MPI = None

BATCH, STEPS, LEARNING_RATE = 256, 30, 0.5
FIELDS = ["w1", "b1", "w2", "b2"]


def data():
    """A fixed batch: 4 classes of points in 32 dimensions around random centers."""
    rng = np.random.default_rng(7)
    centers = rng.standard_normal((4, 32)).astype(np.float32)
    y = rng.integers(0, 4, BATCH)
    x = (centers[y] + 0.5 * rng.standard_normal((BATCH, 32))).astype(np.float32)
    return x, y.astype(np.int64)


def initial():
    rng = np.random.default_rng(1)
    return {
        "w1": (0.1 * rng.standard_normal((32, 64))).astype(np.float32), "b1": np.zeros(64, np.float32),
        "w2": (0.1 * rng.standard_normal((64, 4))).astype(np.float32), "b2": np.zeros(4, np.float32),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    communicator = MPI.COMM_WORLD if MPI else None
    rank, size = (communicator.Get_rank(), communicator.Get_size()) if communicator else (0, 1)
    assert BATCH % size == 0, "the batch must split evenly over the ranks"
    program = mind.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mlp.mind"))
    value_and_grad = program.function("value_and_grad(loss)")
    x, y = data()
    shard = slice(rank * BATCH // size, (rank + 1) * BATCH // size)
    xs, ys = x[shard], y[shard]
    params = initial()
    for step in range(STEPS):
        loss, gradient = value_and_grad(params, xs, ys)
        # One buffer for all fields: one allreduce per step.
        flat = np.concatenate([gradient[name].ravel() for name in FIELDS])
        if communicator:
            total = np.empty_like(flat)
            communicator.Allreduce(flat, total, op=MPI.SUM)
            flat = total / size
            loss = communicator.allreduce(float(loss), op=MPI.SUM) / size
        offset = 0
        for name in FIELDS:
            count = params[name].size
            params[name] = params[name] - np.float32(LEARNING_RATE) * flat[offset:offset + count].reshape(params[name].shape)
            offset += count
        if rank == 0 and step % 10 == 0:
            print(f"step {step}: loss {float(loss):.6f}")
    if rank == 0:
        np.savez(args.out, **params)
        print(f"{size} rank{'s' if size > 1 else ''}: final loss {float(program.function('loss')(params, x, y)):.6f}")


if __name__ == "__main__":
    main()
