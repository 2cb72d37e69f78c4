// N-API entry points of the evdm oneDNN addon.
#include "common.h"
#include <omp.h>
#include <algorithm>

namespace evdm {

dnnl::engine &cpuEngine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream &cpuStream() {
  thread_local dnnl::stream s(cpuEngine());
  return s;
}

static int g_maxThreads = 1;
int maxThreads() { return g_maxThreads; }
// Convolutions and matmuls of at least this many FLOPs split over the threads: init's third argument
// (5e7 with passive OpenMP workers, the default, where waking a sleeping one costs tens of µs; 5e6 when
// they spin briefly, EVDM_NATIVE_SPIN=1). Measured 2026-12-06 (session 11, 2 cores).
static double g_splitFlops = 5e7;
int threadsFor(double flops) {
  if (flops < g_splitFlops || g_maxThreads < 2) return 1;
  poolQuiesce();
  return g_maxThreads;
}
// Memory-bound passes over at least this many bytes split over the threads: init's second argument
// (EVDM_NATIVE_SPLIT_BYTES; default 4 MB, 1 MB with spinning workers). Measured on 2 cores
// (2026-12-06): with passive workers a batch-1 EVDM-L sampling step took 90 ms with 512 KB and 81 ms
// with 4 MB (waking a sleeping thread costs more than splitting a 1-3 MB pass saves); with workers
// that spin briefly, 1 MB and 5e6 FLOPs beat the passive bounds by ~10 % (sampling and training).
// A split pass also waits for its slowest thread, so on a machine whose other cores are busy it can stall.
static double g_splitBytes = 4194304.0;
int threadsForBytes(double bytes) {
  if (bytes < g_splitBytes || g_maxThreads < 2) return 1;
  poolQuiesce();
  return g_maxThreads;
}
// Pool bounds (init's fourth and fifth arguments): memory-bound passes from 256 KB, convolutions
// and matmuls from 2e6 FLOPs (a job costs the caller ~1 µs when a worker is spinning).
static double g_poolBytes = 262144.0, g_poolFlops = 2e6;
int waysForBytes(double bytes) { return bytes >= g_poolBytes ? poolWays() : 1; }
int waysForFlops(double flops) { return flops >= g_poolFlops ? poolWays() : 1; }
ThreadScope::ThreadScope(int n) {
  if (n > 1) poolQuiesce();
  omp_set_num_threads(n);
}
ThreadScope::~ThreadScope() { omp_set_num_threads(g_maxThreads); }

bool appendActivation(dnnl::post_ops &po, int act, float alpha) {
  switch (act) {
    case ACT_LINEAR: return true;
    case ACT_RELU: po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f); return true;
    case ACT_RELU6: po.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, 0.f, 6.f); return true;
    case ACT_ELU: po.append_eltwise(1.f, dnnl::algorithm::eltwise_elu, 1.f, 0.f); return true;
    case ACT_SIGMOID: po.append_eltwise(1.f, dnnl::algorithm::eltwise_logistic, 0.f, 0.f); return true;
    case ACT_LEAKYRELU: po.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, alpha, 0.f); return true;
    default: return false;
  }
}

static Napi::Value Init(const Napi::CallbackInfo &info) {
  int threads = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  if (threads > 0) omp_set_num_threads(threads);
  g_maxThreads = omp_get_max_threads();
  if (info.Length() > 1 && info[1].IsNumber() && info[1].As<Napi::Number>().DoubleValue() >= 0) g_splitBytes = info[1].As<Napi::Number>().DoubleValue();
  if (info.Length() > 2 && info[2].IsNumber() && info[2].As<Napi::Number>().DoubleValue() >= 0) g_splitFlops = info[2].As<Napi::Number>().DoubleValue();
  // pool: workers (0 = none), spin µs, bytes and FLOPs bounds
  const int workers = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : 0;
  const double spinMicros = info.Length() > 4 && info[4].IsNumber() ? info[4].As<Napi::Number>().DoubleValue() : 200.0;
  if (info.Length() > 5 && info[5].IsNumber() && info[5].As<Napi::Number>().DoubleValue() >= 0) g_poolBytes = info[5].As<Napi::Number>().DoubleValue();
  if (info.Length() > 6 && info[6].IsNumber() && info[6].As<Napi::Number>().DoubleValue() >= 0) g_poolFlops = info[6].As<Napi::Number>().DoubleValue();
  poolInit(std::max(0, std::min(workers, g_maxThreads - 1)), spinMicros);
  cpuEngine();
  cpuStream();
  return Napi::Number::New(info.Env(), omp_get_max_threads());
}

