"""Differential tests of the elementwise ops of compiler/ops/ew.c (scalar semantics in
runtime-mini/include/rt_scalar.h) against onnxruntime, in the types, attributes and shapes
ONNX's node tests leave out: trigonometry and rounding in float64, the activations with
attributes, Sign/Shrink/Mod/Max/Min/Where/Expand/comparisons/Cast on integer types, the
bitwise ops and BitShift, and Pow with integer and mixed-type operands. Cases whose inputs
are all initializers exercise gpuxc's compile-time folding (the reference executor calls the
same scalar functions through its thunks); the others the generated code.

Where onnxruntime has no kernel (float64 trigonometry and activations, Max of uint16, Where
of uint64 or bool) ONNX's reference evaluator is the reference (ref="onnx"). The cases of one opset are compiled ahead as one model (names
prefixed c<i>_); a case whose bundle does not build or run is compiled alone with
compile_model, which reports why.
"""
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

INVALID, UNSUPPORTED = 2, 3
RNG = np.random.default_rng(20250611)
F32, F64 = np.float32, np.float64


def randn(*shape, dtype=F32, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(dtype)


def unif(lo, hi, *shape, dtype=F32):
    return RNG.uniform(lo, hi, shape).astype(dtype)


def ints(lo, hi, *shape, dtype=np.int32):
    return RNG.integers(lo, hi, shape, endpoint=True).astype(dtype)


def halves(dtype):
    """Values at and near .5, where round half to even and round half away differ."""
    return np.array([-3.5, -2.5, -1.5, -0.5, -0.49, 0.0, 0.5, 0.51, 1.5, 2.5, 3.5, 4.5,
                     -1e9 - 0.5, 1e7 + 0.5, 2.4999, -7.0], dtype)


def specials(dtype):
    return np.array([[np.inf, -np.inf, np.nan, 0.0], [-0.0, 1.5, -2.0, 1e30]], dtype)


def extremes(dtype):
    """The type's limits, zero, one and a few values between."""
    info = np.iinfo(dtype)
    return np.array([info.min, info.min + 1, -1 if info.min else 2, 0, 1, 7, info.max - 1,
                     info.max], dtype)


@dataclass
class Case:
    """One node over graph inputs `feeds` and initializers `inits`, checked against `ref`:
    "ort" (onnxruntime) or "onnx" (ONNX's reference evaluator)."""
    id: str
    node: onnx.NodeProto
    feeds: dict
    inits: dict = field(default_factory=dict)
    opset: int = 17
    ref: str = "ort"
    rtol: float = 1e-5
    atol: float = 1e-6
    exit_code: int = 0  # for the cases gpuxc must refuse

    def model(self):
        g_in = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype),
                                              a.shape) for n, a in self.feeds.items()]
        inits = [numpy_helper.from_array(a, n) for n, a in self.inits.items()]
        graph = helper.make_graph([self.node], self.id.replace("-", "_"), g_in,
                                  [helper.make_empty_tensor_value_info("y")], inits)
        m = make_model(graph, self.opset)
        if self.exit_code:
            return m
        m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
        y = [v for v in m.graph.value_info if v.name == "y"]
        m.graph.output[0].CopyFrom(y[0])
        del m.graph.value_info[:]
        onnx.checker.check_model(m, full_check=True)
        return m


def make_model(graph, opset):
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                             ir_version=11 if opset >= 23 else 10 if opset >= 21 else 8)


def case(cid, op, inputs, opset=17, const=(), ref="ort", rtol=1e-5, atol=1e-6, exit_code=0,
         **attrs):
    """A case of one `op` node; inputs is [(name, array)], those named in const (or all,
    with const=True) become initializers."""
    feeds, inits = {}, {}
    for name, arr in inputs:
        (inits if const is True or name in const else feeds)[name] = arr
    node = helper.make_node(op, [n for n, _ in inputs], ["y"], name=f"{op}_{cid}", **attrs)
    return pytest.param(Case(cid, node, feeds, inits, opset, ref, rtol, atol, exit_code),
                        id=cid)


