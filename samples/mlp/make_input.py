"""Write input.npy next to this file: a seeded float32 [8, 784] batch for the demo executable."""
import argparse
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-o", "--output", type=Path, default=HERE / "input.npy")
    args = ap.parse_args()
    x = np.random.default_rng(0).standard_normal((8, 784)).astype(np.float32)
    np.save(args.output, x)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
