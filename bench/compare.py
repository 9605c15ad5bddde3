"""Side-by-side latency of gpuxc's generated program and ONNX Runtime: the same model file,
the same inputs, the same number of threads.

    .venv/bin/python bench/compare.py --write bench/RESULTS.md      # the full table
    .venv/bin/python bench/compare.py --quick                       # smoke test: mlp, few runs

By default: ResNet-50, MobileNetV2 and a BERT-base encoder (12 layers, hidden 768, seq 128)
at batch 1 and ResNet-50 at batch 8, built once each with `gpuxc build --target cpu`, then
timed on 1 and 2 threads. For each thread count the two sides run in alternating rounds (the
order flips every round), each round a fresh child process: gpuxc's program with --benchmark
--json --threads T, and bench/ort_runner.py (ORT_ENABLE_ALL, intra_op_num_threads = T,
inter_op_num_threads = 1, sequential). A cell is the median of the per-round medians. A
round is --runs timed runs after --warmup untimed ones, fewer for a side whose single run
(timed when the outputs are checked) would make its round pass --round-seconds.

Also reported: each side's peak RSS (ru_maxrss of its child, read through a small launcher
process so that the parent's own memory does not leak into it), the executable's and the
weights' size, gpuxc's build time, GFLOP/s (2 x the MACs of Conv, ConvTranspose, Gemm and
MatMul, from ONNX shape inference) against this machine's fp32 peak, and whether gpuxc's
outputs match ORT's (rtol 1e-3, atol 1e-4) on the benchmark inputs. Exits non-zero when a
build, a run or an output is missing. Timings on a shared machine are noisy: compare the
ratios from one run, not numbers across runs."""
import argparse
import json
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[1]
ORT_RUNNER = Path(__file__).resolve().with_name("ort_runner.py")
sys.path.insert(0, str(ROOT / "samples"))
sys.path.insert(0, str(ROOT / "tests"))
import zoo  # noqa: E402
from conftest import random_inputs  # noqa: E402

BERT_BASE = dict(hidden=768, heads=12, seq=128, intermediate=3072)
MODELS = {  # name: (what it is, builder)
    "resnet50": ("ResNet-50 v1.5, batch 1, 3x224x224", lambda: zoo.resnet50(batch=1)),
    "mobilenetv2": ("MobileNetV2 1.0, batch 1, 3x224x224", lambda: zoo.mobilenetv2()),
    "bert12": ("BERT-base encoder: 12 layers, hidden 768, 12 heads, seq 128, batch 1",
               lambda: zoo.bert_encoder(layers=12, **BERT_BASE)),
    "resnet50-b8": ("ResNet-50 v1.5, batch 8, 3x224x224", lambda: zoo.resnet50(batch=8)),
    "bert": ("BERT encoder: 4 layers, hidden 768, 12 heads, seq 128, batch 1",
             lambda: zoo.bert_encoder(layers=4, **BERT_BASE)),
    "mlp": ("MLP 784-1024-1024-10, batch 8 (smoke test)", lambda: zoo.mlp()),
}
DEFAULT_MODELS = "resnet50,mobilenetv2,bert12,resnet50-b8"
PEAK_GFLOPS_PER_CORE = 220.0  # TOOLCHAIN.md: 217-222 measured with zmm FMAs
RTOL, ATOL = 1e-3, 1e-4

# Runs argv[2:] as a child and writes the child's ru_maxrss (KiB) to argv[1]. Linux records
# the RSS high-water mark of the address space a process leaves at exec, so a child that the
# (large) benchmark process starts directly inherits the benchmark's peak; started from this
# small process, it inherits at most this process's few pages.
LAUNCHER = r"""
import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    except OSError as e:
        os.write(2, f"cannot run {sys.argv[2]}: {e}\n".encode())
    os._exit(127)
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(ru.ru_maxrss))
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the machine and the build

def cpu_name():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def command_output(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return r.stdout.strip() if r.returncode == 0 else ""


def gpuxc_version():
    commit = command_output(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    date = command_output(["git", "log", "-1", "--format=%cs"])
    dirty = command_output(["git", "status", "--porcelain", "--untracked-files=no"])
    return f"commit {commit}" + (f" ({date})" if date else "") + \
        (", working tree with uncommitted changes" if dirty else "")


def compiler_version():
    return command_output([os.environ.get("CC", "cc"), "--version"]).split("\n")[0] or "unknown"


def public_argv(argv):
    """The command line as the table records it: without --work (a scratch folder of this
    machine, which says nothing about the measurement)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == "--work":
            skip = True
        elif not a.startswith("--work="):
            out.append(a)
    return out


