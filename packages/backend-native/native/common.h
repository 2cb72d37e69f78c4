// Shared state and helpers of the evdm oneDNN addon.
#pragma once
#include <napi.h>
#include "pool.h"
#include <oneapi/dnnl/dnnl.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <numeric>
#include <memory>
#include <unordered_map>
#include <vector>

namespace evdm {

dnnl::engine &cpuEngine();

// Thread count chosen at init (EVDM_NATIVE_THREADS / available parallelism).
int maxThreads();
// Threads for an op of `flops` work: 1 below a threshold, where waking and joining a second thread
// costs more than it saves (and stalls badly when the machine's cores are busy with other work).
int threadsFor(double flops);
// Threads for a memory-bound pass moving `bytes`: all of them above a bound (512 KB by default,
// EVDM_NATIVE_SPLIT_BYTES; measured, see addon.cc), else 1.
int threadsForBytes(double bytes);

// Ways a memory-bound pass moving `bytes` splits over the worker pool (pool.h): its ways from a
// bound (init's fourth argument, EVDM_NATIVE_POOL_BYTES), else 1.
int waysForBytes(double bytes);
// Ways a convolution or matmul of `flops` splits over the worker pool: from a bound (init's fifth
// argument), else 1. When it is 1 above threadsFor's bound, oneDNN threads the op through OpenMP.
int waysForFlops(double flops);
// body(i) for i in [0, n): over the pool when `split`, else inline on the caller.
inline void poolFor(int64_t n, bool split, const std::function<void(int64_t)> &body) {
  if (split && n > 1) {
    poolRun(n, body);
  } else {
    for (int64_t i = 0; i < n; i++) body(i);
  }
}

// The split form of an op cached under `key` (made once by make(); one oneDNN cannot build is cached
// as null, and the op then runs whole).
template <class T, class F>
T *cachedSplit(std::unordered_map<std::string, std::unique_ptr<T>> &cache, const std::string &key, F make) {
  auto it = cache.find(key);
  if (it == cache.end()) {
    std::unique_ptr<T> made;
    try {
      made = make();
    } catch (const dnnl::error &) {
      made = nullptr;
    }
    it = cache.emplace(key, std::move(made)).first;
  }
  return it->second.get();
}

// Sets the OpenMP thread count for one call and restores the default on scope exit.
struct ThreadScope {
  explicit ThreadScope(int n);
  ~ThreadScope();
};
// This thread's stream (the pool's workers run primitives too).
dnnl::stream &cpuStream();

// A float32 tensor passed from JS as a Float32Array view (on wasm: a view of the wasm heap).
struct F32 {
  float *data = nullptr;
  size_t size = 0;
};

inline F32 f32Arg(const Napi::CallbackInfo &info, size_t i, const char *what) {
  if (i >= info.Length() || !info[i].IsTypedArray()) {
    throw Napi::TypeError::New(info.Env(), std::string("evdm native: argument '") + what + "' must be a Float32Array");
  }
  auto ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string("evdm native: argument '") + what + "' must be a Float32Array");
  }
  auto fa = ta.As<Napi::Float32Array>();
  return F32{fa.Data(), fa.ElementLength()};
}

inline bool isNullish(const Napi::CallbackInfo &info, size_t i) {
  return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined();
}

// An Int32Array (read in place: long lists such as a channel perm cost ~50 ns per element through
// Napi::Array::Get) or an array of integers.
inline std::vector<int64_t> intsArg(const Napi::CallbackInfo &info, size_t i, const char *what) {
  if (i < info.Length() && info[i].IsTypedArray() && info[i].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    auto ta = info[i].As<Napi::Int32Array>();
    return std::vector<int64_t>(ta.Data(), ta.Data() + ta.ElementLength());
  }
  if (i >= info.Length() || !info[i].IsArray()) {
    throw Napi::TypeError::New(info.Env(), std::string("evdm native: argument '") + what + "' must be an Int32Array or an array of integers");
  }
  auto arr = info[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) out[k] = arr.Get(k).As<Napi::Number>().Int64Value();
  return out;
}

