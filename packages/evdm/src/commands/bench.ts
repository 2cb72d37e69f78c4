import type { Command } from 'commander';
import { initBackend } from '../runtime/backend';
import { parseBenchModel, timeTrainingSteps } from '../bench/training-step';
import { intFlag } from './flags';

const BACKENDS = ['cpu', 'wasm', 'native', 'native-cpu'] as const;

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks (timings, not tests)');
  bench
    .command('step')
    .description('time one training step (forward + backward + Adam) of a preset network on a backend')
    .option('--model <name>', 'mcvd-kth | evdm-kth | evdm-l-kth (any preset dataset suffix: -smmnist, -bair, -ucf101)', 'mcvd-kth')
    .option('--backend <name>', 'cpu | wasm | native (wasm host + @evdm/backend-native oneDNN kernels) | native-cpu (cpu host + the same kernels; no 4 GB heap limit)', 'wasm')
    .option('--batch <n>', 'batch size', '8')
    .option('--runs <n>', 'timed steps after one warm-up step', '5')
    .option('--rematerialize', 'gradient checkpointing: recompute block activations in the backward pass (what fits batch-8 KTH steps in the wasm heap)')
    .option('--json', 'print {"model", "backend", "batch", "median_ms", "runs"} (runs = every timed step in ms)')
    .action(async (opts: { model: string; backend: string; batch: string; runs: string; json?: boolean; rematerialize?: boolean }) => {
      const { model, dataset } = parseBenchModel(opts.model);
      if (!(BACKENDS as readonly string[]).includes(opts.backend)) throw new Error(`--backend must be one of ${BACKENDS.join(', ')}, got "${opts.backend}"`);
      const batch = intFlag('batch', opts.batch, 1);
      const runs = intFlag('runs', opts.runs, 1);
      const native = opts.backend.startsWith('native');
      const host = opts.backend === 'native' ? 'wasm' : opts.backend === 'native-cpu' ? 'cpu' : (opts.backend as 'cpu' | 'wasm');
      const runtime = await initBackend({ backend: host, native, log: opts.json ? () => {} : undefined });
      if (native && !runtime.native.active) throw new Error(`--backend ${opts.backend}: ${runtime.native.reason}`);
      const log = (line: string) => {
        if (!opts.json) console.log(line);
      };
      log(`timing ${model}-${dataset}, batch ${batch}, on ${opts.backend}${opts.rematerialize ? ' with gradient checkpointing' : ''}: 1 warm-up step + ${runs} timed steps`);
      const result = await timeTrainingSteps({
        model,
        dataset,
        batch,
        runs,
        backend: opts.backend,
        rematerialize: opts.rematerialize,
        onRun: (i, ms) => log(`  step ${i}/${runs}: ${ms.toFixed(0)} ms`),
      });
      if (opts.json) {
        process.stdout.write(JSON.stringify({ ...result, median_ms: Math.round(result.median_ms * 10) / 10, runs: result.runs.map((r) => Math.round(r * 10) / 10) }) + '\n');
        return;
      }
      log(`median ${result.median_ms.toFixed(0)} ms per step (${((batch * 1000) / result.median_ms).toFixed(2)} samples/s)`);
    });
}