def load_average():
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


# ---------------------------------------------------------------- FLOPs

def _numel(shape):
    return int(np.prod(shape, dtype=np.int64))


def _gemm_macs(node, shapes):
    trans_a = next((a.i for a in node.attribute if a.name == "transA"), 0)
    a = shapes[node.input[0]]
    return _numel(shapes[node.output[0]]) * (a[0] if trans_a else a[1])


MAC_COUNTERS = {  # op: MACs from the known shapes (a missing shape raises KeyError)
    "Conv": lambda n, s: _numel(s[n.output[0]]) * _numel(s[n.input[1]][1:]),
    "ConvTranspose": lambda n, s: _numel(s[n.input[0]]) * _numel(s[n.input[1]][1:]),
    "MatMul": lambda n, s: _numel(s[n.output[0]]) * s[n.input[0]][-1],
    "Gemm": _gemm_macs,
}


def count_flops(model):
    """2 x the multiply-adds of the model's Conv, ConvTranspose, Gemm and MatMul nodes, and
    the names of those whose shapes shape inference could not pin down (not counted)."""
    g = onnx.shape_inference.infer_shapes(model, data_prop=True).graph
    shapes = {t.name: list(t.dims) for t in g.initializer}
    for vi in [*g.input, *g.value_info, *g.output]:
        tt = vi.type.tensor_type
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            shapes[vi.name] = [d.dim_value for d in tt.shape.dim]
    macs, unknown = 0, []
    for node in g.node:
        if node.op_type in MAC_COUNTERS:
            try:
                macs += MAC_COUNTERS[node.op_type](node, shapes)
            except (KeyError, IndexError):
                unknown.append(node.name or node.op_type)
    return 2 * macs, unknown


# ---------------------------------------------------------------- child processes

def child_env():
    env = dict(os.environ)
    env.pop("OPENBLAS_CORETYPE", None)
    return env


def run_child(argv, what, timeout, work):
    """Runs argv through the launcher; returns (stdout, peak RSS in MB). Raises BenchError
    with the command and its stderr when it fails or runs past timeout seconds."""
    argv = [str(a) for a in argv]
    rss_file = work / "child.maxrss"
    rss_file.unlink(missing_ok=True)
    p = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, str(rss_file), *argv],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=child_env(), start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        raise BenchError(f"{what} ran past {timeout} s\n$ {shlex.join(argv)}") from None
    except BaseException:  # Ctrl-C reaches only this process group, not the child's
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        raise
    if p.returncode != 0:
        raise BenchError(f"{what} failed with exit code {p.returncode}\n$ {shlex.join(argv)}\n"
                         f"--- stderr ---\n{err[-4000:]}--- stdout ---\n{out[-2000:]}")
    return out, int(rss_file.read_text()) / 1024


def run_json(argv, what, timeout, work):
    out, rss = run_child(argv, what, timeout, work)
    try:
        return json.loads(out), rss
    except json.JSONDecodeError:
        raise BenchError(f"{what} printed no JSON\n$ {shlex.join(map(str, argv))}\n"
                         f"--- stdout ---\n{out[-2000:]}") from None


def build(args, model_path, exe, work):
    """Runs gpuxc build; returns (wall seconds, peak RSS in MB of gpuxc and the compiler)."""
    cmd = [args.gpuxc, "build", model_path, "-o", exe, "-q", "--target", args.target]
    t = time.perf_counter()
    _, rss = run_child(cmd + (["--cpu", args.cpu] if args.cpu else []), "gpuxc build",
                       args.timeout, work)
    build_s = time.perf_counter() - t
    if not exe.is_file():
        raise BenchError(f"gpuxc build exited 0 but wrote no executable at {exe}")
    return build_s, rss


# ---------------------------------------------------------------- checking the outputs

