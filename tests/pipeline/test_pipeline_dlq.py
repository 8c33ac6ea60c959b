"""test_pipeline_dlq — `floe run` with dead_letter.topic: rejected records go to a Kafka topic.

    test_pipeline_dlq.py steady|crash|outage

mock-kafka runs with the source topic and the dead-letter topic; floe-produce writes a users
stream with invalid records of every kind it makes (malformed, id_type, id_missing, age_range,
name_size), and kcat adds the kinds it does not: a value that is not UTF-8, a message without
a value, one longer than floe keeps (1 MiB) and one longer than the dead-letter producer's
message.max.bytes. The dead-letter topic is read back with kcat -J (headers included) and
compared with the source topic, never with floe's code.

  steady  one agent: the dead-letter topic holds exactly the invalid records, each once, value
          the source bytes (or none, with floe.record.bytes, for the two long ones and the one
          without a value), key the source key, headers floe.reason, floe.source.topic,
          floe.source.partition, floe.source.offset, floe.time; no dead-letter file; the table
          is exact
  crash   kill -9 at 10 random moments while a stream is produced: every invalid record is in
          the dead-letter topic (at least once: a record read again after a crash may be
          there twice), the table is exact
  outage  the broker leading the dead-letter topic (and no source partition) goes down while
          records are read: no commit passes the first invalid record read during the outage;
          floe is killed -9, the broker comes back, floe restarts: every invalid record
          reaches the dead-letter topic, the table is exact
"""
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "process"))
sys.path.insert(0, os.path.join(HERE, "..", "kafka"))
from floetest import check, tmpdir  # noqa: E402
import kafkatest  # noqa: E402
from kafkatest import MockKafka, read_log  # noqa: E402
import test_pipeline as tp  # noqa: E402

TOPIC = tp.TOPIC
DLQ = "users-dlq"
MAX_RECORD = 1 << 20
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def MockKafkaDlq(brokers, partitions):
    """mock-kafka with the dead-letter topic as well (--extra-topic)."""
    return MockKafka(brokers=brokers, partitions=partitions, topic=TOPIC, extra_topics=(DLQ,))


def conf(work, bootstrap, **kw):
    path = tp.conf(work, bootstrap, **kw)
    with open(path, "a") as f:
        f.write(f"[dead_letter]\ntopic = {DLQ}\n")
    return path


def read_topic(bootstrap, topic):
    """Every message of topic by kcat -J, as dicts with partition, offset, key, payload (bytes
    or None) and headers (a dict; kcat gives them as a flat list)."""
    p = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e",
                        "-q", "-J"], capture_output=True, timeout=120)
    check(p.returncode == 0, f"kcat reads {topic}", p.stderr.decode(errors="replace"))
    out = []
    for line in p.stdout.decode("utf-8", "surrogateescape").splitlines():
        if not line.strip():
            continue
        m = json.loads(line)
        h = m.get("headers") or []
        pay = m.get("payload")
        out.append({"partition": m["partition"], "offset": m["offset"], "key": m.get("key"),
                    "payload": None if pay is None else pay.encode("utf-8", "surrogateescape"),
                    "headers": {h[i]: h[i + 1] for i in range(0, len(h) - 1, 2)}})
    return out


def kcat_produce(bootstrap, partition, data, key=None, null=False):
    """One message with kcat (value data: bytes; null: no value at all)."""
    args = ["kcat", "-P", "-b", bootstrap, "-t", TOPIC, "-p", str(partition),
            "-X", "message.max.bytes=2000000"]
    if null:
        args += ["-Z", "-K", "\t"]
        data = (key or "").encode() + b"\t\n"
    elif key is not None:
        args += ["-k", key]
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        if null:
            p = subprocess.run(args, input=data, capture_output=True, timeout=60)
        else:
            p = subprocess.run(args + [f.name], capture_output=True, timeout=60)
    check(p.returncode == 0, f"kcat produced a special record to partition {partition}",
          p.stderr.decode(errors="replace"))


def special_records(bootstrap):
    """The invalid kinds floe-produce does not make."""
    kcat_produce(bootstrap, 0, b'{"id": 1, "name": "caf\xe9 \xff"}', key="latin1")
    kcat_produce(bootstrap, 1, b"", key="novalue", null=True)
    kcat_produce(bootstrap, 2, b"x" * (MAX_RECORD + 1000), key="huge")
    kcat_produce(bootstrap, 3, b'{"id": ' + b" " * 1000100 + b"}", key="big")


def expected(bootstrap, logs):
    """The table (latest valid version per key), the source messages by (partition, offset),
    the invalid positions and each partition's end, from kcat and the producer logs: a
    message not in a log is one of special_records(), all invalid."""
    valid = {}
    for log in logs:
        for e in read_log(log):
            valid[(e["partition"], e["offset"])] = e["valid"]
    msgs = read_topic(bootstrap, TOPIC)
    src = {(m["partition"], m["offset"]): m for m in msgs}
    rows, invalid, ends = tp.latest_rows(msgs, valid)
    return rows, src, invalid, ends


