"""Model zoo: ONNX models built with onnx.helper and seeded numpy weights, no downloads.

Each builder returns an onnx.ModelProto laid out the way PyTorch's exporter writes the
network (unfused Conv/BatchNormalization/Relu, MatMul+Add linears, shape arithmetic for
the attention heads), with random weights scaled so activations stay O(1).

    python3 samples/zoo.py resnet50 -o resnet50.onnx
"""
import argparse
import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = np.float32


def scope_of(path):
    """'layer1.0.conv1' -> '/layer1/layer1.0/conv1', as torch names node scopes."""
    parts = path.split(".") if path else []
    return "".join("/" + ".".join(parts[: i + 1]) for i in range(len(parts)))


class Builder:
    """Collects nodes and initializers. Node names follow torch: /scope/Op, /scope/Op_1."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.counts = [], [], {}

    def weight(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def normal(self, name, shape, std, mean=0.0):
        return self.weight(name, self.rng.normal(mean, std, shape).astype(F32))

    def uniform(self, name, shape, lo, hi):
        return self.weight(name, self.rng.uniform(lo, hi, shape).astype(F32))

    def op(self, op_type, inputs, path="", out=None, **attrs):
        base = f"{scope_of(path)}/{op_type}"
        n = self.counts.get(base, 0)
        self.counts[base] = n + 1
        name = base if n == 0 else f"{base}_{n}"
        out = out or f"{name}_output_0"
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=name, **attrs))
        return out

    def const(self, value, path="", dtype=None):
        """A Constant node, as torch emits for literals inside forward()."""
        arr = np.asarray(value)
        arr = arr.astype(dtype or (np.int64 if arr.dtype.kind in "iu" else F32))
        return self.op("Constant", [], path, value=numpy_helper.from_array(arr))

    def model(self, name, inputs, outputs, opset):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
        opsets = [helper.make_opsetid("", opset)]
        m = helper.make_model(graph, opset_imports=opsets, producer_name="gpuxc-zoo",
                              ir_version=helper.find_min_ir_version_for(opsets))
        onnx.checker.check_model(m, full_check=m.ByteSize() < 2**31)
        return m


def tensor(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


# ---------------------------------------------------------------- convolutional nets

def batchnorm(b, x, path, c, gamma=(0.8, 1.2)):
    w = b.uniform(f"{path}.weight", [c], *gamma)
    bias = b.normal(f"{path}.bias", [c], 0.05)
    mean = b.normal(f"{path}.running_mean", [c], 0.05)
    var = b.uniform(f"{path}.running_var", [c], 0.5, 1.5)
    return b.op("BatchNormalization", [x, w, bias, mean, var], path, epsilon=1e-5, momentum=0.9)


def conv(b, x, path, cin, cout, k, stride=1, group=1):
    """He-initialized Conv without bias (a BatchNormalization follows), 'same' padding."""
    fan_in = cin // group * k * k
    w = b.normal(f"{path}.weight", [cout, cin // group, k, k], math.sqrt(2.0 / fan_in))
    return b.op("Conv", [x, w], path, dilations=[1, 1], group=group, kernel_shape=[k, k],
                pads=[k // 2] * 4, strides=[stride, stride])


def conv_bn(b, x, conv_path, bn_path, cin, cout, k, stride=1, group=1, act="Relu", gamma=(0.8, 1.2)):
    """Conv, BatchNormalization, then Relu, Clip(0, 6) (ReLU6) or no activation (act=None)."""
    y = batchnorm(b, conv(b, x, conv_path, cin, cout, k, stride, group), bn_path, cout, gamma)
    parent = bn_path.rpartition(".")[0]
    if act == "Relu":  # torch's ResNet has one shared module 'relu' per block
        y = b.op("Relu", [y], f"{parent}.relu" if parent else "relu")
    elif act == "Clip":  # torchvision's Conv2dNormActivation: [conv, bn, activation]
        y = b.op("Clip", [y, "clip_min", "clip_max"], f"{parent}.2")
    return y


def linear_gemm(b, x, path, cin, cout, out=None):
    w = b.normal(f"{path}.weight", [cout, cin], math.sqrt(1.0 / cin))
    bias = b.normal(f"{path}.bias", [cout], 0.05)
    return b.op("Gemm", [x, w, bias], path, alpha=1.0, beta=1.0, transB=1, out=out)


def bottleneck(b, x, path, cin, width, stride):
    """ResNet v1.5 bottleneck: the stride sits on the 3x3 conv."""
    cout = width * 4
    y = conv_bn(b, x, f"{path}.conv1", f"{path}.bn1", cin, width, 1)
    y = conv_bn(b, y, f"{path}.conv2", f"{path}.bn2", width, width, 3, stride)
    y = conv_bn(b, y, f"{path}.conv3", f"{path}.bn3", width, cout, 1, act=None, gamma=(0.2, 0.4))
    if stride != 1 or cin != cout:
        x = conv_bn(b, x, f"{path}.downsample.0", f"{path}.downsample.1", cin, cout, 1, stride,
                    act=None, gamma=(0.5, 0.8))
    return b.op("Relu", [b.op("Add", [y, x], path)], path)


def resnet50(batch=1, opset=17, dynamic_batch=False, seed=0):
    """ResNet-50 v1.5, 224x224, 1000 classes: input 'input', output 'output'."""
    b = Builder(seed)
    n = "batch" if dynamic_batch else batch
    y = conv_bn(b, "input", "conv1", "bn1", 3, 64, 7, 2)
    y = b.op("MaxPool", [y], "maxpool", ceil_mode=0, dilations=[1, 1], kernel_shape=[3, 3],
             pads=[1, 1, 1, 1], strides=[2, 2])
    cin = 64
    for li, (blocks, width, stride) in enumerate([(3, 64, 1), (4, 128, 2), (6, 256, 2), (3, 512, 2)]):
        for bi in range(blocks):
            y = bottleneck(b, y, f"layer{li + 1}.{bi}", cin, width, stride if bi == 0 else 1)
            cin = width * 4
    y = b.op("Flatten", [b.op("GlobalAveragePool", [y], "avgpool")], "", axis=1)
    linear_gemm(b, y, "fc", 2048, 1000, out="output")
    return b.model("resnet50", [tensor("input", TensorProto.FLOAT, [n, 3, 224, 224])],
                   [tensor("output", TensorProto.FLOAT, [n, 1000])], opset)


def inverted_residual(b, x, path, cin, cout, stride, t):
    hidden, i = cin * t, 0
    y = x
    if t != 1:
        y = conv_bn(b, y, f"{path}.conv.0.0", f"{path}.conv.0.1", cin, hidden, 1, act="Clip")
        i = 1
    y = conv_bn(b, y, f"{path}.conv.{i}.0", f"{path}.conv.{i}.1", hidden, hidden, 3, stride,
                group=hidden, act="Clip")
    y = conv_bn(b, y, f"{path}.conv.{i + 1}", f"{path}.conv.{i + 2}", hidden, cout, 1, act=None,
                gamma=(0.3, 0.6))
    return b.op("Add", [x, y], path) if stride == 1 and cin == cout else y


def mobilenetv2(batch=1, opset=17, seed=0):
    """MobileNetV2 (width 1.0, 224x224): ReLU6 as Clip with min/max inputs, depthwise convs."""
    b = Builder(seed)
    b.weight("clip_min", np.array(0.0, F32))
    b.weight("clip_max", np.array(6.0, F32))
    y = conv_bn(b, "input", "features.0.0", "features.0.1", 3, 32, 3, 2, act="Clip")
    cin, idx = 32, 1
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            y = inverted_residual(b, y, f"features.{idx}", cin, c, s if i == 0 else 1, t)
            cin, idx = c, idx + 1
    y = conv_bn(b, y, f"features.{idx}.0", f"features.{idx}.1", cin, 1280, 1, act="Clip")
    y = b.op("GlobalAveragePool", [y], "")
    y = b.op("Reshape", [y, b.weight("flat_shape", np.array([0, -1], np.int64))], "")
    linear_gemm(b, y, "classifier.1", 1280, 1000, out="output")
    return b.model("mobilenetv2", [tensor("input", TensorProto.FLOAT, [batch, 3, 224, 224])],
                   [tensor("output", TensorProto.FLOAT, [batch, 1000])], opset)


def tinycnn(batch=1, opset=17, seed=0):
    """A 32x32 CNN touching every op of resnet50 and mobilenetv2, for fast tests."""
    b = Builder(seed)
    b.weight("clip_min", np.array(0.0, F32))
    b.weight("clip_max", np.array(6.0, F32))
    y = conv_bn(b, "input", "stem.0", "stem.1", 3, 16, 3)
    y = b.op("MaxPool", [y], "pool", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    r = conv_bn(b, y, "block.0.0", "block.0.1", 16, 16, 3, group=16, act="Clip")
    r = conv_bn(b, r, "block.1.0", "block.1.1", 16, 16, 1, act=None, gamma=(0.3, 0.6))
    y = b.op("Relu", [b.op("Add", [y, r], "block")], "block")
    y = conv_bn(b, y, "down.0", "down.1", 16, 32, 3, 2)
    y = b.op("Flatten", [b.op("GlobalAveragePool", [y], "")], "", axis=1)
    linear_gemm(b, y, "fc", 32, 10, out="output")
    return b.model("tinycnn", [tensor("input", TensorProto.FLOAT, [batch, 3, 32, 32])],
                   [tensor("output", TensorProto.FLOAT, [batch, 10])], opset)


# ---------------------------------------------------------------- transformers

def linear_matmul(b, x, path, cin, cout):
    """nn.Linear on a 3-D input, as torch exports it: MatMul by W^T, then Add bias."""
    w = b.normal(f"onnx::MatMul_{path}", [cin, cout], math.sqrt(1.0 / cin))
    bias = b.normal(f"{path}.bias", [cout], 0.02)
    return b.op("Add", [bias, b.op("MatMul", [x, w], path)], path)


def layernorm(b, x, path, h, variant, opset, out=None):
    w = b.uniform(f"{path}.weight", [h], 0.8, 1.2)
    bias = b.normal(f"{path}.bias", [h], 0.05)
    if variant != "decomposed":
        return b.op("LayerNormalization", [x, w, bias], path, axis=-1, epsilon=1e-12, out=out)

    def reduce_mean(v):
        if opset >= 18:
            return b.op("ReduceMean", [v, b.const([-1], path)], path, keepdims=1)
        return b.op("ReduceMean", [v], path, axes=[-1], keepdims=1)

    d = b.op("Sub", [x, reduce_mean(x)], path)
    var = reduce_mean(b.op("Pow", [d, b.const(2.0, path)], path))
    std = b.op("Sqrt", [b.op("Add", [var, b.const(1e-12, path)], path)], path)
    y = b.op("Mul", [b.op("Div", [d, std], path), w], path)
    return b.op("Add", [y, bias], path, out=out)


def gelu(b, x, path, variant):
    if variant == "gelu_op":
        return b.op("Gelu", [x], path, approximate="none")
    e = b.op("Erf", [b.op("Div", [x, b.const(math.sqrt(2.0), path)], path)], path)
    y = b.op("Mul", [x, b.op("Add", [e, b.const(1.0, path)], path)], path)
    return b.op("Mul", [y, b.const(0.5, path)], path)


def dim(b, shape, i, path):
    """Shape -> Gather(i) -> Unsqueeze: one dimension as a 1-element tensor."""
    g = b.op("Gather", [shape, b.const(np.int64(i), path)], path, axis=0)
    return b.op("Unsqueeze", [g, b.const([0], path)], path)


def split_heads(b, x, path, heads, head_dim, perm):
    shape = b.op("Shape", [x], path)
    new_shape = b.op("Concat", [dim(b, shape, 0, path), dim(b, shape, 1, path),
                                b.const([heads], path), b.const([head_dim], path)], path, axis=0)
    return b.op("Transpose", [b.op("Reshape", [x, new_shape], path)], path, perm=perm)


def self_attention(b, x, mask, path, hidden, heads):
    hd = hidden // heads
    q = split_heads(b, linear_matmul(b, x, f"{path}.self.query", hidden, hidden), path, heads, hd, [0, 2, 1, 3])
    k = split_heads(b, linear_matmul(b, x, f"{path}.self.key", hidden, hidden), path, heads, hd, [0, 2, 3, 1])
    v = split_heads(b, linear_matmul(b, x, f"{path}.self.value", hidden, hidden), path, heads, hd, [0, 2, 1, 3])
    s = b.op("Div", [b.op("MatMul", [q, k], path), b.const(math.sqrt(hd), path)], path)
    p = b.op("Softmax", [b.op("Add", [s, mask], path)], path, axis=-1)
    ctx = b.op("Transpose", [b.op("MatMul", [p, v], path)], path, perm=[0, 2, 1, 3])
    shape = b.op("Shape", [ctx], path)
    new_shape = b.op("Concat", [dim(b, shape, 0, path), dim(b, shape, 1, path),
                                b.const([hidden], path)], path, axis=0)
    return b.op("Reshape", [ctx, new_shape], path)


def bert_layer(b, x, mask, path, hidden, heads, inter, variant, opset, out=None):
    a = self_attention(b, x, mask, f"{path}.attention", hidden, heads)
    a = linear_matmul(b, a, f"{path}.attention.output.dense", hidden, hidden)
    a = b.op("Add", [a, x], f"{path}.attention.output")
    x = layernorm(b, a, f"{path}.attention.output.LayerNorm", hidden, variant, opset)
    f = gelu(b, linear_matmul(b, x, f"{path}.intermediate.dense", hidden, inter),
             f"{path}.intermediate.intermediate_act_fn", variant)
    f = b.op("Add", [linear_matmul(b, f, f"{path}.output.dense", inter, hidden), x], f"{path}.output")
    return layernorm(b, f, f"{path}.output.LayerNorm", hidden, variant, opset, out)


BERT_OPSET = {"layernorm": 17, "decomposed": 13, "gelu_op": 20}


def bert_encoder(layers=4, hidden=768, heads=12, seq=128, intermediate=3072, vocab=30522,
                 batch=1, opset=None, variant="layernorm", pooler=True, max_position=512, seed=0):
    """BERT encoder as torch exports HF BertModel.

    variant: 'layernorm' (LayerNormalization, opset >= 17), 'decomposed' (LayerNorm spelled
    out in ReduceMean/Sub/Pow/Sqrt/Div, any opset >= 13), 'gelu_op' (Gelu op, opset >= 20).
    opset=None picks 17, 13 and 20 respectively.
    """
    opset = opset or BERT_OPSET[variant]
    if opset < BERT_OPSET[variant]:
        raise ValueError(f"variant {variant!r} needs a higher opset than {opset}")
    b = Builder(seed)
    word = b.normal("embeddings.word_embeddings.weight", [vocab, hidden], 1.0)
    pos = b.normal("embeddings.position_embeddings.weight", [max_position, hidden], 0.5)
    tok = b.normal("embeddings.token_type_embeddings.weight", [2, hidden], 0.5)
    pos_ids = b.weight("embeddings.position_ids", np.arange(seq, dtype=np.int64)[None])
    tok_ids = b.weight("embeddings.token_type_ids", np.zeros((1, seq), np.int64))
    e = b.op("Gather", [word, "input_ids"], "embeddings.word_embeddings")
    e = b.op("Add", [e, b.op("Gather", [tok, tok_ids], "embeddings.token_type_embeddings")], "embeddings")
    e = b.op("Add", [e, b.op("Gather", [pos, pos_ids], "embeddings.position_embeddings")], "embeddings")
    x = layernorm(b, e, "embeddings.LayerNorm", hidden, variant, opset)

    m = b.op("Unsqueeze", ["attention_mask", b.const([1])])
    m = b.op("Cast", [b.op("Unsqueeze", [m, b.const([2])])], to=TensorProto.FLOAT)
    mask = b.op("Mul", [b.op("Sub", [b.const(1.0), m]), b.const(-10000.0)])

    for i in range(layers):
        out = "last_hidden_state" if i == layers - 1 else None
        x = bert_layer(b, x, mask, f"encoder.layer.{i}", hidden, heads, intermediate, variant, opset, out)
    outputs = [tensor("last_hidden_state", TensorProto.FLOAT, [batch, seq, hidden])]
    if pooler:
        first = b.op("Gather", [x, b.const(np.int64(0), "pooler")], "pooler", axis=1)
        y = linear_gemm(b, first, "pooler.dense", hidden, hidden)
        b.op("Tanh", [y], "pooler.activation", out="pooler_output")
        outputs.append(tensor("pooler_output", TensorProto.FLOAT, [batch, hidden]))
    ids = [tensor(n, TensorProto.INT64, [batch, seq]) for n in ("input_ids", "attention_mask")]
    return b.model(f"bert_{variant}", ids, outputs, opset)


def tinybert(layers=1, hidden=64, heads=2, seq=16, variant="layernorm", opset=None, batch=1, seed=0):
    return bert_encoder(layers, hidden, heads, seq, 4 * hidden, vocab=1000, batch=batch,
                        opset=opset, variant=variant, max_position=64, seed=seed)


# ---------------------------------------------------------------- MLP

def mlp(batch=8, sizes=(784, 1024, 1024, 10), opset=17, seed=0):
    """MatMul+Add+Relu hidden layers, a Gemm for the last layer, Softmax."""
    b = Builder(seed)
    x = "input"
    for i, (cin, cout) in enumerate(zip(sizes[:-2], sizes[1:-1])):
        path = f"fc{i + 1}"
        w = b.normal(f"{path}.weight", [cin, cout], math.sqrt(2.0 / cin))
        y = b.op("Add", [b.op("MatMul", [x, w], path), b.normal(f"{path}.bias", [cout], 0.05)], path)
        x = b.op("Relu", [y], path)
    y = linear_gemm(b, x, f"fc{len(sizes) - 1}", sizes[-2], sizes[-1])
    b.op("Softmax", [y], "", axis=-1, out="output")
    return b.model("mlp", [tensor("input", TensorProto.FLOAT, [batch, sizes[0]])],
                   [tensor("output", TensorProto.FLOAT, [batch, sizes[-1]])], opset)


MODELS = {f.__name__: f for f in (resnet50, mobilenetv2, bert_encoder, mlp, tinycnn, tinybert)}


def save_model(model, path):
    """Save with weights inline; only a model past protobuf's 2 GB limit uses external data."""
    path = Path(path)
    big = model.ByteSize() >= 2**31
    onnx.save_model(model, str(path), save_as_external_data=big,
                    location=path.name + ".data" if big else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", choices=sorted(MODELS))
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    save_model(MODELS[args.name](), args.output)


if __name__ == "__main__":
    main()