def mismatch(name, got, want):
    """None when got matches want within RTOL/ATOL (NaN matches NaN), else what differs."""
    if got.dtype != want.dtype or got.shape != want.shape:
        return f"{name}: gpuxc {got.dtype}{list(got.shape)}, ORT {want.dtype}{list(want.shape)}"
    g, w = got.astype(np.float64), want.astype(np.float64)
    tol = ATOL + RTOL * np.abs(w) if want.dtype.kind in "fc" else 0.0
    with np.errstate(invalid="ignore"):
        err = np.abs(g - w)
        bad = ~((g == w) | (np.isnan(g) & np.isnan(w)) | (err <= tol))
    if not bad.any():
        return None
    worst = np.nan_to_num(np.where(bad, err, 0.0), nan=np.inf).max()
    return (f"{name}: {int(bad.sum())} of {bad.size} elements outside rtol={RTOL:g} "
            f"atol={ATOL:g}, max abs err {worst:.3g}")


def verify(exe, model_path, input_args, work, timeout):
    """gpuxc's outputs against ORT's (ORT_ENABLE_ALL, one thread) on the benchmark inputs.
    Returns (None when they match, else a description; {side: seconds one run took}, the
    first cold and process start included for gpuxc). Raises BenchError when gpuxc writes
    no output."""
    g_dir, o_dir = work / "out-gpuxc", work / "out-ort"
    t = time.perf_counter()
    run_child([exe, *input_args, "--output-dir", g_dir], "the generated program", timeout, work)
    once = {"gpuxc": time.perf_counter() - t}
    res, _ = run_json([sys.executable, ORT_RUNNER, model_path, *input_args, "--runs", "0",
                       "--warmup", "0", "--output-dir", o_dir], "bench/ort_runner.py", timeout,
                      work)
    once["ort"] = res["output_run_ms"] / 1e3
    want = sorted(p.name for p in o_dir.glob("*.npy"))
    got = {p.name for p in g_dir.glob("*.npy")} if g_dir.is_dir() else set()
    missing = [n for n in want if n not in got]
    if missing:
        raise BenchError(f"{exe} wrote no {', '.join(missing)} into {g_dir}")
    problems = [m for n in want if (m := mismatch(n[:-4], np.load(g_dir / n), np.load(o_dir / n)))]
    return "; ".join(problems) or None, once


