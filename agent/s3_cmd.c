/* s3_cmd.c — `floe s3`: object commands against the config's [s3] endpoint, a connectivity
 * check and a tool for tests and benchmarks (usage in floe_s3_cmd_usage).
 *
 * It reads only [s3] and [agent] of the config (floe_config_load_only), so a file holding just
 * an [s3] section works. The commands run on the blocking facade's loop with a 100 ms heartbeat
 * timer beside them; the closing info line counts the heartbeats that ran (ticks=N), which
 * shows that the loop kept serving timers while requests waited.
 *
 * Exit status: 0 ok, 1 failure (the reason on stderr, with S3's Code and Message), 2 usage,
 * 3 precondition failed (put --if-none-match and the object exists).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "s3.h"
#include "s3_cmd.h"

#define MODULE "s3"
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define EXIT_PRECONDITION 3
#define MAX_ARGS 4096

const char floe_s3_cmd_usage[] =
    "usage: floe s3 -c FILE [--env-file FILE] COMMAND ARGS\n"
    "\n"
    "  put LOCAL s3://B/K [--if-none-match]   upload a file (multipart above s3.part_size);\n"
    "                                         exit 3 when --if-none-match and K exists\n"
    "  get s3://B/K LOCAL|-                   download to a file or stdout\n"
    "  head s3://B/K                          print \"<size>\\t<etag>\"\n"
    "  ls s3://B/PREFIX                       print \"<size>\\t<key>\" per object\n"
    "  rm s3://B/K [s3://B/K2 ...]            delete objects (missing ones are fine)\n"
    "  mb s3://B                              create a bucket (one of ours that exists is fine)\n"
    "\n"
    "Only the config's [s3] section (and agent.log_level) is used. Credentials come from it\n"
    "or from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. Transient errors\n"
    "(5xx, SlowDown, timeouts, resets) are retried up to 10 attempts with backoff.\n"
    "Exit status: 0 ok, 1 failure, 2 usage, 3 precondition failed.";

struct cmd {
    struct floe_s3_sync *s3;
    uv_timer_t heartbeat;
    uint64_t ticks;
    char err[FLOE_S3_ERR_SIZE + 4096 + 256];
};

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "floe s3: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'floe s3 --help' for usage.\n");
    return EXIT_USAGE;
}

static void on_tick(uv_timer_t *t)
{
    struct cmd *c = t->data;
    c->ticks++;
}

static int fail(struct cmd *c, const char *what)
{
    fprintf(stderr, "floe s3: %s%s%s\n", what ? what : "", what && c->err[0] ? ": " : "",
            c->err);
    return EXIT_FAIL;
}

static int uri(const char *arg, char bucket[FLOE_S3_BUCKET_SIZE], const char **key)
{
    if (floe_s3_parse_uri(arg, bucket, FLOE_S3_BUCKET_SIZE, key) < 0) {
        return usage("'%s' is not an s3://bucket/key URI", arg);
    }
    return 0;
}

static int do_put(struct cmd *c, const char **a, int n, bool if_none_match)
{
    char bucket[FLOE_S3_BUCKET_SIZE];
    const char *key;
    if (n != 2) {
        return usage("%s", "put needs LOCAL and s3://BUCKET/KEY");
    }
    if (uri(a[1], bucket, &key) != 0) {
        return EXIT_USAGE;
    }
    if (!*key) {
        return usage("'%s' names no key", a[1]);
    }
    int rc = floe_s3_sync_put_file(c->s3, bucket, key, a[0], if_none_match ? FLOE_S3_IF_NONE_MATCH
                                                                           : 0,
                                   c->err, sizeof(c->err));
    if (rc == -EEXIST && if_none_match) {
        fprintf(stderr, "floe s3: %s exists (If-None-Match: *): %s\n", a[1], c->err);
        return EXIT_PRECONDITION;
    }
    return rc < 0 ? fail(c, NULL) : 0;
}

static int do_get(struct cmd *c, const char **a, int n)
{
    char bucket[FLOE_S3_BUCKET_SIZE];
    const char *key;
    char tmp[4096];
    uint64_t size;
    int fd = 1;
    if (n != 2) {
        return usage("%s", "get needs s3://BUCKET/KEY and LOCAL (or - for stdout)");
    }
    if (uri(a[0], bucket, &key) != 0) {
        return EXIT_USAGE;
    }
    bool to_file = strcmp(a[1], "-") != 0;
    if (to_file) {
        /* Written beside the target and renamed: a failed download leaves no partial file. */
        if (snprintf(tmp, sizeof(tmp), "%s.floe-part", a[1]) >= (int)sizeof(tmp)) {
            return usage("'%s': path too long", a[1]);
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "floe s3: %s: %s\n", tmp, strerror(errno));
            return EXIT_FAIL;
        }
    }
    int rc = floe_s3_sync_get_fd(c->s3, bucket, key, fd, &size, c->err, sizeof(c->err));
    if (to_file) {
        if (rc == 0 && (fsync(fd) < 0 || close(fd) < 0)) {
            rc = -errno;
            snprintf(c->err, sizeof(c->err), "%s: %s", tmp, strerror(errno));
        } else if (rc < 0) {
            close(fd);
        }
        if (rc == 0 && rename(tmp, a[1]) < 0) {
            rc = -errno;
            snprintf(c->err, sizeof(c->err), "%s: %s", a[1], strerror(errno));
        }
        if (rc < 0) {
            unlink(tmp);
        }
    }
    return rc < 0 ? fail(c, NULL) : 0;
}

