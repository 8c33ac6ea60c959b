"""import_smoke — `floe import` end to end with a floe built for another machine (run through
tools/cross under qemu): a partitioned table written from NDJSON, then read back on this machine
by icebird (tests/readers/check-iceberg.mjs) with exactly the rows imported."""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from floetest import (check, check_iceberg, finish, run, table_config, tmpdir,  # noqa: E402
                      write_lines)

work = tmpdir()
conf, table = table_config(work, "id long required, name string, signup_ts timestamptz, age int",
                           "day(signup_ts), bucket(16, id)")
t0 = datetime.datetime(2026, 11, 20, tzinfo=datetime.timezone.utc)
lines, rows = [], []
for i in range(1, 301):
    ts = t0 + datetime.timedelta(minutes=37 * i, microseconds=i)
    age = None if i % 10 == 0 else 20 + i % 50
    lines.append(json.dumps({"id": i, "name": f"user {i}", "age": age,
                             "signup_ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}))
    rows.append([str(i), f"user {i}", ts.strftime("%Y-%m-%dT%H:%M:%S.") +
                 "%03dZ" % (ts.microsecond // 1000), age])
src = write_lines(os.path.join(work, "users.ndjson"), lines)

rc, out, err = run(["import", "-c", conf, src], timeout=300)
check(rc == 0 and "300 imported" in out, "floe import", out + err)
rc, out, err = run(["table", "show", "-c", conf], timeout=300)
check(rc == 0 and "records    300" in out, "floe table show", out + err)
check_iceberg("icebird reads the table floe wrote", table,
              {"columns": ["id", "name", "signup_ts", "age"], "rows": rows, "snapshots": 1}, work)
finish()
