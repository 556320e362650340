"""Per-call overhead of W1 N=3 measured by a bare loop (no per-call timer): `python
call_overhead.py mind|jax`. Prints JSON: microseconds per call, the median of 5 loops of
100,000 calls (20,000 for JAX). mind: NumPy arrays in and out; JAX: its own arrays in with
block_until_ready (its dispatch), and NumPy arrays in and out (what the mind call does)."""
import json
import statistics
import sys
import time

import numpy as np

a = np.sin(0.37 * np.arange(3) + 1).astype(np.float32)
b = np.sin(0.37 * np.arange(3) + 2).astype(np.float32)


def loop(f, n):
    for _ in range(2000):
        f()
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            f()
        rounds.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(rounds)


if sys.argv[1] == "mind":
    import os

    import mind

    here = os.path.dirname(os.path.abspath(__file__))
    g = mind.load(os.path.join(here, "..", "workloads", "w1_mse.mind"), tiered=False).function("grad(loss)")
    print(json.dumps({"mind (Python API), NumPy in and out": loop(lambda: g(a, b), 100000)}))
else:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_platforms", "cpu")
    g = jax.jit(jax.grad(lambda p, t: jnp.mean((p - t) ** 2)))
    ja, jb = jnp.asarray(a), jnp.asarray(b)
    print(json.dumps({
        "JAX jit, device arrays in, block_until_ready": loop(lambda: g(ja, jb).block_until_ready(), 20000),
        "JAX jit, NumPy in and out": loop(lambda: np.asarray(g(a, b)), 20000),
    }))
