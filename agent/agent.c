/* agent.c — signals, reload, graceful stop and the process's own files, on the libuv loop.
 *
 * Signal handlers here are libuv signal watchers, so the work they trigger runs on the loop
 * like everything else, never inside an asynchronous signal context. The stop sequence is a
 * small state machine: RUNNING → STOPPING (stop hooks called, deadline timer armed) → CLOSING
 * (handles closing) → CLOSED (last close callback ran; the loop has nothing left and returns).
 */
#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

#define MODULE "agent"

static void apply_log_level(const struct floe_config *cfg)
{
    enum floe_log_level level;
    if (floe_log_level_parse(cfg->agent.log_level, &level) == 0) {
        floe_log_set_level(level);
    }
}

/* Writes our pid; refuses if the file names a live process. */
static int write_pid_file(const char *path)
{
    char buf[32];
    FILE *f = fopen(path, "r");
    if (f) {
        long pid = 0;
        int got = fscanf(f, "%ld", &pid);
        fclose(f);
        /* EPERM: the process exists but belongs to someone else. */
        if (got == 1 && pid > 0 && pid != (long)getpid() &&
            (kill((pid_t)pid, 0) == 0 || errno == EPERM)) {
            FLOE_ERROR(MODULE, "another floe is running\tpid_file=%s pid=%ld", path, pid);
            return -EEXIST;
        }
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        return -ENAMETOOLONG;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        return -errno;
    }
    int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (write(fd, buf, (size_t)len) != len || fsync(fd) < 0) {
        int err = -errno;
        close(fd);
        unlink(tmp);
        return err ? err : -EIO;
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int err = -errno;
        unlink(tmp);
        return err;
    }
    return 0;
}

static void on_close(uv_handle_t *handle)
{
    struct floe_agent *agent = handle->data;
    if (--agent->open_handles == 0) {
        agent->state = FLOE_AGENT_CLOSED;
    }
}

static void close_handles(struct floe_agent *agent)
{
    if (agent->state == FLOE_AGENT_CLOSING || agent->state == FLOE_AGENT_CLOSED) {
        return;
    }
    agent->state = FLOE_AGENT_CLOSING;
    uv_handle_t *handles[] = {
        (uv_handle_t *)&agent->sig_hup,  (uv_handle_t *)&agent->sig_term,
        (uv_handle_t *)&agent->sig_int,  (uv_handle_t *)&agent->sig_usr1,
        (uv_handle_t *)&agent->stop_timer,
    };
    for (size_t i = 0; i < sizeof(handles) / sizeof(handles[0]); i++) {
        if (!uv_is_closing(handles[i])) {
            uv_close(handles[i], on_close);
        }
    }
}

static void maybe_finish_stop(struct floe_agent *agent)
{
    if (agent->state == FLOE_AGENT_STOPPING && agent->stops_pending == 0) {
        FLOE_INFO(MODULE, "stopped");
        close_handles(agent);
    }
}

void floe_agent_stop_done(struct floe_agent *agent)
{
    if (agent->stops_pending > 0) {
        agent->stops_pending--;
    }
    maybe_finish_stop(agent);
}

static void on_stop_timeout(uv_timer_t *timer)
{
    struct floe_agent *agent = timer->data;
    agent->stop_timed_out = true;
    FLOE_WARN(MODULE,
              "shutdown timeout passed; exiting with work unfinished (records not yet committed "
              "are read again on the next start)\tpending=%d",
              agent->stops_pending);
    close_handles(agent);
    /* Modules that did not finish may still hold active handles: end the loop regardless;
     * the caller closes what is left (floe_agent_close_rest). */
    uv_stop(agent->loop);
}

void floe_agent_stop(struct floe_agent *agent)
{
    if (agent->state != FLOE_AGENT_RUNNING) {
        return;
    }
    agent->state = FLOE_AGENT_STOPPING;
    FLOE_INFO(MODULE, "stopping\ttimeout_ms=%" PRIu64, agent->cfg->agent.shutdown_timeout_ms);
    agent->stops_pending = agent->nstop_hooks;
    uv_timer_start(&agent->stop_timer, on_stop_timeout, agent->cfg->agent.shutdown_timeout_ms, 0);
    for (int i = 0; i < agent->nstop_hooks; i++) {
        agent->stop_hooks[i].fn(agent->stop_hooks[i].ctx);
    }
    maybe_finish_stop(agent);
}

int floe_agent_reload(struct floe_agent *agent)
{
    struct floe_cfg_errors errs = {0};
    struct floe_config *next = NULL;
    struct floe_env_saved saved = {0};
    char changed[1024];

    /* The running env table is set aside, and put back if the new files are rejected. */
    if (agent->env_file) {
        floe_env_save(&saved);
        if (floe_env_load(agent->env_file, &errs) < 0) {
            floe_env_restore(&saved);
            goto rejected;
        }
    }
    next = floe_config_load(agent->cfg->path, &errs);
    if (!next) {
        if (agent->env_file) {
            floe_env_restore(&saved);
        }
        goto rejected;
    }
    floe_env_discard(&saved);
    int n = floe_config_diff(agent->cfg, next, changed, sizeof(changed));
    struct floe_config *old = agent->cfg;
    agent->cfg = next;
    apply_log_level(next);
    for (int i = 0; i < agent->nreload_hooks; i++) {
        agent->reload_hooks[i].fn(agent->reload_hooks[i].ctx, old, next);
    }
    floe_config_free(old);
    agent->reloads++;
    FLOE_INFO(MODULE, "config reloaded\tfile=\"%s\" changed=%d keys=\"%s\" log_level=%s",
              next->path, n, changed, next->agent.log_level);
    return 0;

rejected:
    agent->reload_failures++;
    for (size_t i = 0; i < errs.n; i++) {
        FLOE_ERROR("config", "%s", errs.items[i]);
    }
    FLOE_ERROR(MODULE, "config reload rejected; the running config stays\terrors=%zu", errs.n);
    floe_cfg_errors_free(&errs);
    return -EINVAL;
}