def unary(cid, op, x, **kw):
    return case(cid, op, [("x", x)], **kw)


def binary(cid, op, a, b, **kw):
    return case(cid, op, [("a", a), ("b", b)], **kw)


TRIG = [
    unary("sin-f64", "Sin", randn(3, 5, dtype=F64, scale=4.0)),
    unary("cos-f64", "Cos", randn(3, 5, dtype=F64, scale=4.0)),
    unary("tan-f64", "Tan", unif(-1.5, 1.5, 4, 4, dtype=F64), ref="onnx"),
    unary("asin-f64-out-of-domain", "Asin", np.array([-1.5, -1, -0.3, 0, 0.7, 1, 2], F64),
          ref="onnx"),
    unary("acos-f64", "Acos", unif(-1, 1, 2, 3, dtype=F64), ref="onnx"),
    unary("atan-f32-large", "Atan", randn(2, 3, 4, scale=100.0)),
    unary("sinh-f32", "Sinh", randn(5, 3, scale=3.0), rtol=1e-4),
    unary("cosh-f32", "Cosh", randn(5, 3, scale=3.0), rtol=1e-4),
    unary("asinh-f32", "Asinh", randn(4, 4, scale=10.0)),
    unary("acosh-f32", "Acosh", unif(1, 50, 4, 4)),
    unary("atanh-f32", "Atanh", unif(-0.99, 0.99, 4, 4)),
    unary("sinh-f64", "Sinh", randn(5, dtype=F64), ref="onnx"),
    unary("acosh-f64", "Acosh", unif(1, 50, 6, dtype=F64), ref="onnx"),
    unary("atanh-f64", "Atanh", unif(-0.99, 0.99, 6, dtype=F64), ref="onnx"),
    unary("cos-folded", "Cos", randn(2, 3), const=True),
    unary("atanh-folded", "Atanh", unif(-0.9, 0.9, 2, 3), const=True),
]

ROUNDING = [
    unary("round-f32-halves", "Round", halves(F32)),
    unary("round-f64-halves", "Round", halves(F64)),
    unary("round-specials", "Round", specials(F32)),
    unary("round-folded", "Round", halves(F32), const=True),
    unary("sign-f64-zeros", "Sign", np.array([-2.5, -0.0, 0.0, 1e-30, -1e-30, 3.0], F64)),
    unary("sign-int8", "Sign", extremes(np.int8)),
    unary("sign-int64", "Sign", extremes(np.int64)),
    unary("sign-uint8", "Sign", extremes(np.uint8)),
    unary("sign-uint64", "Sign", extremes(np.uint64)),
    unary("sign-int16-folded", "Sign", extremes(np.int16), const=True),
    unary("isinf-f64", "IsInf", specials(F64), opset=20),
    unary("isinf-positive-only", "IsInf", specials(F32), detect_negative=0),
    unary("isinf-negative-only", "IsInf", specials(F64), detect_positive=0),
    unary("isinf-neither", "IsInf", specials(F32), detect_positive=0, detect_negative=0),
    unary("isinf-folded", "IsInf", specials(F32), const=True, detect_positive=0),
]

