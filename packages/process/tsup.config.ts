import { defineConfig } from 'tsup';
import { packageConfig } from '../../tooling/tsup.base.js';

// worker.js is the bootstrap every Process worker runs (see src/worker.ts).
export default defineConfig(packageConfig({ index: 'src/index.ts', worker: 'src/worker.ts' }));
