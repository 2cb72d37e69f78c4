// Seeded dropout (EvdmSeededDropout, see seededDropout in @evdm/core): out = x · m, m = 0 when
// hash(i) >> 8 < threshold else `scale`, where hash(i) = mix(mix(i ^ k0) ^ k1) is a counter-based
// hash of the element index (mix = the bijective "lowbias32" mixer). No loop-carried state: the loop
// vectorises, and the gradient is the same call on dy. Must match dropoutMask in @evdm/core bit for bit.
#include "common.h"

namespace evdm {

static inline uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

// seededDropout(x, out, keys [k0, k1], threshold, scale)
Napi::Value SeededDropout(const Napi::CallbackInfo &info) {
  const F32 x = f32Arg(info, 0, "x");
  const F32 out = f32Arg(info, 1, "out");
  if (out.size != x.size) {
    throw Napi::RangeError::New(info.Env(), "evdm native seededDropout: out has " + std::to_string(out.size) +
                                                " elements, x has " + std::to_string(x.size));
  }
  if (x.size >= (size_t(1) << 32)) throw Napi::RangeError::New(info.Env(), "evdm native seededDropout: more than 2^32 elements");
  if (info.Length() < 5 || !info[2].IsArray() || !info[3].IsNumber() || !info[4].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "evdm native seededDropout: expected (x, out, keys[2], threshold, scale)");
  }
  auto ks = info[2].As<Napi::Array>();
  if (ks.Length() != 2) throw Napi::TypeError::New(info.Env(), "evdm native seededDropout: keys must hold [k0, k1]");
  const uint32_t k0 = uint32_t(ks.Get(0u).As<Napi::Number>().Int64Value());
  const uint32_t k1 = uint32_t(ks.Get(1u).As<Napi::Number>().Int64Value());
  const uint32_t threshold = uint32_t(info[3].As<Napi::Number>().Int64Value());
  const float scale = float(info[4].As<Napi::Number>().DoubleValue());
  const float *xs = x.data;
  float *o = out.data;
  const int64_t n = int64_t(x.size);
#pragma omp parallel for simd num_threads(threadsForBytes(8.0 * double(n))) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    const uint32_t h = mix32(mix32(uint32_t(i) ^ k0) ^ k1);
    o[i] = xs[i] * ((h >> 8) < threshold ? 0.f : scale);
  }
  return info.Env().Undefined();
}

}  // namespace evdm