ACTIVATIONS = [
    unary("elu-alpha", "Elu", randn(3, 4, scale=3.0), alpha=0.3),
    unary("elu-f64", "Elu", randn(3, 4, dtype=F64), ref="onnx", alpha=2.0),
    unary("elu-opset6-default", "Elu", randn(6), opset=6),
    unary("selu-attrs", "Selu", randn(3, 4, scale=2.0), alpha=2.0, gamma=3.0),
    unary("selu-f64-default", "Selu", randn(8, dtype=F64), ref="onnx"),
    unary("celu-alpha-2", "Celu", randn(3, 4, scale=3.0), opset=12, alpha=2.0),
    unary("celu-alpha-small", "Celu", randn(10, scale=3.0), opset=12, alpha=0.25),
    unary("thresholdedrelu-negative-alpha", "ThresholdedRelu", randn(3, 4), alpha=-0.5),
    unary("thresholdedrelu-f64", "ThresholdedRelu", randn(3, 4, dtype=F64), ref="onnx",
          alpha=0.25),
    unary("softsign-large", "Softsign", randn(4, 5, scale=1e3)),
    unary("softsign-f64", "Softsign", randn(7, dtype=F64), ref="onnx"),
    unary("mish-wide-range", "Mish", randn(4, 6, scale=10.0), opset=18),
    unary("mish-f64", "Mish", randn(7, dtype=F64, scale=5.0), opset=18),
    unary("swish-alpha", "Swish", randn(3, 5, scale=4.0), opset=24, alpha=0.5),
    unary("swish-f64-default", "Swish", randn(2, 6, dtype=F64, scale=4.0), opset=24),
    unary("shrink-bias", "Shrink", randn(3, 4, scale=2.0), bias=0.25, lambd=0.75),
    unary("shrink-f64", "Shrink", randn(12, dtype=F64, scale=2.0), bias=1.0, lambd=0.5),
    unary("shrink-int32", "Shrink", ints(-6, 6, 12), bias=2.0, lambd=1.5),
    unary("shrink-int8", "Shrink", ints(-50, 50, 3, 4, dtype=np.int8), bias=3.0, lambd=10.0),
    unary("selu-folded", "Selu", randn(2, 3), const=True, alpha=1.5),
    unary("shrink-int64-folded", "Shrink", ints(-6, 6, 8, dtype=np.int64), const=True,
          bias=1.0, lambd=2.0),
    unary("mish-folded", "Mish", randn(5), const=True, opset=18),
]


def shifts(dtype, n, width):
    return ints(0, width - 1, n, dtype=dtype)


BITS = [
    binary("and-int8-bcast", "BitwiseAnd", ints(-128, 127, 2, 3, 4, dtype=np.int8),
           ints(-128, 127, 4, dtype=np.int8), opset=18),
    binary("or-uint16-bcast", "BitwiseOr", ints(0, 65535, 3, 1, dtype=np.uint16),
           ints(0, 65535, 1, 5, dtype=np.uint16), opset=18),
    binary("xor-int64", "BitwiseXor", extremes(np.int64), extremes(np.int64)[::-1].copy(),
           opset=18),
    binary("and-uint32-folded", "BitwiseAnd", extremes(np.uint32), ints(0, 2**32 - 1, 8,
           dtype=np.uint32), opset=18, const=True),
    unary("not-uint8", "BitwiseNot", extremes(np.uint8), opset=18),
    unary("not-int64", "BitwiseNot", extremes(np.int64), opset=18),
    unary("not-uint32-folded", "BitwiseNot", extremes(np.uint32), opset=18, const=True),
    binary("shift-left-uint16-bcast", "BitShift", ints(0, 65535, 4, 1, dtype=np.uint16),
           shifts(np.uint16, 6, 16), opset=11, direction="LEFT"),
    binary("shift-right-uint64", "BitShift", extremes(np.uint64), shifts(np.uint64, 8, 64),
           opset=11, direction="RIGHT"),
    binary("shift-left-uint8-scalar", "BitShift", ints(0, 255, 10, dtype=np.uint8),
           np.array(3, np.uint8), opset=11, direction="LEFT"),
    binary("shift-right-uint32-folded", "BitShift", extremes(np.uint32),
           shifts(np.uint32, 8, 32), opset=11, const=True, direction="RIGHT"),
    binary("shift-right-int16-negative", "BitShift", extremes(np.int16), shifts(np.int16, 8, 16),
           opset=28, direction="RIGHT"),
    binary("shift-left-int64", "BitShift", extremes(np.int64), shifts(np.int64, 8, 64),
           opset=28, direction="LEFT"),
    binary("shift-right-int32-out-of-range", "BitShift",
           np.array([-7, 7, -7, 7, -1, 1], np.int32), np.array([32, 32, -1, -1, 40, 100], np.int32),
           opset=28, direction="RIGHT"),
    binary("shift-left-int8-folded", "BitShift", extremes(np.int8), shifts(np.int8, 8, 8),
           opset=28, const=True, direction="LEFT"),
]

