// A forward convolution cut into bands the worker pool (pool.h) runs at once: whole images when the
// batch has several, else bands of output rows, each reading its input rows plus the halo, with the
// image's padding only where the band touches the image's edge. Every band takes the whole
// convolution's weights layout, so the weights are reordered once per call (by the caller).
#pragma once
#include "common.h"
#include <functional>
#include <memory>
#include <vector>

namespace evdm {

struct ConvGeometry {
  int64_t N, H, W, C, OH, OW, OC, KH, strideH, dilationH, padTop, padBottom;
};

// The primitive of one band: n images of h input rows -> oh output rows, padding top / bottom.
using BandPrimitive = std::function<dnnl::convolution_forward::primitive_desc(int64_t n, int64_t h, int64_t oh, int64_t padTop, int64_t padBottom)>;

struct ConvBand {
  dnnl::primitive prim;
  dnnl::memory src, w, dst, bias, scratch;
  int64_t inOff, outOff;
};
struct ConvBands {
  std::vector<ConvBand> bands;
};

// Params of one band of a convolution whose params `p` start N H W C KH KW OC OH (both the plain and
// the grouped layout) and hold the top / bottom padding at padIndex / padIndex + 2.
inline std::vector<int64_t> bandParams(std::vector<int64_t> p, int64_t n, int64_t h, int64_t oh, int64_t padTop, int64_t padBottom,
                                       size_t padIndex) {
  p[0] = n;
  p[1] = h;
  p[7] = oh;
  p[padIndex] = padTop;
  p[padIndex + 2] = padBottom;
  return p;
}

// `ways` bands (fewer when the rows run out); null when a band would fall to oneDNN's reference kernel.
std::unique_ptr<ConvBands> makeConvBands(const ConvGeometry &g, int ways, bool hasBias, const BandPrimitive &make);
// Runs every band over the pool. `w` holds the user's weights; when the bands' layout differs,
// `reorder` (non-null) first copies them from `wUser` (its handle set to w) into `wInternal`.
void runConvBands(ConvBands &b, const float *x, float *w, const dnnl::reorder *reorder, dnnl::memory &wUser, dnnl::memory &wInternal,
                  const float *bias, float *y);

}  // namespace evdm
