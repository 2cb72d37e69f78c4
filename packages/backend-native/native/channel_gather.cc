// Channel gather and its scatter gradient (EvdmChannelGather / EvdmChannelGatherGrad, see
// channelGather in @evdm/core): out[r, j] = scale·(src_{s(j)}[r, c(j)] + addend[r, j]) over rows
// r = (b, h, w) of NHWC tensors; one pass over memory, rows split over the threads.
// perm is compiled into runs: consecutive channels of one source whose output channels step by a
// constant (a channel shuffle with g groups gives runs of step g; a plain copy, step 1).
#include "common.h"
#include <algorithm>

namespace evdm {

namespace {

struct Run {
  int src;
  int64_t srcStart, outStart, outStep, len;
};

struct Plan {
  std::vector<Run> runs;
  std::vector<Run> zeros;  // source channels perm never reads (their gradient is 0); outStep unused
  std::vector<int64_t> channels;
  int64_t total = 0;
  int64_t cout = 0;
};

Plan makePlan(const Napi::CallbackInfo &info, const std::vector<int64_t> &channels, const std::vector<int64_t> &perm) {
  Plan p;
  p.channels = channels;
  for (auto c : channels) {
    if (c <= 0) throw Napi::Error::New(info.Env(), "evdm native channelGather: every input needs channels");
    p.total += c;
  }
  p.cout = int64_t(perm.size());
  std::vector<int64_t> inv(size_t(p.total), -1);
  for (size_t j = 0; j < perm.size(); j++) {
    const int64_t q = perm[j];
    if (q < 0 || q >= p.total || inv[size_t(q)] >= 0) {
      throw Napi::Error::New(info.Env(), "evdm native channelGather: perm[" + std::to_string(j) + "] = " + std::to_string(q) +
                                             " is out of range or repeated (" + std::to_string(p.total) + " channels)");
    }
    inv[size_t(q)] = int64_t(j);
  }
  int64_t base = 0;
  for (int s = 0; s < int(channels.size()); s++) {
    const int64_t cs = channels[size_t(s)];
    int64_t c = 0;
    while (c < cs) {
      const int64_t o = inv[size_t(base + c)];
      int64_t len = 1;
      if (o < 0) {
        while (c + len < cs && inv[size_t(base + c + len)] < 0) len++;
        p.zeros.push_back({s, c, 0, 0, len});
      } else {
        int64_t step = 1;
        if (c + 1 < cs && inv[size_t(base + c + 1)] > o) step = inv[size_t(base + c + 1)] - o;
        while (c + len < cs && inv[size_t(base + c + len)] == o + len * step) len++;
        p.runs.push_back({s, c, o, step, len});
      }
      c += len;
    }
    base += cs;
  }
  return p;
}

std::vector<F32> f32List(const Napi::CallbackInfo &info, size_t i, const char *what) {
  if (i >= info.Length() || !info[i].IsArray()) {
    throw Napi::TypeError::New(info.Env(), std::string("evdm native: argument '") + what + "' must be an array of Float32Arrays");
  }
  auto arr = info[i].As<Napi::Array>();
  std::vector<F32> out;
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr.Get(k);
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw Napi::TypeError::New(info.Env(), std::string("evdm native: ") + what + "[" + std::to_string(k) + "] must be a Float32Array");
    }
    auto fa = v.As<Napi::Float32Array>();
    out.push_back(F32{fa.Data(), fa.ElementLength()});
  }
  return out;
}

// perm[k·g + q] = start + q·per + k for every output channel j = k·g + q (n = g·per outputs): a
// g-group channel shuffle of the concatenated channels [start, start + n), or (g = 1) a plain channel
// range. Every BRP gather has this form (Split output, bottleneck slice, block output); for g in
// {1, 2, 4, 8} it runs as an interleave of g contiguous streams, which vectorises, instead of
// per-run strided stores (about one element per cycle).
struct ShuffleForm {
  bool ok = false;
  int64_t start = 0, g = 1, per = 0;
};

ShuffleForm shuffleForm(const std::vector<int64_t> &perm, int64_t total) {
  ShuffleForm f;
  const int64_t n = int64_t(perm.size());
  if (n == 0) return f;
  f.start = perm[0];
  if (n == 1 || perm[1] == f.start + 1) {
    f.g = 1;
  } else {
    const int64_t per = perm[1] - f.start;
    if (per <= 0 || n % per != 0) return f;
    f.g = n / per;
  }
  f.per = n / f.g;
  if (f.start < 0 || f.start + n > total) return f;
  for (int64_t j = 0; j < n; j++) {
    if (perm[size_t(j)] != f.start + (j % f.g) * f.per + j / f.g) return f;
  }
  f.ok = f.g == 1 || f.g == 2 || f.g == 4 || f.g == 8;
  return f;
}

// A piece of the concatenated range [start, start + n): `len` channels of source `src` from
// channel `srcOff`, at offset `at` of the range.
struct Piece {
  int src;
  int64_t srcOff, len, at;
};

