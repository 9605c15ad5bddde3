"""Differential tests of the normalizations and Lp pooling (compiler/ops/normalize.c) against
onnxruntime: InstanceNormalization, GroupNormalization, LpNormalization, LRN,
MeanVarianceNormalization, RMSNormalization, LpPool and GlobalLpPool, in the shapes, attributes
and opset forms ONNX's node tests leave out. Cases whose inputs are all initializers exercise
gpuxc's compile-time folding (the reference executor runs the same kernels); the others the
generated code. A few cases check that what gpuxc does not handle exits with code 3 and names
the node.

The cases of one opset are compiled ahead as one model (names prefixed c<i>_); a case whose
bundle does not build or run is compiled alone with compile_model, which reports why. A wrong
answer in the bundle is a failure (bundled cases share nothing but the arena).
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

UNSUPPORTED = 3
RNG = np.random.default_rng(20240917)


def randn(*shape, scale=1.0, shift=0.0):
    return (RNG.standard_normal(shape) * scale + shift).astype(np.float32)


@dataclass
class Case:
    """One node over graph inputs `feeds` and initializers `inits`; checked against
    onnxruntime, or (unsupported = True) expected to exit with code 3 naming the node."""
    id: str
    node: onnx.NodeProto
    feeds: dict
    inits: dict = field(default_factory=dict)
    opset: int = 17
    rtol: float = 1e-3
    atol: float = 1e-4
    unsupported: bool = False
    # The expected output: "ort" (onnxruntime), "onnx" (ONNX's reference evaluator) or a
    # NumPy function of the inputs, for what neither handles.
    ref: object = "ort"

    def model(self):
        g_in = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype),
                                              a.shape) for n, a in self.feeds.items()]
        inits = [numpy_helper.from_array(a, n) for n, a in self.inits.items()]
        graph = helper.make_graph([self.node], self.id.replace("-", "_"), g_in,
                                  [helper.make_empty_tensor_value_info("y")], inits)
        m = make_model(graph, self.opset)
        # Shape inference types y, except that onnx 1.23 fails on MeanVarianceNormalization's
        # function body (its Constant nodes fail the strict check) and infers nothing for
        # GroupNormalization and GlobalLpPool-1: there y gets x's type and shape (GlobalLpPool:
        # with spatial dims of 1).
        mvn = self.node.op_type == "MeanVarianceNormalization"
        if not mvn:
            m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
        y = [v for v in m.graph.value_info if v.name == "y"]
        if not y:
            shape = self.x.shape
            if self.node.op_type == "GlobalLpPool":
                shape = shape[:2] + (1,) * (len(shape) - 2)
            assert self.node.op_type != "LpPool", "the output shape of LpPool is needed"
            y = [helper.make_tensor_value_info(
                "y", helper.np_dtype_to_tensor_dtype(self.x.dtype), shape)]
        m.graph.output[0].CopyFrom(y[0])
        del m.graph.value_info[:]
        # onnx 1.23's checker rejects GroupNormalization-18 as deprecated; onnxruntime runs it.
        if not (self.node.op_type == "GroupNormalization" and self.opset < 21):
            onnx.checker.check_model(m, full_check=not mvn)
        return m

    @property
    def x(self):
        return {**self.feeds, **self.inits}[self.node.input[0]]


def make_model(graph, opset):
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                             ir_version=11 if opset >= 23 else 10 if opset >= 21 else 8)


def case(cid, op, inputs, opset=17, const=(), unsupported=False, rtol=1e-3, atol=1e-4,
         ref="ort", **attrs):
    """A case of one `op` node; inputs is [(name, array)], those named in const (or all, with
    const=True) become initializers."""
    feeds, inits = {}, {}
    for name, arr in inputs:
        (inits if const is True or name in const else feeds)[name] = arr
    node = helper.make_node(op, [n for n, _ in inputs], ["y"], name=f"{op}_{cid}", **attrs)
    c = Case(cid, node, feeds, inits, opset, rtol, atol, unsupported, ref)
    return pytest.param(c, id=cid)


# ---- InstanceNormalization ----

def inst(cid, shape, opset=17, const=("s", "b"), shift=0.0, **attrs):
    ch = shape[1]
    return case(cid, "InstanceNormalization",
                [("x", randn(*shape, shift=shift)), ("s", randn(ch)), ("b", randn(ch))],
                opset, const, **attrs)


# ---- GroupNormalization: scale and bias per group before opset 21, per channel since ----

def group(cid, shape, groups, opset=21, const=("s", "b"), **attrs):
    n = groups if opset < 21 else shape[1]
    return case(cid, "GroupNormalization",
                [("x", randn(*shape)), ("s", randn(n)), ("b", randn(n))], opset, const,
                num_groups=groups, **attrs)


# ---- LpNormalization ----

def lpnorm(cid, x, opset=17, **attrs):
    return case(cid, "LpNormalization", [("x", x)], opset, **attrs)


def with_zero_rows(shape):
    x = randn(*shape)
    x[0] = 0.0
    return x


# ---- LRN ----

def lrn_numpy(x, size, alpha=1e-4, beta=0.75, bias=1.0):
    """LRN as ONNX defines it, for what onnxruntime rejects (an even size, a rank other than
    4). ONNX's reference evaluator cannot stand in: onnx 1.23's op_lrn.py loops over
    x.shape[0] (the batch) instead of the channels."""
    x64, ch = x.astype(np.float64), x.shape[1]
    sq = np.zeros_like(x64)
    for c in range(ch):
        lo, hi = max(0, c - (size - 1) // 2), min(ch, c + -(-(size - 1) // 2) + 1)
        sq[:, c] = np.sum(x64[:, lo:hi] ** 2, axis=1)
    return (x64 / (bias + alpha / size * sq) ** beta).astype(x.dtype)


def lrn(cid, shape, size, opset=17, **attrs):
    x = randn(*shape, scale=2.0)
    ref = "ort"
    if len(shape) != 4 or size % 2 == 0:
        ref = lambda inputs: lrn_numpy(inputs["x"], size, **attrs)  # noqa: E731
    return case(cid, "LRN", [("x", x)], opset, size=size, ref=ref, **attrs)


# ---- MeanVarianceNormalization ----

def mvn(cid, x, opset=17, **attrs):
    return case(cid, "MeanVarianceNormalization", [("x", x)], opset, **attrs)


def constant_channel(shape):
    x = randn(*shape)
    x[:, 1] = 3.0
    return x


# ---- RMSNormalization (opset 23) ----

def rms(cid, shape, scale_shape, const=("s",), **attrs):
    return case(cid, "RMSNormalization", [("x", randn(*shape)), ("s", randn(*scale_shape))], 23,
                const, **attrs)


# ---- LpPool and GlobalLpPool ----

def lppool(cid, shape, kernel, opset=17, **attrs):
    return case(cid, "LpPool", [("x", randn(*shape))], opset, kernel_shape=kernel, **attrs)


def global_lppool_numpy(x, p=2):
    """GlobalLpPool as ONNX defines it, for what onnxruntime rejects: more than 3 spatial dims,
    opset 1 (p a float). ONNX's reference evaluator has no GlobalLpPool."""
    s = np.sum(np.abs(x.astype(np.float64)) ** p, axis=tuple(range(2, x.ndim)), keepdims=True)
    return (s ** (1.0 / p)).astype(x.dtype)


