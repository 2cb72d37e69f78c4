import type { Command } from 'commander';
import { initBackend } from '../runtime/backend';
import { resolveCheckpointDir } from '../sample/load';
import { checkpointWeights, exportModel, type ExportFormat } from '../interop/export-weights';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the weights of an evdm checkpoint (MCVD, EVDM, EVDM-L) as safetensors or a TF.js weights directory')
    .argument('<checkpoint>', 'a checkpoint directory, a checkpoints root, or a run directory')
    .requiredOption('--format <format>', 'safetensors (one file) or tfjs (directory: model.json + weight shards)')
    .requiredOption('--out <path>', 'new file (safetensors) or directory (tfjs); never overwritten')
    .option('--weights <group>', 'ema, params, or auto (ema when the checkpoint has it)', 'auto')
    .option(
      '--names <names>',
      'safetensors tensor names: evdm (TF layouts) or mcvd (MCVD state_dict names, PyTorch layouts)',
      'evdm',
    )
    .option('--json', 'print a JSON summary')
    .action(async (ckpt: string, o: { format: string; out: string; weights: string; names: string; json?: boolean }) => {
      if (o.format !== 'safetensors' && o.format !== 'tfjs')
        throw new Error(`--format must be safetensors or tfjs, got "${o.format}"`);
      if (!['ema', 'params', 'auto'].includes(o.weights))
        throw new Error(`--weights must be ema, params or auto, got "${o.weights}"`);
      await initBackend({ backend: 'cpu', native: false, log: () => {} }); // tensors are only encoded here
      const dir = resolveCheckpointDir(ckpt);
      const m = checkpointWeights(dir, o.weights as 'ema' | 'params' | 'auto');
      const files = await exportModel(m, o.format as ExportFormat, o.out, o.names as 'evdm' | 'mcvd');
      const params = m.weights.reduce((n, w) => n + w.data.length, 0);
      if (o.json) {
        process.stdout.write(
          JSON.stringify({ checkpoint: dir, format: o.format, weights: m.group, tensors: m.weights.length, params, files }) +
            '\n',
        );
        return;
      }
      console.log(
        `exported ${dir} (${m.group} weights, ${m.weights.length} tensors, ${params} parameters) as ${o.format}: ${files.join(', ')}`,
      );
    });
}
