#!/usr/bin/env python3
"""Cold versus warm (object cache) compilation, measured with `mind jit --time`.

For each program: runs `mind jit` with an empty cache (cold) and again with the entry it left
(warm), several times, interleaved. Two figures: the stages a hit replaces (differentiation,
inlining and simplification, lowering, LLVM optimization, codegen) against the cache load that
replaces them, and the whole compile (every stage but `run`, including parsing, checking,
specialization and linking, which both runs do). Also times the
whole `mind jit` process of the seed's Basic Usage example when warm. Writes
bench/results/cache.json (every raw figure) and bench/results/cache.md (medians and ratios).

Usage: python3 bench/cache_benchmark.py [--repeat N] [--mind .build/release/mind]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROGRAMS = {
    "grad4 (seed higher-order, 4th derivative)": os.path.join(HERE, "cache", "grad4.mind"),
    "MLP gradient (784-256-10, batch 64)": os.path.join(HERE, "cache", "mlp_grad.mind"),
}
BASIC = os.path.join(ROOT, "Examples", "basic_usage.mind")


def stages(mind, program, cache):
    env = dict(os.environ, MIND_CACHE_DIR=cache)
    result = subprocess.run([mind, "jit", "--time", program], env=env, capture_output=True, text=True, check=True)
    times = {name: float(ms) for name, ms in re.findall(r"^  (\S+)\s+([0-9.]+) ms$", result.stderr, re.M)}
    hit = "cache: hit" in result.stderr
    return times, hit, result.stdout


# The stages a cache hit replaces, and what replaces them.
COMPILED = ("ad", "inline+simplify", "lower", "llvm-opt", "codegen")
LOADED = ("cache-load",)


def compile_ms(times):
    return sum(ms for name, ms in times.items() if name not in ("run", "total"))


def replaced_ms(times, names):
    return sum(times.get(name, 0.0) for name in names)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--mind", default=os.path.join(ROOT, ".build", "release", "mind"))
    args = parser.parse_args()
    raw = {"machine": os.uname().machine, "cpus": os.cpu_count(), "programs": {}}
    rows = []
    for label, program in PROGRAMS.items():
        cold, warm, cold_stages, warm_stages = [], [], [], []
        for _ in range(args.repeat):
            cache = tempfile.mkdtemp(prefix="mind-bench-cache-")
            try:
                times, hit, out_cold = stages(args.mind, program, cache)
                assert not hit
                cold.append(compile_ms(times))
                cold_stages.append(replaced_ms(times, COMPILED))
                times, hit, out_warm = stages(args.mind, program, cache)
                assert hit and out_warm == out_cold
                warm.append(compile_ms(times))
                warm_stages.append(replaced_ms(times, LOADED))
            finally:
                shutil.rmtree(cache)
        raw["programs"][label] = {
            "cold_compile_ms": cold, "warm_compile_ms": warm,
            "cold_ad_to_codegen_ms": cold_stages, "warm_cache_load_ms": warm_stages,
        }
        rows.append((label, statistics.median(cold_stages), statistics.median(warm_stages),
                     statistics.median(cold), statistics.median(warm)))
    cache = tempfile.mkdtemp(prefix="mind-bench-cache-")
    env = dict(os.environ, MIND_CACHE_DIR=cache)
    subprocess.run([args.mind, "jit", BASIC], env=env, capture_output=True, check=True)
    walls = []
    for _ in range(max(10, args.repeat)):
        start = time.perf_counter()
        subprocess.run([args.mind, "jit", BASIC], env=env, capture_output=True, check=True)
        walls.append((time.perf_counter() - start) * 1000)
    shutil.rmtree(cache)
    raw["basic_usage_warm_wall_ms"] = walls
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "cache.json"), "w") as out:
        json.dump(raw, out, indent=2)
    lines = [
        "| program | cold: AD to codegen | warm: cache load | ratio | cold: parse to link | warm: parse to link | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, cold_stage, warm_stage, cold, warm in rows:
        lines.append(f"| {label} | {cold_stage:.2f} ms | {warm_stage:.2f} ms | {cold_stage / warm_stage:.0f}x "
                     f"| {cold:.2f} ms | {warm:.2f} ms | {cold / warm:.1f}x |")
    lines.append("")
    lines.append(f"Warm `mind jit Examples/basic_usage.mind`, whole process: median {statistics.median(walls):.1f} ms "
                 f"(min {min(walls):.1f}, max {max(walls):.1f}, {len(walls)} runs).")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(HERE, "results", "cache.md"), "w") as out:
        out.write(text)
    print(text)


if __name__ == "__main__":
    main()
