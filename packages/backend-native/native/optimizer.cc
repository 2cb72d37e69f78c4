// Optimiser passes, one pass over memory each: the Adam step, the EMA update and the squared
// global norm. Same float32 arithmetic as the composed TF.js ops they replace (the addon builds with
// -ffp-contract=off (binding.gyp), so a*b + c is never fused into one multiply-add).
#include "common.h"

namespace evdm {

// adam(param, grad, m, v, paramOut, mOut, vOut, beta1, beta2, lrOverBc1, bc2, eps, clip): one Adam
// step in a single pass, the same float32 arithmetic as the composed update in evdm's Adam:
// g = grad·clip; m' = β1·m + (1−β1)·g; v' = β2·v + (1−β2)·g²; p' = p − (m'·lr/bc1) / (√(v'/bc2) + eps).
Napi::Value Adam(const Napi::CallbackInfo &info) {
  F32 p = f32Arg(info, 0, "param"), g = f32Arg(info, 1, "grad"), m = f32Arg(info, 2, "m"), v = f32Arg(info, 3, "v");
  F32 po = f32Arg(info, 4, "paramOut"), mo = f32Arg(info, 5, "mOut"), vo = f32Arg(info, 6, "vOut");
  const size_t n = p.size;
  if (g.size != n || m.size != n || v.size != n || po.size != n || mo.size != n || vo.size != n) {
    throw Napi::Error::New(info.Env(), "evdm native adam: parameter, gradient and moments differ in size");
  }
  auto num = [&](size_t i) { return info[i].As<Napi::Number>().DoubleValue(); };
  const double beta1 = num(7), beta2 = num(8);
  const float b1 = float(beta1), ob1 = float(1.0 - beta1), b2 = float(beta2), ob2 = float(1.0 - beta2);
  const float lr1 = float(num(9)), bc2 = float(num(10)), eps = float(num(11)), clip = float(num(12));
  const float *P = p.data, *G = g.data, *M = m.data, *V = v.data;
  float *PO = po.data, *MO = mo.data, *VO = vo.data;
#pragma omp parallel for simd num_threads(threadsFor(8.0 * double(n))) schedule(static)
  for (int64_t i = 0; i < int64_t(n); i++) {
    const float gi = G[i] * clip;
    const float mi = M[i] * b1 + gi * ob1;
    const float vi = V[i] * b2 + (gi * gi) * ob2;
    MO[i] = mi;
    VO[i] = vi;
    PO[i] = P[i] - (mi * lr1) / (std::sqrt(vi / bc2) + eps);
  }
  return info.Env().Undefined();
}

// ema(shadow, x, out, rate): out = shadow·rate + x·(1 − rate), rate and 1 − rate rounded to float32
// as TF.js rounds the scalars of mul(shadow, rate) and mul(x, 1 - rate).
Napi::Value Ema(const Napi::CallbackInfo &info) {
  F32 s = f32Arg(info, 0, "shadow"), x = f32Arg(info, 1, "x"), o = f32Arg(info, 2, "out");
  if (x.size != s.size || o.size != s.size) throw Napi::Error::New(info.Env(), "evdm native ema: shadow, x and out differ in size");
  const double rate = info[3].As<Napi::Number>().DoubleValue();
  const float r = float(rate), q = float(1.0 - rate);
  const float *S = s.data, *X = x.data;
  float *O = o.data;
  const int64_t n = int64_t(s.size);
#pragma omp parallel for simd num_threads(threadsForBytes(12.0 * double(n))) schedule(static)
  for (int64_t i = 0; i < n; i++) O[i] = S[i] * r + X[i] * q;
  return info.Env().Undefined();
}

// sumSquares([x0, x1, ...]) -> Σ x² over every element of every array, accumulated in double in a
// fixed order (the same inputs give the same bits on any thread count).
Napi::Value SumSquares(const Napi::CallbackInfo &info) {
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(info.Env(), "evdm native sumSquares: expected an array of Float32Arrays");
  auto arr = info[0].As<Napi::Array>();
  double total = 0.0;
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw Napi::TypeError::New(info.Env(), "evdm native sumSquares: input " + std::to_string(k) + " is not a Float32Array");
    }
    auto fa = v.As<Napi::Float32Array>();
    const float *a = fa.Data();
    const int64_t n = int64_t(fa.ElementLength());
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; i++) s += double(a[i]) * double(a[i]);
    total += s;
  }
  return Napi::Number::New(info.Env(), total);
}

}  // namespace evdm
