import { defineConfig } from 'tsup';
import { packageConfig } from '../../tooling/tsup.base.js';

// worker-entry is the module the runtime adapter starts for each pool worker.
export default defineConfig(packageConfig({ index: 'src/index.ts', 'worker-entry': 'src/worker-entry.ts' }));
