"""users — the deterministic users data set the benchmarks share.

write_users(path, rows, seed) writes `rows` NDJSON lines like
{"id":123,"name":"Name","email":"name.123@example.com","signup_ts":"2026-…Z","age":31}
with id in 1..200000, signup_ts ISO-8601 with microseconds, and age null in 5% of rows
(about 118 bytes a line). The same seed always gives the same bytes.
"""
import random

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Ken", "Dennis", "Margaret",
         "Linus", "Radia", "Frances", "John", "Niklaus", "Leslie", "Tony", "Butler", "Fran",
         "Guido", "Bjarne", "Anders", "Sophie", "Katherine", "Shafi", "Whitfield", "Martin"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Thompson", "Ritchie",
        "Hamilton", "Torvalds", "Perlman", "Allen", "McCarthy", "Wirth", "Lamport", "Hoare",
        "Lampson", "Goldwasser", "Diffie", "Hellman", "Kleppmann", "Wilson", "Johnson"]
DOMAINS = ["example.com", "example.org", "example.net", "mail.io"]

# 2025-01-01T00:00:00Z .. about two years later, in microseconds.
T0 = 1735689600 * 1000000
SPAN = 2 * 365 * 86400 * 1000000


def _iso(us):
    import datetime
    secs, micros = divmod(us, 1000000)
    d = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % micros


def write_users(path, rows=1000000, seed=42):
    rnd = random.Random(seed)
    with open(path, "w") as f:
        buf = []
        for _ in range(rows):
            uid = rnd.randint(1, 200000)
            first = rnd.choice(FIRST)
            last = rnd.choice(LAST)
            name = f"{first} {last}"
            email = f"{first.lower()}{uid}@{rnd.choice(DOMAINS)}"
            ts = _iso(T0 + rnd.randrange(SPAN))
            age = "null" if rnd.random() < 0.05 else str(rnd.randint(18, 90))
            buf.append(f'{{"id":{uid},"name":"{name}","email":"{email}",'
                       f'"signup_ts":"{ts}","age":{age}}}\n')
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
