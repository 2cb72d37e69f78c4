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
static void clearSplits();
void clearMatMulCache() {
  cache.clear();
  clearSplits();
}
size_t matmulCacheSize() { return cache.size(); }

// p: batchA batchB M K N transA transB act
// fullM, fullN: the rows of the stored A and the columns of the stored B and output when this is a
// band of a larger product (their leading dimensions); 0 for the product itself.
static std::unique_ptr<MatMulEntry> makeMatMul(const std::vector<int64_t> &p, bool hasBias, float alpha, int64_t fullM = 0, int64_t fullN = 0) {
  const int64_t BA = p[0], BB = p[1], M = p[2], K = p[3], N = p[4], BO = std::max(BA, BB);
  const bool ta = p[5] != 0, tb = p[6] != 0;
  const int64_t lda = fullM > 0 ? fullM : M, ldn = fullN > 0 ? fullN : N;
  auto &eng = cpuEngine();
  // A is stored [BA, K, M] when transposed, [BA, M, K] otherwise (likewise B).
  dnnl::memory::desc aMd({BA, M, K}, dt::f32, ta ? dnnl::memory::dims{lda * K, 1, lda} : dnnl::memory::dims{M * K, K, 1});
  dnnl::memory::desc bMd({BB, K, N}, dt::f32, tb ? dnnl::memory::dims{K * ldn, 1, K} : dnnl::memory::dims{K * ldn, ldn, 1});
  dnnl::memory::desc oMd({BO, M, N}, dt::f32, dnnl::memory::dims{M * ldn, ldn, 1});
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

// A product of one batch cut into bands the worker pool runs at once: bands of A's rows, or of B's
// columns when A has only a few rows (a thin product, bound by reading B).
struct MatMulPart {
  std::unique_ptr<MatMulEntry> e;
  int64_t aOff, bOff, outOff, biasOff;
};
struct MatMulSplit {
  std::vector<MatMulPart> parts;
};
static std::unordered_map<std::string, std::unique_ptr<MatMulSplit>> splitCache;

static std::unique_ptr<MatMulSplit> makeSplit(const std::vector<int64_t> &p, bool hasBias, float alpha, int ways) {
  const int64_t M = p[2], K = p[3], N = p[4];
  const bool ta = p[5] != 0, tb = p[6] != 0, byRows = M >= 8 * ways;
  const int64_t units = byRows ? M : N, P = std::min<int64_t>(units, ways);
  auto split = std::make_unique<MatMulSplit>();
  for (int64_t k = 0; k < P; k++) {
    const int64_t u0 = units * k / P, u1 = units * (k + 1) / P;
    std::vector<int64_t> q = p;
    MatMulPart part;
    if (byRows) {
      q[2] = u1 - u0;
      part = {makeMatMul(q, hasBias, alpha, M, 0), ta ? u0 : u0 * K, 0, u0 * N, 0};
    } else {
      q[4] = u1 - u0;
      part = {makeMatMul(q, hasBias, alpha, 0, N), 0, tb ? u0 * K : u0, u0, u0};
    }
    if (!part.e) return nullptr;
    split->parts.push_back(std::move(part));
  }
  return split;
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
  const double flops = 2.0 * double(std::max(BA, BB)) * double(M) * double(N) * double(K);
  // one batch with rows to share: bands over the worker pool (thin products stay with OpenMP by bytes)
  const int ways = BA == 1 && BB == 1 && (M >= 16 || N >= 1024) ? std::max(waysForFlops(flops), waysForBytes(bytes)) : 1;
  ThreadScope scope(ways > 1 ? 1 : std::max(threadsFor(flops), threadsForBytes(bytes)));
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
  if (ways > 1) {
    if (MatMulSplit *sp = cachedSplit(splitCache, key + "/" + std::to_string(ways), [&] { return makeSplit(p, hasBias, alpha, ways); })) {
      poolRun(int64_t(sp->parts.size()), [&](int64_t k) {
        const MatMulPart &part = sp->parts[size_t(k)];
        MatMulEntry &pe = *part.e;
        pe.a.set_data_handle(a.data + part.aOff);
        pe.b.set_data_handle(b.data + part.bOff);
        pe.out.set_data_handle(out.data + part.outOff);
        std::unordered_map<int, dnnl::memory> args = {{DNNL_ARG_SRC, pe.a}, {DNNL_ARG_WEIGHTS, pe.b}, {DNNL_ARG_DST, pe.out}, {DNNL_ARG_SCRATCHPAD, pe.scratch}};
        if (pe.hasBias) {
          pe.bias.set_data_handle(bias.data + part.biasOff);
          args[DNNL_ARG_BIAS] = pe.bias;
        }
        auto &ps = cpuStream();
        pe.prim.execute(ps, args);
        ps.wait();
      });
      return Napi::Boolean::New(env, true);
    }
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

static void clearSplits() { splitCache.clear(); }

}  // namespace evdm
