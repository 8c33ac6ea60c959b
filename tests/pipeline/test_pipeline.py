"""test_pipeline — `floe run` from a mock Kafka cluster into a local Iceberg table.

    test_pipeline.py steady|crash|reload|group|broker

Each scenario starts tests/kafka/mock-kafka in its own process, produces a users stream with
floe-produce (duplicates, stale and equal versions, invalid records), runs `floe run` as a
process and reads the table back with icebird and the spec's scan rules
(tests/readers/check-iceberg.mjs). The expected table is computed here from what kcat reads
back from the topic and floe-produce's log — the latest valid version of every key, in each
partition's offset order — never with floe's code.

  steady  one agent, a stream: table == latest valid version per key; dead letter == the
          invalid records (topic, partition, offset); offsets in the last summary; SIGTERM
          exits 0 with everything produced before it in the table
  crash   kill -9 at 20 random moments while a stream is produced, restarting each time: no
          record lost, none applied twice, offsets in the final summary
  reload  SIGHUP adds `age` to a table created without it (new rows carry it, old files read
          as null) and lowers flush_rows (later commits follow it)
  group   two agents in one group on one table, the second started mid-stream, the first
          stopped later: exact result
  group_cooperative  the same with the cooperative-sticky assignor (incremental assignments)
  broker  a broker down for ~10 s mid-stream: exact result, no restart
  start   kafka.start = latest on a first start: the records produced before the assignment are
          left out, every one after it is in the table; the assignment logs the offset the
          leader gave for "latest" (floe asks for it before assigning), not the word
  backlog with flush_every 10m: a backlog is committed once floe has read it to the end of
          every partition, not 10 minutes later, even a small batch; records read as they
          arrive wait for flush_every (no commit, until SIGTERM): exact result
"""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "process"))
sys.path.insert(0, os.path.join(HERE, "..", "kafka"))
from floetest import FLOE, check, finish, tmpdir  # noqa: E402
from kafkatest import PRODUCE, MockKafka, consume, read_log  # noqa: E402

CHECKER = os.path.join(HERE, "..", "readers", "check-iceberg.mjs")
COLS = ["id", "name", "email", "signup_ts", "age"]
TOPIC = "users"


def conf(work, bootstrap, state="state", schema_age=True, flush_rows=100000, flush_every="1s",
         group="floe-test", name="floe.conf", rdkafka="", start="earliest"):
    path = os.path.join(work, name)
    schema = "id long required, name string, email string, signup_ts timestamptz"
    rules = "name = max_length 200"
    if schema_age:
        schema += ", age int"
        rules = "age = min 0, max 150\n" + rules
    with open(path, "w") as f:
        f.write(f"""[kafka]
brokers = {bootstrap}
topic = {TOPIC}
group = {group}
start = {start}
rdkafka.session.timeout.ms = 6000
rdkafka.heartbeat.interval.ms = 500
rdkafka.topic.metadata.refresh.interval.ms = 2000
{rdkafka}[table]
warehouse = {work}/wh
namespace = db
name = users
schema = {schema}
partition = day(signup_ts), bucket(16, id)
[validate]
{rules}
[dedup]
memory = 4M
[limits]
memory = 64M
flush_rows = {flush_rows}
flush_every = {flush_every}
[agent]
state_dir = {work}/{state}
shutdown_timeout = 30s
""")
    return path


class Floe:
    """A `floe run` process; stderr goes to a file (read with text())."""

    def __init__(self, config, log):
        self.log = log
        self.err = open(log, "a")
        self.proc = subprocess.Popen([FLOE, "run", "-c", config], stderr=self.err)

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout=60):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        finally:
            self.err.close()

    def text(self):
        with open(self.log) as f:
            return f.read()


class Producer(threading.Thread):
    """floe-produce in the background."""

    def __init__(self, bootstrap, log, *args):
        super().__init__(daemon=True)
        self.cmd = [PRODUCE, "--brokers", bootstrap, "--topic", TOPIC, "--log", log, *args]
        self.rc = None
        self.out = ""
        self.start()

    def run(self):
        p = subprocess.run(self.cmd, capture_output=True, text=True, timeout=600)
        self.rc, self.out = p.returncode, p.stdout + p.stderr


def produce(bootstrap, log, *args):
    p = Producer(bootstrap, log, *args)
    p.join()
    check(p.rc == 0, "floe-produce delivered every record", p.out[-500:])
    return p


