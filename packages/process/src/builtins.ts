// Node builtins loaded on first use (see @multiproc/memory's builtins.ts for why).
import { lazyBuiltins } from '@multiproc/memory';

export const { childProcess, crypto, v8, util } = lazyBuiltins;