def global_lppool(cid, shape, opset=17, **attrs):
    ref = "ort"
    if len(shape) > 5 or opset < 2:
        ref = lambda inputs: global_lppool_numpy(inputs["x"], **attrs)  # noqa: E731
    return case(cid, "GlobalLpPool", [("x", randn(*shape))], opset, ref=ref, **attrs)


CASES = [
    inst("inst-3d", (2, 3, 7)),
    inst("inst-5d-eps", (1, 2, 3, 4, 5), epsilon=1e-2),
    inst("inst-long-rows-offset", (1, 3, 33, 31), shift=50.0),
    inst("inst-opset6", (2, 4, 5, 5), opset=6),
    inst("inst-scale-inputs", (2, 3, 4, 4), const=()),
    inst("inst-folded", (2, 3, 4, 5), const=True),
    group("group21-one-group", (2, 6, 4, 4), 1),
    group("group21-group-per-channel", (2, 6, 4, 4), 6),
    group("group21-3d", (2, 6, 10), 3),
    group("group21-5d-eps", (1, 4, 3, 3, 3), 2, epsilon=1e-3),
    group("group21-rank2", (3, 6), 2),
    group("group21-stash1", (2, 4, 3, 3), 2, stash_type=1),
    group("group21-long-groups", (2, 8, 17, 19), 2),
    group("group18-per-group", (2, 6, 4, 4), 3, opset=18),
    group("group18-one-group", (2, 6, 5), 1, opset=18),
    group("group18-folded", (2, 6, 4, 4), 2, opset=18, const=True),
    group("group21-inputs", (2, 6, 4, 4), 2, const=()),
    lpnorm("lpnorm-p1-axis0", randn(4, 3), axis=0, p=1),
    lpnorm("lpnorm-p2-axis1-4d", randn(2, 3, 4, 5), axis=1, p=2),
    lpnorm("lpnorm-p1-axis-neg2", randn(2, 3, 4, 5), axis=-2, p=1),
    lpnorm("lpnorm-default-opset1", randn(3, 4, 5), opset=1),
    lpnorm("lpnorm-default-opset22", randn(3, 4, 5), opset=22),
    lpnorm("lpnorm-p2-zero-rows", with_zero_rows((2, 3, 4)), axis=-1),
    lpnorm("lpnorm-p1-zero-column", with_zero_rows((3, 4)), axis=0, p=1),
    lpnorm("lpnorm-folded", randn(2, 5, 3), const=True, axis=1),
    lrn("lrn-size1", (2, 4, 3, 3), 1),
    lrn("lrn-size2", (2, 5, 3, 4), 2),
    lrn("lrn-size4", (1, 6, 4, 4), 4, alpha=1e-2, beta=0.6, bias=1.5),
    lrn("lrn-size5", (1, 7, 3, 3), 5, alpha=0.5, beta=0.9, bias=2.0),
    lrn("lrn-size-above-channels", (2, 3, 4, 4), 7, alpha=0.3),
    lrn("lrn-opset1", (1, 4, 4, 4), 3, opset=1),
    lrn("lrn-3d", (2, 5, 6), 3, alpha=0.1),
    lrn("lrn-5d-size3", (1, 4, 2, 3, 2), 3, beta=0.5),
    case("lrn-folded", "LRN", [("x", randn(1, 4, 2, 3))], const=True, size=3),
    mvn("mvn-default", randn(2, 3, 4, 5)),
    mvn("mvn-opset9", randn(2, 3, 4, 5), opset=9),
    mvn("mvn-axes-23", randn(2, 3, 4, 5), axes=[2, 3]),
    mvn("mvn-axes-1", randn(2, 3, 4, 5), axes=[1]),
    mvn("mvn-all-axes", randn(2, 3, 4, 5), axes=[0, 1, 2, 3]),
    mvn("mvn-3d-axis-neg1", randn(2, 3, 7), axes=[-1]),
    mvn("mvn-3d-axes-02", randn(3, 2, 6), axes=[0, 2]),
    mvn("mvn-5d-default", randn(2, 3, 2, 4, 3)),
    mvn("mvn-offset", randn(2, 3, 8, 8, shift=20.0)),
    # A slice of zero variance: the spec's function gives 0 ((x - mean) / (0 + 1e-9));
    # onnxruntime gives NaN (its kernel adds no epsilon), so the reference evaluator judges.
    mvn("mvn-constant-channel", constant_channel((2, 3, 4, 4)), axes=[2, 3], ref="onnx"),
    case("mvn-folded", "MeanVarianceNormalization", [("x", randn(2, 3, 2, 2))], const=True),
    rms("rms-last", (2, 3, 8), (8,)),
    rms("rms-long-rows", (2, 100), (100,), epsilon=1e-3),
    rms("rms-axis1-scale-bcast", (2, 3, 4), (4,), axis=1),
    rms("rms-axis1-scale-input-bcast", (2, 3, 4), (1, 4), const=(), axis=1),
    rms("rms-axis0-scale-bcast", (3, 4), (1, 4), axis=0),
    rms("rms-scale-leading-ones", (2, 3, 4), (1, 1, 4)),
    rms("rms-eps-stash1", (4, 6), (6,), epsilon=0.5, stash_type=1),
    rms("rms-scale-input", (2, 5, 3), (5, 3), const=(), axis=-2),
    rms("rms-folded-bcast", (2, 3, 4), (3, 1), const=True, axis=1),
    lppool("lppool2-p1", (1, 2, 7, 7), [3, 3], opset=2, p=1),
    lppool("lppool11-p2-pads", (1, 2, 6, 7), [3, 2], opset=11, p=2, pads=[1, 0, 2, 1]),
    lppool("lppool-p3-strides", (2, 3, 9, 8), [3, 3], p=3, strides=[2, 3]),
    lppool("lppool-1d-same-upper", (1, 2, 11), [4], auto_pad="SAME_UPPER", strides=[2]),
    lppool("lppool-2d-same-lower", (1, 2, 7, 8), [3, 2], auto_pad="SAME_LOWER", strides=[2, 2]),
    lppool("lppool-2d-valid", (1, 2, 7, 8), [3, 2], auto_pad="VALID", strides=[2, 3]),
    lppool("lppool-3d-pads", (1, 2, 5, 6, 5), [2, 3, 2], p=1, pads=[1, 1, 0, 0, 1, 1]),
    lppool("lppool18-dilations", (1, 2, 9, 9), [3, 2], opset=18, dilations=[2, 3], p=2),
    lppool("lppool18-ceil", (1, 2, 8, 9), [3, 3], opset=18, ceil_mode=1, strides=[2, 2]),
    lppool("lppool22-p4", (1, 3, 6, 6), [2, 2], opset=22, p=4),
    case("lppool-folded", "LpPool", [("x", randn(1, 2, 5, 5))], const=True, kernel_shape=[2, 2],
         strides=[2, 2], pads=[0, 0, 1, 1]),
    global_lppool("global-lppool-3d-p1", (2, 3, 10), p=1),
    global_lppool("global-lppool-4d-default", (2, 3, 5, 6)),
    global_lppool("global-lppool-5d-p3", (1, 2, 3, 4, 5), p=3),
    global_lppool("global-lppool-6d", (1, 2, 2, 3, 2, 3)),
    global_lppool("global-lppool-opset2", (1, 3, 4, 4), opset=2, p=3),
    global_lppool("global-lppool-opset1-float-p", (1, 3, 4, 5), opset=1, p=1.5),
    case("global-lppool-folded", "GlobalLpPool", [("x", randn(1, 2, 3, 3))], const=True),
]

