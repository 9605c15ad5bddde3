"""Sequences and optionals against onnxruntime: the sequence ops inside a graph, sequence graph
inputs and outputs (passed as NAME[i] with --sequence-length), optional inputs left out with
--absent, SequenceMap, and the errors for what gpuxc cannot resolve at compile time."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

RNG = np.random.default_rng(20261124)
F = TensorProto.FLOAT


def seq_info(name, shape=None):
    return helper.make_tensor_sequence_value_info(name, F, shape)


def tensor(name, shape=None, t=F):
    return helper.make_tensor_value_info(name, t, shape)


def const(name, value):
    return helper.make_node("Constant", [], [name], name=f"c_{name}",
                            value=onnx.numpy_helper.from_array(np.asarray(value), name))


def build_model(nodes, inputs, outputs, opset=18):
    g = helper.make_graph(nodes, "seq", inputs, outputs)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=9)


def ort_outputs(m, feeds):
    import onnxruntime as ort
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))


def program_io(m, feeds, want):
    """gpuxc flags, program inputs and expected program outputs for feeds/want that may hold
    lists (sequences) and None (empty optionals)."""
    args, inputs, outputs = [], {}, {}
    for name, v in feeds.items():
        if v is None:
            args += ["--absent", name]
        elif isinstance(v, list):
            args += ["--sequence-length", f"{name}={len(v)}"]
            for i, a in enumerate(v):
                args += ["--input-shape", f"{name}[{i}]={'x'.join(map(str, a.shape))}"]
                inputs[f"{name}[{i}]"] = a
        else:
            inputs[name] = v
    for name, v in want.items():
        if isinstance(v, list):
            outputs.update({f"{name}[{i}]": a for i, a in enumerate(v)})
        elif v is not None:
            outputs[name] = v
    return args, inputs, outputs


def check(m, feeds, tmp_path, compile_model, run_exe, want=None):
    want = ort_outputs(m, feeds) if want is None else want
    args, inputs, outputs = program_io(m, feeds, want)
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    exe = compile_model(path, tmp_path, *args)
    got = run_exe(exe, inputs, list(outputs))
    for name, w in outputs.items():
        np.testing.assert_allclose(got[name], w, rtol=1e-6, atol=1e-6, err_msg=name)


def randn(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def test_list_ops_inside_a_graph(tmp_path, compile_model, run_exe):
    nodes = [helper.make_node("SequenceConstruct", ["a", "b", "c"], ["s"], name="make"),
             const("p1", np.int64(1)), const("pm1", np.int64(-1)),
             helper.make_node("SequenceInsert", ["s", "b", "p1"], ["s2"], name="insert"),
             helper.make_node("SequenceErase", ["s2", "pm1"], ["s3"], name="erase"),
             helper.make_node("SequenceAt", ["s3", "p1"], ["at"], name="at"),
             helper.make_node("SequenceLength", ["s3"], ["len"], name="len"),
             helper.make_node("ConcatFromSequence", ["s3"], ["cat"], name="cat", axis=1),
             helper.make_node("ConcatFromSequence", ["s3"], ["stk"], name="stack", axis=-1,
                              new_axis=1)]
    m = build_model(nodes, [tensor("a", [2, 3]), tensor("b", [2, 3]), tensor("c", [2, 3])],
                    [tensor("at"), tensor("len", None, TensorProto.INT64), tensor("cat"),
                     tensor("stk")])
    check(m, {"a": randn(2, 3), "b": randn(2, 3), "c": randn(2, 3)}, tmp_path, compile_model,
          run_exe)


@pytest.mark.parametrize("split,keepdims", [(None, 1), (None, 0), (np.int64(2), 1),
                                            (np.array([1, 3, 1], np.int64), 1)])
def test_split_to_sequence_output(split, keepdims, tmp_path, compile_model, run_exe):
    nodes, ins = [], ["x"]
    if split is not None:
        nodes.append(const("split", split))
        ins.append("split")
    nodes.append(helper.make_node("SplitToSequence", ins, ["s"], name="split", axis=1,
                                  keepdims=keepdims))
    m = build_model(nodes, [tensor("x", [2, 5])], [seq_info("s")])
    check(m, {"x": randn(2, 5)}, tmp_path, compile_model, run_exe)


def test_sequence_input_and_output(tmp_path, compile_model, run_exe):
    """A sequence in (elements of different shapes), one out."""
    nodes = [const("z", np.int64(0)),
             helper.make_node("SequenceInsert", ["s", "t", "z"], ["out"], name="insert"),
             helper.make_node("SequenceLength", ["s"], ["n"], name="n")]
    m = build_model(nodes, [seq_info("s"), tensor("t", [4])],
                    [seq_info("out"), tensor("n", None, TensorProto.INT64)])
    check(m, {"s": [randn(2), randn(3, 1), randn(5)], "t": randn(4)}, tmp_path, compile_model,
          run_exe)


def test_sequence_map(tmp_path, compile_model, run_exe):
    body = helper.make_graph([helper.make_node("Mul", ["e", "k"], ["o"], name="mul"),
                              helper.make_node("Shape", ["e"], ["sh"], name="shape")], "body",
                             [tensor("e"), tensor("k", [1])],
                             [tensor("o"), tensor("sh", None, TensorProto.INT64)])
    nodes = [helper.make_node("SequenceMap", ["s", "k"], ["o", "sh"], name="map", body=body)]
    m = build_model(nodes, [seq_info("s"), tensor("k", [1])],
                    [seq_info("o"), helper.make_tensor_sequence_value_info("sh", TensorProto.INT64,
                                                                           None)])
    check(m, {"s": [randn(2, 2), randn(3), randn(1, 4)], "k": randn(1)}, tmp_path, compile_model,
          run_exe)


@pytest.mark.parametrize("given", [True, False])
def test_optional_input(given, tmp_path, compile_model, run_exe):
    """An optional input given or left out; OptionalHasElement picks the branch."""
    then_b = helper.make_graph([helper.make_node("OptionalGetElement", ["o"], ["v"], name="get"),
                                helper.make_node("Add", ["v", "x"], ["r"], name="add")],
                               "then", [], [tensor("r", [3])])
    else_b = helper.make_graph([helper.make_node("Identity", ["x"], ["r2"], name="id")], "else",
                               [], [tensor("r2", [3])])
    nodes = [helper.make_node("OptionalHasElement", ["o"], ["has"], name="has"),
             helper.make_node("If", ["has"], ["y"], name="if", then_branch=then_b,
                              else_branch=else_b)]
    opt = helper.make_value_info("o", helper.make_optional_type_proto(
        helper.make_tensor_type_proto(F, [3])))
    m = build_model(nodes, [opt, tensor("x", [3])], [tensor("y", [3])])
    x, o = randn(3), randn(3)
    want = {"y": x + o if given else x}
    check(m, {"o": o if given else None, "x": x}, tmp_path, compile_model, run_exe, want)


def test_loop_accumulates_a_sequence(tmp_path, compile_model, run_exe):
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond"], ["cond_out"], name="c"),
         helper.make_node("Cast", ["i"], ["f"], name="cast", to=F),
         helper.make_node("Mul", ["x", "f"], ["xi"], name="mul"),
         helper.make_node("SequenceInsert", ["acc", "xi"], ["acc_out"], name="ins")],
        "body", [tensor("i", [], TensorProto.INT64), tensor("cond", [], TensorProto.BOOL),
                 seq_info("acc")],
        [tensor("cond_out", [], TensorProto.BOOL), seq_info("acc_out")])
    nodes = [const("n", np.int64(4)), const("t", np.bool_(True)),
             helper.make_node("SequenceEmpty", [], ["empty"], name="empty", dtype=F),
             helper.make_node("Loop", ["n", "t", "empty"], ["res"], name="loop", body=body),
             helper.make_node("ConcatFromSequence", ["res"], ["y"], name="cat", axis=0,
                              new_axis=1)]
    m = build_model(nodes, [tensor("x", [2])], [tensor("y")])
    check(m, {"x": randn(2)}, tmp_path, compile_model, run_exe)


def gpuxc_error(gpuxc, m, tmp_path, *args):
    path = tmp_path / "model.onnx"
    onnx.save(m, path)
    r = subprocess.run([gpuxc, "build", path, "-o", tmp_path / "m", *args], capture_output=True,
                       text=True)
    return r.returncode, r.stderr


def test_errors(gpuxc, tmp_path):
    m = build_model([helper.make_node("SequenceLength", ["s"], ["n"], name="n")], [seq_info("s")],
                    [tensor("n", None, TensorProto.INT64)])
    rc, err = gpuxc_error(gpuxc, m, tmp_path)
    assert rc == 3 and "--sequence-length s=N" in err, err
    rc, err = gpuxc_error(gpuxc, m, tmp_path, "--absent", "s")
    assert rc == 1 and "'s' is not an optional input" in err, err
    rc, err = gpuxc_error(gpuxc, m, tmp_path, "--sequence-length", "zz=2")
    assert rc == 1 and "'zz' is not a sequence input" in err, err
    # a position known only at run time
    m = build_model([helper.make_node("SequenceConstruct", ["a", "a"], ["s"], name="make"),
                     helper.make_node("SequenceAt", ["s", "p"], ["y"], name="at")],
                    [tensor("a", [2]), tensor("p", [], TensorProto.INT64)], [tensor("y")])
    rc, err = gpuxc_error(gpuxc, m, tmp_path)
    assert rc == 3 and "'at'" in err and "constant" in err, err
    # a sequence where a tensor is wanted
    m = build_model([helper.make_node("SequenceConstruct", ["a"], ["s"], name="make"),
                     helper.make_node("Relu", ["s"], ["y"], name="relu")],
                    [tensor("a", [2])], [tensor("y")])
    rc, err = gpuxc_error(gpuxc, m, tmp_path)
    assert rc == 3 and "is a sequence; Relu takes tensors" in err, err
