"""Write model.onnx next to this file: an MLP 784-1024-1024-10 with Softmax, batch 8, seeded weights."""
import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
import zoo  # noqa: E402  (samples/zoo.py)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-o", "--output", type=Path, default=HERE / "model.onnx")
    args = ap.parse_args()
    zoo.save_model(zoo.mlp(), args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
