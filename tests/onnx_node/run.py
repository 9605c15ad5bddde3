"""ONNX's backend node tests, run through gpuxc.

For every node test of the installed onnx package: compile model.onnx with gpuxc (target c),
run the generated executable on each test_data_set_*, compare with the expected outputs
(output_*.pb) and classify the test:

  pass         every output matches (rtol/atol of the test case; ONNX's defaults 1e-3/1e-7)
  fail         wrong numbers, shape or type (the worst element is reported)
  unsupported  gpuxc exits with 3 (an op, type or attribute it does not handle)
  error        anything else: gpuxc rejects a valid model, a crash, a compile failure

    python3 tests/onnx_node/run.py                 # all tests, prints the summary
    python3 tests/onnx_node/run.py --update        # also rewrites RESULTS.md and expected_pass.txt
    python3 tests/onnx_node/run.py -k conv         # tests whose name contains "conv"

The onnx wheel may not ship the node test data; then it is generated here from the test
cases of the installed onnx (onnx.backend.test.case.node), once, into tests/.cache/.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from stats import RANDOM_TESTS, check_random

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / "tests" / ".cache" / "onnx_node" / onnx.__version__
RESULTS = HERE / "RESULTS.md"
EXPECTED = HERE / "expected_pass.txt"
UNSUPPORTED = 3


# ---- test data ----

def _write_value(path, value, type_proto, name):
    """A test input or output as ONNX's backend data files hold it."""
    if type_proto.HasField("sequence_type"):
        proto = numpy_helper.from_list(value, name)
    elif type_proto.HasField("optional_type"):
        proto = numpy_helper.from_optional(value, name)
    elif type_proto.HasField("map_type"):
        proto = numpy_helper.from_dict(value, name)
    elif isinstance(value, onnx.TensorProto):
        proto = value
    else:
        proto = numpy_helper.from_array(np.asarray(value), name)
    path.write_bytes(proto.SerializeToString())


def generate(out):
    """Writes every node test case of the installed onnx as model + data sets."""
    from onnx.backend.test.case import node
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = node.collect_testcases(None)
    tolerances = {}
    for case in cases:
        d = out / case.name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        (d / "model.onnx").write_bytes(case.model.SerializeToString())
        g = case.model.graph
        for i, (inputs, outputs) in enumerate(case.data_sets):
            ds = d / f"test_data_set_{i}"
            ds.mkdir()
            for j, v in enumerate(inputs):
                _write_value(ds / f"input_{j}.pb", v, g.input[j].type, g.input[j].name)
            for j, v in enumerate(outputs):
                _write_value(ds / f"output_{j}.pb", v, g.output[j].type, g.output[j].name)
        tolerances[case.name] = [case.rtol, case.atol]
    (out / "tolerances.json").write_text(json.dumps(tolerances, sort_keys=True))
    (out / ".complete").write_text(onnx.__version__)


def node_data():
    """The folder of node tests, and the tolerances of each (rtol, atol)."""
    shipped = Path(onnx.__file__).parent / "backend" / "test" / "data" / "node"
    if shipped.is_dir() and any(shipped.iterdir()):
        return shipped, {}
    out = CACHE / "node"
    if not (out / ".complete").exists():
        generate(out)
    return out, json.loads((out / "tolerances.json").read_text())


# ---- one test ----

@dataclass
class Result:
    name: str
    op: str
    status: str
    detail: str = ""
    frozen: list = None  # inputs given at build time with --constant


def read_pb(path):
    t = onnx.TensorProto()
    t.ParseFromString(path.read_bytes())
    return numpy_helper.to_array(t)


def kind_of(value_info):
    """'tensor', 'sequence' or 'optional': how a graph input or output is passed."""
    return {"sequence_type": "sequence", "optional_type": "optional"}.get(
        value_info.type.WhichOneof("value"), "tensor")


def read_value(path, kind):
    """A .pb of a graph input or output: an array, a list of arrays (a sequence), or None (an
    empty optional)."""
    if kind == "tensor":
        return read_pb(path)
    proto = onnx.SequenceProto() if kind == "sequence" else onnx.OptionalProto()
    proto.ParseFromString(path.read_bytes())
    if kind == "sequence":
        return numpy_helper.to_list(proto)
    return numpy_helper.to_optional(proto)


