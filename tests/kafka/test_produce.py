"""test_produce — floe-produce into a mock-kafka cluster, read back by kcat.

Run 1 produces 20,000 records over 2,000 keys as fast as it can; run 2 produces at a fixed rate
while broker 1 (leader of partitions 0 and 3) is taken down and brought back through
mock-kafka's stdin. Each run is checked three ways that do not use floe's code: the producer's
summary against its --log, the --log against what kcat reads from the cluster (partition,
offset, key, and each payload parsed here), and the log replayed here against its own table of
the newest version per id (kinds, order, one partition per id)."""
import datetime
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from floetest import check, finish  # noqa: E402
from kafkatest import PRODUCE, MockKafka, consume, produce, read_log, summary  # noqa: E402

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
US_PER_DAY = 86400 * 1000000


def micros(ts):
    d = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    return (d.replace(tzinfo=datetime.timezone.utc) - EPOCH) // datetime.timedelta(microseconds=1)


def payload_problem(e, payload):
    """Why payload does not match log entry e (None if it does)."""
    try:
        j = json.loads(payload)
    except ValueError:
        j = None
    if e["valid"]:
        if not isinstance(j, dict) or sorted(j) != ["age", "email", "id", "name", "signup_ts"]:
            return "not an object with the five fields"
        if type(j["id"]) is not int or j["id"] != e["id"] or e["key"] != str(e["id"]):
            return "id or key differs"
        if not isinstance(j["signup_ts"], str) or not TS.match(j["signup_ts"]):
            return "signup_ts is not RFC 3339 with microseconds"
        if micros(j["signup_ts"]) != e["version"]:
            return "signup_ts differs from the logged version"
        if not (j["age"] is None or (type(j["age"]) is int and 18 <= j["age"] <= 90)):
            return "age out of range"
        if not (isinstance(j["name"], str) and isinstance(j["email"], str)
                and f"{j['id']}@" in j["email"]):
            return "name or email"
        return None
    if e["key"] != f"invalid-{e['seq'] % 16}":
        return "invalid record not keyed 'invalid-<seq % 16>'"
    kind = e["invalid"]
    if kind == "malformed":
        return None if j is None and payload.startswith("{") and e["id"] is None else "JSON"
    if not isinstance(j, dict):
        return "invalid record that is not an object"
    if kind == "id_type":
        return None if isinstance(j.get("id"), str) and e["id"] is None else "id type"
    if kind == "id_missing":
        return None if "id" not in j and e["id"] is None else "id present"
    if kind == "age_range":
        return None if j.get("age") in (-5, 400) and j.get("id") == e["id"] else "age"
    if kind == "name_size":
        return None if len(j.get("name", "")) == 1000 and j.get("id") == e["id"] else "name"
    return f"unknown invalid kind {kind}"


