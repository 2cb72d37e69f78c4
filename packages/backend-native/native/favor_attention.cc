// FAVOR+ attention over heads packed in channels (EvdmFavorAttention / EvdmFavorAttentionGrad, see
// favorAttentionHeads in @evdm/attention-mixed): q, k [B, L, H·d], v [B, L, H·dv], projection [m, d],
// out [B, L, H·dv]; head h owns channels [h·d, (h+1)·d). Per (batch, head) slice:
//   phi(x) = exp(x·W' − |x|²/(2√d) − c − ln(m)/2) + ε/√m,   W' = W·d^-¼,
//   out = (phi(Q)·C) / (phi(Q)·s),   C = phi(K)ᵀV [m, dv],   s = phi(K)ᵀ1 [m],
// with c (gradient-stopped) 0, the max of x·W' or the max of the whole exponent: per row for queries,
// per slice for keys. Each slice is packed into contiguous buffers padded to whole 16-float vectors
// (padding zero, so it adds nothing to any sum) and runs as small register-blocked products on one
// thread; the slices run on the threads. The backward pass recomputes phi(K), C and s.
#include "common.h"
#include <algorithm>
#include <cfloat>
#include <type_traits>

namespace evdm {

namespace {

constexpr int64_t V = 16;  // floats per vector block (one AVX-512 register; two AVX2 ones)
inline int64_t padded(int64_t n) { return (n + V - 1) / V * V; }

enum Stabilizer { STAB_NONE = 0, STAB_PERFORMER = 1, STAB_EXPONENT = 2 };

struct Shape {
  int64_t B, L, H, d, dv, m;
  int64_t dp, dvp, mp;  // padded widths
  int stab;
  float epsTerm;       // ε/√m
  float logRootM;      // ln(m)/2
  float halfInvRootD;  // 1/(2√d)
  float invRootD;      // 1/√d
};

Shape shapeOf(const Napi::CallbackInfo &info, size_t pi, size_t ei) {
  const auto p = intsArg(info, pi, "params");
  if (p.size() != 7) throw Napi::Error::New(info.Env(), "evdm native favorAttention: params must be [B, L, heads, d, dv, m, stabilizer]");
  Shape s{};
  s.B = p[0], s.L = p[1], s.H = p[2], s.d = p[3], s.dv = p[4], s.m = p[5], s.stab = int(p[6]);
  if (s.B <= 0 || s.L <= 0 || s.H <= 0 || s.d <= 0 || s.dv <= 0 || s.m <= 0 || s.stab < 0 || s.stab > 2)
    throw Napi::Error::New(info.Env(), "evdm native favorAttention: sizes must be positive and the stabilizer 0, 1 or 2");
  if (ei >= info.Length() || !info[ei].IsNumber()) throw Napi::TypeError::New(info.Env(), "evdm native favorAttention: epsilon must be a number");
  const double eps = info[ei].As<Napi::Number>().DoubleValue();
  s.dp = padded(s.d), s.dvp = padded(s.dv), s.mp = padded(s.m);
  s.epsTerm = float(eps / std::sqrt(double(s.m)));
  s.logRootM = float(0.5 * std::log(double(s.m)));
  s.halfInvRootD = float(0.5 / std::sqrt(double(s.d)));
  s.invRootD = float(1.0 / std::sqrt(double(s.d)));
  return s;
}

void checkSize(const Napi::CallbackInfo &info, const F32 &t, size_t want, const char *what) {
  if (t.size != want)
    throw Napi::Error::New(info.Env(), std::string("evdm native favorAttention: ") + what + " has " + std::to_string(t.size) +
                                           " elements, expected " + std::to_string(want));
}

using Buf = std::vector<float>;
inline Buf zeros(int64_t n) { return Buf(static_cast<size_t>(n), 0.f); }

// out[r, c:c+CH·V] = Σ_k in[r, k]·w[k, c:c+CH·V] for R rows: R·CH accumulators in registers, so each
// k costs CH vector loads and R broadcasts for R·CH fused multiply-adds.
template <int R, int CH>
inline void gemmRowsTile(const float *in, int64_t ldIn, int64_t K, const float *w, int64_t N, int64_t c, float *out, int64_t ldOut) {
  float acc[R][CH][V] = {};
  for (int64_t k = 0; k < K; k++) {
    const float *wk = w + k * N + c;
    for (int r = 0; r < R; r++) {
      const float x = in[r * ldIn + k];
      for (int h = 0; h < CH; h++) {
#pragma omp simd
        for (int64_t j = 0; j < V; j++) acc[r][h][j] = std::fma(x, wk[h * V + j], acc[r][h][j]);
      }
    }
  }
  for (int r = 0; r < R; r++) std::memcpy(out + r * ldOut + c, acc[r], sizeof acc[r]);
}

// Calls f(std::integral_constant<int, CH>{}, c) over [0, N) (a multiple of V) in column blocks of up
// to 4 vectors, so each tile's accumulator count is a compile-time constant.
template <class F>
inline void forColumnBlocks(int64_t N, F &&f) {
  for (int64_t c = 0; c < N;) {
    switch (std::min<int64_t>((N - c) / V, 4)) {
      case 4: f(std::integral_constant<int, 4>{}, c); c += 4 * V; break;
      case 3: f(std::integral_constant<int, 3>{}, c); c += 3 * V; break;
      case 2: f(std::integral_constant<int, 2>{}, c); c += 2 * V; break;
      default: f(std::integral_constant<int, 1>{}, c); c += V; break;
    }
  }
}

template <int R>
inline void gemmRowsBlock(const float *in, int64_t ldIn, int64_t K, const float *w, int64_t N, float *out, int64_t ldOut) {
  forColumnBlocks(N, [&](auto ch, int64_t c) { gemmRowsTile<R, decltype(ch)::value>(in, ldIn, K, w, N, c, out, ldOut); });
}

// out[r, 0:N] = Σ_k in[r, k]·w[k, 0:N] for `rows` rows (in: row stride ldIn, K columns; w: [K, N],
// N a multiple of V; out: row stride ldOut, N by default).
void gemmRows(const float *in, int64_t ldIn, int64_t rows, int64_t K, const float *w, int64_t N, float *out, int64_t ldOut = 0) {
  if (ldOut == 0) ldOut = N;
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) gemmRowsBlock<4>(in + r * ldIn, ldIn, K, w, N, out + r * ldOut, ldOut);
  for (; r < rows; r++) gemmRowsBlock<1>(in + r * ldIn, ldIn, K, w, N, out + r * ldOut, ldOut);
}

// out[i:i+4, c:c+CH·V] = Σ_l a[l, i:i+4]ᵀ·b[l, c:c+CH·V].
template <int CH>
inline void gemmTNTile(const float *a, int64_t L, int64_t M, const float *b, int64_t ldb, int64_t N, int64_t i, int64_t c, float *out) {
  float acc[4][CH][V] = {};
  for (int64_t l = 0; l < L; l++) {
    const float *bl = b + l * ldb + c;
    const float *al = a + l * M + i;
    for (int r = 0; r < 4; r++) {
      const float x = al[r];
      for (int h = 0; h < CH; h++) {
#pragma omp simd
        for (int64_t j = 0; j < V; j++) acc[r][h][j] = std::fma(x, bl[h * V + j], acc[r][h][j]);
      }
    }
  }
  for (int r = 0; r < 4; r++) std::memcpy(out + (i + r) * N + c, acc[r], sizeof acc[r]);
}

// out[M, N] = aᵀ·b for a [L, M] and b [L, N] with row stride ldb (M a multiple of 4, N of V).
void gemmTN(const float *a, int64_t L, int64_t M, const float *b, int64_t ldb, int64_t N, float *out) {
  for (int64_t i = 0; i < M; i += 4)
    forColumnBlocks(N, [&](auto ch, int64_t c) { gemmTNTile<decltype(ch)::value>(a, L, M, b, ldb, N, i, c, out); });
}

// Column sums of a [L, N] (N a multiple of V).
void columnSum(const float *a, int64_t L, int64_t N, float *out) {
  for (int64_t c = 0; c < N; c += V) {
    float acc[V] = {};
    for (int64_t l = 0; l < L; l++) {
#pragma omp simd
      for (int64_t j = 0; j < V; j++) acc[j] += a[l * N + c + j];
    }
    std::memcpy(out + c, acc, sizeof acc);
  }
}

// Copies a strided [L, n] slice into a contiguous [L, np] buffer with zero padding.
void pack(const float *src, int64_t stride, int64_t L, int64_t n, int64_t np, float *dst) {
  for (int64_t l = 0; l < L; l++) {
    std::memcpy(dst + l * np, src + l * stride, sizeof(float) * size_t(n));
    std::fill(dst + l * np + n, dst + (l + 1) * np, 0.f);
  }
}

// Writes the first n columns of a contiguous [L, np] buffer into a strided slice.
void unpack(const float *src, int64_t np, int64_t L, int64_t n, float *dst, int64_t stride) {
  for (int64_t l = 0; l < L; l++) std::memcpy(dst + l * stride, src + l * np, sizeof(float) * size_t(n));
}

// The projection shared by every slice: W' [mp, dp] and W'ᵀ [dp, mp], zero-padded.
struct Projection {
  Buf wd, wdT;
};

Projection projectionOf(const Shape &s, const float *w) {
  const float sc = float(std::pow(double(s.d), -0.25));
  Projection p{zeros(s.mp * s.dp), zeros(s.mp * s.dp)};
  for (int64_t r = 0; r < s.m; r++)
    for (int64_t i = 0; i < s.d; i++) {
      p.wd[size_t(r * s.dp + i)] = w[r * s.d + i] * sc;
      p.wdT[size_t(i * s.mp + r)] = w[r * s.d + i] * sc;
    }
  return p;
}

// phi [L, mp] of rows x [L, d] (row stride ldx) (queries: per-row stabiliser; keys: per-slice). Padding columns 0.
void features(const Shape &s, const float *x, int64_t ldx, const Projection &p, bool perRow, float *phi) {
  const int64_t L = s.L, m = s.m, mp = s.mp;
  gemmRows(x, ldx, L, s.d, p.wdT.data(), mp, phi);
  Buf rowMax(static_cast<size_t>(L));
  float sliceMax = -FLT_MAX;
  for (int64_t l = 0; l < L; l++) {
    float *e = phi + l * mp;
    const float *xl = x + l * ldx;
    float norm = 0.f;
#pragma omp simd reduction(+ : norm)
    for (int64_t i = 0; i < s.d; i++) norm += xl[i] * xl[i];
    float maxProj = -FLT_MAX, maxExp = -FLT_MAX;
    const float half = norm * s.halfInvRootD;
#pragma omp simd reduction(max : maxProj, maxExp)
    for (int64_t r = 0; r < m; r++) {
      maxProj = std::max(maxProj, e[r]);
      e[r] -= half;
      maxExp = std::max(maxExp, e[r]);
    }
    const float c = s.stab == STAB_PERFORMER ? maxProj : s.stab == STAB_EXPONENT ? maxExp : 0.f;
    rowMax[size_t(l)] = c;
    sliceMax = std::max(sliceMax, c);
  }
  const float eps = s.epsTerm;
  for (int64_t l = 0; l < L; l++) {
    const float shift = (perRow || s.stab == STAB_NONE ? rowMax[size_t(l)] : sliceMax) + s.logRootM;
    float *e = phi + l * mp;
#pragma omp simd
    for (int64_t r = 0; r < m; r++) e[r] = expVec(e[r] - shift) + eps;
    std::fill(e + m, e + mp, 0.f);
  }
}

// Scratch memory of the calling thread, grown on demand and kept (OpenMP threads persist): fresh
// allocations of this size page-fault on every call, which costs more than the arithmetic here.
float *scratch(size_t n) {
  thread_local std::vector<float> arena;
  if (arena.size() < n) arena.resize(n);
  return arena.data();
}

// Per-slice working set: q, k, v read in place (row strides ldq, ldv; v packed with zero padding when
// dv is not a whole number of vectors); in the thread's scratch: features, C = phiKᵀV [mp, dvp],
// ks = phiKᵀ1 [mp], then `extra` floats for the caller. Every buffer is fully written before it is read.
struct Slice {
  const float *q = nullptr, *k = nullptr, *v = nullptr;
  int64_t ldq = 0, ldv = 0;
  float *vPacked, *phiQ, *phiK, *C, *ks, *extra;
  Slice(const Shape &s, int64_t extraFloats) {
    const int64_t sizes[] = {s.dv == s.dvp ? 0 : s.L * s.dvp, s.L * s.mp, s.L * s.mp, s.mp * s.dvp, s.mp, extraFloats};
    int64_t total = 0;
    for (auto n : sizes) total += padded(n);
    float *base = scratch(static_cast<size_t>(total));
    float **slots[] = {&vPacked, &phiQ, &phiK, &C, &ks, &extra};
    for (int i = 0; i < 6; i++) {
      *slots[i] = base;
      base += padded(sizes[i]);
    }
  }
};

void forwardSlice(const Shape &s, const Projection &p, const float *q, const float *k, const float *v, Slice &w) {
  const int64_t qStride = s.H * s.d, vStride = s.H * s.dv;
  w.q = q, w.k = k, w.ldq = qStride;
  if (s.dv == s.dvp) {
    w.v = v, w.ldv = vStride;
  } else {
    pack(v, vStride, s.L, s.dv, s.dvp, w.vPacked);
    w.v = w.vPacked, w.ldv = s.dvp;
  }
  features(s, w.k, w.ldq, p, false, w.phiK);
  features(s, w.q, w.ldq, p, true, w.phiQ);
  gemmTN(w.phiK, s.L, s.mp, w.v, w.ldv, s.dvp, w.C);
  columnSum(w.phiK, s.L, s.mp, w.ks);
}

// den[l] = phiQ[l]·ks
void denominators(const Shape &s, const Slice &w, float *den) {
  for (int64_t l = 0; l < s.L; l++) {
    const float *pl = w.phiQ + l * s.mp;
    float acc = 0.f;
#pragma omp simd reduction(+ : acc)
    for (int64_t r = 0; r < s.mp; r++) acc += pl[r] * w.ks[r];
    den[l] = acc;
  }
}

// dx = dE·W' − rowsum(dE)·x/√d for x [L, d] (row stride ldx); written into the strided slice.
void exponentGrad(const Shape &s, const float *dE, const float *x, int64_t ldx, const Projection &p, float *dx, float *tmp) {
  gemmRows(dE, s.mp, s.L, s.mp, p.wd.data(), s.dp, tmp);
  const int64_t stride = s.H * s.d;
  for (int64_t l = 0; l < s.L; l++) {
    const float *e = dE + l * s.mp;
    float total = 0.f;
#pragma omp simd reduction(+ : total)
    for (int64_t r = 0; r < s.m; r++) total += e[r];
    const float k = total * s.invRootD;
    const float *xl = x + l * ldx;
    const float *t = tmp + l * s.dp;
    float *o = dx + l * stride;
#pragma omp simd
    for (int64_t i = 0; i < s.d; i++) o[i] = t[i] - k * xl[i];
  }
}

// t = aᵀ for a [rows, cols].
void transpose(const float *a, int64_t rows, int64_t cols, float *t) {
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
}

// Runs body(lo, hi) over ranges of the B·H slices: one range per way of the worker pool when the
// pass (`passes` products of its size) is worth splitting, else all of them on the caller.
void forSlices(const Shape &s, double passes, const std::function<void(int64_t, int64_t)> &body) {
  const double flops = passes * double(s.B * s.H) * double(s.L) * double(s.mp) * double(s.dp + s.dvp);
  const int64_t slices = s.B * s.H;
  poolRange(slices, waysForFlops(flops) > 1 ? 1 : slices, 1, body);
}

}  // namespace