def latest_rows(msgs, valid):
    """What floe must make of the users messages msgs (dicts with partition, offset and a JSON
    payload, in any order) when valid maps (partition, offset) to whether the record is valid
    (a position not in it is invalid): the latest valid version of every key (rows for
    check-iceberg, by id), the invalid positions, and each partition's end offset. Versions
    are taken in each partition's offset order; a stale or equal signup_ts changes nothing."""
    table, invalid, ends = {}, set(), {}
    for m in sorted(msgs, key=lambda m: (m["partition"], m["offset"])):
        pos = (m["partition"], m["offset"])
        ends[m["partition"]] = max(ends.get(m["partition"], 0), m["offset"] + 1)
        if not valid.get(pos, False):
            invalid.add(pos)
            continue
        j = json.loads(m["payload"])
        ts = j["signup_ts"]
        if j["id"] in table and ts <= table[j["id"]][0]:
            continue  # stale or equal: RFC 3339 with fixed width compares as text
        table[j["id"]] = (ts, [str(j["id"]), j["name"], j["email"], ts[:23] + "Z", j["age"]])
    return {k: v[1] for k, v in table.items()}, invalid, ends


def expected(bootstrap, logs, no_age=()):
    """The latest valid version of every key (rows for check-iceberg), the invalid records'
    (partition, offset) and each partition's end offset, from kcat and the producer logs. In
    the logs of no_age, read while the config had no age column, an age out of range is no
    reason to reject a record."""
    valid = {}
    for log in logs:
        for e in read_log(log):
            ok = e["valid"] or (log in no_age and e["invalid"] == "age_range")
            valid[(e["partition"], e["offset"])] = ok
    msgs = consume(bootstrap, TOPIC)
    # A produce request retried across a broker outage can be stored twice by the mock (it has
    # no idempotence): the copy the producer did not log is the same record at a later offset
    # of the same partition, valid as the logged one is, and an equal version for floe.
    logged = {(m["partition"], m["payload"]): valid[(m["partition"], m["offset"])]
              for m in msgs if (m["partition"], m["offset"]) in valid}
    dups = 0
    for m in msgs:
        pos = (m["partition"], m["offset"])
        if pos not in valid and (m["partition"], m["payload"]) in logged:
            valid[pos] = logged[(m["partition"], m["payload"])]
            dups += 1
    check({(m["partition"], m["offset"]) for m in msgs} == set(valid),
          "kcat reads back every logged record, and besides only broker-side copies of them",
          f"{len(msgs)} read, {len(valid) - dups} logged, {dups} copies")
    return latest_rows(msgs, valid)


def table_dir(work):
    return os.path.join(work, "wh", "db", "users")


