"""test_upsert — latest version wins, through `floe import` and `floe table delete`.

A stream generated here (repeated keys, out-of-order and equal versions, versions that move to
another day partition, invalid records) is imported in several runs and several commits per
run, with the dedup state saved in agent.state_dir between runs. The table is read back by
icebird and, independently, by the spec's scan rules applied to the manifests and files
(tests/readers/check-iceberg.mjs), and compared with the latest valid version of every key
computed here. Then: a hash too small for the keys (evictions), a restart whose saved state
is damaged or was left pending, and `floe table delete`.
"""
import datetime
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from floetest import FLOE, check, finish, tmpdir  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "..", "readers", "check-iceberg.mjs")
COLS = ["id", "name", "email", "signup_ts", "age"]
T0 = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
rnd = random.Random(20261124)


def conf(work, dedup_memory="1M", flush_rows=100):
    path = os.path.join(work, "floe.conf")
    with open(path, "w") as f:
        f.write(f"""[kafka]
topic = users
[table]
warehouse = {work}/wh
namespace = db
name = users
schema = id long required, name string, email string, signup_ts timestamptz, age int
partition = day(signup_ts), bucket(16, id)
key = id
version = signup_ts
[validate]
age = min 0, max 150
[dedup]
memory = {dedup_memory}
[limits]
memory = 16M
flush_rows = {flush_rows}
[agent]
state_dir = {work}/state
""")
    return path


def iso(us):
    ts = T0 + datetime.timedelta(microseconds=us)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_ms(us):
    ts = T0 + datetime.timedelta(microseconds=us)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ts.microsecond // 1000)


class Stream:
    """Generates records, and models the table: `newest` is each key's true newest version
    (which the generator uses to make stale and newer records), `known` what floe's hash knows
    (a key's newest version since the hash last forgot), `table` each key's row."""

    def __init__(self, keys):
        self.keys = keys
        self.newest = {}   # id -> version µs
        self.known = {}    # id -> version µs
        self.table = {}    # id -> row
        self.stale = 0
        self.invalid = []  # raw lines

    def forget(self):
        self.known = {}

    def valid(self, uid, v, name, age):
        rec = {"id": uid, "name": name, "email": f"{name.lower()}{uid}@example.com",
               "signup_ts": iso(v), "age": age}
        self.newest[uid] = max(v, self.newest.get(uid, v))
        if uid in self.known and v <= self.known[uid]:
            self.stale += 1
        else:
            self.known[uid] = v
            self.table[uid] = [str(uid), name, rec["email"], iso_ms(v), age]
        return json.dumps(rec, ensure_ascii=False)

    def record(self):
        r = rnd.random()
        if r < 0.04:
            bad = rnd.choice(['{"id": "abc", "signup_ts": "2026-11-02T00:00:00Z"}',
                              'not json at all',
                              '{"name": "no id", "signup_ts": "2026-11-02T00:00:00Z"}',
                              '{"id": 5, "signup_ts": "2026-11-02T00:00:00Z", "age": -5}',
                              '{"id": 6, "signup_ts": "2026-13-45T00:00:00Z"}'])
            self.invalid.append(bad)
            return bad
        uid = rnd.randrange(1, self.keys + 1)
        top = self.newest.get(uid)
        if top is not None and r < 0.15:
            v = top - rnd.randrange(1, 3 * 86400 * 10**6)  # older: stale
        elif top is not None and r < 0.20:
            v = top  # equal: stale too
        elif top is not None:
            v = top + rnd.randrange(1, 2 * 86400 * 10**6)  # newer, often another day
        else:
            v = rnd.randrange(10 * 86400 * 10**6)
        name = rnd.choice(["Ada", "Grace", "Alan", "Édouard", "日本", "Zoë"])
        age = None if rnd.random() < 0.1 else rnd.randrange(0, 100)
        return self.valid(uid, v, name, age)

    def lines(self, n):
        return [self.record() for _ in range(n)]

    def rows(self):
        return list(self.table.values())


