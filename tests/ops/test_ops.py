"""Per-operator differential tests: a table of small single-op (or few-op) ONNX models, each
compiled with gpuxc, run through the generated executable and compared with onnxruntime.

Every op in docs/ops.md gets cases for its attributes and opset-dependent forms. Cases whose
inputs are all initializers exercise gpuxc's compile-time folding; cases with graph inputs
exercise the generated code. A few cases check that combinations docs/ops.md lists as
unsupported exit with code 3 and name the node.

Each gpuxc build spends about a second compiling the generated command-line driver, so the
selected cases are compiled ahead, ten of one opset at a time side by side in one model (names
prefixed c<i>_), in a pool of one worker per core, while the tests run in order. A case whose
bundle does not build or run, or gives a wrong answer, is compiled alone and judged there with
compile_model and run_exe; right alone but wrong in its bundle is a failure too.
"""
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

UNSUPPORTED = 3
INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min
RNG = np.random.default_rng(20240611)


# ---- inputs (drawn once, in table order, from the seeded RNG) ----

def randn(*shape, scale=1.0, dtype=np.float32):
    return np.asarray(RNG.standard_normal(shape) * scale, dtype=dtype)


def unif(lo, hi, *shape, dtype=np.float32):
    return np.asarray(RNG.uniform(lo, hi, shape), dtype=dtype)


def away(lo, hi, *shape, dtype=np.float32):
    """Uniform magnitude in [lo, hi), random sign: safe divisors and reciprocals."""
    return (unif(lo, hi, *shape, dtype=np.float64) * RNG.choice([-1.0, 1.0], shape)).astype(dtype)


def ints(lo, hi, *shape, dtype=np.int64):
    """Integers in [lo, hi]."""
    return RNG.integers(lo, hi + 1, shape).astype(dtype)


def nonzero_ints(lo, hi, *shape, dtype=np.int64):
    v = ints(lo, hi, *shape, dtype=dtype)
    return np.where(v == 0, 1, v).astype(dtype)


def bools(*shape):
    return RNG.random(shape) < 0.5


def halves(*shape, scale=2.0):
    """Floats on a 0.5 grid: ties for comparisons, exact .5 for Floor/Ceil/Cast."""
    return (np.round(RNG.standard_normal(shape) * scale * 2) / 2).astype(np.float32)


def i64(*values):
    return np.array(values, dtype=np.int64)


def scalar(v, dtype=np.float32):
    return np.array(v, dtype=dtype)


# ---- the case table ----

@dataclass
class Case:
    """A model (nodes over graph inputs `feeds` and initializers `inits`) and how to check it:
    against onnxruntime, or (unsupported = node name) that gpuxc exits with code 3."""
    id: str
    nodes: list
    feeds: dict
    inits: dict = field(default_factory=dict)
    outputs: tuple = ("y",)
    opset: int = 17
    rtol: float = 1e-3
    atol: float = 1e-4
    unsupported: str = None

    def model(self):
        g_in = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype),
                                              a.shape) for n, a in self.feeds.items()]
        g_out = [helper.make_empty_tensor_value_info(n) for n in self.outputs]
        inits = [numpy_helper.from_array(a, n) for n, a in self.inits.items()]
        graph = helper.make_graph(self.nodes, self.id.replace("-", "_"), g_in, g_out, inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                              ir_version=8)
        m = onnx.shape_inference.infer_shapes(m, strict_mode=True)
        known = {vi.name: vi for vi in [*m.graph.input, *m.graph.value_info, *m.graph.output]
                 if vi.type.tensor_type.elem_type}
        known.update({t.name: helper.make_tensor_value_info(t.name, t.data_type, t.dims)
                      for t in m.graph.initializer})
        for out in m.graph.output:  # a graph output that is a graph input gets its type
            if not out.type.tensor_type.elem_type:
                out.CopyFrom(known[out.name])
        onnx.checker.check_model(m, full_check=True)
        return m


def node(op, ins, outs=("y",), **attrs):
    return helper.make_node(op, list(ins), list(outs), name=f"{op}_{outs[0]}", **attrs)


def case(cid, nodes, feeds, inits=None, outputs=("y",), opset=17, **kw):
    nodes = nodes if isinstance(nodes, list) else [nodes]
    return pytest.param(Case(cid, nodes, feeds, inits or {}, tuple(outputs), opset, **kw), id=cid)


def op1(cid, op, ins, feeds, inits=None, opset=17, outputs=("y",), **attrs):
    """One node of `op` reading `ins` ("" for an absent optional input)."""
    return case(cid, node(op, ins, outputs, **attrs), feeds, inits, outputs, opset)


def unsupported(cid, nodes, feeds, inits=None, outputs=("y",), opset=17):
    nodes = nodes if isinstance(nodes, list) else [nodes]
    return case(cid, nodes, feeds, inits, outputs, opset, unsupported=nodes[-1].name)


# Conv / ConvTranspose

def conv(cid, x_shape, w_shape, bias=True, op="Conv", w_input=False, opset=17, **attrs):
    x, w = randn(*x_shape), randn(*w_shape, scale=0.5)
    m = w_shape[0] if op == "Conv" else w_shape[1] * attrs.get("group", 1)
    inits = {"w": w}
    if bias:
        inits["b"] = randn(m)
    feeds = {"x": x}
    if w_input:
        feeds["w"] = inits.pop("w")
    return op1(cid, op, ["x", "w"] + (["b"] if bias else []), feeds, inits, opset, **attrs)


CONV = [
    conv("conv1d", (1, 2, 9), (4, 2, 3)),
    conv("conv1d-stride3-same-upper", (1, 2, 10), (3, 2, 4), strides=[3], auto_pad="SAME_UPPER"),
    conv("conv1d-pads-dilation", (2, 3, 11), (2, 3, 3), pads=[2, 1], dilations=[3]),
    conv("conv2d", (1, 3, 8, 8), (4, 3, 3, 3)),
    conv("conv2d-kernel-shape-attr", (1, 3, 8, 8), (4, 3, 3, 2), kernel_shape=[3, 2]),
    conv("conv2d-opset11", (1, 3, 6, 6), (2, 3, 3, 3), opset=11, pads=[1, 1, 1, 1]),
    conv("conv2d-no-bias", (1, 3, 8, 8), (4, 3, 3, 3), bias=False),
    conv("conv2d-batch2", (2, 3, 7, 6), (5, 3, 3, 3), pads=[1, 1, 1, 1]),
    conv("conv2d-1x1", (1, 6, 5, 5), (4, 6, 1, 1)),
    conv("conv2d-1x1-stride2", (2, 6, 7, 7), (4, 6, 1, 1), strides=[2, 2]),
    conv("conv2d-groups2", (1, 4, 7, 7), (6, 2, 3, 3), group=2),
    conv("conv2d-groups3-no-bias", (1, 6, 6, 6), (3, 2, 2, 2), group=3, bias=False),
    conv("conv2d-depthwise", (1, 4, 7, 7), (4, 1, 3, 3), group=4, pads=[1, 1, 1, 1]),
    conv("conv2d-depthwise-multiplier2", (2, 3, 6, 6), (6, 1, 3, 3), group=3, strides=[2, 2]),
    conv("conv2d-dilations2", (1, 2, 9, 9), (3, 2, 3, 3), dilations=[2, 2], pads=[2, 2, 2, 2]),
    conv("conv2d-dilations-1x2", (1, 2, 8, 9), (3, 2, 3, 3), dilations=[1, 2]),
    # taps that start past the row's end (the im2col route once wrote before its row)
    conv("conv2d-dilated-taps-past-the-row", (1, 2, 10, 5), (4, 1, 3, 5), group=2,
         dilations=[1, 3], pads=[1, 5, 1, 3]),
    conv("conv2d-strides2-pads1", (1, 3, 9, 9), (4, 3, 3, 3), strides=[2, 2], pads=[1, 1, 1, 1]),
    conv("conv2d-strides-2x1", (1, 3, 8, 7), (2, 3, 3, 3), strides=[2, 1]),
    conv("conv2d-asym-pads", (1, 2, 6, 7), (3, 2, 3, 3), pads=[0, 1, 2, 1]),
    conv("conv2d-same-upper", (1, 2, 8, 8), (3, 2, 3, 3), auto_pad="SAME_UPPER", strides=[2, 2]),
    conv("conv2d-same-lower", (1, 2, 8, 8), (3, 2, 3, 3), auto_pad="SAME_LOWER", strides=[2, 2]),
    conv("conv2d-same-upper-even-kernel", (1, 2, 7, 7), (3, 2, 4, 4), auto_pad="SAME_UPPER"),
    conv("conv2d-same-lower-even-kernel", (1, 2, 7, 7), (3, 2, 4, 4), auto_pad="SAME_LOWER"),
    conv("conv2d-valid-stride2", (1, 2, 9, 8), (3, 2, 3, 3), auto_pad="VALID", strides=[2, 2]),
    conv("conv2d-weights-input", (1, 3, 6, 6), (4, 3, 3, 3), w_input=True, pads=[1, 1, 1, 1]),
    conv("conv3d", (1, 2, 5, 6, 5), (3, 2, 3, 3, 2)),
    conv("conv3d-strides-pads-dilations", (1, 2, 7, 7, 6), (2, 2, 3, 2, 2), strides=[2, 1, 2],
         pads=[1, 0, 1, 1, 1, 0], dilations=[1, 2, 1]),
    conv("conv3d-groups2-same-upper", (2, 4, 4, 5, 5), (4, 2, 2, 3, 3), group=2,
         auto_pad="SAME_UPPER"),
]

CONV_TRANSPOSE = [
    conv("convT2d", (1, 3, 5, 5), (3, 2, 3, 3), op="ConvTranspose"),
    conv("convT2d-no-bias", (1, 3, 4, 5), (3, 4, 3, 3), op="ConvTranspose", bias=False),
    conv("convT2d-strides2", (1, 3, 5, 5), (3, 2, 3, 3), op="ConvTranspose", strides=[2, 2]),
    conv("convT2d-strides2-output-padding", (1, 2, 4, 5), (2, 3, 3, 3), op="ConvTranspose",
         strides=[2, 3], output_padding=[1, 2]),
    conv("convT2d-output-shape", (1, 3, 5, 5), (3, 2, 3, 3), op="ConvTranspose", strides=[2, 2],
         output_shape=[10, 10]),
    conv("convT2d-output-shape-odd-total", (1, 3, 5, 5), (3, 2, 3, 3), op="ConvTranspose",
         strides=[2, 2], output_shape=[10, 9]),
    conv("convT2d-groups2", (1, 4, 5, 5), (4, 3, 3, 3), op="ConvTranspose", group=2),
    conv("convT2d-depthwise", (1, 3, 4, 4), (3, 1, 3, 3), op="ConvTranspose", group=3,
         strides=[2, 2]),
    conv("convT2d-dilations2", (1, 2, 5, 5), (2, 2, 3, 3), op="ConvTranspose", dilations=[2, 2]),
    conv("convT2d-pads", (1, 2, 6, 6), (2, 3, 3, 3), op="ConvTranspose", strides=[2, 2],
         pads=[1, 0, 1, 2]),
    conv("convT2d-same-upper", (1, 2, 4, 4), (2, 2, 3, 3), op="ConvTranspose", strides=[2, 2],
         auto_pad="SAME_UPPER"),
    conv("convT2d-same-lower", (1, 2, 4, 4), (2, 2, 3, 3), op="ConvTranspose", strides=[2, 2],
         auto_pad="SAME_LOWER"),
    conv("convT2d-valid", (1, 2, 4, 4), (2, 2, 3, 3), op="ConvTranspose", strides=[2, 2],
         auto_pad="VALID"),
    conv("convT2d-batch2-kernel2-stride2", (2, 3, 3, 4), (3, 2, 2, 2), op="ConvTranspose",
         strides=[2, 2]),
    conv("convT1d", (1, 2, 6), (2, 3, 3), op="ConvTranspose", strides=[2]),
    conv("convT3d", (1, 2, 3, 4, 3), (2, 2, 2, 3, 2), op="ConvTranspose", strides=[2, 1, 2],
         pads=[0, 1, 0, 0, 1, 1]),
]


# Gemm / MatMul

def gemm(cid, a_shape, b_shape, c_shape="absent", c_input=False, b_input=False, opset=17,
         **attrs):
    feeds, inits = {"a": randn(*a_shape)}, {"b": randn(*b_shape)}
    ins = ["a", "b"]
    if c_shape != "absent":
        inits["c"] = randn(*c_shape)
        ins.append("c")
        if c_input:
            feeds["c"] = inits.pop("c")
    if b_input:
        feeds["b"] = inits.pop("b")
    return op1(cid, "Gemm", ins, feeds, inits, opset, **attrs)


def matmul(cid, a_shape, b_shape, b_input=True):
    feeds, inits = {"a": randn(*a_shape)}, {"b": randn(*b_shape)}
    if b_input:
        feeds["b"] = inits.pop("b")
    return op1(cid, "MatMul", ["a", "b"], feeds, inits)


GEMM = [
    gemm("gemm-c-n", (3, 4), (4, 5), (5,)),
    gemm("gemm-transA", (4, 3), (4, 5), (5,), transA=1),
    gemm("gemm-transB", (3, 4), (5, 4), (5,), transB=1),
    gemm("gemm-transA-transB", (4, 3), (5, 4), (3, 5), transA=1, transB=1),
    gemm("gemm-alpha-beta", (3, 4), (4, 5), (3, 5), alpha=0.5, beta=2.0),
    gemm("gemm-alpha-no-c", (3, 4), (4, 5), alpha=-1.5),
    gemm("gemm-c-1xn", (3, 4), (4, 5), (1, 5)),
    gemm("gemm-c-mx1", (3, 4), (4, 5), (3, 1), beta=-0.5),
    gemm("gemm-c-mxn", (3, 4), (4, 5), (3, 5)),
    gemm("gemm-c-scalar", (3, 4), (4, 5), (), beta=3.0),
    gemm("gemm-c-1x1", (3, 4), (4, 5), (1, 1)),
    gemm("gemm-c-absent", (3, 4), (4, 5)),
    gemm("gemm-c-absent-beta2", (3, 4), (4, 5), beta=2.0),
    gemm("gemm-c-input", (2, 4), (4, 6), (2, 6), c_input=True, beta=0.5),
    gemm("gemm-b-input-transB", (2, 7), (3, 7), (3,), b_input=True, transB=1),
    gemm("gemm-opset9", (3, 4), (4, 5), (5,), opset=9, alpha=2.0),
    gemm("gemm-opset11-no-c", (3, 4), (4, 5), opset=11, transB=0),
]