def check_run(label, out, log, msgs, count, keys, copies_ok=False):
    """The checks both runs share; returns the parsed summary. With copies_ok (a broker outage
    during the run), a message that is not in the log but repeats a logged one of the same
    partition (key and payload) is left out: a produce request retried across the outage
    that the mock, which has no idempotence, stored twice."""
    s = summary(out)
    stored = msgs  # copies included: the partitions' offsets have no gaps
    if copies_ok:
        logged_pos = {(e["partition"], e["offset"]) for e in log}
        known = {(m["partition"], m["key"], m["payload"]) for m in msgs
                 if (m["partition"], m["offset"]) in logged_pos}
        kept = [m for m in msgs if (m["partition"], m["offset"]) in logged_pos
                or (m["partition"], m["key"], m["payload"]) not in known]
        if len(kept) != len(msgs):
            print(f"{label}: {len(msgs) - len(kept)} records stored twice by the mock")
        msgs = kept
    check(s.get("produced") == count and s.get("delivered") == count and s.get("failed") == 0,
          f"{label}: summary says {count} produced and delivered", out)
    check(len(log) == count, f"{label}: one log line per record", str(len(log)))
    check(sorted(e["seq"] for e in log) == list(range(count)), f"{label}: log seqs are 0..N-1")
    check(all("error" not in e and e["offset"] >= 0 for e in log),
          f"{label}: every logged record delivered")
    check(len(msgs) == count, f"{label}: kcat reads back every record, no more",
          f"{len(msgs)} read, {count} produced")

    # Log against the cluster: same (partition, offset) set, same keys, payloads as described.
    by_pos = {(e["partition"], e["offset"]): e for e in log}
    check(len(by_pos) == len(log), f"{label}: no two log lines share a partition and offset")
    missing = [m for m in msgs if (m["partition"], m["offset"]) not in by_pos]
    check(not missing, f"{label}: every message read is in the log", str(missing[:3]))
    problems = []
    for m in msgs:
        e = by_pos.get((m["partition"], m["offset"]))
        if e is None:
            continue
        why = "key differs" if m["key"] != e["key"] else payload_problem(e, m["payload"])
        if why:
            problems.append(f"{m['partition']}/{m['offset']} {why}: {m['payload'][:120]}")
    check(not problems, f"{label}: every payload matches its log line",
          f"{len(problems)} problems, first: {problems[:3]}")
    for p in {m["partition"] for m in stored}:
        offs = sorted(m["offset"] for m in stored if m["partition"] == p)
        check(offs == list(range(len(offs))), f"{label}: partition {p} offsets have no gaps")

    # Replay the log in generation order against a table kept here.
    newest, part, last_off, bad = {}, {}, {}, []
    kinds = {"new": 0, "duplicate": 0, "stale": 0, "equal": 0, "invalid": 0}
    inv_kinds = {}
    day_moves = 0
    for e in sorted(log, key=lambda e: e["seq"]):
        kinds[e["kind"]] += 1
        if not e["valid"]:
            inv_kinds[e["invalid"]] = inv_kinds.get(e["invalid"], 0) + 1
            continue
        i, v = e["id"], e["version"]
        before = newest.get(i)
        ok = {"new": before is None, "duplicate": before is not None and v > before,
              "stale": before is not None and v < before,
              "equal": before is not None and v == before}[e["kind"]]
        moved = before is not None and v // US_PER_DAY != before // US_PER_DAY
        day_moves += moved
        if not ok or moved != e["day_moved"] or not 1 <= i <= keys:
            bad.append(e)
        if part.setdefault(i, e["partition"]) != e["partition"]:
            bad.append(e)
        if last_off.get(i, -1) >= e["offset"]:
            bad.append(e)  # a later version of the id must sit at a later offset
        last_off[i] = e["offset"]
        if before is None or v > before:
            newest[i] = v
    check(not bad, f"{label}: kinds, one partition per id and offsets in generation order",
          str(bad[:3]))
    invalid_parts = {}
    for e in log:
        if not e["valid"]:
            invalid_parts.setdefault(e["key"], set()).add(e["partition"])
    check(all(len(ps) == 1 for ps in invalid_parts.values()),
          f"{label}: each key of invalid records stays in one partition", str(invalid_parts))
    spread = set().union(*invalid_parts.values()) if invalid_parts else set()
    check(sum(not e["valid"] for e in log) < 16 or len(spread) >= 2,
          f"{label}: invalid records are spread over more than one partition", str(spread))

    # The summary agrees with the log.
    for k in ("new", "duplicate", "stale", "equal", "invalid"):
        check(s.get(k) == kinds[k], f"{label}: summary {k} = log's", f"{s.get(k)} vs {kinds[k]}")
    for k in ("malformed", "id_type", "id_missing", "age_range", "name_size"):
        check(s.get(k) == inv_kinds.get(k, 0) and inv_kinds.get(k, 0) > 0,
              f"{label}: invalid kind {k} present, summary = log", f"{s.get(k)} vs {inv_kinds}")
    check(s.get("valid") == count - kinds["invalid"], f"{label}: summary valid count")
    check(s.get("distinct") == len(newest), f"{label}: distinct keys = ids in the log",
          f"{s.get('distinct')} vs {len(newest)}")
    check(s.get("day_moves") == day_moves, f"{label}: day moves = log's")
    return s, kinds