// favorForward(q, k, v, projection, out, params [B, L, heads, d, dv, m, stabilizer], epsilon)
Napi::Value FavorForward(const Napi::CallbackInfo &info) {
  const F32 q = f32Arg(info, 0, "q"), k = f32Arg(info, 1, "k"), v = f32Arg(info, 2, "v"), w = f32Arg(info, 3, "projection");
  const F32 out = f32Arg(info, 4, "out");
  const Shape s = shapeOf(info, 5, 6);
  const size_t rows = size_t(s.B * s.L);
  checkSize(info, q, rows * size_t(s.H * s.d), "q");
  checkSize(info, k, rows * size_t(s.H * s.d), "k");
  checkSize(info, v, rows * size_t(s.H * s.dv), "v");
  checkSize(info, w, size_t(s.m * s.d), "projection");
  checkSize(info, out, rows * size_t(s.H * s.dv), "out");
  const Projection p = projectionOf(s, w.data);
  const int64_t slices = s.B * s.H, qStride = s.H * s.d, vStride = s.H * s.dv;
  forSlices(s, 4, [&](int64_t lo, int64_t hi) {
    Slice ws(s, s.L * s.dvp + s.L);
    float *num = ws.extra, *den = ws.extra + s.L * s.dvp;
    for (int64_t sl = lo; sl < hi; sl++) {
      const int64_t b = sl / s.H, h = sl % s.H;
      const int64_t qOff = b * s.L * qStride + h * s.d, vOff = b * s.L * vStride + h * s.dv;
      forwardSlice(s, p, q.data + qOff, k.data + qOff, v.data + vOff, ws);
      // the numerator straight into the output when its rows are whole vectors, else via num
      const bool direct = s.dv == s.dvp;
      float *o0 = out.data + vOff;
      gemmRows(ws.phiQ, s.mp, s.L, s.mp, ws.C, s.dvp, direct ? o0 : num, direct ? vStride : s.dvp);
      denominators(s, ws, den);
      for (int64_t l = 0; l < s.L; l++) {
        const float inv = 1.f / den[l];
        float *o = o0 + l * vStride;
        const float *nl = direct ? o : num + l * s.dvp;
#pragma omp simd
        for (int64_t j = 0; j < s.dv; j++) o[j] = nl[j] * inv;
      }
    }
  });
  return info.Env().Undefined();
}