def flatten(name, value):
    """(program input or output name, array) pairs: a sequence is passed as its elements,
    NAME[0] .. NAME[n-1]; an empty optional not at all."""
    if value is None:
        return []
    if isinstance(value, list):
        return [(f"{name}[{i}]", a) for i, a in enumerate(value)]
    return [(name, value)]


def kind_args(name, value):
    """gpuxc flags that fix what a sequence or optional input holds."""
    if value is None:
        return ["--absent", name]
    if not isinstance(value, list):
        return []
    args = ["--sequence-length", f"{name}={len(value)}"]
    for i, a in enumerate(value):
        if a.ndim:
            args += ["--input-shape", f"{name}[{i}]={'x'.join(str(d) for d in a.shape)}"]
    return args


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def compare(name, got, want, rtol, atol):
    """None if got matches want, else a one-line description of the worst element."""
    if got.dtype != want.dtype:
        return f"{name}: dtype {got.dtype}, expected {want.dtype}"
    if got.shape != want.shape:
        return f"{name}: shape {got.shape}, expected {want.shape}"
    if got.size == 0:
        return None
    if want.dtype.kind not in "fc" and not is_narrow_float(want.dtype):
        bad = got != want
        if not bad.any():
            return None
        i = np.unravel_index(np.argmax(bad), got.shape)
        return f"{name}: {int(bad.sum())} of {got.size} differ; at {i}: got {got[i]}, want {want[i]}"
    g, w = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        same = (g == w) | (np.isnan(g) & np.isnan(w))
        excess = np.where(same, -1.0, np.abs(g - w) - (atol + rtol * np.abs(w)))
        excess = np.where(~same & ~np.isfinite(excess), np.inf, excess)
    if (excess <= 0).all():
        return None
    i = np.unravel_index(np.argmax(excess), got.shape)
    return (f"{name}: {int((excess > 0).sum())} of {got.size} outside rtol {rtol:g} atol "
            f"{atol:g}; worst at {tuple(int(k) for k in i)}: got {got[i]!r}, want {want[i]!r}")


def first_error(stderr):
    for line in stderr.splitlines():
        if ": error: " in line:
            return line.split(": error: ", 1)[1].strip()
    lines = [l for l in stderr.splitlines() if l.strip()]
    return lines[-1].strip() if lines else ""


CONST_NEEDED = re.compile(r"'([^']+)'\)? must be a (?:compile-time )?constant")


# The types NumPy lacks (ml_dtypes arrays here) and how the generated program's .npy files hold
# them: the floats as raw bits, the sub-byte integers as int8/uint8 values (docs/executable.md).
BITS = {"bfloat16": np.uint16, "float8_e4m3fn": np.uint8, "float8_e4m3fnuz": np.uint8,
        "float8_e5m2": np.uint8, "float8_e5m2fnuz": np.uint8, "float8_e8m0fnu": np.uint8,
        "float4_e2m1fn": np.uint8}
VALUES = {"int4": np.int8, "uint4": np.uint8, "int2": np.int8, "uint2": np.uint8}


def to_storage(array):
    if array.dtype == object:  # strings: fixed-width unicode, as numpy saves them
        return np.array([s.decode() if isinstance(s, bytes) else s for s in array.ravel()],
                        dtype=str).reshape(array.shape)
    name = array.dtype.name
    if name in BITS:
        return array.view(BITS[name])
    return array.astype(VALUES[name]) if name in VALUES else array


def from_storage(got, want_dtype):
    """The program's array as want_dtype, when that is a type held in another (to_storage)."""
    name = want_dtype.name
    if want_dtype == object and got.dtype.kind == "U":
        return got.astype(object)
    if name in BITS and got.dtype == BITS[name]:
        return got.view(want_dtype)
    if name in VALUES and got.dtype == VALUES[name]:
        return got.astype(want_dtype)
    return got


def is_narrow_float(dtype):
    return dtype.name in BITS


