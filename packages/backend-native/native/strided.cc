// Memory-bound kernels for the cpu host, where tfjs-backend-cpu runs them as per-element JS index
// arithmetic: strided copies (Slice, SplitV, Unpack, Transpose, PadV2, Concat), broadcasting binary
// ops, unary ops and a strided sum. Every operand is described by a shape and per-operand element
// strides (0 = broadcast / reduced dim); adjacent dims that are contiguous for every operand are
// merged so the inner loop is as long as possible.
#include "common.h"
#include <cmath>
#include <omp.h>

namespace evdm {

static const int MAXD = 10;

struct Nd {
  int n = 0;
  int nops = 0;
  int64_t shape[MAXD];
  int64_t st[3][MAXD];
  int64_t base[3] = {0, 0, 0};
};

static Nd makeNd(const Napi::CallbackInfo &info, const std::vector<int64_t> &shape, std::vector<std::vector<int64_t>> strides) {
  if (shape.size() > size_t(MAXD)) throw Napi::Error::New(info.Env(), "evdm native: rank too large");
  Nd d;
  d.nops = int(strides.size());
  for (auto &s : strides) {
    if (s.size() != shape.size()) throw Napi::Error::New(info.Env(), "evdm native: stride/shape rank mismatch");
  }
  // drop size-1 dims, merge contiguous neighbours
  for (size_t k = 0; k < shape.size(); k++) {
    if (shape[k] == 1) continue;
    if (d.n > 0) {
      bool merge = true;
      for (int o = 0; o < d.nops; o++) merge = merge && d.st[o][d.n - 1] == strides[o][k] * shape[k];
      if (merge) {
        d.shape[d.n - 1] *= shape[k];
        for (int o = 0; o < d.nops; o++) d.st[o][d.n - 1] = strides[o][k];
        continue;
      }
    }
    d.shape[d.n] = shape[k];
    for (int o = 0; o < d.nops; o++) d.st[o][d.n] = strides[o][k];
    d.n++;
  }
  if (d.n == 0) {
    d.n = 1;
    d.shape[0] = 1;
    for (int o = 0; o < d.nops; o++) d.st[o][0] = 1;
  }
  return d;
}

// Steps the outer-dim index `idx` (all dims but the innermost) and the operands' offsets to the next row.
static inline void nextRow(const Nd &d, int64_t *idx, int64_t *off) {
  for (int k = d.n - 2; k >= 0; k--) {
    idx[k]++;
    for (int o = 0; o < d.nops; o++) off[o] += d.st[o][k];
    if (idx[k] < d.shape[k]) return;
    for (int o = 0; o < d.nops; o++) off[o] -= d.st[o][k] * d.shape[k];
    idx[k] = 0;
  }
}

// Calls f(off[3], len, stride[3]) for every innermost row.
template <class F>
static void forEachRow(const Nd &d, F f) {
  int64_t idx[MAXD] = {0};
  int64_t off[3] = {d.base[0], d.base[1], d.base[2]};
  const int last = d.n - 1;
  int64_t rows = 1;
  for (int k = 0; k < last; k++) rows *= d.shape[k];
  int64_t ist[3] = {d.st[0][last], d.nops > 1 ? d.st[1][last] : 0, d.nops > 2 ? d.st[2][last] : 0};
  for (int64_t r = 0; r < rows; r++) {
    f(off, d.shape[last], ist);
    nextRow(d, idx, off);
  }
}

// forEachRow over `threads` threads: the rows (and, when there are too few rows to share, pieces
// of each row) are split into contiguous ranges, one per thread. Only for ops whose rows write
// disjoint outputs (copies, elementwise ops), not for reductions into a shared output.
template <class F>
static void forEachRowPar(const Nd &d, int threads, F f) {
  const int last = d.n - 1;
  int64_t rows = 1;
  for (int k = 0; k < last; k++) rows *= d.shape[k];
  const int64_t len = d.shape[last];
  if (threads <= 1 || rows * len < 2048) {
    forEachRow(d, f);
    return;
  }
  // pieces per row: enough units for every thread, each piece at least 1024 elements long
  const int64_t pieces = rows >= 4 * threads ? 1 : std::max<int64_t>(1, std::min<int64_t>((4 * threads + rows - 1) / rows, len / 1024));
  const int64_t plen = (len + pieces - 1) / pieces;
  const int64_t units = rows * pieces;
  int64_t ist[3] = {d.st[0][last], d.nops > 1 ? d.st[1][last] : 0, d.nops > 2 ? d.st[2][last] : 0};
  // a few chunks per way: the caller takes part, and a late worker still finds some left
  const int64_t T = std::min<int64_t>(units, 4 * int64_t(threads));
  poolRun(T, [&](int64_t t) {
    int64_t u = units * t / T;
    const int64_t uEnd = units * (t + 1) / T;
    // position of the first row of this range
    int64_t r = u / pieces, idx[MAXD] = {0}, off[3] = {d.base[0], d.base[1], d.base[2]};
    for (int64_t k = last - 1, rem = r; k >= 0; k--) {
      idx[k] = rem % d.shape[k];
      rem /= d.shape[k];
      for (int o = 0; o < d.nops; o++) off[o] += idx[k] * d.st[o][k];
    }
    while (u < uEnd) {
      for (int64_t p = u % pieces; p < pieces && u < uEnd; p++, u++) {
        const int64_t a = p * plen, n = std::min(plen, len - a);
        if (n <= 0) continue;
        int64_t o2[3] = {off[0] + a * ist[0], off[1] + a * ist[1], off[2] + a * ist[2]};
        f(o2, n, ist);
      }
      nextRow(d, idx, off);
    }
  });
}

static void checkRange(const Napi::CallbackInfo &info, const Nd &d, int o, size_t size) {
  int64_t lo = d.base[o], hi = d.base[o];
  for (int k = 0; k < d.n; k++) {
    int64_t ext = d.st[o][k] * (d.shape[k] - 1);
    if (ext < 0) lo += ext;
    else hi += ext;
  }
  if (lo < 0 || hi >= int64_t(size)) throw Napi::Error::New(info.Env(), "evdm native: strided access out of the tensor's bounds");
}

// Row-major element strides of `shape`; `total` gets the element count.
static std::vector<int64_t> contiguousStrides(const std::vector<int64_t> &shape, int64_t &total) {
  std::vector<int64_t> st(shape.size());
  total = 1;
  for (int k = int(shape.size()) - 1; k >= 0; k--) {
    st[size_t(k)] = total;
    total *= shape[size_t(k)];
  }
  return st;
}

// copy(src, srcOffset, srcStrides, dst, dstOffset, dstStrides, shape)
Napi::Value StridedCopy(const Napi::CallbackInfo &info) {
  F32 src = f32Arg(info, 0, "src");
  int64_t so = info[1].As<Napi::Number>().Int64Value();
  auto ss = intsArg(info, 2, "srcStrides");
  F32 dst = f32Arg(info, 3, "dst");
  int64_t dof = info[4].As<Napi::Number>().Int64Value();
  auto ds = intsArg(info, 5, "dstStrides");
  auto shape = intsArg(info, 6, "shape");
  for (auto v : shape) if (v == 0) return info.Env().Undefined();
  Nd d = makeNd(info, shape, {ss, ds});
  // A short innermost dim (e.g. the 2 of a channel shuffle [.., C/2, 2]) would make every row a
  // 2-element loop: run the longer next-to-last dim innermost instead.
  if (d.n >= 2 && d.shape[d.n - 1] < 8 && d.shape[d.n - 2] > d.shape[d.n - 1]) {
    const int a = d.n - 2, b = d.n - 1;
    std::swap(d.shape[a], d.shape[b]);
    for (int o = 0; o < d.nops; o++) std::swap(d.st[o][a], d.st[o][b]);
  }
  d.base[0] = so;
  d.base[1] = dof;
  checkRange(info, d, 0, src.size);
  checkRange(info, d, 1, dst.size);
  const float *s = src.data;
  float *o = dst.data;
  int64_t count = 1;
  for (auto v : shape) count *= v;
  forEachRowPar(d, waysForBytes(8.0 * double(count)), [&](const int64_t *off, int64_t len, const int64_t *st) {
    const float *a = s + off[0];
    float *b = o + off[1];
    if (st[0] == 1 && st[1] == 1) {
      std::copy(a, a + len, b);
    } else {
      for (int64_t i = 0; i < len; i++) b[i * st[1]] = a[i * st[0]];
    }
  });
  return info.Env().Undefined();
}

// fill(dst, value)
Napi::Value Fill(const Napi::CallbackInfo &info) {
  F32 dst = f32Arg(info, 0, "dst");
  float v = info[1].As<Napi::Number>().FloatValue();
  const int64_t n = int64_t(dst.size);
  float *d = dst.data;
#pragma omp parallel for simd num_threads(threadsForBytes(4.0 * double(n))) schedule(static)
  for (int64_t i = 0; i < n; i++) d[i] = v;
  return info.Env().Undefined();
}

enum BinOp { ADD = 0, SUB = 1, MUL = 2, DIV = 3, MAX = 4, MIN = 5, SQDIFF = 6 };

template <int OP>
static inline float bin(float a, float b) {
  if (OP == ADD) return a + b;
  if (OP == SUB) return a - b;
  if (OP == MUL) return a * b;
  if (OP == DIV) return a / b;
  if (OP == MAX) return a > b ? a : b;
  if (OP == MIN) return a < b ? a : b;
  return (a - b) * (a - b);
}

template <int OP>
static void binaryRun(const Nd &d, int threads, const float *a, const float *b, float *o) {
  forEachRowPar(d, threads, [&](const int64_t *off, int64_t len, const int64_t *st) {
    const float *x = a + off[0], *y = b + off[1];
    float *z = o + off[2];
    if (st[0] == 1 && st[1] == 1) {
#pragma omp simd
      for (int64_t i = 0; i < len; i++) z[i] = bin<OP>(x[i], y[i]);
    } else if (st[0] == 1 && st[1] == 0) {
      const float yv = *y;
#pragma omp simd
      for (int64_t i = 0; i < len; i++) z[i] = bin<OP>(x[i], yv);
    } else if (st[0] == 0 && st[1] == 1) {
      const float xv = *x;
#pragma omp simd
      for (int64_t i = 0; i < len; i++) z[i] = bin<OP>(xv, y[i]);
    } else {
      for (int64_t i = 0; i < len; i++) z[i] = bin<OP>(x[i * st[0]], y[i * st[1]]);
    }
  });
}

// binary(op, a, aStrides, b, bStrides, out, outShape); out is contiguous
Napi::Value Binary(const Napi::CallbackInfo &info) {
  int op = info[0].As<Napi::Number>().Int32Value();
  F32 a = f32Arg(info, 1, "a");
  auto as = intsArg(info, 2, "aStrides");
  F32 b = f32Arg(info, 3, "b");
  auto bs = intsArg(info, 4, "bStrides");
  F32 o = f32Arg(info, 5, "out");
  auto shape = intsArg(info, 6, "shape");
  int64_t acc = 0;
  const std::vector<int64_t> os = contiguousStrides(shape, acc);
  if (acc == 0) return info.Env().Undefined();
  if (size_t(acc) != o.size) throw Napi::Error::New(info.Env(), "evdm native binary: output size mismatch");
  Nd d = makeNd(info, shape, {as, bs, os});
  checkRange(info, d, 0, a.size);
  checkRange(info, d, 1, b.size);
  const int threads = waysForBytes(12.0 * double(acc));
  switch (op) {
    case ADD: binaryRun<ADD>(d, threads, a.data, b.data, o.data); break;
    case SUB: binaryRun<SUB>(d, threads, a.data, b.data, o.data); break;
    case MUL: binaryRun<MUL>(d, threads, a.data, b.data, o.data); break;
    case DIV: binaryRun<DIV>(d, threads, a.data, b.data, o.data); break;
    case MAX: binaryRun<MAX>(d, threads, a.data, b.data, o.data); break;
    case MIN: binaryRun<MIN>(d, threads, a.data, b.data, o.data); break;
    case SQDIFF: binaryRun<SQDIFF>(d, threads, a.data, b.data, o.data); break;
    default: throw Napi::Error::New(info.Env(), "evdm native binary: unknown op");
  }
  return info.Env().Undefined();
}

enum UnOp { SQRT = 0, SQUARE = 1, RELU = 2, NEG = 3, EXP = 4, SIGMOID = 5, RSQRT = 6, ABS = 7, FLOOR = 8, STEP = 9 };

// unary(op, x, out[, alpha]) (alpha: Step's value for x <= 0)
Napi::Value Unary(const Napi::CallbackInfo &info) {
  int op = info[0].As<Napi::Number>().Int32Value();
  F32 x = f32Arg(info, 1, "x");
  F32 o = f32Arg(info, 2, "out");
  if (x.size != o.size) throw Napi::Error::New(info.Env(), "evdm native unary: size mismatch");
  const float *a = x.data;
  float *z = o.data;
  const int64_t n = int64_t(x.size);
  if (op < SQRT || op > STEP) throw Napi::Error::New(info.Env(), "evdm native unary: unknown op");
  const float alpha = op == STEP && info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().FloatValue() : 0.f;
  auto run = [&](int64_t lo, int64_t hi) {
    switch (op) {
      case SQRT:
#pragma omp simd
        for (int64_t i = lo; i < hi; i++) z[i] = std::sqrt(a[i]);
        break;
      case SQUARE:
#pragma omp simd
        for (int64_t i = lo; i < hi; i++) z[i] = a[i] * a[i];
        break;
      case RELU:
#pragma omp simd
        for (int64_t i = lo; i < hi; i++) z[i] = a[i] > 0.f ? a[i] : 0.f;
        break;
      case NEG:
#pragma omp simd
        for (int64_t i = lo; i < hi; i++) z[i] = -a[i];
        break;
      case EXP:
#pragma omp simd
        for (int64_t i = lo; i < hi; i++) z[i] = expVec(a[i]);
        break;
      case SIGMOID:
#pragma omp simd
        for (int64_t i = lo; i < hi; i++) z[i] = sigmoidVec(a[i]);
        break;
      case RSQRT:
#pragma omp simd
        for (int64_t i = lo; i < hi; i++) z[i] = 1.f / std::sqrt(a[i]);
        break;
      case ABS:
#pragma omp simd
        for (int64_t i = lo; i < hi; i++) z[i] = std::fabs(a[i]);
        break;
      case FLOOR:
#pragma omp simd
        for (int64_t i = lo; i < hi; i++) z[i] = std::floor(a[i]);
        break;
      case STEP: {
        for (int64_t i = lo; i < hi; i++) z[i] = a[i] != a[i] ? a[i] : (a[i] > 0.f ? 1.f : alpha);
        break;
      }
      default: break;
    }
  };
  poolRange(n, waysForBytes(8.0 * double(n)) > 1 ? 8192 : n, 4, run);
  return info.Env().Undefined();
}

// sum(x, shape, outStrides, out): out[sum_k i_k * outStrides_k] += x[i] (x contiguous; reduced
// dims have out stride 0). Accumulates in float into a zeroed out.
Napi::Value StridedSum(const Napi::CallbackInfo &info) {
  F32 x = f32Arg(info, 0, "x");
  auto shape = intsArg(info, 1, "shape");
  auto ost = intsArg(info, 2, "outStrides");
  F32 o = f32Arg(info, 3, "out");
  int64_t acc = 0;
  const std::vector<int64_t> xs = contiguousStrides(shape, acc);
  std::fill(o.data, o.data + o.size, 0.f);
  if (acc == 0) return info.Env().Undefined();
  if (size_t(acc) != x.size) throw Napi::Error::New(info.Env(), "evdm native sum: input size mismatch");
  // leading axes reduced, the trailing ones kept contiguously: column sums of [M, C]
  size_t k = 0;
  while (k < shape.size() && ost[k] == 0) k++;
  bool columns = k > 0 && k < shape.size();
  for (size_t q = k; columns && q < shape.size(); q++) columns = ost[q] == xs[q];
  if (columns) {
    const int64_t C = xs[k - 1];
    if (int64_t(o.size) != C) throw Napi::Error::New(info.Env(), "evdm native sum: output size mismatch");
    columnSums(x.data, acc / C, C, o.data);
    return info.Env().Undefined();
  }
  Nd d = makeNd(info, shape, {xs, ost});
  checkRange(info, d, 1, o.size);
  forEachRow(d, [&](const int64_t *off, int64_t len, const int64_t *st) {
    const float *a = x.data + off[0];
    float *z = o.data + off[1];
    if (st[1] == 0) {
      float s = 0.f;
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < len; i++) s += a[i];
      *z += s;
    } else if (st[1] == 1) {
#pragma omp simd
      for (int64_t i = 0; i < len; i++) z[i] += a[i];
    } else {
      for (int64_t i = 0; i < len; i++) z[i * st[1]] += a[i];
    }
  });
  return info.Env().Undefined();
}