MATMUL = [
    matmul("matmul-2d", (3, 4), (4, 5)),
    matmul("matmul-2d-const-b", (3, 4), (4, 5), b_input=False),
    matmul("matmul-1d-2d", (4,), (4, 5)),
    matmul("matmul-2d-1d", (3, 4), (4,)),
    matmul("matmul-1d-1d", (6,), (6,)),
    matmul("matmul-3d-2d", (2, 3, 4), (4, 5)),
    matmul("matmul-3d-2d-const-b", (2, 3, 4), (4, 5), b_input=False),
    matmul("matmul-2d-3d", (3, 4), (2, 4, 5)),
    matmul("matmul-3d-1d", (2, 3, 4), (4,)),
    matmul("matmul-1d-3d", (4,), (2, 4, 5)),
    matmul("matmul-batch-3d-3d", (2, 3, 4), (2, 4, 5)),
    matmul("matmul-broadcast-2x1-3", (2, 1, 3, 4), (3, 4, 5)),
    matmul("matmul-broadcast-4d", (1, 3, 2, 4), (2, 1, 4, 3)),
    matmul("matmul-5d", (2, 1, 2, 3, 4), (3, 1, 4, 2)),
]


# Pools

def pool(cid, op, x_shape, opset=17, **attrs):
    return op1(cid, op, ["x"], {"x": randn(*x_shape)}, opset=opset, **attrs)


POOL = [
    pool("maxpool1d", "MaxPool", (1, 2, 9), kernel_shape=[3], strides=[2]),
    pool("maxpool2d-k2s2", "MaxPool", (1, 3, 8, 8), kernel_shape=[2, 2], strides=[2, 2]),
    pool("maxpool2d-k3-pads1-s2", "MaxPool", (2, 2, 7, 7), kernel_shape=[3, 3], strides=[2, 2],
         pads=[1, 1, 1, 1]),
    pool("maxpool2d-asym-pads", "MaxPool", (1, 2, 6, 7), kernel_shape=[3, 2],
         pads=[0, 1, 2, 0]),
    pool("maxpool2d-ceil-mode", "MaxPool", (1, 2, 8, 8), kernel_shape=[3, 3], strides=[2, 2],
         ceil_mode=1),
    pool("maxpool2d-ceil-mode-pads", "MaxPool", (1, 1, 7, 6), kernel_shape=[2, 2],
         strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1),
    pool("maxpool2d-dilations", "MaxPool", (1, 2, 9, 9), kernel_shape=[3, 3], dilations=[2, 2]),
    pool("maxpool2d-dilations-strides-pads", "MaxPool", (1, 2, 10, 9), kernel_shape=[2, 3],
         dilations=[2, 1], strides=[2, 2], pads=[1, 1, 1, 1]),
    pool("maxpool2d-same-upper", "MaxPool", (1, 2, 7, 7), kernel_shape=[2, 2], strides=[2, 2],
         auto_pad="SAME_UPPER"),
    pool("maxpool2d-same-lower", "MaxPool", (1, 2, 7, 7), kernel_shape=[2, 2],
         auto_pad="SAME_LOWER"),
    pool("maxpool2d-valid", "MaxPool", (1, 2, 7, 8), kernel_shape=[3, 3], strides=[2, 2],
         auto_pad="VALID"),
    pool("maxpool2d-opset8", "MaxPool", (1, 2, 6, 6), opset=8, kernel_shape=[2, 2],
         strides=[2, 2]),
    pool("maxpool3d", "MaxPool", (1, 2, 5, 6, 5), kernel_shape=[2, 3, 2], strides=[1, 2, 2],
         pads=[0, 1, 0, 1, 1, 1]),
    pool("avgpool1d", "AveragePool", (2, 2, 10), kernel_shape=[4], strides=[3]),
    pool("avgpool2d", "AveragePool", (1, 3, 8, 8), kernel_shape=[2, 2], strides=[2, 2]),
    pool("avgpool2d-pads-exclude", "AveragePool", (1, 2, 7, 7), kernel_shape=[3, 3],
         strides=[2, 2], pads=[1, 1, 1, 1]),
    pool("avgpool2d-pads-include", "AveragePool", (1, 2, 7, 7), kernel_shape=[3, 3],
         strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1),
    pool("avgpool2d-asym-pads-include", "AveragePool", (1, 2, 6, 5), kernel_shape=[3, 2],
         pads=[2, 0, 0, 1], count_include_pad=1),
    pool("avgpool2d-ceil-mode", "AveragePool", (1, 2, 8, 8), kernel_shape=[3, 3],
         strides=[2, 2], ceil_mode=1),
    pool("avgpool2d-ceil-mode-pads-include", "AveragePool", (1, 1, 7, 7), kernel_shape=[3, 3],
         strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1),
    pool("avgpool2d-same-upper", "AveragePool", (1, 2, 7, 7), kernel_shape=[2, 2],
         strides=[2, 2], auto_pad="SAME_UPPER"),
    pool("avgpool2d-same-lower-include", "AveragePool", (1, 2, 5, 5), kernel_shape=[2, 2],
         auto_pad="SAME_LOWER", count_include_pad=1),
    pool("avgpool2d-valid", "AveragePool", (1, 2, 7, 8), kernel_shape=[3, 3], strides=[2, 2],
         auto_pad="VALID"),
    pool("avgpool2d-opset7", "AveragePool", (1, 2, 6, 6), opset=7, kernel_shape=[3, 3],
         pads=[1, 1, 1, 1], count_include_pad=1),
    pool("avgpool2d-opset19-dilations", "AveragePool", (1, 2, 9, 9), opset=19,
         kernel_shape=[3, 3], dilations=[2, 2], pads=[1, 1, 1, 1]),
    pool("avgpool3d", "AveragePool", (1, 2, 6, 5, 6), kernel_shape=[2, 2, 3], strides=[2, 1, 2],
         pads=[1, 0, 1, 0, 1, 1]),
    pool("global-avgpool-2d", "GlobalAveragePool", (2, 3, 5, 4)),
    pool("global-avgpool-1d", "GlobalAveragePool", (1, 4, 7)),
    pool("global-avgpool-3d", "GlobalAveragePool", (1, 2, 3, 4, 5)),
    pool("global-maxpool-2d", "GlobalMaxPool", (2, 3, 5, 4)),
    pool("global-maxpool-1d", "GlobalMaxPool", (1, 4, 7)),
    pool("global-maxpool-3d", "GlobalMaxPool", (1, 2, 3, 4, 5)),
]


# Softmax, LogSoftmax, LayerNormalization, BatchNormalization

SOFTMAX = [
    op1(f"{op.lower()}-opset{opset}-axis{'default' if axis is None else axis}", op, ["x"],
        {"x": randn(2, 3, 4, scale=3.0)}, opset=opset,
        **({} if axis is None else {"axis": axis}))
    for op in ("Softmax", "LogSoftmax")
    for opset, axis in [(11, None), (11, 0), (11, 2), (11, -1), (13, None), (13, -1), (13, 0),
                        (13, 1)]
] + [
    op1("softmax-large-values", "Softmax", ["x"], {"x": randn(3, 8, scale=40.0)}, opset=13),
    op1("logsoftmax-large-values", "LogSoftmax", ["x"], {"x": randn(3, 8, scale=40.0)},
        opset=13),
    op1("softmax-opset1-rank4-axis2", "Softmax", ["x"], {"x": randn(2, 2, 3, 2)}, opset=1, axis=2),
    op1("softmax-float64-axis1", "Softmax", ["x"], {"x": randn(2, 5, 3, dtype=np.float64)},
        opset=13, axis=1),
    op1("logsoftmax-float64", "LogSoftmax", ["x"], {"x": randn(3, 7, dtype=np.float64)}, opset=13),
    op1("matmul-float64-batched", "MatMul", ["a", "b"],
        {"a": randn(2, 1, 3, 4, dtype=np.float64), "b": randn(3, 4, 5, dtype=np.float64)}),
    op1("matmul-float64-vector", "MatMul", ["a", "b"],
        {"a": randn(4, dtype=np.float64), "b": randn(2, 4, 3, dtype=np.float64)}),
]


def layernorm(cid, x_shape, axis=None, bias=True, stats=False, **attrs):
    a = len(x_shape) - 1 if axis is None else axis % len(x_shape)
    inits = {"scale": randn(*x_shape[a:])}
    if bias:
        inits["bias"] = randn(*x_shape[a:])
    outs = ("y", "mean", "inv_std") if stats else ("y",)
    if axis is not None:
        attrs["axis"] = axis
    return op1(cid, "LayerNormalization", ["x", "scale"] + (["bias"] if bias else []),
               {"x": randn(*x_shape, scale=2.0) + 1}, inits, outputs=outs, **attrs)


LAYERNORM = [
    layernorm("layernorm-default-axis", (2, 3, 8)),
    layernorm("layernorm-axis-1", (2, 3, 8), axis=-1, epsilon=1e-3),
    layernorm("layernorm-axis1", (2, 3, 4), axis=1),
    layernorm("layernorm-axis-2-no-bias", (2, 3, 4), axis=-2, bias=False),
    layernorm("layernorm-axis0", (3, 4), axis=0),
    layernorm("layernorm-mean-invstd", (2, 3, 6), stats=True),
    layernorm("layernorm-axis1-mean-invstd", (2, 3, 2, 2), axis=1, stats=True),
]


def batchnorm(cid, x_shape, opset=15, **attrs):
    c = x_shape[1]
    inits = {"scale": randn(c), "bias": randn(c), "mean": randn(c), "var": unif(0.5, 2.0, c)}
    return op1(cid, "BatchNormalization", ["x", "scale", "bias", "mean", "var"],
               {"x": randn(*x_shape)}, inits, opset, **attrs)


BATCHNORM = [
    batchnorm("batchnorm-rank2", (4, 3)),
    batchnorm("batchnorm-rank3", (2, 3, 5)),
    batchnorm("batchnorm-rank4", (2, 3, 4, 5)),
    batchnorm("batchnorm-rank4-epsilon", (1, 4, 3, 3), epsilon=0.1),
    batchnorm("batchnorm-opset9", (2, 3, 4, 4), opset=9),
]


# Reductions

REDUCE_OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
              "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"]
REDUCE_INT64 = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                "ReduceL2", "ReduceLogSumExp", "ReduceSumSquare"]


def reduce_data(op, *shape):
    if op == "ReduceLogSum":
        return unif(0.1, 2.0, *shape)
    if op == "ReduceProd":
        return away(0.6, 1.5, *shape)
    return randn(*shape)


def reduce_case(cid, op, x, axes=None, as_input=True, opset=18, **attrs):
    """axes: None (absent) or a list; as_input: axes as the second input, else an attribute."""
    inits, ins = {}, ["x"]
    if axes is not None and as_input:
        inits["axes"] = np.array(axes, dtype=np.int64)
        ins.append("axes")
    elif axes is not None:
        attrs["axes"] = axes
    return op1(cid, op, ins, {"x": x}, inits, opset, **attrs)


def reduce_cases(op):
    short = op[len("Reduce"):].lower()
    attr_opset = 11 if op == "ReduceSum" else 13
    input_opset = 13 if op == "ReduceSum" else 18
    cases = [
        reduce_case(f"reduce-{short}-attr-axis1-keepdims", op, reduce_data(op, 2, 3, 4), [1],
                    as_input=False, opset=attr_opset),
        reduce_case(f"reduce-{short}-attr-neg-axes-keepdims0", op, reduce_data(op, 2, 3, 4),
                    [-1, 0], as_input=False, opset=12 if op == "ReduceSum" else 17, keepdims=0),
        reduce_case(f"reduce-{short}-input-axis-2-keepdims0", op, reduce_data(op, 3, 4, 2),
                    [-2], opset=input_opset, keepdims=0),
        reduce_case(f"reduce-{short}-input-axes02-keepdims", op, reduce_data(op, 2, 3, 4),
                    [0, 2], opset=input_opset),
        reduce_case(f"reduce-{short}-all-axes-keepdims0", op, reduce_data(op, 3, 5),
                    opset=input_opset, keepdims=0),
        reduce_case(f"reduce-{short}-attr-all-axes-keepdims", op, reduce_data(op, 2, 3, 2),
                    as_input=False, opset=attr_opset),
        reduce_case(f"reduce-{short}-noop-empty-axes", op, reduce_data(op, 2, 3),
                    opset=input_opset, noop_with_empty_axes=1),
        reduce_case(f"reduce-{short}-empty-axes-input-reduces-all", op, reduce_data(op, 2, 3),
                    [], opset=input_opset),
    ]
    if op in REDUCE_INT64:
        lo, hi = (-3, 3) if op == "ReduceProd" else (-20, 20)
        cases.append(reduce_case(f"reduce-{short}-int64", op, ints(lo, hi, 2, 3, 4), [1],
                                 opset=input_opset, keepdims=0))
    return cases


REDUCE = [c for op in REDUCE_OPS for c in reduce_cases(op)]


# Elementwise

def unary(cid, op, x, opset=17, **attrs):
    return op1(cid, op, ["x"], {"x": x}, opset=opset, **attrs)


