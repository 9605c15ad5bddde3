"""DeformConv against onnxruntime, for what ONNX's node tests (one 2-D float32 shape) leave
out: float64, groups and offset groups, mask and bias alone or together, strides, pads and
dilations, non-square kernels, offsets that reach past the image, integer offsets (then it is
a Conv), batches, sizes past the GEMM core's blocking, float16, opset 22, and compile-time
folding. ONNX Runtime runs 2-D only: 1-D and 3-D cases are checked against the same
convolution written as 2-D (a dim of size 1) in onnxruntime, and 3-D also against the NumPy
version below. Then the invalid models gpuxc must reject with exit code 2."""
import itertools
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

INVALID, UNSUPPORTED = 2, 3
RNG = np.random.default_rng(20261125)
F32, F64 = np.float32, np.float64


def randn(*shape, scale=1.0, dtype=F32):
    return np.asarray(RNG.standard_normal(shape) * scale, dtype=dtype)


def out_dims(x_shape, k, strides, pads, dilations):
    nd = len(k)
    return [(x_shape[2 + i] + pads[i] + pads[i + nd] - dilations[i] * (k[i] - 1) - 1) //
            strides[i] + 1 for i in range(nd)]


def case(x_shape, m, k, group=1, offset_group=1, strides=None, pads=None, dilations=None,
         bias=True, mask=True, scale=1.5, dtype=F32, int_offsets=False):
    """Inputs for one DeformConv: {name: array} in input order, and the attributes."""
    nd = len(k)
    strides, dilations = strides or [1] * nd, dilations or [1] * nd
    pads = pads or [0] * (2 * nd)
    n, c = x_shape[:2]
    out = out_dims(x_shape, k, strides, pads, dilations)
    kvol = int(np.prod(k))
    offset = randn(n, offset_group * kvol * nd, *out, scale=scale, dtype=dtype)
    if int_offsets:
        offset = np.round(offset).astype(dtype)
    ins = {"X": randn(*x_shape, dtype=dtype), "W": randn(m, c // group, *k, dtype=dtype),
           "offset": offset}
    if bias:
        ins["B"] = randn(m, dtype=dtype)
    if mask:
        ins["mask"] = np.asarray(RNG.random((n, offset_group * kvol, *out)), dtype)
    attrs = dict(group=group, offset_group=offset_group, strides=strides, pads=pads,
                 dilations=dilations)
    return ins, attrs


def deform_model(ins, attrs, opset=19, folded=False, elem=None):
    """One DeformConv node (inputs named as ONNX does; B may be left out before mask).
    folded: the inputs are initializers and Y is added to a graph input 'z'."""
    elem = elem or helper.np_dtype_to_tensor_dtype(ins["X"].dtype)
    names = ["X", "W", "offset", "B" if "B" in ins else "", "mask" if "mask" in ins else ""]
    while not names[-1]:
        names.pop()
    nodes = [helper.make_node("DeformConv", names, ["Y"], name="deform", **attrs)]
    x, w, off = ins["X"], ins["W"], ins["offset"]
    y_shape = [x.shape[0], w.shape[0], *off.shape[2:]]
    feeds, inits, out = dict(ins), [], "Y"
    if folded:
        inits = [numpy_helper.from_array(a, name) for name, a in ins.items()]
        feeds = {"z": randn(*y_shape, dtype=x.dtype)}
        nodes.append(helper.make_node("Add", ["Y", "z"], ["out"], name="add"))
        out = "out"
    g_in = [helper.make_tensor_value_info(name, elem, a.shape) for name, a in feeds.items()]
    graph = helper.make_graph(nodes, "deform", g_in,
                              [helper.make_tensor_value_info(out, elem, y_shape)], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)
    onnx.checker.check_model(m)
    return m, feeds


def numpy_deform(ins, attrs):
    """DeformConv written out: each tap samples X N-linearly (zeros outside) at
    o * stride - pad + t * dilation + offset, times the mask."""
    x, w, off = (ins[k].astype(F64) for k in ("X", "W", "offset"))
    n, c = x.shape[:2]
    sp, k = x.shape[2:], w.shape[2:]
    nd, m, out = len(k), w.shape[0], off.shape[2:]
    g, og = attrs["group"], attrs["offset_group"]
    st, dil, pads = attrs["strides"], attrs["dilations"], attrs["pads"]
    taps = list(itertools.product(*[range(v) for v in k]))
    off = off.reshape(n, og, len(taps), nd, *out)
    mask = ins["mask"].astype(F64).reshape(n, og, len(taps), *out) if "mask" in ins else None
    cols = np.zeros((n, c, len(taps), *out))
    for b, ch, (ti, t), o in itertools.product(range(n), range(c), enumerate(taps),
                                               itertools.product(*[range(v) for v in out])):
        grp = ch // (c // og)
        pos = [o[i] * st[i] - pads[i] + t[i] * dil[i] + off[(b, grp, ti, i) + o]
               for i in range(nd)]
        lo = [int(np.floor(p)) for p in pos]
        v = 0.0
        if all(-1 < p < s for p, s in zip(pos, sp)):
            for corner in itertools.product((0, 1), repeat=nd):
                at = tuple(lo[i] + corner[i] for i in range(nd))
                if all(0 <= a < s for a, s in zip(at, sp)):
                    wt = np.prod([(pos[i] - lo[i]) if corner[i] else 1 - (pos[i] - lo[i])
                                  for i in range(nd)])
                    v += wt * x[(b, ch) + at]
        cols[(b, ch, ti) + o] = v * (mask[(b, grp, ti) + o] if mask is not None else 1.0)
    y = np.zeros((n, m, *out))
    cg, mg = c // g, m // g
    for gi in range(g):
        wg = w[gi * mg:(gi + 1) * mg].reshape(mg, cg * len(taps))
        cg_cols = cols[:, gi * cg:(gi + 1) * cg].reshape(n, cg * len(taps), -1)
        y[:, gi * mg:(gi + 1) * mg] = (wg @ cg_cols).reshape(n, mg, *out)
    if "B" in ins:
        y += ins["B"].astype(F64).reshape(1, m, *([1] * nd))
    return y.astype(ins["X"].dtype)


def as_2d(ins, attrs):
    """The 1-D or 3-D case as 2-D. 1-D gains a leading dim of size 1 (kernel 1, offsets 0);
    3-D must have depth 1, kernel depth 1 and depth offsets 0, and loses that dim."""
    nd = ins["W"].ndim - 2
    x, w, off = ins["X"], ins["W"], ins["offset"]
    n, out = off.shape[0], off.shape[2:]
    og = attrs["offset_group"]
    kvol = int(np.prod(w.shape[2:]))
    off = off.reshape(n, og, kvol, nd, *out)
    if nd == 1:
        x, w = x[:, :, None], w[:, :, None]
        off = np.concatenate([np.zeros_like(off), off], axis=3)[..., None, :]
        two = {k: [1] + attrs[k] for k in ("strides", "dilations")}
        two["pads"] = [0, attrs["pads"][0], 0, attrs["pads"][1]]
    else:
        assert x.shape[2] == 1 and w.shape[2] == 1 and out[0] == 1
        x, w = x[:, :, 0], w[:, :, 0]
        off = off[:, :, :, 1:, 0]
        two = {k: attrs[k][1:] for k in ("strides", "dilations")}
        two["pads"] = attrs["pads"][1:3] + attrs["pads"][4:6]
        out = out[1:]
    res = dict(ins, X=x, W=w, offset=off.reshape(n, og * kvol * 2, *out[-2:] if nd == 3
                                                   else (1, *out)))
    if "mask" in ins:
        res["mask"] = ins["mask"].reshape(res["offset"].shape[0], -1, *res["offset"].shape[2:])
    return res, dict(attrs, **two)


CASES_2D = [
    pytest.param(case([1, 2, 5, 5], 3, [2, 2]), id="basic-mask-bias"),
    pytest.param(case([2, 4, 7, 6], 6, [3, 2], group=2, offset_group=2, strides=[2, 1],
                      pads=[1, 0, 2, 1], dilations=[1, 2]), id="groups-stride-pad-dilation"),
    pytest.param(case([1, 6, 6, 6], 4, [3, 3], offset_group=3, pads=[1, 1, 1, 1], bias=False),
                 id="offset-groups-3-mask-only"),
    pytest.param(case([2, 3, 6, 5], 2, [2, 3], mask=False, dtype=F64, scale=2.5),
                 id="f64-bias-only"),
    pytest.param(case([1, 4, 5, 5], 4, [3, 3], group=4, offset_group=2, pads=[1, 1, 1, 1],
                      mask=False, bias=False, dtype=F64), id="f64-depthwise"),
    pytest.param(case([1, 2, 4, 4], 2, [2, 2], scale=20.0), id="offsets-far-outside"),
    pytest.param(case([1, 3, 6, 6], 5, [3, 3], pads=[1, 2, 1, 0], int_offsets=True, scale=1.0),
                 id="integer-offsets"),
    pytest.param(case([2, 16, 12, 11], 24, [3, 3], group=2, offset_group=4, pads=[1, 1, 1, 1]),
                 id="large-gemm-blocks"),
    pytest.param(case([1, 1, 1, 1], 1, [1, 1], scale=0.5), id="one-pixel"),
    pytest.param(case([1, 2, 5, 4], 2, [1, 1], strides=[2, 2]), id="pointwise-stride"),
]


@pytest.mark.parametrize("folded", [False, True], ids=["run", "folded"])
@pytest.mark.parametrize("spec", CASES_2D)
def test_deform_2d(spec, folded, compile_model, run_exe, ort_run, assert_close, tmp_path):
    ins, attrs = spec
    m, feeds = deform_model(ins, attrs, folded=folded)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    want = ort_run(path, feeds)
    got = run_exe(compile_model(path, tmp_path), feeds, list(want))
    for name in want:
        assert_close(name, got[name], want[name], rtol=1e-4, atol=1e-4)


def test_opset22_kernel_shape(compile_model, run_exe, ort_run, assert_close, tmp_path):
    ins, attrs = case([1, 2, 6, 6], 3, [3, 2], pads=[0, 1, 2, 0])
    m, feeds = deform_model(ins, dict(attrs, kernel_shape=[3, 2]), opset=22)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    want = ort_run(path, feeds)
    got = run_exe(compile_model(path, tmp_path), feeds, ["Y"])
    assert_close("Y", got["Y"], want["Y"], rtol=1e-4, atol=1e-4)


def test_float16(compile_model, run_exe, ort_run, assert_close, tmp_path):
    """float16 is computed in float32 and rounded: compared with onnxruntime's float32 result
    on the same (float16) values."""
    ins, attrs = case([1, 3, 5, 5], 4, [2, 2], offset_group=3, pads=[1, 0, 0, 1])
    half = {k: v.astype(np.float16) for k, v in ins.items()}
    m, feeds = deform_model(half, attrs)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    got = run_exe(compile_model(path, tmp_path), feeds, ["Y"])["Y"]
    m32, feeds32 = deform_model({k: v.astype(F32) for k, v in half.items()}, attrs)
    onnx.save(m32, tmp_path / "model32.onnx")
    want = ort_run(tmp_path / "model32.onnx", feeds32)["Y"].astype(np.float16)
    assert_close("Y", got, want, rtol=2e-2, atol=2e-2)


CASES_ND = [
    pytest.param(case([2, 4, 9], 4, [3], group=2, offset_group=2, strides=[2], pads=[1, 2],
                      dilations=[2]), id="1d-groups"),
    pytest.param(case([1, 2, 6], 3, [2], bias=False, dtype=F64), id="1d-f64-mask"),
    pytest.param(case([1, 2, 1, 5, 6], 3, [1, 2, 3], offset_group=2, pads=[0, 1, 0, 0, 1, 1],
                      strides=[1, 2, 1]), id="3d-depth-1"),
]


@pytest.mark.parametrize("spec", CASES_ND)
def test_deform_nd_as_2d(spec, compile_model, run_exe, ort_run, assert_close, tmp_path):
    ins, attrs = spec
    if ins["W"].ndim == 5:  # depth offsets 0, so that depth 1 samples its one plane
        off = ins["offset"].copy()
        n, out = off.shape[0], off.shape[2:]
        off.reshape(n, -1, 3, *out)[:, :, 0] = 0
        ins = dict(ins, offset=off)
    m, feeds = deform_model(ins, attrs)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    got = run_exe(compile_model(path, tmp_path), feeds, ["Y"])["Y"]
    ins2, attrs2 = as_2d(ins, attrs)
    m2, feeds2 = deform_model(ins2, attrs2)
    onnx.save(m2, tmp_path / "model2d.onnx")
    want = ort_run(tmp_path / "model2d.onnx", feeds2)["Y"].reshape(got.shape)
    assert_close("Y", got, want, rtol=1e-4, atol=1e-4)
    assert_close("Y (numpy)", got, numpy_deform(ins, attrs), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("spec", [
    pytest.param(case([1, 2, 4, 5, 4], 2, [2, 3, 2], offset_group=2, pads=[1, 0, 1, 0, 1, 1],
                      strides=[1, 2, 1], dilations=[2, 1, 1]), id="3d"),
    pytest.param(case([2, 2, 3, 3, 3], 4, [2, 2, 2], group=2, mask=False, dtype=F64,
                      scale=2.0), id="3d-f64-groups"),
])
def test_deform_3d_numpy(spec, compile_model, run_exe, assert_close, tmp_path):
    ins, attrs = spec
    m, feeds = deform_model(ins, attrs)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    got = run_exe(compile_model(path, tmp_path), feeds, ["Y"])["Y"]
    assert_close("Y", got, numpy_deform(ins, attrs), rtol=1e-4, atol=1e-4)


def test_numpy_reference_matches_ort(ort_run, assert_close, tmp_path):
    """The NumPy version above agrees with onnxruntime in 2-D, so it may judge 3-D."""
    ins, attrs = case([2, 4, 5, 6], 4, [2, 3], group=2, offset_group=2, pads=[1, 1, 0, 1],
                      strides=[1, 2], dilations=[2, 1])
    m, feeds = deform_model(ins, attrs)
    onnx.save(m, tmp_path / "model.onnx")
    want = ort_run(tmp_path / "model.onnx", feeds)["Y"]
    assert_close("Y", numpy_deform(ins, attrs), want, rtol=1e-4, atol=1e-4)


def raw_model(shapes, types=None, **attrs):
    """A DeformConv model as written, without ONNX's checker. shapes: {input name: shape}."""
    types = types or {}
    names = list(shapes)
    ins = [helper.make_tensor_value_info(k, types.get(k, TensorProto.FLOAT), s)
           for k, s in shapes.items() if k]
    node = helper.make_node("DeformConv", names, ["Y"], name="the_deform", **attrs)
    graph = helper.make_graph([node], "bad", ins,
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)], ir_version=9)


