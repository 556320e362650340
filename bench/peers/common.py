"""Shared by the peer scripts: deterministic inputs (the same numbers `mind bench` makes),
timing, and the JSON every peer prints."""
import json
import resource
import sys
import time

import numpy as np


def make(spec):
    """`f32[64,784]:sin:3` -> sin(0.37 i + 3) as float32; `i64[64]:index:10` -> i mod 10;
    `i64:const:1000` -> the scalar 1000."""
    type_text, pattern, seed = spec.split(":")
    seed = int(seed)
    name = type_text.split("[")[0]
    shape = [int(d) for d in type_text[len(name) + 1:-1].split(",")] if "[" in type_text else []
    count = int(np.prod(shape)) if shape else 1
    i = np.arange(count, dtype=np.float64)
    if pattern == "const":
        return np.asarray(seed, dtype={"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64}[name])
    values = np.sin(0.37 * i + seed) if pattern == "sin" else i % max(seed, 1)
    dtype = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64}[name]
    return values.astype(dtype).reshape(shape)


def summarize(outputs):
    flat = [np.asarray(o, dtype=np.float64).ravel() for o in outputs]
    return [{"sum": float(f.sum()), "norm": float(np.sqrt((f * f).sum())), "first": [float(v) for v in f[:4]]} for f in flat]


def bench(call, repeat, to_numpy):
    start = time.perf_counter()
    result = call()
    to_numpy(result)
    first = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = call()
        to_numpy(result)
        times.append((time.perf_counter() - t0) * 1000)
    outputs = to_numpy(result)
    print(json.dumps({
        "first_call_ms": first, "call_ms": times, "outputs": summarize(outputs),
        "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


def arguments():
    """workload, repeat, input specs."""
    return sys.argv[1], int(sys.argv[2]), [make(s) for s in sys.argv[3:]]
