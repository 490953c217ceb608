// The benchmark's task: workers serve it with --import ./bench/tasks.mjs.
export function square(x) {
  return x * x;
}
