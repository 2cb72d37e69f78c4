// Fused GroupNorm on NHWC data: y = act(((GN(x) * gamma + beta) * (1 + scale)) + shift), and its
// gradient in x, gamma, beta, scale, shift. Statistics (biased variance, eps inside the sqrt) are
// accumulated in double; the backward pass recomputes them from x instead of saving them.
// Work is split over (batch, spatial chunk) so small batches still use every thread.
#include "common.h"
#include <omp.h>
#include <algorithm>
#include <cmath>

namespace evdm {

enum GnAct { GN_NONE = 0, GN_SILU = 1, GN_RELU = 2 };

struct GnShape {
  int64_t B, S, C, G, cg;
  int act;
};

static GnShape gnShape(const Napi::CallbackInfo &info, size_t i) {
  auto p = intsArg(info, i, "params");
  if (p.size() != 5) throw Napi::Error::New(info.Env(), "evdm native groupNorm: expected 5 parameters");
  GnShape s{p[0], p[1], p[2], p[3], 0, int(p[4])};
  if (s.B < 1 || s.S < 1 || s.C < 1 || s.G < 1 || s.C % s.G != 0) throw Napi::Error::New(info.Env(), "evdm native groupNorm: bad shape");
  if (s.act < GN_NONE || s.act > GN_RELU) throw Napi::Error::New(info.Env(), "evdm native groupNorm: unknown activation code");
  s.cg = s.C / s.G;
  return s;
}

static int gnThreads(const GnShape &s) { return threadsForBytes(8.0 * double(s.B) * double(s.S) * double(s.C)); }

static int64_t chunksPerBatch(const GnShape &s) {
  int64_t threads = gnThreads(s);
  int64_t want = std::max<int64_t>(1, (2 * threads + s.B - 1) / s.B);
  int64_t maxByRows = std::max<int64_t>(1, s.S / 16);
  return std::min(want, maxByRows);
}

// Per-(b, c) sums over the spatial axis of x and x^2, then per-(b, g) mean and rstd.
static void gnStats(const GnShape &s, const float *x, float eps, std::vector<double> &mean, std::vector<double> &rstd) {
  const int64_t P = chunksPerBatch(s), C = s.C;
  std::vector<double> part(size_t(s.B * P * 2 * C), 0.0);
#pragma omp parallel for schedule(static) num_threads(gnThreads(s))
  for (int64_t t = 0; t < s.B * P; t++) {
    const int64_t b = t / P, k = t % P;
    const int64_t s0 = s.S * k / P, s1 = s.S * (k + 1) / P;
    double *sum = &part[size_t(t * 2 * C)], *sq = sum + C;
    const float *xb = x + b * s.S * C;
    for (int64_t r = s0; r < s1; r++) {
      const float *row = xb + r * C;
#pragma omp simd
      for (int64_t c = 0; c < C; c++) {
        double v = row[c];
        sum[c] += v;
        sq[c] += v * v;
      }
    }
  }
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

// One row of the forward pass: y = act(x·A + B).
template <int ACT>
static inline void normalizeRow(const float *xr, const float *a, const float *bc, float *yr, int64_t C) {
#pragma omp simd
  for (int64_t c = 0; c < C; c++) yr[c] = activation<ACT>(xr[c] * a[c] + bc[c]);
}

// One row of backward pass 1: per-channel sums of du and du·x.
template <int ACT>
static inline void accumulateGrad(const float *gr, const float *xr, const float *a, const float *bc, double *sdu, double *sdux, int64_t C) {
#pragma omp simd
  for (int64_t c = 0; c < C; c++) {
    const float du = activationGrad<ACT>(gr[c], xr[c] * a[c] + bc[c]);
    sdu[c] += du;
    sdux[c] += double(du) * xr[c];
  }
}

// One row of backward pass 2: dx = du·P + x·Q + R.
template <int ACT>
static inline void inputGrad(const float *gr, const float *xr, const float *a, const float *bc, const float *pc, const float *qc,
                             const float *rc, float *dr, int64_t C) {
#pragma omp simd
  for (int64_t c = 0; c < C; c++) {
    const float du = activationGrad<ACT>(gr[c], xr[c] * a[c] + bc[c]);
    dr[c] = du * pc[c] + xr[c] * qc[c] + rc[c];
  }
}

// Per-(b, c) affine coefficients: u = x * A + Bc.
static void gnCoefficients(const GnShape &s, const std::vector<double> &mean, const std::vector<double> &rstd, const float *gamma,
                           const float *beta, const float *scale, const float *shift, std::vector<float> &A, std::vector<float> &Bc) {
  A.resize(size_t(s.B * s.C));
  Bc.resize(size_t(s.B * s.C));
  for (int64_t b = 0; b < s.B; b++) {
    for (int64_t c = 0; c < s.C; c++) {
      const int64_t g = c / s.cg;
      double m = mean[size_t(b * s.G + g)], r = rstd[size_t(b * s.G + g)];
      double ga = gamma ? gamma[c] : 1.0, be = beta ? beta[c] : 0.0;
      double sc = scale ? 1.0 + scale[b * s.C + c] : 1.0, sh = shift ? shift[b * s.C + c] : 0.0;
      A[size_t(b * s.C + c)] = float(r * ga * sc);
      Bc[size_t(b * s.C + c)] = float((be - m * r * ga) * sc + sh);
    }
  }
}

struct GnOptional {
  const float *gamma = nullptr, *beta = nullptr, *scale = nullptr, *shift = nullptr;
};

static GnOptional gnOptional(const Napi::CallbackInfo &info, size_t first, const GnShape &s) {
  GnOptional o;
  const char *names[4] = {"gamma", "beta", "scale", "shift"};
  const float **dst[4] = {&o.gamma, &o.beta, &o.scale, &o.shift};
  for (int k = 0; k < 4; k++) {
    if (isNullish(info, first + k)) continue;
    F32 t = f32Arg(info, first + k, names[k]);
    size_t want = k < 2 ? size_t(s.C) : size_t(s.B * s.C);
    if (t.size != want) throw Napi::Error::New(info.Env(), std::string("evdm native groupNorm: ") + names[k] + " has the wrong size");
    *dst[k] = t.data;
  }
  return o;
}

// groupNormForward(x, gamma, beta, scale, shift, y, [B, S, C, G, act (0 none, 1 SiLU, 2 ReLU)], eps)
Napi::Value GroupNormForward(const Napi::CallbackInfo &info) {
  F32 x = f32Arg(info, 0, "x");
  GnShape s = gnShape(info, 6);
  GnOptional o = gnOptional(info, 1, s);
  F32 y = f32Arg(info, 5, "y");
  float eps = info[7].As<Napi::Number>().FloatValue();
  const size_t n = size_t(s.B * s.S * s.C);
  if (x.size != n || y.size != n) throw Napi::Error::New(info.Env(), "evdm native groupNorm: x/y sizes do not match the shape");
  std::vector<double> mean, rstd;
  gnStats(s, x.data, eps, mean, rstd);
  std::vector<float> A, Bc;
  gnCoefficients(s, mean, rstd, o.gamma, o.beta, o.scale, o.shift, A, Bc);
  const int64_t P = chunksPerBatch(s), C = s.C;
#pragma omp parallel for schedule(static) num_threads(gnThreads(s))
  for (int64_t t = 0; t < s.B * P; t++) {
    const int64_t b = t / P, k = t % P;
    const int64_t s0 = s.S * k / P, s1 = s.S * (k + 1) / P;
    const float *a = &A[size_t(b * C)], *bc = &Bc[size_t(b * C)];
    for (int64_t r = s0; r < s1; r++) {
      const float *xr = x.data + (b * s.S + r) * C;
      float *yr = y.data + (b * s.S + r) * C;
      if (s.act == GN_SILU) normalizeRow<GN_SILU>(xr, a, bc, yr, C);
      else if (s.act == GN_RELU) normalizeRow<GN_RELU>(xr, a, bc, yr, C);
      else normalizeRow<GN_NONE>(xr, a, bc, yr, C);
    }
  }
  return info.Env().Undefined();
}

// groupNormBackward(dy, x, gamma, beta, scale, shift, dx, dgamma, dbeta, dscale, dshift, [B, S, C, G, act (0 none, 1 SiLU, 2 ReLU)], eps)
// Gradient outputs may be null when the input was absent.
Napi::Value GroupNormBackward(const Napi::CallbackInfo &info) {
  auto env = info.Env();
  F32 dy = f32Arg(info, 0, "dy");
  F32 x = f32Arg(info, 1, "x");
  GnShape s = gnShape(info, 11);
  GnOptional o = gnOptional(info, 2, s);
  F32 dx = f32Arg(info, 6, "dx");
  float *dgamma = isNullish(info, 7) ? nullptr : f32Arg(info, 7, "dgamma").data;
  float *dbeta = isNullish(info, 8) ? nullptr : f32Arg(info, 8, "dbeta").data;
  float *dscale = isNullish(info, 9) ? nullptr : f32Arg(info, 9, "dscale").data;
  float *dshift = isNullish(info, 10) ? nullptr : f32Arg(info, 10, "dshift").data;
  float eps = info[12].As<Napi::Number>().FloatValue();
  const size_t n = size_t(s.B * s.S * s.C);
  if (x.size != n || dy.size != n || dx.size != n) throw Napi::Error::New(env, "evdm native groupNorm grad: sizes do not match the shape");
  std::vector<double> mean, rstd;
  gnStats(s, x.data, eps, mean, rstd);
  std::vector<float> A, Bc;
  gnCoefficients(s, mean, rstd, o.gamma, o.beta, o.scale, o.shift, A, Bc);
  const int64_t P = chunksPerBatch(s), C = s.C;
  const int act = s.act;
  // du = dy * act'(u); pass 1 accumulates per (b, c): sum du and sum du * x.
  std::vector<double> part(size_t(s.B * P * 2 * C), 0.0);
#pragma omp parallel for schedule(static) num_threads(gnThreads(s))
  for (int64_t t = 0; t < s.B * P; t++) {
    const int64_t b = t / P, k = t % P;
    const int64_t s0 = s.S * k / P, s1 = s.S * (k + 1) / P;
    const float *a = &A[size_t(b * C)], *bc = &Bc[size_t(b * C)];
    double *sdu = &part[size_t(t * 2 * C)], *sdux = sdu + C;
    for (int64_t r = s0; r < s1; r++) {
      const float *xr = x.data + (b * s.S + r) * C, *gr = dy.data + (b * s.S + r) * C;
      if (act == GN_SILU) accumulateGrad<GN_SILU>(gr, xr, a, bc, sdu, sdux, C);
      else if (act == GN_RELU) accumulateGrad<GN_RELU>(gr, xr, a, bc, sdu, sdux, C);
      else accumulateGrad<GN_NONE>(gr, xr, a, bc, sdu, sdux, C);
    }
  }
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
        const double sc = o.scale ? 1.0 + o.scale[b * C + c] : 1.0;
        if (dshift) dshift[b * C + c] = float(sdu);
        if (dscale) dscale[b * C + c] = float(ga * sduxh + be * sdu);
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
#pragma omp parallel for schedule(static) num_threads(gnThreads(s))
  for (int64_t t = 0; t < s.B * P; t++) {
    const int64_t b = t / P, k = t % P;
    const int64_t s0 = s.S * k / P, s1 = s.S * (k + 1) / P;
    const float *a = &A[size_t(b * C)], *bc = &Bc[size_t(b * C)];
    const float *pc = &Pc[size_t(b * C)], *qc = &Qc[size_t(b * C)], *rc = &Rc[size_t(b * C)];
    for (int64_t r = s0; r < s1; r++) {
      const float *xr = x.data + (b * s.S + r) * C, *gr = dy.data + (b * s.S + r) * C;
      float *dr = dx.data + (b * s.S + r) * C;
      if (act == GN_SILU) inputGrad<GN_SILU>(gr, xr, a, bc, pc, qc, rc, dr, C);
      else if (act == GN_RELU) inputGrad<GN_RELU>(gr, xr, a, bc, pc, qc, rc, dr, C);
      else inputGrad<GN_NONE>(gr, xr, a, bc, pc, qc, rc, dr, C);
    }
  }
  return env.Undefined();
}

}  // namespace evdm
