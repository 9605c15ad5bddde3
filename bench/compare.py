"""Side-by-side latency of gpuxc's generated program and ONNX Runtime on the same model,
the same inputs and the same number of threads, in one run.

    .venv/bin/python bench/compare.py [--models resnet50,mobilenetv2,bert,mlp] [--runs 30]

For each model: gpuxc builds it (target c unless --target), then the two are timed in
alternating rounds (gpuxc's --benchmark with its own timer; ORT's session.run with
perf_counter), and the medians and their ratio gpuxc/ORT are printed as a Markdown table.
ORT runs with ORT_ENABLE_ALL and intra_op_num_threads = --threads. Timings on a shared
machine are noisy: compare ratios from one run, not numbers across runs."""
import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "samples"))
sys.path.insert(0, str(ROOT / "tests"))
import zoo  # noqa: E402
from conftest import random_inputs  # noqa: E402

MODELS = {
    "resnet50": lambda: zoo.resnet50(),
    "mobilenetv2": lambda: zoo.mobilenetv2(),
    "bert": lambda: zoo.bert_encoder(layers=4),
    "mlp": lambda: zoo.mlp(),
}


def cpu_name():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def gpuxc_round(exe, feeds_dir, names, runs):
    args = [str(exe), "--benchmark", "--runs", str(runs), "--warmup", "3", "--json"]
    for n in names:
        args += ["--input", f"{n}={feeds_dir / (n + '.npy')}"]
    r = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(r.stdout)["p50_inference_time"]


def ort_round(sess, feeds, runs):
    for _ in range(3):
        sess.run(None, feeds)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def bench(name, args, work):
    model = work / f"{name}.onnx"
    zoo.save_model(MODELS[name](), model)
    exe = work / name
    t = time.perf_counter()
    subprocess.run([str(args.gpuxc), "build", str(model), "-o", str(exe), "-q", "--target",
                    args.target], check=True)
    build_s = time.perf_counter() - t
    feeds = random_inputs(model)
    for n, v in feeds.items():
        np.save(work / f"{n}.npy", v)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
    g, o = [], []
    for _ in range(args.rounds):
        g.append(gpuxc_round(exe, work, list(feeds), args.runs))
        o.append(ort_round(sess, feeds, args.runs))
    gm, om = statistics.median(g), statistics.median(o)
    return name, gm, om, build_s


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="resnet50,mobilenetv2,bert,mlp")
    ap.add_argument("--runs", type=int, default=20, help="timed runs per round")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--target", default="c")
    ap.add_argument("--gpuxc", type=Path, default=ROOT / "build" / "gpuxc")
    args = ap.parse_args()
    print(f"CPU: {cpu_name()}; threads: {args.threads}; target: {args.target}; "
          f"onnxruntime {ort.__version__}\n")
    print("| model | gpuxc median ms | ORT median ms | gpuxc/ORT | gpuxc build s |")
    print("| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as d:
        for name in args.models.split(","):
            n, gm, om, bs = bench(name, args, Path(d))
            print(f"| {n} | {gm:.3f} | {om:.3f} | {gm / om:.2f} | {bs:.1f} |", flush=True)


if __name__ == "__main__":
    main()
