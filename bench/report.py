"""Turns bench.json into bench.md (a summary per thread mode in the README's format, then tables
of medians and ratios) and bench.svg (a chart of the steady-state ratios mind / JAX and
mind / PyTorch, single-threaded).

The compile ratio is the first call minus one steady call (what compiling costs), over JAX's
first call: DESIGN.md's bar for cold compilation. The first-call ratio itself includes running
the call once, which for the 8-block gradient alone exceeds a quarter of JAX's first call."""
import os
import statistics


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values):
    values = sorted(v for v in values if v is not None)
    if len(values) < 4:
        return None
    q = statistics.quantiles(values, n=4)
    return q[2] - q[0]


def fmt(value, digits=3):
    return "n/a" if value is None else f"{value:.{digits}g}"


def duration(ms):
    """A time in µs or ms with three significant digits."""
    if ms is None:
        return "—"
    return f"{ms * 1000:.3g} µs" if ms < 0.1 else f"{ms:.3g} ms"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def figures(systems):
    """The medians both tables show: steady time per system, mind's and JAX's first calls, and
    mind's compile time (first call minus one steady call)."""
    steady = {name: median(systems.get(name, {}).get("call_ms", [])) for name in ("mind", "jax", "pytorch", "numpy")}
    cold = median(systems.get("mind", {}).get("first_call_ms", []))
    jax_cold = median(systems.get("jax", {}).get("first_call_ms", []))
    compile_ms = None if cold is None or steady["mind"] is None else max(cold - steady["mind"], 0)
    return steady, cold, jax_cold, compile_ms


