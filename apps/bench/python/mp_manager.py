"""Manager().dict() driven from a child process: us per set and per get (median of rounds)."""
import json, sys, time
from multiprocessing import Manager, Pipe, Process

def drive(d, n, out):
    for i in range(500): d['w%d' % i] = i
    t = time.perf_counter()
    for i in range(n): d['k%d' % i] = i
    s = (time.perf_counter() - t) * 1e6 / n
    t = time.perf_counter()
    for i in range(n): d['k%d' % i]
    g = (time.perf_counter() - t) * 1e6 / n
    out.send((s, g))

if __name__ == '__main__':
    N, ROUNDS = int(sys.argv[1]), int(sys.argv[2])
    sets, gets = [], []
    for _ in range(ROUNDS):
        with Manager() as m:
            d = m.dict()
            r, w = Pipe(False)
            p = Process(target=drive, args=(d, N, w)); p.start()
            s, g = r.recv(); p.join()
            sets.append(s); gets.append(g)
    print(json.dumps({'set': sorted(sets)[ROUNDS // 2], 'get': sorted(gets)[ROUNDS // 2]}))
