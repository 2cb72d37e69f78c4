// Grouped 2-D convolutions on oneDNN (groups = C is the depthwise case): NHWC activations and grouped
// HWIO filters [KH, KW, C/G, OC] (output channel o belongs to group o / (OC/G)), forward with optional
// bias, backward data, backward weights with optional bias gradient. Primitives are cached by shape.
#include "conv_bands.h"
#include <memory>
#include <unordered_map>

namespace evdm {
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

namespace {

enum Kind { FWD = 0, BWD_DATA = 1, BWD_WEIGHTS = 2 };

struct Entry {
  dnnl::primitive prim;
  dnnl::memory src, wUser, dst, bias;  // user-layout memories (src/dst are dx/dy for backward data)
  bool reorderW = false;
  dnnl::memory wInternal;
  dnnl::reorder wReorder;
  dnnl::memory scratch;
};

std::unordered_map<std::string, std::unique_ptr<Entry>> cache;

dnnl::memory none(const dnnl::memory::desc &md) { return dnnl::memory(md, cpuEngine(), DNNL_MEMORY_NONE); }

// The forward primitive for params p (see make) with weights layout `w`.
dnnl::convolution_forward::primitive_desc forwardPd(const std::vector<int64_t> &p, bool bias, const dnnl::memory::desc &w) {
  const int64_t N = p[0], H = p[1], W = p[2], C = p[3], OC = p[6], OH = p[7], OW = p[8];
  dnnl::memory::dims strides = {p[9], p[10]}, dil = {0, 0}, padL = {p[11], p[12]}, padR = {p[13], p[14]};
  dnnl::memory::desc src({N, C, H, W}, dt::f32, tag::nhwc);
  dnnl::memory::desc dst({N, OC, OH, OW}, dt::f32, tag::nhwc);
  dnnl::memory::desc biasMd({OC}, dt::f32, tag::x);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const auto alg = dnnl::algorithm::convolution_direct;
  auto d = bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, src, w, biasMd, dst, strides, dil, padL, padR)
                : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, src, w, dst, strides, dil, padL, padR);
  return dnnl::convolution_forward::primitive_desc(d, attr, cpuEngine());
}

// p: N H W C KH KW OC OH OW sh sw pt pl pb pr G
std::unique_ptr<Entry> make(int kind, const std::vector<int64_t> &p, bool bias) {
  const int64_t N = p[0], H = p[1], W = p[2], C = p[3], KH = p[4], KW = p[5], OC = p[6], OH = p[7], OW = p[8], G = p[15];
  const int64_t I = C / G, O = OC / G;
  dnnl::memory::dims strides = {p[9], p[10]}, dil = {0, 0}, padL = {p[11], p[12]}, padR = {p[13], p[14]};
  auto &eng = cpuEngine();
  dnnl::memory::desc src({N, C, H, W}, dt::f32, tag::nhwc);
  dnnl::memory::desc dst({N, OC, OH, OW}, dt::f32, tag::nhwc);
  // dims (G, O, I, KH, KW) over the grouped HWIO buffer [KH][KW][I][G·O]
  dnnl::memory::desc wUser({G, O, I, KH, KW}, dt::f32, dnnl::memory::dims{O, 1, OC, KW * I * OC, I * OC});
  dnnl::memory::desc wAny({G, O, I, KH, KW}, dt::f32, tag::any);
  dnnl::memory::desc biasMd({OC}, dt::f32, tag::x);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const auto alg = dnnl::algorithm::convolution_direct;
  auto e = std::make_unique<Entry>();
  dnnl::memory::desc wChosen, scratch;
  if (kind == FWD) {
    auto pd = forwardPd(p, bias, wAny);
    e->prim = dnnl::convolution_forward(pd);
    wChosen = pd.weights_desc();
    scratch = pd.scratchpad_desc();
  } else {
    auto fd = bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, src, wAny, biasMd, dst, strides, dil, padL, padR)
                   : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training, alg, src, wAny, dst, strides, dil, padL, padR);
    dnnl::convolution_forward::primitive_desc hint(fd, eng);
    if (kind == BWD_DATA) {
      dnnl::convolution_backward_data::desc d(alg, src, wAny, dst, strides, dil, padL, padR);
      dnnl::convolution_backward_data::primitive_desc pd(d, attr, eng, hint);
      e->prim = dnnl::convolution_backward_data(pd);
      wChosen = pd.weights_desc();
      scratch = pd.scratchpad_desc();
    } else {
      auto d = bias ? dnnl::convolution_backward_weights::desc(alg, src, wAny, biasMd, dst, strides, dil, padL, padR)
                    : dnnl::convolution_backward_weights::desc(alg, src, wAny, dst, strides, dil, padL, padR);
      dnnl::convolution_backward_weights::primitive_desc pd(d, attr, eng, hint);
      e->prim = dnnl::convolution_backward_weights(pd);
      wChosen = pd.diff_weights_desc();
      scratch = pd.scratchpad_desc();
    }
  }
  e->scratch = dnnl::memory(scratch, eng);
  e->src = none(src);
  e->dst = none(dst);
  e->wUser = none(wUser);
  if (bias) e->bias = none(biasMd);
  if (wChosen != wUser) {
    e->reorderW = true;
    e->wInternal = dnnl::memory(wChosen, eng);
    e->wReorder = kind == BWD_WEIGHTS ? dnnl::reorder(e->wInternal, e->wUser) : dnnl::reorder(e->wUser, e->wInternal);
  }
  return e;
}

std::unordered_map<std::string, std::unique_ptr<ConvBands>> bandCache;

