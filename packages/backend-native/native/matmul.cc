// Batched matmul (tfjs BatchMatMul / _FusedMatMul semantics: optional transposes, batch
// broadcasting of a size-1 batch, bias over the last dim, activation) on oneDNN, cached by shape.
#include "common.h"
#include <memory>
#include <unordered_map>

namespace evdm {
using dt = dnnl::memory::data_type;

struct MatMulEntry {
  dnnl::primitive prim;
  dnnl::memory a, b, bias, out;
  bool hasBias = false;
  dnnl::memory scratch;
};

static std::unordered_map<std::string, std::unique_ptr<MatMulEntry>> cache;
void clearMatMulCache() { cache.clear(); }
size_t matmulCacheSize() { return cache.size(); }

// p: batchA batchB M K N transA transB act
static std::unique_ptr<MatMulEntry> makeMatMul(const std::vector<int64_t> &p, bool hasBias, float alpha) {
  const int64_t BA = p[0], BB = p[1], M = p[2], K = p[3], N = p[4], BO = std::max(BA, BB);
  const bool ta = p[5] != 0, tb = p[6] != 0;
  auto &eng = cpuEngine();
  // A is stored [BA, K, M] when transposed, [BA, M, K] otherwise (likewise B).
  dnnl::memory::desc aMd({BA, M, K}, dt::f32, ta ? dnnl::memory::dims{M * K, 1, M} : dnnl::memory::dims{M * K, K, 1});
  dnnl::memory::desc bMd({BB, K, N}, dt::f32, tb ? dnnl::memory::dims{K * N, 1, K} : dnnl::memory::dims{K * N, N, 1});
  dnnl::memory::desc oMd({BO, M, N}, dt::f32, dnnl::memory::dims{M * N, N, 1});
  dnnl::memory::desc biasMd({1, 1, N}, dt::f32, dnnl::memory::dims{N, N, 1});
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::post_ops po;
  if (!appendActivation(po, int(p[7]), alpha)) return nullptr;
  attr.set_post_ops(po);
  auto d = hasBias ? dnnl::matmul::desc(aMd, bMd, biasMd, oMd) : dnnl::matmul::desc(aMd, bMd, oMd);
  dnnl::matmul::primitive_desc pd(d, attr, eng);
  auto e = std::make_unique<MatMulEntry>();
  e->prim = dnnl::matmul(pd);
  e->a = dnnl::memory(aMd, eng, DNNL_MEMORY_NONE);
  e->b = dnnl::memory(bMd, eng, DNNL_MEMORY_NONE);
  e->out = dnnl::memory(oMd, eng, DNNL_MEMORY_NONE);
  e->hasBias = hasBias;
  if (hasBias) e->bias = dnnl::memory(biasMd, eng, DNNL_MEMORY_NONE);
  e->scratch = dnnl::memory(pd.scratchpad_desc(), eng);
  return e;
}

// matmul(a, b, bias|null, out, params, alpha) -> true, or false when unsupported.
Napi::Value MatMul(const Napi::CallbackInfo &info) {
  auto env = info.Env();
  F32 a = f32Arg(info, 0, "a");
  F32 b = f32Arg(info, 1, "b");
  bool hasBias = !isNullish(info, 2);
  F32 bias = hasBias ? f32Arg(info, 2, "bias") : F32{};
  F32 out = f32Arg(info, 3, "out");
  auto p = intsArg(info, 4, "params");
  float alpha = info.Length() > 5 && info[5].IsNumber() ? info[5].As<Napi::Number>().FloatValue() : 0.f;
  if (p.size() != 8) throw Napi::Error::New(env, "evdm native matmul: expected 8 parameters");
  const int64_t BA = p[0], BB = p[1], M = p[2], K = p[3], N = p[4];
  if (BA != BB && BA != 1 && BB != 1) return Napi::Boolean::New(env, false);
  if (a.size != size_t(BA * M * K) || b.size != size_t(BB * K * N) || out.size != size_t(std::max(BA, BB) * M * N) ||
      (hasBias && bias.size != size_t(N))) {
    throw Napi::Error::New(env, "evdm native matmul: tensor sizes do not match the parameters");
  }
  std::vector<int64_t> keyp = p;
  keyp.push_back(hasBias);
  if (p[7] == ACT_LEAKYRELU) keyp.push_back(int64_t(double(alpha) * 1e9));
  std::string key = keyOf("m", keyp);
  // thin products (a few rows against a wide weight) are bound by the bytes they read, not their FLOPs
  const double bytes = 4.0 * double(BA * M * K + BB * K * N + std::max(BA, BB) * M * N);
  ThreadScope scope(std::max(threadsFor(2.0 * double(std::max(BA, BB)) * double(M) * double(N) * double(K)), threadsForBytes(bytes)));
  auto it = cache.find(key);
  MatMulEntry *e;
  if (it == cache.end()) {
    std::unique_ptr<MatMulEntry> made;
    try {
      made = makeMatMul(p, hasBias, alpha);
    } catch (const dnnl::error &) {
      made = nullptr;
    }
    if (!made) return Napi::Boolean::New(env, false);
    e = made.get();
    cache.emplace(key, std::move(made));
  } else {
    e = it->second.get();
  }
  e->a.set_data_handle(a.data);
  e->b.set_data_handle(b.data);
  e->out.set_data_handle(out.data);
  std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->out}, {DNNL_ARG_SCRATCHPAD, e->scratch}};
  if (e->hasBias) {
    e->bias.set_data_handle(bias.data);
    args[DNNL_ARG_BIAS] = e->bias;
  }
  auto &s = cpuStream();
  e->prim.execute(s, args);
  s.wait();
  return Napi::Boolean::New(env, true);
}

}  // namespace evdm
