"""test_pipeline_s3load — `floe run` keeps serving its loop while S3 stalls a table load.

    test_pipeline_s3load.py stop|rebalance

A table load (the table's metadata read again for an assignment's offsets, or the write path
rebuilt after a reload) is a series of blocking S3 round trips; floe runs it on a worker, so
that the loop goes on serving signals and timers however long S3 takes. mock-kafka runs in its
own process, moto serves S3 over TLS behind the fault proxy of tests/s3peers/faultproxy.py, and
floe's [s3] endpoint is the proxy. Once floe has committed, the proxy holds every GET of the
table's metadata (version-hint.text, vN.metadata.json: what a load reads, and what a commit
does not) unanswered for STALL seconds — the requests time out and are tried again, held
again — while partitions are being assigned; commits (PUTs) still go through.

  stop       everything produced is committed; then, during the stall, SIGHUP changes
             limits.flush_rows and a librdkafka property (the write path is rebuilt, the
             consumer reconnected and assigned again). A SIGTERM sent once the load is held is
             logged ("stopping") within a few seconds — a blocked loop would log it only when
             the stall ends — and floe exits 0 once the load lands, within shutdown_timeout.
  rebalance  a first part of a stream is produced and committed; during the stall a second
             agent joins the group (its own topic, a local table), so floe's partitions are
             revoked (nothing to flush) and assigned again, and the assignment waits for the
             stalled load while the rest of the stream is produced. A SIGUSR1 sent then is
             answered (the status line) within a few seconds, and no partition is assigned
             before the load lands; after the stall the second agent leaves, the stream ends,
             floe catches up and exits 0 on SIGTERM, and the table, read through HTTPS
             from moto by icebird and the spec's scan rules (tests/readers/check-iceberg.mjs),
             holds exactly the latest valid version of every key, with the last summary's
             offsets between the last valid record and the end of each partition and every
             snapshot carrying its own floe.commit-id.

The stall is long (30 s) and the bounds generous (5 s), so only a loop blocked on the load
misses them. Exits 77 (skipped) when the floe under test has no S3 client.
"""
import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "process"))
sys.path.insert(0, os.path.join(HERE, "..", "s3peers"))
from faultproxy import FaultProxy  # noqa: E402
from floetest import check, tmpdir  # noqa: E402
from s3peer import Moto  # noqa: E402
from test_pipeline import TOPIC, Floe, MockKafka, Producer, run_scenario  # noqa: E402
from test_pipeline_s3 import BUCKET, check_s3_table, wait_for, wait_reached  # noqa: E402
from test_pipeline_s3 import conf as s3_conf  # noqa: E402

STALL = 30.0          # seconds during which the table's metadata GETs are held
ANSWER = 5.0          # a served loop answers a signal well within this (a blocked one: STALL)
SHUTDOWN = 120        # agent.shutdown_timeout, seconds: the stall and the retries fit in it
METADATA_GET = r"/metadata/(version-hint\.text|v\d+\.metadata\.json)$"
OTHER = "other"       # the second agent's topic
FOLD = 11.0           # floe prints a repeated message once per 10 s (log.h: FLOE_LOG_REPEAT_MS)
SKIP = 77


def conf(work, px, flush_rows=400, extra=""):
    return s3_conf(work, px, group="floe-s3load", flush_rows=flush_rows, shutdown=SHUTDOWN,
                   extra=extra)


def other_conf(work, bootstrap):
    """The second agent: same group, its own (empty) topic and a local table."""
    path = os.path.join(work, "other.conf")
    with open(path, "w") as f:
        f.write(f"""[kafka]
brokers = {bootstrap}
topic = {OTHER}
group = floe-s3load
rdkafka.session.timeout.ms = 6000
rdkafka.heartbeat.interval.ms = 500
[table]
warehouse = {work}/other-wh
namespace = db
name = other
schema = id long required, name string, signup_ts timestamptz
[agent]
state_dir = {work}/other-state
shutdown_timeout = 30s
""")
    return path


