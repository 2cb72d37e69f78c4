// 2-D convolutions (NHWC activations, HWIO filters, the tfjs layouts) on oneDNN: forward with
// optional bias + activation, backward data, backward weights. Primitives are cached by shape.
#include "conv_bands.h"
#include <memory>
#include <unordered_map>

namespace evdm {
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

enum ConvKind { CONV_FWD = 0, CONV_BWD_DATA = 1, CONV_BWD_WEIGHTS = 2 };

struct ConvEntry {
  dnnl::primitive prim;
  dnnl::memory a, b, bias, out;  // user-layout memories; data handles are set per call
  bool hasBias = false;
  // weights (fwd, bwd data) or weight gradient (bwd weights) in the primitive's preferred layout
  bool reorderW = false;
  dnnl::memory wInternal;
  dnnl::reorder wReorder;
  dnnl::memory scratch;
  int threads = 1;
};

static std::unordered_map<std::string, std::unique_ptr<ConvEntry>> cache;

void clearConvSplitCache();
void clearConvCache() {
  cache.clear();
  clearConvSplitCache();
}
size_t convCacheSize() { return cache.size(); }

static dnnl::memory noneMemory(const dnnl::memory::desc &md) {
  return dnnl::memory(md, cpuEngine(), DNNL_MEMORY_NONE);
}

// The forward primitive for params p (see makeConv) with the weights layout `w` (tag::any: oneDNN's choice).
static dnnl::convolution_forward::primitive_desc forwardPd(const std::vector<int64_t> &p, bool hasBias, float alpha, const dnnl::memory::desc &w) {
  const int64_t N = p[0], H = p[1], W = p[2], C = p[3], OC = p[6], OH = p[7], OW = p[8];
  dnnl::memory::dims strides = {p[9], p[10]}, dil = {p[11] - 1, p[12] - 1}, padL = {p[13], p[14]}, padR = {p[15], p[16]};
  dnnl::memory::desc src({N, C, H, W}, dt::f32, tag::nhwc);
  dnnl::memory::desc dst({N, OC, OH, OW}, dt::f32, tag::nhwc);
  dnnl::memory::desc biasMd({OC}, dt::f32, tag::x);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::post_ops po;
  if (!appendActivation(po, int(p[17]), alpha)) throw dnnl::error(dnnl_unimplemented, "activation");
  attr.set_post_ops(po);
  const auto alg = dnnl::algorithm::convolution_direct;
  const auto prop = dnnl::prop_kind::forward_inference;
  auto d = hasBias ? dnnl::convolution_forward::desc(prop, alg, src, w, biasMd, dst, strides, dil, padL, padR)
                   : dnnl::convolution_forward::desc(prop, alg, src, w, dst, strides, dil, padL, padR);
  return dnnl::convolution_forward::primitive_desc(d, attr, cpuEngine());
}

// p: N H W C KH KW OC OH OW sh sw dh dw pt pl pb pr act
static std::unique_ptr<ConvEntry> makeConv(int kind, const std::vector<int64_t> &p, bool hasBias, float alpha) {
  const int64_t N = p[0], H = p[1], W = p[2], C = p[3], KH = p[4], KW = p[5], OC = p[6], OH = p[7], OW = p[8];
  dnnl::memory::dims strides = {p[9], p[10]}, dil = {p[11] - 1, p[12] - 1}, padL = {p[13], p[14]}, padR = {p[15], p[16]};
  const int act = int(p[17]);
  auto &eng = cpuEngine();
  dnnl::memory::desc src({N, C, H, W}, dt::f32, tag::nhwc);
  dnnl::memory::desc dst({N, OC, OH, OW}, dt::f32, tag::nhwc);
  dnnl::memory::desc wUser({OC, C, KH, KW}, dt::f32, tag::hwio);
  dnnl::memory::desc wAny({OC, C, KH, KW}, dt::f32, tag::any);
  dnnl::memory::desc biasMd({OC}, dt::f32, tag::x);
  auto e = std::make_unique<ConvEntry>();
  e->hasBias = hasBias;
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  auto alg = dnnl::algorithm::convolution_direct;
  dnnl::memory::desc wChosen;
  if (kind == CONV_FWD) {
    dnnl::post_ops po;
    if (!appendActivation(po, act, alpha)) return nullptr;
    auto pd = forwardPd(p, hasBias, alpha, wAny);
    e->prim = dnnl::convolution_forward(pd);
    wChosen = pd.weights_desc();
    e->a = noneMemory(src);
    e->out = noneMemory(dst);
    if (hasBias) e->bias = noneMemory(biasMd);
    e->scratch = dnnl::memory(pd.scratchpad_desc(), eng);
  } else {
    auto fd = dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, src, wAny, dst, strides, dil, padL, padR);
    dnnl::convolution_forward::primitive_desc hint(fd, eng);
    if (kind == CONV_BWD_DATA) {
      dnnl::convolution_backward_data::desc d(alg, src, wAny, dst, strides, dil, padL, padR);
      dnnl::convolution_backward_data::primitive_desc pd(d, attr, eng, hint);
      e->prim = dnnl::convolution_backward_data(pd);
      wChosen = pd.weights_desc();
      e->a = noneMemory(dst);  // dy
      e->out = noneMemory(src);  // dx
      e->scratch = dnnl::memory(pd.scratchpad_desc(), eng);
    } else {
      // with a bias the pass also reduces dy into its gradient (one read of dy instead of a second Sum)
      auto d = hasBias ? dnnl::convolution_backward_weights::desc(alg, src, wAny, biasMd, dst, strides, dil, padL, padR)
                       : dnnl::convolution_backward_weights::desc(alg, src, wAny, dst, strides, dil, padL, padR);
      dnnl::convolution_backward_weights::primitive_desc pd(d, attr, eng, hint);
      e->prim = dnnl::convolution_backward_weights(pd);
      wChosen = pd.diff_weights_desc();
      e->a = noneMemory(src);  // x
      e->b = noneMemory(dst);  // dy
      if (hasBias) e->bias = noneMemory(biasMd);  // dBias (written)
      e->scratch = dnnl::memory(pd.scratchpad_desc(), eng);
    }
  }
  dnnl::memory wUserMem = noneMemory(wUser);
  if (wChosen != wUser) {
    e->reorderW = true;
    e->wInternal = dnnl::memory(wChosen, eng);
    e->wReorder = kind == CONV_BWD_WEIGHTS ? dnnl::reorder(e->wInternal, wUserMem) : dnnl::reorder(wUserMem, e->wInternal);
  }
  if (kind == CONV_BWD_WEIGHTS) e->out = wUserMem;
  else e->b = wUserMem;
  return e;
}

