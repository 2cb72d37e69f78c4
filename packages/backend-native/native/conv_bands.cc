// Bands of a forward convolution for the worker pool (conv_bands.h).
#include "conv_bands.h"
#include <algorithm>
#include <unordered_map>

namespace evdm {

std::unique_ptr<ConvBands> makeConvBands(const ConvGeometry &g, int ways, bool hasBias, const BandPrimitive &make) {
  auto out = std::make_unique<ConvBands>();
  const int64_t units = g.N > 1 ? g.N : g.OH, P = std::min<int64_t>(units, ways);
  auto &eng = cpuEngine();
  for (int64_t k = 0; k < P; k++) {
    const int64_t u0 = units * k / P, u1 = units * (k + 1) / P;
    int64_t n = g.N, h = g.H, oh = g.OH, pt = g.padTop, pb = g.padBottom, inOff, outOff;
    if (g.N > 1) {
      n = u1 - u0;
      inOff = u0 * g.H * g.W * g.C;
      outOff = u0 * g.OH * g.OW * g.OC;
    } else {
      // input rows [i0, i1) feed output rows [u0, u1); rows outside the image are padding
      const int64_t i0 = u0 * g.strideH - g.padTop, i1 = (u1 - 1) * g.strideH - g.padTop + (g.KH - 1) * g.dilationH + 1;
      h = std::min(g.H, i1) - std::max<int64_t>(0, i0);
      oh = u1 - u0;
      pt = std::max<int64_t>(0, -i0);
      pb = std::max<int64_t>(0, i1 - g.H);
      if (h < 1) return nullptr;
      inOff = std::max<int64_t>(0, i0) * g.W * g.C;
      outOff = u0 * g.OW * g.OC;
    }
    auto pd = make(n, h, oh, pt, pb);
    if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0) return nullptr;  // ~100x slower: not split
    ConvBand b;
    b.prim = dnnl::convolution_forward(pd);
    b.src = dnnl::memory(pd.src_desc(), eng, DNNL_MEMORY_NONE);
    b.w = dnnl::memory(pd.weights_desc(), eng, DNNL_MEMORY_NONE);
    b.dst = dnnl::memory(pd.dst_desc(), eng, DNNL_MEMORY_NONE);
    if (hasBias) b.bias = dnnl::memory(pd.bias_desc(), eng, DNNL_MEMORY_NONE);
    b.scratch = dnnl::memory(pd.scratchpad_desc(), eng);
    b.inOff = inOff;
    b.outOff = outOff;
    out->bands.push_back(std::move(b));
  }
  return out;
}

void runConvBands(ConvBands &bs, const float *x, float *wData, const dnnl::reorder *reorder, dnnl::memory &wUser, dnnl::memory &wInternal,
                  const float *bias, float *y) {
  void *w = wData;
  if (reorder) {
    wUser.set_data_handle(wData);
    reorder->execute(cpuStream(), wUser, wInternal);
    cpuStream().wait();
    w = wInternal.get_data_handle();
  }
  poolRun(int64_t(bs.bands.size()), [&](int64_t k) {
    ConvBand &b = bs.bands[size_t(k)];
    b.src.set_data_handle(const_cast<float *>(x) + b.inOff);
    b.w.set_data_handle(w);
    b.dst.set_data_handle(y + b.outOff);
    std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, b.src}, {DNNL_ARG_WEIGHTS, b.w}, {DNNL_ARG_DST, b.dst}, {DNNL_ARG_SCRATCHPAD, b.scratch}};
    if (bias) {
      b.bias.set_data_handle(const_cast<float *>(bias));
      args[DNNL_ARG_BIAS] = b.bias;
    }
    auto &s = cpuStream();
    b.prim.execute(s, args);
    s.wait();
  });
}

}  // namespace evdm