// Row r of a piece's channels in its source (an input, or an input's gradient).
inline float *pieceRow(const std::vector<F32> &arrays, const std::vector<int64_t> &channels, const Piece &pc, int64_t r) {
  return arrays[size_t(pc.src)].data + r * channels[size_t(pc.src)] + pc.srcOff;
}

std::vector<Piece> piecesOf(const std::vector<int64_t> &channels, int64_t start, int64_t n) {
  std::vector<Piece> out;
  int64_t base = 0;
  for (int s = 0; s < int(channels.size()); s++) {
    const int64_t lo = std::max(start, base), hi = std::min(start + n, base + channels[size_t(s)]);
    if (hi > lo) out.push_back({s, lo - base, hi - lo, lo - start});
    base += channels[size_t(s)];
  }
  return out;
}

// o[k·G + q] = f(b[q·per + k]) (+ addend): G contiguous input streams interleaved into one row.
template <int G>
void interleaveRow(const float *b, int64_t per, const float *a, float scale, float *o) {
  if (a) {
#pragma omp simd
    for (int64_t k = 0; k < per; k++) {
      for (int q = 0; q < G; q++) o[k * G + q] = scale * (b[q * per + k] + a[k * G + q]);
    }
  } else if (scale == 1.f) {
#pragma omp simd
    for (int64_t k = 0; k < per; k++) {
      for (int q = 0; q < G; q++) o[k * G + q] = b[q * per + k];
    }
  } else {
#pragma omp simd
    for (int64_t k = 0; k < per; k++) {
      for (int q = 0; q < G; q++) o[k * G + q] = scale * b[q * per + k];
    }
  }
}

// The adjoint: d[q·per + k] = scale · g[k·G + q] (G interleaved streams split apart).
template <int G>
void deinterleaveRow(const float *g, int64_t per, float scale, float *d) {
#pragma omp simd
  for (int64_t k = 0; k < per; k++) {
    for (int q = 0; q < G; q++) d[q * per + k] = scale * g[k * G + q];
  }
}

void interleave(int64_t G, const float *b, int64_t per, const float *a, float scale, float *o) {
  switch (G) {
    case 1: return interleaveRow<1>(b, per, a, scale, o);
    case 2: return interleaveRow<2>(b, per, a, scale, o);
    case 4: return interleaveRow<4>(b, per, a, scale, o);
    default: return interleaveRow<8>(b, per, a, scale, o);
  }
}

void deinterleave(int64_t G, const float *g, int64_t per, float scale, float *d) {
  switch (G) {
    case 1: return deinterleaveRow<1>(g, per, scale, d);
    case 2: return deinterleaveRow<2>(g, per, scale, d);
    case 4: return deinterleaveRow<4>(g, per, scale, d);
    default: return deinterleaveRow<8>(g, per, scale, d);
  }
}

// The rest of a scatter row: zeros for the source channels perm never reads, and the addend's
// gradient (scale · dy) when there is one.
void scatterRowTail(const Plan &p, std::vector<F32> &dsrcs, int64_t r, float *da, const float *g, float scale) {
  for (const Run &z : p.zeros) {
    float *d = dsrcs[size_t(z.src)].data + r * p.channels[size_t(z.src)] + z.srcStart;
    std::fill(d, d + z.len, 0.f);
  }
  if (da) {
#pragma omp simd
    for (int64_t j = 0; j < p.cout; j++) da[j] = scale * g[j];
  }
}

// bytes a gather moves per output element (one read, one write)
int threadsForElements(int64_t n) { return threadsForBytes(8.0 * double(n)); }

}  // namespace

