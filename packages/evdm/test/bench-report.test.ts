// The ratios the benchmark prints are arithmetic on its cells: checked here on made-up cells (no
// timing is measured or asserted). Which cell feeds which ratio is the part that can go wrong.
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script beside the package, no type declarations
import { printSummary, MAIN_JOB_BASELINE_STEPS_PER_S } from '../bench/training-step-report.mjs';

const cell = (model: string, backend: string, median_ms: number, extra: Record<string, unknown> = {}) => ({
  model,
  backend,
  median_ms,
  runs: [median_ms],
  ...extra,
});

describe('training-step-backends ratios', () => {
  it('takes the faster native host, keeps hugetlb and PyTorch apart, and sets GB/s against the triad', () => {
    const lines: string[] = [];
    const cells = [
      cell('mcvd-kth', 'native', 13000),
      cell('mcvd-kth', 'native-cpu', 12000, { max_rss_mb: 4000 }),
      cell('mcvd-kth', 'native-cpu-hugetlb', 10000, { max_rss_mb: 5000 }),
      cell('mcvd-kth', 'torch', 9000, { max_rss_mb: 3000, params: 62831141, blas: 'openblas' }),
      cell('mcvd-kth', 'torch1', 10000),
      { model: 'evdm-l-kth', backend: 'native', error: 'does not fit the 4 GB wasm heap' },
      cell('evdm-l-kth', 'native-cpu', 8000, { max_rss_mb: 3000 }),
      cell('evdm-l-kth', 'native-cpu-hugetlb', 4000, { max_rss_mb: 2500 }),
      cell('evdm-l-kth', 'torch', 4000, { max_rss_mb: 1500 }),
      cell('evdm-l-kth', 'torch1', 3000),
    ];
    const sampling = [
      cell('mcvd-kth', 'native-cpu', 900),
      cell('mcvd-kth', 'torch1', 600),
      cell('evdm-l-kth', 'native-cpu', 450),
      cell('evdm-l-kth', 'torch1', 200),
    ];
    const r = printSummary({
      say: (l: string) => lines.push(l),
      batch: 8,
      models: ['mcvd-kth', 'evdm-l-kth'],
      backends: ['native', 'native-cpu', 'native-cpu-hugetlb', 'torch', 'torch1'],
      sampleBackends: ['native-cpu', 'torch1'],
      sampleBatch: 1,
      cells,
      sampling,
      bandwidth: { probe: 'triad', threads1: { best_gbps: 20 }, threads2: { best_gbps: 40 } },
      profiles: [
        {
          model: 'evdm-l-kth',
          memory_gbps: 2,
          memory_ms: 6000,
          compute_ms: 2000,
          memory_bytes: 12e9,
          memory_calls: 10,
          memory_small_calls: 7,
          top_memory_kernels: [],
        },
      ],
      mainRows: [
        { label: 'cpu + native', steps_per_s: 4.06 },
        { label: 'wasm + native', steps_per_s: 2 },
        { label: 'pure tfjs cpu (EVDM_NATIVE=0)', steps_per_s: 0.01 },
      ],
      load: { before: [1, 1, 1], after: [2, 2, 2] },
    });
    expect(r.mcvd_over_evdml_native).toBeCloseTo(12000 / 8000); // native-cpu on both: native (wasm host) failed for EVDM-L
    expect(r.mcvd_over_evdml_native_hugetlb).toBeCloseTo(10000 / 4000);
    expect(r.mcvd_native_over_torch).toBeCloseTo(12000 / 9000);
    expect(r.mcvd_native_over_torch_1_thread).toBeCloseTo(12000 / 10000);
    expect(r.evdml_native_over_torch).toBeCloseTo(8000 / 4000);
    expect(r.evdml_native_over_best_torch).toBeCloseTo(8000 / 3000);
    expect(r.mcvd_over_evdml_torch).toBeCloseTo(9000 / 3000);
    expect(r.sample_mcvd_over_evdml_native).toBeCloseTo(2);
    expect(r.sample_mcvd_over_evdml_torch).toBeCloseTo(3);
    expect(r.sample_evdml_native_over_best_torch).toBeCloseTo(450 / 200);
    expect(r.evdml_memory_gbps_over_triad_1_thread).toBeCloseTo(0.1);
    expect(r.evdml_memory_gbps_over_triad_2_threads).toBeCloseTo(0.05);
    expect(r.evdml_memory_over_compute_time).toBeCloseTo(3);
    expect(r.evdml_over_mcvd_peak_rss_native_cpu).toBeCloseTo(0.75);
    expect(r.evdml_over_mcvd_peak_rss_torch).toBeCloseTo(0.5);
    expect(r.main_native_over_baseline).toBeCloseTo(4.06 / MAIN_JOB_BASELINE_STEPS_PER_S);
    expect(r.main_native_over_pure_cpu).toBeCloseTo(406);
    expect(r).not.toHaveProperty('mcvd_memory_gbps_over_triad_1_thread');
    // the table names the failed cell's reason rather than a number
    expect(lines.join('\n')).toMatch(
      /\| evdm-l-kth \| does not fit the 4 GB wasm heap \| 8\.00 s \| 4\.00 s \| 4\.00 s \| 3\.00 s \|/,
    );
  });
});
