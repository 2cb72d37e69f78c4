#!/usr/bin/env python3
"""EVDM-L-KTH denoiser in eager PyTorch, the peer of `evdm bench step --model evdm-l-kth`.

Built from this repository's TS code only (NCHW here, NHWC there; same parameters, same ops):
- packages/layers-brp/src/brp.ts: Bottleneck Residual Pathway = two procedures P(c -> C_o), each
  GN(x)(1+e1)+e2 -> act -> [FIR, first procedure only; dropout, second] -> 1x1 bottleneck (b = C_o/delta,
  delta 8) -> GN(1+e1')+e2' -> concat[3x3 path, 1x1 path, direct link] -> channel shuffle (2 groups);
  MCVD shortcut as a grouped 1x1 conv (4 groups) + channel shuffle (4); out (skip + h)/sqrt(2).
- channel-split.ts: the three-path split ('expand' when cin < cout, else 'reduce').
- grouped-conv.ts: ShuffleNet channel shuffle (view [g, C/g], transpose).
- fir.ts: MCVD's [1,3,3,1] FIR resampling (here one depthwise conv, as mcvd_torch.py).
- packages/attention-mixed: GN (affine, eps 1e-6) -> q/k/v linears -> per-head softmax attention,
  or FAVOR+ (m = d/2 positive orthogonal random features, 'exponent' max stabiliser) where the gate
  L > lambda d (lambda 2) says so -> out linear -> (x + o)/sqrt(2).
- packages/evdm/src/models: U-Net levels [1,2,3,4] x 96, 2 blocks per level, attention at 32/16/8,
  time MLP 96 -> 384 -> 384, output head GN(affine)+SiLU -> 3x3 conv.
The parameter count must equal the TS network's (20,351,549): the script exits 3 otherwise.
`node bench/evdm_l_check.mjs` goes further: it runs the TS network with random weights and has
`--check DIR` load them here and compare the outputs (relative L2 < 1e-4).
Timing and JSON as torch_peer.py (training step, or `--sample` for one forward pass).

  python3 evdm_l_torch.py [--batch 8] [--runs 3] [--threads N] [--sample] [--params-only] | --check DIR
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# torch_peer sets OPENBLAS_NUM_THREADS before torch loads
from torch_peer import fir_kernel, fir_resample, groups_for, peer_main, timestep_embedding  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# `new DenoisingUNet(modelConfig('evdm-l', 'kth')).paramCount()`
TS_PARAMS = 20_351_549
KTH = dict(ngf=96, mult=(1, 2, 3, 4), blocks=2, attn_res=(32, 16, 8), image=64, x_channels=5, cond_channels=10)
EVDM_L = dict(delta=8, split=True, shortcut_groups=4, split_shuffle=2, dropout=0.1, lam=2.0)


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


def split_plan(cin, cout):
    """(direct, bottleneck_in, path_out) of the three-path split (channel-split.ts)."""
    if cin < cout:
        return cin, cin, (cout - cin) // 2
    return cout // 2, cin - cout // 2, cout // 4


def modulated_gn(x, groups, e, relu):
    """GN(x)(1 + e1) + e2 [then ReLU]; e = [e1, e2] from the enhancement Linear (non-affine GN, eps 1e-5)."""
    s, b = e.chunk(2, dim=1)
    y = F.group_norm(x, groups, eps=1e-5) * (1 + s[:, :, None, None]) + b[:, :, None, None]
    return F.relu(y) if relu else y


class Procedure(nn.Module):
    """One BRP procedure P(cin -> cout) with the split; `first` carries the block's resampling."""

    def __init__(self, cin, cout, temb, resample, first):
        super().__init__()
        b = cout // EVDM_L["delta"]
        self.direct, b_in, path = split_plan(cin, cout) if EVDM_L["split"] else (0, cin, cout // 2)
        self.reduce = cin >= cout
        self.cin, self.b = cin, b
        self.resample = resample if first else "none"
        self.first = first
        self.enh_in = nn.Linear(temb, 2 * cin)  # enhancement width '2C' (KTH)
        self.bottleneck = nn.Conv2d(b_in, b, 1)
        self.enh_b = nn.Linear(temb, 2 * b)  # BRP-eh
        self.path3 = nn.Conv2d(b, path, 3, padding=1)
        self.path1 = nn.Conv2d(b, path, 1)
        self.drop = nn.Dropout(EVDM_L["dropout"])
        if self.resample != "none":
            self.register_buffer("fir", fir_kernel(cin, self.resample == "up"), persistent=False)

    def forward(self, x, temb):
        y = modulated_gn(x, groups_for(self.cin), self.enh_in(F.silu(temb)), relu=True)
        inp = x
        if self.resample != "none":
            up = self.resample == "up"
            y, inp = fir_resample(y, self.fir, up), fir_resample(x, self.fir, up)
        if not self.first:
            y = self.drop(y)
        direct = None
        if self.direct:
            if self.reduce:
                direct, y = inp[:, : self.direct], y[:, self.direct :]
            else:
                direct = inp
        yb = modulated_gn(self.bottleneck(y), groups_for(self.b), self.enh_b(F.silu(temb)), relu=False)
        parts = [self.path3(yb), self.path1(yb)] + ([direct] if direct is not None else [])
        out = torch.cat(parts, dim=1)
        if self.direct:
            out = channel_shuffle(out, EVDM_L["split_shuffle"])
        return out, inp


class BRP(nn.Module):
    def __init__(self, cin, cout, temb, resample="none"):
        super().__init__()
        self.p0 = Procedure(cin, cout, temb, resample, first=True)
        self.p1 = Procedure(cout, cout, temb, resample, first=False)
        self.g = EVDM_L["shortcut_groups"]
        # MCVD's rule: a shortcut conv when the widths differ or the block resamples (SO: grouped + shuffle)
        self.shortcut = nn.Conv2d(cin, cout, 1, groups=self.g) if (cin != cout or resample != "none") else None

    def forward(self, x, temb):
        h, skip = self.p0(x, temb)
        h, _ = self.p1(h, temb)
        if self.shortcut is not None:
            skip = self.shortcut(skip)
            if self.g > 1:
                skip = channel_shuffle(skip, self.g)
        return (skip + h) / math.sqrt(2.0)


def orthogonal_features(m, d, gen):
    """Performer's positive orthogonal random features [m, d]: Q^T blocks of d x d Gaussians, chi_d row norms."""
    blocks = [torch.linalg.qr(torch.randn(d, d, generator=gen))[0].T for _ in range((m + d - 1) // d)]
    w = torch.cat(blocks, 0)[:m]
    return w * torch.randn(m, d, generator=gen).norm(dim=1, keepdim=True)


def favor_features(x, w, role):
    """phi(x) = exp(W x' - |x'|^2/2 - c)/sqrt(m), x' = x d^-1/4, c = stopped max of the exponent per query row / key slice."""
    d, m = x.shape[-1], w.shape[0]
    xs = x * d ** -0.25
    exponent = xs @ w.T - 0.5 * (xs * xs).sum(-1, keepdim=True)
    c = exponent.amax(dim=-1, keepdim=True) if role == "query" else exponent.amax(dim=(-2, -1), keepdim=True)
    return torch.exp(exponent - c.detach()) / math.sqrt(m)


class MixedAttention(nn.Module):
    """MCVD's spatial attention with EVDM's gate: FAVOR+ iff L = H W > lambda d, else softmax."""

    def __init__(self, ch, head_ch, name_seed):
        super().__init__()
        self.heads = max(ch // head_ch, 1) if ch >= head_ch else 1
        self.d = ch // self.heads
        self.norm = nn.GroupNorm(groups_for(ch), ch, eps=1e-6)
        self.q, self.k, self.v, self.out = (nn.Linear(ch, ch) for _ in range(4))
        gen = torch.Generator().manual_seed(name_seed)
        # non-trainable buffer, as the TS `favor/projection` (not counted in the parameters)
        self.register_buffer("projection", orthogonal_features(max(1, self.d // 2), self.d, gen), persistent=False)

    def forward(self, x):
        b, c, hh, ww = x.shape
        L = hh * ww
        h = self.norm(x).permute(0, 2, 3, 1).reshape(b, L, c)
        q, k, v = [f(h).reshape(b, L, self.heads, self.d).transpose(1, 2) for f in (self.q, self.k, self.v)]
        if L > EVDM_L["lam"] * self.d:
            qf, kf = favor_features(q, self.projection, "query"), favor_features(k, self.projection, "key")
            num = qf @ (kf.transpose(-1, -2) @ v)
            o = num / (qf @ kf.sum(dim=-2, keepdim=True).transpose(-1, -2))
        else:
            o = torch.softmax((q / math.sqrt(self.d)) @ k.transpose(-1, -2), dim=-1) @ v
        o = self.out(o.transpose(1, 2).reshape(b, L, c)).reshape(b, hh, ww, c).permute(0, 3, 1, 2)
        return (x + o) / math.sqrt(2.0)


class EvdmL(nn.Module):
    """The U-Net of packages/evdm/src/models/unet.ts with BRP blocks and mixed attention."""

    def __init__(self, ngf=96, mult=(1, 2, 3, 4), blocks=2, attn_res=(32, 16, 8), image=64, x_channels=5, cond_channels=10):
        super().__init__()
        self.ngf, T = ngf, 4 * ngf
        self.t1, self.t2 = nn.Linear(ngf, T), nn.Linear(T, T)
        self.conv_in = nn.Conv2d(x_channels + cond_channels, ngf, 3, padding=1)
        # (module, pops a skip, pushes its output) in execution order
        self.plan, mods = [], nn.ModuleList()

        self.ts_names = []  # the TS module name of each body entry (weights check)

        def add(m, pop, push, name):
            mods.append(m)
            self.plan.append((pop, push))
            self.ts_names.append(name)

        skips, ch, res, n = [ngf], ngf, image, 0
        for i, m in enumerate(mult):
            has_attn = res in attn_res
            for j in range(blocks):
                add(BRP(ch, ngf * m, T), False, not has_attn, f"down.{i}.block.{j}")
                ch = ngf * m
                if has_attn:
                    n += 1
                    add(MixedAttention(ch, ngf, n), False, True, f"down.{i}.attn.{j}")
                skips.append(ch)
            if i < len(mult) - 1:
                add(BRP(ch, ch, T, "down"), False, True, f"down.{i}.downsample")
                skips.append(ch)
                res //= 2
        n += 1
        add(BRP(ch, ch, T), False, False, "mid.block.0")
        add(MixedAttention(ch, ngf, n), False, False, "mid.attn")
        add(BRP(ch, ch, T), False, False, "mid.block.1")
        for i in reversed(range(len(mult))):
            for j in range(blocks + 1):
                add(BRP(ch + skips.pop(), ngf * mult[i], T), True, False, f"up.{i}.block.{j}")
                ch = ngf * mult[i]
            if res in attn_res:
                n += 1
                add(MixedAttention(ch, ngf, n), False, False, f"up.{i}.attn")
            if i > 0:
                add(BRP(ch, ch, T, "up"), False, False, f"up.{i}.upsample")
                res *= 2
        assert not skips, f"{len(skips)} skip tensors left"
        self.body = mods
        self.norm_out = nn.GroupNorm(groups_for(ngf), ngf, eps=1e-5)
        self.conv_out = nn.Conv2d(ngf, x_channels, 3, padding=1)

    def forward(self, x, t, cond):
        temb = self.t2(F.silu(self.t1(timestep_embedding(t, self.ngf))))
        h = self.conv_in(torch.cat([x, cond], dim=1))
        hs = [h]
        for m, (pop, push) in zip(self.body, self.plan):
            if isinstance(m, MixedAttention):
                h = m(h)
            else:
                h = m(torch.cat([h, hs.pop()], dim=1) if pop else h, temb)
            if push:
                hs.append(h)
        return self.conv_out(F.silu(self.norm_out(h)))


def build():
    return EvdmL(**KTH)


def ts_tensor_map(net):
    """TS parameter name -> the torch tensor holding it (and how to convert the TS layout)."""
    out = {"temb/dense0": net.t1, "temb/dense1": net.t2, "conv_in": net.conv_in, "conv_out": net.conv_out}
    for name, m in zip(net.ts_names, net.body):
        if isinstance(m, MixedAttention):
            out.update({f"{name}/{p}": getattr(m, p) for p in ("q", "k", "v", "out")})
            out[f"{name}/norm"] = m.norm
            out[f"{name}/favor"] = m.projection
            continue
        for k, proc in enumerate((m.p0, m.p1)):
            pre = f"{name}/proc{k}"
            out.update({f"{pre}/norm_in/enhance": proc.enh_in, f"{pre}/bottleneck": proc.bottleneck, f"{pre}/norm_b/enhance": proc.enh_b,
                        f"{pre}/path3x3": proc.path3, f"{pre}/path1x1": proc.path1})
        if m.shortcut is not None:
            out[f"{name}/shortcut"] = m.shortcut
    out["out/norm"] = net.norm_out
    return out


def check_against_ts(directory):
    """Loads the TS network's weights, inputs and output written by evdm_l_check.mjs, runs this network
    on them (eval mode) and compares: the peer computes the TS function, not just its parameter count."""
    import json
    import numpy as np

    meta = json.load(open(os.path.join(directory, "check.json")))
    blob = np.fromfile(os.path.join(directory, "check.bin"), dtype="<f4")
    arr = lambda e: torch.from_numpy(blob[e["offset"] : e["offset"] + int(np.prod(e["shape"]))].reshape(e["shape"]).copy())  # noqa: E731
    net = build().eval()
    mods = ts_tensor_map(net)
    loaded = 0
    with torch.no_grad():
        for e in meta["params"]:
            prefix, leaf = e["name"].rsplit("/", 1)
            v = arr(e)
            if leaf == "projection":
                mods[prefix].copy_(v)
                continue
            m = mods[prefix]
            if leaf in ("kernel", "gamma"):
                # TS HWIO conv -> OIHW; TS [in, out] dense -> [out, in]
                v = v.permute(3, 2, 0, 1) if v.dim() == 4 else (v.T if v.dim() == 2 else v)
                m.weight.copy_(v)
            else:
                m.bias.copy_(v)
            loaded += v.numel()
        nhwc = lambda t: t.permute(0, 3, 1, 2).contiguous()  # noqa: E731
        x, cond, want = nhwc(arr(meta["x"])), nhwc(arr(meta["cond"])), nhwc(arr(meta["out"]))
        # the TS network feeds MCVD's label 999 - t to the embedding (timestepConvention 'mcvd')
        t = torch.tensor([999 - v for v in meta["t"]])
        got = net(x, t, cond)
    rel = float((got - want).norm() / want.norm())
    params = sum(p.numel() for p in net.parameters())
    print(json.dumps({"model": "evdm-l-kth", "check": "forward vs TS", "params": params, "loaded_trainable_values": loaded, "rel_l2": rel, "ok": rel < 1e-4}))
    sys.exit(0 if rel < 1e-4 else 1)


if __name__ == "__main__":
    if "--check" in sys.argv:
        check_against_ts(sys.argv[sys.argv.index("--check") + 1])
    peer_main("evdm-l-kth", build, x_channels=KTH["x_channels"], cond_channels=KTH["cond_channels"], expected_params=TS_PARAMS, doc=__doc__)