static int do_head(struct cmd *c, const char **a, int n)
{
    char bucket[FLOE_S3_BUCKET_SIZE], etag[FLOE_S3_ETAG_SIZE];
    const char *key;
    uint64_t size;
    if (n != 1) {
        return usage("%s", "head needs one s3://BUCKET/KEY");
    }
    if (uri(a[0], bucket, &key) != 0) {
        return EXIT_USAGE;
    }
    int rc = floe_s3_sync_head_etag(c->s3, bucket, key, &size, etag, c->err, sizeof(c->err));
    if (rc < 0) {
        return fail(c, NULL);
    }
    printf("%" PRIu64 "\t%s\n", size, etag);
    return 0;
}

static int print_entry(void *arg, const char *key, uint64_t size)
{
    (void)arg;
    if (printf("%" PRIu64 "\t%s\n", size, key) < 0) {
        return -EIO;
    }
    return 0;
}

static int do_ls(struct cmd *c, const char **a, int n)
{
    char bucket[FLOE_S3_BUCKET_SIZE];
    const char *prefix;
    if (n != 1) {
        return usage("%s", "ls needs one s3://BUCKET[/PREFIX]");
    }
    if (uri(a[0], bucket, &prefix) != 0) {
        return EXIT_USAGE;
    }
    int rc = floe_s3_sync_list(c->s3, bucket, prefix, print_entry, NULL, c->err, sizeof(c->err));
    if (rc == -EIO && !c->err[0]) {
        snprintf(c->err, sizeof(c->err), "stdout: write failed");
    }
    return rc < 0 ? fail(c, NULL) : 0;
}

static int do_rm(struct cmd *c, const char **a, int n)
{
    char bucket[FLOE_S3_BUCKET_SIZE], other[FLOE_S3_BUCKET_SIZE];
    const char **keys = calloc((size_t)n + 1, sizeof(*keys));
    const char *key;
    int nk = 0, rc = 0;
    if (n < 1) {
        free(keys);
        return usage("%s", "rm needs at least one s3://BUCKET/KEY");
    }
    if (!keys) {
        fprintf(stderr, "floe s3: out of memory\n");
        return EXIT_FAIL;
    }
    for (int i = 0; i < n; i++) {
        if (uri(a[i], i == 0 ? bucket : other, &key) != 0 ||
            (i > 0 && strcmp(bucket, other) != 0) || !*key) {
            free(keys);
            return usage("'%s': rm takes keys of one bucket", a[i]);
        }
        keys[nk++] = key;
    }
    rc = floe_s3_sync_delete(c->s3, bucket, keys, (size_t)nk, c->err, sizeof(c->err));
    free(keys);
    return rc < 0 ? fail(c, NULL) : 0;
}

static int do_mb(struct cmd *c, const char **a, int n)
{
    char bucket[FLOE_S3_BUCKET_SIZE];
    const char *key;
    if (n != 1) {
        return usage("%s", "mb needs one s3://BUCKET");
    }
    if (uri(a[0], bucket, &key) != 0) {
        return EXIT_USAGE;
    }
    if (*key) {
        return usage("'%s': mb takes a bucket without a key", a[0]);
    }
    int rc = floe_s3_sync_create_bucket(c->s3, bucket, c->err, sizeof(c->err));
    return rc < 0 ? fail(c, NULL) : 0;
}

