// Tables and ratios of training-step-backends.mjs (the targets are issue 16's). Returns the ratios
// object of the JSON record: the original keys (mcvd_native_over_torch, mcvd_native_over_torch_1_thread,
// mcvd_over_evdml_native, main_native_over_pure_cpu) keep their meaning; the others were added.

/** The main job's steps/s on the best native host before issue 16 (README, quiet machine). */
export const MAIN_JOB_BASELINE_STEPS_PER_S = 2.03;

const LABELS = {
  torch: 'PyTorch',
  torch1: 'PyTorch 1 thread',
  native: 'native (wasm host)',
  'native-cpu': 'native (cpu host)',
  'native-cpu-hugetlb': 'native (cpu host, malloc hugetlb)',
};
const label = (b) => LABELS[b] ?? `pure ${b}`;
const SHORT = { 'mcvd-kth': 'mcvd', 'evdm-l-kth': 'evdml' };
const x = (v, digits = 2) => (v == null || !Number.isFinite(v) ? '-' : `${v.toFixed(digits)}x`);

/**
 * "native" = the faster of the two native hosts for `model` in `list` (hugetlb is reported separately, as
 * the environment it needs): its cell, or undefined.
 */
export function fasterNativeCell(list, model) {
  return ['native', 'native-cpu']
    .map((b) => list.find((c) => c.model === model && c.backend === b && c.median_ms))
    .filter(Boolean)
    .sort((a, b) => a.median_ms - b.median_ms)[0];
}