def start(work, s3, mk, px, **kw):
    """floe against the proxy, once it has committed (returns the config's path, the agent and
    when the commit was seen); skips the test when this floe has no S3 client."""
    cfgp = conf(work, {"bootstrap": mk.bootstrap, "endpoint": px.endpoint,
                       "ca_file": px.ca_file}, **kw)
    agent = Floe(cfgp, f"{work}/floe.log")
    committed = wait_for(lambda: 'msg="committed"' in agent.text()
                         or agent.proc.poll() is not None, 90)
    if agent.proc.poll() is not None and "S3 client" in agent.text():
        print(f"SKIP: this floe has no S3 client ({agent.text().strip()[-300:]})")
        sys.exit(SKIP)
    seen = time.monotonic()
    check(committed and agent.proc.poll() is None,
          "floe committed to the s3:// warehouse before the stall", agent.text()[-2000:])
    return cfgp, agent, seen


def stall(px):
    """Holds every GET of the table's metadata from now on; returns when it began."""
    px.clear()
    px.fault("stall", method="GET", path=METADATA_GET, times=None)
    return time.monotonic()


def held(px):
    return [r for r in px.records() if r["action"] == "stall"]


def answered(agent, mark, needle, timeout):
    """Seconds until needle appears in agent's log after offset mark, or None."""
    t0 = time.monotonic()
    if wait_for(lambda: needle in agent.text()[mark:], timeout, step=0.05):
        return time.monotonic() - t0
    return None


def during_stall(agent, sig, needle, began, label):
    """Sends sig to agent during the stall that began at began, and checks that needle appears
    in its log within ANSWER seconds, while the stall still runs (label: what is checked).
    Returns the log offset the search started from."""
    mark = len(agent.text())
    agent.signal(sig)
    took = answered(agent, mark, needle, STALL)
    still = time.monotonic() - began < STALL
    print(f"{label} after {'%.2f s' % took if took is not None else 'never'}")
    check(took is not None and took < ANSWER and still,
          f"{label} within {ANSWER:.0f} s (the loop is not blocked by the load)",
          f"took {took}, stall running: {still}\n" + agent.text()[mark:][-2000:])
    return mark


def scenario_stop():
    work = tmpdir()
    with Moto(work) as s3, MockKafka(brokers=1, partitions=4, topic=TOPIC) as mk:
        s3.create_bucket(BUCKET, public_read=True)
        client = s3.client()
        with FaultProxy(work, upstream=s3.endpoint, upstream_ca=s3.ca_file) as px:
            prod = Producer(mk.bootstrap, f"{work}/p.log", "--count", "1200", "--keys", "300",
                            "--invalid", "0.02", "--days", "2", "--rate", "400", "--seed", "31",
                            "--timeout", "120")
            cfgp, agent, _ = start(work, s3, mk, px)
            prod.join()
            check(prod.rc == 0, "stop: floe-produce delivered every record", prod.out[-500:])
            caught_up, where = wait_reached(mk.bootstrap, client, [f"{work}/p.log"], 90)[3:]
            check(caught_up, "stop: floe committed everything before the stall", where)

            # The reload: a new flush_rows (the write path is rebuilt: the table loaded again)
            # and a new librdkafka property (the consumer reconnects: a new assignment).
            with open(cfgp) as f:
                text = f.read()
            with open(cfgp, "w") as f:
                f.write(text.replace("flush_rows = 400", "flush_rows = 300").replace(
                    "[table]", "rdkafka.fetch.wait.max.ms = 200\n[table]"))
            began = stall(px)
            mark = len(agent.text())
            agent.signal(signal.SIGHUP)
            loading = wait_for(lambda: held(px), 30, step=0.05)
            check(loading, "stop: after SIGHUP floe loads the table, and the proxy holds it",
                  agent.text()[mark:][-2000:])
            time.sleep(1.0)

            sent = time.monotonic()
            during_stall(agent, signal.SIGTERM, "stopping", began,
                         "stop: SIGTERM during the stalled load is logged")
            check(agent.proc.poll() is None,
                  "stop: floe does not exit before the stalled load has landed")

            time.sleep(max(0.0, began + STALL - time.monotonic()))
            px.clear()
            rc = agent.wait(SHUTDOWN + 30)
            elapsed = time.monotonic() - sent
            print(f"floe exited {rc} {elapsed:.1f} s after SIGTERM (the stall: {STALL:.0f} s)")
            text = agent.text()
            check(rc == 0 and "shutdown timeout passed" not in text,
                  "stop: floe exits 0 after the stall, within shutdown_timeout",
                  f"rc {rc} after {elapsed:.1f} s\n" + text[-2000:])
            check("reload applied" in text,
                  "stop: the reload was applied once the load landed", text[-2000:])
            check('msg="consumer closed"' in text, "stop: floe left the group", text[-2000:])


