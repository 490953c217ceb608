// The README example: run with `node examples/hello.mjs` after `npx tsup`.
import * as mp from '@multiproc/process';

export async function greet(who) {
  await new Promise((resolve) => setTimeout(resolve, 10));
  console.log(`hello ${who} from ${mp.currentProcess().name}`);
}

export function fail() {
  throw new RangeError('bad input');
}

if (mp.isMainProcess()) {
  const p = new mp.Process({ target: greet, args: ['bob'] });
  await p.start();
  await p.join();
  console.log('exitcode', p.exitcode); // 0

  const q = new mp.Process({ target: fail });
  await q.start();
  await q.join(); // stderr: "Process Process-2:" then the RangeError and its stack
  console.log('exitcode', q.exitcode); // 1
}