def summary(rows, mode):
    """The README's table: steady medians per system, ratios to JAX, first calls and compile."""
    lines = ["| workload | mind | JAX | PyTorch | NumPy | mind / JAX | mind first call | JAX first call | ratio | compile ratio |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for _, entry in rows:
        steady, cold, jax_cold, compile_ms = figures(entry[mode])
        lines.append(
            f"| {entry['label']} | {duration(steady['mind'])} | {duration(steady['jax'])} | {duration(steady['pytorch'])}"
            f" | {duration(steady['numpy'])} | {fmt(ratio(steady['mind'], steady['jax']), 2)} | {duration(cold)}"
            f" | {duration(jax_cold)} | {fmt(ratio(cold, jax_cold), 2)} | {fmt(ratio(compile_ms, jax_cold), 2)} |")
    return lines


def limit_ms(entry, machine):
    if entry["flops"]:
        return entry["flops"] / (machine["sgemm_gflop_s"] * 1e9) * 1000
    if entry["bytes"] >= 1e6:
        return entry["bytes"] / (machine["copy_gb_s"] * 1e9) * 1000
    return None


def write_report(raw, folder, name="bench"):
    machine = raw["machine"]
    lines = [
        f"Machine: {machine['uname']}; {machine['cpus']} CPUs; measured single-core copy bandwidth "
        f"{machine['copy_gb_s']:.1f} GB/s, sgemm {machine['sgemm_gflop_s']:.1f} GFLOP/s.",
        "",
    ]
    if raw.get("unavailable"):
        lines.append(f"Unavailable peers: {', '.join(raw['unavailable'])}.")
        lines.append("")
    chart = []
    for mode in ("single", "default"):
        rows = [(wid, entry) for wid, entry in raw["results"].items() if mode in entry]
        if not rows:
            continue
        lines.append(f"### {'Single-threaded (one core)' if mode == 'single' else 'Default threads'}")
        lines.append("")
        lines += summary(rows, mode)
        lines.append("")
        lines.append("| workload | system | steady (median) | spread (IQR) | in a MIND loop | first call | warm first call | process | peak RSS | agrees with JAX | error vs f64 |")
        lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|:-:|---:|")
        for wid, entry in rows:
            systems = entry[mode]
            for system, record in systems.items():
                if record.get("error"):
                    lines.append(f"| {entry['label']} | {system} | {record['error'][:60].strip()} | | | | | | | | |")
                    continue
                lines.append(
                    f"| {entry['label']} | {system} | {fmt(median(record['call_ms']))} ms | {fmt(spread(record['call_ms']), 2)} ms"
                    f" | {fmt(median(record.get('loop_call_ms', [])))}{' ms' if record.get('loop_call_ms') else ''}"
                    f" | {fmt(median(record['first_call_ms']))} ms | {fmt(median(record.get('warm_first_call_ms', [])))}"
                    f"{' ms' if record.get('warm_first_call_ms') else ''} | {fmt(median(record['process_ms']))} ms"
                    f" | {fmt((median(record['peak_rss_kb']) or 0) / 1024)} MiB | {'yes' if record.get('agrees_with_jax') else ('ref' if system == 'jax' else 'NO')}"
                    f" | {fmt(record.get('error_vs_f64'), 2)} |")
            lines.append("")
        lines.append("| workload | mind / JAX (steady) | mind / PyTorch (steady) | mind / machine limit | mind cold first call / JAX first call | mind compile (first call − steady) / JAX first call |")
        lines.append("|---|---:|---:|---:|---:|---:|")
        for wid, entry in rows:
            steady, cold, jax_cold, compile_ms = figures(entry[mode])
            mind, jax, torch = steady["mind"], steady["jax"], steady["pytorch"]
            limit = limit_ms(entry, machine)
            lines.append(f"| {entry['label']} | {fmt(ratio(mind, jax))} | {fmt(ratio(mind, torch))} | {fmt(ratio(mind, limit))} | {fmt(ratio(cold, jax_cold))} | {fmt(ratio(compile_ms, jax_cold))} |")
            if mode == "single":
                chart.append((entry["label"], ratio(mind, jax), ratio(mind, torch)))
        lines.append("")
    saved = [(entry["label"], entry["saved_bytes"], entry) for entry in raw["results"].values() if entry.get("saved_bytes")]
    if saved:
        lines.append("### Forward values the backward sweep keeps")
        lines.append("")
        lines.append("As `mind ir --stage ad --saved` reports them (before dead adjoints are removed), and mind's peak RSS.")
        lines.append("")
        lines.append("| workload | kept (MB) | mind peak RSS, one core |")
        lines.append("|---|---:|---:|")
        for label, count, entry in saved:
            rss = median(entry.get("single", {}).get("mind", {}).get("peak_rss_kb", []))
            lines.append(f"| {label} | {fmt(count / 1e6)} | {fmt((rss or 0) / 1024)} MiB |")
        lines.append("")
    with open(os.path.join(folder, f"{name}.md"), "w") as out:
        out.write("\n".join(lines) + "\n")
    write_chart(chart, os.path.join(folder, f"{name}.svg"))


def write_chart(rows, path):
    """Horizontal bars of log2(mind / peer): left of the axis mind is faster."""
    import math
    width, row_height, left = 900, 26, 330
    height = 60 + row_height * len(rows)
    scale = 60  # pixels per factor of two
    center = left + 250
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
             f'<text x="10" y="20" font-size="14">Steady-state time, mind / peer (single-threaded; left of the line: mind is faster)</text>',
             f'<line x1="{center}" y1="30" x2="{center}" y2="{height - 10}" stroke="black"/>']
    for i, (label, jax, torch) in enumerate(rows):
        y = 40 + i * row_height
        parts.append(f'<text x="10" y="{y + 14}">{label}</text>')
        for j, (value, color, name) in enumerate([(jax, "#4c72b0", "JAX"), (torch, "#dd8452", "PyTorch")]):
            if value is None or value <= 0:
                continue
            length = max(-240, min(240, math.log2(value) * scale))
            x = center + min(0, length)
            parts.append(f'<rect x="{x:.1f}" y="{y + j * 11}" width="{abs(length):.1f}" height="10" fill="{color}"/>')
            parts.append(f'<text x="{center + length + (4 if length >= 0 else -4):.1f}" y="{y + j * 11 + 9}" font-size="9" '
                         f'text-anchor="{"start" if length >= 0 else "end"}">{name} {value:.2g}x</text>')
    parts.append("</svg>")
    with open(path, "w") as out:
        out.write("\n".join(parts) + "\n")
