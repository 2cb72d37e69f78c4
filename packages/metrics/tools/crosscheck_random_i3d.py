#!/usr/bin/env python3
"""Hand cross-check (not a test; needs torch): builds a small *random* I3D in PyTorch with
piergiaj-style parameter names and an independent NCDHW forward pass (explicit TF-'SAME' padding,
-inf padding for max pools, BatchNorm with a random scale so the converter's folding is exercised),
traces it to TorchScript, runs convert_i3d_torchscript.py on it and stores an input and the
PyTorch features. `node tools/crosscheck_random_i3d.mjs DIR` then compares @evdm/metrics' I3D.

Usage: python3 crosscheck_random_i3d.py DIR
"""
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

from convert_i3d_torchscript import MIXED_UNITS, STAGES

WIDTH = 1 / 8
NUM_CLASSES = 16
EPS = 1e-3


def same_pad(n, k, s):
    out = math.ceil(n / s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


class Unit(torch.nn.Module):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__()
        self.conv3d = torch.nn.Conv3d(cin, cout, k, stride=stride, bias=False)
        self.bn = torch.nn.BatchNorm3d(cout, eps=EPS)
        self.k, self.s = k, stride

    def forward(self, x):
        t, h, w = x.shape[2], x.shape[3], x.shape[4]
        pt, ph, pw = same_pad(t, self.k, self.s), same_pad(h, self.k, self.s), same_pad(w, self.k, self.s)
        x = F.pad(x, [pw[0], pw[1], ph[0], ph[1], pt[0], pt[1]])
        return F.relu(self.bn(self.conv3d(x)))


def max_pool_same(x, k, s):
    pads = []
    for n, kk, ss in zip(reversed(x.shape[2:]), reversed(k), reversed(s)):
        pads += list(same_pad(n, kk, ss))
    return F.max_pool3d(F.pad(x, pads, value=float("-inf")), k, s)


class Mixed(torch.nn.Module):
    def __init__(self, cin, o):
        super().__init__()
        self.b0 = Unit(cin, o[0], 1)
        self.b1a, self.b1b = Unit(cin, o[1], 1), Unit(o[1], o[2], 3)
        self.b2a, self.b2b = Unit(cin, o[3], 1), Unit(o[3], o[4], 3)
        self.b3b = Unit(cin, o[5], 1)

    def forward(self, x):
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)),
                          self.b3b(max_pool_same(x, [3, 3, 3], [1, 1, 1]))], 1)


class TinyI3D(torch.nn.Module):
    def __init__(self):
        super().__init__()
        sc = lambda n: max(1, int(round(n * WIDTH)))
        self.Conv3d_1a_7x7 = Unit(3, sc(64), 7, 2)
        self.Conv3d_2b_1x1 = Unit(sc(64), sc(64), 1)
        self.Conv3d_2c_3x3 = Unit(sc(64), sc(192), 3)
        ch = sc(192)
        for st in STAGES[3:]:
            o = [sc(n) for n in st[2]]
            setattr(self, st[1], Mixed(ch, o))
            ch = o[0] + o[2] + o[4] + o[5]
        self.logits = torch.nn.Module()
        self.logits.conv3d = torch.nn.Conv3d(ch, NUM_CLASSES, 1, bias=True)

    def forward(self, x):
        x = self.Conv3d_1a_7x7(x)
        x = max_pool_same(x, [1, 3, 3], [1, 2, 2])
        x = self.Conv3d_2c_3x3(self.Conv3d_2b_1x1(x))
        x = max_pool_same(x, [1, 3, 3], [1, 2, 2])
        x = self.Mixed_3c(self.Mixed_3b(x))
        x = max_pool_same(x, [3, 3, 3], [2, 2, 2])
        x = self.Mixed_4f(self.Mixed_4e(self.Mixed_4d(self.Mixed_4c(self.Mixed_4b(x)))))
        x = max_pool_same(x, [2, 2, 2], [2, 2, 2])
        x = self.Mixed_5c(self.Mixed_5b(x))
        x = F.avg_pool3d(x, [1, 1, 1], 1)
        x = self.logits.conv3d(x)
        return x.mean(dim=[3, 4]).mean(dim=2)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    net = TinyI3D()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.Conv3d):
                fan_in = m.weight[0].numel()
                m.weight.uniform_(-math.sqrt(6 / fan_in), math.sqrt(6 / fan_in))
                if m.bias is not None:
                    m.bias.uniform_(-0.5, 0.5)
            if isinstance(m, torch.nn.BatchNorm3d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    net.eval()
    x = torch.rand(2, 3, 9, 32, 32) * 2 - 1  # NCDHW, odd T exercises the asymmetric SAME padding
    scripted = torch.jit.trace(net, x)  # traced: the SAME pads are constants for this input size
    pt = os.path.join(out, "random_i3d_torchscript.pt")
    scripted.save(pt)
    with torch.no_grad():
        y = scripted(x).double().numpy()
    np.ascontiguousarray(x.permute(0, 2, 3, 4, 1).numpy(), dtype="<f4").tofile(os.path.join(out, "input_ndhwc.f32"))
    np.ascontiguousarray(y, dtype="<f4").tofile(os.path.join(out, "features.f32"))
    json.dump({"input_shape": [2, 9, 32, 32, 3], "features_shape": list(y.shape)}, open(os.path.join(out, "crosscheck.json"), "w"))
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.check_call([sys.executable, os.path.join(here, "convert_i3d_torchscript.py"), pt, os.path.join(out, "converted"),
                           "--logits-pool", "1,1,1"])
    # the same weights under hassony2-style names, as a plain state_dict: must convert identically
    ren = {}
    for k, v in net.state_dict().items():
        k2 = k.replace("logits.conv3d", "conv3d_0c_1x1.conv3d").replace(".bn.", ".batch3d.")
        for _, pj, hs, *_ in MIXED_UNITS:
            k2 = k2.replace(f".{pj}.", f".{hs}.")
        parts = k2.split(".")
        parts[0] = parts[0].lower()
        ren["module." + ".".join(parts)] = v
    alt = os.path.join(out, "random_i3d_hassony2_state_dict.pt")
    torch.save(ren, alt)
    subprocess.check_call([sys.executable, os.path.join(here, "convert_i3d_torchscript.py"), alt, os.path.join(out, "converted_alt"),
                           "--logits-pool", "1,1,1"])
    same = open(os.path.join(out, "converted", "weights.bin"), "rb").read() == open(os.path.join(out, "converted_alt", "weights.bin"), "rb").read()
    print("hassony2-style names convert to identical weights:", same)
    if not same:
        sys.exit(1)
    print("features", y[0, :4])


if __name__ == "__main__":
    main()
