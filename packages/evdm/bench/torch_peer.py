"""Shared pieces of the PyTorch peers (mcvd_torch.py, evdm_l_torch.py): thread set-up, the BLAS check,
MCVD's group rule and FIR resampling, and the timing of one training step / one sampling step.

A training step is forward + backward + global-norm gradient clipping (1.0) + Adam + EMA (0.999) on
synthetic clips, the same work as `evdm bench step`. A sampling step is one network call in eval
mode under no_grad (what one DDPM reverse step costs; the update itself is a few elementwise ops),
as `evdm bench step --sample`. Both: `--warmup` untimed calls (default 2 training steps, 5 sampling
step, as `evdm bench step`), then `--runs` timed calls, median.
Each peer prints one JSON line:
{"model", "backend", "mode", "batch", "params", "threads", "openblas_threads", "blas", "median_ms", "runs",
 "warmup", "max_rss_mb"}.

Import this module before torch: OpenBLAS reads its thread count when it loads.
"""
import argparse
import json
import math
import os
import resource
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
import torch.nn.functional as F  # noqa: E402


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
    """MCVD's GroupNorm group count: min(C/4, 32), decremented until it divides C."""
    g = max(min(ch // 4, 32), 1)
    while ch % g:
        g -= 1
    return g


def fir_kernel(channels, up):
    """MCVD's [1,3,3,1] FIR as a depthwise 4x4 kernel (x4 for up-sampling, which keeps the DC gain)."""
    k = torch.tensor([1.0, 3.0, 3.0, 1.0])
    k2 = torch.outer(k, k) / 64.0
    if up:
        k2 = k2 * 4.0
    return k2.expand(channels, 1, 4, 4).contiguous()


def fir_resample(x, kernel, up):
    """FIR x2 up- or down-sampling of NCHW `x` with zero borders (one depthwise conv)."""
    c = x.shape[1]
    if up:
        return F.conv_transpose2d(x, kernel, stride=2, padding=1, groups=c)
    return F.conv2d(x, kernel, stride=2, padding=1, groups=c)


def timestep_embedding(t, dim):
    """MCVD's sinusoidal embedding: all sines, then all cosines, freq_k = exp(-ln(1e4) k / (half - 1))."""
    half = dim // 2
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / (half - 1))
    e = t.float()[:, None] * freq[None]
    return torch.cat([torch.sin(e), torch.cos(e)], dim=1)


def max_rss_mb():
    """Peak resident set of this process so far (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _median_runs(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def time_training_step(net, batch, runs, x_channels, cond_channels, image, warmup=2):
    """Median of `runs` training steps after `warmup` untimed ones (fwd + bwd + clip + Adam + EMA)."""
    ema = [p.detach().clone() for p in net.parameters()]
    opt = torch.optim.Adam(net.parameters(), lr=2e-4, betas=(0.9, 0.999), eps=1e-8)
    alphas = torch.cumprod(torch.flip(1 - torch.linspace(0.02, 0.0001, 1000), [0]), 0).flip(0)

    def step():
        x0 = torch.rand(batch, x_channels, image, image) * 2 - 1
        cond = torch.rand(batch, cond_channels, image, image) * 2 - 1
        i = torch.randint(0, 1000, (batch,))
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
    return _median_runs(step, runs, warmup)


def time_sampling_step(net, batch, runs, x_channels, cond_channels, image, warmup=5):
    """Median of `runs` sampling steps (one eval-mode network call under no_grad) after `warmup` untimed ones."""
    xt = torch.randn(batch, x_channels, image, image)
    cond = torch.rand(batch, cond_channels, image, image) * 2 - 1
    t = torch.full((batch,), 500, dtype=torch.long)
    net.eval()

    def step():
        with torch.no_grad():
            net(xt, t, cond)

    return _median_runs(step, runs, warmup)


def peer_main(model, build, x_channels, cond_channels, image=64, expected_params=None, doc=None):
    """Command line of a peer: [--batch 8 (1 with --sample)] [--runs 3] [--warmup 2 (5 with --sample)] [--threads N] [--sample] [--params-only]."""
    ap = argparse.ArgumentParser(description=doc)
    ap.add_argument("--batch", type=int, default=None, help="default 8; 1 with --sample (as evdm bench step)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 2 training steps, 5 sampling calls)")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("EVDM_NATIVE_THREADS") or 0) or os.cpu_count())
    ap.add_argument("--sample", action="store_true", help="time one sampling step (forward only) instead of a training step")
    ap.add_argument("--params-only", action="store_true")
    a = ap.parse_args()
    if a.batch is None:
        a.batch = 1 if a.sample else 8
    if a.warmup is None:
        a.warmup = 5 if a.sample else 2
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = build()
    params = sum(p.numel() for p in net.parameters())
    if expected_params is not None and params != expected_params:
        # the peer is only a peer if it is the same network: refuse to time anything else
        sys.stderr.write(f"{model}: PyTorch peer has {params:,} parameters, the TS network has {expected_params:,}: not the same network\n")
        sys.exit(3)
    if a.params_only:
        print(json.dumps({"model": model, "params": params, "expected_params": expected_params}))
        return
    timer = time_sampling_step if a.sample else time_training_step
    runs = timer(net, a.batch, a.runs, x_channels, cond_channels, image, a.warmup)
    print(json.dumps({"model": model, "backend": f"pytorch {torch.__version__} cpu", "mode": "sample" if a.sample else "train", "batch": a.batch,
                      "params": params, "threads": a.threads, "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"), "blas": blas_library(), "median_ms": round(statistics.median(runs), 1),
                      "runs": [round(r, 1) for r in runs], "warmup": a.warmup, "max_rss_mb": max_rss_mb()}))