def wait_dead_letters(bootstrap, invalid, timeout=90):
    """Waits until the dead-letter topic covers every invalid position; returns its messages."""
    deadline = time.monotonic() + timeout
    while True:
        dl = read_topic(bootstrap, DLQ)
        got = {(int(d["headers"].get("floe.source.partition", -1)),
                int(d["headers"].get("floe.source.offset", -1))) for d in dl}
        if invalid <= got or time.monotonic() > deadline:
            return dl
        time.sleep(0.5)


def check_dead_letters(what, dl, src, invalid, once):
    """The dead-letter topic against the source: positions, counts, value, key, headers."""
    seen = {}
    bad = []
    for d in dl:
        h = d["headers"]
        try:
            pos = (int(h["floe.source.partition"]), int(h["floe.source.offset"]))
        except (KeyError, ValueError):
            bad.append(f"no source position in {h}")
            continue
        seen[pos] = seen.get(pos, 0) + 1
        s = src.get(pos)
        if s is None:
            bad.append(f"{pos}: not a source message")
            continue
        if h.get("floe.source.topic") != TOPIC or not h.get("floe.reason") or \
                not TIME.match(h.get("floe.time", "")):
            bad.append(f"{pos}: headers {h}")
        if d["key"] != s["key"]:
            bad.append(f"{pos}: key {d['key']!r}, source key {s['key']!r}")
        slen = len(s["payload"]) if s["payload"] is not None else 0
        if s["payload"] is None or slen > 1000000:
            if d["payload"] not in (None, b"") or h.get("floe.record.bytes") != str(slen):
                bad.append(f"{pos}: a {slen}-byte record kept as {h.get('floe.record.bytes')} "
                           f"bytes, value {len(d['payload'] or b'')} bytes")
        elif d["payload"] != s["payload"]:
            bad.append(f"{pos}: value {d['payload'][:80]!r}, source {s['payload'][:80]!r}")
    check(set(seen) == invalid,
          f"{what}: the dead-letter topic holds exactly the invalid records",
          f"{len(seen)} distinct positions, {len(invalid)} invalid; missing "
          f"{sorted(invalid - set(seen))[:10]}, extra {sorted(set(seen) - invalid)[:10]}")
    dups = sum(n - 1 for n in seen.values())
    if once:
        check(dups == 0, f"{what}: each invalid record is dead-lettered once", f"{dups} twice")
    else:
        print(f"# {what}: {len(seen)} invalid records, {dups} dead-lettered more than once")
    check(not bad, f"{what}: every dead letter carries the source's bytes, key and the headers "
                   f"floe.reason, floe.source.topic/partition/offset, floe.time",
          "\n".join(bad[:10]))
    return seen


def scenario_steady():
    work = tmpdir()
    with MockKafkaDlq(brokers=3, partitions=4) as mk:
        cfgp = conf(work, mk.bootstrap, flush_rows=700)
        tp.produce(mk.bootstrap, f"{work}/p1.log", "--count", "6000", "--keys", "1500",
                   "--equal", "0.03", "--invalid", "0.05", "--seed", "21")
        special_records(mk.bootstrap)
        agent = tp.Floe(cfgp, f"{work}/floe.log")
        tp.produce(mk.bootstrap, f"{work}/p2.log", "--count", "6000", "--keys", "1500",
                   "--equal", "0.03", "--invalid", "0.05", "--seed", "22", "--rate", "4000")
        logs = [f"{work}/p1.log", f"{work}/p2.log"]
        kinds = {e["invalid"] for log in logs for e in read_log(log) if not e["valid"]}
        check(kinds >= {"malformed", "id_type", "id_missing", "age_range", "name_size"},
              "steady: the stream holds every kind of invalid record floe-produce makes",
              str(kinds))
        rows, src, invalid, ends = expected(mk.bootstrap, logs)
        tp.wait_caught_up(work, ends, tp.last_changing(mk.bootstrap, logs))
        dl = wait_dead_letters(mk.bootstrap, invalid)
        tp.stop(agent, "steady")
        check_dead_letters("steady", read_topic(mk.bootstrap, DLQ), src, invalid, once=True)
        check(not os.path.exists(os.path.join(work, "state", "dead-letter.ndjson")),
              "steady: with dead_letter.topic no dead-letter file is written")
        text = agent.text()
        check("dead-letter producer closed" in text and
              re.search(r"produced=(\d+) delivered=\1 ", text) is not None,
              "steady: at the stop every dead letter produced was delivered", text[-1500:])
        tp.table_matches(work, rows, "steady")
        tp.offsets_ok(work, ends, tp.last_changing(mk.bootstrap, logs), "steady")
        del dl


