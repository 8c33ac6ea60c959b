"""test_signals — `floe run` as a process: pid file and state dir, SIGUSR1 status, SIGHUP
reload (a changed log level applied; a broken file rejected with the old config kept), SIGTERM
graceful exit 0, a second instance refused, secrets never in the log, every line in logfmt."""
import os
import signal
import time

from floetest import Agent, LOGFMT, check, finish, run, tmpdir

SECRET = "wJalrXUtnFEMI-not-for-logs"

work = tmpdir()
conf = os.path.join(work, "floe.conf")
envf = os.path.join(work, ".env")
pidf = os.path.join(work, "run", "floe.pid")
state = os.path.join(work, "state", "deep")
os.makedirs(os.path.join(work, "run"))


def write_conf(level, extra=""):
    with open(conf, "w") as f:
        f.write(f"""[kafka]
topic = users
[table]
warehouse = {work}/warehouse
schema = id long required, name string, signup_ts timestamptz
[s3]
secret_access_key = ${{FLOE_TEST_SECRET}}
[agent]
state_dir = {state}
pid_file = {pidf}
shutdown_timeout = 5s
log_level = {level}
{extra}""")


with open(envf, "w") as f:
    f.write(f"# credentials\nFLOE_TEST_SECRET={SECRET}\n")
write_conf("info")

agent = Agent(["-c", conf, "--env-file", envf])
try:
    check(agent.wait_for(r'msg="started"') >= 0, "agent logs that it started", agent.text())
    check(os.path.isdir(state), "state_dir is created with its parents")
    with open(pidf) as f:
        check(f.read().strip() == str(agent.proc.pid), "pid file holds the agent's pid")

    # A second agent with the same pid file refuses to start.
    rc, _, err = run(["run", "-c", conf, "--env-file", envf])
    check(rc == 1 and "another floe is running" in err, "second instance refused", err)

    # Status at info: no debug line for the signal.
    mark = agent.count()
    agent.proc.send_signal(signal.SIGUSR1)
    i = agent.wait_for(r'msg="status".*log_level=info', mark)
    check(i >= 0, "SIGUSR1 logs a status line at level info", agent.text())
    check(agent.wait_for(r'level=debug', mark, timeout=0.5) < 0, "no debug line at level info")

    # SIGHUP with log_level = debug: reloaded, and debug lines now appear.
    write_conf("debug")
    mark = agent.count()
    agent.proc.send_signal(signal.SIGHUP)
    i = agent.wait_for(r'msg="config reloaded".*changed=1 keys="agent.log_level"', mark)
    check(i >= 0, "SIGHUP reload logs the changed key", agent.text())
    mark = agent.count()
    agent.proc.send_signal(signal.SIGUSR1)
    check(agent.wait_for(r'level=debug module=agent msg="signal received"', mark) >= 0,
          "the new log level is applied (debug line seen)", agent.text())
    check(agent.wait_for(r'msg="status".*log_level=debug', mark) >= 0, "status shows debug")

    # SIGHUP with a broken file: errors with file:line, old config kept.
    write_conf("info", "bogus_key = 1\n[limits]\nmemory = lots\n")
    mark = agent.count()
    agent.proc.send_signal(signal.SIGHUP)
    check(agent.wait_for(r'msg="config reload rejected; the running config stays"', mark) >= 0,
          "broken config is rejected", agent.text())
    check(agent.wait_for(r'level=error module=config msg=".*floe.conf:13: unknown key '
                         r"'bogus_key' in \[agent\]", mark) >= 0,
          "the rejection names file, line and reason", agent.text())
    check(agent.wait_for(r"floe.conf:15: limits.memory", mark) >= 0, "every error is logged")
    mark = agent.count()
    agent.proc.send_signal(signal.SIGUSR1)
    check(agent.wait_for(r'msg="status".*log_level=debug reloads=1 reload_failures=1', mark) >= 0,
          "the running config (debug) stays after a rejected reload", agent.text())
    check(agent.proc.poll() is None, "agent still running after a rejected reload")

    # SIGTERM: graceful stop, exit 0, pid file removed.
    agent.proc.send_signal(signal.SIGTERM)
    try:
        rc = agent.proc.wait(10)
    except Exception:
        rc = None
    check(rc == 0, "SIGTERM exits 0", f"exit code {rc}")
    agent.stop()
    check(agent.wait_for(r'msg="stopped"', 0, timeout=1) >= 0, "stop is logged")
    check(not os.path.exists(pidf), "pid file removed at exit")

    text = agent.text()
    check(SECRET not in text, "the secret never reaches the log")
    bad = [l for l in agent.lines if not LOGFMT.match(l)]
    check(not bad, "every line is logfmt", "\n    ".join(bad[:5]))
finally:
    agent.stop()

# SIGINT also stops gracefully with exit 0.
write_conf("info")
agent = Agent(["-c", conf, "--env-file", envf])
try:
    check(agent.wait_for(r'msg="started"') >= 0, "second run starts (stale pid file is fine)")
    agent.proc.send_signal(signal.SIGINT)
    try:
        rc = agent.proc.wait(10)
    except Exception:
        rc = None
    check(rc == 0, "SIGINT exits 0", f"exit code {rc}")
finally:
    agent.stop()

finish()