int floe_s3_cmd_main(int argc, char **argv)
{
    const char *config = NULL, *env_file = NULL, *sub = NULL;
    const char **args = calloc((size_t)argc + 1, sizeof(*args));
    bool if_none_match = false;
    int nargs = 0, rc = EXIT_FAIL;
    struct floe_cfg_errors errs = {0};
    struct floe_config *cfg = NULL;
    struct cmd c = {0};

    if (!args) {
        fprintf(stderr, "floe s3: out of memory\n");
        return EXIT_FAIL;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            printf("%s\n", floe_s3_cmd_usage);
            free(args);
            return 0;
        }
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0 || strcmp(a, "--env-file") == 0) {
            if (i + 1 >= argc) {
                free(args);
                return usage("%s needs a file", a);
            }
            *(strcmp(a, "--env-file") == 0 ? &env_file : &config) = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            config = a + 9;
        } else if (strncmp(a, "--env-file=", 11) == 0) {
            env_file = a + 11;
        } else if (strcmp(a, "--if-none-match") == 0) {
            if_none_match = true;
        } else if (a[0] == '-' && strcmp(a, "-") != 0) {
            free(args);
            return usage("unknown option '%s'", a);
        } else if (!sub) {
            sub = a;
        } else {
            args[nargs++] = a;
        }
    }
    if (!config) {
        free(args);
        return usage("%s", "missing -c FILE");
    }
    if (!sub) {
        free(args);
        return usage("%s", "needs a command: put, get, head, ls, rm or mb");
    }
    static const char *const subs[] = {"put", "get", "head", "ls", "rm", "mb"};
    bool known = false;
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        known = known || strcmp(sub, subs[i]) == 0;
    }
    if (!known) {
        free(args);
        return usage("unknown command '%s'", sub);
    }
    if (if_none_match && strcmp(sub, "put") != 0) {
        free(args);
        return usage("%s", "--if-none-match applies to put only");
    }

    if (!env_file || floe_env_load(env_file, &errs) == 0) {
        cfg = floe_config_load_only(config, "s3 agent", &errs);
    }
    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "%s\n", errs.items[i]);
    }
    floe_cfg_errors_free(&errs);
    if (!cfg) {
        goto done;
    }
    enum floe_log_level level;
    if (floe_log_level_parse(cfg->agent.log_level, &level) == 0) {
        floe_log_set_level(level);
    }
    if (floe_s3_sync_open(cfg, &c.s3, c.err, sizeof(c.err)) < 0) {
        rc = fail(&c, NULL);
        goto done;
    }
    uv_timer_init(floe_s3_sync_loop(c.s3), &c.heartbeat);
    c.heartbeat.data = &c;
    uv_timer_start(&c.heartbeat, on_tick, 100, 100);

    if (strcmp(sub, "put") == 0) {
        rc = do_put(&c, args, nargs, if_none_match);
    } else if (strcmp(sub, "get") == 0) {
        rc = do_get(&c, args, nargs);
    } else if (strcmp(sub, "head") == 0) {
        rc = do_head(&c, args, nargs);
    } else if (strcmp(sub, "ls") == 0) {
        rc = do_ls(&c, args, nargs);
    } else if (strcmp(sub, "rm") == 0) {
        rc = do_rm(&c, args, nargs);
    } else {
        rc = do_mb(&c, args, nargs);
    }
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "floe s3: stdout: %s\n", strerror(errno));
        rc = EXIT_FAIL;
    }

    struct floe_s3_stats st;
    floe_s3_sync_stats(c.s3, &st);
    FLOE_INFO(MODULE,
              "done\tcommand=%s exit=%d requests=%" PRIu64 " retries=%" PRIu64
              " connections=%" PRIu64 " bytes_sent=%" PRIu64 " bytes_received=%" PRIu64
              " ticks=%" PRIu64,
              sub, rc, st.requests, st.retries, st.connections, st.bytes_sent, st.bytes_received,
              c.ticks);
    uv_close((uv_handle_t *)&c.heartbeat, NULL);
    floe_s3_sync_close(c.s3);
done:
    floe_config_free(cfg);
    floe_env_clear();
    free(args);
    return rc;
}