UNARY = [
    unary("relu", "Relu", randn(3, 4)),
    unary("relu-f64", "Relu", randn(3, 4, dtype=np.float64)),
    unary("relu-int32", "Relu", ints(-5, 5, 3, 4, dtype=np.int32), opset=14),
    unary("relu-int8", "Relu", ints(-5, 5, 3, 4, dtype=np.int8), opset=14),
    unary("leakyrelu-default", "LeakyRelu", randn(3, 4)),
    unary("leakyrelu-alpha0.3", "LeakyRelu", randn(3, 4), alpha=0.3),
    unary("leakyrelu-opset6", "LeakyRelu", randn(2, 5), opset=6, alpha=0.2),
    unary("sigmoid", "Sigmoid", randn(3, 4, scale=4.0)),
    unary("sigmoid-f64", "Sigmoid", randn(3, 4, scale=4.0, dtype=np.float64)),
    unary("hardsigmoid-default", "HardSigmoid", randn(3, 4, scale=4.0)),
    unary("hardsigmoid-alpha-beta", "HardSigmoid", randn(3, 4, scale=4.0), alpha=0.35, beta=0.3),
    unary("hardswish", "HardSwish", randn(3, 4, scale=4.0), opset=14),
    unary("tanh", "Tanh", randn(3, 4, scale=2.0)),
    unary("tanh-f64", "Tanh", randn(3, 4, scale=2.0, dtype=np.float64)),
    unary("erf", "Erf", randn(3, 4, scale=1.5)),
    unary("gelu-none", "Gelu", randn(3, 4, scale=2.0), opset=20),
    unary("gelu-tanh", "Gelu", randn(3, 4, scale=2.0), opset=20, approximate="tanh"),
    unary("gelu-explicit-none", "Gelu", randn(3, 4, scale=2.0), opset=20, approximate="none"),
    unary("softplus", "Softplus", randn(3, 4, scale=4.0)),
    unary("exp", "Exp", randn(3, 4, scale=2.0)),
    unary("exp-f64", "Exp", randn(3, 4, scale=2.0, dtype=np.float64)),
    unary("log", "Log", unif(0.01, 10.0, 3, 4)),
    unary("log-f64", "Log", unif(0.01, 10.0, 3, 4, dtype=np.float64)),
    unary("log-nonpositive-gives-nan-inf", "Log", np.array([-1.0, 0.0, -0.0, 2.0], np.float32)),
    unary("sqrt", "Sqrt", unif(0.0, 9.0, 3, 4)),
    unary("sqrt-f64", "Sqrt", unif(0.0, 9.0, 3, 4, dtype=np.float64)),
    unary("sqrt-negative-gives-nan", "Sqrt", np.array([-4.0, -0.5, 0.0, 4.0], np.float32)),
    unary("reciprocal", "Reciprocal", away(0.2, 3.0, 3, 4)),
    unary("floor", "Floor", halves(3, 4)),
    unary("ceil", "Ceil", halves(3, 4)),
    unary("floor-f64", "Floor", randn(3, 4, scale=3.0, dtype=np.float64)),
    unary("neg", "Neg", randn(3, 4)),
    unary("neg-int64", "Neg", ints(-100, 100, 3, 4)),
    unary("neg-int32", "Neg", ints(-100, 100, 3, 4, dtype=np.int32)),
    unary("abs", "Abs", randn(3, 4)),
    unary("abs-int64", "Abs", ints(-100, 100, 3, 4)),
    unary("abs-int32", "Abs", ints(-100, 100, 3, 4, dtype=np.int32)),
    unary("abs-f64", "Abs", randn(3, 4, dtype=np.float64)),
]


def binary(cid, op, a, b, opset=17, b_const=False, **attrs):
    feeds, inits = {"a": a}, {}
    (inits if b_const else feeds)["b"] = b
    return op1(cid, op, ["a", "b"], feeds, inits, opset, **attrs)


BROADCASTS = {  # id: (shape of A, shape of B)
    "same": ((3, 4), (3, 4)),
    "scalar": ((3, 4), ()),
    "row": ((2, 3, 4), (4,)),
    "column": ((3, 4), (3, 1)),
    "rank-mismatch": ((2, 3, 4), (3, 1)),
    "both": ((3, 1), (1, 4)),
    "scalar-left": ((), (2, 3)),
    "length1-left": ((1,), (2, 3)),
}

BINARY = [
    binary(f"add-{k}", "Add", randn(*a), randn(*b)) for k, (a, b) in BROADCASTS.items()
] + [
    binary("add-const-row", "Add", randn(2, 3), randn(3), b_const=True),
    binary("add-f64-column", "Add", randn(3, 4, dtype=np.float64), randn(3, 1, dtype=np.float64)),
    binary("add-opset7", "Add", randn(2, 3), randn(3), opset=7),
    binary("sub-same", "Sub", randn(3, 4), randn(3, 4)),
    binary("sub-scalar-left", "Sub", scalar(1.5), randn(2, 3)),
    binary("sub-rank-mismatch", "Sub", randn(4,), randn(2, 3, 4)),
    binary("mul-same", "Mul", randn(3, 4), randn(3, 4)),
    binary("mul-column", "Mul", randn(3, 4), randn(3, 1)),
    binary("mul-both", "Mul", randn(2, 1, 4), randn(3, 1)),
    binary("mul-f64-scalar", "Mul", randn(2, 3, dtype=np.float64), scalar(2.5, np.float64)),
    binary("div-same", "Div", randn(3, 4), away(0.5, 2.0, 3, 4)),
    binary("div-row", "Div", randn(2, 3, 4), away(0.5, 2.0, 4)),
    binary("div-scalar-left", "Div", scalar(3.0), away(0.5, 2.0, 2, 3)),
    binary("max-same", "Max", randn(3, 4), randn(3, 4)),
    binary("max-rank-mismatch", "Max", randn(2, 3, 4), randn(3, 1)),
    binary("min-same", "Min", randn(3, 4), randn(3, 4)),
    binary("min-both", "Min", randn(3, 1), randn(1, 4)),
    binary("max-opset8", "Max", randn(3, 4), randn(4), opset=8),
    binary("pow-float-exponent", "Pow", unif(0.1, 3.0, 3, 4), unif(-2.0, 2.0, 3, 4)),
    binary("pow-scalar-exponent", "Pow", unif(0.1, 3.0, 3, 4), scalar(0.5)),
    binary("pow-negative-base-integral-exponent", "Pow", randn(3, 4), np.array([2.0, 3.0, 1.0, 0.0],
                                                                              np.float32)),
    binary("pow-negative-base-fractional-gives-nan", "Pow", np.array([-2.0, -1.0, 2.0], np.float32),
           scalar(0.5)),
    binary("pow-f64", "Pow", unif(0.1, 3.0, 2, 3, dtype=np.float64),
           unif(-2.0, 2.0, 3, dtype=np.float64)),
    binary("pow-opset7", "Pow", unif(0.1, 3.0, 2, 3), unif(-2.0, 2.0, 2, 3), opset=7),
    binary("prelu-slope-channel", "PRelu", randn(2, 3, 4, 4), randn(3, 1, 1), b_const=True),
    binary("prelu-slope-scalar", "PRelu", randn(2, 3, 4), randn(1), b_const=True),
    binary("prelu-slope-row", "PRelu", randn(2, 3, 4), randn(4)),
    binary("prelu-slope-same", "PRelu", randn(3, 4), randn(3, 4)),
    binary("prelu-opset9", "PRelu", randn(2, 3, 2, 2), randn(3, 1, 1), opset=9, b_const=True),
    # integers
    binary("add-int64-row", "Add", ints(-50, 50, 3, 4), ints(-50, 50, 4)),
    binary("add-int32", "Add", ints(-50, 50, 3, 4, dtype=np.int32),
           ints(-50, 50, 3, 4, dtype=np.int32)),
    binary("sub-int64-scalar", "Sub", ints(-50, 50, 3, 4), scalar(7, np.int64)),
    binary("mul-int64-column", "Mul", ints(-50, 50, 3, 4), ints(-50, 50, 3, 1)),
    binary("div-int64-negative", "Div", ints(-50, 50, 3, 4), nonzero_ints(-7, 7, 3, 4)),
    binary("div-int32-negative", "Div", ints(-50, 50, 3, 4, dtype=np.int32),
           nonzero_ints(-7, 7, 4, dtype=np.int32)),
    binary("mod-int64-fmod0-negative", "Mod", ints(-20, 20, 3, 5), nonzero_ints(-6, 6, 3, 5)),
    binary("mod-int64-fmod1-negative", "Mod", ints(-20, 20, 3, 5), nonzero_ints(-6, 6, 3, 5),
           fmod=1),
    binary("mod-int32-fmod0-broadcast", "Mod", ints(-20, 20, 3, 5, dtype=np.int32),
           np.array([-3, 4, -5, 7, 2], np.int32)),
    binary("mod-float-fmod1", "Mod", randn(3, 4, scale=5.0), away(0.5, 3.0, 3, 4), fmod=1),
    binary("max-int64", "Max", ints(-50, 50, 3, 4), ints(-50, 50, 4)),
    binary("min-int64", "Min", ints(-50, 50, 3, 4), ints(-50, 50, 3, 1), opset=13),
    binary("max-int32", "Max", ints(-50, 50, 3, 4, dtype=np.int32),
           ints(-50, 50, 3, 4, dtype=np.int32), opset=13),
]

COMPARE = [
    binary("equal-float", "Equal", halves(3, 4, scale=0.5), halves(3, 4, scale=0.5)),
    binary("equal-int64-row", "Equal", ints(-2, 2, 3, 4), ints(-2, 2, 4)),
    binary("equal-bool", "Equal", bools(3, 4), bools(3, 4)),
    binary("equal-int32", "Equal", ints(-2, 2, 3, 4, dtype=np.int32), ints(-2, 2, 3, 4, dtype=np.int32)),
    binary("less-float-broadcast", "Less", halves(3, 4, scale=0.5), halves(3, 1, scale=0.5)),
    binary("less-int64", "Less", ints(-3, 3, 3, 4), ints(-3, 3, 3, 4)),
    binary("greater-float", "Greater", halves(2, 3, 4, scale=0.5), halves(4, scale=0.5)),
    binary("greater-int64-scalar", "Greater", ints(-3, 3, 3, 4), scalar(0, np.int64)),
    binary("lessorequal-float", "LessOrEqual", halves(3, 4, scale=0.5), halves(3, 4, scale=0.5)),
    binary("lessorequal-int64-column", "LessOrEqual", ints(-3, 3, 3, 4), ints(-3, 3, 3, 1)),
    binary("greaterorequal-float-both", "GreaterOrEqual", halves(3, 1, scale=0.5),
           halves(1, 4, scale=0.5)),
    binary("greaterorequal-int64", "GreaterOrEqual", ints(-3, 3, 3, 4), ints(-3, 3, 3, 4)),
    binary("equal-opset7-int64", "Equal", ints(-2, 2, 3, 4), ints(-2, 2, 3, 4), opset=7),
    binary("less-opset7", "Less", halves(3, 4), halves(3, 4), opset=7),
]

LOGIC = [
    unary("not", "Not", bools(3, 4)),
    binary("and-broadcast", "And", bools(3, 4), bools(4)),
    binary("or-broadcast", "Or", bools(3, 1), bools(1, 4)),
    binary("xor-same", "Xor", bools(2, 3, 4), bools(2, 3, 4)),
    binary("and-scalar", "And", bools(3, 4), np.array(True)),
    op1("where-broadcast", "Where", ["c", "a", "b"],
        {"c": bools(3, 1), "a": randn(1, 4), "b": randn(3, 4)}),
    op1("where-scalar-else", "Where", ["c", "a", "b"],
        {"c": bools(2, 3, 4), "a": randn(3, 4), "b": scalar(-1.0)}),
    op1("where-int64", "Where", ["c", "a", "b"],
        {"c": bools(3, 4), "a": ints(-9, 9, 3, 4), "b": ints(-9, 9, 4)}),
    op1("where-opset9", "Where", ["c", "a", "b"],
        {"c": bools(3, 4), "a": randn(3, 4), "b": randn(3, 4)}, opset=9),
]


def clip(cid, x, lo=None, hi=None, feeds_bounds=False, opset=13, **attrs):
    feeds, inits, ins = {"x": x}, {}, ["x"]
    for name, v in (("min", lo), ("max", hi)):
        if v is None:
            ins.append("")
        else:
            (feeds if feeds_bounds else inits)[name] = np.array(v, dtype=x.dtype)
            ins.append(name)
    while ins[-1] == "":
        ins.pop()
    return op1(cid, "Clip", ins, feeds, inits, opset, **attrs)


CLIP = [
    clip("clip-min-max-inputs", randn(3, 4, scale=2.0), -0.5, 0.8),
    clip("clip-min-max-graph-inputs", randn(3, 4, scale=2.0), -1.0, 0.25, feeds_bounds=True),
    clip("clip-only-min", randn(3, 4, scale=2.0), -0.3),
    clip("clip-only-max", randn(3, 4, scale=2.0), None, 0.4),
    clip("clip-no-bounds", randn(3, 4, scale=2.0)),
    clip("clip-int64-min-max", ints(-20, 20, 3, 4), -5, 7),
    clip("clip-int64-only-min", ints(-20, 20, 3, 4), -5),
    clip("clip-int32-min-max", ints(-20, 20, 3, 4, dtype=np.int32), -5, 7),
    clip("clip-f64-min-max", randn(3, 4, dtype=np.float64), -0.5, 0.5),
    clip("clip-opset11-inputs", randn(3, 4, scale=2.0), -0.5, 0.8, opset=11),
    clip("clip-opset6-attrs", randn(3, 4, scale=2.0), opset=6, min=-0.5, max=0.6),
    clip("clip-opset6-only-min", randn(3, 4, scale=2.0), opset=6, min=-0.2),
    clip("clip-opset6-only-max", randn(3, 4, scale=2.0), opset=6, max=0.1),
    clip("clip-opset6-defaults", randn(3, 4, scale=2.0), opset=6),
]


