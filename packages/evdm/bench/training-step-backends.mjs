// Times one training step (forward + backward + Adam with clipping + EMA) of MCVD-KTH and EVDM-L-KTH
// at batch 8 on: pure TF.js cpu, pure wasm, the native oneDNN kernels on the wasm host and on the
// cpu host, and (when python3 has torch) the same MCVD-KTH network in PyTorch (bench/mcvd_torch.py) at
// all cores (`torch`) and one thread (`torch1`). Debian's python3-torch uses whatever libblas.so.3 is
// installed: with only the generic reference BLAS its attention bmm runs ~20x slower, so install
// libopenblas0-pthread for a fair baseline (the table notes which BLAS torch loaded).
// Every cell is its own child process (`evdm bench step ... --json`), run one after another, so the
// ratios come from one session on one machine. Then the main job's training throughput (steps/s of
// `evdm train` on the MAIN_JOB config) with and without native kernels, and on pure cpu.
// A benchmark, not a test: nothing is asserted. Timings on a shared machine are noisy: medians.
//
//   node packages/evdm/bench/training-step-backends.mjs [--runs 3] [--batch 8] [--timeout 1200]
//        [--cpu-timeout 300] [--models mcvd-kth,evdm-l-kth] [--backends cpu,wasm,native,native-cpu,torch,torch1] [--main-steps 30] [--json]
// --timeout caps each child (seconds), --cpu-timeout the pure-cpu step cells; a cell that does not
// finish reports "> T/2 s" (the child runs a warm-up step and a timed step, both the same work, so
// one step took more than about half the cap). The pure-cpu main-job row trains 2 steps.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const runs = Number(arg('--runs', '3'));
const batch = Number(arg('--batch', '8'));
const timeoutS = Number(arg('--timeout', '1500'));
const cpuTimeoutS = Number(arg('--cpu-timeout', '300'));
const models = arg('--models', 'mcvd-kth,evdm-l-kth').split(',');
const backends = arg('--backends', 'cpu,wasm,native,native-cpu,torch,torch1').split(',');
const mainSteps = Number(arg('--main-steps', '30'));
const json = process.argv.includes('--json');
// progress and table: stdout, or stderr with --json (stdout then carries one JSON line)
const say = (line) => (json ? process.stderr : process.stdout).write(line + '\n');

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
  if (r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGTERM') return { timeout: true, error: `> ${Math.round(cap / 2)} s (warm-up + 1 step did not finish in ${cap} s)` };
  const lines = `${r.stderr ?? ''}\n${r.stdout ?? ''}`.split('\n').filter((l) => /error|Aborted|out of bounds|XNN status/i.test(l));
  const oom = lines.some((l) => /XNN status .* 6|Aborted|out of bounds|Cannot enlarge/i.test(l));
  return { error: oom ? 'does not fit the 4 GB wasm heap' : (lines[0] ?? `exit ${r.status}`).trim().slice(0, 160) };
}

function python() {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { py, version: r.stdout.trim() };
  }
  return null;
}

function benchCell(model, backend) {
  const started = Date.now();
  const runsHere = backend === 'cpu' ? 1 : runs;
  let r;
  if (backend === 'torch' || backend === 'torch1') {
    const py = python();
    if (!py) return { model, backend, skipped: 'python3 has no torch (apt-get install python3-torch)' };
    if (model !== 'mcvd-kth') return { model, backend, skipped: 'PyTorch reference only for MCVD-KTH' };
    const threads = backend === 'torch1' ? ['--threads', '1'] : [];
    r = spawnSync(py.py, [join(here, 'mcvd_torch.py'), '--batch', String(batch), '--runs', String(runsHere), ...threads], { encoding: 'utf8', timeout: timeoutS * 1000 });
  } else {
    r = spawnSync(process.execPath, [cli, 'bench', 'step', '--model', model, '--backend', backend, '--batch', String(batch), '--runs', String(runsHere), '--json'], {
      encoding: 'utf8',
      timeout: (backend === 'cpu' ? cpuTimeoutS : timeoutS) * 1000,
      env: { ...process.env, EVDM_LOG: 'quiet' },
      maxBuffer: 1 << 26,
    });
  }
  const out = lastJson(r.stdout);
  const wall = Math.round((Date.now() - started) / 1000);
  if (r.status === 0 && out?.median_ms) return { model, backend, median_ms: out.median_ms, runs: out.runs, params: out.params, threads: out.threads, blas: out.blas, wall_s: wall };
  return { model, backend, ...errorOf(r, backend === 'cpu' ? cpuTimeoutS : timeoutS), wall_s: wall };
}

