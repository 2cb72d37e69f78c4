// The worker pool of pool.h. One job at a time (kernels run on the JS thread, one after another).
// Job state is one 64-bit word, generation (32 bits) | chunk count (16) | next chunk (16): a chunk is
// claimed by compare-and-swap on it, so a worker that wakes late and sees an old generation claims
// nothing, and the job's body stays valid for anyone holding a claim (the caller returns only after
// every claimed chunk has finished).
#include "pool.h"
#include <omp.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace evdm {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kMaxChunks = 0xffff;
// How long the pool first stands down (see Pool) before it tries its workers again; doubled (up to
// kMaxStandDownNs) each time the machine is still busy when it does.
constexpr int64_t kStandDownNs = 250000000, kMaxStandDownNs = 4000000000;

// A hint to the core that this is a spin-wait loop.
inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

inline uint32_t genOf(uint64_t s) { return uint32_t(s >> 32); }
inline int64_t countOf(uint64_t s) { return int64_t((s >> 16) & 0xffff); }
inline int64_t nextOf(uint64_t s) { return int64_t(s & 0xffff); }

// CPU time the whole machine spent busy (user, nice, system, irq, softirq; not steal), seconds, from
// /proc/stat (Linux), or -1.
double machineBusySeconds() {
  FILE *f = std::fopen("/proc/stat", "r");
  if (!f) return -1;
  unsigned long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  const int got = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle, &iowait, &irq, &softirq);
  std::fclose(f);
  if (got != 7) return -1;
  return double(user + nice + system + irq + softirq) / double(sysconf(_SC_CLK_TCK));
}

// CPU time of this process (every thread, spinning workers included), seconds.
double processSeconds() {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

struct Pool {
  std::atomic<uint64_t> state{0};
  const std::function<void(int64_t)> *body = nullptr;
  std::atomic<int64_t> done{0}, workerDone{0};
  std::atomic<int> sleepers{0};
  std::atomic<bool> spin{true};
  std::mutex m;
  std::condition_variable cv;
  std::exception_ptr error;
  std::mutex errorMutex;
  int workers = 0;
  int64_t spinNs = 0;
  // set while a job runs: a second JS thread of the process (worker_threads) runs its jobs inline
  std::atomic<bool> inJob{false};
  // stand-down: when other processes want the cores, a spinning worker takes CPU time from them and
  // from the caller, and a preempted one stalls the caller: jobs then run on the caller alone for a
  // while (workers asleep), then the pool tries again. Judged at the end of windows of >= 128 jobs and
  // >= 20 ms: the caller stalled on claimed chunks 4 times, or no worker ran a chunk in 7 jobs of 8
  // (the workers never get a core); and every >= 200 ms: other processes used more than half a core
  int64_t windowJobs = 0, windowStalls = 0, windowShare = 0;
  int64_t windowStart = 0, standDownUntil = 0, standDownNs = kStandDownNs;
  int64_t loadStart = 0;
  double loadMachine = -1, loadOwn = 0;
  PoolStats stats{0, 0, 0, 0, 0, 0};
};

int64_t nowNs() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }


Pool &pool() {
  static Pool *p = new Pool();  // never destroyed: detached workers may still reference it at exit
  return *p;
}

thread_local bool t_isWorker = false;

void runChunk(Pool &p, int64_t i) {
  try {
    (*p.body)(i);
  } catch (...) {
    std::lock_guard<std::mutex> lock(p.errorMutex);
    if (!p.error) p.error = std::current_exception();
  }
}

// Claims and runs chunks of generation `gen` until none is left; returns how many it ran.
int64_t claimAll(Pool &p, uint32_t gen) {
  int64_t ran = 0;
  uint64_t s = p.state.load(std::memory_order_acquire);
  while (genOf(s) == gen && nextOf(s) < countOf(s)) {
    if (!p.state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    runChunk(p, nextOf(s));
    ran++;
    if (t_isWorker) p.workerDone.fetch_add(1, std::memory_order_relaxed);
    p.done.fetch_add(1, std::memory_order_release);
    s = p.state.load(std::memory_order_acquire);
  }
  return ran;
}

void workerLoop(Pool &p) {
  t_isWorker = true;
  omp_set_num_threads(1);  // oneDNN primitives run in a chunk stay on this thread
  uint32_t seen = genOf(p.state.load());
  for (;;) {
    const auto t0 = Clock::now();
    uint64_t s;
    for (int i = 1;; i++) {
      s = p.state.load(std::memory_order_acquire);
      if (genOf(s) != seen) break;
      if (!p.spin.load(std::memory_order_relaxed) || ((i & 255) == 0 && (Clock::now() - t0).count() > p.spinNs)) {
        std::unique_lock<std::mutex> lock(p.m);
        p.sleepers.fetch_add(1);
        p.cv.wait(lock, [&] { return genOf(p.state.load()) != seen; });
        p.sleepers.fetch_sub(1);
        s = p.state.load(std::memory_order_acquire);
        break;
      }
      cpuRelax();
    }
    seen = genOf(s);
    claimAll(p, seen);
  }
}

}  // namespace

