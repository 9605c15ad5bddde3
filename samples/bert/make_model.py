"""Write model.onnx next to this file: a BERT-base style encoder (seq 128, hidden 768, 12 heads),
seeded random weights, 4 layers unless --layers says otherwise."""
import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import zoo  # noqa: E402  (samples/zoo.py)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--variant", choices=sorted(zoo.BERT_OPSET), default="layernorm",
                    help="layernorm: LayerNormalization (opset 17); decomposed: LayerNorm in "
                         "elementwise ops (opset 13); gelu_op: the Gelu op (opset 20)")
    ap.add_argument("-o", "--output", type=Path, default=HERE / "model.onnx")
    args = ap.parse_args()
    zoo.save_model(zoo.bert_encoder(layers=args.layers, variant=args.variant), args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
