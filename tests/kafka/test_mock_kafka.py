"""test_mock_kafka — the mock-kafka process: its bootstrap line, its stdin commands, a broker
really refusing connections while down (seen by connecting to its port, and by kcat's
metadata), and every way it stops (quit, end of input, SIGTERM) with exit status 0."""
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from floetest import check, finish  # noqa: E402
from kafkatest import MOCK_KAFKA, MockKafka, metadata  # noqa: E402


def port_open(hostport):
    host, port = hostport.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def wait_port(hostport, want, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(hostport) == want:
            return True
        time.sleep(0.05)
    return False


def main():
    # Bootstrap line, metadata seen by an independent client, partition leaders.
    mk = MockKafka(brokers=3, partitions=5, topic="orders")
    hosts = mk.bootstrap.split(",")
    check(len(hosts) == 3, "three brokers in the bootstrap string", mk.first_line)
    check(all(h.startswith("127.0.0.1:") for h in hosts), "brokers listen on loopback",
          mk.first_line)
    md = metadata(mk.bootstrap, "orders")
    brokers = {b["id"]: b["name"].split("/")[0] for b in md["brokers"]}
    check(sorted(brokers) == [1, 2, 3], "brokers 1..3 in the metadata", str(md["brokers"]))
    check(sorted(brokers.values()) == sorted(hosts), "metadata matches the bootstrap string")
    parts = md["topics"][0]["partitions"]
    check(len(parts) == 5, "topic has 5 partitions", str(len(parts)))
    leaders = {p["partition"]: p["leader"] for p in parts}
    check(leaders == {0: 1, 1: 2, 2: 3, 3: 1, 4: 2}, "partition p is led by broker 1 + p % 3",
          str(leaders))

    # down / up: the broker's port refuses connections, then accepts them again.
    check(port_open(brokers[2]), "broker 2 accepts connections")
    check(mk.command("down 2") == "ok", "down 2 answers ok")
    check(wait_port(brokers[2], False), "broker 2 refuses connections while down")
    check(port_open(brokers[1]), "broker 1 still accepts connections")
    check(mk.command("down 2") == "ok", "down twice is fine")
    check(mk.command("up 2") == "ok", "up 2 answers ok")
    check(wait_port(brokers[2], True), "broker 2 accepts connections again")

    # Bad commands get one error line each, and the process keeps serving.
    for bad in ["down 4", "down 0", "up x", "down", "down 1 2", "reboot 1", "QUIT"]:
        a = mk.command(bad)
        check(a.startswith("error "), f"'{bad}' answers an error", a)
    mk.proc.stdin.write("\n")  # a blank line gets no answer: the next answer is for 'up 1'
    check(mk.command("up 1") == "ok", "up 1 after a blank line answers ok")
    check(mk.proc.poll() is None, "still running after bad commands")

    rc, took = mk.stop("quit")
    check(rc == 0, "quit exits 0", str(rc))
    check(took < 10, "quit stops within 10 s", f"{took:.1f} s")
    check(not port_open(brokers[1]), "ports are closed after quit")

    # End of input and SIGTERM stop it cleanly too.
    for how in ("eof", "term"):
        mk = MockKafka(brokers=1, partitions=1, topic="t")
        check(mk.command("down 1") == "ok", f"single broker down ({how} run)")
        rc, took = mk.stop(how)
        check(rc == 0, f"{how} exits 0", str(rc))
        check(took < 10, f"{how} stops within 10 s", f"{took:.1f} s")

    # Bad usage: exit status 2 and a message, no bootstrap line.
    for args in (["--brokers", "0"], ["--brokers", "33"], ["--partitions", "x"],
                 ["--topic", ""], ["--bogus", "1"], ["--brokers"]):
        p = subprocess.run([MOCK_KAFKA] + args, capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
        check(p.returncode == 2 and "mock-kafka:" in p.stderr and p.stdout == "",
              f"mock-kafka {' '.join(args)} is a usage error", f"{p.returncode} {p.stderr}")
    p = subprocess.run([MOCK_KAFKA, "--help"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0 and "usage: mock-kafka" in p.stdout, "--help prints usage")
    finish()


if __name__ == "__main__":
    main()
