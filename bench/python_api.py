#!/usr/bin/env python3
"""mind from Python: the per-call time of the Python API against the Swift API (`mind bench`),
jax.jit and PyTorch eager on W1 (N=3 and N=1e6) and W3, and the first call of a fresh Python
process with a warm object cache against JAX's first call (which traces and compiles).

Each figure is the median over interleaved rounds of fresh processes, each process the median of
its calls, on one core (taskset -c 0). Writes bench/results/python.md.

Usage: python3 bench/python_api.py [--rounds 3] [--repeat 2000]
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MIND = os.path.join(ROOT, ".build", "release", "mind")
LIBRARY = os.path.join(ROOT, ".build", "release", "libmindc.so")
WORKLOADS = [
    ("W1 MSE gradient, N=3", "w1", "w1_mse.mind", "grad(loss)", ["f32[3]:sin:1", "f32[3]:sin:2"], 1),
    ("W1 MSE gradient, N=1e6", "w1", "w1_mse.mind", "grad(loss)", ["f32[1000000]:sin:1", "f32[1000000]:sin:2"], 100),
    ("W3 MLP gradient 784-256-10, batch 64", "w3", "w3_mlp.mind", "grad(loss, wrt=(0, 1, 2, 3))",
     ["f32[784,256]:sin:3", "f32[256]:sin:4", "f32[256,10]:sin:5", "f32[10]:sin:6", "f32[64,784]:sin:1",
      "i64[64]:index:10"], 100),
]


def python_for(venv):
    path = os.path.join(HERE, venv, "bin", "python")
    return path if os.path.exists(path) else None


def run(command, cache):
    env = dict(os.environ, MIND_CACHE_DIR=cache, MIND_LIBRARY=LIBRARY, MIND_NUM_THREADS="1", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")
    out = subprocess.run(["taskset", "-c", "0"] + command, env=env, capture_output=True, text=True, check=True,
                         cwd=os.path.join(HERE, "peers")).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    subprocess.run(["swift", "build", "-c", "release", "--product", "mindc"], cwd=ROOT, check=True,
                   capture_output=True)
    jax_python, torch_python = python_for(".venv-jax"), python_for(".venv-torch")
    numpy_python = jax_python or torch_python
    if numpy_python:  # the package, around the release build, in the JAX peer's environment
        subprocess.run([numpy_python, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps",
                        os.path.join(ROOT, "python")], env=dict(os.environ, MIND_LIBRARY=LIBRARY), check=True)
        subprocess.run(["rm", "-rf", os.path.join(ROOT, "python", "build")] , check=True)
    cache = tempfile.mkdtemp(prefix="mind-python-bench-")
    rows = []
    for label, workload, file, call, inputs, divisor in WORKLOADS:
        repeat = max(args.repeat // divisor, 20)
        systems = {
            "mind (Swift API)": [MIND, "bench", os.path.join(HERE, "workloads", file), "--call", call,
                                 "--repeat", str(repeat)] + sum([["--input", i] for i in inputs], []),
        }
        if numpy_python:
            systems["mind (Python API)"] = [numpy_python, "mind_python_peer.py", workload, str(repeat)] + inputs
        if jax_python:
            systems["JAX jit"] = [jax_python, "jax_peer.py", workload, str(repeat)] + inputs
        if torch_python:
            systems["PyTorch eager"] = [torch_python, "torch_peer.py", workload, str(repeat)] + inputs
        for command in systems.values():  # warm the object cache (and the page cache)
            run(command, cache)
        calls = {name: [] for name in systems}
        firsts = {name: [] for name in systems}
        for _ in range(args.rounds):
            for name, command in systems.items():
                result = run(command, cache)
                calls[name].append(statistics.median(result["call_ms"]))
                firsts[name].append(result["first_call_ms"])
        rows.append((label, {name: statistics.median(v) for name, v in calls.items()},
                     {name: statistics.median(v) for name, v in firsts.items()}))
    names = list(rows[0][1])

    def show(ms):
        return f"{ms * 1000:.2f} µs" if ms < 1 else f"{ms:.3f} ms"

    lines = ["# mind from Python", "",
             f"`python3 bench/python_api.py --rounds {args.rounds} --repeat {args.repeat}`: medians of "
             f"{args.rounds} interleaved rounds of fresh processes on one core; first calls with a warm "
             "object cache for mind (JAX has none on CPU).", "",
             "| workload | " + " | ".join(f"{n} per call" for n in names) + " | Python / Swift | Python / JAX |",
             "|---|" + "---:|" * (len(names) + 2)]
    for label, call, _ in rows:
        python, swift, jax = call.get("mind (Python API)"), call["mind (Swift API)"], call.get("JAX jit")
        lines.append(f"| {label} | " + " | ".join(show(call[n]) for n in names)
                     + f" | {python / swift:.2f} | " + (f"{python / jax:.2f} |" if python and jax else "– |"))
    lines += ["", "| workload | " + " | ".join(f"{n} first call" for n in names) + " |",
              "|---|" + "---:|" * len(names)]
    for label, _, first in rows:
        lines.append(f"| {label} | " + " | ".join(show(first[n]) for n in names) + " |")
    if jax_python:
        overhead = {}
        for _ in range(args.rounds):
            for python, system in ((jax_python, "mind"), (jax_python, "jax")):
                for name, us in run([python, "call_overhead.py", system], cache).items():
                    overhead.setdefault(name, []).append(us)
        lines += ["", "Per-call overhead of W1 N=3 in a bare loop (`bench/peers/call_overhead.py`, no per-call timer):", "",
                  "| call | per call |", "|---|---:|"]
        lines += [f"| {name} | {statistics.median(v):.2f} µs |" for name, v in overhead.items()]
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "python.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
