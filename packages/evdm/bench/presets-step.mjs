// Forward + backward of every preset network at batch 1 on the active backend (default: the same
// choice as `evdm`), with the tensor count checked before/after. Each network runs in its own Node
// process: a fresh wasm heap per network, and a network too big for wasm's 4 GB heap (which aborts
// the wasm module) is retried with gradient checkpointing (`--remat auto`, the default; `on` / `off`
// force it), and reported if it still does not fit. Large presets take minutes.
//   node packages/evdm/bench/presets-step.mjs [--models mcvd,evdm,evdm-l] [--datasets smmnist,kth,bair-c2,ucf101] [--remat auto|on|off] [--json]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ParamStore, Rng } from '@evdm/core';
import { DenoisingUNet, initBackend, measureTrainingPass, modelConfig } from 'evdm';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

/** Child mode: one network, one JSON line on stdout. */
async function runOne(model, dataset, rematerialize) {
  const runtime = await initBackend({ log: () => {} });
  const net = new DenoisingUNet(modelConfig(model, dataset));
  const row = { model, dataset, backend: runtime.name, params: net.paramCount(), rematerialize };
  const params = new ParamStore(net.paramSpecs(), new Rng(0));
  const pass = await measureTrainingPass(net, params, { seed: 1, rematerialize });
  row.fwd_bwd_ms = Math.round(pass.milliseconds);
  row.leaked_tensors = pass.leakedTensors;
  params.dispose();
  process.stdout.write(JSON.stringify(row) + '\n');
}

/** Runs one network in a fresh process; a row with `error` (and `outOfMemory`) when it fails. */
function runChild(model, dataset, backend, rematerialize) {
  const child = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--one', `${model}:${dataset}`, ...(rematerialize ? ['--remat-on'] : [])],
    {
      encoding: 'utf8',
      env: { ...process.env, EVDM_BACKEND: backend },
      maxBuffer: 1 << 26,
    },
  );
  const line = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    const err = (child.stderr || '').split('\n').filter((l) => /Error|Aborted|XNN status|out of memory/i.test(l));
    const outOfMemory = err.some((l) =>
      /XNN status .* 6|Aborted|out of memory|Cannot enlarge|memory access out of bounds/i.test(l),
    );
    return {
      model,
      dataset,
      backend,
      params: new DenoisingUNet(modelConfig(model, dataset)).paramCount(),
      rematerialize,
      outOfMemory,
      error: outOfMemory
        ? `does not fit the ${backend} heap${rematerialize ? ' even with gradient checkpointing' : ''} (${err[0] ?? 'aborted'})`
        : (err[0] ?? `exit code ${child.status}`),
    };
  }
}

const one = arg('--one', null);
if (one) {
  const [model, dataset] = one.split(':');
  await runOne(model, dataset, process.argv.includes('--remat-on'));
} else {
  const models = arg('--models', 'mcvd,evdm,evdm-l').split(',');
  const datasets = arg('--datasets', 'smmnist,kth,bair-c2,ucf101').split(',');
  const json = process.argv.includes('--json');
  const remat = arg('--remat', 'auto');
  if (!['auto', 'on', 'off'].includes(remat)) throw new Error(`--remat must be auto, on or off, got "${remat}"`);
  const runtime = await initBackend({ log: json ? () => {} : undefined });
  const rows = [];
  for (const dataset of datasets) {
    for (const model of models) {
      let row = runChild(model, dataset, runtime.name, remat === 'on');
      if (row.error && row.outOfMemory && remat === 'auto') row = runChild(model, dataset, runtime.name, true);
      delete row.outOfMemory;
      rows.push(row);
      if (!json)
        console.log(
          `${dataset.padEnd(8)} ${model.padEnd(7)} params ${(row.params / 1e6).toFixed(1).padStart(6)}M  ${row.error ? 'FAILED: ' + row.error : `${row.fwd_bwd_ms} ms${row.rematerialize ? ' (gradient checkpointing)' : ''}, leaked ${row.leaked_tensors}`}`,
        );
    }
  }
  if (json) console.log(JSON.stringify(rows, null, 2));
}
