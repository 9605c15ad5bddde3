"""ONNX Runtime's side of bench/compare.py: one process that loads one model and times it.

    python bench/ort_runner.py MODEL --input NAME=FILE.npy ... [--threads T] [--runs N]
                               [--warmup W] [--output-dir DIR]
    python bench/ort_runner.py --baseline

The session runs on the CPU execution provider with ORT_ENABLE_ALL, intra_op_num_threads = T,
inter_op_num_threads = 1 and sequential execution. After W untimed runs, N runs are timed
one by one with perf_counter around session.run. Prints one JSON object: median_ms (linear
interpolation, like the generated program's p50), mean/min/max, session_s (creating the
session), vm_hwm_mb (this process's peak RSS from /proc/self/status, interpreter included).
--output-dir runs once more and writes each output as DIR/<name>.npy (the generated program's
file names); output_run_ms is how long that took, saving included.
--baseline only imports numpy and onnxruntime and prints vm_hwm_mb: the part of the peak RSS
that is the interpreter and the libraries, not the model."""
import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort


def vm_hwm_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def parse_inputs(specs):
    feeds = {}
    for spec in specs:
        name, sep, path = spec.rpartition("=")
        if not sep or not name:
            sys.exit(f"ort_runner: --input {spec!r}: expected NAME=FILE.npy")
        feeds[name] = np.load(path)
    return feeds


def session(model, threads):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])


def write_outputs(sess, feeds, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [o.name for o in sess.get_outputs()]
    for name, value in zip(names, sess.run(names, feeds)):
        np.save(out_dir / (re.sub(r"[^A-Za-z0-9._-]", "_", name) or "_"), value)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", type=Path)
    ap.add_argument("--input", action="append", default=[], metavar="NAME=FILE.npy")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--output-dir", type=Path)
    ap.add_argument("--baseline", action="store_true")
    args = ap.parse_args()
    if args.baseline:
        print(json.dumps({"vm_hwm_mb": vm_hwm_mb(), "ort_version": ort.__version__}))
        return
    if args.model is None:
        ap.error("MODEL is required without --baseline")
    feeds = parse_inputs(args.input)
    t = time.perf_counter()
    sess = session(args.model, args.threads)
    session_s = time.perf_counter() - t
    for _ in range(args.warmup):
        sess.run(None, feeds)
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        sess.run(None, feeds)
        times.append((time.perf_counter() - t) * 1e3)
    result = {}
    if args.output_dir:
        t = time.perf_counter()
        write_outputs(sess, feeds, args.output_dir)
        result["output_run_ms"] = (time.perf_counter() - t) * 1e3
    result |= {"runs": args.runs, "warmup": args.warmup, "threads": args.threads,
              "session_s": session_s, "vm_hwm_mb": vm_hwm_mb(), "ort_version": ort.__version__}
    if times:
        result.update(median_ms=statistics.median(times), mean_ms=statistics.fmean(times),
                      min_ms=min(times), max_ms=max(times))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
