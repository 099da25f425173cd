// Builds dist/zego-client.js (IIFE defining the global ZegoClient), dist/zego-client.mjs (ESM)
// and dist/types/*.d.ts (tsc, declarations only).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });

const common = { bundle: true, target: 'es2019', sourcemap: true, logLevel: 'warning', absWorkingDir: root };
await build({ ...common, entryPoints: ['src/iife.ts'], format: 'iife', outfile: 'dist/zego-client.js' });
await build({ ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/zego-client.mjs' });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
console.log('built dist/zego-client.js, dist/zego-client.mjs, dist/types/');
