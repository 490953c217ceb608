import type { Options } from 'tsup';

/**
 * The one tsup configuration every package builds with: ESM + CJS + d.ts, Node 20 target.
 * `entry` lists the package's public entry points (index, plus worker bootstraps where a
 * package has them).
 */
export function packageConfig(entry: Record<string, string> = { index: 'src/index.ts' }): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    shims: true,
    splitting: false,
    treeshake: false,
  };
}