inline std::string keyOf(const char *kind, const std::vector<int64_t> &p) {
  std::string k(kind);
  for (auto v : p) {
    k += ',';
    k += std::to_string(v);
  }
  return k;
}

// exp(x) for float32 that the compiler can vectorise inside `#pragma omp simd` loops (glibc's expf
// is scalar unless built with -ffast-math): x = n·ln2 + r, |r| <= ln2/2, exp(r) by the Cephes
// degree-6 polynomial, 2^n from the exponent bits (as 2·2^(n−1), so n = 128 stays finite).
// Relative error < 1e-7 for x in [-86.6, 88.7] (checked against double exp); below about -87 it
// returns 0 where expf returns values under 1.2e-38, above 88.72 ~3.4e38 where expf returns inf.
inline float expVec(float x) {
  // branch-free (fmin / fmax / floor) so `#pragma omp simd` loops that call it vectorise
  x = std::fmax(std::fmin(x, 88.72f), -87.3f);
  const float fn = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = (x - fn * 0.693359375f) + fn * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.f;
  const int32_t bits = (int32_t(fn) + 126) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return e * scale * 2.f;
}

// σ(x) on expVec, for the same vectorised loops (Sigmoid, SiLU and its gradient).
inline float sigmoidVec(float x) { return 1.f / (1.f + expVec(-x)); }

// tfjs activation codes shared with src/kernels.ts.
enum Act { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_ELU = 3, ACT_SIGMOID = 4, ACT_LEAKYRELU = 5 };
// Adds the eltwise post-op for `act` (alpha = leakyrelu alpha); false if unsupported.
bool appendActivation(dnnl::post_ops &po, int act, float alpha);

Napi::Value Conv(const Napi::CallbackInfo &info);
Napi::Value MatMul(const Napi::CallbackInfo &info);
Napi::Value GroupNormForward(const Napi::CallbackInfo &info);
Napi::Value GroupNormBackward(const Napi::CallbackInfo &info);
Napi::Value StridedCopy(const Napi::CallbackInfo &info);
Napi::Value Fill(const Napi::CallbackInfo &info);
Napi::Value Binary(const Napi::CallbackInfo &info);
Napi::Value Unary(const Napi::CallbackInfo &info);
Napi::Value StridedSum(const Napi::CallbackInfo &info);
// Per-channel loops over [rows, C] data run over blocks of L = lcm(C, 16) elements (whole rows filling
// whole 16-float vectors, with per-channel coefficients tiled to L), so thin rows (C = 12, 24, 36)
// vectorise as well as wide ones (group_norm.cc, columnSums).
inline int64_t periodOf(int64_t C) { return C * (16 / std::gcd<int64_t>(C, 16)); }
// Blocks summed in float before each flush into double totals: float lanes are twice as wide, and a
// sum of 16 values loses nothing a float32 tensor can show.
constexpr int64_t kFlushBlocks = 16;
// out[c] = Σ_m x[m·C + c] for contiguous x [M, C] (reduce.cc; StridedSum's leading-axes case).
void columnSums(const float *x, int64_t M, int64_t C, float *out);
Napi::Value Softmax(const Napi::CallbackInfo &info);
Napi::Value Adam(const Napi::CallbackInfo &info);
Napi::Value Ema(const Napi::CallbackInfo &info);
Napi::Value SumSquares(const Napi::CallbackInfo &info);
Napi::Value AddN(const Napi::CallbackInfo &info);
Napi::Value ReduceMax(const Napi::CallbackInfo &info);
Napi::Value ChannelGather(const Napi::CallbackInfo &info);
Napi::Value ChannelScatter(const Napi::CallbackInfo &info);
Napi::Value GroupedConv(const Napi::CallbackInfo &info);
Napi::Value SeededDropout(const Napi::CallbackInfo &info);
Napi::Value FavorForward(const Napi::CallbackInfo &info);
Napi::Value FavorBackward(const Napi::CallbackInfo &info);
void clearGroupedConvCache();
size_t groupedConvCacheSize();
void clearConvCache();
void clearMatMulCache();
size_t convCacheSize();
size_t matmulCacheSize();

}  // namespace evdm
