"""Differential model tests: compile each model with gpuxc for each CPU target (c, the portable
one, and cpu, SIMD kernels and threads), run the executable on seeded random inputs and compare
every output with onnxruntime (tests/conftest.py has the helpers)."""
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

TORCH_DIR = Path(__file__).resolve().parent / "torch"
slow = pytest.mark.slow


def zoo_case(case_id, name, dims=None, marks=(), **kwargs):
    return pytest.param(name, kwargs, dims or {}, id=case_id, marks=marks)


ZOO = [
    zoo_case("tinycnn", "tinycnn"),
    zoo_case("tinybert", "tinybert"),
    zoo_case("tinybert-decomposed-opset13", "tinybert", variant="decomposed"),
    zoo_case("tinybert-decomposed-opset18", "tinybert", variant="decomposed", opset=18),
    zoo_case("tinybert-gelu-op", "tinybert", variant="gelu_op"),
    zoo_case("mlp", "mlp"),
    zoo_case("resnet50", "resnet50", marks=slow),
    zoo_case("resnet50-dynamic-batch", "resnet50", {"batch": 2}, slow, dynamic_batch=True),
    zoo_case("mobilenetv2", "mobilenetv2", marks=slow),
    zoo_case("bert4-layernorm", "bert_encoder", marks=slow, variant="layernorm"),
    zoo_case("bert4-decomposed", "bert_encoder", marks=slow, variant="decomposed"),
    zoo_case("bert4-gelu-op", "bert_encoder", marks=slow, variant="gelu_op"),
]
TORCH = sorted(TORCH_DIR.glob("*.onnx"))
TARGETS = ["c", "cpu"]


def input_shape_args(onnx_path, dims):
    """--input-shape NAME=AxBxC for every graph input with a symbolic dim, bound from dims."""
    m = onnx.load(str(onnx_path), load_external_data=False)
    args = []
    for vi in m.graph.input:
        shape = vi.type.tensor_type.shape.dim
        if any(d.HasField("dim_param") for d in shape):
            bound = [str(d.dim_value) if d.HasField("dim_value") else str(dims[d.dim_param]) for d in shape]
            args += ["--input-shape", f"{vi.name}={'x'.join(bound)}"]
    return args


@pytest.fixture
def differential(compile_model, run_exe, ort_run, assert_close, random_inputs, tmp_path):
    def check(onnx_path, dims, target="c"):
        exe = compile_model(onnx_path, tmp_path, "--target", target,
                            *input_shape_args(onnx_path, dims))
        inputs = random_inputs(onnx_path, dims)
        want = ort_run(onnx_path, inputs)
        got = run_exe(exe, inputs, list(want))
        for name in want:
            assert_close(name, got[name], want[name])

    return check


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name,kwargs,dims", ZOO)
def test_zoo_model(name, kwargs, dims, target, zoo_model, differential):
    differential(zoo_model(name, **kwargs), dims, target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("path", TORCH, ids=lambda p: p.stem)
def test_torch_model(path, target, differential):
    differential(path, {"batch": 2}, target)


@pytest.mark.parametrize("name,kwargs,dims", ZOO)
def test_zoo_model_is_sane(name, kwargs, dims, zoo_model, ort_run, random_inputs):
    """No gpuxc here: the generated model is valid, and onnxruntime with and without its graph
    optimizations gives the same finite outputs of modest size."""
    path = zoo_model(name, **kwargs)
    onnx.checker.check_model(str(path), full_check=True)
    inputs = random_inputs(path, dims)
    want = ort_run(path, inputs)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for (out, ref), opt in zip(want.items(), sess.run(list(want), inputs)):
        assert np.isfinite(ref).all(), f"{out}: non-finite values"
        assert 0 < np.abs(ref).max() < 100, f"{out}: max |value| {np.abs(ref).max()}"
        np.testing.assert_allclose(opt, ref, rtol=1e-3, atol=1e-4, err_msg=out)
