"""multiprocessing.Pool on the pool workload: tiny tasks, start to first result, primes speedup."""
import json, multiprocessing as mp, sys, time

def identity(x):
    return x

def count(r):
    lo, hi = r
    n = 0
    for i in range(max(2, lo), hi):
        d = 2
        p = True
        while d * d <= i:
            if i % d == 0:
                p = False
                break
            d += 1
        if p:
            n += 1
    return n

def best(times, fn):
    b = float('inf')
    for _ in range(times):
        t = time.perf_counter()
        fn()
        b = min(b, time.perf_counter() - t)
    return b

if __name__ == '__main__':
    P, N, LIMIT = (int(a) for a in sys.argv[1:4])
    items = list(range(N))
    out = {}
    t0 = time.perf_counter()
    pool = mp.Pool(P)
    pool.apply(identity, (1,))
    out['startMs'] = (time.perf_counter() - t0) * 1000
    pool.map(identity, items)
    out['mapDefault'] = N / best(5, lambda: pool.map(identity, items))
    out['mapOne'] = N / best(2, lambda: pool.map(identity, items, chunksize=1))
    def apply_all():
        rs = [pool.apply_async(identity, (i,)) for i in items]
        for r in rs:
            r.get()
    out['applyAsync'] = N / best(2, apply_all)
    ranges = [(i * LIMIT // 8, (i + 1) * LIMIT // 8) for i in range(8)]
    single = best(1, lambda: [count(r) for r in ranges])
    par = best(1, lambda: pool.map(count, ranges, chunksize=1))
    out['primesSpeedup'] = single / par
    pool.terminate()
    print(json.dumps(out))
