"""The cpu target's own surface: instruction sets (--cpu, build.cpu), thread counts (gpuxc's
--threads and build.threads, the executable's --threads, the C API's set_threads/release), its
errors, and its project rebuilding from its folder. Its numbers are checked against onnxruntime
here per instruction set and thread count; tests/models/test_models.py runs every model on it."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

USAGE, INVALID = 1, 2


def cpu_flags():
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


FLAGS = cpu_flags()
ISAS = ["generic"]
if {"avx2", "fma"} <= FLAGS:
    ISAS.append("avx2")
if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= FLAGS:
    ISAS.append("avx512")


def gpuxc_run(gpuxc, *args, cwd=None):
    r = subprocess.run([str(gpuxc), *map(str, args)], capture_output=True, text=True,
                       timeout=600, cwd=cwd)
    assert r.returncode >= 0, f"gpuxc died of signal {-r.returncode}: {r.stderr}"
    return r


def exe_run(exe, *args):
    r = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=300)
    assert r.returncode >= 0, f"{exe} died of signal {-r.returncode}: {r.stderr}"
    return r


@pytest.fixture(scope="module")
def cnn_cpu(tmp_path_factory, gpuxc, zoo_model):
    """tinycnn built for the cpu target once: (exe, model)."""
    out = tmp_path_factory.mktemp("cnn_cpu")
    model = zoo_model("tinycnn")
    r = gpuxc_run(gpuxc, "build", model, "-o", out / "cnn", "-q", "--target", "cpu")
    assert r.returncode == 0, r.stderr
    return out / "cnn", model


@pytest.mark.parametrize("isa", ISAS)
def test_each_instruction_set(isa, gpuxc, zoo_model, tmp_path, random_inputs, ort_run, run_exe,
                              assert_close):
    model = zoo_model("tinybert")
    exe = tmp_path / "m"
    r = gpuxc_run(gpuxc, "build", model, "-o", exe, "-q", "--target", "cpu", "--cpu", isa)
    assert r.returncode == 0, r.stderr
    head = (tmp_path / "m.src" / "model.c").read_text().splitlines()[1]
    assert f"instruction set {isa}" in head
    inputs = random_inputs(model)
    want = ort_run(model, inputs)
    got = run_exe(exe, inputs, list(want))
    for name in want:
        assert_close(name, got[name], want[name])


@pytest.mark.parametrize("threads", [1, 2, 3, 5])
def test_thread_counts_give_the_same_numbers(threads, cnn_cpu, tmp_path, random_inputs, ort_run,
                                             assert_close):
    exe, model = cnn_cpu
    inputs = random_inputs(model)
    for name, value in inputs.items():
        np.save(tmp_path / f"{name}.npy", value)
    args = [a for n in inputs for a in ("--input", f"{n}={tmp_path / (n + '.npy')}")]
    r = exe_run(exe, *args, "--output-dir", tmp_path / "out", "--threads", threads)
    assert r.returncode == 0, r.stderr
    want = ort_run(model, inputs)
    for name in want:
        assert_close(name, np.load(tmp_path / "out" / f"{name}.npy"), want[name])


def test_info_says_threads(cnn_cpu, gpuxc, zoo_model, tmp_path):
    exe, _ = cnn_cpu
    info = json.loads(exe_run(exe, "--info", "--json").stdout)
    assert info["target"] == "cpu" and info["threads"] == 0
    assert "one per CPU" in exe_run(exe, "--info").stdout
    r = gpuxc_run(gpuxc, "build", zoo_model("tinycnn"), "-o", tmp_path / "t3", "-q",
                  "--target", "cpu", "--threads", "3")
    assert r.returncode == 0, r.stderr
    assert json.loads(exe_run(tmp_path / "t3", "--info", "--json").stdout)["threads"] == 3
    r = exe_run(tmp_path / "t3", "--benchmark", "--runs", "3", "--warmup", "0", "--threads", "2")
    assert r.returncode == 0, r.stderr


def test_benchmark_with_threads(cnn_cpu):
    r = exe_run(cnn_cpu[0], "--benchmark", "--runs", "5", "--warmup", "1", "--threads", "2",
                "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["p50_inference_time"] > 0


@pytest.mark.parametrize("value", ["0", "65", "two"])
def test_exe_rejects_bad_thread_counts(cnn_cpu, value):
    r = exe_run(cnn_cpu[0], "--info", "--threads", value)
    assert r.returncode == USAGE, r.stderr
    assert "--threads" in r.stderr


def test_c_target_runs_on_one_thread(gpuxc, zoo_model, tmp_path):
    r = gpuxc_run(gpuxc, "build", zoo_model("tinycnn"), "-o", tmp_path / "c", "-q")
    assert r.returncode == 0, r.stderr
    assert json.loads(exe_run(tmp_path / "c", "--info", "--json").stdout)["threads"] == 1
    r = exe_run(tmp_path / "c", "--benchmark", "--runs", "2", "--threads", "2")
    assert r.returncode == USAGE and "--target cpu" in r.stderr
    r = exe_run(tmp_path / "c", "--benchmark", "--runs", "2", "--threads", "1")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("args,message", [
    (["--target", "cpu", "--cpu", "sse9"], "unknown --cpu 'sse9'"),
    (["--target", "cpu", "--threads", "65"], "--threads wants 0"),
    (["--target", "cpu", "--threads", "-1"], "--threads wants 0"),
    (["--target", "cpu", "--cpu"], "--cpu needs a value"),
])
def test_gpuxc_usage_errors(gpuxc, zoo_model, tmp_path, args, message):
    r = gpuxc_run(gpuxc, "build", zoo_model("tinycnn"), "-o", tmp_path / "o", *args)
    assert r.returncode == USAGE, r.stderr
    assert message in r.stderr


def write_yml(tmp_path, model, build):
    shutil.copy(model, tmp_path / "m.onnx")
    (tmp_path / "gpux.yml").write_text(
        "name: cnn\nversion: '1'\nmodel:\n  source: m.onnx\nbuild:\n" + build)
    return tmp_path / "gpux.yml"


def test_yml_cpu_and_threads(gpuxc, zoo_model, tmp_path):
    yml = write_yml(tmp_path, zoo_model("tinycnn"), "  target: cpu\n  cpu: generic\n  threads: 2\n")
    r = gpuxc_run(gpuxc, "build", yml, "-o", tmp_path / "o", "-q")
    assert r.returncode == 0, r.stderr
    info = json.loads(exe_run(tmp_path / "o", "--info", "--json").stdout)
    assert info["target"] == "cpu" and info["threads"] == 2
    assert "instruction set generic" in (tmp_path / "o.src" / "model.c").read_text()


@pytest.mark.parametrize("build,message", [
    ("  target: cpu\n  cpu: sse9\n", "cpu"),
    ("  target: cpu\n  threads: 100\n", "threads"),
    ("  target: cpu\n  threads: many\n", "threads"),
])
def test_yml_errors(gpuxc, zoo_model, tmp_path, build, message):
    yml = write_yml(tmp_path, zoo_model("tinycnn"), build)
    r = gpuxc_run(gpuxc, "build", yml, "-o", tmp_path / "o", "-q")
    assert r.returncode == INVALID, r.stderr
    assert message in r.stderr and "gpux.yml:" in r.stderr


def test_project_rebuilds_with_make_and_cmake(gpuxc, zoo_model, tmp_path, random_inputs,
                                              ort_run, run_exe, assert_close):
    model = zoo_model("tinycnn")
    r = gpuxc_run(gpuxc, "build", model, "-o", tmp_path / "made" / "cnn", "--emit-only", "-q",
                  "--target", "cpu")
    assert r.returncode == 0, r.stderr
    src = tmp_path / "elsewhere" / "cnn.src"
    shutil.copytree(tmp_path / "made" / "cnn.src", src)
    env = {k: v for k, v in os.environ.items() if k != "CFLAGS"}
    r = subprocess.run(["make", "-s"], cwd=src, capture_output=True, text=True, env=env,
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    inputs = random_inputs(model)
    want = ort_run(model, inputs)
    got = run_exe(src / "cnn", inputs, list(want))
    for name in want:
        assert_close(name, got[name], want[name])
    if shutil.which("cmake"):
        build = tmp_path / "cmake-build"
        for cmd in (["cmake", "-S", src, "-B", build], ["cmake", "--build", build]):
            r = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, env=env,
                               timeout=600)
            assert r.returncode == 0, r.stdout + r.stderr
        got = run_exe(build / "cnn", inputs, list(want))
        for name in want:
            assert_close(name, got[name], want[name])


def kernel_model():
    """Every rewrite of the cpu target's prepare step, plus the cases it must leave alone."""
    rng = np.random.default_rng(7)
    w = lambda name, *shape: numpy_helper.from_array(
        (rng.standard_normal(shape) * 0.3).astype(np.float32), name)
    nodes = [
        # conv + bias, then a residual Add of the input and a Relu: one kernel
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c1", "x"], ["a1"]),
        helper.make_node("Relu", ["a1"], ["r1"]),
        # depthwise 3x3 stride 2 with ReLU6
        helper.make_node("Conv", ["r1", "wd"], ["d1"], group=8, strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["d1", "zero", "six"], ["d2"]),
        # a residual computed after the conv: may not be fused
        helper.make_node("Conv", ["d2", "w2"], ["c2"]),
        helper.make_node("Sigmoid", ["d2"], ["late"]),
        helper.make_node("Add", ["late", "c2"], ["a2"]),
        helper.make_node("MaxPool", ["a2"], ["p1"], kernel_shape=[3, 3], strides=[2, 2],
                         pads=[1, 1, 1, 1]),
        helper.make_node("AveragePool", ["a2"], ["p2"], kernel_shape=[2, 2], count_include_pad=1,
                         pads=[0, 0, 1, 1]),
        helper.make_node("GlobalAveragePool", ["p2"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["f"]),
        helper.make_node("Gemm", ["f", "wg", "bg"], ["g"], transB=1, alpha=0.5),
        # MatMul of a 3-D activation by a constant, plus a residual
        helper.make_node("Reshape", ["p1", "shape3"], ["t"]),
        helper.make_node("MatMul", ["t", "wm"], ["mm"]),
        helper.make_node("Add", ["t", "mm"], ["y2"]),
    ]
    inits = [w("w1", 8, 8, 3, 3), w("b1", 8), w("wd", 8, 1, 3, 3), w("w2", 8, 8, 1, 1),
             w("wg", 5, 8), w("bg", 5), w("wm", 4, 4),
             numpy_helper.from_array(np.array(0, np.float32), "zero"),
             numpy_helper.from_array(np.array(6, np.float32), "six"),
             numpy_helper.from_array(np.array([1, 32, 4], np.int64), "shape3")]
    g = helper.make_graph(nodes, "k", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                     [1, 8, 16, 16])],
                          [helper.make_tensor_value_info("g", TensorProto.FLOAT, None),
                           helper.make_tensor_value_info("y2", TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("isa", ISAS)
def test_prepared_kernels(isa, gpuxc, tmp_path, random_inputs, ort_run, run_exe, assert_close):
    path = tmp_path / "k.onnx"
    onnx.save(kernel_model(), path)
    r = gpuxc_run(gpuxc, "build", path, "-o", tmp_path / "k", "-q", "--target", "cpu",
                  "--cpu", isa)
    assert r.returncode == 0, r.stderr
    src = (tmp_path / "k.src" / "model.c").read_text()
    calls = {k: src.count(k + "(&p") for k in
             ("rt_cpu_conv_f32", "rt_cpu_dw_f32", "rt_cpu_maxpool_f32", "rt_cpu_avgpool_f32",
              "rt_cpu_global_avgpool_f32", "rt_cpu_gemm_f32", "rt_conv_f32")}
    assert calls == {"rt_cpu_conv_f32": 2, "rt_cpu_dw_f32": 1, "rt_cpu_maxpool_f32": 1,
                     "rt_cpu_avgpool_f32": 1, "rt_cpu_global_avgpool_f32": 1,
                     "rt_cpu_gemm_f32": 2, "rt_conv_f32": 0}, calls
    # the first conv took its residual Add and Relu; the late residual stayed an Add
    assert "fused Relu" in src and src.count("rt_add_f32") == 1
    inputs = random_inputs(path)
    want = ort_run(path, inputs)
    got = run_exe(tmp_path / "k", inputs, list(want))  # on one thread per CPU
    for name in want:
        assert_close(name, got[name], want[name], rtol=1e-4, atol=1e-5)


def attention_model(scale_kt=False):
    """Self-attention's head split: q, k, v [1, 6, 12] reshaped to 3 heads of 4 and
    transposed, softmax(Q K^T / 2 + mask) V, heads merged back; the Transposes of Q, K (to
    K^T) and V feed the batched MatMuls, the scale becomes alpha and the mask (over the keys)
    a column bias. With scale_kt, K^T is read twice (by a Mul too) and must
    stay a copy."""
    mk = helper.make_node
    nodes = [mk("Reshape", [n, "heads"], [n + "h"]) for n in ("q", "k", "v")]
    nodes += [mk("Transpose", ["qh"], ["qt"], perm=[0, 2, 1, 3]),
              mk("Transpose", ["kh"], ["kt"], perm=[0, 2, 3, 1]),
              mk("Transpose", ["vh"], ["vt"], perm=[0, 2, 1, 3]),
              mk("MatMul", ["qt", "kt"], ["s"]),
              mk("Div", ["s", "two"], ["sd"]),
              mk("Add", ["sd", "mask"], ["sm"]),
              mk("Softmax", ["sm"], ["p"], axis=-1),
              mk("MatMul", ["p", "vt"], ["o"]),
              mk("Transpose", ["o"], ["ot"], perm=[0, 2, 1, 3]),
              mk("Reshape", ["ot", "merged"], ["y"])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    if scale_kt:
        nodes.append(mk("Mul", ["kt", "two"], ["kt2"]))
        outputs.append(helper.make_tensor_value_info("kt2", TensorProto.FLOAT, None))
    inits = [numpy_helper.from_array(np.array([1, 6, 3, 4], np.int64), "heads"),
             numpy_helper.from_array(np.array([1, 6, 12], np.int64), "merged"),
             numpy_helper.from_array(np.array(2, np.float32), "two")]
    ins = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 6, 12]) for n in "qkv"]
    ins.append(helper.make_tensor_value_info("mask", TensorProto.FLOAT, [1, 1, 1, 6]))
    g = helper.make_graph(nodes, "att", ins, outputs, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("scale_kt", [False, True])
def test_head_transposes_become_gemm_strides(scale_kt, gpuxc, tmp_path, random_inputs, ort_run,
                                             run_exe, assert_close):
    path = tmp_path / "att.onnx"
    onnx.save(attention_model(scale_kt), path)
    r = gpuxc_run(gpuxc, "build", path, "-o", tmp_path / "att", "-q", "--target", "cpu")
    assert r.returncode == 0, r.stderr
    src = (tmp_path / "att.src" / "model.c").read_text()
    assert src.count("rt_cpu_gemm_f32(&p") == 2
    # Q and V are read through strides; K^T too unless the Mul also reads it; the output
    # Transpose (after the MatMul) stays
    transposes = src.count("' Transpose: ")  # node comments
    assert transposes == (2 if scale_kt else 1), transposes
    assert "' Add: " not in src and "' Div: " not in src  # alpha and column bias of Q K^T
    inputs = random_inputs(path)
    want = ort_run(path, inputs)
    got = run_exe(tmp_path / "att", inputs, list(want))
    for name in want:
        assert_close(name, got[name], want[name], rtol=1e-5, atol=1e-6)