void floe_agent_status(struct floe_agent *agent)
{
    static const char *const states[] = {"running", "stopping", "closing", "closed"};
    size_t rss = 0;
    uv_resident_set_memory(&rss);
    FLOE_INFO(MODULE,
              "status\tstate=%s uptime_s=%" PRIu64 " config=\"%s\" log_level=%s reloads=%u "
              "reload_failures=%u rss_kb=%zu",
              states[agent->state], (uv_now(agent->loop) - agent->started_ms) / 1000,
              agent->cfg->path, agent->cfg->agent.log_level, agent->reloads,
              agent->reload_failures, rss / 1024);
}

static void on_signal(uv_signal_t *handle, int signum)
{
    struct floe_agent *agent = handle->data;
    FLOE_DEBUG(MODULE, "signal received\tsignal=%d", signum);
    switch (signum) {
    case SIGHUP:
        if (agent->state == FLOE_AGENT_RUNNING) {
            floe_agent_reload(agent);
        }
        break;
    case SIGUSR1:
        floe_agent_status(agent);
        break;
    case SIGINT:
        if (agent->state != FLOE_AGENT_RUNNING) {
            FLOE_WARN(MODULE, "second interrupt: exiting now");
            if (agent->pid_file) {
                unlink(agent->pid_file);
            }
            _exit(130);
        }
        floe_agent_stop(agent);
        break;
    case SIGTERM:
        floe_agent_stop(agent);
        break;
    default:
        break;
    }
}

int floe_agent_init(struct floe_agent *agent, uv_loop_t *loop, struct floe_config *cfg,
                    const char *env_file)
{
    int rc;
    memset(agent, 0, sizeof(*agent));
    agent->loop = loop;
    agent->cfg = cfg;
    agent->state = FLOE_AGENT_CLOSED;
    if (env_file && !(agent->env_file = strdup(env_file))) {
        return -ENOMEM;
    }
    apply_log_level(cfg);

    if (cfg->agent.state_dir[0]) {
        rc = floe_mkdirs(cfg->agent.state_dir, 0750);
        if (rc < 0) {
            FLOE_ERROR(MODULE, "cannot create the state directory\tpath=\"%s\" error=\"%s\"",
                       cfg->agent.state_dir, uv_strerror(rc));
            return rc;
        }
    }
    if (cfg->agent.pid_file[0]) {
        rc = write_pid_file(cfg->agent.pid_file);
        if (rc < 0) {
            if (rc != -EEXIST) {
                FLOE_ERROR(MODULE, "cannot write the pid file\tpath=\"%s\" error=\"%s\"",
                           cfg->agent.pid_file, uv_strerror(rc));
            }
            return rc;
        }
        agent->pid_file = strdup(cfg->agent.pid_file);
        if (!agent->pid_file) {
            unlink(cfg->agent.pid_file);
            return -ENOMEM;
        }
    }

    uv_signal_t *sigs[] = {&agent->sig_hup, &agent->sig_term, &agent->sig_int, &agent->sig_usr1};
    int signums[] = {SIGHUP, SIGTERM, SIGINT, SIGUSR1};
    for (size_t i = 0; i < 4; i++) {
        uv_signal_init(loop, sigs[i]);
        sigs[i]->data = agent;
        agent->open_handles++;
        uv_signal_start(sigs[i], on_signal, signums[i]);
    }
    uv_timer_init(loop, &agent->stop_timer);
    agent->stop_timer.data = agent;
    agent->open_handles++;
    agent->started_ms = uv_now(loop);
    agent->state = FLOE_AGENT_RUNNING;
    return 0;
}

int floe_agent_on_reload(struct floe_agent *agent, floe_reload_fn fn, void *ctx)
{
    if (agent->nreload_hooks == FLOE_AGENT_HOOKS_MAX) {
        return -ENOSPC;
    }
    agent->reload_hooks[agent->nreload_hooks].fn = fn;
    agent->reload_hooks[agent->nreload_hooks].ctx = ctx;
    agent->nreload_hooks++;
    return 0;
}

int floe_agent_on_stop(struct floe_agent *agent, floe_stop_fn fn, void *ctx)
{
    if (agent->nstop_hooks == FLOE_AGENT_HOOKS_MAX) {
        return -ENOSPC;
    }
    agent->stop_hooks[agent->nstop_hooks].fn = fn;
    agent->stop_hooks[agent->nstop_hooks].ctx = ctx;
    agent->nstop_hooks++;
    return 0;
}

void floe_agent_free(struct floe_agent *agent)
{
    if (agent->pid_file) {
        unlink(agent->pid_file);
        free(agent->pid_file);
        agent->pid_file = NULL;
    }
    floe_config_free(agent->cfg);
    agent->cfg = NULL;
    free(agent->env_file);
    agent->env_file = NULL;
}

static void close_any(uv_handle_t *handle, void *arg)
{
    (void)arg;
    if (!uv_is_closing(handle)) {
        uv_close(handle, NULL);
    }
}

void floe_agent_close_rest(struct floe_agent *agent)
{
    uv_walk(agent->loop, close_any, NULL);
    uv_run(agent->loop, UV_RUN_DEFAULT);
}
