// Forward + backward of every preset network at batch 1 on the active backend (default: the same
// choice as `evdm`), with the tensor count checked before/after. Large presets take minutes on a
// CPU; wasm's 4 GB heap cannot hold the biggest ones, which is reported as such.
//   node packages/evdm/bench/presets-step.mjs [--models mcvd,evdm,evdm-l] [--datasets smmnist,kth,bair-c2,ucf101] [--json]
import { ParamStore, Rng } from '@evdm/core';
import { DenoisingUNet, initBackend, measureTrainingPass, modelConfig } from 'evdm';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const models = arg('--models', 'mcvd,evdm,evdm-l').split(',');
const datasets = arg('--datasets', 'smmnist,kth,bair-c2,ucf101').split(',');
const json = process.argv.includes('--json');
const runtime = await initBackend();
const rows = [];
for (const dataset of datasets) {
  for (const model of models) {
    const net = new DenoisingUNet(modelConfig(model, dataset));
    const row = { model, dataset, backend: runtime.name, params: net.paramCount() };
    let params;
    try {
      params = new ParamStore(net.paramSpecs(), new Rng(0));
      const pass = await measureTrainingPass(net, params, { seed: 1 });
      row.fwd_bwd_ms = Math.round(pass.milliseconds);
      row.leaked_tensors = pass.leakedTensors;
    } catch (e) {
      row.error = String(e.message ?? e).split('\n')[0];
    } finally {
      params?.dispose();
    }
    rows.push(row);
    if (!json) console.log(`${dataset.padEnd(8)} ${model.padEnd(7)} params ${(row.params / 1e6).toFixed(1).padStart(6)}M  ${row.error ? 'FAILED: ' + row.error : `${row.fwd_bwd_ms} ms, leaked ${row.leaked_tensors}`}`);
  }
}
if (json) console.log(JSON.stringify(rows, null, 2));
