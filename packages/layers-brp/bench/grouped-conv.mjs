// Times the three formulations of the grouped 1x1 conv (SO shortcut) on the cpu and wasm backends
// at KTH-like shortcut shapes. Run after `pnpm --filter ./packages/layers-brp build`:
//   node packages/layers-brp/bench/grouped-conv.mjs [batch=8] [rounds=5]
// Methods are interleaved round by round so background load hits them alike; medians are printed.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers'; // gradients
import { GROUPED_CONV_METHODS, groupedConv1x1 } from '@evdm/layers-brp';
import { median, timeOnce } from '../../../scripts/bench-timing.mjs';

const batch = Number(process.argv[2] ?? 8);
const rounds = Number(process.argv[3] ?? 5);
const groups = 4;
// KTH (C0 = 96) blocks with a shortcut conv: [cin, cout, resolution]
const shapes = [
  [288, 96, 64],
  [480, 192, 32],
  [672, 288, 16],
  [768, 384, 8],
];

function timeIt(fn) {
  return timeOnce(() => {
    const out = fn();
    const outs = Array.isArray(out) ? out : [out];
    for (const o of outs) o.dataSync();
    tf.dispose(outs);
  });
}

for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  await tf.ready();
  console.log(`\n## backend ${backend}, batch ${batch}, groups ${groups}, median of ${rounds} rounds (ms)`);
  console.log('| cin→cout @ res | method | forward | forward+backward (dx, dW) |');
  console.log('|---|---|---|---|');
  for (const [cin, cout, res] of shapes) {
    const x = tf.randomNormal([batch, res, res, cin]);
    const k = tf.randomNormal([1, 1, cin / groups, cout]);
    const b = tf.zeros([cout]);
    const fwd = {};
    const bwd = {};
    for (const m of GROUPED_CONV_METHODS) {
      fwd[m] = [];
      bwd[m] = [];
    }
    const grad = (m) => tf.grads((xx, kk) => tf.sum(groupedConv1x1(xx, kk, b, groups, m)));
    for (let r = 0; r <= rounds; r++) {
      for (const m of GROUPED_CONV_METHODS) {
        const tf_ = timeIt(() => groupedConv1x1(x, k, b, groups, m));
        let tb = NaN;
        try {
          tb = timeIt(() => grad(m)([x, k]));
        } catch (e) {
          tb = NaN; // e.g. wasm has no Conv2DBackpropFilter kernel
        }
        if (r > 0) {
          fwd[m].push(tf_);
          bwd[m].push(tb);
        }
      }
    }
    for (const m of GROUPED_CONV_METHODS) {
      const fb = median(bwd[m]);
      console.log(
        `| ${cin}→${cout} @ ${res} | ${m} | ${median(fwd[m]).toFixed(1)} | ${Number.isNaN(fb) ? 'unsupported' : fb.toFixed(1)} |`,
      );
    }
    tf.dispose([x, k, b]);
  }
}