def save_input(path, array):
    np.save(path, to_storage(array))


TARGET = ["--target", "c"]  # set by run_all


def build(gpuxc, model, exe, constants, extra=()):
    args = [str(gpuxc), "build", str(model), "-o", str(exe), "-q", *TARGET, *extra]
    for name, path in constants.items():
        args += ["--constant", f"{name}={path}"]
    try:
        return subprocess.run(args, capture_output=True, text=True, errors="replace", timeout=600)
    except subprocess.TimeoutExpired:
        return None


def is_shape_like(array):
    """A scalar, or a short integer vector: what sizes, shapes and bounds look like."""
    return array.ndim == 0 or (array.dtype.kind in "iu" and array.ndim == 1 and array.size <= 16)


def build_for(gpuxc, test_dir, exe, in_names, ds, frozen, work, kinds, dynamic=()):
    """Builds the model; inputs gpuxc needs as constants (shape arguments that the
    node tests feed as graph inputs) are given their value from data set ds with
    --constant, and their names added to frozen. Returns (result, reason)."""
    extra = []
    for j, n in enumerate(in_names):
        if kinds[n] != "tensor":
            extra += kind_args(n, read_value(ds / f"input_{j}.pb", kinds[n]))
        elif n in dynamic:  # symbolic dims in the model: bound from the data
            a = read_pb(ds / f"input_{j}.pb")
            if a.ndim:
                extra += ["--input-shape", f"{n}={'x'.join(str(d) for d in a.shape)}"]
    while True:
        consts = {}
        for n in frozen:
            p = work / f"{ds.name}_const_{in_names.index(n)}.npy"
            save_input(p, read_pb(ds / f"input_{in_names.index(n)}.pb"))
            consts[n] = p
        r = build(gpuxc, test_dir / "model.onnx", exe, consts, extra)
        if r is None:
            return "error", "gpuxc build timed out"
        if r.returncode == 0:
            return None, ""
        m = CONST_NEEDED.search(r.stderr)
        if r.returncode == UNSUPPORTED and m and m.group(1) in in_names and m.group(1) not in frozen:
            frozen.append(m.group(1))
            continue
        if r.returncode == UNSUPPORTED and m and m.group(1) not in in_names:
            # A value computed from inputs (a function's expansion): every small input that
            # could be a size, a shape or a bound becomes a constant.
            small = [n for n in in_names if n not in frozen and kinds[n] == "tensor"
                     and is_shape_like(read_pb(ds / f"input_{in_names.index(n)}.pb"))]
            if small:
                frozen.extend(small)
                continue
        if r.returncode == UNSUPPORTED:
            return "unsupported", first_error(r.stderr)
        return "error", f"gpuxc exit {r.returncode}: {first_error(r.stderr)}"


def run_data_set(exe, ds, in_names, out_names, frozen, work, tol, kinds):
    """Runs one data set; None if every output matches, else (status, reason)."""
    args = []
    for j, n in enumerate(in_names):
        if n in frozen:
            continue
        for k, (pn, a) in enumerate(flatten(n, read_value(ds / f"input_{j}.pb", kinds[n]))):
            p = work / f"{ds.name}_in{j}_{k}.npy"
            save_input(p, a)
            args += ["--input", f"{pn}={p}"]
    od = work / f"{ds.name}_out"
    try:
        r = subprocess.run([str(exe), *args, "--output-dir", str(od)], capture_output=True,
                           text=True, errors="replace", timeout=120)
    except subprocess.TimeoutExpired:
        return "error", "the executable timed out"
    if r.returncode != 0:
        return "error", (f"executable exit {r.returncode}: "
                         f"{first_error(r.stderr) or r.stderr.strip()[-200:]}")
    random = ds.parent.name.startswith(RANDOM_TESTS)
    got_all, want_all = {}, {}
    for j, n in enumerate(out_names):
        value = read_value(ds / f"output_{j}.pb", kinds[n])
        unwanted = (n if value is None else f"{n}[{len(value)}]" if isinstance(value, list)
                    else None)
        if unwanted and (od / f"{sanitize(unwanted)}.npy").exists():
            return "fail", f"output '{unwanted}' was written; expected none"
        for pn, want in flatten(n, value):
            path = od / f"{sanitize(pn)}.npy"
            if not path.exists():
                return "error", f"output '{pn}' was not written"
            got = from_storage(np.load(path), want.dtype)
            if random:  # numpy's random numbers: checked by statistics (stats.py)
                got_all[pn], want_all[pn] = got, want
                continue
            msg = compare(pn, got, want, *tol)
            if msg:
                return "fail", msg
    if random:
        inputs = {n: read_pb(ds / f"input_{j}.pb") for j, n in enumerate(in_names)
                  if kinds[n] == "tensor"}
        msg = check_random(ds.parent.name, got_all, want_all, inputs,
                           onnx.load(str(ds.parent / "model.onnx")))
        if msg:
            return "fail", msg
    return None