POW = [
    binary("pow-int32-negative-exponents", "Pow", np.array([2, -2, 1, -1, -1, 3, 0, 5], np.int32),
           np.array([-1, -1, -3, -3, -4, 0, 3, 2], np.int32), opset=15),
    binary("pow-int64-bcast", "Pow", ints(-6, 6, 3, 1, dtype=np.int64),
           ints(0, 9, 1, 4, dtype=np.int64), opset=15),
    binary("pow-int64-base-int32-exponent", "Pow", ints(-20, 20, 6, dtype=np.int64),
           ints(0, 6, 6), opset=15),
    binary("pow-int32-base-f64-exponent", "Pow", ints(1, 9, 2, 3),
           unif(0, 3, 2, 3, dtype=F64), opset=15),
    binary("pow-int64-base-f32-exponent-neg", "Pow", ints(1, 9, 6, dtype=np.int64),
           unif(-2, 2, 6), opset=15),
    binary("pow-f32-base-f64-exponent", "Pow", unif(0.1, 3, 3, 4), unif(-2, 2, 4, dtype=F64),
           opset=15),
    binary("pow-f64-base-f32-exponent", "Pow", unif(0.1, 3, 3, 4, dtype=F64), unif(-2, 2, 3, 4),
           opset=15),
    binary("pow-f64-base-int32-exponent", "Pow", randn(3, 4, dtype=F64), ints(-3, 3, 1, 4),
           opset=15),
    binary("pow-f32-base-int64-exponent-input", "Pow", randn(3, 4), ints(-3, 3, 4,
           dtype=np.int64), opset=13),
    binary("pow-int32-folded", "Pow", ints(-4, 4, 6), ints(0, 5, 6), opset=15, const=True),
    binary("pow-f32-int64-folded", "Pow", randn(2, 3), ints(-2, 3, 3, dtype=np.int64),
           opset=15, const=True),
]

