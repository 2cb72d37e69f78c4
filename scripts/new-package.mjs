// Scaffolds packages/<dir> with the shared build/test layout (used once per package).
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [dir, name, description] = process.argv.slice(2);
if (!dir || !name) throw new Error('usage: node scripts/new-package.mjs <dir> <name> <description>');
const root = join('packages', dir);
if (existsSync(join(root, 'package.json'))) throw new Error(`${root} already exists`);
mkdirSync(join(root, 'src'), { recursive: true });
mkdirSync(join(root, 'test'), { recursive: true });
const pkg = {
  name,
  version: '0.1.0',
  description,
  license: 'MIT',
  type: 'module',
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.ts',
  exports: {
    '.': {
      import: { types: './dist/index.d.ts', default: './dist/index.js' },
      require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
    },
    './package.json': './package.json',
  },
  files: ['dist', 'README.md'],
  sideEffects: false,
  engines: { node: '>=20.11' },
  scripts: {
    build: 'tsup',
    typecheck: 'tsc --noEmit -p tsconfig.json',
  },
  peerDependencies: { '@tensorflow/tfjs-core': '^4.22.0' },
  devDependencies: {},
};
writeFileSync(join(root, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
writeFileSync(
  join(root, 'tsup.config.ts'),
  `import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
`,
);
writeFileSync(
  join(root, 'tsconfig.json'),
  JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src', 'test'] }, null, 2) + '\n',
);
writeFileSync(
  join(root, 'vitest.config.ts'),
  `import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: '${name}', include: ['test/**/*.test.ts'] },
});
`,
);
console.log(`created ${root}`);