std::unique_ptr<ConvBands> makeBands(const std::vector<int64_t> &p, bool bias, const Entry &whole, int ways) {
  const dnnl::memory::desc wMd = whole.reorderW ? whole.wInternal.get_desc() : whole.wUser.get_desc();
  const ConvGeometry g{p[0], p[1], p[2], p[3], p[7], p[8], p[6], p[4], p[9], 1, p[11], p[13]};
  return makeConvBands(g, ways, bias, [&](int64_t n, int64_t h, int64_t oh, int64_t pt, int64_t pb) { return forwardPd(bandParams(p, n, h, oh, pt, pb, 11), bias, wMd); });
}

}  // namespace

void clearGroupedConvCache() {
  cache.clear();
  bandCache.clear();
}
size_t groupedConvCacheSize() { return cache.size(); }

// groupedConv(kind, a, b, bias|null, out, params): kind 0 y = conv(x=a, w=b) [+ bias]; 1 dx = convᵀ(dy=a, w=b);
// 2 dw = out from (x=a, dy=b), and db = bias (written) when given. Throws on sizes that do not match.
Napi::Value GroupedConv(const Napi::CallbackInfo &info) {
  auto env = info.Env();
  const int kind = info[0].As<Napi::Number>().Int32Value();
  F32 a = f32Arg(info, 1, "a");
  F32 b = f32Arg(info, 2, "b");
  const bool hasBias = !isNullish(info, 3);
  F32 bias = hasBias ? f32Arg(info, 3, "bias") : F32{};
  F32 out = f32Arg(info, 4, "out");
  auto p = intsArg(info, 5, "params");
  if (kind < 0 || kind > 2) throw Napi::Error::New(env, "evdm native groupedConv: bad kind");
  if (p.size() != 16) throw Napi::Error::New(env, "evdm native groupedConv: expected 16 parameters");
  for (auto v : p) {
    if (v < 0) throw Napi::Error::New(env, "evdm native groupedConv: negative parameter");
  }
  const int64_t N = p[0], H = p[1], W = p[2], C = p[3], KH = p[4], KW = p[5], OC = p[6], OH = p[7], OW = p[8], G = p[15];
  if (G < 1 || C % G != 0 || OC % G != 0 || p[9] < 1 || p[10] < 1 || N * H * W * C * KH * KW * OC * OH * OW == 0) {
    throw Napi::Error::New(env, "evdm native groupedConv: groups must divide the channels; sizes and strides must be positive");
  }
  const size_t xs = size_t(N * H * W * C), ws = size_t(KH * KW * (C / G) * OC), ys = size_t(N * OH * OW * OC);
  const size_t need[3][3] = {{xs, ws, ys}, {ys, ws, xs}, {xs, ys, ws}};
  if (a.size != need[kind][0] || b.size != need[kind][1] || out.size != need[kind][2] || (hasBias && bias.size != size_t(OC))) {
    throw Napi::Error::New(env, "evdm native groupedConv: tensor sizes do not match the convolution parameters");
  }
  std::vector<int64_t> keyp = p;
  keyp.push_back(hasBias);
  const std::string key = keyOf(kind == FWD ? "gf" : kind == BWD_DATA ? "gd" : "gw", keyp);
  const double flops = 2.0 * double(N) * double(OH) * double(OW) * double(OC) * double(KH) * double(KW) * double(C / G);
  const int ways = kind == FWD && (N > 1 || OH > 1) ? waysForFlops(flops) : 1;
  ThreadScope scope(ways > 1 ? 1 : threadsFor(flops));
  auto it = cache.find(key);
  Entry *e;
  if (it == cache.end()) {
    auto made = make(kind, p, hasBias);
    e = made.get();
    cache.emplace(key, std::move(made));
  } else {
    e = it->second.get();
  }
  if (ways > 1) {
    auto bands = cachedSplit(bandCache, key + "/" + std::to_string(ways), [&] { return makeBands(p, hasBias, *e, ways); });
    if (bands) {
      runConvBands(*bands, a.data, b.data, e->reorderW ? &e->wReorder : nullptr, e->wUser, e->wInternal, hasBias ? bias.data : nullptr, out.data);
      return env.Undefined();
    }
  }
  auto &s = cpuStream();
  std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SCRATCHPAD, e->scratch}};
  if (hasBias) e->bias.set_data_handle(bias.data);
  if (kind == BWD_WEIGHTS) {
    e->src.set_data_handle(a.data);
    e->dst.set_data_handle(b.data);
    e->wUser.set_data_handle(out.data);
    args[DNNL_ARG_SRC] = e->src;
    args[DNNL_ARG_DIFF_DST] = e->dst;
    args[DNNL_ARG_DIFF_WEIGHTS] = e->reorderW ? e->wInternal : e->wUser;
    if (hasBias) args[DNNL_ARG_DIFF_BIAS] = e->bias;
    e->prim.execute(s, args);
    if (e->reorderW) e->wReorder.execute(s, e->wInternal, e->wUser);
  } else {
    e->wUser.set_data_handle(b.data);
    if (e->reorderW) e->wReorder.execute(s, e->wUser, e->wInternal);
    args[DNNL_ARG_WEIGHTS] = e->reorderW ? e->wInternal : e->wUser;
    if (kind == FWD) {
      e->src.set_data_handle(a.data);
      e->dst.set_data_handle(out.data);
      args[DNNL_ARG_SRC] = e->src;
      args[DNNL_ARG_DST] = e->dst;
      if (hasBias) args[DNNL_ARG_BIAS] = e->bias;
    } else {
      e->dst.set_data_handle(a.data);
      e->src.set_data_handle(out.data);
      args[DNNL_ARG_DIFF_DST] = e->dst;
      args[DNNL_ARG_DIFF_SRC] = e->src;
    }
    e->prim.execute(s, args);
  }
  s.wait();
  return env.Undefined();
}

}  // namespace evdm
