"""The optimizer ops of ai.onnx.preview.training (Adagrad, Adam, Momentum) against
onnx.reference (onnxruntime does not implement them), for what ONNX's node tests leave out:
float64 tensors and learning rates, several tensors of different shapes, update counts 0 and > 0
given at run time, Nesterov momentum, Adam's norm_coefficient_post, outputs left out, constant
folding; and the invalid models gpuxc must reject with exit code 2 naming the node."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

INVALID = 2
RNG = np.random.default_rng(20261124)
DOMAIN = "ai.onnx.preview.training"
ACCUMULATORS = {"Adagrad": ["H"], "Momentum": ["V"], "Adam": ["V", "H"]}


def optimizer_model(op, shapes, dtype=np.float32, r_dtype=np.float32, drop=(), name="the_opt",
                    **attrs):
    """One optimizer node over len(shapes) tensors; R and T are graph inputs. drop: outputs left
    out (their names, e.g. "V1_new")."""
    n = len(shapes)
    groups = ["X", "G"] + ACCUMULATORS[op]
    ins = ["R", "T"] + [f"{g}{i + 1}" for g in groups for i in range(n)]
    outs = [f"{g}{i + 1}_new" for g in ["X"] + ACCUMULATORS[op] for i in range(n)]
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    node = helper.make_node(op, ins, [o if o not in drop else "" for o in outs], domain=DOMAIN,
                            name=name, **attrs)
    shape_of = {f"{g}{i + 1}": s for g in groups for i, s in enumerate(shapes)}
    g_in = [helper.make_tensor_value_info("R", helper.np_dtype_to_tensor_dtype(np.dtype(r_dtype)),
                                          []),
            helper.make_tensor_value_info("T", TensorProto.INT64, [])]
    g_in += [helper.make_tensor_value_info(i, elem, shape_of[i]) for i in ins[2:]]
    g_out = [helper.make_tensor_value_info(o, elem, shape_of[o[:-4]]) for o in outs
             if o not in drop]
    graph = helper.make_graph([node], "opt", g_in, g_out)
    return helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid(DOMAIN, 1)])


def feeds_for(model, r, t, dtype, r_dtype):
    feeds = {"R": np.array(r, r_dtype), "T": np.array(t, np.int64)}
    for vi in model.graph.input[2:]:
        shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        v = RNG.standard_normal(shape)
        feeds[vi.name] = (np.abs(v) if vi.name[0] == "H" else v).astype(dtype)
    return feeds


CASES = [
    # (id, op, shapes, dtype, R dtype, R, T, attributes)
    ("adagrad-f64", "Adagrad", [(3, 4)], np.float64, np.float64, 0.1, 3,
     dict(decay_factor=0.1, epsilon=1e-5, norm_coefficient=0.01)),
    ("adagrad-3-tensors-r64", "Adagrad", [(2, 3), (5,), ()], np.float32, np.float64, 0.3, 0,
     dict(decay_factor=0.5, norm_coefficient=0.2)),
    ("adagrad-defaults", "Adagrad", [(7,)], np.float32, np.float32, 0.05, 10, {}),
    ("momentum-standard-t0", "Momentum", [(4,), (2, 2)], np.float32, np.float32, 0.1, 0,
     dict(alpha=0.9, beta=0.5, norm_coefficient=0.01, mode="standard")),
    ("momentum-standard-f64", "Momentum", [(3, 2)], np.float64, np.float64, 0.01, 5,
     dict(alpha=0.8, beta=0.3, norm_coefficient=0.0, mode="standard")),
    ("nesterov-t0-3-tensors", "Momentum", [(2,), (3, 1), (1, 2, 2)], np.float32, np.float32, 0.2,
     0, dict(alpha=0.95, beta=0.1, norm_coefficient=0.02, mode="nesterov")),
    ("nesterov-f64-r32", "Momentum", [(6,)], np.float64, np.float32, 0.5, 2,
     dict(alpha=0.5, beta=0.7, norm_coefficient=0.1, mode="nesterov")),
    ("adam-t0", "Adam", [(5,)], np.float32, np.float32, 0.1, 0,
     dict(alpha=0.9, beta=0.99, epsilon=1e-3, norm_coefficient=0.05)),
    ("adam-post-f64", "Adam", [(2, 3)], np.float64, np.float64, 0.01, 7,
     dict(alpha=0.85, beta=0.95, norm_coefficient=0.01, norm_coefficient_post=0.1)),
    ("adam-defaults-3-tensors", "Adam", [(3,), (2, 2), (1,)], np.float32, np.float32, 0.2, 4, {}),
]


def reference(model, feeds):
    return dict(zip([o.name for o in model.graph.output],
                    ReferenceEvaluator(model).run(None, feeds)))


@pytest.mark.parametrize("spec", [pytest.param(c[1:], id=c[0]) for c in CASES])
def test_optimizer(spec, tmp_path, compile_model, run_exe, assert_close):
    op, shapes, dtype, r_dtype, r, t, attrs = spec
    m = optimizer_model(op, shapes, dtype, r_dtype, **attrs)
    feeds = feeds_for(m, r, t, dtype, r_dtype)
    want = reference(m, feeds)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    got = run_exe(compile_model(path, tmp_path), feeds, list(want))
    # float64: onnx.reference computes some coefficients (1 - norm_coefficient_post) in float32
    tol = 1e-7 if dtype == np.float64 else 1e-5
    for name in want:
        assert_close(name, got[name], want[name].astype(dtype), rtol=tol, atol=tol)


@pytest.mark.parametrize("op,drop", [
    ("Adam", ["V1_new", "H2_new"]),
    ("Adam", ["V1_new", "H1_new", "V2_new", "H2_new"]),
    ("Adam", ["X2_new"]),
    ("Adagrad", ["X1_new", "H2_new"]),
    ("Momentum", ["V1_new"]),
], ids=["adam-some-moments", "adam-no-moments", "adam-no-x2", "adagrad-x1-h2", "momentum-v1"])
def test_outputs_left_out(op, drop, tmp_path, compile_model, run_exe, assert_close):
    attrs = dict(alpha=0.9, beta=0.5, norm_coefficient=0.01, mode="nesterov") \
        if op == "Momentum" else {}
    full = optimizer_model(op, [(3, 2), (4,)], **attrs)
    m = optimizer_model(op, [(3, 2), (4,)], drop=drop, **attrs)
    feeds = feeds_for(m, 0.1, 3, np.float32, np.float32)
    want = reference(full, feeds)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    outs = [o.name for o in m.graph.output]
    got = run_exe(compile_model(path, tmp_path), feeds, outs)
    for name in outs:
        assert_close(name, got[name], want[name], rtol=1e-5, atol=1e-6)


def test_folded(tmp_path, compile_model, run_exe, assert_close):
    """Every input a constant: gpuxc runs the update at compile time."""
    m = optimizer_model("Adam", [(2, 3)], norm_coefficient=0.1)
    feeds = feeds_for(m, 0.05, 2, np.float32, np.float32)
    want = reference(m, feeds)["X1_new"].astype(np.float32)
    g = m.graph
    g.initializer.extend(numpy_helper.from_array(v, k) for k, v in feeds.items())
    del g.input[:]
    g.input.append(helper.make_tensor_value_info("Z", TensorProto.FLOAT, [2, 3]))
    g.node.append(helper.make_node("Add", ["X1_new", "Z"], ["Y"]))
    del g.output[:]
    g.output.append(helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 3]))
    m.opset_import.append(helper.make_opsetid("", 21))
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    z = RNG.standard_normal((2, 3)).astype(np.float32)
    got = run_exe(compile_model(path, tmp_path), {"Z": z}, ["Y"])["Y"]
    assert_close("Y", got, want + z, rtol=1e-5, atol=1e-6)


def raw_model(op, inputs, outputs, types=None, name="the_opt", **attrs):
    """A model as written (it is meant to be invalid): inputs (name, shape); R float, T int64,
    others float unless types says."""
    types = types or {}
    default = {"R": TensorProto.FLOAT, "T": TensorProto.INT64}
    g_in = [helper.make_tensor_value_info(n, types.get(n, default.get(n, TensorProto.FLOAT)), s)
            for n, s in inputs]
    node = helper.make_node(op, [n for n, _ in inputs], outputs, domain=DOMAIN, name=name, **attrs)
    g_out = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
    return helper.make_model(helper.make_graph([node], "bad", g_in, g_out), ir_version=8,
                             opset_imports=[helper.make_opsetid(DOMAIN, 1)])


MOM = dict(alpha=0.9, beta=0.1, norm_coefficient=0.0, mode="standard")
SCALARS = [("R", []), ("T", [])]
INVALID_CASES = [
    pytest.param(raw_model("Adagrad", SCALARS + [("X", [2]), ("G", [2]), ("H", [2]), ("X2", [2])],
                           ["X_new", "H_new"]), "3 tensors per optimized variable",
                 id="input-count"),
    pytest.param(raw_model("Adagrad", SCALARS + [("X", [2]), ("G", [2]), ("H", [2])], ["X_new"]),
                 "outputs", id="output-count"),
    pytest.param(raw_model("Adam", SCALARS + [("X", [2]), ("G", [3]), ("V", [2]), ("H", [2])],
                           ["X_new", "V_new", "H_new"]), "G1 'G'", id="gradient-shape"),
    pytest.param(raw_model("Momentum", SCALARS + [("X", [2, 2]), ("G", [2, 2]), ("V", [4])],
                           ["X_new", "V_new"], **MOM), "V1 'V'", id="momentum-shape"),
    pytest.param(raw_model("Adagrad", [("R", [2]), ("T", []), ("X", [2]), ("G", [2]), ("H", [2])],
                           ["X_new", "H_new"]), "must be a scalar", id="r-not-scalar"),
    pytest.param(raw_model("Momentum", SCALARS + [("X", [2]), ("G", [2]), ("V", [2])],
                           ["X_new", "V_new"], **{**MOM, "mode": "heavy"}), "mode 'heavy'",
                 id="bad-mode"),
    pytest.param(raw_model("Momentum", SCALARS + [("X", [2]), ("G", [2]), ("V", [2])],
                           ["X_new", "V_new"], alpha=0.9, beta=0.1, mode="standard"),
                 "norm_coefficient", id="missing-attribute"),
    pytest.param(raw_model("Adagrad", SCALARS + [("X", [2]), ("G", [2]), ("H", [2])],
                           ["X_new", "H_new"], types={"H": TensorProto.DOUBLE}), "share one",
                 id="mixed-types"),
    pytest.param(raw_model("Adam", SCALARS + [("X", [2]), ("G", [2]), ("V", [2]), ("H", [2])],
                           ["X_new", "V_new", "H_new"], alpha=1), "alpha", id="int-alpha"),
]


@pytest.mark.parametrize("model,what", INVALID_CASES)
def test_invalid(model, what, gpuxc, tmp_path):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    r = subprocess.run([str(gpuxc), "build", str(path), "-o", str(tmp_path / "model")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == INVALID, f"exit code {r.returncode}, expected 2\n{r.stderr}"
    assert "the_opt" in r.stderr and what in r.stderr, r.stderr
