// A small worker pool for kernels too short for OpenMP's fork / join: the calling thread takes part,
// chunks are claimed one at a time, and the caller never waits for a worker that has not started, so a
// worker descheduled by another process costs nothing but the chunk it holds (OpenMP's barrier waits
// for every thread of the team). Workers spin briefly between jobs, then sleep.
#pragma once
#include <cstdint>
#include <functional>

namespace evdm {

// Starts (or stops, with 0) the pool's workers: `workers` threads besides the caller; `spinMicros`
// of spinning before a worker sleeps.
void poolInit(int workers, double spinMicros);
// Ways a job splits: 1 when the pool has no workers (or on a worker), else workers + 1.
// Kernels cut their work by this (a function of the configuration, never of the load), so their
// results do not depend on how busy the machine is.
int poolWays();
// Runs body(i) for i in [0, n) over the caller and the workers; returns when all have finished.
// While the pool stands down (its workers were not getting CPU time, see pool.cc) the caller runs
// the same chunks alone, in order. Rethrows the first exception a chunk threw (after every chunk).
void poolRun(int64_t n, const std::function<void(int64_t)> &body);
// Splits [0, units) into about `perWay` chunks per way (never fewer than `minUnits` units each) and
// runs body(lo, hi) on each; inline when one chunk.
void poolRange(int64_t units, int64_t minUnits, int perWay, const std::function<void(int64_t, int64_t)> &body);
// Sends spinning workers to sleep at once: called before an OpenMP region with more than one thread,
// whose barrier would otherwise wait on a thread sharing its core with a spinning worker.
void poolQuiesce();
// Counters for tests and benchmarks: jobs run split, their chunks, chunks the workers ran,
// stand-downs, the caller's time running chunks and waiting for the workers' last ones.
struct PoolStats {
  int64_t jobs, workerChunks, chunks, standDowns, waitNs, ownNs;
};
PoolStats poolStats();

}  // namespace evdm
