"""pickle round trips (dumps + loads) per second on the values the Node side uses."""
import array, json, pickle, sys, time

MS = int(sys.argv[1]) if len(sys.argv) > 1 else 300
cases = {
    'small int': 42,
    'small object': {'id': 12345, 'name': 'widget', 'tags': ['a', 'bb', 'ccc']},
    '1 MiB Float64Array': array.array('d', [3.141592653589793]) * 131072,
    '1000-object array': [{'id': i, 'name': 'item%d' % i, 'ok': i % 2 == 0} for i in range(1000)],
}

def per_second(value):
    for _ in range(200):
        pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    n, batch = 0, 1
    start = time.perf_counter()
    now = start
    while now - start < MS / 1000:
        for _ in range(batch):
            pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        n += batch
        batch = min(batch * 2, 1 << 14)
        now = time.perf_counter()
    return n / (now - start)

print(json.dumps({k: per_second(v) for k, v in cases.items()}))
