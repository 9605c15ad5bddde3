"""Write model.onnx next to this file: ResNet-50 v1.5 (224x224, 1000 classes), seeded random weights."""
import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import zoo  # noqa: E402  (samples/zoo.py)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batch", type=int, default=1, help="batch size (gpux.yml says 1)")
    ap.add_argument("-o", "--output", type=Path, default=HERE / "model.onnx")
    args = ap.parse_args()
    zoo.save_model(zoo.resnet50(batch=args.batch), args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