void poolInit(int workers, double spinMicros) {
  Pool &p = pool();
  p.spinNs = int64_t(std::max(0.0, spinMicros) * 1000.0);
  // workers are only ever added (a pool shrinks by standing down; threads are cheap while asleep)
  for (int w = p.workers; w < workers; w++) std::thread([&p] { workerLoop(p); }).detach();
  p.workers = std::max(p.workers, workers);
}

int poolWays() {
  Pool &p = pool();
  return p.workers == 0 || t_isWorker ? 1 : p.workers + 1;
}

void poolQuiesce() { pool().spin.store(false, std::memory_order_relaxed); }

void poolRun(int64_t n, const std::function<void(int64_t)> &body) {
  Pool &p = pool();
  bool busy = false;
  bool inline_ = n <= 1 || p.workers == 0 || t_isWorker || n > kMaxChunks || !p.inJob.compare_exchange_strong(busy, true);
  if (!inline_ && p.standDownUntil != 0) {
    if (nowNs() < p.standDownUntil) {
      inline_ = true;
      p.inJob.store(false);
    } else {
      p.standDownUntil = 0;
    }
  }
  if (inline_) {
    // the same chunks, in order, on the caller: results never depend on who ran them
    for (int64_t i = 0; i < n; i++) body(i);
    return;
  }
  p.body = &body;
  p.error = nullptr;
  p.done.store(0, std::memory_order_relaxed);
  p.workerDone.store(0, std::memory_order_relaxed);
  p.spin.store(true, std::memory_order_relaxed);
  const uint32_t gen = genOf(p.state.load()) + 1;
  p.state.store((uint64_t(gen) << 32) | (uint64_t(n) << 16));
  // a job that had to wake its workers says nothing about contention (they were idle, not denied CPU)
  const bool woke = p.sleepers.load() > 0;
  if (woke) {
    { std::lock_guard<std::mutex> lock(p.m); }
    p.cv.notify_all();
  }
  const auto t0 = Clock::now();
  claimAll(p, gen);
  const auto t1 = Clock::now();
  while (p.done.load(std::memory_order_acquire) < n) cpuRelax();
  const auto t2 = Clock::now();
  p.inJob.store(false);
  const int64_t byWorkers = p.workerDone.load(std::memory_order_relaxed);
  p.stats.jobs++;
  p.stats.chunks += n;
  p.stats.workerChunks += byWorkers;
  p.stats.waitNs += (t2 - t1).count();
  p.stats.ownNs += (t1 - t0).count();
  // a stall: the caller waited on a claimed chunk longer than it worked itself (the worker holding it
  // was descheduled)
  const int64_t own = (t1 - t0).count(), wait = (t2 - t1).count();
  if (!woke) {
    p.windowJobs++;
    p.windowShare += byWorkers > 0 ? 1 : 0;
    if (wait > own + 50000) p.windowStalls++;
  }
  if (p.windowJobs >= 128) {
    const int64_t t = nowNs();
    if (t - p.windowStart >= 20000000) {
      bool othersBusy = false, measured = false;
      if (t - p.loadStart >= 200000000) {
        const double machine = machineBusySeconds(), own = processSeconds();
        if (p.loadStart != 0 && p.loadMachine >= 0 && machine >= 0) {
          measured = true;
          othersBusy = (machine - p.loadMachine) - (own - p.loadOwn) > 0.5e-9 * double(t - p.loadStart);
        }
        p.loadStart = t;
        p.loadMachine = machine;
        p.loadOwn = own;
      }
      if (p.windowStart != 0 && (othersBusy || p.windowStalls >= 4 || 8 * p.windowShare < p.windowJobs)) {
        p.standDownUntil = t + p.standDownNs;
        p.standDownNs = std::min(2 * p.standDownNs, kMaxStandDownNs);
        p.loadStart = 0;  // measure afresh when the workers are back
        p.stats.standDowns++;
        p.spin.store(false, std::memory_order_relaxed);
      } else if (measured) {
        p.standDownNs = kStandDownNs;
      }
      p.windowStart = t;
      p.windowJobs = p.windowStalls = p.windowShare = 0;
    }
  }
  if (p.error) {
    std::exception_ptr e = p.error;
    p.error = nullptr;
    std::rethrow_exception(e);
  }
}

void poolRange(int64_t units, int64_t minUnits, int perWay, const std::function<void(int64_t, int64_t)> &body) {
  const int ways = units > minUnits ? poolWays() : 1;
  const int64_t chunks = std::min<int64_t>({int64_t(ways) * perWay, units / std::max<int64_t>(1, minUnits), kMaxChunks});
  if (ways <= 1 || chunks <= 1) {
    body(0, units);
    return;
  }
  poolRun(chunks, [&](int64_t c) { body(units * c / chunks, units * (c + 1) / chunks); });
}

PoolStats poolStats() { return pool().stats; }

}  // namespace evdm
