import type { Command } from 'commander';
import { formatRows, reproduceTable } from '../profile/reproduce';

const STRUCTURE_TABLES = ['table1', 'table2', 'table8'];

export function registerReproduce(program: Command): void {
  program
    .command('reproduce')
    .description("recompute a table of the paper and print ours beside the paper's numbers")
    .argument('<table>', `one of ${STRUCTURE_TABLES.join(', ')}`)
    .option('--msm <mode>', 'attention of MSM networks: gate (Eq. 14, default) or favor (FAVOR+ in every block, closest to the published GFLOPs)', 'gate')
    .option('--json', 'print a JSON array of rows (keys: table, dataset, model, params, gflops, batch, level, kind, paper_*, *_diff_pct)')
    .action((table: string, opts: { json?: boolean; msm: string }) => {
      const rows = reproduceTable(table, { msm: opts.msm as 'gate' | 'favor' });
      if (opts.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      console.log(`${table}: ours vs the paper (params exact counts, GFLOPs = fvcore MACs at the paper's batch; MSM attention: ${opts.msm})`);
      console.log(formatRows(rows));
    });
}
