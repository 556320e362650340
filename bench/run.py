#!/usr/bin/env python3
"""The benchmark harness: mind against JAX, PyTorch and NumPy on the same machine, in one run.

Every (workload, system, thread mode) runs in fresh processes, several times, interleaved.
Each process makes the inputs (the deterministic `sin`/`index` patterns all systems share),
times the first call (compilation included) and then repeated calls. mind runs twice per
round: cold (`--no-cache`) and warm (from the object cache). Single-threaded runs are pinned to
one core (taskset) with every threading knob set to one. The harness also measures the machine:
memory bandwidth (NumPy copy) and single-core sgemm GFLOP/s (NumPy's BLAS).

Every result is compared with JAX's (to 1e-4) and with JAX's f64 result on the same inputs (the
reference: two correct f32 results of a deep network can differ by more than either does from it).
Writes results/bench.json (every raw figure), results/bench.md and results/bench.svg (`--report`
names them).
Usage: python3 bench/run.py [--rounds 3] [--repeat 100] [--only w1,w3] [--threads single,default]
[--report bench]
(--repeat: timed calls per process after the first, for every system; W4, W7 and W10-W12 make
20, W4's 8-block stacks 3.
The first calls after compilation are slower in every system (caches, page faults, allocator
warm-up), so enough calls are made that the median is the steady state.)
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MIND = os.path.join(ROOT, ".build", "release", "mind")
PYTHONS = {"jax": os.path.join(HERE, ".venv-jax", "bin", "python"), "pytorch": os.path.join(HERE, ".venv-torch", "bin", "python")}
NUMPY_PYTHON = PYTHONS["jax"] if os.path.exists(PYTHONS["jax"]) else sys.executable


def block_inputs():
    return ["f32[4,128,256]:sin:1", "f32[256,256]:sin:2", "f32[256,256]:sin:3", "f32[256,256]:sin:4",
            "f32[256,256]:sin:5", "f32[256,1024]:sin:6", "f32[1024,256]:sin:7"]


MLP = ["f32[784,256]:sin:3", "f32[256]:sin:4", "f32[256,10]:sin:5", "f32[10]:sin:6", "f32[64,784]:sin:1", "i64[64]:index:10"]
LOOP = ["f32[64]:sin:1", "f32[64,64]:sin:2"]
DEEP = ["f32[40,64,64]:sin:1", "f32[32,64]:sin:2"]
# id, label, mind file, mind call, peer workload, inputs, bytes moved (for bandwidth), flops
WORKLOADS = [
    ("w1_3", "W1 MSE gradient, N=3", "w1_mse.mind", "grad(loss)", "w1", ["f32[3]:sin:1", "f32[3]:sin:2"], 36, 0),
    ("w1_1e3", "W1 MSE gradient, N=1e3", "w1_mse.mind", "grad(loss)", "w1", ["f32[1000]:sin:1", "f32[1000]:sin:2"], 12e3, 0),
    ("w1_1e6", "W1 MSE gradient, N=1e6", "w1_mse.mind", "grad(loss)", "w1", ["f32[1000000]:sin:1", "f32[1000000]:sin:2"], 12e6, 0),
    ("w2_1", "W2 d/dx x^3", "w2_cube.mind", "grad(f)", "w2_1", ["f32:sin:1"], 8, 0),
    ("w2_2", "W2 d2/dx2 x^3", "w2_cube.mind", "grad(grad(f))", "w2_2", ["f32:sin:1"], 8, 0),
    ("w2_3", "W2 d3/dx3 x^3", "w2_cube.mind", "grad(grad(grad(f)))", "w2_3", ["f32:sin:1"], 8, 0),
    ("w3", "W3 MLP gradient 784-256-10, batch 64", "w3_mlp.mind", "grad(loss, wrt=(0, 1, 2, 3))", "w3", MLP, 0,
     3 * 2 * 64 * (784 * 256 + 256 * 10)),
    ("w4_one", "W4 transformer block gradient, x[4,128,256]", "w4_block.mind", "grad(one)", "w4_one", block_inputs(), 0,
     3 * 2 * 4 * 128 * (4 * 256 * 256 + 2 * 256 * 1024 + 2 * 128 * 256)),
    ("w4_stack", "W4 stack of 8 blocks", "w4_block.mind", "grad(stack)", "w4_stack", block_inputs(), 0,
     8 * 3 * 2 * 4 * 128 * (4 * 256 * 256 + 2 * 256 * 1024 + 2 * 128 * 256)),
    ("w4_stack_ckpt", "W4 stack of 8 checkpointed blocks", "w4_block.mind", "grad(stack_checkpointed)", "w4_stack_checkpointed",
     block_inputs(), 0, 8 * 4 * 2 * 4 * 128 * (4 * 256 * 256 + 2 * 256 * 1024 + 2 * 128 * 256)),
    ("w5_custom", "W5 @custom_grad ReLU, N=1e6", "w5_relu.mind", "grad(custom)", "w5_custom", ["f32[1000000]:sin:1"], 8e6, 0),
    ("w5_builtin", "W5 built-in ReLU, N=1e6", "w5_relu.mind", "grad(builtin)", "w5_builtin", ["f32[1000000]:sin:1"], 8e6, 0),
    ("w6_100", "W6 64-vector loop gradient, 100 steps", "w6_loops.mind", "grad(constant100, wrt=1)", "w6_100", LOOP, 0, 0),
    ("w6_1000", "W6 the same, 1000 steps", "w6_loops.mind", "grad(constant1000, wrt=1)", "w6_1000", LOOP, 0, 0),
    ("w6_counted", "W6 the same, a runtime trip count n=1000", "w6_loops.mind", "grad(counted, wrt=1)", "w6_counted",
     LOOP + ["i64:const:1000"], 0, 0),
    ("w6_while", "W6 the same, a `while` of 1000 steps", "w6_loops.mind", "grad(looped, wrt=1)", "w6_counted",
     LOOP + ["i64:const:1000"], 0, 0),
    ("w7", "W7 Elman RNN gradient, 100 steps, batch 32, 64 -> 128", "w7_rnn.mind", "grad(rnn, wrt=(0, 1, 2))", "w7",
     ["f32[64,128]:sin:1", "f32[128,128]:sin:2", "f32[128]:sin:3", "f32[100,32,64]:sin:4"], 0, 3 * 2 * 100 * 32 * 128 * 192),
    ("w8_16", "W8 Hessian of sum(tanh(A x)^2), n=16", "w8_hessian.mind", "hessian(tanh_norm16)", "w8", ["f32[16]:sin:1"], 0, 0),
    ("w8_64", "W8 the same, n=64", "w8_hessian.mind", "hessian(tanh_norm64)", "w8", ["f32[64]:sin:1"], 0, 0),
    ("w8_256", "W8 the same, n=256", "w8_hessian.mind", "hessian(tanh_norm256)", "w8", ["f32[256]:sin:1"], 0, 0),
    ("w9_normal", "W9 40-layer tanh MLP gradient, width 64, batch 32", "w9_deep.mind", "grad(normal)", "w9_normal", DEEP, 0,
     3 * 2 * 40 * 32 * 64 * 64),
    ("w9_subnormal", "W9 the same, subnormal activations", "w9_deep.mind", "grad(subnormal)", "w9_subnormal", DEEP, 0,
     3 * 2 * 40 * 32 * 64 * 64),
    ("w10", "W10 LayerNorm + GELU MLP 512-2048-512, batch 64", "w10_ln_gelu.mind", "grad(mlp, wrt=(0, 1))", "w10",
     ["f32[512,2048]:sin:1", "f32[2048,512]:sin:2", "f32[64,512]:sin:3"], 0, 3 * 2 * 2 * 64 * 512 * 2048),
    ("w11", "W11 CNN gradient, 32 images 28x28, conv 1-16-32, dense 10", "w11_cnn.mind", "grad(cnn, wrt=(0, 1, 2))", "w11",
     ["f32[3,3,1,16]:sin:1", "f32[3,3,16,32]:sin:2", "f32[18432,10]:sin:3", "f32[32,28,28,1]:sin:4", "i64[32]:index:10"], 0,
     3 * 2 * 32 * (26 * 26 * 9 * 16 + 24 * 24 * 144 * 32 + 18432 * 10)),
    ("w13_ln_gelu", "W13 LayerNorm + GELU gradient, 4096x1024", "w13_rows.mind", "grad(ln_gelu)", "w13_ln_gelu",
     ["f32[4096,1024]:sin:1", "f32[4096,1024]:sin:2"], 3 * 4096 * 1024 * 4, 0),
    ("w13_softmax", "W13 softmax gradient, 4096x1024", "w13_rows.mind", "grad(softmax_rows)", "w13_softmax",
     ["f32[4096,1024]:sin:1", "f32[4096,1024]:sin:2"], 3 * 4096 * 1024 * 4, 0),
    ("w12_descend", "W12 10 gradient-descent steps in MIND, N=1e6", "w12_training.mind", "descend", "w12_descend",
     ["f32[1000000]:sin:1", "f32[1000000]:sin:2"], 10 * 12e6, 0),
    ("w12_sgd", "W12 20 SGD steps of a 784-128-10 MLP in MIND, batch 256", "w12_training.mind", "sgd", "w12_sgd",
     ["f32[784,128]:sin:1", "f32[128,10]:sin:2", "f32[256,784]:sin:3", "i64[256]:index:10"], 0,
     20 * 3 * 2 * 256 * (784 * 128 + 128 * 10)),
]

SINGLE = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
          "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
          "TF_NUM_INTEROP_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}


def run_process(command, env, single):
    """Runs a command in a fresh process; returns (its JSON, wall ms, peak RSS in KiB)."""
    if single:
        command = ["taskset", "-c", "0"] + command
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=errors, cwd=HERE)
        out = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = (time.perf_counter() - start) * 1000
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            return {"error": errors.read().decode()[-400:]}, wall, None
    return json.loads(out.decode().strip().splitlines()[-1]), wall, usage.ru_maxrss


def mind_expression(spec):
    """The MIND expression that builds an input as `mind bench` and the peers do."""
    type_text, pattern, seed = spec.split(":")
    name = type_text.split("[")[0]
    shape = [int(d) for d in type_text[len(name) + 1:-1].split(",")] if "[" in type_text else []
    count = 1
    for d in shape:
        count *= d
    if pattern == "const":
        return seed
    if pattern == "sin":
        flat = f"sin(arange(0.0, {count}.0, 1.0) * 0.37 + {seed}.0)" if shape else f"sin({seed}.0)"
    else:
        flat = f"arange(0, {count}, 1) % {seed}"
    value = f"reshape({flat}, [{', '.join(map(str, shape))}])" if shape else flat
    return value if name in ("f32", "i64") or not shape else f"cast<{name}>({value})"


def mind_loop_program(workload, repeat):
    """A MIND program that calls the workload `repeat` times in a loop. The time per call inside
    MIND is the difference of the `run` times of two such programs (2n and n calls) divided by n,
    which leaves out making the inputs. Each call's first input is perturbed by `0.0 * r` so that
    no call can be hoisted out of the loop."""
    wid, _, mind_file, mind_call, _, inputs, _, _ = workload
    names = [f"a{i}" for i in range(len(inputs))]
    lines = [f"import {mind_file[:-5]};", "", "fn main() {"]
    lines += [f"    let {n} = {mind_expression(spec)};" for n, spec in zip(names, inputs)]
    lines.append("    let mut total = 0.0;")
    lines.append(f"    for r in 0..{repeat} {{")
    first = f"{names[0]} + cast<f32>(r) * 0.0"
    call = f"({mind_call})({', '.join([first] + names[1:])})"
    if "wrt=(" in mind_call:
        count = mind_call.split("wrt=(")[1].split(")")[0].count(",") + 1
        outputs = [f"o{i}" for i in range(count)]
        lines.append(f"        let ({', '.join(outputs)}) = {call};")
        lines.append("        total = total + " + " + ".join(f"sum({o})" for o in outputs) + ";")
    else:
        lines.append(f"        total = total + sum({call});")
    lines.append("    }")
    lines.append("    print(total);")
    lines.append("}")
    path = os.path.join(HERE, "workloads", f"_loop_{wid}_{repeat}.mind")
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    return path


def saved_bytes(workload):
    """The bytes of forward values the differentiated function's backward sweep keeps, as
    `mind ir --stage ad --saved` reports them (its own, those of every call of a shared function,
    and the largest recomputation of a checkpointed one), or None."""
    function = re.search(r"grad\(([A-Za-z_]\w*)[,)]", workload[3])
    if not function:
        return None
    result = subprocess.run([MIND, "ir", mind_loop_program(workload, 1), "--stage", "ad", "--saved"],
                            capture_output=True, text=True, cwd=HERE)
    found = re.search(rf"^saved by @vjp\.{function.group(1)}__\S*: (\d+) bytes", result.stdout, re.M)
    return int(found.group(1)) if found else None


def machine_limits():
    code = """
