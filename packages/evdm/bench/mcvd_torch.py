#!/usr/bin/env python3
"""MCVD-KTH denoiser (docs/mcvd-reference.md §3-7) in PyTorch, for timing one training step (or one
sampling step) on CPU.

Written from the spec only (NCHW, torch conventions). Timing and JSON as torch_peer.py: a training
step is forward + backward + global-norm gradient clipping (1.0) + Adam + EMA (0.999), the same work
as `evdm bench step`; `--sample` times one forward pass. Prints one JSON line:
{"model", "backend", "mode", "batch", "params", "threads", "blas", "median_ms", "runs", "max_rss_mb"}.

  python3 mcvd_torch.py [--batch 8] [--runs 3] [--threads N] [--sample]  (default threads: EVDM_NATIVE_THREADS or all cores)
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


class AdaGN(nn.Module):
    """SiLU(GN(x) * (1 + s) + b), [s, b] = Dense(SiLU(temb)); non-affine GN, eps 1e-5."""

    def __init__(self, ch, temb):
        super().__init__()
        self.groups = groups_for(ch)
        self.dense = nn.Linear(temb, 2 * ch)

    def forward(self, x, temb):
        s, b = self.dense(F.silu(temb)).chunk(2, dim=1)
        h = F.group_norm(x, self.groups, eps=1e-5)
        return F.silu(h * (1 + s[:, :, None, None]) + b[:, :, None, None])


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb, up=False, down=False):
        super().__init__()
        self.up, self.down = up, down
        self.norm0 = AdaGN(cin, temb)
        self.conv0 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm1 = AdaGN(cout, temb)
        self.drop = nn.Dropout(0.1)
        self.conv1 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if (cin != cout or up or down) else None
        if up or down:
            self.register_buffer("fir", fir_kernel(cin, up), persistent=False)

    def resample(self, x):
        return fir_resample(x, self.fir, self.up)

    def forward(self, x, temb):
        h = self.norm0(x, temb)
        if self.up or self.down:
            h, x = self.resample(h), self.resample(x)
        h = self.conv0(h)
        h = self.conv1(self.drop(self.norm1(h, temb)))
        if self.skip is not None:
            x = self.skip(x)
        return (x + h) / math.sqrt(2.0)


class Attn(nn.Module):
    def __init__(self, ch, head_ch):
        super().__init__()
        self.groups = groups_for(ch)
        self.norm = nn.GroupNorm(self.groups, ch, eps=1e-6)
        self.heads = max(ch // head_ch, 1)
        self.qkv = nn.ModuleList([nn.Linear(ch, ch) for _ in range(3)])
        self.out = nn.Linear(ch, ch)

    def forward(self, x):
        b, c, hh, ww = x.shape
        h = self.norm(x).permute(0, 2, 3, 1).reshape(b, hh * ww, c)
        d = c // self.heads
        q, k, v = [f(h).reshape(b, hh * ww, self.heads, d).transpose(1, 2) for f in self.qkv]
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
        o = (a @ v).transpose(1, 2).reshape(b, hh * ww, c)
        o = self.out(o).reshape(b, hh, ww, c).permute(0, 3, 1, 2)
        return (x + o) / math.sqrt(2.0)


class MCVD(nn.Module):
    def __init__(self, cin=15, cout=5, ngf=96, image=64, mult=(1, 2, 3, 4), attn_res=(8, 16, 32)):
        super().__init__()
        self.ngf, T = ngf, 4 * ngf
        self.t1, self.t2 = nn.Linear(ngf, T), nn.Linear(T, T)
        self.conv_in = nn.Conv2d(cin, ngf, 3, padding=1)
        self.down = nn.ModuleList()
        skips, ch, res = [ngf], ngf, image
        for i, m in enumerate(mult):
            for _ in range(2):
                self.down.append(ResBlock(ch, ngf * m, T))
                ch = ngf * m
                if res in attn_res:
                    self.down.append(Attn(ch, ngf))
                skips.append(ch)
            if i < len(mult) - 1:
                self.down.append(ResBlock(ch, ch, T, down=True))
                skips.append(ch)
                res //= 2
        self.mid = nn.ModuleList([ResBlock(ch, ch, T), Attn(ch, ngf), ResBlock(ch, ch, T)])
        self.up = nn.ModuleList()
        for i in reversed(range(len(mult))):
            for j in range(3):
                self.up.append(ResBlock(ch + skips.pop(), ngf * mult[i], T))
                ch = ngf * mult[i]
                if j == 2 and res in attn_res:
                    self.up.append(Attn(ch, ngf))
            if i > 0:
                self.up.append(ResBlock(ch, ch, T, up=True))
                res *= 2
        self.norm_out = nn.GroupNorm(groups_for(ngf), ngf, eps=1e-5)
        self.conv_out = nn.Conv2d(ngf, cout, 3, padding=1)

    def temb(self, t):
        return self.t2(F.silu(self.t1(timestep_embedding(t, self.ngf))))

    def forward(self, x, t, cond):
        temb = self.temb(t)
        h = self.conv_in(torch.cat([x, cond], dim=1))
        hs = [h]
        for m in self.down:
            if isinstance(m, Attn):
                h = m(h)
                hs[-1] = h
            else:
                h = m(h, temb)
                hs.append(h)
        for m in self.mid:
            h = m(h) if isinstance(m, Attn) else m(h, temb)
        for m in self.up:
            if isinstance(m, Attn):
                h = m(h)
            elif m.up:
                h = m(h, temb)
            else:
                h = m(torch.cat([h, hs.pop()], dim=1), temb)
        return self.conv_out(F.silu(self.norm_out(h)))


if __name__ == "__main__":
    # the TS MCVD-KTH network (`evdm bench step --model mcvd-kth` reports the same count)
    peer_main("mcvd-kth", MCVD, x_channels=5, cond_channels=10, expected_params=62_831_141, doc=__doc__)