def run_test(test_dir, work, gpuxc, tol, op):
    name = test_dir.name
    model = onnx.load(str(test_dir / "model.onnx"))
    work = work / name
    work.mkdir(parents=True, exist_ok=True)
    exe = work / "m"
    inits = {t.name for t in model.graph.initializer}
    in_names = [i.name for i in model.graph.input if i.name not in inits]
    out_names = [o.name for o in model.graph.output]
    kinds = {v.name: kind_of(v) for v in list(model.graph.input) + list(model.graph.output)}
    dynamic = {v.name for v in model.graph.input if kinds[v.name] == "tensor"
               and v.type.tensor_type.HasField("shape")
               and any(not d.HasField("dim_value") for d in v.type.tensor_type.shape.dim)}
    frozen = []
    built = False
    for ds in sorted(test_dir.glob("test_data_set_*")):
        # constants, sequence lengths and absent optionals may differ per data set
        if not built or frozen or dynamic or any(kinds[n] != "tensor" for n in in_names):
            status, reason = build_for(gpuxc, test_dir, exe, in_names, ds, frozen, work, kinds,
                                       dynamic)
            if status:
                return Result(name, op, status, reason)
            built = True
        bad = run_data_set(exe, ds, in_names, out_names, frozen, work, tol, kinds)
        if bad:
            return Result(name, op, bad[0], bad[1], frozen)
    return Result(name, op, "pass", "", frozen)


# ---- the suite ----

def op_names():
    """lower-case op name without underscores -> op name, for the default domain."""
    return {s.name.lower(): s.name for s in onnx.defs.get_all_schemas_with_history()
            if s.domain in ("", "ai.onnx")}


ALIASES = {"sce": "SoftmaxCrossEntropyLoss", "nllloss": "NegativeLogLikelihoodLoss"}


def op_of(test_name, ops, model_path=None):
    """The op a node test exercises: the model's one op (with its domain when not the default
    one), else from the test's name (test_reduce_mean_..._expanded -> ReduceMean)."""
    if model_path is not None and "_expanded" not in test_name:
        m = onnx.load(str(model_path), load_external_data=False)
        kinds = {(n.domain if n.domain not in ("", "ai.onnx") else "", n.op_type)
                 for n in m.graph.node if n.op_type != "Constant"}
        if len(kinds) == 1:
            domain, op = kinds.pop()
            return f"{domain}.{op}" if domain else op
    parts = test_name[len("test_"):].split("_")
    if parts[0] in ALIASES:
        return ALIASES[parts[0]]
    for k in range(len(parts), 0, -1):
        key = "".join(parts[:k])
        if key in ops:
            return ops[key]
    return parts[0]


