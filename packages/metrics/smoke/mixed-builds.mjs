// FeatureStats made by the CommonJS build is accepted by the ESM frechetDistance (instanceof across
// builds; issue 19): same distance as with ESM-built stats. Plain node.
import { createRequire } from 'node:module';
import '@tensorflow/tfjs-backend-cpu';
import { FeatureStats, frechetDistance, isFeatureStats } from '@evdm/metrics';

const require = createRequire(import.meta.url);
const cjs = require('@evdm/metrics');
if (cjs.FeatureStats === FeatureStats) throw new Error('the CJS and ESM builds must be distinct classes for this check');
const rows = (k) => Array.from({ length: 6 }, (_, i) => [Math.sin(i * k), Math.cos(i + k), (i * k) % 3]);
const make = (C) => new C(3).add(rows(1)).add(rows(2));
const other = new FeatureStats(3).add(rows(5));
const want = frechetDistance(make(FeatureStats), other).distance;
const cjsStats = make(cjs.FeatureStats);
if (!(cjsStats instanceof FeatureStats) || !isFeatureStats(cjsStats)) throw new Error('CJS FeatureStats not recognised');
const got = frechetDistance(cjsStats, other).distance;
if (!(Number.isFinite(want) && got === want)) throw new Error(`frechetDistance with CJS stats: ${got} vs ${want}`);
console.log('metrics mixed builds ok', got);
