"""kafkatest — helpers for tests that need a Kafka cluster: the mock-kafka process, floe-produce
and kcat as an independent reader (standard library only).

    with MockKafka(brokers=3, partitions=4, topic="users") as mk:
        mk.bootstrap                  # "127.0.0.1:port,..."
        mk.command("down 1")          # "ok" or "error ..."
        rc, out, err = produce(mk.bootstrap, "users", "--count", "1000")
        msgs = consume(mk.bootstrap, "users")  # [{"partition", "offset", "key", "payload"}]

mock-kafka and floe-produce are found through FLOE_MOCK_KAFKA and FLOE_PRODUCE (set by
tests/kafka/CMakeLists.txt), else under FLOE_BUILD or build/.
"""
import json
import os
import re
import subprocess
import tempfile
import time

_BUILD = os.environ.get("FLOE_BUILD") or os.path.join(os.path.dirname(__file__), "..", "..",
                                                     "build")
MOCK_KAFKA = os.environ.get("FLOE_MOCK_KAFKA") or os.path.join(_BUILD, "tests", "kafka",
                                                               "mock-kafka")
PRODUCE = os.environ.get("FLOE_PRODUCE") or os.path.join(_BUILD, "floe-produce")


class MockKafka:
    """A mock-kafka process: started by the constructor, stopped by stop() or `with`."""

    def __init__(self, brokers=3, partitions=4, topic="users", extra_topics=()):
        # stderr goes to a file: a pipe nobody reads could fill up and stall the cluster.
        self.stderr = tempfile.TemporaryFile(mode="w+")
        extra = [a for t in extra_topics for a in ("--extra-topic", t)]
        self.proc = subprocess.Popen(
            [MOCK_KAFKA, "--brokers", str(brokers), "--partitions", str(partitions),
             "--topic", topic] + extra,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        first = self.proc.stdout.readline().rstrip("\n")
        m = re.fullmatch(r"bootstrap=(\S+)", first)
        if not m:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"mock-kafka did not start: {first!r} {self.errors()}")
        self.first_line = first
        self.bootstrap = m.group(1)
        self.topic = topic

    def errors(self):
        """What mock-kafka wrote on stderr so far."""
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()

    def command(self, line):
        """Sends one command line; returns the answer line (without newline)."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().rstrip("\n")

    def stop(self, how="quit", timeout=20):
        """Stops the process (how: "quit", "eof", "term" or "kill"); returns its exit code and
        the seconds it took."""
        t0 = time.monotonic()
        if self.proc.poll() is None:
            try:
                if how == "quit":
                    self.command("quit")
                    self.proc.stdin.close()
                elif how == "eof":
                    self.proc.stdin.close()
                elif how == "term":
                    self.proc.terminate()
                else:
                    self.proc.kill()
            except (BrokenPipeError, OSError):
                pass
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except (BrokenPipeError, OSError):
                pass
        return rc, time.monotonic() - t0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop("kill" if exc[0] else "quit")


def produce(bootstrap, topic, *args, timeout=240):
    """Runs floe-produce to the end; returns (exit code, stdout, stderr)."""
    p = subprocess.run([PRODUCE, "--brokers", bootstrap, "--topic", topic, *args],
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def summary(text):
    """floe-produce's summary as a dict of numbers."""
    s = {}
    m = re.search(r"^records\s+(\d+) produced, (\d+) delivered, (\d+) failed$", text, re.M)
    if m:
        s["produced"], s["delivered"], s["failed"] = map(int, m.groups())
    m = re.search(r"^valid\s+(\d+): new (\d+), duplicates (\d+), stale (\d+), equal (\d+)$",
                  text, re.M)
    if m:
        s["valid"], s["new"], s["duplicate"], s["stale"], s["equal"] = map(int, m.groups())
    m = re.search(r"^invalid\s+(\d+): malformed (\d+), id_type (\d+), id_missing (\d+), "
                  r"age_range (\d+), name_size (\d+)$", text, re.M)
    if m:
        (s["invalid"], s["malformed"], s["id_type"], s["id_missing"], s["age_range"],
         s["name_size"]) = map(int, m.groups())
    m = re.search(r"^keys\s+(\d+) distinct of (\d+), (\d+) day moves$", text, re.M)
    if m:
        s["distinct"], s["keys"], s["day_moves"] = map(int, m.groups())
    m = re.search(r"^time\s+([\d.]+) s, (\d+) records/s$", text, re.M)
    if m:
        s["seconds"], s["rate"] = float(m.group(1)), int(m.group(2))
    return s


def read_log(path):
    """floe-produce's --log file: one dict per line."""
    with open(path) as f:
        return [json.loads(line) for line in f]


def consume(bootstrap, topic, timeout=120):
    """Every message of topic, read by kcat from the beginning to the end of each partition:
    a list of dicts with partition, offset, key and payload (str, or None)."""
    p = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
                        "-q", "-J"], capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError(f"kcat failed ({p.returncode}): {p.stderr}")
    out = []
    for line in p.stdout.splitlines():
        if line.strip():
            m = json.loads(line)
            out.append({"partition": m["partition"], "offset": m["offset"], "key": m.get("key"),
                        "payload": m.get("payload")})
    return out


def metadata(bootstrap, topic=None):
    """kcat -L -J: the cluster's brokers and topics as a dict."""
    args = ["kcat", "-L", "-J", "-b", bootstrap] + (["-t", topic] if topic else [])
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"kcat -L failed ({p.returncode}): {p.stderr}")
    return json.loads(p.stdout)
