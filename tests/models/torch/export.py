"""Export the PyTorch test fixtures next to this file (run by hand; the .onnx files are checked in).

    python3 tests/models/torch/export.py

Two small networks in eval mode with fixed seeds, each exported by the TorchScript exporter
(dynamo=False) at opsets 13 and 17 and, when onnxscript is installed, by the dynamo exporter
at opset 18. The batch axis is dynamic ("batch"); weights are stored inline. README.md records
which torch and exporter wrote each file. Reference outputs are computed by onnxruntime at
test time, never stored.
"""
import importlib.metadata
import importlib.util
import sys
from pathlib import Path

import onnx
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
SEQ, VOCAB = 16, 1000
DYNAMO = importlib.util.find_spec("onnxscript") is not None  # the dynamo exporter needs it


class SmallCNN(nn.Module):
    """Conv/BN/ReLU stem, MaxPool, a residual block, a strided stage, global pool, Linear."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32),
                                  nn.ReLU(), nn.MaxPool2d(2))
        self.block = nn.Sequential(nn.Conv2d(32, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32),
                                   nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1, bias=False),
                                   nn.BatchNorm2d(32))
        self.down = nn.Sequential(nn.Conv2d(32, 64, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(64), nn.ReLU(),
                                  nn.Conv2d(64, 64, 3, padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.stem(x)
        x = torch.relu(x + self.block(x))
        return self.fc(torch.flatten(self.pool(self.down(x)), 1))


class SmallTransformer(nn.Module):
    """Embedding of int64 ids, two TransformerEncoderLayers (batch_first), final LayerNorm."""

    def __init__(self, d_model=64, nhead=4):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=256, dropout=0.1,
                                           activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, ids):
        return self.norm(self.encoder(self.embed(ids)))


def randomize_bn(model, gen):
    """Non-trivial BatchNorm statistics so the exported (folded) weights are not identities."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=gen) * 0.4 + 0.8)


def fixtures():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    cnn = SmallCNN()
    with torch.no_grad():
        randomize_bn(cnn, gen)
    ids = torch.randint(0, VOCAB, (2, SEQ), generator=gen)
    # The TorchScript exporter lowers nn.MultiheadAttention through scaled_dot_product_attention,
    # which it supports from opset 14 only: the transformer uses 14 where the CNN uses 13.
    return [("cnn", cnn.eval(), (torch.randn(2, 3, 32, 32, generator=gen),), "input", "logits",
             (13, 17)),
            ("transformer", SmallTransformer().eval(), (ids,), "input_ids", "hidden", (14, 17))]


def export(name, model, args, inp, out, opset, dynamo):
    path = HERE / f"{name}_{'dynamo' if dynamo else 'ts'}_opset{opset}.onnx"
    kw = dict(input_names=[inp], output_names=[out], opset_version=opset, dynamo=dynamo)
    if dynamo:
        kw.update(dynamic_shapes=({0: torch.export.Dim("batch")},), external_data=False)
    else:
        kw.update(dynamic_axes={inp: {0: "batch"}, out: {0: "batch"}}, do_constant_folding=True)
    torch.onnx.export(model, args, str(path), **kw)
    m = onnx.load(str(path))  # fails if anything went to external data
    for node in m.graph.node:  # the dynamo exporter's stack traces name this machine's paths
        del node.metadata_props[:]
    onnx.checker.check_model(m, full_check=True)
    onnx.save_model(m, str(path))  # rewrite with every weight inline
    print(f"{path.name}: opset {m.opset_import[0].version}, {path.stat().st_size / 1e6:.2f} MB")
    return path.name


def main():
    torch.backends.mha.set_fastpath_enabled(False)  # export the ops, not the fused kernel
    rows = []
    for name, model, args, inp, out, opsets in fixtures():
        for opset in opsets:
            rows.append((export(name, model, args, inp, out, opset, False),
                         "TorchScript (dynamo=False)"))
        if not DYNAMO:
            print("onnxscript missing: skipping the dynamo exports", file=sys.stderr)
            continue
        try:
            rows.append((export(name, model, args, inp, out, 18, True), "dynamo (dynamo=True)"))
        except Exception as e:  # record and go on: the TorchScript files are still useful
            print(f"dynamo export of {name} failed: {type(e).__name__}: {e}", file=sys.stderr)
    with open(HERE / "README.md", "w") as f:
        f.write("# PyTorch-exported fixtures\n\nWritten by `export.py` (fixed seeds, eval mode, "
                "dynamic batch axis `batch`, weights inline). Test inputs only: the reference "
                "output is computed by onnxruntime at test time.\n\n"
                f"torch {torch.__version__}, onnx {onnx.__version__}, onnxscript "
                f"{importlib.metadata.version('onnxscript') if DYNAMO else 'not installed'}\n\n"
                "| file | exporter |\n| --- | --- |\n")
        f.writelines(f"| {n} | {e} |\n" for n, e in rows)
        f.write("\nThe transformer has no opset 13 file: the TorchScript exporter lowers "
                "nn.MultiheadAttention through aten::scaled_dot_product_attention, which it "
                "exports from opset 14 on (opset 13 fails with UnsupportedOperatorError). "
                "The attention fast path is switched off so the ops, not "
                "aten::_transformer_encoder_layer_fwd, are exported.\n")


if __name__ == "__main__":
    main()