def scenario_crash():
    work = tmpdir()
    rnd = random.Random(int(os.environ.get("FLOE_TEST_SEED", "20261125")))
    with MockKafkaDlq(brokers=1, partitions=4) as mk:
        cfgp = conf(work, mk.bootstrap, flush_rows=2000, flush_every="500ms")
        prod = tp.Producer(mk.bootstrap, f"{work}/p.log", "--count", "12000", "--keys", "2000",
                           "--equal", "0.03", "--invalid", "0.05", "--rate", "1000",
                           "--seed", "23")
        consuming = 0
        for i in range(10):
            agent = tp.Floe(cfgp, f"{work}/floe-{i}.log")
            # Killed while it consumes: after its partitions are assigned.
            deadline = time.monotonic() + 30
            while "partition assigned" not in agent.text() and time.monotonic() < deadline:
                time.sleep(0.05)
            consuming += "partition assigned" in agent.text()
            time.sleep(rnd.uniform(0.2, 1.5))
            agent.proc.kill()
            agent.wait(10)
        check(consuming == 10, "crash: floe was killed 10 times while consuming",
              f"{consuming} times")
        prod.join()
        check(prod.rc == 0, "crash: floe-produce delivered every record", prod.out[-500:])
        agent = tp.Floe(cfgp, f"{work}/floe.log")
        logs = [f"{work}/p.log"]
        rows, src, invalid, ends = expected(mk.bootstrap, logs)
        tp.wait_caught_up(work, ends, tp.last_changing(mk.bootstrap, logs))
        wait_dead_letters(mk.bootstrap, invalid)
        tp.stop(agent, "crash")
        check_dead_letters("crash", read_topic(mk.bootstrap, DLQ), src, invalid, once=False)
        tp.table_matches(work, rows, "crash")
        tp.offsets_ok(work, ends, tp.last_changing(mk.bootstrap, logs), "crash")


def leader(bootstrap, topic, partition):
    md = kafkatest.metadata(bootstrap, topic)
    for t in md.get("topics", []):
        if t.get("topic") == topic:
            for p in t.get("partitions", []):
                if p.get("partition") == partition:
                    return p.get("leader")
    return None


def scenario_outage():
    work = tmpdir()
    # Two source partitions led by brokers 1 and 2; the dead-letter topic led by broker 3.
    with MockKafkaDlq(brokers=3, partitions=2) as mk:
        cfgp = conf(work, mk.bootstrap, flush_rows=200, flush_every="300ms")
        tp.produce(mk.bootstrap, f"{work}/p0.log", "--count", "400", "--keys", "400",
                   "--duplicates", "0", "--stale", "0", "--equal", "0", "--invalid", "0.1",
                   "--seed", "30")
        agent = tp.Floe(cfgp, f"{work}/floe.log")
        first = [f"{work}/p0.log"]
        _, _, inv0, ends0 = expected(mk.bootstrap, first)
        tp.wait_caught_up(work, ends0, tp.last_changing(mk.bootstrap, first))
        wait_dead_letters(mk.bootstrap, inv0)
        check(leader(mk.bootstrap, DLQ, 0) == 3 and
              {leader(mk.bootstrap, TOPIC, p) for p in range(2)} == {1, 2},
              "outage: the dead-letter topic alone is led by broker 3")
        check(mk.command("down 3") == "ok", "outage: broker 3 taken down")
        tp.produce(mk.bootstrap, f"{work}/p1.log", "--count", "2000", "--keys", "800",
                   "--duplicates", "0", "--stale", "0", "--equal", "0", "--invalid", "0.1",
                   "--seed", "31")
        time.sleep(3)  # floe reads them; their dead letters cannot land
        mid = tp.offsets(tp.metadata(work))
        agent.proc.kill()
        agent.wait(10)
        check(mk.command("up 3") == "ok", "outage: broker 3 up again")
        first_invalid = {}
        for e in read_log(f"{work}/p1.log"):
            if not e["valid"]:
                p = e["partition"]
                first_invalid[p] = min(first_invalid.get(p, e["offset"]), e["offset"])
        print(f"# outage: table offsets before {ends0}, at the kill {mid}, first invalid "
              f"record of the outage {first_invalid}")
        check(all(mid.get(p, 0) <= o for p, o in first_invalid.items()),
              "outage: no commit passed a record whose dead letter was not acknowledged",
              f"offsets {mid}, first invalid {first_invalid}")
        agent = tp.Floe(cfgp, f"{work}/floe2.log")
        logs = first + [f"{work}/p1.log"]
        rows, src, invalid, ends = expected(mk.bootstrap, logs)
        tp.wait_caught_up(work, ends, tp.last_changing(mk.bootstrap, logs))
        wait_dead_letters(mk.bootstrap, invalid)
        tp.stop(agent, "outage")
        check_dead_letters("outage", read_topic(mk.bootstrap, DLQ), src, invalid, once=False)
        tp.table_matches(work, rows, "outage")


SCENARIOS = {"steady": scenario_steady, "crash": scenario_crash, "outage": scenario_outage}

if __name__ == "__main__":
    tp.run_scenario(SCENARIOS, __doc__)
