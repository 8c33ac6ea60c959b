"""floetest — small helpers shared by floe's process tests (standard library only).

A test calls check() for each assertion and finish() at the end, which prints the closing
"N passed, N failed" line and exits non-zero on any failure.
"""
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

FLOE = os.environ.get("FLOE") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "floe")

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


def run(args, **kw):
    """Runs floe with args; returns (exit code, stdout, stderr)."""
    p = subprocess.run([FLOE] + args, capture_output=True, text=True, timeout=60, **kw)
    return p.returncode, p.stdout, p.stderr


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
