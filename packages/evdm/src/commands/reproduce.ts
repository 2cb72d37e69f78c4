import type { Command } from 'commander';
import { parseBackendChoice } from '@evdm/backend';
import { formatRows, reproduceTable } from '../profile/reproduce';
import {
  EVAL_TABLES,
  formatEvalReproduction,
  formatTimingReproduction,
  paperProtocols,
  reproduceEvalTable,
  reproduceTimingTable,
  SMOKE_FVD_LABEL,
  type EvalTable,
  type ReproduceEvalOptions,
} from '../eval/reproduce-eval';
import type { ModelName } from '../models/presets';
import { intFlag } from './flags';
import { registerReproduceBudget } from './reproduce-budget';

const STRUCTURE_TABLES = ['table1', 'table2', 'table8'];
const DATASETS = ['smmnist', 'kth', 'bair', 'ucf101'] as const;

interface ReproduceFlags {
  json?: boolean;
  msm: string;
  smoke?: boolean;
  out?: string;
  dataPath: string[];
  checkpoints?: string;
  checkpointMcvd?: string;
  checkpointEvdm?: string;
  checkpointEvdmL?: string;
  only?: string;
  i3d?: string;
  clips?: string;
  trajectories?: string;
  batch?: string;
  seed?: string;
  backend?: string;
  dataset?: string;
  runs?: string;
}

function dataset(flag: string, v: string): (typeof DATASETS)[number] {
  if (!(DATASETS as readonly string[]).includes(v))
    throw new Error(`${flag}: unknown dataset "${v}" (have ${DATASETS.join(', ')})`);
  return v as (typeof DATASETS)[number];
}

/** `--data-path DIR` (the table's one dataset) or `--data-path NAME=DIR` (repeatable). */
function dataPaths(table: EvalTable, values: string[], only?: string): ReproduceEvalOptions['dataPaths'] {
  const out: NonNullable<ReproduceEvalOptions['dataPaths']> = {};
  const blocks =
    table === 'table9'
      ? []
      : paperProtocols(table)
          .map((p) => p.dataset)
          .filter((d) => !only || d === only);
  for (const v of values) {
    const m = /^(smmnist|kth|bair|ucf101)=(.+)$/.exec(v);
    if (m) out[m[1] as 'kth'] = m[2];
    else {
      const needing = blocks.filter((d) => d !== 'smmnist');
      if (needing.length !== 1)
        throw new Error(
          `--data-path ${v}: ${table} reads ${needing.join(', ') || 'no stored dataset'}; name it: --data-path kth=DIR`,
        );
      out[needing[0]] = v;
    }
  }
  return out;
}

function toOptions(table: EvalTable, f: ReproduceFlags): ReproduceEvalOptions {
  const checkpoint: Partial<Record<ModelName, string>> = {};
  if (f.checkpointMcvd) checkpoint.mcvd = f.checkpointMcvd;
  if (f.checkpointEvdm) checkpoint.evdm = f.checkpointEvdm;
  if (f.checkpointEvdmL) checkpoint['evdm-l'] = f.checkpointEvdmL;
  const only = f.only === undefined ? undefined : dataset('--only', f.only);
  return {
    smoke: f.smoke,
    out: f.out,
    dataPaths: dataPaths(table, f.dataPath, only),
    checkpoints: f.checkpoints,
    checkpoint,
    only,
    i3d: f.i3d,
    clips: intFlag('clips', f.clips, 1),
    trajectories: intFlag('trajectories', f.trajectories, 1),
    batch: intFlag('batch', f.batch, 1),
    seed: intFlag('seed', f.seed, 0),
    backend: f.backend === undefined ? undefined : parseBackendChoice(f.backend, '--backend'),
    dataset: f.dataset === undefined ? undefined : dataset('--dataset', f.dataset),
    runs: intFlag('runs', f.runs, 1),
  };
}

