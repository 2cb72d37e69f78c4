// Every subpath export's types resolve for a TypeScript consumer under each moduleResolution a user
// may have: node10 (legacy `node`, which ignores `exports` and needs `typesVersions`), node16 and
// bundler. A tiny consumer imports every entry point of every package and uses one export of each.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const tmp = mkdtempSync(join(tmpdir(), 'evdm-types-'));
let failed = 0;
try {
  mkdirSync(join(tmp, 'node_modules', '@evdm'), { recursive: true });
  const lines = [];
  let n = 0;
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    symlinkSync(join(root, 'packages', dir), join(tmp, 'node_modules', pkg.name));
    for (const sub of Object.keys(pkg.exports ?? {}).filter((s) => s !== './package.json')) {
      const spec = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
      lines.push(`import * as m${n} from '${spec}';`, `export const k${n} = Object.keys(m${n}) as Array<keyof typeof m${n}>;`);
      // a module whose types did not resolve is `any` under noImplicitAny errors, so require a real export
      lines.push(
        `type Check${n} = keyof typeof m${n} extends never ? 'no exports' : 'ok';`,
        `export const c${n}: Check${n} = 'ok';`,
      );
      n++;
    }
  }
  writeFileSync(join(tmp, 'consumer.ts'), lines.join('\n') + '\n');
  for (const [mod, res] of [
    ['commonjs', 'node10'],
    ['node16', 'node16'],
    ['esnext', 'bundler'],
  ]) {
    writeFileSync(
      join(tmp, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: mod,
          moduleResolution: res,
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
          ignoreDeprecations: '6.0',
          noImplicitAny: true,
        },
        files: ['consumer.ts'],
      }),
    );
    let r = spawnSync(process.execPath, [tsc, '-p', tmp], { encoding: 'utf8' });
    if (/ignoreDeprecations/.test(r.stdout)) {
      const cfg = JSON.parse(readFileSync(join(tmp, 'tsconfig.json'), 'utf8'));
      delete cfg.compilerOptions.ignoreDeprecations;
      writeFileSync(join(tmp, 'tsconfig.json'), JSON.stringify(cfg));
      r = spawnSync(process.execPath, [tsc, '-p', tmp], { encoding: 'utf8' });
    }
    if (r.status === 0) console.log(`ok   moduleResolution ${res}: ${n} entry points typed`);
    else {
      failed++;
      console.log(`FAIL moduleResolution ${res}:\n${r.stdout}${r.stderr}`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
