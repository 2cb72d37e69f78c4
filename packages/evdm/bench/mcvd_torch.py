#!/usr/bin/env python3
"""MCVD-KTH denoiser (docs/mcvd-reference.md §3-7) in PyTorch, for timing one training step on CPU.

Written from the spec only (NCHW, torch conventions). Times forward + backward + global-norm gradient
clipping (1.0) + Adam + EMA (0.999), the same work as `evdm bench step`. Prints one JSON line:
{"model", "backend", "batch", "params", "threads", "blas", "median_ms", "runs"}.

  python3 mcvd_torch.py [--batch 8] [--runs 3] [--threads N]  (default threads: EVDM_NATIVE_THREADS or all cores)
"""
import argparse
import json
import math
import os
import statistics
import sys
import time


def _threads_arg():
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return os.environ.get("EVDM_NATIVE_THREADS") or str(os.cpu_count())


# OpenBLAS (torch's matmul / bmm on Debian) reads its thread count when it loads, before main() runs
os.environ.setdefault("OPENBLAS_NUM_THREADS", _threads_arg())

import torch  # noqa: E402
import torch.nn as nn
import torch.nn.functional as F


def blas_library():
    """The BLAS torch loaded (Debian's torch takes whatever libblas.so.3 the alternatives point at:
    the generic reference BLAS runs attention's bmm ~20x slower than OpenBLAS)."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and ".so" in line}
    except OSError:
        return "unknown"
    names = sorted(os.path.basename(os.path.dirname(p)) + "/" + os.path.basename(p) for p in libs)
    return ", ".join(names) or "none loaded"


def groups_for(ch):
    g = max(min(ch // 4, 32), 1)
    while ch % g:
        g -= 1
    return g


def fir_kernel(channels, up):
    k = torch.tensor([1.0, 3.0, 3.0, 1.0])
    k2 = torch.outer(k, k) / 64.0
    if up:
        k2 = k2 * 4.0
    return k2.expand(channels, 1, 4, 4).contiguous()


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
        c = x.shape[1]
        if self.up:
            return F.conv_transpose2d(x, self.fir, stride=2, padding=1, groups=c)
        return F.conv2d(x, self.fir, stride=2, padding=1, groups=c)

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
        half = self.ngf // 2
        freq = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / (half - 1))
        e = t.float()[:, None] * freq[None]
        e = torch.cat([torch.sin(e), torch.cos(e)], dim=1)
        return self.t2(F.silu(self.t1(e)))

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=int(os.environ.get("EVDM_NATIVE_THREADS") or 0) or os.cpu_count())
    ap.add_argument("--params-only", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = MCVD()
    params = sum(p.numel() for p in net.parameters())
    if a.params_only:
        print(json.dumps({"model": "mcvd-kth", "params": params}))
        return
    ema = [p.detach().clone() for p in net.parameters()]
    opt = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.9, 0.999), eps=1e-8)
    alphas = torch.cumprod(torch.flip(1 - torch.linspace(0.02, 0.0001, 1000), [0]), 0).flip(0)
    b = a.batch

    def step():
        x0 = torch.rand(b, 5, 64, 64) * 2 - 1
        cond = torch.rand(b, 10, 64, 64) * 2 - 1
        i = torch.randint(0, 1000, (b,))
        z = torch.randn_like(x0)
        al = alphas[i][:, None, None, None]
        xt = al.sqrt() * x0 + (1 - al).sqrt() * z
        loss = 0.5 * ((z - net(xt, i, cond)) ** 2).sum(dim=(1, 2, 3)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        with torch.no_grad():
            for e, p in zip(ema, net.parameters()):
                e.mul_(0.999).add_(p, alpha=0.001)

    net.train()
    step()  # warm-up
    runs = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        step()
        runs.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"model": "mcvd-kth", "backend": f"pytorch {torch.__version__} cpu", "batch": b, "params": params,
                      "threads": a.threads, "blas": blas_library(), "median_ms": round(statistics.median(runs), 1), "runs": [round(r, 1) for r in runs]}))


if __name__ == "__main__":
    main()