def metadata(work):
    md = os.path.join(table_dir(work), "metadata")
    try:
        with open(os.path.join(md, "version-hint.text")) as f:
            v = f.read().strip()
        with open(os.path.join(md, f"v{v}.metadata.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def offsets(meta):
    """floe.offsets.users of the newest ancestor of the current snapshot that has it."""
    if not meta:
        return {}
    snaps = {s["snapshot-id"]: s for s in meta.get("snapshots", [])}
    sid = meta.get("current-snapshot-id")
    while sid in snaps:
        s = snaps[sid]
        v = s.get("summary", {}).get(f"floe.offsets.{TOPIC}")
        if v is not None:
            return {int(k): n for k, n in json.loads(v).items()}
        sid = s.get("parent-snapshot-id")
    return {}


def wait_caught_up(work, ends, last_changing, timeout=150):
    """Waits until the table's offsets reach, for every partition, past the last record that
    changed the table (later ones may be stale or invalid and wait for the next commit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = offsets(metadata(work))
        if all(got.get(p, 0) >= last_changing.get(p, 0) for p in ends):
            return got
        time.sleep(0.3)
    return offsets(metadata(work))


def last_changing(bootstrap, logs):
    """Per partition, 1 + the offset of the last valid record (every valid record may be the
    one that changes its key's row, so the table must have read at least this far)."""
    last = {}
    for log in logs:
        for e in read_log(log):
            if e["valid"]:
                last[e["partition"]] = max(last.get(e["partition"], 0), e["offset"] + 1)
    return last


def table_matches(work, rows, what):
    exp = os.path.join(work, "expected.json")
    with open(exp, "w") as f:
        json.dump({"columns": COLS, "rows": list(rows.values())}, f)
    p = subprocess.run(["node", CHECKER, table_dir(work), exp], capture_output=True, text=True,
                       timeout=300)
    return check(p.returncode == 0 and "rows by the spec's rules" in p.stdout,
                 f"{what}: icebird and the spec's scan rules read the latest valid version of "
                 f"every key", (p.stdout + p.stderr)[-3000:])


def offsets_ok(work, ends, last, what):
    got = offsets(metadata(work))
    ok = all(last.get(p, 0) <= got.get(p, -1) <= ends[p] for p in ends)
    return check(ok, f"{what}: the last summary's offsets lie between the last valid record and "
                     f"the end of each partition", f"offsets {got}, ends {ends}, last {last}")


def dead_letters(work, state="state"):
    out = []
    path = os.path.join(work, state, "dead-letter.ndjson")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                d = json.loads(line)
                s = d["source"]
                out.append((s["topic"], s["partition"], s["offset"]))
    return out


def stop(agent, what):
    agent.signal(signal.SIGTERM)
    rc = agent.wait(60)
    check(rc == 0, f"{what}: floe exits 0 on SIGTERM", agent.text()[-2000:])


def scenario_steady():
    work = tmpdir()
    with MockKafka(brokers=3, partitions=4, topic=TOPIC) as mk:
        cfgp = conf(work, mk.bootstrap, flush_rows=700)
        produce(mk.bootstrap, f"{work}/p1.log", "--count", "15000", "--keys", "2000",
                "--equal", "0.03", "--invalid", "0.02", "--seed", "7")
        agent = Floe(cfgp, f"{work}/floe.log")
        # More records while floe runs.
        produce(mk.bootstrap, f"{work}/p2.log", "--count", "10000", "--keys", "2000",
                "--equal", "0.03", "--invalid", "0.02", "--seed", "8", "--rate", "5000")
        logs = [f"{work}/p1.log", f"{work}/p2.log"]
        rows, invalid, ends = expected(mk.bootstrap, logs)
        last = last_changing(mk.bootstrap, logs)
        wait_caught_up(work, ends, last)
        stop(agent, "steady")
        table_matches(work, rows, "steady stream")
        offsets_ok(work, ends, last, "steady stream")
        dl = dead_letters(work)
        check(sorted(dl) == sorted((TOPIC, p, o) for p, o in invalid),
              "steady stream: the dead letter holds exactly the invalid records, with topic, "
              "partition and offset", f"{len(dl)} dead letters, {len(invalid)} invalid")
        text = agent.text()
        check("committed" in text and "consumer closed" in text,
              "steady stream: floe logs its commits and leaves the group")

        # SIGTERM right after a burst: everything produced before it is in the table.
        agent = Floe(cfgp, f"{work}/floe2.log")
        time.sleep(3)
        produce(mk.bootstrap, f"{work}/p3.log", "--count", "3000", "--keys", "2000",
                "--seed", "9")
        time.sleep(1.5)
        stop(agent, "SIGTERM")
        logs.append(f"{work}/p3.log")
        rows, invalid, ends = expected(mk.bootstrap, logs)
        table_matches(work, rows, "SIGTERM")
        offsets_ok(work, ends, last_changing(mk.bootstrap, logs), "SIGTERM")


def scenario_crash():
    work = tmpdir()
    rnd = random.Random(int(os.environ.get("FLOE_TEST_SEED", "20261124")))
    with MockKafka(brokers=1, partitions=4, topic=TOPIC) as mk:
        cfgp = conf(work, mk.bootstrap, flush_rows=3000, flush_every="500ms")
        prod = Producer(mk.bootstrap, f"{work}/p.log", "--count", "20000", "--keys", "3000",
                        "--equal", "0.03", "--invalid", "0.02", "--rate", "1000", "--seed", "3")
        kills = 0
        for i in range(20):
            agent = Floe(cfgp, f"{work}/floe.log")
            time.sleep(rnd.uniform(0.3, 1.6))
            agent.proc.kill()
            agent.wait(10)
            kills += 1
        prod.join()
        check(prod.rc == 0, "crash: floe-produce delivered every record", prod.out[-500:])
        agent = Floe(cfgp, f"{work}/floe.log")
        logs = [f"{work}/p.log"]
        rows, invalid, ends = expected(mk.bootstrap, logs)
        last = last_changing(mk.bootstrap, logs)
        wait_caught_up(work, ends, last)
        stop(agent, "crash")
        check(kills == 20, "crash: floe was killed 20 times")
        table_matches(work, rows, "crash")
        offsets_ok(work, ends, last, "crash")
        dl = set(dead_letters(work))
        check(dl == {(TOPIC, p, o) for p, o in invalid},
              "crash: every invalid record reached the dead letter (some more than once)",
              f"{len(dl)} distinct dead letters, {len(invalid)} invalid")
        meta = metadata(work)
        ids = [s["summary"].get("floe.commit-id") for s in meta["snapshots"]
               if s["summary"].get("operation") != "replace"]
        check(len(ids) == len(set(i for i in ids if i)),
              "crash: every snapshot carries its own floe.commit-id")


def scenario_reload():
    work = tmpdir()
    with MockKafka(brokers=1, partitions=3, topic=TOPIC) as mk:
        cfgp = conf(work, mk.bootstrap, schema_age=False, flush_rows=100000, flush_every="1s")
        agent = Floe(cfgp, f"{work}/floe.log")
        produce(mk.bootstrap, f"{work}/p1.log", "--count", "6000", "--keys", "1500",
                "--seed", "11")
        first = [f"{work}/p1.log"]
        _, _, ends1 = expected(mk.bootstrap, first)
        wait_caught_up(work, ends1, last_changing(mk.bootstrap, first))
        before = len(metadata(work)["snapshots"])
        conf(work, mk.bootstrap, schema_age=True, flush_rows=250, flush_every="1s")
        mark = len(agent.text())
        agent.signal(signal.SIGHUP)
        deadline = time.monotonic() + 30
        while "reload applied" not in agent.text()[mark:] and time.monotonic() < deadline:
            time.sleep(0.1)
        check("reload applied" in agent.text()[mark:], "reload: floe applies the new config",
              agent.text()[-2000:])
        check("schema updated" in agent.text()[mark:], "reload: floe adds the age column")
        produce(mk.bootstrap, f"{work}/p2.log", "--count", "6000", "--keys", "1500",
                "--seed", "12")
        logs = first + [f"{work}/p2.log"]
        rows, invalid, ends = expected(mk.bootstrap, logs, no_age=first)
        wait_caught_up(work, ends, last_changing(mk.bootstrap, logs))
        stop(agent, "reload")
        # A row whose newest version was read before the reload has no age.
        seen_first = {}
        for e in read_log(first[0]):
            if e["valid"] or e["invalid"] == "age_range":
                seen_first[(e["partition"], e["offset"])] = True
        msgs = {(m["partition"], m["offset"]): m for m in consume(mk.bootstrap, TOPIC)}
        for pos, m in msgs.items():
            if pos in seen_first:
                j = json.loads(m["payload"])
                r = rows.get(j["id"])
                if r and r[3] == j["signup_ts"][:23] + "Z" and r[1] == j["name"]:
                    r[4] = None
        table_matches(work, rows, "reload")
        meta = metadata(work)
        later = [s for s in meta["snapshots"][before:]
                 if "added-records" in s["summary"]]
        check(later and all(int(s["summary"]["added-records"]) <= 250 for s in later)
              and len(later) >= 6000 // 250 // 3,
              "reload: commits after the reload follow the new flush_rows (250)",
              str([s["summary"].get("added-records") for s in later]))
        early = [s for s in meta["snapshots"][:before] if "added-records" in s["summary"]]
        check(any(int(s["summary"]["added-records"]) > 250 for s in early),
              "reload: commits before the reload were larger (the old flush_rows)")


def scenario_group(rdkafka=""):
    work = tmpdir()
    with MockKafka(brokers=1, partitions=6, topic=TOPIC) as mk:
        cfg_a = conf(work, mk.bootstrap, state="state-a", flush_rows=3000, name="a.conf",
                     rdkafka=rdkafka)
        cfg_b = conf(work, mk.bootstrap, state="state-b", flush_rows=3000, name="b.conf",
                     rdkafka=rdkafka)
        # No stale or equal versions: a key moved to an agent whose hash never saw it is
        # replaced by its next record whatever its version (upsert.h), so exactness across a
        # partition move needs every later version to be newer.
        prod = Producer(mk.bootstrap, f"{work}/p.log", "--count", "20000", "--keys", "3000",
                        "--stale", "0", "--equal", "0", "--invalid", "0.02", "--rate", "1500",
                        "--seed", "5")
        a = Floe(cfg_a, f"{work}/a.log")
        time.sleep(4)
        b = Floe(cfg_b, f"{work}/b.log")
        time.sleep(5)
        stop(a, "group: the first agent")
        prod.join()
        check(prod.rc == 0, "group: floe-produce delivered every record", prod.out[-500:])
        logs = [f"{work}/p.log"]
        rows, invalid, ends = expected(mk.bootstrap, logs)
        last = last_changing(mk.bootstrap, logs)
        wait_caught_up(work, ends, last)
        stop(b, "group: the second agent")
        check('msg="committed"' in a.text() and 'msg="committed"' in b.text(),
              "group: both agents committed")
        table_matches(work, rows, "group")
        offsets_ok(work, ends, last, "group")
        if not rdkafka:
            check("partitions revoked" in b.text() or "partitions revoked" in a.text(),
                  "group: a rebalance happened")
        else:
            # The mock cluster moves no partition to a member that joins a cooperative group
            # (it waits for the first member to leave): the incremental assignment after the
            # leave is what is exercised here.
            check("protocol=cooperative" in a.text() and "protocol=cooperative" in b.text(),
                  "group: both agents were assigned partitions under the cooperative protocol",
                  a.text()[-800:] + b.text()[-800:])


def scenario_group_cooperative():
    scenario_group("rdkafka.partition.assignment.strategy = cooperative-sticky\n")


def scenario_broker():
    work = tmpdir()
    with MockKafka(brokers=3, partitions=6, topic=TOPIC) as mk:
        cfgp = conf(work, mk.bootstrap, flush_rows=3000)
        prod = Producer(mk.bootstrap, f"{work}/p.log", "--count", "25000", "--keys", "3000",
                        "--rate", "1000", "--seed", "6", "--timeout", "120")
        agent = Floe(cfgp, f"{work}/floe.log")
        time.sleep(5)
        check(mk.command("down 1") == "ok", "broker: broker 1 taken down")
        time.sleep(10)
        check(mk.command("up 1") == "ok", "broker: broker 1 up again")
        prod.join()
        check(prod.rc == 0, "broker: floe-produce delivered every record", prod.out[-500:])
        logs = [f"{work}/p.log"]
        rows, invalid, ends = expected(mk.bootstrap, logs)
        last = last_changing(mk.bootstrap, logs)
        wait_caught_up(work, ends, last, timeout=120)
        check(agent.proc.poll() is None, "broker: floe kept running through the outage")
        stop(agent, "broker")
        table_matches(work, rows, "broker down")
        offsets_ok(work, ends, last, "broker down")
        check(agent.text().count("\n") < 2000, "broker: broker errors are rate-limited in the log",
              f"{agent.text().count(chr(10))} log lines")


def snapshots(work):
    meta = metadata(work)
    return len(meta["snapshots"]) if meta else 0


def scenario_backlog():
    work = tmpdir()
    with MockKafka(brokers=1, partitions=4, topic=TOPIC) as mk:
        # A 1 MiB pre-fetch queue: floe is behind once it has read more than that since it was
        # last at the end of every partition. (The mock keeps about 5 MiB per partition: 4
        # partitions hold the three streams below.)
        cfgp = conf(work, mk.bootstrap, flush_rows=40000, flush_every="10m",
                    rdkafka="rdkafka.queued.max.messages.kbytes = 1024\n")
        logs = [f"{work}/p1.log"]
        produce(mk.bootstrap, logs[0], "--count", "40000", "--keys", "40000", "--days", "3",
                "--seed", "21")
        agent = Floe(cfgp, f"{work}/floe.log")
        rows, invalid, ends = expected(mk.bootstrap, logs)
        last = last_changing(mk.bootstrap, logs)
        check(len(rows) < 40000, "backlog: fewer rows than flush_rows", f"{len(rows)} rows")
        got = wait_caught_up(work, ends, last, timeout=90)
        check(all(got.get(p, 0) >= last.get(p, 0) for p in ends),
              "backlog: a backlog of about 6 MB is committed once read, without waiting for "
              "flush_every (10m)", f"offsets {got}, last {last}\n{agent.text()[-1500:]}")
        check('msg="caught up"' in agent.text(), "backlog: floe logs that it caught up")
        table_matches(work, rows, "backlog")
        after = snapshots(work)

        # 12,000 records (about 1.8 MB, more than the queue) at 2,000 a second, read as they
        # arrive: never behind, so flush_every alone decides and nothing is committed.
        logs.append(f"{work}/p2.log")
        produce(mk.bootstrap, logs[1], "--count", "12000", "--keys", "40000", "--days", "3",
                "--rate", "2000", "--seed", "22")
        time.sleep(2)
        check(snapshots(work) == after, "backlog: records read as they arrive are not committed "
              "before flush_every", f"{snapshots(work) - after} new snapshots")
        check(agent.text().count('msg="caught up"') == 1, "backlog: a live stream is not a "
              "backlog", agent.text()[-1500:])
        stop(agent, "backlog")
        check(snapshots(work) == after + 1, "backlog: SIGTERM commits what waited for "
              "flush_every", f"{snapshots(work) - after} new snapshots")

        # Updates of 500 keys produced while floe is stopped: after the restart the batch is
        # small (500 rows), and is committed as soon as the backlog is read all the same.
        logs.append(f"{work}/p3.log")
        produce(mk.bootstrap, logs[2], "--count", "36000", "--keys", "500", "--days", "3",
                "--seed", "23")
        after = snapshots(work)
        agent = Floe(cfgp, f"{work}/floe2.log")
        deadline = time.monotonic() + 60
        while snapshots(work) == after and time.monotonic() < deadline:
            time.sleep(0.2)
        check('msg="caught up"' in agent.text() and snapshots(work) == after + 1,
              "backlog: a small batch left by a backlog is committed once it is read",
              agent.text()[-1500:])
        stop(agent, "backlog")
        rows, invalid, ends = expected(mk.bootstrap, logs)
        table_matches(work, rows, "backlog: after SIGTERM")
        offsets_ok(work, ends, last_changing(mk.bootstrap, logs), "backlog: after SIGTERM")


def scenario_start():
    work = tmpdir()
    with MockKafka(brokers=2, partitions=4, topic=TOPIC) as mk:
        cfgp = conf(work, mk.bootstrap, start="latest")
        before = f"{work}/p1.log"
        produce(mk.bootstrap, before, "--count", "3000", "--keys", "500", "--seed", "31")
        ends_before = {}
        for e in read_log(before):
            ends_before[e["partition"]] = max(ends_before.get(e["partition"], 0), e["offset"] + 1)
        agent = Floe(cfgp, f"{work}/floe.log")
        deadline = time.monotonic() + 60
        while agent.text().count("partition assigned") < 4 and time.monotonic() < deadline:
            time.sleep(0.2)
        text = agent.text()
        for p in range(4):
            check(f"partition={p} offset={ends_before.get(p, 0)} start=latest\n" in text,
                  f"start: partition {p} is assigned at the end the leader gave for 'latest'",
                  text[-2000:])
        after = f"{work}/p2.log"
        produce(mk.bootstrap, after, "--count", "4000", "--keys", "500", "--invalid", "0.02",
                "--seed", "32")
        valid = {(e["partition"], e["offset"]): e["valid"] for e in read_log(after)}
        msgs = [m for m in consume(mk.bootstrap, TOPIC) if (m["partition"], m["offset"]) in valid]
        check(len(msgs) == len(valid), "start: kcat reads back the records produced after the "
              "assignment", f"{len(msgs)} of {len(valid)}")
        rows, invalid, ends = latest_rows(msgs, valid)
        last = last_changing(mk.bootstrap, [after])
        wait_caught_up(work, ends, last)
        stop(agent, "start")
        table_matches(work, rows, "start = latest")
        offsets_ok(work, ends, last, "start = latest")


def run_scenario(scenarios, doc):
    """Runs the scenario named by the only argument and finish()es; with no such scenario,
    prints doc (the usage) and exits 2."""
    if len(sys.argv) != 2 or sys.argv[1] not in scenarios:
        print(doc, file=sys.stderr)
        sys.exit(2)
    scenarios[sys.argv[1]]()
    finish()


SCENARIOS = {"steady": scenario_steady, "crash": scenario_crash, "reload": scenario_reload,
             "group": scenario_group, "group_cooperative": scenario_group_cooperative,
             "broker": scenario_broker, "backlog": scenario_backlog, "start": scenario_start}

if __name__ == "__main__":
    run_scenario(SCENARIOS, __doc__)