def scenario_rebalance():
    work = tmpdir()
    with Moto(work) as s3, MockKafka(brokers=1, partitions=4, topic=TOPIC,
                                     extra_topics=(OTHER,)) as mk:
        s3.create_bucket(BUCKET, public_read=True)  # the readers fetch unsigned
        client = s3.client()
        with FaultProxy(work, upstream=s3.endpoint, upstream_ca=s3.ca_file) as px:
            # The first part of the stream, committed before the stall: the revocation then
            # has nothing to flush, so no commit (whose own reload would be held too) runs
            # during the stall and the held GETs are the assignment's load.
            first = Producer(mk.bootstrap, f"{work}/p1.log", "--count", "2000", "--keys", "800",
                             "--equal", "0.03", "--invalid", "0.02", "--days", "2",
                             "--rate", "400", "--seed", "32", "--timeout", "120")
            cfgp, agent, seen = start(work, s3, mk, px)
            pid = agent.proc.pid
            first.join()
            check(first.rc == 0, "rebalance: floe-produce delivered the first part",
                  first.out[-500:])
            caught_up, where = wait_reached(mk.bootstrap, client, [f"{work}/p1.log"], 90)[3:]
            check(caught_up, "rebalance: floe committed the first part before the stall", where)
            # The second "partitions assigned" is looked for in the log: it must not come
            # within the 10 s in which floe folds a repeated message into a count.
            time.sleep(max(0.0, seen + FOLD - time.monotonic()))

            began = stall(px)
            mark = len(agent.text())
            other = Floe(other_conf(work, mk.bootstrap), f"{work}/other.log")
            wait_for(lambda: "partitions revoked" in agent.text()[mark:], 40, step=0.05)
            # The rest of the stream is produced while floe waits for its offsets.
            prod = Producer(mk.bootstrap, f"{work}/p2.log", "--count", "3000", "--keys", "800",
                            "--equal", "0.03", "--invalid", "0.02", "--days", "2",
                            "--rate", "150", "--seed", "33", "--timeout", "180")
            loading = wait_for(lambda: held(px)
                               and 'msg="partitions assigned"' in agent.text()[mark:], 40,
                               step=0.05)
            during = agent.text()[mark:]
            check(loading and "partitions revoked" in during and 'msg="committed"' not in during,
                  "rebalance: a second member makes floe's partitions revoked and assigned "
                  "again (nothing to commit), and the proxy holds the assignment's table load",
                  during[-2000:] + "\n--- other:\n" + other.text()[-1000:])
            time.sleep(1.0)

            mark = during_stall(agent, signal.SIGUSR1, 'msg="status"', began,
                                "rebalance: SIGUSR1 during the stalled load is answered")
            assigned_early = "partition assigned" in agent.text()[mark:]
            check(not assigned_early,
                  "rebalance: no partition is assigned before its offsets are loaded",
                  agent.text()[mark:][-2000:])

            time.sleep(max(0.0, began + STALL - time.monotonic()))
            px.clear()
            mark = len(agent.text())
            assigned = wait_for(lambda: "partition assigned" in agent.text()[mark:], 60)
            check(assigned, "rebalance: the partitions are assigned once the load lands",
                  agent.text()[mark:][-2000:])
            other.signal(signal.SIGTERM)
            check(other.wait(60) == 0, "rebalance: the second agent exits 0",
                  other.text()[-2000:])

            prod.join()
            check(prod.rc == 0, "rebalance: floe-produce delivered every record",
                  prod.out[-500:])
            rows, ends, last, caught_up, where = wait_reached(
                mk.bootstrap, client, [f"{work}/p1.log", f"{work}/p2.log"], 120)
            check(caught_up and agent.proc.poll() is None and agent.proc.pid == pid,
                  "rebalance: the same floe catches up after the stall",
                  where + "\n"
                  + agent.text()[-2000:])
            agent.signal(signal.SIGTERM)
            rc = agent.wait(SHUTDOWN + 30)
            check(rc == 0, "rebalance: floe exits 0 on SIGTERM", agent.text()[-2000:])

        check_s3_table("rebalance", work, s3, client, rows, last, ends)


if __name__ == "__main__":
    run_scenario({"stop": scenario_stop, "rebalance": scenario_rebalance}, __doc__)