def cast(cid, x, to, opset=13):
    return op1(cid, "Cast", ["x"], {"x": x}, opset=opset, to=to)


FRACTIONAL = np.array([-3.75, -2.5, -1.5, -0.5, -0.25, 0.0, 0.25, 0.5, 1.5, 2.5, 3.99, 100.0],
                      np.float32)

CAST = [
    cast("cast-f32-to-i32", FRACTIONAL, TensorProto.INT32),
    cast("cast-f32-to-i64", FRACTIONAL, TensorProto.INT64),
    cast("cast-f32-to-bool", FRACTIONAL, TensorProto.BOOL),
    cast("cast-f32-to-f64", randn(3, 4), TensorProto.DOUBLE),
    cast("cast-f32-to-f32", randn(3, 4), TensorProto.FLOAT),
    cast("cast-f64-to-f32", randn(3, 4, dtype=np.float64), TensorProto.FLOAT),
    cast("cast-f64-to-i64", FRACTIONAL.astype(np.float64) * 3, TensorProto.INT64),
    cast("cast-i64-to-f32", ints(-1000, 1000, 3, 4), TensorProto.FLOAT),
    cast("cast-i64-to-i32", ints(-100000, 100000, 3, 4), TensorProto.INT32),
    cast("cast-i64-to-bool", ints(-2, 2, 3, 4), TensorProto.BOOL),
    cast("cast-i64-to-f64", ints(-1000, 1000, 3, 4), TensorProto.DOUBLE),
    cast("cast-i32-to-i64", ints(-1000, 1000, 3, 4, dtype=np.int32), TensorProto.INT64),
    cast("cast-i32-to-f32", ints(-1000, 1000, 3, 4, dtype=np.int32), TensorProto.FLOAT),
    cast("cast-bool-to-f32", bools(3, 4), TensorProto.FLOAT),
    cast("cast-bool-to-i64", bools(3, 4), TensorProto.INT64),
    cast("cast-bool-to-i32", bools(3, 4), TensorProto.INT32),
    cast("cast-opset6-f32-to-i64", FRACTIONAL, TensorProto.INT64, opset=6),
    cast("cast-opset19-f32-to-i32", FRACTIONAL, TensorProto.INT32, opset=19),
]


def expand(cid, x, shape, opset=13):
    return op1(cid, "Expand", ["x", "shape"], {"x": x}, {"shape": i64(*shape)}, opset)


EXPAND = [
    expand("expand-column-to-3d", randn(3, 1), (2, 3, 4)),
    expand("expand-smaller-shape", randn(2, 3, 4), (3, 1)),
    expand("expand-scalar", scalar(1.5), (2, 3)),
    expand("expand-int64-rank-up", ints(-5, 5, 1, 4), (3, 1, 1)),
    expand("expand-bool", bools(2, 1), (2, 3)),
    expand("expand-opset8", randn(1, 3), (2, 3), opset=8),
]


# Data movement

def transpose(cid, x, **attrs):
    return op1(cid, "Transpose", ["x"], {"x": x}, **attrs)


TRANSPOSE = [
    transpose("transpose-default-3d", randn(2, 3, 4)),
    transpose("transpose-default-2d", randn(3, 5)),
    transpose("transpose-021", randn(2, 3, 4), perm=[0, 2, 1]),
    transpose("transpose-201", randn(2, 3, 4), perm=[2, 0, 1]),
    transpose("transpose-identity-perm", randn(2, 3, 4), perm=[0, 1, 2]),
    transpose("transpose-nchw-to-nhwc", randn(1, 3, 4, 5), perm=[0, 2, 3, 1]),
    transpose("transpose-4d-3120", randn(2, 3, 4, 5), perm=[3, 1, 2, 0]),
    transpose("transpose-5d", randn(2, 1, 3, 2, 2), perm=[4, 2, 0, 3, 1]),
    transpose("transpose-int64", ints(-9, 9, 2, 3, 4), perm=[1, 0, 2]),
    transpose("transpose-bool", bools(3, 4)),
    transpose("transpose-int8", ints(-9, 9, 2, 3, dtype=np.int8)),
]


def concat(cid, arrays, axis, inits=(), opset=13):
    names = [f"x{i}" for i in range(len(arrays))]
    feeds = {n: a for i, (n, a) in enumerate(zip(names, arrays)) if i not in inits}
    consts = {n: a for i, (n, a) in enumerate(zip(names, arrays)) if i in inits}
    return op1(cid, "Concat", names, feeds, consts, opset, axis=axis)


CONCAT = [
    concat("concat-axis0", [randn(1, 3, 2), randn(2, 3, 2), randn(3, 3, 2)], 0),
    concat("concat-axis1", [randn(2, 1, 2), randn(2, 3, 2), randn(2, 2, 2)], 1),
    concat("concat-axis2", [randn(2, 3, 1), randn(2, 3, 2), randn(2, 3, 3)], 2),
    concat("concat-axis-1", [randn(2, 3), randn(2, 1), randn(2, 4), randn(2, 2)], -1),
    concat("concat-axis-3-of-3d", [randn(1, 2, 2), randn(2, 2, 2), randn(1, 2, 2)], -3),
    concat("concat-zero-size-input", [randn(2, 2, 4), np.zeros((2, 0, 4), np.float32),
                                      randn(2, 3, 4)], 1),
    concat("concat-zero-size-const", [randn(2, 3), np.zeros((0, 3), np.float32), randn(1, 3)], 0,
           inits=(1,)),
    concat("concat-mixed-const", [randn(2, 2), randn(2, 3), randn(2, 1)], 1, inits=(1,)),
    concat("concat-int64", [ints(-9, 9, 2, 2), ints(-9, 9, 2, 1), ints(-9, 9, 2, 3)], 1),
    concat("concat-bool", [bools(1, 3), bools(2, 3), bools(1, 3)], 0),
    concat("concat-single-input", [randn(2, 3)], 0),
    concat("concat-opset4", [randn(2, 3), randn(2, 3), randn(1, 3)], 0, opset=4),
]


def split(cid, x, nout, axis=None, split_attr=None, split_input=None, opset=13, **attrs):
    inits, ins = {}, ["x"]
    if split_input is not None:
        inits["split"] = i64(*split_input)
        ins.append("split")
    if split_attr is not None:
        attrs["split"] = split_attr
    if axis is not None:
        attrs["axis"] = axis
    outs = tuple(f"y{i}" for i in range(nout))
    return op1(cid, "Split", ins, {"x": x}, inits, opset, outputs=outs, **attrs)


SPLIT = [
    split("split-opset11-attr", randn(2, 4, 3), 2, axis=1, split_attr=[1, 3], opset=11),
    split("split-opset2-attr", randn(5, 2), 3, split_attr=[2, 2, 1], opset=2),
    split("split-opset13-input", randn(2, 6), 3, axis=-1, split_input=[1, 2, 3]),
    split("split-opset13-input-zero-part", randn(4, 3), 3, split_input=[2, 0, 2]),
    split("split-opset18-num-outputs-uneven", randn(7, 2), 3, opset=18, num_outputs=3),
    split("split-opset18-num-outputs-even", randn(2, 6), 2, axis=1, opset=18, num_outputs=2),
    split("split-opset18-input", randn(3, 5), 2, axis=1, opset=18, split_input=[4, 1]),
    split("split-default-equal", randn(6, 2), 3),
    split("split-default-equal-opset11-axis2", randn(2, 3, 4), 2, axis=2, opset=11),
    split("split-int64", ints(-9, 9, 4, 3), 2, opset=13),
]


def slice_case(cid, x, starts, ends, axes=None, steps=None, opset=13):
    inits = {"starts": i64(*starts), "ends": i64(*ends)}
    ins = ["x", "starts", "ends"]
    if axes is not None:
        inits["axes"] = i64(*axes)
        ins.append("axes")
    if steps is not None:
        if axes is None:
            ins.append("")
        inits["steps"] = i64(*steps)
        ins.append("steps")
    return op1(cid, "Slice", ins, {"x": x}, inits, opset)


SLICE = [
    slice_case("slice-basic", randn(4, 5), [1, 0], [3, 4]),
    slice_case("slice-axes", randn(3, 6, 4), [1], [5], axes=[1]),
    slice_case("slice-negative-starts-ends", randn(4, 6), [-3, -5], [-1, -1], axes=[0, 1]),
    slice_case("slice-negative-axes", randn(3, 4, 5), [1], [4], axes=[-1]),
    slice_case("slice-step2", randn(5, 7), [0, 1], [5, 7], axes=[0, 1], steps=[2, 3]),
    slice_case("slice-step-minus1-reverse", randn(3, 5), [-1], [INT64_MIN], axes=[1], steps=[-1]),
    slice_case("slice-step-minus2", randn(6, 4), [4, 3], [0, -5], axes=[0, 1], steps=[-2, -1]),
    slice_case("slice-axes-omitted-steps", randn(6, 5), [1, 4], [6, 0], steps=[2, -2]),
    slice_case("slice-int64-max-end", randn(3, 5), [2], [INT64_MAX], axes=[1]),
    slice_case("slice-out-of-range-clamped", randn(4, 3), [-10, 1], [100, 2], axes=[0, 1]),
    slice_case("slice-empty-result", randn(4, 3), [3], [1], axes=[0]),
    slice_case("slice-int64-data", ints(-9, 9, 4, 5), [1], [-1], axes=[1]),
    slice_case("slice-opset10", randn(4, 5), [1], [3], axes=[1], opset=10),
    op1("slice-opset9-attrs", "Slice", ["x"], {"x": randn(4, 5, 3)}, opset=9, starts=[1, -2],
        ends=[3, INT64_MAX], axes=[0, 1]),
    op1("slice-opset1-attrs-no-axes", "Slice", ["x"], {"x": randn(4, 5)}, opset=1, starts=[1, 0],
        ends=[-1, 3]),
]


def gather(cid, data, idx, axis=None, idx_input=False, data_const=False, opset=13):
    feeds, inits = {}, {}
    (inits if data_const else feeds)["data"] = data
    (feeds if idx_input else inits)["idx"] = idx
    attrs = {} if axis is None else {"axis": axis}
    return op1(cid, "Gather", ["data", "idx"], feeds, inits, opset, **attrs)


GATHER = [
    gather("gather-axis0", randn(5, 4), i64(0, 3, 4, 1, 1, 2).reshape(2, 3)),
    gather("gather-axis1", randn(3, 5, 2), i64(4, 0, 2), axis=1),
    gather("gather-axis-1", randn(3, 4, 5), i64(1, 4).reshape(2, 1), axis=-1),
    gather("gather-scalar-index", randn(5, 4), np.array(3, np.int64)),
    gather("gather-scalar-index-axis1", randn(3, 5), np.array(-2, np.int64), axis=1),
    gather("gather-negative-indices", randn(6, 3), i64(-1, -6, 2, -3)),
    gather("gather-int32-indices", randn(5, 3), np.array([4, -1, 0], np.int32), axis=0),
    gather("gather-runtime-indices", randn(7, 3), ints(0, 6, 2, 4), idx_input=True,
           data_const=True),
    gather("gather-runtime-negative-int32", randn(4, 6), ints(-6, 5, 3, dtype=np.int32), axis=1,
           idx_input=True),
    gather("gather-int64-data", ints(-99, 99, 5, 2), i64(4, 0)),
    gather("gather-opset11", randn(5, 4), i64(-1, 0), opset=11),
    gather("gather-1d-data", randn(6), i64(5, 0, 3).reshape(3, 1), idx_input=True),
]


def pad(cid, x, pads, mode=None, value=None, axes=None, opset=13):
    inits = {"pads": i64(*pads)}
    ins = ["x", "pads"]
    if value is not None:
        inits["value"] = np.array(value, dtype=x.dtype)
        ins.append("value")
    if axes is not None:
        if value is None:
            ins.append("")
        inits["axes"] = i64(*axes)
        ins.append("axes")
    attrs = {} if mode is None else {"mode": mode}
    return op1(cid, "Pad", ins, {"x": x}, inits, opset, **attrs)


PAD = [
    pad("pad-constant-default", randn(2, 3), [1, 0, 2, 1]),
    pad("pad-constant-value", randn(2, 3, 4), [0, 1, 2, 1, 0, 1], "constant", 1.5),
    pad("pad-reflect", randn(3, 4), [1, 2, 2, 3], "reflect"),
    pad("pad-edge", randn(3, 4), [2, 0, 1, 3], "edge"),
    pad("pad-wrap", randn(3, 4), [1, 2, 2, 3], "wrap", opset=19),
    pad("pad-reflect-4d", randn(1, 2, 4, 4), [0, 0, 1, 2, 0, 0, 3, 1], "reflect"),
    pad("pad-negative-crop", randn(4, 5), [-1, 2, 1, -2]),
    pad("pad-negative-edge", randn(4, 5), [1, -2, -1, 1], "edge"),
    pad("pad-int64-constant-value", ints(-9, 9, 2, 3), [1, 1, 0, 2], value=-7),
    pad("pad-bool", bools(2, 3), [1, 0, 0, 1]),
    pad("pad-opset11", randn(2, 3), [0, 1, 1, 0], "constant", -2.0, opset=11),
    pad("pad-opset18-axes", randn(2, 3, 4), [1, 2, 0, 1], "constant", 0.5, axes=[0, 2], opset=18),
    pad("pad-opset18-negative-axes-reflect", randn(2, 3, 4), [2, 1], "reflect", axes=[-1],
        opset=18),
    pad("pad-opset19-wrap-axes", randn(2, 3, 4), [1, 0, 3, 2], "wrap", axes=[1, 2], opset=19),
    op1("pad-opset2-attrs", "Pad", ["x"], {"x": randn(2, 3)}, opset=2, pads=[1, 0, 0, 2],
        value=3.0),
    op1("pad-opset2-reflect", "Pad", ["x"], {"x": randn(3, 4)}, opset=2, pads=[1, 1, 1, 2],
        mode="reflect"),
]


