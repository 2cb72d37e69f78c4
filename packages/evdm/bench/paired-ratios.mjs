// Paired rounds for the MCVD / EVDM-L speed-up (training-step-backends.mjs --paired-rounds N): on a
// shared machine the speed drifts by 10-30 % within minutes, and the main cells time all MCVD cells
// before all EVDM-L ones, so their ratio also measures the drift. Here each round times MCVD then
// EVDM-L back to back (each in its own process, on the native host that was faster for it in the main
// cells), and the speed-up is the median of the per-round ratios. Nothing is asserted.

import { fasterNativeCell } from './training-step-report.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/**
 * `benchCell(model, backend, mode)` as in training-step-backends.mjs; `cells` / `sampling` its main
 * results. Returns `{train, sample}`, each `{rounds: [{mcvd_ms, evdml_ms, ratio}], median_ratio, hosts}`
 * or `{skipped}`.
 */
export function pairedRatios({ benchCell, cells, sampling, rounds, say, models = ['mcvd-kth', 'evdm-l-kth'] }) {
  const out = {};
  for (const [mode, list] of [
    ['train', cells],
    ['sample', sampling],
  ]) {
    const hosts = models.map((m) => fasterNativeCell(list, m)?.backend);
    if (hosts.some((h) => !h)) {
      out[mode] = { skipped: 'no native cell of both networks in the main run' };
      continue;
    }
    say(`paired rounds, ${mode === 'train' ? 'training' : 'sampling'}: ${models[0]} on ${hosts[0]}, ${models[1]} on ${hosts[1]}`);
    const rs = [];
    for (let r = 0; r < rounds; r++) {
      const [a, b] = models.map((m, i) => benchCell(m, hosts[i], mode));
      if (!a.median_ms || !b.median_ms) {
        say(`  round ${r + 1}: ${a.error ?? b.error ?? 'failed'}`);
        continue;
      }
      const row = { mcvd_ms: a.median_ms, evdml_ms: b.median_ms, ratio: a.median_ms / b.median_ms };
      rs.push(row);
      say(`  round ${r + 1}: ${row.mcvd_ms.toFixed(0)} / ${row.evdml_ms.toFixed(0)} ms = ${row.ratio.toFixed(2)}x`);
    }
    out[mode] = { hosts, rounds: rs, median_ratio: rs.length ? median(rs.map((x) => x.ratio)) : undefined };
    if (rs.length) say(`  median of ${rs.length} paired ratios: ${out[mode].median_ratio.toFixed(2)}x`);
  }
  return out;
}
