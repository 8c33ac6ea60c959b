/* test_agent.c — the agent's stop sequence and reload hooks on a real libuv loop: a stop hook
 * that finishes later (from a timer) ends the loop cleanly; one that never finishes is cut off
 * by agent.shutdown_timeout; reload hooks see the old and the new config; every handle is
 * closed (uv_loop_close returns 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "agent.h"
#include "check.h"
#include "config.h"
#include "log.h"

static char conf_path[] = "/tmp/floe-test-agent-XXXXXX";

static struct floe_config *config_with(const char *timeout, const char *level)
{
    struct floe_cfg_errors errs = {0};
    FILE *f = fopen(conf_path, "w");
    fprintf(f, "[kafka]\ntopic = t\n[table]\nwarehouse = /tmp/w\nschema = id long required\n"
               "version =\n[agent]\nshutdown_timeout = %s\nlog_level = %s\n",
            timeout, level);
    fclose(f);
    struct floe_config *cfg = floe_config_load(conf_path, &errs);
    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "%s\n", errs.items[i]);
    }
    floe_cfg_errors_free(&errs);
    return cfg;
}

struct late {
    struct floe_agent *agent;
    uv_timer_t timer;
    int stop_calls;
    int finished;
};

static void late_done(uv_timer_t *t)
{
    struct late *l = t->data;
    l->finished = 1;
    uv_close((uv_handle_t *)&l->timer, NULL);
    floe_agent_stop_done(l->agent);
}

static void late_stop(void *ctx)
{
    struct late *l = ctx;
    l->stop_calls++;
    uv_timer_start(&l->timer, late_done, 50, 0);
}

static void never_stop(void *ctx)
{
    (*(int *)ctx)++;
}

static void test_stop_finishes(void)
{
    uv_loop_t loop;
    struct floe_agent agent;
    struct late l = {0};
    uv_loop_init(&loop);
    CHECK_INT(floe_agent_init(&agent, &loop, config_with("10s", "error"), NULL), 0);
    uv_timer_init(&loop, &l.timer);
    l.timer.data = &l;
    l.agent = &agent;
    CHECK_INT(floe_agent_on_stop(&agent, late_stop, &l), 0);
    floe_agent_stop(&agent);
    floe_agent_stop(&agent); /* idempotent */
    uint64_t t0 = uv_hrtime();
    uv_run(&loop, UV_RUN_DEFAULT);
    uint64_t ms = (uv_hrtime() - t0) / 1000000;
    CHECK_INT(l.stop_calls, 1);
    CHECK_INT(l.finished, 1);
    CHECK(!agent.stop_timed_out);
    CHECK(ms < 5000); /* ended by the hook, long before the 10 s deadline */
    CHECK_INT(agent.state, FLOE_AGENT_CLOSED);
    CHECK_INT(uv_loop_close(&loop), 0);
    floe_agent_free(&agent);
}

static void keep_busy(uv_timer_t *t)
{
    (void)t;
}

static void test_stop_times_out(void)
{
    uv_loop_t loop;
    struct floe_agent agent;
    uv_timer_t busy; /* a stuck module's handle: active, never closed by its owner */
    int calls = 0;
    uv_loop_init(&loop);
    CHECK_INT(floe_agent_init(&agent, &loop, config_with("200ms", "error"), NULL), 0);
    CHECK_INT(floe_agent_on_stop(&agent, never_stop, &calls), 0);
    uv_timer_init(&loop, &busy);
    uv_timer_start(&busy, keep_busy, 50, 50);
    floe_agent_stop(&agent);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(agent.stop_timed_out);
    floe_agent_close_rest(&agent);
    CHECK_INT(calls, 1);
    CHECK(agent.stop_timed_out);
    CHECK_INT(agent.state, FLOE_AGENT_CLOSED);
    CHECK_INT(uv_loop_close(&loop), 0);
    floe_agent_free(&agent);
}

struct seen {
    int calls;
    char old_level[16];
    char new_level[16];
};

static void on_reload(void *ctx, const struct floe_config *old_cfg,
                      const struct floe_config *new_cfg)
{
    struct seen *s = ctx;
    s->calls++;
    snprintf(s->old_level, sizeof(s->old_level), "%s", old_cfg->agent.log_level);
    snprintf(s->new_level, sizeof(s->new_level), "%s", new_cfg->agent.log_level);
}

static void test_reload_hooks(void)
{
    uv_loop_t loop;
    struct floe_agent agent;
    struct seen s = {0};
    uv_loop_init(&loop);
    CHECK_INT(floe_agent_init(&agent, &loop, config_with("1s", "error"), NULL), 0);
    CHECK_INT(floe_agent_on_reload(&agent, on_reload, &s), 0);
    floe_config_free(config_with("1s", "warn")); /* rewrites the file */
    CHECK_INT(floe_agent_reload(&agent), 0);
    CHECK_INT(s.calls, 1);
    CHECK_STR(s.old_level, "error");
    CHECK_STR(s.new_level, "warn");
    CHECK_INT(floe_log__level, FLOE_LOG_WARN);
    /* A broken file: no hook call, config and level kept. */
    FILE *f = fopen(conf_path, "a");
    fputs("[nonsense]\n", f);
    fclose(f);
    CHECK(floe_agent_reload(&agent) < 0);
    CHECK_INT(s.calls, 1);
    CHECK_STR(agent.cfg->agent.log_level, "warn");
    CHECK_INT(agent.reload_failures, 1);
    for (int i = 1; i < FLOE_AGENT_HOOKS_MAX; i++) {
        CHECK_INT(floe_agent_on_reload(&agent, on_reload, &s), 0);
    }
    CHECK(floe_agent_on_reload(&agent, on_reload, &s) < 0);
    floe_agent_stop(&agent);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
    floe_agent_free(&agent);
}

int main(void)
{
    int fd = mkstemp(conf_path);
    if (fd < 0) {
        perror("mkstemp");
        return 1;
    }
    close(fd);
    floe_log_set_level(FLOE_LOG_ERROR);
    test_stop_finishes();
    test_stop_times_out();
    test_reload_hooks();
    unlink(conf_path);
    return check_done();
}