# Shapes and views

def reshape(cid, x, shape, opset=14, then=None, **attrs):
    nodes = [node("Reshape", ["x", "shape"], ["r" if then else "y"], **attrs)]
    if then:
        nodes.append(node(then, ["r"]))
    return case(cid, nodes, {"x": x}, {"shape": i64(*shape)}, opset=opset)


RESHAPE = [
    reshape("reshape-zero-and-minus1", randn(2, 3, 4), [0, -1]),
    reshape("reshape-minus1-first", randn(2, 3, 4), [-1, 4, 1]),
    reshape("reshape-zero-copies-dims", randn(2, 3, 4), [0, 0, 2, 2]),
    reshape("reshape-then-relu", randn(2, 6), [3, -1], then="Relu"),
    reshape("reshape-to-scalar-shape", randn(1, 1), []),
    reshape("reshape-int64", ints(-9, 9, 2, 6), [4, 3]),
    reshape("reshape-allowzero-zero-size", np.zeros((3, 0), np.float32), [0, 3], allowzero=1),
    reshape("reshape-allowzero-no-zeros", randn(2, 3), [3, 2], allowzero=1),
    reshape("reshape-opset5", randn(2, 3, 4), [0, -1], opset=5),
]

FLATTEN = [
    unary(f"flatten-axis{a}", "Flatten", randn(2, 3, 4), axis=a) for a in (0, 1, 2, 3, -1)
] + [
    unary("flatten-default", "Flatten", randn(2, 3, 2, 2)),
    unary("flatten-int64-opset9", "Flatten", ints(-9, 9, 2, 3, 2), opset=9, axis=2),
]

SQUEEZE = [
    unary("squeeze-opset11-axes", "Squeeze", randn(2, 1, 3, 1), opset=11, axes=[1]),
    unary("squeeze-opset11-negative-axes", "Squeeze", randn(2, 1, 3, 1), opset=11, axes=[-1, 1]),
    unary("squeeze-opset11-all", "Squeeze", randn(1, 3, 1, 2), opset=11),
    op1("squeeze-opset13-input", "Squeeze", ["x", "axes"], {"x": randn(2, 1, 3, 1)},
        {"axes": i64(-1)}),
    op1("squeeze-opset13-no-axes", "Squeeze", ["x"], {"x": randn(1, 3, 1, 2)}),
    unary("unsqueeze-opset11-axes", "Unsqueeze", randn(2, 3), opset=11, axes=[0, 3]),
    unary("unsqueeze-opset11-negative", "Unsqueeze", randn(2, 3), opset=11, axes=[-1]),
    op1("unsqueeze-opset13-input", "Unsqueeze", ["x", "axes"], {"x": randn(2, 3)},
        {"axes": i64(-1, 1)}),
    op1("unsqueeze-opset13-scalar", "Unsqueeze", ["x", "axes"], {"x": scalar(2.5)},
        {"axes": i64(0)}),
    op1("unsqueeze-int64", "Unsqueeze", ["x", "axes"], {"x": ints(-9, 9, 3)}, {"axes": i64(0, 2)}),
]

IDENTITY = [
    unary("identity", "Identity", randn(3, 4)),
    unary("identity-int64", "Identity", ints(-9, 9, 3, 4)),
    case("identity-between-ops", [node("Relu", ["x"], ["r"]), node("Identity", ["r"], ["i"]),
                                  node("Add", ["i", "x"])], {"x": randn(3, 4)}),
    unary("dropout-opset7-ratio-attr", "Dropout", randn(3, 4), opset=7, ratio=0.3),
    op1("dropout-opset12-ratio-input", "Dropout", ["x", "ratio"], {"x": randn(3, 4)},
        {"ratio": scalar(0.5)}, opset=12),
    op1("dropout-opset13-training-false", "Dropout", ["x", "ratio", "training"],
        {"x": randn(3, 4)}, {"ratio": scalar(0.25), "training": np.array(False)}, opset=13),
    op1("dropout-opset13-mask-output", "Dropout", ["x"], {"x": randn(2, 3)}, opset=13,
        outputs=("y", "mask")),
    case("dropout-between-ops", [node("Dropout", ["x"], ["d"]), node("Sigmoid", ["d"])],
         {"x": randn(3, 4)}, opset=12),
]

SHAPE_OPS = [
    op1("shape", "Shape", ["x"], {"x": randn(2, 3, 4)}),
    op1("shape-opset15-start-end", "Shape", ["x"], {"x": randn(2, 3, 4, 5)}, opset=15, start=1,
        end=-1),
    op1("shape-opset15-start-negative", "Shape", ["x"], {"x": randn(2, 3, 4)}, opset=15, start=-2),
    op1("shape-opset15-end-clamped", "Shape", ["x"], {"x": randn(2, 3, 4)}, opset=15, end=10),
    case("shape-feeds-reshape", [node("Shape", ["x"], ["s"]), node("Reshape", ["z", "s"])],
         {"x": randn(2, 3, 4), "z": randn(6, 4)}),
    case("shape-gather-feeds-expand",
         [node("Shape", ["x"], ["s"]), node("Gather", ["s", "i"], ["d"]),
          node("Concat", ["one", "d"], ["t"], axis=0), node("Expand", ["v", "t"], ["e"]),
          node("Add", ["e", "x"])],
         {"x": randn(3, 4), "v": randn(1)}, {"i": i64(1), "one": i64(3)}),
    op1("size", "Size", ["x"], {"x": randn(2, 3, 4)}),
    case("size-cast-mul", [node("Size", ["x"], ["n"]), node("Cast", ["n"], ["f"], to=1),
                           node("Mul", ["x", "f"])], {"x": randn(2, 3)}),
]

CONSTANT = [
    case("constant-value-tensor",
         [node("Constant", [], ["c"], value=numpy_helper.from_array(randn(3, 4))),
          node("Add", ["x", "c"])], {"x": randn(3, 4)}),
    case("constant-value-float", [node("Constant", [], ["c"], value_float=2.5),
                                  node("Mul", ["x", "c"])], {"x": randn(3, 4)}),
    case("constant-value-floats", [node("Constant", [], ["c"], value_floats=[1.0, -2.0, 0.5]),
                                   node("Sub", ["x", "c"])], {"x": randn(2, 3)}),
    case("constant-value-int", [node("Constant", [], ["c"], value_int=-3),
                                node("Mul", ["x", "c"])], {"x": ints(-9, 9, 2, 3)}),
    case("constant-value-ints-as-shape",
         [node("Constant", [], ["s"], value_ints=[3, -1]), node("Reshape", ["x", "s"])],
         {"x": randn(2, 3, 2)}),
    case("constant-int64-tensor",
         [node("Constant", [], ["c"], value=numpy_helper.from_array(ints(-5, 5, 2, 3))),
          node("Add", ["x", "c"])], {"x": ints(-9, 9, 2, 3)}),
    case("constant-is-graph-output", [node("Constant", [], ["c"], value_floats=[1.0, 2.0]),
                                      node("Relu", ["x"])], {"x": randn(2)},
         outputs=("y", "c")),
    case("constantofshape-float",
         [node("Shape", ["x"], ["s"]),
          node("ConstantOfShape", ["s"], ["c"], value=numpy_helper.from_array(
              np.array([0.75], np.float32))),
          node("Add", ["x", "c"])], {"x": randn(2, 3)}),
    case("constantofshape-int64",
         [node("ConstantOfShape", ["s"], ["c"], value=numpy_helper.from_array(i64(4))),
          node("Mul", ["x", "c"])], {"x": ints(-9, 9, 3, 2)}, {"s": i64(3, 2)}),
    case("constantofshape-default-zero",
         [node("ConstantOfShape", ["s"], ["c"]), node("Sub", ["c", "x"])],
         {"x": randn(2, 4)}, {"s": i64(2, 4)}),
    case("range-float-mul",
         [node("Range", ["start", "limit", "delta"], ["r"]), node("Mul", ["x", "r"])],
         {"x": randn(2, 6)}, {"start": scalar(0.0), "limit": scalar(1.5), "delta": scalar(0.25)}),
    case("range-int64-negative-delta-gather",
         [node("Range", ["start", "limit", "delta"], ["r"]), node("Gather", ["x", "r"], axis=1)],
         {"x": randn(2, 11)}, {"start": scalar(10, np.int64), "limit": scalar(0, np.int64),
                              "delta": scalar(-3, np.int64)}),
    case("range-int64-cast-add",
         [node("Range", ["start", "limit", "delta"], ["r"]), node("Cast", ["r"], ["f"], to=1),
          node("Add", ["x", "f"])],
         {"x": randn(3, 4)}, {"start": scalar(-2, np.int64), "limit": scalar(6, np.int64),
                   "delta": scalar(2, np.int64)}),
    case("range-from-shape",
         [node("Shape", ["x"], ["s"]), node("Gather", ["s", "one"], ["n"]),
          node("Range", ["zero", "n", "one"], ["r"]), node("Cast", ["r"], ["f"], to=1),
          node("Mul", ["x", "f"])],
         {"x": randn(2, 5)}, {"zero": scalar(0, np.int64), "one": scalar(1, np.int64)}),
]


# Compile-time folding: the same ops with every input an initializer

FOLDED = [
    case("folded-add-int64", node("Add", ["a", "b"]), {}, {"a": ints(-9, 9, 3), "b": ints(-9, 9, 3)}),
    case("folded-softmax-then-add", [node("Softmax", ["c"], ["s"], axis=-1), node("Add", ["s", "x"])],
         {"x": randn(2, 3)}, {"c": randn(2, 3)}),
    case("folded-conv-then-relu", [node("Conv", ["c", "w"], ["s"]), node("Relu", ["s"], ["r"]),
                                   node("Mul", ["r", "x"])],
         {"x": randn(1, 2, 3, 3)}, {"c": randn(1, 3, 5, 5), "w": randn(2, 3, 3, 3)}),
    case("folded-transpose-matmul", [node("Transpose", ["w"], ["wt"]), node("MatMul", ["x", "wt"])],
         {"x": randn(2, 4)}, {"w": randn(3, 4)}),
    case("folded-cast-where", [node("Cast", ["c"], ["cb"], to=TensorProto.BOOL),
                               node("Where", ["cb", "x", "z"])],
         {"x": randn(2, 3)}, {"c": FRACTIONAL[:6].reshape(2, 3), "z": scalar(9.0)}),
    case("folded-reduce-pad-slice",
         [node("ReduceSum", ["c", "ax"], ["r"], keepdims=1), node("Pad", ["r", "p"], ["pd"]),
          node("Slice", ["pd", "st", "en"], ["sl"]), node("Add", ["sl", "x"])],
         {"x": randn(1, 4)}, {"c": randn(3, 4), "ax": i64(0), "p": i64(0, 1, 0, 1),
                              "st": i64(0, 0), "en": i64(1, 4)}),
]


# Patterns the optimizer rewrites

def const(*shape, scale=0.5):
    return randn(*shape, scale=scale)


def bn_params(c):
    return {"scale": randn(c), "bias": randn(c), "mean": randn(c), "var": unif(0.5, 2.0, c)}