def usage_checks():
    p = subprocess.run([PRODUCE, "--help"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0 and "--brokers" in p.stdout and "--log" in p.stdout,
          "--help prints the options")
    for args in (["--topic", "t"], ["--brokers", "b"],
                 ["--brokers", "b", "--topic", "t", "--duplicates", "1.5"],
                 ["--brokers", "b", "--topic", "t", "--duplicates", "0.6", "--stale", "0.5"],
                 ["--brokers", "b", "--topic", "t", "--count", "abc"],
                 ["--brokers", "b", "--topic", "t", "--count", "-1"],
                 ["--brokers", "b", "--topic", "t", "--keys", "0"],
                 ["--brokers", "b", "--topic", "t", "--rate", "-3"],
                 ["--brokers", "b", "--topic", "t", "--bogus"],
                 ["--brokers", "b", "--topic", "t", "-X", "novalue"],
                 ["--brokers", "b", "--topic", "t", "--seed"]):
        p = subprocess.run([PRODUCE] + args, capture_output=True, text=True, timeout=30)
        check(p.returncode == 2 and p.stderr.startswith("floe-produce: "),
              f"floe-produce {' '.join(args)} is a usage error", f"{p.returncode} {p.stderr}")
    p = subprocess.run([PRODUCE, "--brokers", "b", "--topic", "t", "-X", "no.such.prop=1"],
                       capture_output=True, text=True, timeout=30)
    check(p.returncode == 1 and "no.such.prop" in p.stderr, "an unknown -X property is refused",
          p.stderr)

    # No broker at all: every record fails after --timeout, exit status 1.
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    closed = f"127.0.0.1:{s.getsockname()[1]}"
    s.close()
    t0 = time.monotonic()
    rc, out, err = produce(closed, "t", "--count", "5", "--timeout", "2", timeout=60)
    took = time.monotonic() - t0
    check(rc == 1, "unreachable broker: exit status 1", f"{rc} {err}")
    check("not delivered" in err and "broker error" in err,
          "unreachable broker: the failure is reported", err)
    check(summary(out).get("failed") == 5, "unreachable broker: 5 failed in the summary", out)
    check(took < 30, "unreachable broker: gives up after the timeout", f"{took:.1f} s")
    rc, out, err = produce(closed, "t", "--count", "1", "--log", "/nonexistent-dir/x.log")
    check(rc == 1 and "/nonexistent-dir/x.log" in err, "an unwritable log is an error", err)


def main():
    tmp = tempfile.mkdtemp(prefix="floe-produce-")
    usage_checks()

    # Run 1: as fast as possible.
    with MockKafka(brokers=3, partitions=4, topic="users") as mk:
        log1 = os.path.join(tmp, "run1.log")
        rc, out, err = produce(mk.bootstrap, "users", "--count", "20000", "--keys", "2000",
                               "--duplicates", "0.3", "--stale", "0.05", "--equal", "0.02",
                               "--invalid", "0.01", "--seed", "11", "--log", log1)
        check(rc == 0, "run 1: floe-produce exits 0", f"{rc}\n{out}\n{err}")
        msgs = consume(mk.bootstrap, "users")
        s, kinds = check_run("run 1", out, read_log(log1), msgs, 20000, 2000)
        n = 20000
        for k, share, tol in (("invalid", 0.01, 0.004), ("stale", 0.05, 0.01),
                              ("equal", 0.02, 0.006)):
            check(abs(kinds[k] / n - share) <= tol, f"run 1: {k} share near {share}",
                  f"{kinds[k] / n:.4f}")
        check(s.get("distinct") == 2000, "run 1: every key of 1..2000 used", str(s))
        print(f"run 1: {s.get('produced')} records in {s.get('seconds')} s, "
              f"{s.get('rate')} records/s into the mock cluster")

    # Run 2: broker 1 (leader of partitions 0 and 3) down for 2 s in the middle of the run.
    with MockKafka(brokers=3, partitions=4, topic="users") as mk:
        log2 = os.path.join(tmp, "run2.log")
        p = subprocess.Popen([PRODUCE, "--brokers", mk.bootstrap, "--topic", "users", "--count",
                              "20000", "--rate", "5000", "--keys", "2000", "--invalid", "0.01",
                              "--seed", "12", "--log", log2],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        check(mk.command("down 1") == "ok", "run 2: broker 1 down")
        time.sleep(2.0)
        check(mk.command("up 1") == "ok", "run 2: broker 1 up")
        out, err = p.communicate(timeout=240)
        check(p.returncode == 0, "run 2: floe-produce exits 0 after the outage",
              f"{p.returncode}\n{out}\n{err}")
        check("broker error" in err, "run 2: the outage was seen by the producer", err)
        log = read_log(log2)
        msgs = consume(mk.bootstrap, "users")
        check_run("run 2", out, log, msgs, 20000, 2000, copies_ok=True)
        # Deliveries of the stalled partitions fell behind: some record of partition 0 or 3 was
        # delivered after records generated at least 0.5 s (2,500 records) later.
        lag, top = 0, -1
        for e in log:  # delivery order
            if e["partition"] in (0, 3):
                lag = max(lag, top - e["seq"])
            top = max(top, e["seq"])
        check(lag >= 2500, "run 2: partitions led by broker 1 stalled while it was down",
              f"largest lag {lag} records")
        check(set(e["partition"] for e in log) == {0, 1, 2, 3}, "run 2: all partitions used")

    # Run 3: interrupted. Records not yet sent are reported as failed, those sent are waited
    # for, so the log still says exactly what the topic holds.
    with MockKafka(brokers=3, partitions=4, topic="users") as mk:
        log3 = os.path.join(tmp, "run3.log")
        p = subprocess.Popen([PRODUCE, "--brokers", mk.bootstrap, "--topic", "users", "--count",
                              "100000", "--rate", "2000", "--log", log3],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        check(p.returncode == 1 and "interrupted after" in err, "run 3: SIGINT stops with status 1",
              f"{p.returncode} {err}")
        s = summary(out)
        log = read_log(log3)
        msgs = consume(mk.bootstrap, "users")
        delivered = {(e["partition"], e["offset"]) for e in log if "error" not in e}
        check(0 < s.get("delivered", 0) < 100000 and len(delivered) == s["delivered"],
              "run 3: the summary's delivered count matches the log", out)
        check(len(log) == s.get("produced"), "run 3: one log line per produced record")
        check({(m["partition"], m["offset"]) for m in msgs} == delivered,
              "run 3: the topic holds exactly the records logged as delivered")
    finish()


if __name__ == "__main__":
    main()
