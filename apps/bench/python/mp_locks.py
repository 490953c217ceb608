"""Uncontended Lock acquire+release (ns) and 2 processes x N locked increments of a Value('i').

Measured as the JS side of apps/bench/src/workloads/locks.ts is: the uncontended cost is the best
of many short rounds, and a contended round runs from the first worker's start to the last
worker's end as the workers clock them (perf_counter is the machine-wide monotonic clock).
"""
import json, multiprocessing as mp, sys, time

def work(v, n, barrier, starts, ends, i):
    barrier.wait()
    starts[i] = time.perf_counter()
    for _ in range(n):
        with v.get_lock():
            v.value += 1
    ends[i] = time.perf_counter()

if __name__ == '__main__':
    N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    lock = mp.Lock()
    m = 50_000
    best = 1e9
    for _ in range(100):
        t = time.perf_counter()
        for _ in range(m):
            lock.acquire(); lock.release()
        best = min(best, (time.perf_counter() - t) / m * 1e9)
    rates = []
    for _ in range(3):
        v = mp.Value('i', 0)
        barrier = mp.Barrier(3)
        starts = mp.Array('d', 2)
        ends = mp.Array('d', 2)
        ps = [mp.Process(target=work, args=(v, N, barrier, starts, ends, i)) for i in range(2)]
        for p in ps: p.start()
        barrier.wait()
        for p in ps: p.join()
        assert v.value == 2 * N, v.value
        rates.append(2 * N / (max(ends[:]) - min(starts[:])))
    rates.sort()
    print(json.dumps({'uncontendedNs': best, 'incrementsPerSecond': rates[1], 'startMethod': mp.get_start_method()}))