INTEGER_TYPES = [
    binary("mod-int8-bcast", "Mod", ints(-100, 100, 3, 4, dtype=np.int8),
           np.array([3, -3, 7, -128], np.int8)),
    binary("mod-int16-fmod", "Mod", ints(-1000, 1000, 2, 6, dtype=np.int16),
           np.array([7, -7, 5, -5, 300, -300], np.int16), fmod=1),
    binary("mod-uint32-folded", "Mod", ints(0, 2**32 - 1, 6, dtype=np.uint32),
           np.array([3, 1000, 2**31 + 1, 7, 1, 65536], np.uint32), const=True),
    case("max-int8-three", "Max", [("a", ints(-128, 127, 2, 3, dtype=np.int8)),
                                   ("b", ints(-128, 127, 3, dtype=np.int8)),
                                   ("c", ints(-128, 127, 2, 1, dtype=np.int8))]),
    case("min-uint64-three", "Min", [("a", extremes(np.uint64)), ("b", extremes(np.uint64)[::-1].copy()),
                                     ("c", np.array(2**63, np.uint64))]),
    binary("max-uint16-folded", "Max", extremes(np.uint16), extremes(np.uint16)[::-1].copy(),
           const=True, ref="onnx"),
    case("where-int8-bcast", "Where", [("c", RNG.random((2, 1, 4)) > 0.5),
                                       ("a", ints(-128, 127, 3, 4, dtype=np.int8)),
                                       ("b", ints(-128, 127, 2, 3, 1, dtype=np.int8))]),
    case("where-uint64", "Where", [("c", RNG.random(8) > 0.5), ("a", extremes(np.uint64)),
                                   ("b", np.array(5, np.uint64))], ref="onnx"),
    case("where-bool-values", "Where", [("c", RNG.random((3, 4)) > 0.5),
                                        ("a", RNG.random((3, 4)) > 0.5),
                                        ("b", RNG.random(4) > 0.5)], ref="onnx"),
    case("expand-int8", "Expand", [("x", ints(-9, 9, 3, 1, dtype=np.int8)),
                                   ("s", np.array([2, 3, 4], np.int64))], const=("s",)),
    case("expand-uint16", "Expand", [("x", ints(0, 9, 1, 4, dtype=np.uint16)),
                                     ("s", np.array([3, 1], np.int64))], const=("s",)),
    case("expand-bool", "Expand", [("x", RNG.random((2, 1)) > 0.5),
                                   ("s", np.array([2, 5], np.int64))], const=("s",)),
    binary("equal-uint64", "Equal", extremes(np.uint64), extremes(np.uint64)[::-1].copy()),
    binary("greater-int8-bcast", "Greater", ints(-3, 3, 3, 4, dtype=np.int8),
           ints(-3, 3, 4, dtype=np.int8)),
    binary("less-uint32", "Less", extremes(np.uint32), extremes(np.uint32)[::-1].copy()),
    binary("less-or-equal-int16", "LessOrEqual", ints(-3, 3, 12, dtype=np.int16),
           ints(-3, 3, 12, dtype=np.int16)),
    binary("greater-or-equal-uint8-bcast", "GreaterOrEqual", ints(0, 4, 2, 1, dtype=np.uint8),
           ints(0, 4, 5, dtype=np.uint8)),
    binary("equal-int64-folded", "Equal", ints(-2, 2, 8, dtype=np.int64),
           ints(-2, 2, 8, dtype=np.int64), const=True),
    unary("cast-int8-to-uint16", "Cast", extremes(np.int8), to=onnx.TensorProto.UINT16),
    unary("cast-uint64-to-f32", "Cast", extremes(np.uint64), to=onnx.TensorProto.FLOAT),
    unary("cast-f64-to-int16", "Cast", unif(-3e4, 3e4, 8, dtype=F64), to=onnx.TensorProto.INT16),
    unary("cast-int32-to-bool", "Cast", ints(-2, 2, 8), to=onnx.TensorProto.BOOL),
    unary("cast-bool-to-int64", "Cast", RNG.random(8) > 0.5, to=onnx.TensorProto.INT64),
    unary("cast-uint32-to-int8-folded", "Cast", extremes(np.uint32), const=True,
          to=onnx.TensorProto.INT8),
]

# gpuxc refuses these: invalid models exit with 2, valid ones it does not handle with 3.
REFUSED = [
    binary("bitshift-bad-direction", "BitShift", ints(0, 9, 4, dtype=np.uint8),
           ints(0, 3, 4, dtype=np.uint8), opset=11, exit_code=INVALID, direction="UP"),
    binary("bitshift-no-direction", "BitShift", ints(0, 9, 4, dtype=np.uint8),
           ints(0, 3, 4, dtype=np.uint8), opset=11, exit_code=INVALID),
    case("expand-runtime-shape", "Expand", [("x", randn(3, 1)), ("s", np.array([2, 3, 4],
                                                                              np.int64))],
         exit_code=UNSUPPORTED),
]

CASES = TRIG + ROUNDING + ACTIVATIONS + BITS + POW + INTEGER_TYPES


def write_model(model, directory):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "model.onnx"
    onnx.save(model, path)
    return path


