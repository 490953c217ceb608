import { sharedConfig } from '../../tooling/vitest.shared';
export default sharedConfig;
