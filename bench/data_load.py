#!/usr/bin/env python3
"""How fast a 1 GiB .npy file gets into a computation: `mind` against `numpy.load`.

Writes a 1 GiB f32 .npy (2^28 elements) and, in interleaved rounds, times
  numpy      np.load(path) (reads the file into a new array), then x.sum()
  mind arg   `mind jit total.mind --entry total big.npy`: the file is mapped and used in place
             (the `bind arguments` and `compile and run` figures of --time; a cache hit, so
             "run" is the sum's pass over the mapped pages)
  mind load  `let x: Tensor<f32, 268435456> = load(...)` in a program: read into the
             program's buffer at run time (the `run` stage of --time)
each with the file in the page cache (warm) and, when this process may drop the page cache
(root), with it dropped first (cold: the disk's speed). Reports medians in MB/s of the file's
size over the time to have the data and its sum. Writes bench/results/data_load.md.

Usage: python3 bench/data_load.py [--repeat N] [--mind .build/release/mind]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COUNT = 1 << 28
SIZE = COUNT * 4


def drop_caches():
    try:
        subprocess.run(["sync"], check=True)
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def numpy_round(python, path):
    code = (
        "import numpy as np, time, sys; t = time.perf_counter(); x = np.load(sys.argv[1]); "
        "s = float(x.sum(dtype=np.float32)); print(time.perf_counter() - t, s)"
    )
    out = subprocess.run([python, "-c", code, path], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def mind_stage(mind, arguments, cache, pattern):
    env = dict(os.environ, MIND_CACHE_DIR=cache)
    result = subprocess.run([mind, "jit", "--time"] + arguments, env=env, capture_output=True, text=True, check=True)
    seconds = sum(float(ms) for ms in re.findall(pattern, result.stderr, re.M)) / 1000
    return seconds, float(result.stdout.split()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mind", default=os.path.join(ROOT, ".build", "release", "mind"))
    args = parser.parse_args()
    python = subprocess.run(["bash", os.path.join(ROOT, "scripts", "data-venv.sh")], capture_output=True,
                            text=True, check=True).stdout.strip()
    folder = tempfile.mkdtemp(prefix="mind-data-load-")
    path = os.path.join(folder, "big.npy")
    subprocess.run([python, "-c", f"import numpy as np; np.save({path!r}, "
                    f"np.sin(np.arange({COUNT}, dtype=np.float32) * np.float32(1e-3)))"], check=True)
    argument_program = os.path.join(folder, "total.mind")
    with open(argument_program, "w") as f:
        f.write("fn total(x: Tensor<f32, N>) -> f32 { sum(x) }\n")
    load_program = os.path.join(folder, "load.mind")
    with open(load_program, "w") as f:
        f.write(f'fn main() {{ let x: Tensor<f32, {COUNT}> = load("big.npy"); print(sum(x)); }}\n')
    cache = os.path.join(folder, "cache")
    ways = {
        "numpy.load + sum": lambda: numpy_round(python, path),
        "mind jit --entry total big.npy (mapped in place) + sum": lambda: mind_stage(
            args.mind, [argument_program, "--entry", "total", path], cache,
            r"^(?:bind arguments|compile and run): ([0-9.]+) ms"),
        "load(...) in a program (read into its buffer) + sum": lambda: mind_stage(
            args.mind, [load_program], cache, r"^  run\s+([0-9.]+) ms$"),
    }
    for way in ways.values():  # compile and cache the programs, warm the page cache
        way()
    can_drop = drop_caches()
    results = {(name, temperature): [] for name in ways for temperature in ("warm", "cold")}
    sums = set()
    for _ in range(args.repeat):
        for name, way in ways.items():
            for temperature in ("warm", "cold") if can_drop else ("warm",):
                if temperature == "cold":
                    drop_caches()
                seconds, total = way()
                sums.add(round(total, 1))
                results[(name, temperature)].append(seconds)
    lines = [
        "# 1 GiB .npy into a sum",
        "",
        f"`python3 bench/data_load.py --repeat {args.repeat}`: medians of {args.repeat} interleaved rounds, "
        f"MB/s = {SIZE / 1e6:.0f} MB over the time to have the data and its sum (sums agree: {sorted(sums)}).",
        "",
        "| way | warm page cache | cold (caches dropped) |",
        "|---|---:|---:|",
    ]
    for name in ways:
        cells = []
        for temperature in ("warm", "cold"):
            times = results[(name, temperature)]
            cells.append(f"{statistics.median(times) * 1000:.0f} ms, {SIZE / 1e6 / statistics.median(times):.0f} MB/s"
                         if times else "not measured")
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "data_load.md"), "w") as f:
        f.write(text)
    print(text)
    subprocess.run(["rm", "-rf", folder])


if __name__ == "__main__":
    sys.exit(main())