def bundle_model(cases):
    """The cases side by side in one model, their names prefixed c<i>_."""
    nodes, inputs, outputs, inits = [], [], [], []
    for i, c in enumerate(cases):
        g = c.model().graph
        pre = f"c{i}_"
        n = onnx.NodeProto()
        n.CopyFrom(g.node[0])
        n.name = pre + n.name
        n.input[:] = [pre + v for v in n.input]
        n.output[:] = [pre + v for v in n.output]
        nodes.append(n)
        for src, dst in ((g.input, inputs), (g.output, outputs), (g.initializer, inits)):
            for v in src:
                v2 = type(v)()
                v2.CopyFrom(v)
                v2.name = pre + v.name
                dst.append(v2)
    return make_model(helper.make_graph(nodes, "bundle", inputs, outputs, inits), cases[0].opset)


class Bundles:
    """Builds the cases of each opset as one model, ahead, in a pool of one worker per core,
    and runs each once."""

    def __init__(self, gpuxc, root, cases):
        self.gpuxc, self.root = gpuxc, root
        self.pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
        self.of = {}  # case id -> (opset, index in its bundle)
        self.members, self.futures, self.outputs = {}, {}, {}
        for c in cases:
            members = self.members.setdefault(c.opset, [])
            self.of[c.id] = (c.opset, len(members))
            members.append(c)
        for opset, members in self.members.items():
            self.futures[opset] = self.pool.submit(self.build, opset, members)

    def build(self, opset, members):
        path = write_model(bundle_model(members), self.root / f"opset{opset}")
        exe = path.with_name("model")
        r = subprocess.run([str(self.gpuxc), "build", str(path), "-o", str(exe), "--quiet"],
                           capture_output=True, text=True, timeout=1800)
        return exe if r.returncode == 0 and exe.is_file() else None

    def outputs_of(self, c, run_exe):
        """c's output from its bundle, or None if the bundle did not build or run."""
        opset, i = self.of[c.id]
        if opset not in self.outputs:
            exe = self.futures[opset].result()
            feeds = {f"c{j}_{k}": v for j, m in enumerate(self.members[opset])
                     for k, v in m.feeds.items()}
            try:
                self.outputs[opset] = exe and run_exe(exe, feeds)
            except pytest.fail.Exception:
                self.outputs[opset] = None
        outs = self.outputs[opset]
        return outs.get(f"c{i}_y") if outs else None


@pytest.fixture(scope="module")
def bundles(request, gpuxc, tmp_path_factory):
    selected = [item.callspec.params["c"] for item in request.session.items
                if item.module is request.module
                and getattr(item, "originalname", "") == "test_elementwise"]
    b = Bundles(gpuxc, tmp_path_factory.mktemp("elementwise"), selected)
    yield b
    b.pool.shutdown(wait=True, cancel_futures=True)


def reference(c, path, ort_run):
    if c.ref == "ort":
        return ort_run(path, c.feeds)["y"]
    return ReferenceEvaluator(c.model()).run(None, c.feeds)[0]


@pytest.mark.parametrize("c", CASES)
def test_elementwise(c, bundles, compile_model, run_exe, ort_run, assert_close, tmp_path):
    path = write_model(c.model(), tmp_path)
    want = reference(c, path, ort_run)
    got = bundles.outputs_of(c, run_exe)
    if got is None:  # the bundle failed: built alone, the case reports why
        got = run_exe(compile_model(path, tmp_path), c.feeds, ["y"])["y"]
    assert_close(c.id, got, want, rtol=c.rtol, atol=c.atol)
    if want.dtype.kind == "f":  # NaN and inf exactly where the reference has them
        with np.errstate(invalid="ignore"):
            special = ~np.isfinite(want)
        np.testing.assert_array_equal(got[special], want[special], err_msg=c.id)


@pytest.mark.parametrize("c", REFUSED)
def test_refused(c, gpuxc, tmp_path):
    path = write_model(c.model(), tmp_path)
    r = subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == c.exit_code, f"exit code {r.returncode}, expected {c.exit_code}\n" \
        f"{r.stderr}"
    assert c.node.name in r.stderr, f"node '{c.node.name}' is not named\n{r.stderr}"
