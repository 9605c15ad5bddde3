"""fuse-gelu: the exact Gelu written out op by op (as PyTorch and TensorFlow export it) becomes
one Gelu node, which fuse-act then moves into the MatMul before it; the numbers stay
onnxruntime's on both CPU targets, and near misses are left alone."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

SQRT2, RSQRT2 = 1.4142135, 0.70710677


def const(name, v):
    return numpy_helper.from_array(np.array(v, np.float32), name)


def gelu_nodes(x, y, form):
    """Nodes computing y = Gelu(x) in one of the exported forms."""
    mk = helper.make_node
    scale = (mk("Div", [x, "sqrt2"], ["g_s"]) if form != "mul-rsqrt2"
             else mk("Mul", ["rsqrt2", x], ["g_s"]))
    head = [scale, mk("Erf", ["g_s"], ["g_e"]), mk("Add", ["one", "g_e"], ["g_a"])]
    if form in ("div", "mul-rsqrt2"):      # (x * (1 + erf)) * 0.5
        return head + [mk("Mul", [x, "g_a"], ["g_m"]), mk("Mul", ["g_m", "half"], [y])]
    if form == "half-on-x":                # (x * 0.5) * (1 + erf)
        return head + [mk("Mul", [x, "half"], ["g_h"]), mk("Mul", ["g_a", "g_h"], [y])]
    if form == "half-on-sum":              # x * ((1 + erf) * 0.5)
        return head + [mk("Mul", ["g_a", "half"], ["g_h"]), mk("Mul", ["g_h", x], [y])]
    raise ValueError(form)


def model(form, half=0.5, matmul=True):
    """y = Gelu(x W + b) (or Gelu(x)) with x [2, 5, 16], W [16, 24]."""
    rng = np.random.default_rng(7)
    inits = [const("sqrt2", SQRT2), const("rsqrt2", RSQRT2), const("one", 1.0),
             const("half", half)]
    nodes = []
    src = "x"
    if matmul:
        inits += [numpy_helper.from_array(rng.standard_normal((16, 24)).astype(np.float32), "w"),
                  numpy_helper.from_array(rng.standard_normal(24).astype(np.float32), "b")]
        nodes += [helper.make_node("MatMul", ["x", "w"], ["xw"]),
                  helper.make_node("Add", ["xw", "b"], ["h"])]
        src = "h"
    nodes += gelu_nodes(src, "y", form)
    width = 24 if matmul else 16
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                     [2, 5, 16])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5, width])],
                          initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def build(gpuxc, m, tmp_path, target):
    onnx.save(m, tmp_path / "m.onnx")
    r = subprocess.run([str(gpuxc), "build", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "m"),
                        "--target", target, "--verbose"], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    return tmp_path / "m", r.stderr, (tmp_path / "m.src" / "model.c").read_text()


def check(exe, tmp_path, ort_run, run_exe, assert_close):
    x = (np.random.default_rng(3).standard_normal((2, 5, 16)) * 2).astype(np.float32)
    want = ort_run(tmp_path / "m.onnx", {"x": x})["y"]
    got = run_exe(exe, {"x": x}, ["y"])["y"]
    assert_close("y", got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("target", ["c", "cpu"])
@pytest.mark.parametrize("form", ["div", "mul-rsqrt2", "half-on-x", "half-on-sum"])
def test_gelu_fuses_into_the_matmul(form, target, gpuxc, tmp_path, ort_run, run_exe,
                                    assert_close):
    exe, log, src = build(gpuxc, model(form), tmp_path, target)
    assert "fused 1 Gelu" in log
    assert "fused Gelu" in src  # the MatMul's node comment: the activation is in its epilogue
    assert "erf" not in src.replace("rt_gelu", "")  # no separate Erf loop left
    check(exe, tmp_path, ort_run, run_exe, assert_close)


@pytest.mark.parametrize("target", ["c", "cpu"])
def test_gelu_alone(target, gpuxc, tmp_path, ort_run, run_exe, assert_close):
    exe, log, src = build(gpuxc, model("div", matmul=False), tmp_path, target)
    assert "fused 1 Gelu" in log and "Gelu" in src
    check(exe, tmp_path, ort_run, run_exe, assert_close)


@pytest.mark.parametrize("half", [0.25, 0.55])
def test_near_miss_is_left_alone(half, gpuxc, tmp_path, ort_run, run_exe, assert_close):
    exe, log, _ = build(gpuxc, model("div", half=half), tmp_path, "cpu")
    assert "fused 0 Gelus" in log or "fuse-gelu  no change" in log
    check(exe, tmp_path, ort_run, run_exe, assert_close)