export function printSummary({
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
}) {
  const find = (list, m, b) => list.find((c) => c.model === m && c.backend === b);
  const ok = (c) => (c?.median_ms ? c : null);
  const sec = (c) => (c == null ? '' : c.median_ms ? `${(c.median_ms / 1000).toFixed(2)} s` : (c.error ?? c.skipped));
  const ms = (c) => (c == null ? '' : c.median_ms ? `${c.median_ms.toFixed(0)} ms` : (c.error ?? c.skipped));
  const rss = (c) => (c?.max_rss_mb ? `${Math.round(c.max_rss_mb)}` : '-');
  const table = (title, list, bs, fmt) => {
    say('');
    say(`| ${title} | ${bs.map(label).join(' | ')} |`);
    say(`|---|${bs.map(() => '---').join('|')}|`);
    for (const m of models) say(`| ${m} | ${bs.map((b) => fmt(find(list, m, b))).join(' | ')} |`);
  };
  table(`training step (batch ${batch})`, cells, backends, sec);
  table(`peak RSS of the training-step process (MB)`, cells, backends, rss);
  if (sampleBackends.length) table(`sampling step (batch ${sampleBatch})`, sampling, sampleBackends, ms);

  const best = fasterNativeCell;
  const bestTorch = (list, m) =>
    ['torch', 'torch1']
      .map((b) => ok(find(list, m, b)))
      .filter(Boolean)
      .sort((a, b) => a.median_ms - b.median_ms)[0];
  const over = (a, b) => (a?.median_ms && b?.median_ms ? a.median_ms / b.median_ms : undefined);
  const ratios = {};
  const set = (k, v) => {
    if (v !== undefined && Number.isFinite(v)) ratios[k] = v;
  };
  const [mc, el] = [best(cells, 'mcvd-kth'), best(cells, 'evdm-l-kth')];
  set('mcvd_native_over_torch', over(mc, find(cells, 'mcvd-kth', 'torch')));
  set('mcvd_native_over_torch_1_thread', over(mc, find(cells, 'mcvd-kth', 'torch1')));
  set('mcvd_over_evdml_native', over(mc, el));
  set(
    'mcvd_over_evdml_native_hugetlb',
    over(find(cells, 'mcvd-kth', 'native-cpu-hugetlb'), find(cells, 'evdm-l-kth', 'native-cpu-hugetlb')),
  );
  set('mcvd_over_evdml_torch', over(bestTorch(cells, 'mcvd-kth'), bestTorch(cells, 'evdm-l-kth')));
  set('evdml_native_over_torch', over(el, find(cells, 'evdm-l-kth', 'torch')));
  set('evdml_native_over_torch_1_thread', over(el, find(cells, 'evdm-l-kth', 'torch1')));
  set('mcvd_native_over_best_torch', over(mc, bestTorch(cells, 'mcvd-kth')));
  set('evdml_native_over_best_torch', over(el, bestTorch(cells, 'evdm-l-kth')));
  const [smc, sel] = [best(sampling, 'mcvd-kth'), best(sampling, 'evdm-l-kth')];
  set('sample_mcvd_over_evdml_native', over(smc, sel));
  set(
    'sample_mcvd_over_evdml_native_hugetlb',
    over(find(sampling, 'mcvd-kth', 'native-cpu-hugetlb'), find(sampling, 'evdm-l-kth', 'native-cpu-hugetlb')),
  );
  set('sample_mcvd_over_evdml_torch', over(bestTorch(sampling, 'mcvd-kth'), bestTorch(sampling, 'evdm-l-kth')));
  set('sample_mcvd_native_over_best_torch', over(smc, bestTorch(sampling, 'mcvd-kth')));
  set('sample_evdml_native_over_best_torch', over(sel, bestTorch(sampling, 'evdm-l-kth')));
  const rssOf = (m, b) => find(cells, m, b)?.max_rss_mb;
  for (const b of ['native-cpu', 'native-cpu-hugetlb', 'torch']) {
    const [a, c] = [rssOf('evdm-l-kth', b), rssOf('mcvd-kth', b)];
    if (a && c) set(`evdml_over_mcvd_peak_rss_${b.replace(/-/g, '_')}`, a / c);
  }
  const triad1 = bandwidth?.threads1?.best_gbps;
  const triad2 = bandwidth?.threads2?.best_gbps;
  for (const p of profiles) {
    if (!p.memory_gbps || !SHORT[p.model]) continue;
    if (triad1) set(`${SHORT[p.model]}_memory_gbps_over_triad_1_thread`, p.memory_gbps / triad1);
    if (triad2) set(`${SHORT[p.model]}_memory_gbps_over_triad_2_threads`, p.memory_gbps / triad2);
    set(`${SHORT[p.model]}_memory_over_compute_time`, p.memory_ms / Math.max(p.compute_ms, 1e-9));
  }
  const mainNative = mainRows
    .filter((r) => r.label.includes('+ native') && r.steps_per_s)
    .sort((a, b) => b.steps_per_s - a.steps_per_s)[0];
  const mainCpu = mainRows.find((r) => r.label.startsWith('pure tfjs cpu'));
  if (mainNative && mainCpu?.steps_per_s) set('main_native_over_pure_cpu', mainNative.steps_per_s / mainCpu.steps_per_s);
  if (mainNative) set('main_native_over_baseline', mainNative.steps_per_s / MAIN_JOB_BASELINE_STEPS_PER_S);

  say('');
  if (mc)
    say(
      `native = faster host: MCVD-KTH on ${mc.backend}, EVDM-L-KTH on ${el?.backend ?? '-'}; PyTorch = the faster of its 2-thread and 1-thread cells`,
    );
  const torchCell = cells.find((c) => c.blas);
  if (torchCell) say(`PyTorch BLAS: ${torchCell.blas}`);
  if (torchCell?.blas && !/openblas|mkl|blis/i.test(torchCell.blas))
    say(
      '  warning: PyTorch runs on the generic reference BLAS (slow matmul / bmm); apt-get install libopenblas0-pthread for a fair baseline',
    );
  const peerParams = models
    .map((m) => [m, find(cells, m, 'torch')?.params ?? find(cells, m, 'torch1')?.params])
    .filter(([, p]) => p);
  if (peerParams.length)
    say(
      `PyTorch peers' parameter counts (checked equal to the TS networks' by the scripts): ${peerParams.map(([m, p]) => `${m} ${p.toLocaleString('en-US')}`).join(', ')}`,
    );
  if (bandwidth)
    say(
      `memory bandwidth: ${bandwidth.skipped ?? `triad ${triad1} GB/s on 1 thread, ${triad2} GB/s on 2 threads (${bandwidth.probe})`}`,
    );
  for (const p of profiles) {
    if (p.error) say(`kernel profile ${p.model}: ${p.error}`);
    else
      say(
        `kernel profile ${p.model} (native-cpu, one profiled step): convs + matmuls ${(p.compute_ms / 1000).toFixed(2)} s; memory-bound ${(p.memory_ms / 1000).toFixed(2)} s moving ${(p.memory_bytes / 1e9).toFixed(1)} GB = ${p.memory_gbps.toFixed(2)} GB/s (${p.memory_small_calls} of ${p.memory_calls} calls < 1 MB); slowest: ${p.top_memory_kernels
          .slice(0, 4)
          .map((k) => `${k.name} ${(k.ms / 1000).toFixed(2)} s @ ${k.gbps.toFixed(2)} GB/s`)
          .join(', ')}`,
      );
  }
  for (const r of mainRows)
    say(`main job training: ${r.label}: ${r.steps_per_s ? `${r.steps_per_s.toFixed(3)} steps/s` : r.error}`);
  say(
    `load average (1, 5, 15 min): ${load.before.join(' ')} before, ${load.after.join(' ')} after (other work on the machine inflates every cell)`,
  );

  const R = ratios;
  const rows = [
    ['EVDM-L-KTH speed-up over MCVD-KTH, evdm native, training', x(R.mcvd_over_evdml_native), '>= 3x'],
    ['  same, malloc hugetlb', x(R.mcvd_over_evdml_native_hugetlb), '>= 3x'],
    ['EVDM-L-KTH speed-up over MCVD-KTH, evdm native, sampling', x(R.sample_mcvd_over_evdml_native), '>= 3x'],
    ['  same, malloc hugetlb', x(R.sample_mcvd_over_evdml_native_hugetlb), '>= 3x'],
    [
      'EVDM-L-KTH speed-up over MCVD-KTH in PyTorch: training / sampling',
      `${x(R.mcvd_over_evdml_torch)} / ${x(R.sample_mcvd_over_evdml_torch)}`,
      '(reference)',
    ],
    [
      'MCVD-KTH evdm native / PyTorch time, training (2 threads; 1 thread)',
      `${x(R.mcvd_native_over_torch)}; ${x(R.mcvd_native_over_torch_1_thread)}`,
      '<= 1x',
    ],
    [
      'EVDM-L-KTH evdm native / PyTorch time, training (2 threads; 1 thread)',
      `${x(R.evdml_native_over_torch)}; ${x(R.evdml_native_over_torch_1_thread)}`,
      '<= 1x',
    ],
    [
      'evdm native / best PyTorch, sampling: MCVD-KTH; EVDM-L-KTH',
      `${x(R.sample_mcvd_native_over_best_torch)}; ${x(R.sample_evdml_native_over_best_torch)}`,
      '<= 1x',
    ],
    ...profiles
      .filter((p) => SHORT[p.model] && p.memory_gbps)
      .map((p) => {
        const s = SHORT[p.model];
        const pct = (v) => (v === undefined ? '-' : `${(100 * v).toFixed(1)} %`);
        return [
          `${p.model} memory-bound kernels: ${p.memory_gbps.toFixed(2)} GB/s vs triad 1 thread; 2 threads (memory / conv time)`,
          `${pct(R[`${s}_memory_gbps_over_triad_1_thread`])}; ${pct(R[`${s}_memory_gbps_over_triad_2_threads`])} (${x(R[`${s}_memory_over_compute_time`])})`,
          '>= 50 %, or memory < conv time',
        ];
      }),
    [
      'main job steps/s, best native, vs 2.03 before issue 16',
      mainNative ? `${mainNative.steps_per_s.toFixed(3)} steps/s = ${x(R.main_native_over_baseline)}` : '-',
      '>= 2x',
    ],
    [
      'peak RSS EVDM-L-KTH / MCVD-KTH, training: native-cpu; hugetlb; PyTorch',
      ['native_cpu', 'native_cpu_hugetlb', 'torch'].map((k) => x(R[`evdml_over_mcvd_peak_rss_${k}`])).join('; '),
      '< 1x',
    ],
  ];
  say('');
  say('| ratio | measured | target |');
  say('|---|---|---|');
  for (const [k, v, t] of rows) say(`| ${k} | ${v} | ${t} |`);
  return ratios;
}
