import { Pool } from '../dist/index.js';
import { identity } from './tasks.mjs';
const pool = new Pool(2);
await pool.apply(identity, [1]);
for (let k = 0; k < 3; k++) {
  const t = performance.now();
  const rs = [];
  for (let i = 0; i < 50000; i++) rs.push(pool.applyAsync(identity, [i]));
  for (const r of rs) await r.get();
  console.log('applyAsync/s', Math.round(50000 / ((performance.now() - t) / 1000)));
}
pool.terminate();
await pool.join();
