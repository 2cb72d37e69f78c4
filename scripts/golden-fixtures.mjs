// Keeps test-fixtures/ honest.
//   --check            verify every fixture against test-fixtures/SHA256SUMS (run by `npm test` via check.mjs)
//   --rehash           rewrite SHA256SUMS after regenerating values with test-fixtures/golden/scripts/make_*.py
//   --sync <dir>       copy golden/*.json (+ scripts) and reference/mcvd-numbers.json from a reference folder
//                      laid out like the project's shared/ folder, then rehash
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const fixtures = join(root, 'test-fixtures');
const sums = join(fixtures, 'SHA256SUMS');
const files = () =>
  ['golden', 'reference'].flatMap((d) =>
    readdirSync(join(fixtures, d))
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => `${d}/${f}`),
  );
const sha = (f) =>
  createHash('sha256')
    .update(readFileSync(join(fixtures, f)))
    .digest('hex');
const rehash = () => {
  writeFileSync(
    sums,
    files()
      .map((f) => `${sha(f)}  ${f}\n`)
      .join(''),
  );
  console.log(`wrote ${sums}`);
};

const [mode, arg] = process.argv.slice(2);
if (mode === '--check') {
  const want = readFileSync(sums, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(/\s+/));
  let bad = 0;
  for (const [hash, f] of want) {
    const ok = existsSync(join(fixtures, f)) && sha(f) === hash;
    if (!ok) console.log(`MISMATCH ${f}`);
    bad += ok ? 0 : 1;
  }
  console.log(`${want.length - bad}/${want.length} fixtures match SHA256SUMS`);
  process.exit(bad ? 1 : 0);
} else if (mode === '--sync' && arg) {
  for (const f of readdirSync(join(arg, 'golden')).filter((f) => f.endsWith('.json'))) {
    copyFileSync(join(arg, 'golden', f), join(fixtures, 'golden', f));
  }
  mkdirSync(join(fixtures, 'golden', 'scripts'), { recursive: true });
  for (const f of readdirSync(join(arg, 'golden', 'scripts'))) {
    copyFileSync(join(arg, 'golden', 'scripts', f), join(fixtures, 'golden', 'scripts', f));
  }
  copyFileSync(join(arg, 'reference', 'mcvd-numbers.json'), join(fixtures, 'reference', 'mcvd-numbers.json'));
  rehash();
} else if (mode === '--rehash') {
  rehash();
} else {
  console.error('usage: node scripts/golden-fixtures.mjs --check | --rehash | --sync <shared-dir>');
  process.exit(2);
}
