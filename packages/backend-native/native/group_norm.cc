// Fused GroupNorm on NHWC data: y = act(((GN(x) * gamma + beta) * (1 + scale)) + shift), and its
// gradient in x, gamma, beta, scale, shift. Statistics (biased variance, eps inside the sqrt) are
// accumulated in double; the backward pass recomputes them from x instead of saving them.
// Work is split over (batch, spatial chunk) so small batches still use every thread.
// A channel window: x may be wider (row stride Cx) than the C normalised channels [start, start + C)
// (the BRP's Split reads only a tail of the normalised input); y and dy are C wide, dx is x's shape
// (0 outside the window), and gamma / beta / scale / shift / modulation keep x's width.
// The passes are compute-bound (SiLU's exp, per-channel sums), so this file lets the compiler
// contract a*b+c into FMAs (the build's -ffp-contract=off is for the bit-exact optimiser kernels).
#pragma GCC optimize("fp-contract=fast")
#include "common.h"
#include <omp.h>
#include <algorithm>
#include <cmath>

namespace evdm {

enum GnAct { GN_NONE = 0, GN_SILU = 1, GN_RELU = 2 };

struct GnShape {
  int64_t B, S, C, G, cg;
  int act;
  // scale and shift packed in one [B, 2Cx] modulation tensor (scale = [:, :Cx], shift = [:, Cx:])
  bool packed;
  // x's channels per row and the window's first channel (Cx = C, start = 0: the whole row)
  int64_t Cx, start;
  // ways the passes split over the worker pool (pool.h), chosen once per call
  int ways;
};

static GnShape gnShape(const Napi::CallbackInfo &info, size_t i) {
  auto p = intsArg(info, i, "params");
  if (p.size() != 5 && p.size() != 6 && p.size() != 8)
    throw Napi::Error::New(info.Env(), "evdm native groupNorm: expected 5, 6 or 8 parameters");
  GnShape s{p[0], p[1], p[2], p[3], 0, int(p[4]), p.size() >= 6 && p[5] != 0, p[2], 0, 1};
  if (p.size() == 8) {
    s.Cx = p[6];
    s.start = p[7];
  }
  if (s.B < 1 || s.S < 1 || s.C < 1 || s.G < 1 || s.C % s.G != 0) throw Napi::Error::New(info.Env(), "evdm native groupNorm: bad shape");
  if (s.start < 0 || s.start + s.C > s.Cx) throw Napi::Error::New(info.Env(), "evdm native groupNorm: the channel window exceeds x's channels");
  if (s.act < GN_NONE || s.act > GN_RELU) throw Napi::Error::New(info.Env(), "evdm native groupNorm: unknown activation code");
  s.cg = s.C / s.G;
  s.ways = waysForBytes(8.0 * double(s.B) * double(s.S) * double(s.C));
  return s;
}

// Elements per loop block: whole periods of C where rows are contiguous, else one row.
static int64_t blockLen(const GnShape &s) { return s.Cx == s.C ? periodOf(s.C) : s.C; }

// x-layout addresses of a chunk's blocks: block k of the chunk starting at window element `off`
// (a row start) is at base + k·step (no division per block: blocks of a window are single rows).
template <class T>
struct XBlocks {
  T *base;
  int64_t step;
  T *operator[](int64_t k) const { return base + k * step; }
};
template <class T>
static inline XBlocks<T> xBlocks(const GnShape &s, T *x, int64_t off) {
  return {x + (off / s.C) * s.Cx + s.start, s.Cx == s.C ? blockLen(s) : s.Cx};
}


static int64_t chunksPerBatch(const GnShape &s) {
  // a few chunks per way: the caller takes part and a late worker still finds some left
  int64_t want = s.ways > 1 ? std::max<int64_t>(1, (4 * s.ways + s.B - 1) / s.B) : 1;
  int64_t maxByRows = std::max<int64_t>(1, s.S / 16);
  return std::min(want, maxByRows);
}

// The elements of work chunk t (rows [s0, s1) of batch item b), flat from `off`: element i has
// channel i % C.
struct GnChunk {
  int64_t b, off, n;
};

static GnChunk chunkOf(const GnShape &s, int64_t P, int64_t t) {
  const int64_t b = t / P, k = t % P;
  const int64_t s0 = s.S * k / P, s1 = s.S * (k + 1) / P;
  return {b, (b * s.S + s0) * s.C, (s1 - s0) * s.C};
}

// Loops run over blocks of periodOf(C) elements (common.h) with coefficients tiled to that period.
static std::vector<float> tiled(const float *v, int64_t C, int64_t L) {
  std::vector<float> out(static_cast<size_t>(L));
  for (int64_t j = 0; j < L; j++) out[size_t(j)] = v[j % C];
  return out;
}

// Per-channel sums of f(element) over one chunk: fn(j0, k, len, acc) adds block k = [j0, j0 + len)
// into the float period accumulators acc[0 .. 2L); the totals are folded to channels into out[0 .. 2C).
template <class Fn>
static void chunkSums(int64_t n, int64_t C, int64_t L, double *out, Fn fn) {
  std::vector<float> acc(size_t(2 * L));
  std::vector<double> tot(size_t(2 * L), 0.0);
  int64_t k = 0;
  for (int64_t j0 = 0; j0 < n; j0 += L * kFlushBlocks) {
    std::fill(acc.begin(), acc.end(), 0.f);
    const int64_t j1 = std::min(n, j0 + L * kFlushBlocks);
    for (int64_t blk = j0; blk < j1; blk += L, k++) fn(blk, k, std::min(L, j1 - blk), acc.data(), acc.data() + L);
    for (int64_t j = 0; j < 2 * L; j++) tot[size_t(j)] += acc[size_t(j)];
  }
  for (int64_t j = 0; j < L; j++) {
    out[j % C] += tot[size_t(j)];
    out[C + j % C] += tot[size_t(L + j)];
  }
}

// Per-(b, c) sums over the spatial axis of x and x^2, then per-(b, g) mean and rstd.
static void gnStats(const GnShape &s, const float *x, float eps, std::vector<double> &mean, std::vector<double> &rstd) {
  const int64_t P = chunksPerBatch(s), C = s.C, L = blockLen(s);
  std::vector<double> part(size_t(s.B * P * 2 * C), 0.0);
  poolFor(s.B * P, s.ways > 1, [&](int64_t t) {
    const GnChunk ch = chunkOf(s, P, t);
    const XBlocks<const float> xb = xBlocks(s, x, ch.off);
    chunkSums(ch.n, C, L, &part[size_t(t * 2 * C)], [&](int64_t, int64_t k, int64_t len, float *fs, float *fq) {
      const float *xr = xb[k];
#pragma omp simd
      for (int64_t j = 0; j < len; j++) {
        fs[j] += xr[j];
        fq[j] += xr[j] * xr[j];
      }
    });
  });
  mean.assign(size_t(s.B * s.G), 0.0);
  rstd.assign(size_t(s.B * s.G), 0.0);
  const double n = double(s.S * s.cg);
  for (int64_t b = 0; b < s.B; b++) {
    for (int64_t g = 0; g < s.G; g++) {
      double sm = 0, sq = 0;
      for (int64_t k = 0; k < P; k++) {
        const double *sum = &part[size_t((b * P + k) * 2 * C)], *q = sum + C;
        for (int64_t c = g * s.cg; c < (g + 1) * s.cg; c++) {
          sm += sum[c];
          sq += q[c];
        }
      }
      double m = sm / n, var = std::max(0.0, sq / n - m * m);
      mean[size_t(b * s.G + g)] = m;
      rstd[size_t(b * s.G + g)] = 1.0 / std::sqrt(var + double(eps));
    }
  }
}

// y = act(u) and dL/du from dL/dy: SiLU' = σ(u)(1 + u(1 − σ(u))), ReLU' = [u > 0]. ACT is a
// template argument so the per-element loops have no branch and vectorise.
template <int ACT>
static inline float activation(float u) {
  if (ACT == GN_SILU) return u * sigmoidVec(u);
  if (ACT == GN_RELU) return u > 0.f ? u : 0.f;
  return u;
}

template <int ACT>
static inline float activationGrad(float g, float u) {
  if (ACT == GN_SILU) {
    const float sg = sigmoidVec(u);
    return g * sg * (1.f + u * (1.f - sg));
  }
  if (ACT == GN_RELU) return u > 0.f ? g : 0.f;
  return g;
}

// One block of the forward pass: y = act(x·A + B).
template <int ACT>
static inline void normalizeRow(const float *xr, const float *a, const float *bc, float *yr, int64_t C) {
#pragma omp simd
  for (int64_t c = 0; c < C; c++) yr[c] = activation<ACT>(xr[c] * a[c] + bc[c]);
}

// One block of backward pass 1: du = dy·act'(u) (kept in `dur` so pass 2 need not recompute the
// activation), and per-channel float sums of du and du·x.
template <int ACT>
static inline void accumulateGrad(const float *gr, const float *xr, const float *a, const float *bc, float *sdu, float *sdux, float *dur,
                                  int64_t C) {
#pragma omp simd
  for (int64_t c = 0; c < C; c++) {
    const float du = activationGrad<ACT>(gr[c], xr[c] * a[c] + bc[c]);
    if (ACT != GN_NONE) dur[c] = du;
    sdu[c] += du;
    sdux[c] += du * xr[c];
  }
}

// One block of backward pass 2: dx = du·P + x·Q + R (du from pass 1; dy itself without activation).
static inline void inputGrad(const float *dur, const float *xr, const float *pc, const float *qc, const float *rc, float *dr, int64_t C) {
#pragma omp simd
  for (int64_t c = 0; c < C; c++) dr[c] = dur[c] * pc[c] + xr[c] * qc[c] + rc[c];
}

// Per-(b, c) affine coefficients: u = x * A + Bc.
static void gnCoefficients(const GnShape &s, const std::vector<double> &mean, const std::vector<double> &rstd, const float *gamma,
                           const float *beta, const float *scale, const float *shift, int64_t stride, std::vector<float> &A,
                           std::vector<float> &Bc) {
  A.resize(size_t(s.B * s.C));
  Bc.resize(size_t(s.B * s.C));
  for (int64_t b = 0; b < s.B; b++) {
    for (int64_t c = 0; c < s.C; c++) {
      const int64_t g = c / s.cg;
      double m = mean[size_t(b * s.G + g)], r = rstd[size_t(b * s.G + g)];
      double ga = gamma ? gamma[c] : 1.0, be = beta ? beta[c] : 0.0;
      double sc = scale ? 1.0 + scale[b * stride + c] : 1.0, sh = shift ? shift[b * stride + c] : 0.0;
      A[size_t(b * s.C + c)] = float(r * ga * sc);
      Bc[size_t(b * s.C + c)] = float((be - m * r * ga) * sc + sh);
    }
  }
}

struct GnOptional {
  const float *gamma = nullptr, *beta = nullptr, *scale = nullptr, *shift = nullptr;
  int64_t stride = 0;  // floats between batch rows of scale / shift
};

// Packed (s.packed): the scale argument holds the [B, 2C] modulation, the shift argument is null.
static GnOptional gnOptional(const Napi::CallbackInfo &info, size_t first, const GnShape &s) {
  GnOptional o;
  const char *names[4] = {"gamma", "beta", s.packed ? "modulation" : "scale", "shift"};
  const float **dst[4] = {&o.gamma, &o.beta, &o.scale, &o.shift};
  o.stride = s.packed ? 2 * s.Cx : s.Cx;
  for (int k = 0; k < 4; k++) {
    if (isNullish(info, first + k)) continue;
    if (s.packed && k == 3) throw Napi::Error::New(info.Env(), "evdm native groupNorm: a packed modulation takes no separate shift");
    F32 t = f32Arg(info, first + k, names[k]);
    size_t want = k < 2 ? size_t(s.Cx) : size_t(s.B * o.stride);
    if (t.size != want) throw Napi::Error::New(info.Env(), std::string("evdm native groupNorm: ") + names[k] + " has the wrong size");
    *dst[k] = t.data + s.start;  // the window's coefficients
  }
  if (s.packed && o.scale) o.shift = o.scale + s.Cx;
  return o;
}

// groupNormForward(x, gamma, beta, scale, shift, y, [B, S, C, G, act (0 none, 1 SiLU, 2 ReLU)(, packed(, Cx, start))], eps);
// packed = 1: `scale` is the [B, 2Cx] modulation (scale, then shift) and `shift` is null.
Napi::Value GroupNormForward(const Napi::CallbackInfo &info) {
  F32 x = f32Arg(info, 0, "x");
  GnShape s = gnShape(info, 6);
  GnOptional o = gnOptional(info, 1, s);
  F32 y = f32Arg(info, 5, "y");
  float eps = info[7].As<Napi::Number>().FloatValue();
  const size_t n = size_t(s.B * s.S * s.C);
  if (x.size != size_t(s.B * s.S * s.Cx) || y.size != n)
    throw Napi::Error::New(info.Env(), "evdm native groupNorm: x/y sizes do not match the shape");
  std::vector<double> mean, rstd;
  gnStats(s, x.data, eps, mean, rstd);
  std::vector<float> A, Bc;
  gnCoefficients(s, mean, rstd, o.gamma, o.beta, o.scale, o.shift, o.stride, A, Bc);
  const int64_t P = chunksPerBatch(s), C = s.C, L = blockLen(s);
  poolFor(s.B * P, s.ways > 1, [&](int64_t t) {
    const GnChunk ch = chunkOf(s, P, t);
    const std::vector<float> a = tiled(&A[size_t(ch.b * C)], C, L), bc = tiled(&Bc[size_t(ch.b * C)], C, L);
    const XBlocks<const float> xb = xBlocks(s, static_cast<const float *>(x.data), ch.off);
    for (int64_t blk = 0, k = 0; blk < ch.n; blk += L, k++) {
      const float *xr = xb[k];
      float *yr = y.data + ch.off + blk;
      const int64_t len = std::min(L, ch.n - blk);
      if (s.act == GN_SILU) normalizeRow<GN_SILU>(xr, a.data(), bc.data(), yr, len);
      else if (s.act == GN_RELU) normalizeRow<GN_RELU>(xr, a.data(), bc.data(), yr, len);
      else normalizeRow<GN_NONE>(xr, a.data(), bc.data(), yr, len);
    }
  });
  return info.Env().Undefined();
}

// groupNormBackward(dy, x, gamma, beta, scale, shift, dx, dgamma, dbeta, dscale, dshift, [B, S, C, G, act (0 none, 1 SiLU, 2 ReLU)(, packed(, Cx, start))], eps)
// Gradient outputs may be null when the input was absent; they have their input's (x's) width.
Napi::Value GroupNormBackward(const Napi::CallbackInfo &info) {
  auto env = info.Env();
  F32 dy = f32Arg(info, 0, "dy");
  F32 x = f32Arg(info, 1, "x");
  GnShape s = gnShape(info, 11);
  GnOptional o = gnOptional(info, 2, s);
  F32 dx = f32Arg(info, 6, "dx");
  float *dgamma = isNullish(info, 7) ? nullptr : f32Arg(info, 7, "dgamma").data;
  float *dbeta = isNullish(info, 8) ? nullptr : f32Arg(info, 8, "dbeta").data;
  F32 dscaleArg = isNullish(info, 9) ? F32{} : f32Arg(info, 9, "dscale");
  float *dscale = dscaleArg.data;
  if (dscale && dscaleArg.size != size_t(s.B * o.stride))
    throw Napi::Error::New(env, "evdm native groupNorm grad: dscale has the wrong size");
  float *dshift = isNullish(info, 10) ? nullptr : f32Arg(info, 10, "dshift").data;
  // packed: dscale is the [B, 2C] modulation gradient, its second half the shift's
  if (s.packed && dshift) throw Napi::Error::New(env, "evdm native groupNorm grad: a packed modulation takes no separate dshift");
  if (s.packed && dscale) dshift = dscale + s.Cx;
  float eps = info[12].As<Napi::Number>().FloatValue();
  const size_t n = size_t(s.B * s.S * s.C), nx = size_t(s.B * s.S * s.Cx);
  if (x.size != nx || dy.size != n || dx.size != nx) throw Napi::Error::New(env, "evdm native groupNorm grad: sizes do not match the shape");
  const bool window = s.Cx != s.C;
  if (window) {
    // parameter gradients outside the window are 0; the window's are written below at offset start
    if (dgamma) std::fill(dgamma, dgamma + s.Cx, 0.f);
    if (dbeta) std::fill(dbeta, dbeta + s.Cx, 0.f);
    if (dscale) std::fill(dscale, dscale + s.B * o.stride, 0.f);
    if (dshift && !s.packed) std::fill(dshift, dshift + s.B * o.stride, 0.f);
  }
  if (dgamma) dgamma += s.start;
  if (dbeta) dbeta += s.start;
  if (dscale) dscale += s.start;
  if (dshift) dshift += s.start;
  std::vector<double> mean, rstd;
  gnStats(s, x.data, eps, mean, rstd);
  std::vector<float> A, Bc;
  gnCoefficients(s, mean, rstd, o.gamma, o.beta, o.scale, o.shift, o.stride, A, Bc);
  const int64_t P = chunksPerBatch(s), C = s.C;
  const int act = s.act;
  // du = dy * act'(u); pass 1 accumulates per (b, c): sum du and sum du * x (and writes du to dx).
  const int64_t L = blockLen(s);
  std::vector<double> part(size_t(s.B * P * 2 * C), 0.0);
  poolFor(s.B * P, s.ways > 1, [&](int64_t t) {
    const GnChunk ch = chunkOf(s, P, t);
    const std::vector<float> a = tiled(&A[size_t(ch.b * C)], C, L), bc = tiled(&Bc[size_t(ch.b * C)], C, L);
    const float *gs = dy.data + ch.off;
    const XBlocks<const float> xb = xBlocks(s, static_cast<const float *>(x.data), ch.off);
    const XBlocks<float> ub = xBlocks(s, dx.data, ch.off);
    chunkSums(ch.n, C, L, &part[size_t(t * 2 * C)], [&](int64_t blk, int64_t k, int64_t len, float *fu, float *fux) {
      const float *xr = xb[k];
      float *ur = ub[k];
      if (act == GN_SILU) accumulateGrad<GN_SILU>(gs + blk, xr, a.data(), bc.data(), fu, fux, ur, len);
      else if (act == GN_RELU) accumulateGrad<GN_RELU>(gs + blk, xr, a.data(), bc.data(), fu, fux, ur, len);
      else accumulateGrad<GN_NONE>(gs + blk, xr, a.data(), bc.data(), fu, fux, ur, len);
    });
  });
  // Per (b, c) and (b, g) coefficients of dx = du * Pc + x * Qg + Rg.
  std::vector<float> Pc(size_t(s.B * C)), Qc(size_t(s.B * C)), Rc(size_t(s.B * C));
  std::vector<double> dgAcc(size_t(C), 0.0), dbAcc(size_t(C), 0.0);
  const double nGroup = double(s.S * s.cg);
  for (int64_t b = 0; b < s.B; b++) {
    for (int64_t g = 0; g < s.G; g++) {
      const double m = mean[size_t(b * s.G + g)], r = rstd[size_t(b * s.G + g)];
      double m1 = 0, m2 = 0;
      for (int64_t c = g * s.cg; c < (g + 1) * s.cg; c++) {
        double sdu = 0, sdux = 0;
        for (int64_t k = 0; k < P; k++) {
          sdu += part[size_t((b * P + k) * 2 * C + c)];
          sdux += part[size_t((b * P + k) * 2 * C + C + c)];
        }
        const double sduxh = r * (sdux - m * sdu);
        const double ga = o.gamma ? o.gamma[c] : 1.0, be = o.beta ? o.beta[c] : 0.0;
        const double sc = o.scale ? 1.0 + o.scale[b * o.stride + c] : 1.0;
        if (dshift) dshift[b * o.stride + c] = float(sdu);
        if (dscale) dscale[b * o.stride + c] = float(ga * sduxh + be * sdu);
        dgAcc[size_t(c)] += sc * sduxh;
        dbAcc[size_t(c)] += sc * sdu;
        const double kc = ga * sc;
        m1 += kc * sdu;
        m2 += kc * sduxh;
        Pc[size_t(b * C + c)] = float(r * kc);
      }
      m1 /= nGroup;
      m2 /= nGroup;
      for (int64_t c = g * s.cg; c < (g + 1) * s.cg; c++) {
        Qc[size_t(b * C + c)] = float(-r * r * m2);
        Rc[size_t(b * C + c)] = float(-r * m1 + m * r * r * m2);
      }
    }
  }
  if (dgamma) for (int64_t c = 0; c < C; c++) dgamma[c] = float(dgAcc[size_t(c)]);
  if (dbeta) for (int64_t c = 0; c < C; c++) dbeta[c] = float(dbAcc[size_t(c)]);
  poolFor(s.B * P, s.ways > 1, [&](int64_t t) {
    const GnChunk ch = chunkOf(s, P, t);
    const std::vector<float> pc = tiled(&Pc[size_t(ch.b * C)], C, L), qc = tiled(&Qc[size_t(ch.b * C)], C, L),
                             rc = tiled(&Rc[size_t(ch.b * C)], C, L);
    const XBlocks<const float> xb = xBlocks(s, static_cast<const float *>(x.data), ch.off);
    const XBlocks<float> db = xBlocks(s, dx.data, ch.off);
    for (int64_t blk = 0, k = 0; blk < ch.n; blk += L, k++) {
      float *ds = db[k];
      const float *du = act == GN_NONE ? dy.data + ch.off + blk : ds;
      inputGrad(du, xb[k], pc.data(), qc.data(), rc.data(), ds, std::min(L, ch.n - blk));
      if (window) {  // one row: x's channels outside the window get 0
        std::fill(ds - s.start, ds, 0.f);
        std::fill(ds + C, ds - s.start + s.Cx, 0.f);
      }
    }
  });
  return env.Undefined();
}

}  // namespace evdm
