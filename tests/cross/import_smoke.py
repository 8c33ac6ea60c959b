"""import_smoke — `floe import` end to end with a floe built for another machine (run through
tools/cross under qemu): a partitioned table written from NDJSON, then read back on this machine
by icebird (tests/readers/check-iceberg.mjs) with exactly the rows imported."""
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from floetest import FLOE, check, finish, tmpdir  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
work = tmpdir()
wh = os.path.join(work, "wh")
conf = os.path.join(work, "floe.conf")
with open(conf, "w") as f:
    f.write(f"""[kafka]
topic = users
[table]
warehouse = {wh}
namespace = db
name = users
schema = id long required, name string, signup_ts timestamptz, age int
partition = day(signup_ts), bucket(16, id)
""")
t0 = datetime.datetime(2026, 11, 20, tzinfo=datetime.timezone.utc)
lines, rows = [], []
for i in range(1, 301):
    ts = t0 + datetime.timedelta(minutes=37 * i, microseconds=i)
    age = None if i % 10 == 0 else 20 + i % 50
    lines.append(json.dumps({"id": i, "name": f"user {i}", "age": age,
                             "signup_ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}))
    rows.append([str(i), f"user {i}", ts.strftime("%Y-%m-%dT%H:%M:%S.") +
                 "%03dZ" % (ts.microsecond // 1000), age])
src = os.path.join(work, "users.ndjson")
with open(src, "w") as f:
    f.write("\n".join(lines) + "\n")

p = subprocess.run([FLOE, "import", "-c", conf, src], capture_output=True, text=True,
                   timeout=300)
check(p.returncode == 0 and "300 imported" in p.stdout, "floe import", p.stdout + p.stderr)
p = subprocess.run([FLOE, "table", "show", "-c", conf], capture_output=True, text=True,
                   timeout=300)
check(p.returncode == 0 and "records    300" in p.stdout, "floe table show", p.stdout + p.stderr)
exp = os.path.join(work, "expected.json")
with open(exp, "w") as f:
    json.dump({"columns": ["id", "name", "signup_ts", "age"], "rows": rows, "snapshots": 1}, f)
p = subprocess.run(["node", os.path.join(HERE, "..", "readers", "check-iceberg.mjs"),
                    os.path.join(wh, "db", "users"), exp], capture_output=True, text=True,
                   timeout=300)
check(p.returncode == 0, "icebird reads the table floe wrote", (p.stdout + p.stderr)[-2000:])
finish()
