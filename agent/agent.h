/* agent.h — the agent's loop: signals, config reload, graceful stop, pid file, state dir.
 *
 * One struct floe_agent owns the running config and the loop's signal and timer handles.
 * Modules join it with two hooks:
 *   - reload: called with the old and the new config after SIGHUP has produced a valid config;
 *     each module applies what concerns it. An invalid file never reaches the hooks: its errors
 *     are logged and the running config stays.
 *   - stop: called once when a graceful stop begins (SIGTERM, SIGINT); the module flushes what
 *     it holds and calls floe_agent_stop_done() when it is finished, possibly later from a
 *     callback. When every stop hook is done, or agent.shutdown_timeout passes, the agent
 *     closes its handles and the loop ends.
 * A second SIGINT during a stop exits at once. SIGUSR1 logs a one-line status.
 */
#ifndef FLOE_AGENT_H
#define FLOE_AGENT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"

#define FLOE_AGENT_HOOKS_MAX 16

typedef void (*floe_reload_fn)(void *ctx, const struct floe_config *old_cfg,
                               const struct floe_config *new_cfg);
typedef void (*floe_stop_fn)(void *ctx);

enum floe_agent_state {
    FLOE_AGENT_RUNNING,
    FLOE_AGENT_STOPPING,
    FLOE_AGENT_CLOSING,
    FLOE_AGENT_CLOSED,
};

struct floe_agent {
    uv_loop_t *loop;
    struct floe_config *cfg; /* owned; replaced on reload */
    char *env_file;          /* owned copy, or NULL */
    enum floe_agent_state state;

    uv_signal_t sig_hup;
    uv_signal_t sig_term;
    uv_signal_t sig_int;
    uv_signal_t sig_usr1;
    uv_timer_t stop_timer;
    int open_handles;

    struct {
        floe_reload_fn fn;
        void *ctx;
    } reload_hooks[FLOE_AGENT_HOOKS_MAX];
    int nreload_hooks;
    struct {
        floe_stop_fn fn;
        void *ctx;
    } stop_hooks[FLOE_AGENT_HOOKS_MAX];
    int nstop_hooks;
    int stops_pending;

    char *pid_file; /* owned copy of the path written at start, or NULL */
    bool stop_timed_out;
    uint64_t started_ms;
    unsigned reloads;
    unsigned reload_failures;
};

/* floe_agent_init(agent, loop, cfg, env_file): takes ownership of cfg, applies its log level,
 * creates agent.state_dir and writes agent.pid_file if configured, and starts the signal
 * watchers on loop. Returns 0, or a negative errno with the reason logged; on failure cfg is
 * still owned by the agent, which must be released with floe_agent_free() (no handle is left
 * open). */
int floe_agent_init(struct floe_agent *agent, uv_loop_t *loop, struct floe_config *cfg,
                    const char *env_file);

/* floe_agent_on_reload(agent, fn, ctx): fn(ctx, old, new) runs after each successful reload,
 * in registration order. Returns 0, or -ENOSPC past FLOE_AGENT_HOOKS_MAX. */
int floe_agent_on_reload(struct floe_agent *agent, floe_reload_fn fn, void *ctx);

/* floe_agent_on_stop(agent, fn, ctx): fn(ctx) runs once when a graceful stop begins; the module
 * then owes one floe_agent_stop_done(). Returns 0, or -ENOSPC past FLOE_AGENT_HOOKS_MAX. */
int floe_agent_on_stop(struct floe_agent *agent, floe_stop_fn fn, void *ctx);

/* floe_agent_stop_done(agent): a stop hook reports that its module has finished. */
void floe_agent_stop_done(struct floe_agent *agent);

/* floe_agent_reload(agent): re-reads the env file and the config file (what SIGHUP does).
 * Returns 0 if the new config was applied, or -EINVAL if it was rejected (errors logged, the
 * running config kept). */
int floe_agent_reload(struct floe_agent *agent);

/* floe_agent_stop(agent): begins a graceful stop (what SIGTERM does); idempotent. */
void floe_agent_stop(struct floe_agent *agent);

/* floe_agent_status(agent): logs the one-line status (what SIGUSR1 does). */
void floe_agent_status(struct floe_agent *agent);

/* floe_agent_close_rest(agent): after the loop ended on the shutdown timeout, closes every
 * handle still open (of modules that did not finish) and runs their close callbacks, so that
 * uv_loop_close() succeeds. */
void floe_agent_close_rest(struct floe_agent *agent);

/* floe_agent_free(agent): releases the config and the pid file once the loop has ended (or
 * after a failed init). */
void floe_agent_free(struct floe_agent *agent);

#endif