// softmax(x, out, cols): softmax over contiguous rows of `cols` elements (tfjs' Softmax is always
// over the last axis). Max-subtracted, accumulated in double so long rows keep their precision.
Napi::Value Softmax(const Napi::CallbackInfo &info) {
  F32 x = f32Arg(info, 0, "x");
  F32 o = f32Arg(info, 1, "out");
  const int64_t cols = info[2].As<Napi::Number>().Int64Value();
  if (x.size != o.size) throw Napi::Error::New(info.Env(), "evdm native softmax: size mismatch");
  if (cols <= 0 || int64_t(x.size) % cols != 0) throw Napi::Error::New(info.Env(), "evdm native softmax: row length does not divide the size");
  const int64_t rows = int64_t(x.size) / cols;
  // ~10 flops per element (exp); large attention maps split their rows over the threads
#pragma omp parallel for num_threads(threadsFor(10.0 * double(x.size))) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *a = x.data + r * cols;
    float *z = o.data + r * cols;
    float m = a[0];
    for (int64_t i = 1; i < cols; i++) m = a[i] > m ? a[i] : m;
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < cols; i++) {
      z[i] = expVec(a[i] - m);
      s += z[i];
    }
    const float inv = float(1.0 / s);
#pragma omp simd
    for (int64_t i = 0; i < cols; i++) z[i] *= inv;
  }
  return info.Env().Undefined();
}

}  // namespace evdm