function mainThroughput(label, env, steps) {
  const dir = mkdtempSync(join(tmpdir(), 'evdm-main-bench-'));
  try {
    const cfgR = spawnSync(process.execPath, ['--input-type=module', '-e', `import('${join(here, '..', 'dist', 'index.js')}').then((m) => process.stdout.write(JSON.stringify(m.MAIN_JOB ?? null)))`], { encoding: 'utf8' });
    const cfg = JSON.parse(cfgR.stdout || 'null');
    if (!cfg) return { label, error: 'MAIN_JOB not exported' };
    const config = join(dir, 'main.json');
    writeFileSync(config, JSON.stringify(cfg));
    const logEvery = steps <= 3 ? 1 : Math.max(1, Math.floor(steps / 3));
    const r = spawnSync(process.execPath, [cli, 'train', '--config', config, '--steps', String(steps), '--checkpoint-every', '0', '--log-every', String(logEvery), '--out', join(dir, 'run')], {
      encoding: 'utf8',
      timeout: timeoutS * 1000,
      env: { ...process.env, EVDM_LOG: 'quiet', ...env },
    });
    let lines = [];
    try {
      lines = readFileSync(join(dir, 'run', 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
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

const started = new Date().toISOString();
say(`training step, batch ${batch}, median of ${runs} timed steps after 1 warm-up (pure cpu: 1 timed step), each cell in its own process; started ${started}`);
const cells = [];
for (const model of models) {
  for (const backend of backends) {
    say(`  ${model} on ${backend} ...`);
    const c = benchCell(model, backend);
    cells.push(c);
    say(`    ${c.median_ms ? `${(c.median_ms / 1000).toFixed(2)} s (runs ${c.runs.map((x) => (x / 1000).toFixed(2)).join(', ')})` : (c.error ?? c.skipped)}`);
  }
}
const mainRows = [];
if (mainSteps > 0) {
  const cpuSteps = 2;
  for (const [label, env, steps] of [
    ['wasm + native', { EVDM_BACKEND: 'wasm' }, mainSteps],
    ['cpu + native', { EVDM_BACKEND: 'cpu' }, mainSteps],
    ['wasm (EVDM_NATIVE=0)', { EVDM_BACKEND: 'wasm', EVDM_NATIVE: '0' }, mainSteps],
    ['pure tfjs cpu (EVDM_NATIVE=0)', { EVDM_BACKEND: 'cpu', EVDM_NATIVE: '0' }, cpuSteps],
  ]) {
    say(`  main job training on ${label} ...`);
    const row = mainThroughput(label, env, steps);
    mainRows.push(row);
    say(`    ${row.steps_per_s ? `${row.steps_per_s.toFixed(3)} steps/s` : row.error}`);
  }
}

const cell = (m, b) => cells.find((c) => c.model === m && c.backend === b);
const fmt = (c) => (c == null ? '' : c.median_ms ? `${(c.median_ms / 1000).toFixed(2)} s` : (c.error ?? c.skipped));
say('');
say(`| network (batch ${batch}) | ${backends.map((b) => (b === 'torch' ? 'PyTorch' : b === 'torch1' ? 'PyTorch 1 thread' : b === 'native' ? 'native (wasm host)' : b === 'native-cpu' ? 'native (cpu host)' : `pure ${b}`)).join(' | ')} |`);
say(`|---|${backends.map(() => '---').join('|')}|`);
for (const m of models) say(`| ${m} | ${backends.map((b) => fmt(cell(m, b))).join(' | ')} |`);
const best = (m) => ['native', 'native-cpu'].map((b) => cell(m, b)).filter((c) => c?.median_ms).sort((a, b) => a.median_ms - b.median_ms)[0];
const ratios = {};
const mc = best('mcvd-kth');
const el = best('evdm-l-kth');
const torch = cell('mcvd-kth', 'torch');
if (mc && torch?.median_ms) ratios.mcvd_native_over_torch = mc.median_ms / torch.median_ms;
const torch1 = cell('mcvd-kth', 'torch1');
if (mc && torch1?.median_ms) ratios.mcvd_native_over_torch_1_thread = mc.median_ms / torch1.median_ms;
if (mc && el) ratios.mcvd_over_evdml_native = mc.median_ms / el.median_ms;
const mainNative = mainRows.filter((r) => r.label.includes('+ native') && r.steps_per_s).sort((a, b) => b.steps_per_s - a.steps_per_s)[0];
const mainCpu = mainRows.find((r) => r.label.startsWith('pure tfjs cpu'));
if (mainNative && mainCpu?.steps_per_s) ratios.main_native_over_pure_cpu = mainNative.steps_per_s / mainCpu.steps_per_s;
say('');
if (mc) say(`native = faster host: MCVD-KTH on ${mc.backend}, EVDM-L-KTH on ${el?.backend ?? '-'}`);
if (torch?.blas) say(`PyTorch ${torch.threads} thread(s), BLAS: ${torch.blas}`);
if (torch?.blas && !/openblas|mkl|blis/i.test(torch.blas)) say('  warning: PyTorch runs on the generic reference BLAS (slow matmul / bmm); apt-get install libopenblas0-pthread for a fair baseline');
if (ratios.mcvd_native_over_torch) say(`MCVD-KTH native / PyTorch: ${ratios.mcvd_native_over_torch.toFixed(2)}x the time (target <= 1.5x)`);
if (ratios.mcvd_native_over_torch_1_thread) say(`MCVD-KTH native / PyTorch 1 thread: ${ratios.mcvd_native_over_torch_1_thread.toFixed(2)}x the time`);
if (ratios.mcvd_over_evdml_native) say(`EVDM-L-KTH speed-up over MCVD-KTH on native: ${ratios.mcvd_over_evdml_native.toFixed(2)}x (target >= 6x)`);
for (const r of mainRows) say(`main job training: ${r.label}: ${r.steps_per_s ? `${r.steps_per_s.toFixed(3)} steps/s` : r.error}`);
if (ratios.main_native_over_pure_cpu) say(`main job, best native / pure tfjs cpu: ${ratios.main_native_over_pure_cpu.toFixed(1)}x steps/s (target >= 20x)`);
if (json) process.stdout.write(JSON.stringify({ started, batch, runs, cells, main: mainRows, ratios }) + '\n');