UNSUPPORTED_CASES = [
    case("rms-scale-over-outer-dims", "RMSNormalization",
         [("x", randn(2, 3, 4)), ("s", randn(2, 1, 4))], 23, unsupported=True, axis=2),
    case("rms-stash-double", "RMSNormalization", [("x", randn(2, 4)), ("s", randn(4))], 23,
         unsupported=True, stash_type=11),
    case("group-stash-double", "GroupNormalization",
         [("x", randn(2, 4, 3)), ("s", randn(4)), ("b", randn(4))], 21, unsupported=True,
         num_groups=2, stash_type=11),
    case("lppool-4-spatial-dims", "LpPool", [("x", randn(1, 1, 3, 3, 3, 3))], unsupported=True,
         kernel_shape=[2, 2, 2, 2]),
    case("inst-float64", "InstanceNormalization",
         [("x", randn(1, 2, 3).astype(np.float64)), ("s", np.ones(2)), ("b", np.zeros(2))],
         unsupported=True),
]


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
    """Builds the cases of each opset as one model, ahead, in a pool of one worker per core
    (each build spends about a second compiling the generated driver), and runs each once."""

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
                and getattr(item, "originalname", "") == "test_normalize"]
    b = Bundles(gpuxc, tmp_path_factory.mktemp("normalize"), selected)
    yield b
    b.pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("c", CASES)