// favorBackward(q, k, v, projection, dy, dq, dk, dv, params, epsilon): gradients of q, k and v.
// With out = num/den: dnum = g/den, dden = −(g·out)/den; dphiQ = dnum·Cᵀ + dden·ksᵀ;
// dC = phiQᵀ·dnum, dks = phiQᵀ·dden; dphiK = V·dCᵀ + 1·dksᵀ, dV = phiK·dC; dE = dphi ⊙ (phi − ε/√m).
Napi::Value FavorBackward(const Napi::CallbackInfo &info) {
  const F32 q = f32Arg(info, 0, "q"), k = f32Arg(info, 1, "k"), v = f32Arg(info, 2, "v"), w = f32Arg(info, 3, "projection");
  const F32 dy = f32Arg(info, 4, "dy"), dq = f32Arg(info, 5, "dq"), dk = f32Arg(info, 6, "dk"), dvOut = f32Arg(info, 7, "dv");
  const Shape s = shapeOf(info, 8, 9);
  const size_t rows = size_t(s.B * s.L);
  for (const auto &[t, what] : {std::pair{q, "q"}, {k, "k"}, {dq, "dq"}, {dk, "dk"}}) checkSize(info, t, rows * size_t(s.H * s.d), what);
  for (const auto &[t, what] : {std::pair{v, "v"}, {dy, "dy"}, {dvOut, "dv"}}) checkSize(info, t, rows * size_t(s.H * s.dv), what);
  checkSize(info, w, size_t(s.m * s.d), "projection");
  const Projection p = projectionOf(s, w.data);
  const int64_t slices = s.B * s.H, qStride = s.H * s.d, vStride = s.H * s.dv;
  const int64_t L = s.L, mp = s.mp, dvp = s.dvp;
  forSlices(s, 12, [&](int64_t lo, int64_t hi) {
    const int64_t tmpN = L * std::max(s.dp, dvp);
    Slice ws(s, 2 * L * dvp + 2 * L + L * mp + mp * dvp + mp + tmpN + 2 * mp * dvp);
    float *num = ws.extra, *g = num + L * dvp, *den = g + L * dvp, *dden = den + L, *dphi = dden + L;
    float *dC = dphi + L * mp, *dks = dC + mp * dvp, *tmp = dks + mp, *CT = tmp + tmpN, *dCT = CT + mp * dvp;
    for (int64_t sl = lo; sl < hi; sl++) {
      const int64_t b = sl / s.H, h = sl % s.H;
      const int64_t qOff = b * L * qStride + h * s.d, vOff = b * L * vStride + h * s.dv;
      forwardSlice(s, p, q.data + qOff, k.data + qOff, v.data + vOff, ws);
      gemmRows(ws.phiQ, mp, L, mp, ws.C, dvp, num);
      denominators(s, ws, den);
      pack(dy.data + vOff, vStride, L, s.dv, dvp, g);
      // g becomes dnum = g/den in place; dden = −(g·num)/den²
      for (int64_t l = 0; l < L; l++) {
        const float inv = 1.f / den[l];
        float *gl = g + l * dvp;
        const float *nl = num + l * dvp;
        float gn = 0.f;
#pragma omp simd reduction(+ : gn)
        for (int64_t j = 0; j < dvp; j++) gn += gl[j] * nl[j];
        dden[l] = -gn * inv * inv;
#pragma omp simd
        for (int64_t j = 0; j < dvp; j++) gl[j] *= inv;
      }
      // query side
      transpose(ws.C, mp, dvp, CT);
      gemmRows(g, dvp, L, dvp, CT, mp, dphi);
      for (int64_t l = 0; l < L; l++) {
        float *dl = dphi + l * mp;
        const float *pl = ws.phiQ + l * mp;
        const float dd = dden[l];
#pragma omp simd
        for (int64_t r = 0; r < s.m; r++) dl[r] = (dl[r] + dd * ws.ks[r]) * (pl[r] - s.epsTerm);
        std::fill(dl + s.m, dl + mp, 0.f);
      }
      exponentGrad(s, dphi, ws.q, ws.ldq, p, dq.data + qOff, tmp);
      gemmTN(ws.phiQ, L, mp, g, dvp, dvp, dC);
      std::fill(dks, dks + mp, 0.f);
      for (int64_t l = 0; l < L; l++) {
        const float *pl = ws.phiQ + l * mp;
        const float dd = dden[l];
#pragma omp simd
        for (int64_t r = 0; r < mp; r++) dks[r] += pl[r] * dd;
      }
      // key side
      gemmRows(ws.phiK, mp, L, mp, dC, dvp, tmp);
      unpack(tmp, dvp, L, s.dv, dvOut.data + vOff, vStride);
      transpose(dC, mp, dvp, dCT);
      gemmRows(ws.v, ws.ldv, L, s.dv, dCT, mp, dphi);
      for (int64_t l = 0; l < L; l++) {
        float *dl = dphi + l * mp;
        const float *pl = ws.phiK + l * mp;
#pragma omp simd
        for (int64_t r = 0; r < s.m; r++) dl[r] = (dl[r] + dks[r]) * (pl[r] - s.epsTerm);
        std::fill(dl + s.m, dl + mp, 0.f);
      }
      exponentGrad(s, dphi, ws.k, ws.ldq, p, dk.data + qOff, tmp);
    }
  });
  return info.Env().Undefined();
}

}  // namespace evdm