def shapes(x=(1, 4, 5, 5), w=(2, 4, 2, 2), off=(1, 8, 4, 4), b=None, mask=None):
    s = {"X": list(x), "W": list(w), "offset": list(off)}
    if b is not None or mask is not None:
        s["B" if b is not None else ""] = list(b) if b is not None else None
    if mask is not None:
        s["mask"] = list(mask)
    return s


INVALID_CASES = [
    pytest.param(raw_model(shapes(off=(1, 6, 4, 4))), "offset 'offset' has shape [1,6,4,4]",
                 id="offset-channels"),
    pytest.param(raw_model(shapes(off=(1, 8, 3, 4))), "expected [1,8,4,4]", id="offset-spatial"),
    pytest.param(raw_model(shapes(off=(1, 8, 4, 4)), offset_group=3), "offset_group 3",
                 id="channels-not-offset-groups"),
    pytest.param(raw_model(shapes(off=(1, 16, 4, 4)), offset_group=2, group=3), "group 3",
                 id="channels-not-groups"),
    pytest.param(raw_model(shapes(w=(2, 3, 2, 2))), "W 'W'", id="weight-channels"),
    pytest.param(raw_model(shapes(mask=(1, 8, 4, 4))), "mask 'mask' has shape",
                 id="mask-shape"),
    pytest.param(raw_model(shapes(b=(3,), mask=(1, 4, 4, 4))), "B 'B' has shape",
                 id="bias-shape"),
    pytest.param(raw_model(shapes(), kernel_shape=[3, 3]), "kernel_shape", id="kernel-shape"),
    pytest.param(raw_model(shapes(), pads=[1, 1]), "'pads' has 2 values", id="pads-count"),
    pytest.param(raw_model(shapes(), strides=[0, 1]), "'strides'", id="zero-stride"),
    pytest.param(raw_model(shapes(), auto_pad="SAME_UPPER"), "auto_pad", id="auto-pad"),
    pytest.param(raw_model(shapes(x=(1, 4, 5, 5), w=(2, 4, 2), off=(1, 2, 4))), "same rank",
                 id="w-rank"),
    pytest.param(raw_model(shapes(x=(4, 5), w=(2, 4), off=(4, 5))), "same rank", id="x-rank-2"),
    pytest.param(raw_model(shapes(x=(1, 4, 1, 1), off=(1, 8, 1, 1))), "does not fit",
                 id="kernel-larger-than-input"),
    pytest.param(raw_model(shapes(), types={"W": TensorProto.DOUBLE}), "has type float64",
                 id="mixed-types"),
    pytest.param(raw_model(shapes(), types={"X": TensorProto.INT32}), "takes float types",
                 id="int-input"),
    pytest.param(raw_model(shapes(), group=0), "group must be >= 1", id="group-0"),
    pytest.param(raw_model(shapes(), offset_group=0), "offset_group must be >= 1",
                 id="offset-group-0"),
]


def build(model, gpuxc, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    return subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("model,what", INVALID_CASES)
def test_invalid(model, what, gpuxc, tmp_path):
    r = build(model, gpuxc, tmp_path)
    assert r.returncode == INVALID, f"exit code {r.returncode}, expected 2\n{r.stderr}"
    assert "the_deform" in r.stderr and what in r.stderr, r.stderr


def test_four_spatial_dims_unsupported(gpuxc, tmp_path):
    model = raw_model(shapes(x=(1, 1, 3, 3, 3, 3), w=(1, 1, 1, 1, 1, 1), off=(1, 4, 3, 3, 3, 3)))
    r = build(model, gpuxc, tmp_path)
    assert r.returncode == UNSUPPORTED, f"exit code {r.returncode}, expected 3\n{r.stderr}"
    assert "the_deform" in r.stderr and "4 spatial dims" in r.stderr, r.stderr
