"""Queue throughput (small ints, 1 MiB bytes) from a child process, and Pipe round trips."""
import json, multiprocessing as mp, sys, time

def ints(q, n):
    for i in range(n): q.put(i)

def big(q, n, size):
    b = b'\x01' * size
    for i in range(n): q.put(b)

def pong(c, n):
    for i in range(n): c.send(c.recv())

if __name__ == '__main__':
    INTS, BIG, MIB, PINGS = (int(a) for a in sys.argv[1:5])
    out = {}
    q = mp.Queue(); p = mp.Process(target=ints, args=(q, INTS)); p.start()
    q.get(); t0 = time.perf_counter()
    for i in range(INTS - 1): q.get()
    out['intsPerS'] = (INTS - 1) / (time.perf_counter() - t0); p.join()
    q = mp.Queue(); p = mp.Process(target=big, args=(q, BIG, MIB)); p.start()
    q.get(); t0 = time.perf_counter()
    for i in range(BIG - 1): q.get()
    out['mbPerS'] = (BIG - 1) * MIB / 1e6 / (time.perf_counter() - t0); p.join()
    a, b = mp.Pipe(); p = mp.Process(target=pong, args=(b, PINGS)); p.start()
    a.send(-1); a.recv()
    t0 = time.perf_counter()
    for i in range(PINGS - 1):
        a.send(i); a.recv()
    out['roundTripUs'] = (time.perf_counter() - t0) * 1e6 / (PINGS - 1); p.join()
    print(json.dumps(out))