import json, time, numpy as np
a = np.ones(64 * 1024 * 1024 // 4, dtype=np.float32); b = np.empty_like(a)
best = min((lambda t: (np.copyto(b, a), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(10))
m = np.ones((1024, 1024), dtype=np.float32)
flops = min((lambda t: (m @ m, time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(5))
print(json.dumps({"copy_gb_s": 2 * a.nbytes / best / 1e9, "sgemm_gflop_s": 2 * 1024 ** 3 / flops / 1e9}))
"""
    env = dict(os.environ, **SINGLE)
    out = subprocess.run(["taskset", "-c", "0", NUMPY_PYTHON, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def agree(a, b, tolerance=1e-4):
    """Outputs agree when their norms match to `tolerance` relative and their first elements
    match to `tolerance` times the norm (sums of mixed-sign values are too sensitive)."""
    if not a or not b or len(a) != len(b):
        return False
    for x, y in zip(a, b):
        scale = max(x["norm"], y["norm"], 1e-30)
        if abs(x["norm"] - y["norm"]) > tolerance * scale:
            return False
        if any(abs(u - v) > tolerance * scale for u, v in zip(x["first"], y["first"])):
            return False
    return True


def error_vs(a, reference):
    """The largest relative error of outputs against the f64 reference: of the norm, and of the
    first elements relative to the norm."""
    if not a or not reference or len(a) != len(reference):
        return None
    worst = 0.0
    for x, r in zip(a, reference):
        scale = max(r["norm"], 1e-30)
        worst = max([worst, abs(x["norm"] - r["norm"]) / scale] + [abs(u - v) / scale for u, v in zip(x["first"], r["first"])])
    return worst


def f64_reference(peer, inputs):
    """The workload's gradient computed by JAX in f64 (None when JAX is unavailable)."""
    if not os.path.exists(PYTHONS["jax"]):
        return None
    env = dict(os.environ, MIND_BENCH_F64="1", **SINGLE)
    result, _, _ = run_process([PYTHONS["jax"], os.path.join("peers", "jax_peer.py"), peer, "0"] + inputs, env, False)
    return result.get("outputs")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--only", default="")
    parser.add_argument("--threads", default="single,default")
    parser.add_argument("--report", default="bench", help="results/NAME.json, .md and .svg")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    systems = ["mind"] + [s for s, p in PYTHONS.items() if os.path.exists(p)] + ["numpy"]
    unavailable = [s for s, p in PYTHONS.items() if not os.path.exists(p)]
    limits = machine_limits()
    raw = {"machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname()), **limits}, "unavailable": unavailable, "results": {}}
    for workload in WORKLOADS:
        wid, label, mind_file, mind_call, peer, inputs, moved, flops = workload
        if only and wid not in only and wid.split("_")[0] not in only:
            continue
        reference64 = f64_reference(peer, inputs)
        raw["results"].setdefault(wid, {"label": label, "bytes": moved, "flops": flops})["reference_f64"] = reference64
        raw["results"][wid]["saved_bytes"] = saved_bytes(workload)
        heavy = wid.startswith(("w4", "w7", "w10", "w11", "w12", "w13"))
        repeat = (3 if "stack" in wid else 20) if heavy else args.repeat
        for mode in args.threads.split(","):
            single = mode == "single"
            env = dict(os.environ, **(SINGLE if single else {}))
            cache = os.path.join(HERE, "results", "raw", "cache")
            env["MIND_CACHE_DIR"] = cache
            entry = raw["results"].setdefault(wid, {"label": label, "bytes": moved, "flops": flops}).setdefault(mode, {})
            for round_ in range(args.rounds):
                for system in systems:
                    if system == "mind":
                        base = [MIND, "bench", os.path.join("workloads", mind_file), "--call", mind_call, "--repeat", str(repeat)]
                        base += [x for spec in inputs for x in ("--input", spec)]
                        subprocess.run(["rm", "-rf", cache])
                        cold, wall, rss = run_process(base + ["--no-cache"], env, single)
                        run_process(base, env, single)  # fills the cache
                        warm, warm_wall, _ = run_process(base, env, single)
                        record = entry.setdefault("mind", {"first_call_ms": [], "call_ms": [], "process_ms": [], "warm_first_call_ms": [], "warm_process_ms": [], "peak_rss_kb": []})
                        if "error" in cold:
                            record["error"] = cold["error"]
                            continue
                        record["first_call_ms"].append(cold["first_call_ms"])
                        record["call_ms"] += cold["call_ms"]
                        record["process_ms"].append(wall)
                        record["warm_first_call_ms"].append(warm.get("first_call_ms"))
                        record["warm_process_ms"].append(warm_wall)
                        record["peak_rss_kb"].append(rss)
                        record["outputs"] = cold["outputs"]
                        runs = []
                        for count in (repeat, 2 * repeat):
                            loop = mind_loop_program(workload, count)
                            result = subprocess.run((["taskset", "-c", "0"] if single else []) + [MIND, "jit", "--no-cache", "--time", loop],
                                                    env=env, capture_output=True, text=True, cwd=HERE)
                            found = re.findall(r"^  run\s+([0-9.]+) ms$", result.stderr, re.M)
                            runs.append(float(found[0]) if result.returncode == 0 and found else None)
                        if None not in runs:
                            record.setdefault("loop_call_ms", []).append(max(runs[1] - runs[0], 0.0) / repeat)
                        else:
                            record["loop_error"] = result.stderr[-300:]
                    else:
                        python = NUMPY_PYTHON if system == "numpy" else PYTHONS[system]
                        script = os.path.join("peers", {"jax": "jax_peer.py", "pytorch": "torch_peer.py", "numpy": "numpy_peer.py"}[system])
                        result, wall, rss = run_process([python, script, peer, str(repeat)] + inputs, env, single)
                        record = entry.setdefault(system, {"first_call_ms": [], "call_ms": [], "process_ms": [], "peak_rss_kb": []})
                        if "error" in result or "unavailable" in result:
                            record["error"] = result.get("error") or result.get("unavailable")
                            continue
                        record["first_call_ms"].append(result["first_call_ms"])
                        record["call_ms"] += result["call_ms"]
                        record["process_ms"].append(wall)
                        record["peak_rss_kb"].append(rss)
                        record["outputs"] = result["outputs"]
            reference = entry.get("jax", {}).get("outputs")
            for system, record in entry.items():
                if "outputs" in record and reference is not None:
                    record["agrees_with_jax"] = agree(record["outputs"], reference)
                if "outputs" in record and reference64 is not None:
                    record["error_vs_f64"] = error_vs(record["outputs"], reference64)
            print(f"{wid} [{mode}] " + ", ".join(
                f"{s}: {statistics.median(r['call_ms']):.4g} ms" for s, r in entry.items() if r.get("call_ms")), flush=True)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", f"{args.report}.json"), "w") as out:
        json.dump(raw, out, indent=1)
    from report import write_report
    write_report(raw, os.path.join(HERE, "results"), args.report)


if __name__ == "__main__":
    main()
