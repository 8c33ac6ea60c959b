"""floetest — small helpers shared by floe's process tests (standard library only).

A test calls check() for each assertion and finish() at the end, which prints the closing
"N passed, N failed" line and exits non-zero on any failure. Tests of local tables write their
config with table_config(), their input with write_lines(), and read the table back with
check_iceberg().
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

FLOE = os.environ.get("FLOE") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "floe")
READERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "readers")

_passed = 0
_failed = 0

LOGFMT = re.compile(r'^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(error|warn|info|debug) '
                    r'module=[a-z0-9_]+ msg="(?:[^"\\]|\\.)*"( [a-z_]+=("(?:[^"\\]|\\.)*"|\S*))*$')


def check(ok, what, detail=""):
    global _passed, _failed
    if ok:
        _passed += 1
    else:
        _failed += 1
        print(f"check failed: {what}" + (f"\n    {detail}" if detail else ""), file=sys.stderr)
    return ok


def finish():
    print(f"{_passed} passed, {_failed} failed")
    sys.exit(0 if _failed == 0 and _passed > 0 else 1)


def tmpdir():
    return tempfile.mkdtemp(prefix="floe-test-")


def run(args, timeout=60, **kw):
    """Runs floe with args; returns (exit code, stdout, stderr)."""
    p = subprocess.run([FLOE] + args, capture_output=True, text=True, timeout=timeout, **kw)
    return p.returncode, p.stdout, p.stderr


def table_config(work, schema, partition, extra="", name="floe.conf", warehouse="wh"):
    """Writes work/name for table db.users (topic users) in the local warehouse work/warehouse,
    with the given table.schema and table.partition; extra (more [table] keys, then more
    sections) follows the partition line as it is. Returns (the config's path, the table's
    directory)."""
    wh = os.path.join(work, warehouse)
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(f"""[kafka]
topic = users
[table]
warehouse = {wh}
namespace = db
name = users
schema = {schema}
partition = {partition}
{extra}""")
    return path, os.path.join(wh, "db", "users")


def write_lines(path, lines):
    """Writes lines (strings, e.g. NDJSON records) to path, each ended by a newline."""
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def check_iceberg(what, table, expected, work):
    """Checks the table in directory table with tests/readers/check-iceberg.mjs (icebird, avsc,
    hyparquet): expected is its EXPECTED.json as a dict ({"columns", "rows"[, "snapshots"]}),
    written to work/expected.json. Returns check()'s result, with the readers' output as the
    detail."""
    exp = os.path.join(work, "expected.json")
    with open(exp, "w") as f:
        json.dump(expected, f)
    p = subprocess.run(["node", os.path.join(READERS, "check-iceberg.mjs"), table, exp],
                       capture_output=True, text=True, timeout=300)
    return check(p.returncode == 0, what, (p.stdout + p.stderr)[-2000:])


class Agent:
    """A `floe run` process whose stderr lines are collected as they arrive."""

    def __init__(self, args):
        self.proc = subprocess.Popen([FLOE, "run"] + args, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stderr:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern, after=0, timeout=15):
        """Waits for a line matching pattern among lines[after:]; returns its index or -1."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                for i in range(after, len(self.lines)):
                    if rx.search(self.lines[i]):
                        return i
            if self.proc.poll() is not None:
                self._reader.join(2)
                with self._lock:
                    for i in range(after, len(self.lines)):
                        if rx.search(self.lines[i]):
                            return i
                return -1
            time.sleep(0.02)
        return -1

    def count(self):
        with self._lock:
            return len(self.lines)

    def text(self):
        with self._lock:
            return "\n".join(self.lines)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        self._reader.join(5)
