"""Checks by statistics for the node tests whose expected outputs are NumPy's random numbers.

ONNX's expected data for Bernoulli (and its expansion through RandomUniformLike) and for Dropout
in training mode come from numpy.random, which no other generator reproduces. For the tests
named by RANDOM_TESTS the runner hands the outputs to check_random instead of comparing them
element by element: same dtype and shape as expected, values the op can produce, and counts
within 4 standard deviations of what the inputs make expected.
"""
import numpy as np

# Name prefixes of the node tests checked by check_random.
RANDOM_TESTS = ("test_bernoulli", "test_training_dropout")

SIGMAS = 4.0


def check_random(test_name, outputs_got, outputs_want, inputs=None, model=None):
    """None if the outputs of a random node test are plausible, else a one-line reason.

    outputs_got / outputs_want: output name -> array (gpuxc's, ONNX's expected data);
    inputs: input name -> array, in the model's order (the probabilities, Dropout's x, ratio
    and training_mode); model: the test's ModelProto, for the attributes of RandomUniform(Like)
    and RandomNormal(Like) nodes whose outputs are graph outputs (optional)."""
    inputs = dict(inputs or {})
    for name, want in outputs_want.items():
        if name not in outputs_got:
            return f"{name}: not written"
        got = np.asarray(outputs_got[name])
        if got.dtype != want.dtype:
            return f"{name}: dtype {got.dtype}, expected {want.dtype}"
        if got.shape != want.shape:
            return f"{name}: shape {got.shape}, expected {want.shape}"
    got = [np.asarray(outputs_got[n]) for n in outputs_want]
    args = list(inputs.values())
    if test_name.startswith("test_training_dropout"):
        return _dropout(list(outputs_want), got, args)
    if test_name.startswith("test_bernoulli"):
        if not args:
            return "Bernoulli: the input probabilities were not given"
        # ONNX's function body for Bernoulli is Cast(Greater(RandomUniformLike(p), p)): it
        # gives 1 where the uniform number exceeds p, so with probability 1 - p.
        p = np.asarray(args[0], np.float64)
        return _bernoulli(list(outputs_want)[0], got[0],
                          1.0 - p if test_name.endswith("_expanded") else p)
    if model is not None:
        return _random_nodes(model, outputs_got)
    return None


def _count_bound(name, what, hits, probs):
    """None if the count of hits is within SIGMAS binomial standard deviations of the sum of
    the probabilities, else the reason."""
    probs = np.clip(np.asarray(probs, np.float64), 0.0, 1.0)
    want = probs.sum()
    sigma = np.sqrt((probs * (1.0 - probs)).sum())
    if abs(hits - want) <= SIGMAS * sigma + 1e-9:
        return None
    return (f"{name}: {hits} of {probs.size} {what}, expected {want:.2f} +- {SIGMAS:g} sigma "
            f"({SIGMAS * sigma:.2f})")


def _bernoulli(name, y, probs):
    v = y.astype(np.float64)
    bad = (v != 0) & (v != 1)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        return f"{name}: {int(bad.sum())} values are neither 0 nor 1; at {i}: {y[i]!r}"
    if probs.shape != y.shape:
        return f"{name}: shape {y.shape}, the probabilities have {probs.shape}"
    return _count_bound(name, "ones", int(v.sum()), probs)


def _dropout(names, got, args):
    """Dropout(x, ratio = 0.5, training_mode = false) -> y (, mask)."""
    if not args:
        return "Dropout: the input x was not given"
    x = np.asarray(args[0])
    r = float(np.asarray(args[1])) if len(args) > 1 and args[1] is not None else 0.5
    training = bool(np.asarray(args[2])) if len(args) > 2 and args[2] is not None else False
    y = got[0]
    mask = got[1] if len(got) > 1 else None
    if mask is not None and mask.dtype != np.bool_:
        return f"{names[1]}: dtype {mask.dtype}, expected bool"
    xf, yf = x.astype(np.float64), y.astype(np.float64)
    if not training or r == 0.0:
        kept = np.ones(x.shape, bool)
    elif r >= 1.0:
        kept = np.zeros(x.shape, bool)
    else:
        kept = yf != 0
    scale = 1.0 if not training else 1.0 / (1.0 - r) if r < 1.0 else 0.0
    want = np.where(kept, xf * scale, 0.0)
    eps = np.finfo(y.dtype).eps if y.dtype.kind == "f" else 0.0
    wrong = ~(np.abs(yf - want) <= 4 * eps * np.abs(want) + np.finfo(np.float64).tiny)
    wrong &= ~(np.isnan(yf) & np.isnan(want))
    if wrong.any():
        i = tuple(int(k) for k in np.argwhere(wrong)[0])
        return (f"{names[0]}: {int(wrong.sum())} of {y.size} are neither 0 nor x / (1 - "
                f"{r:g}); at {i}: got {y[i]!r}, x {x[i]!r}")
    if mask is not None:
        # Where x is 0 the output does not tell whether the element was kept: the mask does.
        ambiguous = xf == 0
        off = (mask != kept) & ~ambiguous
        if off.any():
            i = tuple(int(k) for k in np.argwhere(off)[0])
            return f"{names[1]}: the mask disagrees with the output at {i}: mask {mask[i]!r}"
        kept = np.where(ambiguous, mask, kept)
        counted = np.ones(x.shape, bool)
    else:
        counted = xf != 0
    n = int(counted.sum())
    keep = 1.0 if not training else 1.0 - min(max(r, 0.0), 1.0)
    return _count_bound(names[0], "kept", int(kept[counted].sum()), np.full(n, keep))


def _attrs(node):
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _random_nodes(model, outputs_got):
    """RandomUniform(Like) outputs in [low, high); RandomNormal(Like) outputs with a mean and a
    standard deviation near mean and scale."""
    for node in model.graph.node:
        if node.op_type not in ("RandomUniform", "RandomUniformLike", "RandomNormal",
                                "RandomNormalLike") or node.output[0] not in outputs_got:
            continue
        name, a = node.output[0], _attrs(node)
        y = np.asarray(outputs_got[name]).astype(np.float64)
        if y.size == 0:
            continue
        if not np.isfinite(y).all():
            return f"{name}: values that are not finite"
        if "Uniform" in node.op_type:
            low, high = a.get("low", 0.0), a.get("high", 1.0)
            out = (y < low) | ((y >= high) if high > low else (y != low))
            if out.any():
                i = tuple(int(k) for k in np.argwhere(out)[0])
                return (f"{name}: {int(out.sum())} values outside [{low:g}, {high:g}); "
                        f"at {i}: {y[i]!r}")
            mean, sd = (low + high) / 2, (high - low) / np.sqrt(12.0)
        else:
            mean, sd = a.get("mean", 0.0), a.get("scale", 1.0)
        if abs(y.mean() - mean) > SIGMAS * sd / np.sqrt(y.size) + 1e-3 * max(sd, abs(mean)):
            return f"{name}: mean {y.mean():.4g}, expected {mean:.4g} (sd {sd:.4g}, n {y.size})"
        if y.size >= 100 and sd > 0 and not 0.8 < y.std() / sd < 1.2:
            return f"{name}: standard deviation {y.std():.4g}, expected {sd:.4g}"
    return None