static Napi::Value Version(const Napi::CallbackInfo &info) {
  const dnnl_version_t *v = dnnl_version();
  return Napi::String::New(info.Env(), std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch));
}

static Napi::Value CacheSize(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), double(convCacheSize() + matmulCacheSize() + groupedConvCacheSize()));
}

static Napi::Value PoolStatsJs(const Napi::CallbackInfo &info) {
  const PoolStats st = poolStats();
  auto o = Napi::Object::New(info.Env());
  o.Set("jobs", double(st.jobs));
  o.Set("chunks", double(st.chunks));
  o.Set("workerChunks", double(st.workerChunks));
  o.Set("standDowns", double(st.standDowns));
  o.Set("waitMs", double(st.waitNs) / 1e6);
  o.Set("ownMs", double(st.ownNs) / 1e6);
  return o;
}

static Napi::Value ClearCache(const Napi::CallbackInfo &info) {
  clearConvCache();
  clearMatMulCache();
  clearGroupedConvCache();
  return info.Env().Undefined();
}

// Wraps an entry point so oneDNN and std errors become JS errors with a clear prefix.
template <Napi::Value (*F)(const Napi::CallbackInfo &)>
static Napi::Value Guard(const Napi::CallbackInfo &info) {
  try {
    return F(info);
  } catch (const Napi::Error &) {
    throw;
  } catch (const dnnl::error &e) {
    throw Napi::Error::New(info.Env(), std::string("evdm native (oneDNN): ") + e.what());
  } catch (const std::exception &e) {
    throw Napi::Error::New(info.Env(), std::string("evdm native: ") + e.what());
  }
}

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Guard<Init>));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("cacheSize", Napi::Function::New(env, CacheSize));
  exports.Set("clearCache", Napi::Function::New(env, ClearCache));
  exports.Set("poolStats", Napi::Function::New(env, PoolStatsJs));
  exports.Set("conv", Napi::Function::New(env, Guard<Conv>));
  exports.Set("matmul", Napi::Function::New(env, Guard<MatMul>));
  exports.Set("groupNormForward", Napi::Function::New(env, Guard<GroupNormForward>));
  exports.Set("groupNormBackward", Napi::Function::New(env, Guard<GroupNormBackward>));
  exports.Set("copy", Napi::Function::New(env, Guard<StridedCopy>));
  exports.Set("fill", Napi::Function::New(env, Guard<Fill>));
  exports.Set("binary", Napi::Function::New(env, Guard<Binary>));
  exports.Set("unary", Napi::Function::New(env, Guard<Unary>));
  exports.Set("sum", Napi::Function::New(env, Guard<StridedSum>));
  exports.Set("softmax", Napi::Function::New(env, Guard<Softmax>));
  exports.Set("adam", Napi::Function::New(env, Guard<Adam>));
  exports.Set("ema", Napi::Function::New(env, Guard<Ema>));
  exports.Set("sumSquares", Napi::Function::New(env, Guard<SumSquares>));
  exports.Set("addN", Napi::Function::New(env, Guard<AddN>));
  exports.Set("max", Napi::Function::New(env, Guard<ReduceMax>));
  exports.Set("channelGather", Napi::Function::New(env, Guard<ChannelGather>));
  exports.Set("channelScatter", Napi::Function::New(env, Guard<ChannelScatter>));
  // binaries built before the second perm ignore it: the kernels check this before passing one
  exports.Set("channelGatherAddPerm", Napi::Boolean::New(env, true));
  exports.Set("groupedConv", Napi::Function::New(env, Guard<GroupedConv>));
  exports.Set("seededDropout", Napi::Function::New(env, Guard<SeededDropout>));
  exports.Set("favorForward", Napi::Function::New(env, Guard<FavorForward>));
  exports.Set("favorBackward", Napi::Function::New(env, Guard<FavorBackward>));
  return exports;
}

}  // namespace evdm

static Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return evdm::InitModule(env, exports); }
NODE_API_MODULE(evdm_native, InitAll)