export function registerReproduce(program: Command): void {
  const reproduce = program
    .command('reproduce')
    // `reproduce budget --smoke`: options after the subcommand name are the subcommand's
    .enablePositionalOptions()
    .description("recompute a table of the paper and print ours beside the paper's numbers")
    .argument('<table>', `structure tables ${STRUCTURE_TABLES.join(', ')}; evaluation tables ${EVAL_TABLES.join(', ')}`)
    .option(
      '--msm <mode>',
      'structure tables: attention of MSM networks: gate (Eq. 14, default) or favor (FAVOR+ in every block, closest to the published GFLOPs)',
      'gate',
    )
    .option('--json', 'print a JSON array of rows (keys in the README)')
    .option(
      '--smoke',
      'evaluation tables: the whole path at tiny scale with no external data (tiny networks trained 2 steps, SM-MNIST or HDF5 fixtures, random-I3D FVD)',
    )
    .option('--out <dir>', 'evaluation tables: output directory (default out/reproduce-<table>)')
    .option(
      '--data-path <dir>',
      "the table's dataset (converted HDF5), or NAME=DIR for Table 7 (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      '--checkpoints <dir>',
      'checkpoints as DIR/<dataset>-<model> (Table 7: DIR/<dataset>-interp-<model>), model = mcvd | evdm | evdm-l',
    )
    .option('--checkpoint-mcvd <dir>', 'MCVD checkpoint (run directory or checkpoint)')
    .option('--checkpoint-evdm <dir>', 'EVDM checkpoint')
    .option('--checkpoint-evdm-l <dir>', 'EVDM-L checkpoint')
    .option('--only <dataset>', 'Table 7: only this dataset block (smmnist, kth, bair)')
    .option('--i3d <dir>', 'converted I3D weights for FVD (skipped otherwise)')
    .option('--clips <n>', 'deviate from the protocol: test clips (default the test set, 256)')
    .option('--trajectories <n>', "deviate from the protocol: samples per clip (default the paper's best of N)")
    .option('--batch <n>', 'test clips per sampling batch (Table 9: training batch)')
    .option('--seed <n>', 'sampling seed')
    .option('--backend <name>', 'tfjs backend (default: EVDM_BACKEND or auto)')
    .option('--dataset <name>', 'Table 9: the preset networks to time (default kth)')
    .option('--runs <n>', 'Table 9: timed steps after a warm-up (default 3)')
    .action(async (table: string, f: ReproduceFlags) => {
      if (STRUCTURE_TABLES.includes(table)) {
        const rows = reproduceTable(table, { msm: f.msm as 'gate' | 'favor' });
        if (f.json) {
          process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          return;
        }
        console.log(
          `${table}: ours vs the paper (params exact counts, GFLOPs = fvcore MACs at the paper's batch; MSM attention: ${f.msm})`,
        );
        console.log(formatRows(rows));
        return;
      }
      if (!(EVAL_TABLES as readonly string[]).includes(table)) {
        throw new Error(
          `unknown table "${table}": the structure tables are ${STRUCTURE_TABLES.join(', ')}, the evaluation tables ${EVAL_TABLES.join(', ')}`,
        );
      }
      const opts = toOptions(table as EvalTable, f);
      if (table === 'table9') {
        const rows = await reproduceTimingTable(opts);
        if (rows.every((r) => r.train_step_ms === null)) throw new Error(`table9: every model failed: ${rows[0].note}`);
        if (f.json) {
          process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
          return;
        }
        console.log(
          `table9: training step and sampling step time of MCVD / EVDM / EVDM-L${opts.smoke ? ' [smoke: tiny networks]' : ''}: ours measured vs the paper's A40 numbers`,
        );
        console.log(formatTimingReproduction(rows));
        for (const n of new Set(rows.map((r) => `${r.train_step_ms === null ? `${r.model}: ` : ''}${r.note}`))) console.log(n);
        console.log("paper GPU h / paper ms: the paper's two groups of rows (it does not name their datasets)");
        return;
      }
      const rows = await reproduceEvalTable(table as EvalTable, opts);
      const todo = rows.filter((r) => r.todo).map((r) => `  ${r.dataset} ${r.model}: ${r.todo}`);
      const ok = rows.filter((r) => r.status === 'ok').length;
      if (ok === 0) {
        throw new Error(
          `${table}: nothing to evaluate yet. Train the checkpoints (paper settings) and pass the data:\n${[...new Set(todo)].join('\n')}\n(or run the whole path at tiny scale: evdm reproduce ${table} --smoke)`,
        );
      }
      if (todo.length) process.stderr.write(`${table}: missing inputs for ${todo.length} row(s):\n${todo.join('\n')}\n`);
      if (f.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return;
      }
      const notes = [
        ...new Set((opts.smoke ? paperProtocols(table as EvalTable) : paperProtocols(table as EvalTable)).map((p) => p.note)),
      ];
      console.log(
        `${table}: ours vs the paper${opts.smoke ? ' [SMOKE: tiny networks trained 2 steps on tiny data; these numbers only show the path works]' : ''}`,
      );
      for (const n of notes)
        console.log(`  protocol: ${n}${opts.smoke ? ' (smoke: 2 clips, <= 2 trajectories, 2-4 steps, 16 px)' : ''}`);
      console.log(formatEvalRows(rows));
      const fvdNote = rows.find((r) => r.status === 'ok')?.fvd_note;
      if (fvdNote) console.log(`FVD: ${fvdNote === SMOKE_FVD_LABEL ? SMOKE_FVD_LABEL : fvdNote}`);
      console.log(
        "PSNR/SSIM: mean ± 95% CI over test clips of the best of N samples; SSIM in MCVD's convention (uint8 luma, Gaussian window)",
      );
    });
  registerReproduceBudget(reproduce);
}

const formatEvalRows = formatEvalReproduction;