def write(work, name, lines):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def floe(*args):
    p = subprocess.run([FLOE] + list(args), capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def table_dir(work):
    return os.path.join(work, "wh", "db", "users")


def readers_agree(work, what, rows):
    exp = os.path.join(work, "expected.json")
    with open(exp, "w") as f:
        json.dump({"columns": COLS, "rows": rows}, f)
    p = subprocess.run(["node", CHECKER, table_dir(work), exp], capture_output=True, text=True,
                       timeout=300)
    return check(p.returncode == 0 and "rows by the spec's rules" in p.stdout,
                 f"{what}: icebird and the spec's scan rules read the latest version of every key",
                 (p.stdout + p.stderr)[-3000:])


def stat(out, word):
    """The number before `word` in floe import's summary line."""
    for line in out.splitlines():
        parts = line.replace(",", "").split()
        for i, p in enumerate(parts[1:], 1):
            if p == word and parts[i - 1].isdigit():
                return int(parts[i - 1])
    return None


# 1. Three imports (a restart between each) of one stream, several commits each.
work = tmpdir()
c = conf(work)
s = Stream(keys=300)
for run in range(3):
    before, n_invalid = s.stale, len(s.invalid)
    path = write(work, f"part{run}.ndjson", s.lines(1500))
    rc, out, err = floe("import", "-c", c, path)
    check(rc == 2, f"import {run}: exits 2 (some records rejected)", out + err)
    check(stat(out, "stale") == s.stale - before,
          f"import {run}: stale versions dropped and counted ({s.stale - before})", out + err)
    check(stat(out, "rejected") == len(s.invalid) - n_invalid,
          f"import {run}: invalid records rejected ({len(s.invalid) - n_invalid})", out)
    check((stat(out, "commits") or 0) >= 3, f"import {run}: several commits", out)
    check(stat(out, "evicted") == 0, f"import {run}: no evictions", out)
    readers_agree(work, f"after import {run}", s.rows())
state = os.path.join(work, "state", "dedup-db.users.state")
check(os.path.exists(state), "the dedup state is saved in agent.state_dir")
check(not os.path.exists(state.replace(".state", ".pending")),
      "no pending state is left after a commit")

# The dead letter holds exactly the invalid records, each with a reason and its source.
with open(os.path.join(work, "state", "dead-letter.ndjson")) as f:
    dead = [json.loads(line) for line in f]
check(sorted(d.get("record", "") for d in dead) == sorted(s.invalid),
      "the dead letter holds exactly the invalid records", f"{len(dead)} vs {len(s.invalid)}")
check(all(d.get("reason") and d.get("source", {}).get("line") for d in dead),
      "each dead-letter entry has a reason and its file and line", str(dead[:2]))

rc, out, err = floe("table", "snapshots", "-c", c)
ops = [line.split()[3] for line in out.strip().splitlines()[1:]]
check(ops[0] == "append" and "overwrite" in ops, "the first commit appends, later ones overwrite",
      out)

# 2. Restarts. An older version of a key than the stored one: dropped by the reloaded hash.
victim = next(iter(s.table))
old = s.valid(victim, s.newest[victim] - 10**6, "Old", 1)
rc, out, err = floe("import", "-c", c, write(work, "old.ndjson", [old]))
check(rc == 0 and stat(out, "stale") == 1 and stat(out, "imported") == 0,
      "after a restart, an older version is dropped by the reloaded hash", out + err)

# A state left pending by a stop right after its commit landed is taken at the next start.
os.rename(state, state.replace(".state", ".pending"))
old = s.valid(victim, s.newest[victim] - 2 * 10**6, "Old", 1)
rc, out, err = floe("import", "-c", c, write(work, "old2.ndjson", [old]))
check(rc == 0 and stat(out, "stale") == 1 and "its saved state is kept" in err,
      "a pending state whose commit landed is used", out + err)

# A newer version three days on: the old row is deleted in the old day's partition.
moved = s.valid(victim, s.newest[victim] + 3 * 86400 * 10**6, "Moved", 42)
rc, out, err = floe("import", "-c", c, write(work, "moved.ndjson", [moved]))
check(rc == 0 and "1 partition deletes" in out, "a moved version deletes in its old partition",
      out + err)
readers_agree(work, "after a version moved three days", s.rows())

# A damaged state: reported; floe starts with an empty hash, so each key's first record in the
# run replaces its row with a global delete, whatever its version (the documented limit).
with open(state, "r+b") as f:
    f.seek(200)
    f.write(b"\xff\xff\xff\xff")
s.forget()
before = s.stale
rc, out, err = floe("import", "-c", c, write(work, "more.ndjson", s.lines(600)))
check("dedup state" in err and "damaged" in err, "a damaged state file is reported", err)
check((stat(out, "global") or 0) > 0 and stat(out, "stale") == s.stale - before,
      "without a state, known keys are replaced with global deletes", out)
readers_agree(work, "after an import without the saved state", s.rows())

# 3. A hash too small for the keys: 4 KiB holds 168 entries for 2,000 keys, so keys are
# evicted. Keys whose versions only grow keep exactly their newest version; every key keeps
# exactly one row, one of its versions.
work2 = tmpdir()
c2 = conf(work2, dedup_memory="4K", flush_rows=300)
s2 = Stream(keys=2000)
lines = []
for _ in range(6000):
    uid = rnd.randrange(1, 2001)
    top = s2.newest.get(uid)
    v = (top + rnd.randrange(1, 86400 * 10**6)) if top is not None else rnd.randrange(10**12)
    lines.append(s2.valid(uid, v, "Ada", 30))
rc, out, err = floe("import", "-c", c2, write(work2, "many.ndjson", lines))
check(rc == 0 and (stat(out, "evicted") or 0) > 0, "a small hash evicts keys and counts them",
      out + err)
check(stat(out, "stale") == 0 and (stat(out, "global") or 0) > 0,
      "forgotten keys are replaced with global deletes, none dropped", out)
readers_agree(work2, "with a hash too small (monotonic versions)", s2.rows())

# 4. `floe table delete`: exactly the keys given, in every partition.
gone = sorted(rnd.sample(sorted(s.table), 25))
keys_file = write(work, "keys.txt", [str(k) for k in gone[5:]])
rc, out, err = floe("table", "delete", "-c", c, *sum((["--key", str(k)] for k in gone[:5]), []),
                    "--keys-from", keys_file)
check(rc == 0 and "25 keys deleted" in out, "table delete removes 25 keys", out + err)
for k in gone:
    del s.table[k]
    s.known.pop(k, None)
readers_agree(work, "after floe table delete", s.rows())
rc, out, err = floe("table", "delete", "-c", c, "--key", "12x")
check(rc == 1 and "'12x' is not a long key" in err, "a key that does not parse is refused",
      out + err)
# A deleted key comes back with a newer record: it is new again.
back = gone[0]
line = s.valid(back, s.newest[back] + 10**6, "Back", 7)
rc, out, err = floe("import", "-c", c, write(work, "back.ndjson", [line]))
check(rc == 0 and stat(out, "imported") == 1, "a deleted key can come back", out + err)
readers_agree(work, "after a deleted key came back", s.rows())

# Another writer commits after floe's saved state (here a delete without agent.state_dir): the
# state is an ancestor of the table, so its versions are lower bounds — an older record is
# still dropped, a newer one replaces the key's row with a global delete.
c_other = os.path.join(tmpdir(), "floe.conf")
with open(c) as f:
    text = f.read()
with open(c_other, "w") as f:
    f.write(text.replace(f"state_dir = {work}/state", "state_dir ="))
k_del, k_old, k_new = sorted(s.table)[:3]
rc, out, err = floe("table", "delete", "-c", c_other, "--key", str(k_del))
check(rc == 0, "a delete by another writer", out + err)
del s.table[k_del]
lines = [s.valid(k_old, s.newest[k_old] - 5 * 10**6, "Older", 3),
         s.valid(k_new, s.newest[k_new] + 5 * 10**6, "Newer", 4)]
rc, out, err = floe("import", "-c", c, write(work, "after-other.ndjson", lines))
check(rc == 0 and "lower bounds" in err and stat(out, "stale") == 1 and stat(out, "global") == 1,
      "a state older than the table: older versions dropped, newer ones deleted globally",
      out + err)
readers_agree(work, "after another writer's commit", s.rows())

finish()