def plan_runs(args, seconds_per_run):
    """(timed runs, warm-up runs) per round for a side whose one run takes about
    seconds_per_run: --runs and --warmup, fewer where that would pass --round-seconds."""
    if not args.round_seconds:
        return args.runs, args.warmup
    fit = int(args.round_seconds / max(seconds_per_run, 1e-6))
    return max(1, min(args.runs, fit)), max(min(1, args.warmup), min(args.warmup, fit // 4))


# ---------------------------------------------------------------- timing

def gpuxc_round(ctx, args, threads):
    runs, warmup = ctx["plan"]["gpuxc"]
    argv = [ctx["exe"], "--benchmark", "--runs", runs, "--warmup", warmup, "--json"]
    if args.target != "c":
        argv += ["--threads", threads]
    res, rss = run_json(argv + ctx["input_args"], "the generated program", args.timeout,
                        ctx["work"])
    return res["p50_inference_time"], rss


def ort_round(ctx, args, threads):
    runs, warmup = ctx["plan"]["ort"]
    argv = [sys.executable, ORT_RUNNER, ctx["model"], *ctx["input_args"], "--threads", threads,
            "--runs", runs, "--warmup", warmup]
    res, rss = run_json(argv, "bench/ort_runner.py", args.timeout, ctx["work"])
    return res["median_ms"], rss


def time_threads(ctx, args, threads):
    """Alternating rounds on `threads` threads: the median of each side's per-round medians
    and each side's largest peak RSS."""
    rounds = {"gpuxc": [], "ort": []}
    rss = {"gpuxc": 0.0, "ort": 0.0}
    sides = {"gpuxc": gpuxc_round, "ort": ort_round}
    for r in range(args.rounds):
        for side in ("gpuxc", "ort") if r % 2 == 0 else ("ort", "gpuxc"):
            ms, mb = sides[side](ctx, args, threads)
            rounds[side].append(ms)
            rss[side] = max(rss[side], mb)
        if args.verbose:
            log(f"  {ctx['name']} threads={threads} round {r + 1}/{args.rounds}: gpuxc "
                f"{rounds['gpuxc'][-1]:.3f} ms, ORT {rounds['ort'][-1]:.3f} ms")
    g, o = statistics.median(rounds["gpuxc"]), statistics.median(rounds["ort"])
    return dict(threads=threads, gpuxc_ms=g, ort_ms=o, gpuxc_rss=rss["gpuxc"],
                ort_rss=rss["ort"], gpuxc_rounds=rounds["gpuxc"], ort_rounds=rounds["ort"],
                plan=dict(ctx["plan"]))


def prepare(name, work):
    """Builds the zoo model and its inputs under work/; returns the context for the rounds."""
    work.mkdir(parents=True, exist_ok=True)
    stem = name.replace("-", "_")
    model_path = work / f"{stem}.onnx"
    model = MODELS[name][1]()
    zoo.save_model(model, model_path)
    flops, uncounted = count_flops(model)
    del model
    input_args = []
    for i, (n, v) in enumerate(random_inputs(model_path).items()):
        np.save(work / f"input{i}.npy", v)
        input_args += ["--input", f"{n}={work / f'input{i}.npy'}"]
    return dict(name=name, model=model_path, exe=work / stem, work=work, flops=flops,
                uncounted=uncounted, input_args=input_args)


def bench_model(name, args, work):
    log(f"{name}: building the model and its inputs")
    ctx = prepare(name, work)
    log(f"{name}: gpuxc build --target {args.target}" + (f" --cpu {args.cpu}" if args.cpu else ""))
    build_s, build_rss = build(args, ctx["model"], ctx["exe"], work)
    info, _ = run_json([ctx["exe"], "--info", "--json"], "the generated program --info",
                       args.timeout, work)
    log(f"{name}: built in {build_s:.1f} s; checking outputs against ORT")
    check, once = verify(ctx["exe"], ctx["model"], ctx["input_args"], work, args.timeout)
    if check:
        log(f"{name}: OUTPUTS DIFFER: {check}")
    ctx["plan"] = {side: plan_runs(args, t) for side, t in once.items()}
    model_row = dict(name=name, build_s=build_s, build_rss=build_rss, binary_bytes=ctx["exe"].stat().st_size,
                     weight_bytes=info.get("weight_bytes", 0), flops=ctx["flops"],
                     uncounted=ctx["uncounted"], check=check, rows=[])
    for t in args.threads:
        if args.target == "c" and t != 1:
            log(f"{name}: skipping {t} threads: the c target runs on one thread")
            continue
        (gr, gw), (orr, ow) = ctx["plan"]["gpuxc"], ctx["plan"]["ort"]
        log(f"{name}: timing on {t} thread{'s' if t > 1 else ''}, {args.rounds} rounds; per "
            f"round gpuxc {gr} runs after {gw} untimed, ORT {orr} after {ow}")
        row = time_threads(ctx, args, t)
        model_row["rows"].append(row)
        print(table_row(model_row, row), flush=True)
    return model_row


# ---------------------------------------------------------------- the report

def fmt(x, digits=3):
    """Milliseconds: about `digits` significant digits, no exponent."""
    return f"{x:.0f}" if x >= 10 ** (digits - 1) else f"{x:.{digits}g}"


def gflops_cell(flops, ms, threads):
    if not flops:
        return "—"
    rate = flops / ms / 1e6
    return f"{rate:.1f} ({100 * rate / (PEAK_GFLOPS_PER_CORE * threads):.0f} %)"


COLUMNS = ["model", "threads", "gpuxc median ms", "ORT median ms", "gpuxc/ORT",
           "gpuxc GFLOP/s (% of peak)", "ORT GFLOP/s (% of peak)", "gpuxc peak RSS MB",
           "ORT peak RSS MB", "binary MB", "build s", "outputs"]


def table_head():
    return f"| {' | '.join(COLUMNS)} |\n|{' --- |' * len(COLUMNS)}"


def table_row(m, r):
    cells = [m["name"], r["threads"], fmt(r["gpuxc_ms"]), fmt(r["ort_ms"]),
             f"{r['gpuxc_ms'] / r['ort_ms']:.2f}", gflops_cell(m["flops"], r["gpuxc_ms"], r["threads"]),
             gflops_cell(m["flops"], r["ort_ms"], r["threads"]), f"{r['gpuxc_rss']:.1f}",
             f"{r['ort_rss']:.1f}", f"{m['binary_bytes'] / 1e6:.1f}", f"{m['build_s']:.1f}",
             "ok" if not m["check"] else "**DIFFER**"]
    return "| " + " | ".join(map(str, cells)) + " |"


def models_table(results):
    lines = ["| model | what | GFLOP per inference | weights MB | binary bytes | build s | "
             "build peak RSS MB | outputs vs ORT |", "| --- | --- | --- | --- | --- | --- | --- "
             "| --- |"]
    for m in results:
        if "error" in m:
            lines.append(f"| {m['name']} | {MODELS[m['name']][0]} | | | | | | **FAILED**: "
                         f"{m['error'].splitlines()[0]} |")
            continue
        gf = f"{m['flops'] / 1e9:.2f}" + (f" (+{len(m['uncounted'])} nodes not counted)"
                                          if m["uncounted"] else "")
        check = "match" if not m["check"] else f"**DIFFER**: {m['check']}"
        lines.append(f"| {m['name']} | {MODELS[m['name']][0]} | {gf} | "
                     f"{m['weight_bytes'] / 1e6:.1f} | {m['binary_bytes']} | {m['build_s']:.1f} "
                     f"| {m['build_rss']:.1f} | {check} |")
    return "\n".join(lines)


def rounds_table(results):
    lines = ["| model | threads | gpuxc runs (+ untimed) | gpuxc per round | ORT runs (+ untimed) "
             "| ORT per round |", "| --- | --- | --- | --- | --- | --- |"]
    for m in results:
        for r in m.get("rows", []):
            (gr, gw), (orr, ow) = r["plan"]["gpuxc"], r["plan"]["ort"]
            lines.append(f"| {m['name']} | {r['threads']} | {gr} (+{gw}) | "
                         f"{', '.join(fmt(x) for x in r['gpuxc_rounds'])} | {orr} (+{ow}) | "
                         f"{', '.join(fmt(x) for x in r['ort_rounds'])} |")
    return "\n".join(lines)


def header(args, env):
    round_cap = (f" — fewer where a side's round would pass about {args.round_seconds:g} s (the "
                 f"counts are in the per-round table)" if args.round_seconds else "")
    smoke = ("**Smoke run (`--quick`): a few runs of small settings to show the format — not a "
             "measurement.**\n\n" if args.quick else "")
    return f"""# gpuxc against ONNX Runtime on the CPU

{smoke}- CPU: {cpu_name()}, {os.cpu_count()} logical CPUs; fp32 peak taken as \
{PEAK_GFLOPS_PER_CORE:.0f} GFLOP/s per core (TOOLCHAIN.md), × threads
- gpuxc: {gpuxc_version()}; `--target {args.target}`{f' --cpu {args.cpu}' if args.cpu else ''}; \
C compiler: {compiler_version()}
- onnxruntime {ort.__version__} (CPUExecutionProvider, ORT_ENABLE_ALL, intra_op_num_threads = \
threads, inter_op_num_threads = 1, sequential); Python {platform.python_version()}
- measured {env['date']}; load average (1/5/15 min) {env['load_start']} at the start, \
{env['load_end']} at the end
- {args.rounds} alternating rounds per model and thread count, one fresh process per side and \
round, each {args.runs} timed runs after {args.warmup} untimed{round_cap}
- command: `{env['command']}`
"""


def notes(env):
    return f"""Notes:

- A time is the median of the per-round medians (gpuxc: the program's own `p50_inference_time`,
  CLOCK_MONOTONIC around one run; ORT: `perf_counter` around `session.run`, linear-interpolated
  median as well). gpuxc/ORT below 1 means gpuxc is faster.
- GFLOP/s: 2 × the multiply-adds of Conv, ConvTranspose, Gemm and MatMul (shapes from ONNX
  shape inference) divided by the median time; other ops are not counted. % of peak is against
  {PEAK_GFLOPS_PER_CORE:.0f} GFLOP/s × threads.
- Peak RSS: the largest `ru_maxrss` of that side's benchmark processes, read with `os.wait4` in
  a small launcher process (a child started straight from this script would inherit its peak).
  A process inherits the launcher's pages as a floor, so readings below {env['floor']:.1f} MB
  (what `/bin/true` reads) mean "at most that". ORT's figure includes the Python
  interpreter, numpy and onnxruntime's libraries: {env['ort_base']:.0f} MB with no model loaded.
  gpuxc's program holds its weights in `.rodata`, so they count once they are touched.
- binary MB: the generated executable, weights included (`weights MB` below is the part that
  is weights). build s: `gpuxc build` wall time, the C compiler included; its peak RSS is
  the largest of gpuxc's and the compiler processes'.
- outputs: gpuxc's outputs on the benchmark inputs against ORT's (ORT_ENABLE_ALL, one
  thread), rtol {RTOL:g}, atol {ATOL:g}.
"""


def report(args, env, results):
    body = [table_head()]
    for m in results:
        body += [table_row(m, r) for r in m.get("rows", [])]
        if "error" in m:
            body.append(f"| {m['name']} | **FAILED** |" + " |" * (len(COLUMNS) - 2))
    return "\n\n".join([header(args, env).rstrip(), "\n".join(body), notes(env).rstrip(),
                        "## Models\n\n" + models_table(results),
                        "## Per-round medians (ms)\n\n" + rounds_table(results)]) + "\n"


# ---------------------------------------------------------------- main

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", help=f"comma-separated, from {', '.join(MODELS)} "
                    f"(default {DEFAULT_MODELS}; mlp with --quick)")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts (1,2)")
    ap.add_argument("--runs", type=int, help="timed runs per side and round (20; 5 with --quick)")
    ap.add_argument("--warmup", type=int, help="untimed runs before them (3; 1 with --quick)")
    ap.add_argument("--rounds", type=int, help="alternating rounds (5; 2 with --quick)")
    ap.add_argument("--round-seconds", type=float, default=20.0, help="cap a side's round at "
                    "about this many seconds of runs: fewer runs (at least 1) and warm-ups for "
                    "a slow model (20; 0: always --runs)")
    ap.add_argument("--target", default="cpu", help="gpuxc's --target (cpu)")
    ap.add_argument("--cpu", help="gpuxc's --cpu for the cpu target (its default: native)")
    ap.add_argument("--gpuxc", type=Path, default=ROOT / "build" / "gpuxc")
    ap.add_argument("--write", type=Path, metavar="FILE.md", help="write the report here")
    ap.add_argument("--work", type=Path, help="keep models and builds here (default: a "
                    "temporary folder, removed)")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per build or process")
    ap.add_argument("--quick", action="store_true", help="smoke test: mlp, 5 runs, 2 rounds")
    ap.add_argument("--verbose", action="store_true", help="print every round's medians")
    args = ap.parse_args()
    quick = args.quick
    args.models = (args.models or ("mlp" if quick else DEFAULT_MODELS)).split(",")
    args.runs = args.runs or (5 if quick else 20)
    args.warmup = args.warmup if args.warmup is not None else (1 if quick else 3)
    args.rounds = args.rounds or (2 if quick else 5)
    try:
        args.threads = [int(t) for t in args.threads.split(",")]
    except ValueError:
        ap.error(f"--threads {args.threads!r}: expected comma-separated integers")
    if unknown := [m for m in args.models if m not in MODELS]:
        ap.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    if min(args.threads) < 1 or args.runs < 1 or args.rounds < 1 or args.warmup < 0 \
            or args.round_seconds < 0:
        ap.error("--threads, --runs and --rounds must be at least 1, --warmup and "
                 "--round-seconds at least 0")
    if not (args.gpuxc.is_file() and os.access(args.gpuxc, os.X_OK)):
        ap.error(f"gpuxc not found at {args.gpuxc}: build it (make) or pass --gpuxc")
    return args


def run_all(args, work):
    env = {"command": shlex.join(["python", *public_argv(sys.argv)]), "load_start": load_average(),
           "date": time.strftime("%Y-%m-%d %H:%M %Z")}
    _, env["floor"] = run_child(["true"], "true", 60, work)
    _, env["ort_base"] = run_child([sys.executable, ORT_RUNNER, "--baseline"],
                                   "bench/ort_runner.py --baseline", 300, work)
    print(f"CPU: {cpu_name()}; target {args.target}; onnxruntime {ort.__version__}\n")
    print(table_head(), flush=True)
    results = []
    for name in args.models:
        try:
            results.append(bench_model(name, args, work / name))
        except BenchError as e:
            log(f"bench/compare.py: error: {name}: {e}")
            results.append({"name": name, "error": str(e)})
    env["load_end"] = load_average()
    return env, results


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="gpuxc-bench-") as tmp:
        work = (args.work or Path(tmp)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        env, results = run_all(args, work)
    text = report(args, env, results)
    print("\n" + models_table(results))
    if args.write:
        args.write.write_text(text)
        log(f"wrote {args.write}")
    failed = [m["name"] for m in results if "error" in m]
    if failed:
        log(f"bench/compare.py: error: failed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
