import { defineConfig } from 'tsup';
import { packageConfig } from '../../tooling/tsup.base';

export default defineConfig(packageConfig());