FUSED = [
    case("fuse-conv-bn-relu",
         [node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
          node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["n"], epsilon=1e-3),
          node("Relu", ["n"])],
         {"x": randn(1, 3, 6, 6)}, {"w": const(4, 3, 3, 3), "b": randn(4), **bn_params(4)}),
    case("fuse-conv-no-bias-bn",
         [node("Conv", ["x", "w"], ["c"], strides=[2, 2]),
          node("BatchNormalization", ["c", "scale", "bias", "mean", "var"])],
         {"x": randn(2, 3, 7, 7)}, {"w": const(5, 3, 3, 3), **bn_params(5)}),
    case("fuse-depthwise-conv-bn-clip6",
         [node("Conv", ["x", "w"], ["c"], group=4, pads=[1, 1, 1, 1]),
          node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["n"]),
          node("Clip", ["n", "lo", "hi"])],
         {"x": randn(1, 4, 5, 5, scale=3.0)},
         {"w": const(4, 1, 3, 3, scale=2.0), **bn_params(4), "lo": scalar(0.0), "hi": scalar(6.0)}),
    case("fuse-conv-clip-0-6",
         [node("Conv", ["x", "w", "b"], ["c"]), node("Clip", ["c", "lo", "hi"])],
         {"x": randn(1, 3, 6, 6, scale=3.0)},
         {"w": const(4, 3, 3, 3), "b": randn(4), "lo": scalar(0.0), "hi": scalar(6.0)}),
    case("fuse-conv-clip-opset6-attrs",
         [node("Conv", ["x", "w", "b"], ["c"]), node("Clip", ["c"], min=0.0, max=6.0)],
         {"x": randn(1, 3, 6, 6, scale=3.0)}, {"w": const(4, 3, 3, 3), "b": randn(4)}, opset=6),
    case("fuse-conv-clip-only-max",
         [node("Conv", ["x", "w", "b"], ["c"]), node("Clip", ["c", "", "hi"])],
         {"x": randn(1, 3, 6, 6, scale=3.0)},
         {"w": const(4, 3, 3, 3), "b": randn(4), "hi": scalar(0.5)}),
    case("fuse-conv-leakyrelu",
         [node("Conv", ["x", "w", "b"], ["c"]), node("LeakyRelu", ["c"], alpha=0.2)],
         {"x": randn(1, 3, 5, 5)}, {"w": const(2, 3, 3, 3), "b": randn(2)}),
    case("fuse-conv-hardsigmoid",
         [node("Conv", ["x", "w"], ["c"]), node("HardSigmoid", ["c"], alpha=0.3, beta=0.4)],
         {"x": randn(1, 3, 5, 5)}, {"w": const(2, 3, 3, 3)}),
    case("fuse-conv-hardswish",
         [node("Conv", ["x", "w"], ["c"]), node("HardSwish", ["c"])],
         {"x": randn(1, 3, 5, 5, scale=3.0)}, {"w": const(2, 3, 3, 3)}, opset=14),
    case("fuse-convT-relu",
         [node("ConvTranspose", ["x", "w", "b"], ["c"], strides=[2, 2]), node("Relu", ["c"])],
         {"x": randn(1, 2, 3, 3)}, {"w": const(2, 3, 3, 3), "b": randn(3)}),
    case("fuse-matmul-add-relu",
         [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"], ["a"]), node("Relu", ["a"])],
         {"x": randn(2, 3, 4)}, {"w": const(4, 5), "b": randn(5)}),
    case("fuse-matmul-bias-first-operand",
         [node("MatMul", ["x", "w"], ["m"]), node("Add", ["b", "m"])],
         {"x": randn(3, 4)}, {"w": const(4, 5), "b": randn(5)}),
    case("fuse-matmul-bias-1xn-tanh",
         [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"], ["a"]), node("Tanh", ["a"])],
         {"x": randn(3, 4)}, {"w": const(4, 5), "b": randn(1, 5)}),
    case("fuse-matmul-1d-bias",
         [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"])],
         {"x": randn(4)}, {"w": const(4, 3), "b": randn(3)}),
    case("no-fuse-matmul-add-matrix",
         [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"])],
         {"x": randn(3, 4)}, {"w": const(4, 5), "b": randn(3, 5)}),
    case("no-fuse-matmul-add-broadcast-up",
         [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"])],
         {"x": randn(3, 4)}, {"w": const(4, 5), "b": randn(2, 1, 5)}),
    case("no-fuse-matmul-add-runtime-bias",
         [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"])],
         {"x": randn(3, 4), "b": randn(5)}, {"w": const(4, 5)}),
    case("fuse-gemm-no-c-add-sigmoid",
         [node("Gemm", ["x", "w"], ["g"], transB=1), node("Add", ["g", "b"], ["a"]),
          node("Sigmoid", ["a"])],
         {"x": randn(2, 4)}, {"w": const(3, 4), "b": randn(3)}),
    case("fuse-gemm-alpha-no-c-add",
         [node("Gemm", ["x", "w"], ["g"], alpha=2.0), node("Add", ["b", "g"])],
         {"x": randn(2, 4)}, {"w": const(4, 3), "b": randn(3)}),
    case("no-fuse-gemm-beta-no-c-add",
         [node("Gemm", ["x", "w"], ["g"], beta=3.0), node("Add", ["g", "b"])],
         {"x": randn(2, 4)}, {"w": const(4, 3), "b": randn(3)}),
    case("fuse-gemm-c-leakyrelu",
         [node("Gemm", ["x", "w", "c"], ["g"]), node("LeakyRelu", ["g"], alpha=0.1)],
         {"x": randn(2, 4)}, {"w": const(4, 3), "c": randn(3)}),
    case("identity-feeds-graph-output",
         [node("Relu", ["x"], ["r"]), node("Identity", ["r"])], {"x": randn(3, 4)}),
    case("identity-of-input-is-graph-output", node("Identity", ["x"]), {"x": randn(3, 4)}),
    case("identity-output-also-consumed",
         [node("Sigmoid", ["x"], ["s"]), node("Identity", ["s"], ["y"]),
          node("Neg", ["y"], ["z"])], {"x": randn(3, 4)}, outputs=("y", "z")),
    case("graph-output-is-graph-input", node("Relu", ["x"], ["r"]), {"x": randn(3, 4)},
         outputs=("x", "r")),
    case("graph-output-is-initializer", node("Relu", ["x"]), {"x": randn(3)},
         {"w": randn(2, 2)}, outputs=("y", "w")),
    case("two-outputs-one-consumed",
         [node("MatMul", ["x", "w"], ["m"]), node("Relu", ["m"], ["r"])],
         {"x": randn(2, 4)}, {"w": const(4, 3)}, outputs=("m", "r")),
    case("two-outputs-conv-consumed",
         [node("Conv", ["x", "w", "b"], ["c"]), node("Relu", ["c"], ["r"])],
         {"x": randn(1, 2, 4, 4)}, {"w": const(3, 2, 3, 3), "b": randn(3)}, outputs=("r", "c")),
    case("two-outputs-matmul-add-consumed",
         [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"], ["a"]),
          node("Relu", ["a"], ["r"])],
         {"x": randn(2, 4)}, {"w": const(4, 3), "b": randn(3)}, outputs=("a", "r")),
    case("conv-output-feeds-two-consumers",
         [node("Conv", ["x", "w"], ["c"]), node("Relu", ["c"], ["r"]), node("Sigmoid", ["c"], ["s"]),
          node("Add", ["r", "s"])],
         {"x": randn(1, 2, 4, 4)}, {"w": const(3, 2, 3, 3)}),
    case("reshape-view-is-graph-output",
         [node("Reshape", ["x", "s"], ["y"]), node("Relu", ["y"], ["z"])],
         {"x": randn(2, 6)}, {"s": i64(3, 4)}, outputs=("y", "z")),
    case("same-value-two-outputs", [node("Relu", ["x"], ["r"]), node("Identity", ["r"], ["a"]),
                                    node("Identity", ["r"], ["b"])],
         {"x": randn(3)}, outputs=("a", "b")),
]


# Ops added after docs/ops.md's table: GatherElements, GatherND, IsNaN

def gather_idx(cid, op, data, idx, idx_input=False, opset=13, **attrs):
    feeds, inits = {"data": data}, {}
    (feeds if idx_input else inits)["idx"] = idx
    return op1(cid, op, ["data", "idx"], feeds, inits, opset, **attrs)


INDEX = [
    gather_idx("gatherelements-axis0", "GatherElements", randn(3, 4),
               ints(0, 2, 2, 4), axis=0),
    gather_idx("gatherelements-axis1-negative", "GatherElements", randn(3, 4),
               ints(-4, 3, 3, 5), axis=1),
    gather_idx("gatherelements-axis-1-3d-runtime", "GatherElements", randn(2, 3, 5),
               ints(-5, 4, 2, 2, 3), idx_input=True, axis=-1),
    gather_idx("gatherelements-int32-default-axis", "GatherElements", ints(-9, 9, 4, 3),
               ints(0, 3, 2, 3, dtype=np.int32), idx_input=True),
    gather_idx("gatherelements-opset11", "GatherElements", randn(3, 3), ints(0, 2, 3, 2),
               opset=11, axis=1),
    gather_idx("gathernd-full-index", "GatherND", randn(3, 4), i64(0, 1, 2, 3, -1, -1).reshape(3, 2)),
    gather_idx("gathernd-partial-index", "GatherND", randn(3, 4, 2),
               i64(2, -3, 1).reshape(3, 1, 1), idx_input=True),
    gather_idx("gathernd-batch-dims1", "GatherND", randn(2, 3, 4), i64(1, 0, 2, 3).reshape(2, 2),
               batch_dims=1),
    gather_idx("gathernd-batch-dims1-runtime", "GatherND", randn(2, 3, 4, 2),
               np.array([[[0, 1], [2, 3]], [[1, 0], [0, -1]]], np.int64), idx_input=True,
               batch_dims=1),
    gather_idx("gathernd-opset11-int64-data", "GatherND", ints(-9, 9, 2, 2, 3),
               i64(1, 0, 0, 1).reshape(2, 2), opset=11),
    unary("isnan-f32", "IsNaN", np.array([np.nan, 1.0, -np.inf, 0.0, np.inf], np.float32)),
    unary("isnan-f64", "IsNaN", np.array([[np.nan, 2.0], [-1.0, np.nan]], np.float64)),
    unary("isnan-opset9", "IsNaN", np.array([np.nan, 1.0], np.float32), opset=9),
]


# Larger shapes (the kernels' blocked and vectorized paths and their tails) and edge values

NAN = np.float32("nan")

LARGER = [
    conv("conv2d-k-blocked-bias", (1, 32, 9, 9), (24, 32, 3, 3), pads=[1, 1, 1, 1]),
    conv("conv2d-pointwise-many-channels", (1, 64, 10, 10), (48, 64, 1, 1)),
    conv("conv2d-kernel-larger-than-input", (1, 2, 3, 3), (2, 2, 5, 5), pads=[2, 2, 2, 2]),
    conv("conv2d-depthwise-dilated", (1, 3, 9, 9), (3, 1, 3, 3), group=3, dilations=[2, 2],
         pads=[2, 2, 2, 2]),
    conv("conv2d-depthwise-k5-stride2", (1, 4, 11, 11), (4, 1, 5, 5), group=4, strides=[2, 2],
         pads=[2, 2, 2, 2]),
    conv("conv2d-depthwise-k3-no-pad-wide", (2, 3, 6, 40), (3, 1, 3, 3), group=3),
    conv("conv2d-depthwise-k3-stride2-asym", (1, 2, 9, 10), (2, 1, 3, 3), group=2, strides=[1, 2],
         pads=[0, 1, 1, 0]),
    conv("conv2d-depthwise-kernel17-wide", (1, 2, 3, 24), (2, 1, 1, 17), group=2, pads=[0, 3, 0, 3]),
    conv("conv1d-depthwise", (1, 3, 12), (3, 1, 3), group=3, pads=[1, 1]),
    conv("conv3d-depthwise", (1, 2, 4, 5, 5), (2, 1, 3, 3, 3), group=2, pads=[1, 1, 1, 1, 1, 1]),
    conv("convT2d-pointwise", (1, 3, 4, 4), (3, 5, 1, 1), op="ConvTranspose"),
    conv("convT2d-many-channels-stride2", (1, 20, 5, 5), (20, 16, 3, 3), op="ConvTranspose",
         strides=[2, 2], pads=[1, 1, 1, 1]),
    conv("convT2d-groups-dilations-output-padding", (1, 4, 4, 4), (4, 2, 3, 3),
         op="ConvTranspose", group=2, strides=[2, 2], dilations=[2, 2], output_padding=[1, 1]),
    matmul("matmul-k-blocked", (50, 300), (300, 37)),
    matmul("matmul-gemv-1d-2d", (300,), (300, 270), b_input=False),
    matmul("matmul-gemv-2d-1d", (270, 300), (300,)),
    matmul("matmul-m1-wide", (1, 64), (64, 300)),
    matmul("matmul-batched-m1", (4, 1, 40), (40, 50)),
    matmul("matmul-k0", (3, 0), (0, 4)),
    gemm("gemm-k-blocked-c-alpha-beta", (33, 300), (29, 300), (29,), transB=1, alpha=2.0, beta=0.5),
    gemm("gemm-transA-large", (70, 45), (70, 52), (45, 52), transA=1),
    gemm("gemm-k0-c", (3, 0), (0, 4), (4,), beta=2.0),
    pool("avgpool1d-kernel18-include-pad", "AveragePool", (1, 2, 40), kernel_shape=[18],
         strides=[2], pads=[3, 4], count_include_pad=1),
    pool("avgpool1d-kernel18-exclude-pad", "AveragePool", (1, 2, 40), kernel_shape=[18],
         strides=[3], pads=[5, 2]),
    pool("maxpool2d-kernel17-wide", "MaxPool", (1, 1, 2, 30), kernel_shape=[1, 17], strides=[1, 2],
         pads=[0, 4, 0, 4]),
    op1("maxpool2d-negative-input-pads", "MaxPool", ["x"],
        {"x": -np.abs(randn(1, 2, 5, 5)) - 1.0}, kernel_shape=[3, 3], strides=[2, 2],
        pads=[1, 1, 1, 1]),
    pool("maxpool2d-dilations-ceil-mode", "MaxPool", (1, 2, 10, 10), kernel_shape=[3, 3],
         strides=[2, 2], dilations=[2, 2], ceil_mode=1),
    pool("avgpool2d-ceil-mode-asym-pads-exclude", "AveragePool", (1, 2, 8, 7), kernel_shape=[3, 2],
         strides=[2, 3], pads=[1, 0, 0, 1], ceil_mode=1),
    pool("global-avgpool-large", "GlobalAveragePool", (2, 3, 17, 19)),
    reduce_case("reduce-sum-long-row", "ReduceSum", randn(3, 70), [-1], opset=13, keepdims=0),
    reduce_case("reduce-mean-long-row", "ReduceMean", randn(3, 70), [1], opset=18),
    reduce_case("reduce-max-long-row", "ReduceMax", randn(2, 3, 45), [-1], opset=18),
    reduce_case("reduce-min-long-row", "ReduceMin", randn(2, 67), [1], opset=18, keepdims=0),
    reduce_case("reduce-l1-long-row", "ReduceL1", randn(2, 64), [1], opset=18),
    reduce_case("reduce-sumsquare-long-row", "ReduceSumSquare", randn(2, 33), [1], opset=18),
    reduce_case("reduce-prod-long-row", "ReduceProd", away(0.9, 1.1, 2, 48), [1], opset=18),
    reduce_case("reduce-sum-rows-axis0", "ReduceSum", randn(5, 19), [0], opset=13),
    reduce_case("reduce-max-rows-axes01", "ReduceMax", randn(4, 3, 17), [0, 1], opset=18,
                keepdims=0),
    reduce_case("reduce-mean-rows-axes0-2", "ReduceMean", randn(3, 4, 2, 11), [0, 2], opset=18),
    reduce_case("reduce-prod-rows-axis0", "ReduceProd", away(0.8, 1.2, 3, 10), [0], opset=18),
    reduce_case("reduce-l2-rows-axis1", "ReduceL2", randn(2, 5, 9), [1], opset=18),
    reduce_case("reduce-logsumexp-large-values", "ReduceLogSumExp", randn(3, 6, scale=100.0),
                [1], opset=18),
    reduce_case("reduce-logsumexp-long-row", "ReduceLogSumExp", randn(2, 40, scale=5.0), [1],
                opset=18),
    reduce_case("reduce-sum-empty-axis", "ReduceSum", np.zeros((2, 0), np.float32), [1],
                opset=13),
    reduce_case("reduce-max-empty-axis", "ReduceMax", np.zeros((2, 0, 3), np.float32), [1],
                opset=18, keepdims=0),
    reduce_case("reduce-sum-scalar-input", "ReduceSum", scalar(2.5), opset=13),
    op1("softmax-long-axis", "Softmax", ["x"], {"x": randn(3, 70, scale=3.0)}, opset=13),
    op1("softmax-axis0-inner", "Softmax", ["x"], {"x": randn(5, 7, 3)}, opset=13, axis=0),
    op1("logsoftmax-axis1-inner", "LogSoftmax", ["x"], {"x": randn(2, 6, 9)}, opset=13, axis=1),
    op1("softmax-minus-inf-entries", "Softmax", ["x"],
        {"x": np.array([[-np.inf, 1, 2], [0, -np.inf, -np.inf]], np.float32)}, opset=13),
    op1("logsoftmax-minus-inf-entries", "LogSoftmax", ["x"],
        {"x": np.array([[-np.inf, 1, 2], [0, -np.inf, -np.inf]], np.float32)}, opset=13),
    layernorm("layernorm-long-row", (2, 300)),
    op1("layernorm-runtime-scale-bias", "LayerNormalization", ["x", "scale", "bias"],
        {"x": randn(3, 7), "scale": randn(7), "bias": randn(7)}),
    batchnorm("batchnorm-many-channels", (2, 37, 3, 5)),
    binary("add-broadcast-large", "Add", randn(4, 1, 33), randn(5, 1)),
    binary("mul-broadcast-4d", "Mul", randn(2, 3, 4, 5), randn(3, 1, 5)),
    binary("add-zero-size", "Add", np.zeros((0, 3), np.float32), randn(3)),
    unary("relu-zero-size", "Relu", np.zeros((2, 0), np.float32)),
    unary("relu-nan-propagates", "Relu", np.array([NAN, -1.0, 2.0, NAN], np.float32)),
    binary("max-nan-propagates", "Max", np.array([NAN, 1, 2], np.float32),
           np.array([0, NAN, 1], np.float32)),
    binary("min-nan-propagates", "Min", np.array([NAN, 1, 2], np.float32),
           np.array([0, NAN, 1], np.float32)),
    clip("clip-nan-stays-nan", np.array([NAN, -1.0, 2.0], np.float32), -0.5, 0.5),
    binary("equal-nan-is-false", "Equal", np.array([NAN, 1.0], np.float32),
           np.array([NAN, 1.0], np.float32)),
    unary("softplus-extremes", "Softplus", np.array([-100, -30, -1, 0, 1, 30, 100], np.float32)),
    unary("sigmoid-extremes", "Sigmoid", np.array([-100, -20, 0, 20, 100], np.float32)),
    unary("exp-overflow-inf", "Exp", np.array([-200, 0, 100, 200], np.float32)),
    unary("tanh-extremes", "Tanh", np.array([-50, -5, 0, 5, 50], np.float32)),
    unary("erf-extremes", "Erf", np.array([-10, -3, 0, 3, 10], np.float32)),
    unary("hardswish-breakpoints", "HardSwish", np.array([-4, -3, -1.5, 0, 1.5, 3, 4], np.float32),
          opset=14),
    unary("gelu-tanh-extremes", "Gelu", np.array([-20, -5, 0, 5, 20], np.float32), opset=20,
          approximate="tanh"),
    unary("reciprocal-zero-inf", "Reciprocal", np.array([0.0, -0.0, 2.0], np.float32)),
    binary("div-float-by-zero", "Div", np.array([1.0, -1.0, 0.0], np.float32),
           np.array([0.0, 0.0, 1.0], np.float32)),
    binary("add-int8-wraps", "Add", ints(-128, 127, 3, 4, dtype=np.int8),
           ints(-128, 127, 3, 4, dtype=np.int8)),
    binary("add-uint8-wraps", "Add", ints(0, 255, 3, 4, dtype=np.uint8),
           ints(0, 255, 4, dtype=np.uint8)),
    binary("mul-int16-wraps", "Mul", ints(-300, 300, 3, 4, dtype=np.int16),
           ints(-300, 300, 3, 4, dtype=np.int16)),
    binary("sub-uint32", "Sub", ints(0, 1000, 3, 4, dtype=np.uint32),
           ints(0, 1000, 3, 4, dtype=np.uint32)),
    binary("div-uint8", "Div", ints(0, 255, 3, 4, dtype=np.uint8),
           ints(1, 20, 3, 4, dtype=np.uint8)),
    binary("mod-uint8-broadcast", "Mod", ints(0, 255, 3, 4, dtype=np.uint8),
           ints(1, 20, 4, dtype=np.uint8)),
    binary("mod-int8-fmod0", "Mod", ints(-100, 100, 3, 4, dtype=np.int8),
           nonzero_ints(-9, 9, 3, 4, dtype=np.int8)),
    cast("cast-f32-to-i8", np.array([-128, -1.5, 0.5, 100.7, 127], np.float32), TensorProto.INT8),
    cast("cast-f32-to-u8", np.array([0, 1.5, 200.7, 255], np.float32), TensorProto.UINT8),
    cast("cast-i64-to-i8", ints(-128, 127, 3, 4), TensorProto.INT8),
    cast("cast-f64-to-bool", np.array([0.0, -0.0, 0.5, -2.0], np.float64), TensorProto.BOOL),
    cast("cast-bool-to-f64", bools(3, 4), TensorProto.DOUBLE),
    cast("cast-bool-to-bool", bools(3, 4), TensorProto.BOOL),
    cast("cast-i32-to-bool", ints(-2, 2, 3, 4, dtype=np.int32), TensorProto.BOOL),
    cast("cast-u8-to-f32", ints(0, 255, 3, 4, dtype=np.uint8), TensorProto.FLOAT),
    transpose("transpose-large-tiles", randn(3, 40, 37), perm=[0, 2, 1]),
    transpose("transpose-large-int8", ints(-9, 9, 35, 18, dtype=np.int8)),
    transpose("transpose-large-int64", ints(-9, 9, 2, 17, 33), perm=[2, 0, 1]),
    transpose("transpose-large-f64", randn(20, 19, dtype=np.float64)),
    transpose("transpose-unit-dims", randn(1, 3, 1, 4), perm=[2, 3, 0, 1]),
    transpose("transpose-120", randn(2, 3, 4), perm=[1, 2, 0]),
    concat("concat-large-axis0", [randn(2, 50), randn(3, 50), randn(1, 50)], 0),
    concat("concat-int8-axis-1", [ints(-9, 9, 2, 3, dtype=np.int8),
                                  ints(-9, 9, 2, 5, dtype=np.int8)], -1),
    slice_case("slice-large-step3", randn(4, 50), [1, 2], [4, 49], axes=[0, 1], steps=[2, 3]),
    slice_case("slice-negative-step-start-clamped", randn(5, 4), [100], [-100], axes=[0],
               steps=[-1]),
    slice_case("slice-step-larger-than-dim", randn(3, 5), [1], [5], axes=[1], steps=[7]),
    pad("pad-reflect-max", randn(3, 4), [2, 3, 2, 3], "reflect"),
    pad("pad-edge-beyond-dim", randn(2, 3), [0, 4, 0, 5], "edge"),
    pad("pad-wrap-beyond-dim", randn(2, 3), [0, 4, 0, 5], "wrap", opset=19),
    pad("pad-negative-reflect", randn(4, 5), [-1, 2, 1, -2], "reflect"),
    pad("pad-all-zero", randn(2, 3), [0, 0, 0, 0]),
    pad("pad-zero-size-input", np.zeros((0, 3), np.float32), [1, 0, 1, 0], "constant", 2.0),
    pad("pad-int8-channels", ints(-9, 9, 1, 2, 3, 3, dtype=np.int8), [0, 1, 0, 0, 0, 2, 0, 0],
        value=5),
    split("split-int8", ints(-9, 9, 4, 6, dtype=np.int8), 2, axis=1, split_input=[1, 5]),
]


# Rank 0 and 1, optional outputs, unused values, opset forms not covered above

EDGES = [
    binary("add-scalar-scalar", "Add", scalar(1.5), scalar(-0.25)),
    unary("relu-scalar", "Relu", scalar(-2.0)),
    unary("not-scalar", "Not", np.array(True)),
    op1("softmax-rank1", "Softmax", ["x"], {"x": randn(7)}, opset=13),
    op1("logsoftmax-rank1-opset11", "LogSoftmax", ["x"], {"x": randn(7)}, opset=11, axis=0),
    layernorm("layernorm-rank1", (9,)),
    op1("layernorm-mean-only", "LayerNormalization", ["x", "scale", "bias"], {"x": randn(3, 5)},
        {"scale": randn(5), "bias": randn(5)}, outputs=("y", "mean")),
    case("layernorm-invstd-only",
         node("LayerNormalization", ["x", "scale"], ["y", "", "inv_std"], axis=1),
         {"x": randn(2, 3, 4)}, {"scale": randn(3, 4)}, outputs=("y", "inv_std")),
    reduce_case("reduce-mean-rank1", "ReduceMean", randn(9), [0], opset=18, keepdims=0),
    reduce_case("reduce-sum-noop-empty-axes-input", "ReduceSum", randn(2, 3), [], opset=13,
                noop_with_empty_axes=1),
    reduce_case("reduce-mean-opset11-attr", "ReduceMean", randn(2, 3, 4), [0, -1],
                as_input=False, opset=11, keepdims=0),
    reduce_case("reduce-max-opset1-attr", "ReduceMax", randn(2, 3), [1], as_input=False, opset=1),
    gather("gather-1d-scalar-index", randn(6), np.array(-1, np.int64)),
    case("split-unused-output", node("Split", ["x"], ["y0", "y1", "y2"], axis=1),
         {"x": randn(2, 6)}, outputs=("y0", "y2"), opset=13),
    op1("dropout-opset12-mask-and-ratio", "Dropout", ["x", "ratio"], {"x": randn(3, 4)},
        {"ratio": scalar(0.1)}, opset=12, outputs=("y", "mask")),
    case("constantofshape-scalar",
         [node("ConstantOfShape", ["s"], ["c"], value=numpy_helper.from_array(
             np.array([1.5], np.float32))), node("Mul", ["x", "c"])],
         {"x": randn(2, 3)}, {"s": np.zeros((0,), np.int64)}),
    case("range-float-negative-delta",
         [node("Range", ["start", "limit", "delta"], ["r"]), node("Add", ["x", "r"])],
         {"x": randn(2, 4)}, {"start": scalar(1.0), "limit": scalar(-1.0), "delta": scalar(-0.5)}),
    op1("shape-start-after-end", "Shape", ["x"], {"x": randn(2, 3, 4)}, opset=15, start=2, end=1),
    op1("size-zero-size", "Size", ["x"], {"x": np.zeros((2, 0, 3), np.float32)}),
    cast("cast-i64-to-f32-large", ints(10**9, 10**10, 3, 4), TensorProto.FLOAT),
    unary("neg-int8-min", "Neg", np.array([-128, -1, 0, 127], np.int8)),
    unary("abs-int8-min", "Abs", np.array([-128, -1, 0, 127], np.int8)),
    case("unused-graph-input", node("Relu", ["x"]), {"x": randn(3), "z": randn(2)}),
    case("where-const-cond", node("Where", ["c", "x", "z"]), {"x": randn(3, 4), "z": randn(4)},
         {"c": bools(3, 1)}),
    conv("conv2d-valid-dilated", (1, 2, 9, 8), (3, 2, 3, 2), auto_pad="VALID", dilations=[2, 3]),
    conv("convT2d-same-upper-dilated", (1, 2, 4, 5), (2, 2, 3, 3), op="ConvTranspose",
         strides=[2, 3], dilations=[2, 1], auto_pad="SAME_UPPER"),
    batchnorm("batchnorm-opset7", (2, 3, 4), opset=7),
    gemm("gemm-opset7", (3, 4), (4, 5), (3, 5), opset=7, beta=0.5),
    clip("clip-opset12-int64", ints(-20, 20, 3, 4), -5, 7, opset=12),
    unary("squeeze-opset1", "Squeeze", randn(3, 1, 2), opset=1, axes=[1]),
]


# Small graphs: fusions and the memory plan around views and shared values

GRAPHS = [
    case("graph-diamond",
         [node("Relu", ["x"], ["a"]), node("Sigmoid", ["x"], ["b"]), node("Add", ["a", "b"], ["c"]),
          node("Mul", ["c", "a"], ["d"]), node("Sub", ["d", "b"], ["e"]),
          node("Concat", ["e", "a"], axis=1)], {"x": randn(3, 4)}),
    case("graph-view-outlives-producer",
         [node("Relu", ["x"], ["r"]), node("Reshape", ["r", "s1"], ["v"]),
          node("Sigmoid", ["x"], ["s"]), node("Tanh", ["s"], ["t"]),
          node("Reshape", ["v", "s2"], ["w"]), node("Add", ["w", "t"])],
         {"x": randn(4, 6)}, {"s1": i64(6, 4), "s2": i64(4, 6)}),
    case("graph-squeeze-unsqueeze-chain",
         [node("Unsqueeze", ["x", "a0"], ["u"]), node("Relu", ["u"], ["r"]),
          node("Squeeze", ["r", "a0"], ["q"]), node("Neg", ["x"], ["n"]),
          node("Add", ["q", "n"])], {"x": randn(3, 4)}, {"a0": i64(0)}),
    case("graph-reshape-transpose-matmul-softmax",
         [node("Reshape", ["x", "s"], ["r"]), node("Transpose", ["r"], ["t"], perm=[0, 2, 1]),
          node("MatMul", ["r", "t"], ["m"]), node("Softmax", ["m"], ["p"], axis=-1),
          node("MatMul", ["p", "r"])], {"x": randn(2, 12)}, {"s": i64(2, 3, 4)}),
    case("graph-cnn-head",
         [node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]), node("Relu", ["c"], ["r"]),
          node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
          node("Flatten", ["p"], ["f"]), node("Gemm", ["f", "fw", "fb"], ["g"], transB=1),
          node("Softmax", ["g"], axis=1)],
         {"x": randn(2, 3, 6, 6)},
         {"w": const(4, 3, 3, 3), "b": randn(4), "fw": const(5, 36), "fb": randn(5)}),
    case("graph-broadcast-grows",
         [node("Add", ["col", "z"], ["a"]), node("Mul", ["a", "col"], ["b"]),
          node("Sub", ["b", "row"], ["c"]), node("Relu", ["c"])],
         {"col": randn(3, 1), "z": randn(3, 4), "row": randn(4)}),
    case("graph-split-concat-reorder",
         [node("Split", ["x"], ["p0", "p1", "p2"], axis=1), node("Relu", ["p2"], ["r"]),
          node("Concat", ["r", "p0", "p1"], axis=1)], {"x": randn(2, 6)}, opset=13),
    case("graph-slice-feeds-two",
         [node("Slice", ["x", "st", "en"], ["s"]), node("Exp", ["s"], ["e"]),
          node("Mul", ["s", "e"], ["m"]), node("ReduceSum", ["m", "ax"], keepdims=0)],
         {"x": randn(4, 5)}, {"st": i64(1), "en": i64(3), "ax": i64(1)}),
    case("graph-gather-embedding-layernorm",
         [node("Gather", ["table", "ids"], ["e"]), node("Add", ["e", "pos"], ["a"]),
          node("LayerNormalization", ["a", "g", "bb"], axis=-1)],
         {"ids": ints(0, 9, 2, 5)},
         {"table": randn(10, 8), "pos": randn(5, 8), "g": randn(8), "bb": randn(8)}),
    case("graph-where-mask",
         [node("Equal", ["m", "zero"], ["eq"]), node("Where", ["eq", "ninf", "s"], ["w"]),
          node("Softmax", ["w"], axis=-1)],
         {"m": ints(0, 1, 2, 6), "s": randn(2, 6)},
         {"zero": scalar(0, np.int64), "ninf": scalar(-1e9)}),
    case("graph-int64-shape-arith",
         [node("Shape", ["x"], ["sh"]), node("Slice", ["sh", "st", "en"], ["hw"]),
          node("Concat", ["mone", "hw"], ["ns"], axis=0), node("Reshape", ["x", "ns"], ["r"]),
          node("ReduceMean", ["r", "ax"], keepdims=0)],
         {"x": randn(2, 3, 4)}, {"st": i64(2), "en": i64(3), "mone": i64(-1), "ax": i64(0)},
         opset=18),
    case("graph-conv-bn-shared-weights",
         [node("Conv", ["x", "w"], ["c1"], pads=[1, 1, 1, 1]),
          node("BatchNormalization", ["c1", "scale", "bias", "mean", "var"], ["n"]),
          node("Conv", ["x", "w"], ["c2"], pads=[1, 1, 1, 1]), node("Add", ["n", "c2"])],
         {"x": randn(1, 2, 5, 5)}, {"w": const(3, 2, 3, 3), **bn_params(3)}),
    case("graph-bn-stats-feed-two",
         [node("Conv", ["x", "w"], ["c"]), node("Relu", ["c"], ["r"]),
          node("BatchNormalization", ["r", "scale", "bias", "mean", "var"])],
         {"x": randn(1, 2, 5, 5)}, {"w": const(3, 2, 3, 3), **bn_params(3)}),
    case("graph-fused-relu-then-used-twice",
         [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"], ["a"]),
          node("Relu", ["a"], ["r"]), node("Mul", ["r", "r"], ["sq"]), node("Add", ["sq", "r"])],
         {"x": randn(3, 4)}, {"w": const(4, 5), "b": randn(5)}),
    case("graph-matmul-k-blocked-bias-relu",
         [node("MatMul", ["x", "w"], ["m"]), node("Add", ["m", "b"], ["a"]), node("Relu", ["a"])],
         {"x": randn(20, 300)}, {"w": const(300, 40, scale=0.2), "b": randn(40)}),
    case("graph-gemm-k-blocked-relu",
         [node("Gemm", ["x", "w", "c"], ["g"], alpha=0.5, beta=2.0), node("Relu", ["g"])],
         {"x": randn(33, 300)}, {"w": const(300, 29, scale=0.2), "c": randn(33, 29)}),
    case("graph-conv-k-blocked-relu",
         [node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]), node("Relu", ["c"])],
         {"x": randn(1, 32, 7, 7)}, {"w": const(20, 32, 3, 3, scale=0.2), "b": randn(20)}),
]


# Combinations docs/ops.md lists as unsupported: exit code 3, the node named

UNSUPPORTED_CASES = [
    unsupported("range-runtime-limit", node("Range", ["start", "limit", "delta"]),
                {"limit": scalar(5.0)}, {"start": scalar(0.0), "delta": scalar(1.0)}),
    unsupported("conv-float64", node("Conv", ["x", "w"]),
                {"x": randn(1, 1, 3, 3, dtype=np.float64)},
                {"w": randn(1, 1, 2, 2, dtype=np.float64)}),
    unsupported("matmul-int64", node("MatMul", ["a", "b"]), {"a": ints(-3, 3, 2, 3)},
                {"b": ints(-3, 3, 3, 2)}),
    unsupported("reshape-runtime-shape", node("Reshape", ["x", "s"]),
                {"x": randn(2, 3), "s": i64(3, 2)}),
]

# Variadic ops (split into two-input chains before inference) and mixed-type Pow.
VARIADIC = [
    op1("max-one-input", "Max", ["a"], {"a": randn(2, 3)}),
    op1("max-three-inputs", "Max", ["a", "b", "c"], {"a": randn(3), "b": randn(3),
                                                     "c": randn(2, 3)}),
    op1("min-four-inputs", "Min", ["a", "b", "c", "d"],
        {"a": randn(2, 1), "b": randn(3), "c": randn(2, 3), "d": randn(1)}),
    op1("sum-one-input", "Sum", ["a"], {"a": randn(4)}),
    op1("sum-five-inputs", "Sum", list("abcde"), {k: randn(2, 3) for k in "abcde"}),
    op1("mean-one-input", "Mean", ["a"], {"a": randn(3, 2)}),
    op1("mean-three-inputs", "Mean", ["a", "b", "c"], {"a": randn(2, 3), "b": randn(3),
                                                       "c": randn(2, 1)}),
    op1("pow-int64-exponent", "Pow", ["x", "e"], {"x": randn(2, 3)}, {"e": i64(2)}, opset=15),
    op1("pow-int64-exponent-input", "Pow", ["x", "e"], {"x": randn(2, 3), "e": i64(2)},
        opset=15),
    op1("pow-f64-exponent", "Pow", ["x", "e"], {"x": np.abs(randn(2, 3)) + 0.5},
        {"e": randn(3, dtype=np.float64)}, opset=15),
]

CASES = (CONV + CONV_TRANSPOSE + GEMM + MATMUL + POOL + SOFTMAX + LAYERNORM + BATCHNORM +
         REDUCE + UNARY + BINARY + COMPARE + LOGIC + CLIP + CAST + EXPAND + TRANSPOSE + CONCAT +
         SPLIT + SLICE + GATHER + PAD + RESHAPE + FLATTEN + SQUEEZE + IDENTITY + SHAPE_OPS +
         CONSTANT + FOLDED + FUSED + INDEX + LARGER + EDGES + GRAPHS + VARIADIC)


# ---- building: cases of one opset are compiled together, the failures alone ----

BUNDLE = 10  # cases per model: most of a build's second is compiling the generated CLI


def write_model(m, folder):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.onnx"
    onnx.save(m, str(path))
    return path


def bundle_model(cases):
    """The cases' graphs side by side in one model, every name given the prefix c<i>_."""
    nodes, inputs, outputs, inits = [], [], [], []
    for i, c in enumerate(cases):
        g = c.model().graph
        pre = f"c{i}_"
        for n in g.node:
            n2 = onnx.NodeProto()
            n2.CopyFrom(n)
            n2.name = pre + n.name
            n2.input[:] = [pre + v if v else "" for v in n.input]
            n2.output[:] = [pre + v if v else "" for v in n.output]
            nodes.append(n2)
        for src, dst in ((g.input, inputs), (g.output, outputs), (g.initializer, inits)):
            for v in src:
                v2 = type(v)()
                v2.CopyFrom(v)
                v2.name = pre + v.name
                dst.append(v2)
    graph = helper.make_graph(nodes, "bundle", inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", cases[0].opset)],
                          ir_version=8)
    onnx.checker.check_model(m, full_check=True)
    return m


class Builds:
    """Builds ahead, in a pool of one worker per core: the selected cases in bundles of one
    opset, and alone the members of a bundle that failed to build or run."""

    def __init__(self, gpuxc, root, cases):
        self.gpuxc, self.root = gpuxc, root
        self.pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2)
        self.alone = {}    # case id -> future of the case's own executable (or None)
        self.bundle = {}   # case id -> (bundle, index)
        self.outputs = {}  # bundle name -> {file stem: array}, or None if it did not run
        open_bundles = {}
        for c in cases:
            members = open_bundles.setdefault(c.opset, [])
            members.append(c)
            if len(members) == BUNDLE:
                self.submit(open_bundles.pop(c.opset))
        for members in open_bundles.values():
            self.submit(members)

    def close(self):
        self.pool.shutdown(wait=True, cancel_futures=True)

    def gpuxc_build(self, path):
        exe = path.with_name("model")
        r = subprocess.run([str(self.gpuxc), "build", str(path), "-o", str(exe), "--quiet"],
                           capture_output=True, text=True, timeout=1800)
        return exe if r.returncode == 0 and exe.is_file() else None

    def build_alone(self, c):
        return self.gpuxc_build(write_model(c.model(), self.root / c.id))

    def build_bundle(self, b):
        exe = None
        try:
            exe = self.gpuxc_build(write_model(bundle_model(b["cases"]), self.root / b["name"]))
        finally:
            if exe is None:
                self.split(b)
        return exe

    def split(self, b):
        for c in b["cases"]:
            if c.id not in self.alone:
                self.alone[c.id] = self.pool.submit(self.build_alone, c)

    def submit(self, cases):
        b = {"name": f"bundle-opset{cases[0].opset}-{len(self.outputs)}", "cases": cases}
        self.outputs[b["name"]] = "pending"
        for i, c in enumerate(cases):
            self.bundle[c.id] = (b, i)
        b["future"] = self.pool.submit(self.build_bundle, b)

    def bundled(self, c, run_exe):
        """(c's outputs from its bundle or None, the other cases of the bundle)."""
        if c.id not in self.bundle:
            return None, []
        b, i = self.bundle[c.id]
        others = [o.id for o in b["cases"] if o is not c]
        try:
            exe = b["future"].result()
        except Exception:  # a member's model could not be made: each is tried alone
            exe = None
        if exe is not None and self.outputs[b["name"]] == "pending":
            feeds = {f"c{j}_{k}": v for j, m in enumerate(b["cases"]) for k, v in m.feeds.items()}
            try:
                self.outputs[b["name"]] = run_exe(exe, feeds)
            except pytest.fail.Exception:
                self.outputs[b["name"]] = None
                self.split(b)
        outs = self.outputs[b["name"]] if exe is not None else None
        if outs is None:
            return None, others
        return {n: outs.get(f"c{i}_{n}") for n in c.outputs}, others

    def alone_exe(self, c):
        f = self.alone.get(c.id)
        return f.result() if f else None


