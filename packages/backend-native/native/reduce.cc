// Reductions for the cpu host that tfjs-backend-cpu runs as JS loops: AddN (the sum of k same-shape
// tensors, e.g. gradient accumulation and FIR taps) in one blocked pass, Max over any axes, and the
// column sums of Sum over leading axes.
#include "common.h"
#include <omp.h>
#include <algorithm>
#include <limits>

namespace evdm {

// out[c] = Σ_m x[m·C + c] (x [M, C] contiguous): a bias gradient over [B·H·W, C]. Rows are walked
// in blocks of periodOf(C) elements so thin rows (C = 24) still fill whole vectors; float block
// sums flush into double every kFlushBlocks blocks; the rows split over the threads (partial sums per thread).
void columnSums(const float *x, int64_t M, int64_t C, float *out) {
  const int64_t L = periodOf(C), rowsPer = L / C;
  const int64_t blocks = (M + rowsPer - 1) / rowsPer;
  const int T = int(std::min<int64_t>(threadsForBytes(4.0 * double(M) * double(C)), std::max<int64_t>(1, blocks)));
  std::vector<double> part(size_t(T * C), 0.0);
#pragma omp parallel num_threads(T)
  {
    const int t = omp_get_thread_num(), n = omp_get_num_threads();
    std::vector<float> acc(static_cast<size_t>(L));
    std::vector<double> tot(size_t(L), 0.0);
    const int64_t e0 = std::min(M, blocks * t / n * rowsPer) * C, e1 = std::min(M, blocks * (t + 1) / n * rowsPer) * C;
    for (int64_t j0 = e0; j0 < e1; j0 += kFlushBlocks * L) {
      std::fill(acc.begin(), acc.end(), 0.f);
      for (int64_t blk = j0; blk < std::min(e1, j0 + kFlushBlocks * L); blk += L) {
        const float *a = x + blk;
        const int64_t len = std::min(L, e1 - blk);
        float *z = acc.data();
#pragma omp simd
        for (int64_t j = 0; j < len; j++) z[j] += a[j];
      }
      for (int64_t j = 0; j < L; j++) tot[size_t(j)] += acc[size_t(j)];
    }
    for (int64_t j = 0; j < L; j++) part[size_t(t * C + j % C)] += tot[size_t(j)];
  }
  for (int64_t c = 0; c < C; c++) {
    double v = 0;
    for (int t = 0; t < T; t++) v += part[size_t(t * C + c)];
    out[c] = float(v);
  }
}

// Elements per block of AddN: k input blocks + the output block stay in L1/L2 while summed.
static const int64_t ADDN_BLOCK = 4096;

// addN(inputs: Float32Array[], out): out = ((in0 + in1) + in2) + ... in float32, the order (and so
// the rounding) of tfjs' AddN. Every input has out's element count.
Napi::Value AddN(const Napi::CallbackInfo &info) {
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(info.Env(), "evdm native addN: argument 'inputs' must be an array of Float32Arrays");
  auto arr = info[0].As<Napi::Array>();
  F32 o = f32Arg(info, 1, "out");
  const uint32_t k = arr.Length();
  if (k == 0) throw Napi::Error::New(info.Env(), "evdm native addN: needs at least one input");
  std::vector<const float *> in(k);
  for (uint32_t i = 0; i < k; i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw Napi::TypeError::New(info.Env(), "evdm native addN: input " + std::to_string(i) + " is not a Float32Array");
    }
    auto fa = v.As<Napi::Float32Array>();
    if (fa.ElementLength() != o.size) {
      throw Napi::Error::New(info.Env(), "evdm native addN: input " + std::to_string(i) + " has " + std::to_string(fa.ElementLength()) +
                                             " elements, the output " + std::to_string(o.size));
    }
    in[i] = fa.Data();
  }
  const int64_t n = int64_t(o.size);
  const int64_t blocks = (n + ADDN_BLOCK - 1) / ADDN_BLOCK;
  float *z = o.data;
#pragma omp parallel for num_threads(threadsForBytes(4.0 * double(n) * double(k + 1))) schedule(static)
  for (int64_t b = 0; b < blocks; b++) {
    const int64_t lo = b * ADDN_BLOCK, hi = std::min(n, lo + ADDN_BLOCK);
    if (k == 1) {
      std::copy(in[0] + lo, in[0] + hi, z + lo);
      continue;
    }
    const float *x = in[0], *y = in[1];
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) z[i] = x[i] + y[i];
    for (uint32_t j = 2; j < k; j++) {
      const float *w = in[j];
#pragma omp simd
      for (int64_t i = lo; i < hi; i++) z[i] += w[i];
    }
  }
  return info.Env().Undefined();
}

// NaN test on the bits: the addon is built with -ffinite-math-only, where x != x may fold to false.
static inline bool isNanBits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return (u & 0x7fffffffu) > 0x7f800000u;
}

// max(x, outer, reduce, inner, out): x viewed as [outer, reduce, inner] (contiguous), out [outer,
// inner] = max over the middle axis; NaN if any element of the group is NaN (as tfjs' Max).
Napi::Value ReduceMax(const Napi::CallbackInfo &info) {
  F32 x = f32Arg(info, 0, "x");
  const int64_t outer = info[1].As<Napi::Number>().Int64Value(), red = info[2].As<Napi::Number>().Int64Value(),
                inner = info[3].As<Napi::Number>().Int64Value();
  F32 o = f32Arg(info, 4, "out");
  if (outer < 0 || red < 1 || inner < 0 || int64_t(x.size) != outer * red * inner || int64_t(o.size) != outer * inner) {
    throw Napi::Error::New(info.Env(), "evdm native max: x has " + std::to_string(x.size) + " elements, out " + std::to_string(o.size) +
                                           "; not [" + std::to_string(outer) + "," + std::to_string(red) + "," + std::to_string(inner) + "] -> [" +
                                           std::to_string(outer) + "," + std::to_string(inner) + "]");
  }
#pragma omp parallel for num_threads(threadsForBytes(4.0 * double(x.size))) schedule(static)
  for (int64_t a = 0; a < outer; a++) {
    const float *s = x.data + a * red * inner;
    float *z = o.data + a * inner;
    if (inner == 1) {
      float m = s[0];
      bool nan = false;
      for (int64_t r = 0; r < red; r++) {
        m = s[r] > m ? s[r] : m;
        nan = nan || isNanBits(s[r]);
      }
      z[0] = nan ? std::numeric_limits<float>::quiet_NaN() : m;
      continue;
    }
    std::copy(s, s + inner, z);
    for (int64_t r = 1; r < red; r++) {
      const float *row = s + r * inner;
#pragma omp simd
      for (int64_t i = 0; i < inner; i++) z[i] = row[i] > z[i] ? row[i] : z[i];
    }
    // NaN anywhere in a group wins (the loop above may keep either operand of a NaN comparison)
    for (int64_t r = 0; r < red; r++) {
      const float *row = s + r * inner;
      for (int64_t i = 0; i < inner; i++) {
        if (isNanBits(row[i])) z[i] = row[i];
      }
    }
  }
  return info.Env().Undefined();
}

}  // namespace evdm