static std::unordered_map<std::string, std::unique_ptr<ConvBands>> splitCache;

static std::unique_ptr<ConvBands> makeSplit(const std::vector<int64_t> &p, bool hasBias, float alpha, const ConvEntry &whole, int ways) {
  const dnnl::memory::desc wMd = whole.reorderW ? whole.wInternal.get_desc() : whole.b.get_desc();
  const ConvGeometry g{p[0], p[1], p[2], p[3], p[7], p[8], p[6], p[4], p[9], p[11], p[13], p[15]};
  return makeConvBands(g, ways, hasBias, [&](int64_t n, int64_t h, int64_t oh, int64_t pt, int64_t pb) { return forwardPd(bandParams(p, n, h, oh, pt, pb, 13), hasBias, alpha, wMd); });
}

void clearConvSplitCache() { splitCache.clear(); }

// conv(kind, a, b, bias|null, out, params, alpha) -> true, or false when oneDNN has no
// implementation for this configuration (the caller then falls back to the stock kernel).
// Kind 2 (weight gradient): `bias`, when given, receives the bias gradient.
Napi::Value Conv(const Napi::CallbackInfo &info) {
  auto env = info.Env();
  int kind = info[0].As<Napi::Number>().Int32Value();
  F32 a = f32Arg(info, 1, "a");
  F32 b = f32Arg(info, 2, "b");
  bool hasBias = !isNullish(info, 3);
  F32 bias = hasBias ? f32Arg(info, 3, "bias") : F32{};
  F32 out = f32Arg(info, 4, "out");
  auto p = intsArg(info, 5, "params");
  float alpha = info.Length() > 6 && info[6].IsNumber() ? info[6].As<Napi::Number>().FloatValue() : 0.f;
  if (p.size() != 18) throw Napi::Error::New(env, "evdm native conv: expected 18 parameters");
  const int64_t N = p[0], H = p[1], W = p[2], C = p[3], KH = p[4], KW = p[5], OC = p[6], OH = p[7], OW = p[8];
  const size_t xs = size_t(N * H * W * C), ws = size_t(KH * KW * C * OC), ys = size_t(N * OH * OW * OC);
  size_t need[3][3] = {{xs, ws, ys}, {ys, ws, xs}, {xs, ys, ws}};
  if (kind < 0 || kind > 2) throw Napi::Error::New(env, "evdm native conv: bad kind");
  if (a.size != need[kind][0] || b.size != need[kind][1] || out.size != need[kind][2] || (hasBias && bias.size != size_t(OC))) {
    throw Napi::Error::New(env, "evdm native conv: tensor sizes do not match the convolution parameters");
  }
  std::vector<int64_t> keyp = p;
  keyp.push_back(hasBias);
  if (p[17] == ACT_LEAKYRELU) keyp.push_back(int64_t(double(alpha) * 1e9));
  std::string key = keyOf(kind == 0 ? "f" : kind == 1 ? "d" : "w", keyp);
  // oneDNN (OpenMP runtime) partitions work for the thread count current at creation: keep it per primitive.
  const double flops = 2.0 * double(N) * double(OH) * double(OW) * double(OC) * double(KH) * double(KW) * double(C);
  const int ways = kind == CONV_FWD && (N > 1 || OH > 1) ? waysForFlops(flops) : 1;
  ThreadScope scope(ways > 1 ? 1 : threadsFor(flops));
  auto it = cache.find(key);
  ConvEntry *e;
  if (it == cache.end()) {
    std::unique_ptr<ConvEntry> made;
    try {
      made = makeConv(kind, p, hasBias, alpha);
    } catch (const dnnl::error &) {
      made = nullptr;  // unimplemented configuration
    }
    if (!made) return Napi::Boolean::New(env, false);
    e = made.get();
    cache.emplace(key, std::move(made));
  } else {
    e = it->second.get();
  }
  if (ways > 1) {
    auto bands = cachedSplit(splitCache, key + "/" + std::to_string(ways), [&] { return makeSplit(p, hasBias, alpha, *e, ways); });
    if (bands) {
      runConvBands(*bands, a.data, b.data, e->reorderW ? &e->wReorder : nullptr, e->b, e->wInternal, hasBias ? bias.data : nullptr, out.data);
      return Napi::Boolean::New(env, true);
    }
  }
  auto &s = cpuStream();
  e->a.set_data_handle(a.data);
  if (kind == CONV_BWD_WEIGHTS) {
    e->b.set_data_handle(b.data);
    e->out.set_data_handle(out.data);
    dnnl::memory dw = e->reorderW ? e->wInternal : e->out;
    std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, e->a}, {DNNL_ARG_DIFF_DST, e->b}, {DNNL_ARG_DIFF_WEIGHTS, dw}, {DNNL_ARG_SCRATCHPAD, e->scratch}};
    if (e->hasBias) {
      e->bias.set_data_handle(bias.data);
      args[DNNL_ARG_DIFF_BIAS] = e->bias;
    }
    e->prim.execute(s, args);
    if (e->reorderW) e->wReorder.execute(s, e->wInternal, e->out);
  } else {
    e->b.set_data_handle(b.data);
    e->out.set_data_handle(out.data);
    dnnl::memory w = e->b;
    if (e->reorderW) {
      e->wReorder.execute(s, e->b, e->wInternal);
      w = e->wInternal;
    }
    if (kind == CONV_FWD) {
      std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, e->out}, {DNNL_ARG_SCRATCHPAD, e->scratch}};
      if (e->hasBias) {
        e->bias.set_data_handle(bias.data);
        args[DNNL_ARG_BIAS] = e->bias;
      }
      e->prim.execute(s, args);
    } else {
      e->prim.execute(s, {{DNNL_ARG_DIFF_DST, e->a}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, e->out}, {DNNL_ARG_SCRATCHPAD, e->scratch}});
    }
  }
  s.wait();
  return Napi::Boolean::New(env, true);
}

}  // namespace evdm