def run_all(gpuxc, pattern=None, jobs=None, progress=False, target="c"):
    TARGET[1] = target
    data, tolerances = node_data()
    ops = op_names()
    tests = sorted(d for d in data.iterdir() if (d / "model.onnx").exists())
    if pattern:
        tests = [t for t in tests if pattern in t.name]
    results = []
    with tempfile.TemporaryDirectory(prefix="onnx-node-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(jobs or os.cpu_count() or 2) as pool:
        futures = [pool.submit(run_test, t, Path(tmp), gpuxc,
                               tolerances.get(t.name, (1e-3, 1e-7)),
                               op_of(t.name, ops, t / "model.onnx"))
                   for t in tests]
        for i, f in enumerate(futures):
            results.append(f.result())
            if progress and (i + 1) % 100 == 0:
                print(f"  {i + 1}/{len(futures)}", file=sys.stderr, flush=True)
    return results


def summary(results):
    counts = {s: sum(r.status == s for r in results)
              for s in ("pass", "fail", "unsupported", "error")}
    frozen = sum(r.status == "pass" and bool(r.frozen) for r in results)
    return counts, f"{counts['pass']} / {len(results)} passed " \
        f"({100 * counts['pass'] / max(1, len(results)):.1f} %; {frozen} of them with shape " \
        f"inputs given at build time); {counts['fail']} fail, " \
        f"{counts['unsupported']} unsupported, {counts['error']} error"


def write_results(results, path):
    counts, line = summary(results)
    by_op = {}
    for r in results:
        by_op.setdefault(r.op, []).append(r)
    out = ["# ONNX backend node tests through gpuxc", "",
           f"onnx {onnx.__version__}: {line}.", "",
           "Regenerate with `python3 tests/onnx_node/run.py --update` (it also rewrites",
           "`expected_pass.txt`, the list the test suite holds gpuxc to).", "",
           "Some node tests feed an argument that decides an output shape (Reshape's shape,",
           "Resize's sizes, TopK's K, ...) as a graph input. gpuxc compiles static shapes, so",
           "when it reports that such an input must be a compile-time constant, the runner",
           "rebuilds the test with that input given its data-set value at build time",
           "(`gpuxc build --constant NAME=FILE.npy`) and runs it on the other inputs. Those",
           "tests are marked in the list below.", "",
           "| op | tests | pass | fail | unsupported | error |", "| --- | --- | --- | --- | --- | --- |"]
    for op in sorted(by_op, key=str.lower):
        rs = by_op[op]
        c = {s: sum(r.status == s for r in rs) for s in ("pass", "fail", "unsupported", "error")}
        out.append(f"| {op} | {len(rs)} | {c['pass']} | {c['fail']} | {c['unsupported']} | "
                   f"{c['error']} |")
    out += ["", "## Tests that do not pass", "", "| test | status | reason |",
            "| --- | --- | --- |"]
    for r in sorted(results, key=lambda r: r.name):
        if r.status != "pass":
            out.append(f"| {r.name} | {r.status} | {r.detail.replace('|', '/')[:200]} |")
    out += ["", "## Tests passed with inputs given at build time", "",
            "| test | inputs given with --constant |", "| --- | --- |"]
    for r in sorted(results, key=lambda r: r.name):
        if r.status == "pass" and r.frozen:
            out.append(f"| {r.name} | {', '.join(r.frozen)} |")
    path.write_text("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-k", dest="pattern", help="only tests whose name contains this")
    ap.add_argument("-j", "--jobs", type=int)
    ap.add_argument("--gpuxc", type=Path,
                    default=Path(os.environ.get("GPUXC") or ROOT / "build" / "gpuxc"))
    ap.add_argument("--target", default="c", help="gpuxc's target (c or cpu); --update "
                    "records the c target's results")
    ap.add_argument("--update", action="store_true",
                    help="rewrite RESULTS.md and expected_pass.txt")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every non-passing test")
    args = ap.parse_args()
    os.environ.setdefault("GPUXC_CACHE", str(ROOT / "tests" / ".cache" / "driver"))
    t = time.time()
    results = run_all(args.gpuxc.resolve(), args.pattern, args.jobs, progress=True,
                      target=args.target)
    if args.verbose:
        for r in results:
            if r.status != "pass":
                print(f"{r.status:12s} {r.name}: {r.detail}")
    print(f"{summary(results)[1]} in {time.time() - t:.0f} s")
    if args.update and args.target != "c":
        sys.exit("--update records the c target's results; run it without --target")
    if args.update:
        write_results(results, RESULTS)
        EXPECTED.write_text("".join(f"{r.name}\n" for r in results if r.status == "pass"))
        print(f"wrote {RESULTS.relative_to(ROOT)} and {EXPECTED.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