@pytest.fixture(scope="module")
def builds(request, gpuxc, tmp_path_factory):
    selected = [item.callspec.params["c"] for item in request.session.items
                if item.module is request.module and getattr(item, "originalname", "") == "test_op"]
    b = Builds(gpuxc, tmp_path_factory.mktemp("ops"), selected)
    yield b
    b.close()


def check(c, name, got, want, assert_close):
    """assert_close, and where the expected value is NaN or infinite, the same value: the
    tolerance arithmetic of assert_close lets any value stand in for an expected NaN or inf."""
    assert_close(name, got, want, rtol=c.rtol, atol=c.atol)
    if want.dtype.kind == "f" and want.size:
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(want) & ~((got == want) | (np.isnan(got) & np.isnan(want)))
        if bad.any():
            at = tuple(int(i) for i in np.argwhere(bad)[0])
            raise AssertionError(f"{name}: at {at} got {got[at]!r}, want {want[at]!r}; "
                                 f"{int(bad.sum())} of {want.size} NaN or inf not matched")


def mismatch(c, got, want, assert_close):
    """The first difference between got and want as check words it, or None."""
    for name in want:
        if got.get(name) is None:
            return f"{name}: not written"
        try:
            check(c, name, got[name], want[name], assert_close)
        except AssertionError as e:
            return str(e)
    return None


@pytest.mark.parametrize("c", CASES)
def test_op(c, builds, compile_model, run_exe, ort_run, assert_close, tmp_path):
    path = write_model(c.model(), tmp_path)
    want = ort_run(path, c.feeds)
    got, others = builds.bundled(c, run_exe)
    problem = got is not None and mismatch(c, got, want, assert_close)
    if got is not None and not problem:
        return
    # Alone, the case is judged on its own model with the usual fixtures.
    exe = builds.alone_exe(c) or compile_model(path, tmp_path)
    got_alone = run_exe(exe, c.feeds, list(want))
    for name in want:
        check(c, name, got_alone[name], want[name], assert_close)
    if got is None:
        return
    pytest.fail(f"right when compiled alone, wrong when compiled in one model with "
                f"{', '.join(others)}: {problem}", pytrace=False)


@pytest.mark.parametrize("c", UNSUPPORTED_CASES)
def test_unsupported(c, gpuxc, tmp_path):
    path = write_model(c.model(), tmp_path)
    r = subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == UNSUPPORTED, f"exit code {r.returncode}, expected 3\n{r.stderr}"
    assert c.unsupported in r.stderr, f"node '{c.unsupported}' is not named\n{r.stderr}"