// channelGather(srcs, channels, perm, rows, addend|null, out, scale)
Napi::Value ChannelGather(const Napi::CallbackInfo &info) {
  auto srcs = f32List(info, 0, "srcs");
  auto channels = intsArg(info, 1, "channels");
  auto perm = intsArg(info, 2, "perm");
  const int64_t rows = info[3].As<Napi::Number>().Int64Value();
  const bool hasAdd = !isNullish(info, 4);
  F32 add = hasAdd ? f32Arg(info, 4, "addend") : F32{};
  F32 out = f32Arg(info, 5, "out");
  const float scale = info[6].As<Napi::Number>().FloatValue();
  if (srcs.size() != channels.size()) throw Napi::Error::New(info.Env(), "evdm native channelGather: one channel count per source");
  Plan p = makePlan(info, channels, perm);
  for (size_t s = 0; s < srcs.size(); s++) {
    if (int64_t(srcs[s].size) != rows * channels[s]) throw Napi::Error::New(info.Env(), "evdm native channelGather: source " + std::to_string(s) + " size mismatch");
  }
  if (int64_t(out.size) != rows * p.cout || (hasAdd && add.size != out.size)) {
    throw Napi::Error::New(info.Env(), "evdm native channelGather: output or addend size mismatch");
  }
  const int64_t cout = p.cout;
  const float *A = add.data;
  float *O = out.data;
  const ShuffleForm f = shuffleForm(perm, p.total);
  if (f.ok) {
    const std::vector<Piece> pieces = piecesOf(channels, f.start, cout);
    const bool direct = pieces.size() == 1;  // the range lies in one source: read it in place
#pragma omp parallel num_threads(threadsForElements(int64_t(out.size)))
    {
      std::vector<float> stage(direct ? 0 : size_t(cout));
#pragma omp for schedule(static)
      for (int64_t r = 0; r < rows; r++) {
        const float *b;
        if (direct) {
          b = pieceRow(srcs, channels, pieces[0], r);
        } else {
          for (const Piece &pc : pieces) {
            std::memcpy(stage.data() + pc.at, pieceRow(srcs, channels, pc, r), size_t(pc.len) * sizeof(float));
          }
          b = stage.data();
        }
        interleave(f.g, b, f.per, hasAdd ? A + r * cout : nullptr, scale, O + r * cout);
      }
    }
    return info.Env().Undefined();
  }
#pragma omp parallel for num_threads(threadsForElements(int64_t(out.size))) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    float *o = O + r * cout;
    const float *a = hasAdd ? A + r * cout : nullptr;
    for (const Run &run : p.runs) {
      const float *s = srcs[size_t(run.src)].data + r * p.channels[size_t(run.src)] + run.srcStart;
      float *d = o + run.outStart;
      const int64_t st = run.outStep, len = run.len;
      if (a) {
        const float *e = a + run.outStart;
        for (int64_t i = 0; i < len; i++) d[i * st] = scale * (s[i] + e[i * st]);
      } else if (scale == 1.f) {
        for (int64_t i = 0; i < len; i++) d[i * st] = s[i];
      } else {
        for (int64_t i = 0; i < len; i++) d[i * st] = scale * s[i];
      }
    }
  }
  return info.Env().Undefined();
}

// channelScatter(dy, channels, perm, rows, dsrcs, daddend|null, scale)
Napi::Value ChannelScatter(const Napi::CallbackInfo &info) {
  F32 dy = f32Arg(info, 0, "dy");
  auto channels = intsArg(info, 1, "channels");
  auto perm = intsArg(info, 2, "perm");
  const int64_t rows = info[3].As<Napi::Number>().Int64Value();
  auto dsrcs = f32List(info, 4, "dsrcs");
  const bool hasAdd = !isNullish(info, 5);
  F32 dadd = hasAdd ? f32Arg(info, 5, "daddend") : F32{};
  const float scale = info[6].As<Napi::Number>().FloatValue();
  if (dsrcs.size() != channels.size()) throw Napi::Error::New(info.Env(), "evdm native channelScatter: one channel count per gradient");
  Plan p = makePlan(info, channels, perm);
  for (size_t s = 0; s < dsrcs.size(); s++) {
    if (int64_t(dsrcs[s].size) != rows * channels[s]) throw Napi::Error::New(info.Env(), "evdm native channelScatter: gradient " + std::to_string(s) + " size mismatch");
  }
  if (int64_t(dy.size) != rows * p.cout || (hasAdd && dadd.size != dy.size)) {
    throw Napi::Error::New(info.Env(), "evdm native channelScatter: dy or addend gradient size mismatch");
  }
  const int64_t cout = p.cout;
  const float *DY = dy.data;
  float *DA = dadd.data;
  const ShuffleForm f = shuffleForm(perm, p.total);
  if (f.ok) {
    const std::vector<Piece> pieces = piecesOf(channels, f.start, cout);
    const bool direct = pieces.size() == 1;
#pragma omp parallel num_threads(threadsForElements(int64_t(dy.size) * (hasAdd ? 2 : 1)))
    {
      std::vector<float> stage(direct ? 0 : size_t(cout));
#pragma omp for schedule(static)
      for (int64_t r = 0; r < rows; r++) {
        const float *g = DY + r * cout;
        if (direct) {
          deinterleave(f.g, g, f.per, scale, pieceRow(dsrcs, channels, pieces[0], r));
        } else {
          deinterleave(f.g, g, f.per, scale, stage.data());
          for (const Piece &pc : pieces) {
            std::memcpy(pieceRow(dsrcs, channels, pc, r), stage.data() + pc.at, size_t(pc.len) * sizeof(float));
          }
        }
        scatterRowTail(p, dsrcs, r, hasAdd ? DA + r * cout : nullptr, g, scale);
      }
    }
    return info.Env().Undefined();
  }
#pragma omp parallel for num_threads(threadsForElements(int64_t(dy.size) * (hasAdd ? 2 : 1))) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *g = DY + r * cout;
    for (const Run &run : p.runs) {
      float *d = dsrcs[size_t(run.src)].data + r * p.channels[size_t(run.src)] + run.srcStart;
      const float *e = g + run.outStart;
      const int64_t st = run.outStep, len = run.len;
      for (int64_t i = 0; i < len; i++) d[i] = scale * e[i * st];
    }
    scatterRowTail(p, dsrcs, r, hasAdd ? DA + r * cout : nullptr, g, scale);
  }
  return info.Env().Undefined();
}

}  // namespace evdm
