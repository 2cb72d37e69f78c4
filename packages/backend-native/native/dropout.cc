// Seeded dropout (EvdmSeededDropout, see seededDropout in @evdm/core): out = x · m where m is 0 or
// `scale` from Alea draws u (seedrandom's generator): kept when float(float(u) + keep) >= 1.
// One pass: the draw, the test and the multiply per element; the gradient is the same call on dy.
// Bit-identical to tf.dropout, so the generator runs in double exactly as the JS one does: no FMA
// contraction of 2091639·s0 + c·2^-32 (the function is compiled with fp-contract off).
#include "common.h"

namespace evdm {

__attribute__((optimize("fp-contract=off"))) static void dropoutPass(const float *x, float *out, size_t n, double s0,
                                                                      double s1, double s2, double c, float keep,
                                                                      float scale) {
  const double twoPowM32 = 2.3283064365386963e-10;
  for (size_t i = 0; i < n; i++) {
    const double t = 2091639.0 * s0 + c * twoPowM32;
    s0 = s1;
    s1 = s2;
    c = double(int32_t(t));  // t in [0, 2091640): JS `t | 0`
    s2 = t - c;
    const float sum = float(s2) + keep;
    out[i] = x[i] * (sum >= 1.f ? scale : 0.f);
  }
}

// seededDropout(x, out, state [s0, s1, s2, c], keep, scale)
Napi::Value SeededDropout(const Napi::CallbackInfo &info) {
  const F32 x = f32Arg(info, 0, "x");
  const F32 out = f32Arg(info, 1, "out");
  if (out.size != x.size) {
    throw Napi::RangeError::New(info.Env(), "evdm native seededDropout: out has " + std::to_string(out.size) +
                                                " elements, x has " + std::to_string(x.size));
  }
  if (info.Length() < 5 || !info[2].IsArray() || !info[3].IsNumber() || !info[4].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "evdm native seededDropout: expected (x, out, state[4], keep, scale)");
  }
  auto st = info[2].As<Napi::Array>();
  if (st.Length() != 4) throw Napi::TypeError::New(info.Env(), "evdm native seededDropout: state must hold [s0, s1, s2, c]");
  double s[4];
  for (uint32_t k = 0; k < 4; k++) s[k] = st.Get(k).As<Napi::Number>().DoubleValue();
  const float keep = float(info[3].As<Napi::Number>().DoubleValue());
  const float scale = float(info[4].As<Napi::Number>().DoubleValue());
  dropoutPass(x.data, out.data, x.size, s[0], s[1], s[2], s[3], keep, scale);
  return info.Env().Undefined();
}

}  // namespace evdm
