// Times one training step (forward + backward + Adam with clipping + EMA) of MCVD-KTH and EVDM-L-KTH
// at batch 8 on: pure TF.js cpu, pure wasm, the native oneDNN kernels on the wasm host and on the
// cpu host (also with GLIBC_TUNABLES=glibc.malloc.hugetlb=1: `native-cpu-hugetlb`), and (when python3
// has torch) the same networks in eager PyTorch (bench/mcvd_torch.py, bench/evdm_l_torch.py; both
// check that their parameter count equals the TS network's) at all cores (`torch`) and one thread
// (`torch1`). Debian's python3-torch uses whatever libblas.so.3 is installed: with only the generic
// reference BLAS its attention bmm runs ~20x slower, so install libopenblas0-pthread for a fair
// baseline (the table notes which BLAS torch loaded).
// Then, in the same run:
// - one DDPM sampling step (one forward pass, batch 1 as the Table 9 latency) of each network;
// - the peak RSS of every cell's process (`max_rss_mb`, measured inside the child);
// - the machine's memory bandwidth: a STREAM-like triad (bench/triad.c, compiled here with cc -fopenmp)
//   on 1 and 2 threads, set against the effective GB/s of the memory-bound kernels of one profiled
//   training step (bench/kernel-profile.mjs --json, cpu host + native kernels);
// - the main job's training throughput (steps/s of `evdm train` on the MAIN_JOB config) with and
//   without native kernels, and on pure cpu;
// - the ratios the performance issue sets targets for.
// Every cell is its own child process, run one after another, so the ratios come from one session
// on one machine. A benchmark, not a test: nothing is asserted. Timings on a shared machine are
// noisy: medians, and the load average before and after is recorded.
//
//   node packages/evdm/bench/training-step-backends.mjs [--runs 3] [--batch 8] [--timeout 1500]
//        [--cpu-timeout 300] [--models mcvd-kth,evdm-l-kth]
//        [--backends cpu,wasm,native,native-cpu,native-cpu-hugetlb,torch,torch1]
//        [--sample-backends wasm,native,native-cpu,native-cpu-hugetlb,torch,torch1] [--sample-batch 1]
//        [--sample-runs 11] [--main-steps 30] [--paired-rounds 3] [--no-pure-cpu-main] [--no-triad]
//        [--no-profile] [--json]
// --timeout caps each child (seconds), --cpu-timeout the pure-cpu step cells; a cell that does not
// finish reports "> T/2 s" (the pure-cpu child runs a warm-up step and a timed step, both the same work, so
// one step took more than about half the cap). The pure-cpu main-job row trains 2 steps.
// `--sample-backends none`, `--main-steps 0` skip those parts; `--no-pure-cpu-main` the pure-cpu main-job
// row (minutes per step on a busy machine). `--paired-rounds N` (default 3; 0 skips) then times MCVD and
// EVDM-L back to back N times on their faster native hosts (paired-ratios.mjs): a speed-up that the
// machine's drift between the main cells does not move.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pairedRatios } from './paired-ratios.mjs';
import { printSummary } from './training-step-report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const list = (s) => (s === 'none' ? [] : s.split(','));
const runs = Number(arg('--runs', '3'));
const batch = Number(arg('--batch', '8'));
const timeoutS = Number(arg('--timeout', '1500'));
const cpuTimeoutS = Number(arg('--cpu-timeout', '300'));
const models = arg('--models', 'mcvd-kth,evdm-l-kth').split(',');
const backends = list(arg('--backends', 'cpu,wasm,native,native-cpu,native-cpu-hugetlb,torch,torch1'));
const sampleBackends = list(arg('--sample-backends', 'wasm,native,native-cpu,native-cpu-hugetlb,torch,torch1'));
const sampleBatch = Number(arg('--sample-batch', '1'));
const sampleRuns = Number(arg('--sample-runs', '11'));
const mainSteps = Number(arg('--main-steps', '30'));
const pairedRounds = Number(arg('--paired-rounds', '3'));
const json = process.argv.includes('--json');
// progress and table: stdout, or stderr with --json (stdout then carries one JSON line)
const say = (line) => (json ? process.stderr : process.stdout).write(line + '\n');
const HUGETLB = { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' };
const TORCH_PEERS = { 'mcvd-kth': 'mcvd_torch.py', 'evdm-l-kth': 'evdm_l_torch.py' };

function lastJson(text) {
  for (const line of (text ?? '').trim().split('\n').reverse()) {
    try {
      return JSON.parse(line);
    } catch {
      /* not JSON */
    }
  }
  return null;
}

function errorOf(r, cap = timeoutS) {
  if (r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGTERM')
    return { timeout: true, error: `> ${Math.round(cap / 2)} s (warm-up + 1 step did not finish in ${cap} s)` };
  const lines = `${r.stderr ?? ''}\n${r.stdout ?? ''}`
    .split('\n')
    .filter((l) => /error|Aborted|out of bounds|XNN status|parameters/i.test(l));
  const oom = lines.some((l) => /XNN status .* 6|Aborted|out of bounds|Cannot enlarge|wasm heap is exhausted/i.test(l));
  return { error: oom ? 'does not fit the 4 GB wasm heap' : (lines[0] ?? `exit ${r.status}`).trim().slice(0, 160) };
}

let pythonFound;
function python() {
  if (pythonFound !== undefined) return pythonFound;
  pythonFound = null;
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return (pythonFound = { py, version: r.stdout.trim() });
  }
  return pythonFound;
}

/** One timing cell in its own process: mode 'train' (batch `batch`) or 'sample' (batch `sampleBatch`). */
function benchCell(model, backend, mode = 'train') {
  const started = Date.now();
  const sample = mode === 'sample';
  const b = sample ? sampleBatch : batch;
  const runsHere = sample ? sampleRuns : backend === 'cpu' ? 1 : runs;
  const cap = backend === 'cpu' && !sample ? cpuTimeoutS : timeoutS;
  // pure cpu training cells (minutes per step) take 1 warm-up step; the rest the default (2 training, 5 sampling)
  const warm = backend === 'cpu' && !sample ? ['--warmup', '1'] : [];
  const modeArgs = ['--batch', String(b), '--runs', String(runsHere), ...warm, ...(sample ? ['--sample'] : [])];
  let r;
  if (backend === 'torch' || backend === 'torch1') {
    const py = python();
    if (!py)
      return { model, backend, mode, skipped: 'python3 has no torch (apt-get install python3-torch libopenblas0-pthread)' };
    if (!TORCH_PEERS[model]) return { model, backend, mode, skipped: `no PyTorch peer for ${model}` };
    const threads = backend === 'torch1' ? ['--threads', '1'] : [];
    r = spawnSync(py.py, [join(here, TORCH_PEERS[model]), ...modeArgs, ...threads], { encoding: 'utf8', timeout: cap * 1000 });
  } else {
    const hugetlb = backend === 'native-cpu-hugetlb';
    r = spawnSync(
      process.execPath,
      [cli, 'bench', 'step', '--model', model, '--backend', hugetlb ? 'native-cpu' : backend, ...modeArgs, '--json'],
      {
        encoding: 'utf8',
        timeout: cap * 1000,
        env: { ...process.env, EVDM_LOG: 'quiet', ...(hugetlb ? HUGETLB : {}) },
        maxBuffer: 1 << 26,
      },
    );
  }
  const out = lastJson(r.stdout);
  const wall = Math.round((Date.now() - started) / 1000);
  if (r.status === 0 && out?.median_ms) {
    const { median_ms, runs: rs, warmup, params, threads, blas, max_rss_mb, openblas_threads } = out;
    return {
      model,
      backend,
      mode,
      batch: b,
      median_ms,
      runs: rs,
      warmup,
      params,
      threads,
      openblas_threads,
      blas,
      max_rss_mb,
      wall_s: wall,
    };
  }
  return { model, backend, mode, batch: b, ...errorOf(r, cap), wall_s: wall };
}

function mainThroughput(label, env, steps) {
  const dir = mkdtempSync(join(tmpdir(), 'evdm-main-bench-'));
  try {
    const cfgR = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import('${join(here, '..', 'dist', 'internal.js')}').then((m) => process.stdout.write(JSON.stringify(m.MAIN_JOB ?? null)))`,
      ],
      { encoding: 'utf8' },
    );
    const cfg = JSON.parse(cfgR.stdout || 'null');
    if (!cfg) return { label, error: 'MAIN_JOB not exported' };
    const config = join(dir, 'main.json');
    writeFileSync(config, JSON.stringify(cfg));
    const logEvery = steps <= 3 ? 1 : Math.max(1, Math.floor(steps / 3));
    const r = spawnSync(
      process.execPath,
      [
        cli,
        'train',
        '--config',
        config,
        '--steps',
        String(steps),
        '--checkpoint-every',
        '0',
        '--log-every',
        String(logEvery),
        '--out',
        join(dir, 'run'),
      ],
      {
        encoding: 'utf8',
        timeout: timeoutS * 1000,
        env: { ...process.env, EVDM_LOG: 'quiet', ...env },
      },
    );
    let lines = [];
    try {
      lines = readFileSync(join(dir, 'run', 'train.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    } catch {
      /* no log */
    }
    if (lines.length < 2) return { label, ...(r.status === 0 ? { error: 'too few log lines' } : errorOf(r)) };
    // steps/s between the first and the last log line (excludes set-up and the first steps)
    const a = lines[0];
    const b = lines[lines.length - 1];
    return { label, steps_per_s: (b.step - a.step) / (b.elapsedSec - a.elapsedSec), steps: b.step };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** STREAM-like triad on 1 and 2 threads: bench/triad.c built with the system C compiler. */
function triad() {
  const dir = mkdtempSync(join(tmpdir(), 'evdm-triad-'));
  try {
    const exe = join(dir, 'triad');
    const cc = spawnSync('cc', ['-O3', '-march=native', '-fopenmp', join(here, 'triad.c'), '-o', exe], { encoding: 'utf8' });
    if (cc.status !== 0)
      return { skipped: `cc -fopenmp failed (${(cc.stderr || cc.error?.message || '').trim().split('\n')[0]}): install gcc` };
    const rows = [1, 2].map((t) => {
      const r = spawnSync(exe, ['16777216', '10'], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(t) } });
      return lastJson(r.stdout) ?? { threads: t, error: (r.stderr || `exit ${r.status}`).trim() };
    });
    return {
      probe: 'bench/triad.c (C, OpenMP, 3 x 128 MiB double arrays, 24 bytes per element, best of 10)',
      threads1: rows[0],
      threads2: rows[1],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One profiled training step (kernel-profile.mjs --json): memory-bound kernels' time, bytes and GB/s. */
function kernelProfile(model, env = {}) {
  const r = spawnSync(
    process.execPath,
    [join(here, 'kernel-profile.mjs'), '--model', model, '--backend', 'native-cpu', '--batch', String(batch), '--json'],
    {
      encoding: 'utf8',
      timeout: timeoutS * 1000,
      env: { ...process.env, EVDM_LOG: 'quiet', ...env },
      maxBuffer: 1 << 26,
    },
  );
  const out = lastJson(r.stdout);
  if (r.status !== 0 || !out) return { model, ...errorOf(r) };
  const top = out.kernels
    .filter((k) => k.bytes !== undefined)
    .slice(0, 8)
    .map(({ name, count, ms, bytes, gbps }) => ({ name, count, ms, bytes, gbps }));
  const { wall_ms, kernel_ms, calls, compute_ms, memory_ms, memory_bytes, memory_gbps, memory_calls, memory_small_calls } = out;
  return {
    model,
    backend: out.backend,
    hugetlb: Boolean(env.GLIBC_TUNABLES),
    wall_ms,
    kernel_ms,
    calls,
    compute_ms,
    memory_ms,
    memory_bytes,
    memory_gbps,
    memory_calls,
    memory_small_calls,
    top_memory_kernels: top,
  };
}

const started = new Date().toISOString();
const load = { before: loadavg().map((v) => Math.round(v * 100) / 100) };
say(
  `training step, batch ${batch}, median of ${runs} timed steps after 2 warm-up steps (pure cpu: 1 warm-up, 1 timed step), each cell in its own process; started ${started}, load average ${load.before.join(' ')}`,
);
const cells = [];
for (const model of models) {
  for (const backend of backends) {
    say(`  ${model} on ${backend} ...`);
    const c = benchCell(model, backend);
    cells.push(c);
    say(
      `    ${c.median_ms ? `${(c.median_ms / 1000).toFixed(2)} s (runs ${c.runs.map((x) => (x / 1000).toFixed(2)).join(', ')}), peak RSS ${c.max_rss_mb} MB` : (c.error ?? c.skipped)}`,
    );
  }
}
const sampling = [];
if (sampleBackends.length)
  say(`sampling step (one forward pass), batch ${sampleBatch}, median of ${sampleRuns} after 5 warm-up calls`);
for (const model of models) {
  for (const backend of sampleBackends) {
    say(`  ${model} sampling on ${backend} ...`);
    const c = benchCell(model, backend, 'sample');
    sampling.push(c);
    say(
      `    ${c.median_ms ? `${c.median_ms.toFixed(0)} ms (runs ${c.runs.map((x) => x.toFixed(0)).join(', ')})` : (c.error ?? c.skipped)}`,
    );
  }
}
const paired = pairedRounds > 0 ? pairedRatios({ benchCell, cells, sampling, rounds: pairedRounds, say }) : null;
let bandwidth = null;
if (!process.argv.includes('--no-triad')) {
  say('  memory bandwidth (triad) ...');
  bandwidth = triad();
  say(
    `    ${bandwidth.skipped ?? `1 thread ${bandwidth.threads1.best_gbps} GB/s, 2 threads ${bandwidth.threads2.best_gbps} GB/s`}`,
  );
}
const profiles = [];
if (!process.argv.includes('--no-profile')) {
  for (const model of models) {
    say(`  kernel profile of ${model} on native-cpu ...`);
    const p = kernelProfile(model);
    profiles.push(p);
    say(
      `    ${p.error ?? `memory-bound kernels ${(p.memory_ms / 1000).toFixed(2)} s, ${(p.memory_bytes / 1e9).toFixed(1)} GB, ${p.memory_gbps.toFixed(2)} GB/s; convs + matmuls ${(p.compute_ms / 1000).toFixed(2)} s`}`,
    );
  }
}
const mainRows = [];
if (mainSteps > 0) {
  const cpuSteps = 2;
  for (const [label, env, steps] of [
    ['wasm + native', { EVDM_BACKEND: 'wasm' }, mainSteps],
    ['cpu + native', { EVDM_BACKEND: 'cpu' }, mainSteps],
    ['cpu + native, malloc hugetlb', { EVDM_BACKEND: 'cpu', ...HUGETLB }, mainSteps],
    ['wasm (EVDM_NATIVE=0)', { EVDM_BACKEND: 'wasm', EVDM_NATIVE: '0' }, mainSteps],
    ['pure tfjs cpu (EVDM_NATIVE=0)', { EVDM_BACKEND: 'cpu', EVDM_NATIVE: '0' }, cpuSteps],
  ].filter(([l]) => !(l.startsWith('pure') && process.argv.includes('--no-pure-cpu-main')))) {
    say(`  main job training on ${label} ...`);
    const row = mainThroughput(label, env, steps);
    mainRows.push(row);
    say(`    ${row.steps_per_s ? `${row.steps_per_s.toFixed(3)} steps/s` : row.error}`);
  }
}
load.after = loadavg().map((v) => Math.round(v * 100) / 100);

const ratios = printSummary({
  say,
  batch,
  models,
  backends,
  sampleBackends,
  sampleBatch,
  cells,
  sampling,
  bandwidth,
  profiles,
  mainRows,
  load,
});
if (json) {
  process.stdout.write(
    JSON.stringify({
      started,
      batch,
      runs,
      cells,
      main: mainRows,
      ratios,
      sample_batch: sampleBatch,
      sampling,
      bandwidth,
      kernel_profile: profiles,
      load_average: load,
      paired,
    }) + '\n',
  );
}
