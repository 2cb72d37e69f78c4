// Channel gather and its scatter gradient (EvdmChannelGather / EvdmChannelGatherGrad, see
// channelGather in @evdm/core): out[r, j] = scale·(cat[r, perm[j]] (+ cat[r, addPerm[j]]) + addend[r, j])
// over rows r = (b, h, w) of NHWC tensors, cat = the inputs' channels concatenated; one pass over
// memory, rows split over the threads, both terms of a row written while it is in L1.
// A perm is compiled into runs: consecutive channels of one source whose output channels step by a
// constant (a channel shuffle with g groups gives runs of step g; a plain copy, step 1).
#include "common.h"
#include <algorithm>

namespace evdm {

namespace {

struct Run {
  int src;
  int64_t srcStart, outStart, outStep, len;
};

// Marks the concatenated channels `perm` reads in `owner` (one reader per channel over all terms)
// and compiles them into runs.
std::vector<Run> runsOf(const Napi::CallbackInfo &info, const char *what, const std::vector<int64_t> &channels,
                        const std::vector<int64_t> &perm, std::vector<int64_t> &owner) {
  const int64_t total = int64_t(owner.size());
  std::vector<int64_t> inv(size_t(total), -1);
  for (size_t j = 0; j < perm.size(); j++) {
    const int64_t q = perm[j];
    if (q < 0 || q >= total || owner[size_t(q)] >= 0) {
      throw Napi::Error::New(info.Env(), std::string("evdm native channelGather: ") + what + "[" + std::to_string(j) +
                                             "] = " + std::to_string(q) + " is out of range or read twice (" +
                                             std::to_string(total) + " channels)");
    }
    inv[size_t(q)] = owner[size_t(q)] = int64_t(j);
  }
  std::vector<Run> runs;
  int64_t base = 0;
  for (int s = 0; s < int(channels.size()); s++) {
    const int64_t cs = channels[size_t(s)];
    int64_t c = 0;
    while (c < cs) {
      const int64_t o = inv[size_t(base + c)];
      int64_t len = 1;
      if (o < 0) {
        c++;
        continue;
      }
      int64_t step = 1;
      if (c + 1 < cs && inv[size_t(base + c + 1)] > o) step = inv[size_t(base + c + 1)] - o;
      while (c + len < cs && inv[size_t(base + c + len)] == o + len * step) len++;
      runs.push_back({s, c, o, step, len});
      c += len;
    }
    base += cs;
  }
  return runs;
}

// Source channels no term reads (their gradient is 0), as runs (outStart / outStep unused).
std::vector<Run> unreadRuns(const std::vector<int64_t> &channels, const std::vector<int64_t> &owner) {
  std::vector<Run> zeros;
  int64_t base = 0;
  for (int s = 0; s < int(channels.size()); s++) {
    const int64_t cs = channels[size_t(s)];
    for (int64_t c = 0; c < cs;) {
      int64_t len = 0;
      while (c + len < cs && owner[size_t(base + c + len)] < 0) len++;
      if (len > 0) zeros.push_back({s, c, 0, 0, len});
      c += len > 0 ? len : 1;
    }
    base += cs;
  }
  return zeros;
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

// One gather term, compiled: a shuffle form (interleaved contiguous streams) or runs.
struct Term {
  std::vector<Run> runs;
  ShuffleForm f;
  std::vector<Piece> pieces;
  bool direct = false;  // the shuffle form's range lies in one source: read / write it in place
};

Term makeTerm(const Napi::CallbackInfo &info, const char *what, const std::vector<int64_t> &channels,
              const std::vector<int64_t> &perm, std::vector<int64_t> &owner) {
  Term t;
  t.runs = runsOf(info, what, channels, perm, owner);
  t.f = shuffleForm(perm, int64_t(owner.size()));
  if (t.f.ok) {
    t.pieces = piecesOf(channels, t.f.start, int64_t(perm.size()));
    t.direct = t.pieces.size() == 1;
  }
  return t;
}

// Both terms of a call: `perm`, and `addPerm` when given (an Int32Array or null at argument `at`).
struct Terms {
  Term main, add;
  bool hasAdd = false;
  std::vector<Run> zeros;
  int64_t total = 0, cout = 0;
};

Terms makeTerms(const Napi::CallbackInfo &info, const std::vector<int64_t> &channels, const std::vector<int64_t> &perm,
                size_t at) {
  Terms ts;
  for (auto c : channels) {
    if (c <= 0) throw Napi::Error::New(info.Env(), "evdm native channelGather: every input needs channels");
    ts.total += c;
  }
  ts.cout = int64_t(perm.size());
  std::vector<int64_t> owner(size_t(ts.total), -1);
  ts.main = makeTerm(info, "perm", channels, perm, owner);
  ts.hasAdd = !isNullish(info, at);
  if (ts.hasAdd) {
    auto addPerm = intsArg(info, at, "addPerm");
    if (int64_t(addPerm.size()) != ts.cout)
      throw Napi::Error::New(info.Env(), "evdm native channelGather: addPerm must have as many entries as perm");
    ts.add = makeTerm(info, "addPerm", channels, addPerm, owner);
  }
  ts.zeros = unreadRuns(channels, owner);
  return ts;
}

// o = scale·(term(row r) + a); `a` may be null or alias `o`; `stage` holds cout floats.
void gatherRow(const Term &t, const std::vector<F32> &srcs, const std::vector<int64_t> &channels, int64_t r,
               const float *a, float scale, float *o, float *stage) {
  if (t.f.ok) {
    const float *b = stage;
    if (t.direct) {
      b = pieceRow(srcs, channels, t.pieces[0], r);
    } else {
      for (const Piece &pc : t.pieces) std::memcpy(stage + pc.at, pieceRow(srcs, channels, pc, r), size_t(pc.len) * sizeof(float));
    }
    return interleave(t.f.g, b, t.f.per, a, scale, o);
  }
  for (const Run &run : t.runs) {
    const float *s = srcs[size_t(run.src)].data + r * channels[size_t(run.src)] + run.srcStart;
    float *d = o + run.outStart;
    const int64_t st = run.outStep, len = run.len;
    if (a) {
      const float *e = a + run.outStart;
      for (int64_t i = 0; i < len; i++) d[i * st] = scale * (s[i] + e[i * st]);
    } else {
      for (int64_t i = 0; i < len; i++) d[i * st] = scale * s[i];
    }
  }
}

// The term's source channels of row r get scale·g (its adjoint).
void scatterRow(const Term &t, const float *g, float scale, std::vector<F32> &dsrcs, const std::vector<int64_t> &channels,
                int64_t r, float *stage) {
  if (t.f.ok) {
    if (t.direct) return deinterleave(t.f.g, g, t.f.per, scale, pieceRow(dsrcs, channels, t.pieces[0], r));
    deinterleave(t.f.g, g, t.f.per, scale, stage);
    for (const Piece &pc : t.pieces) std::memcpy(pieceRow(dsrcs, channels, pc, r), stage + pc.at, size_t(pc.len) * sizeof(float));
    return;
  }
  for (const Run &run : t.runs) {
    float *d = dsrcs[size_t(run.src)].data + r * channels[size_t(run.src)] + run.srcStart;
    const float *e = g + run.outStart;
    const int64_t st = run.outStep, len = run.len;
    for (int64_t i = 0; i < len; i++) d[i] = scale * e[i * st];
  }
}

// body(lo, hi) over row ranges of a pass touching `elements` output elements (8 bytes each: one
// read, one write): split over the worker pool from its bound, chunks of at least 64 KB.
void rowChunks(int64_t rows, int64_t elements, const std::function<void(int64_t, int64_t)> &body) {
  if (waysForBytes(8.0 * double(elements)) <= 1) {
    body(0, rows);
    return;
  }
  const int64_t perRow = std::max<int64_t>(1, 8 * elements / std::max<int64_t>(1, rows));
  poolRange(rows, std::max<int64_t>(1, 65536 / perRow), 4, body);
}

}  // namespace

// channelGather(srcs, channels, perm, rows, addend|null, out, scale, addPerm|null)
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
  const Terms ts = makeTerms(info, channels, perm, 7);
  for (size_t s = 0; s < srcs.size(); s++) {
    if (int64_t(srcs[s].size) != rows * channels[s]) throw Napi::Error::New(info.Env(), "evdm native channelGather: source " + std::to_string(s) + " size mismatch");
  }
  if (int64_t(out.size) != rows * ts.cout || (hasAdd && add.size != out.size)) {
    throw Napi::Error::New(info.Env(), "evdm native channelGather: output or addend size mismatch");
  }
  const int64_t cout = ts.cout;
  const float *A = add.data;
  float *O = out.data;
  rowChunks(rows, int64_t(out.size) * (ts.hasAdd ? 2 : 1), [&](int64_t lo, int64_t hi) {
    std::vector<float> stage(static_cast<size_t>(cout));
    for (int64_t r = lo; r < hi; r++) {
      float *o = O + r * cout;
      const float *a = hasAdd ? A + r * cout : nullptr;
      if (ts.hasAdd) {
        gatherRow(ts.add, srcs, channels, r, a, 1.f, o, stage.data());
        a = o;  // the second term accumulates while the row is in L1
      }
      gatherRow(ts.main, srcs, channels, r, a, scale, o, stage.data());
    }
  });
  return info.Env().Undefined();
}

// channelScatter(dy, channels, perm, rows, dsrcs, daddend|null, scale, addPerm|null)
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
  const Terms ts = makeTerms(info, channels, perm, 7);
  for (size_t s = 0; s < dsrcs.size(); s++) {
    if (int64_t(dsrcs[s].size) != rows * channels[s]) throw Napi::Error::New(info.Env(), "evdm native channelScatter: gradient " + std::to_string(s) + " size mismatch");
  }
  if (int64_t(dy.size) != rows * ts.cout || (hasAdd && dadd.size != dy.size)) {
    throw Napi::Error::New(info.Env(), "evdm native channelScatter: dy or addend gradient size mismatch");
  }
  const int64_t cout = ts.cout;
  const float *DY = dy.data;
  float *DA = dadd.data;
  const int terms = 1 + (ts.hasAdd ? 1 : 0) + (hasAdd ? 1 : 0);
  rowChunks(rows, int64_t(dy.size) * terms, [&](int64_t lo, int64_t hi) {
    std::vector<float> stage(static_cast<size_t>(cout));
    for (int64_t r = lo; r < hi; r++) {
      const float *g = DY + r * cout;
      scatterRow(ts.main, g, scale, dsrcs, channels, r, stage.data());
      if (ts.hasAdd) scatterRow(ts.add, g, scale, dsrcs, channels, r, stage.data());
      for (const Run &z : ts.zeros) {
        float *d = dsrcs[size_t(z.src)].data + r * channels[size_t(z.src)] + z.srcStart;
        std::fill(d, d + z.len, 0.f);
      }
      if (hasAdd) {
        float *da = DA + r * cout;
#pragma omp simd
        for (int64_t j = 0; j < cout; j++) da[j] = scale * g[j];
      }
    }
  });
  return info.Env().Undefined();
}

}  // namespace evdm