def test_normalize(c, bundles, compile_model, run_exe, ort_run, assert_close, tmp_path):
    path = write_model(c.model(), tmp_path)
    if c.ref == "ort":
        want = ort_run(path, c.feeds)["y"]
    elif c.ref == "onnx":
        want = ReferenceEvaluator(c.model()).run(None, c.feeds)[0]
    else:
        want = c.ref({**c.feeds, **c.inits})
    got = bundles.outputs_of(c, run_exe)
    if got is None:  # the bundle failed: built alone, the case reports why
        got = run_exe(compile_model(path, tmp_path), c.feeds, ["y"])["y"]
    assert_close(c.id, got, want, rtol=c.rtol, atol=c.atol)


@pytest.mark.parametrize("c", UNSUPPORTED_CASES)
def test_unsupported(c, gpuxc, tmp_path):
    path = write_model(c.model(), tmp_path)
    r = subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == UNSUPPORTED, f"exit code {r.returncode}, expected 3\n{r.stderr}"
    assert c.node.name in r.stderr, f"node '{c.node.name}' is not named\n{r.stderr}"


@pytest.mark.parametrize("size", [1, 3, 5])
def test_lrn_numpy_matches_ort(size, ort_run, assert_close, tmp_path):
    """The NumPy LRN above agrees with onnxruntime where onnxruntime runs."""
    attrs = dict(alpha=0.2, beta=0.6, bias=1.5)
    c = lrn("lrn-check", (2, 6, 3, 3), size, **attrs).values[0]
    want = ort_run(write_model(c.model(), tmp_path), c.feeds)["y"]
    assert_close("lrn_numpy", lrn_numpy(c.feeds["x"], size, **attrs), want)


def test_global_lppool_numpy_matches_ort(ort_run, assert_close, tmp_path):
    c = global_lppool("global-lppool-check", (2, 3, 4, 2, 3), p=3).values[0]
    want = ort_run(write_model(c.model(), tmp_path), c.feeds)["y"]
    assert_close("global_lppool_numpy", global_lppool_numpy(c.feeds["x"], p=3), want)
