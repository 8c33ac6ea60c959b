/* main.c — floe's command line: parses the subcommand and its options, then hands over.
 *
 *     floe run   -c FILE [--env-file FILE]   run the agent until SIGTERM/SIGINT
 *     floe check -c FILE [--env-file FILE]   validate a config, print it normalised
 *     floe convert --schema SPEC IN OUT      NDJSON into one Parquet file
 *     floe import -c FILE IN...              NDJSON into the config's Iceberg table
 *     floe demo [--records N] [--dir PATH]   the whole pipeline in one process, on a mock Kafka
 *     floe table create|show|snapshots -c F  the config's Iceberg table
 *     floe s3 -c FILE put|get|head|ls|rm|mb  objects at the config's S3 endpoint
 *     floe version                           versions of floe and its libraries
 *     floe help [COMMAND|config]             usage, or the config key reference
 *
 * Exit status: 0 success, 1 failure (bad config, runtime error), 2 bad usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>
#if defined(__GLIBC__) /* from <features.h>, which the headers above include */
#include <malloc.h> /* mallopt (tune_malloc) */
#endif

#include "agent.h"
#include "pipeline.h"
#include "config.h"
#include "convert.h"
#include "demo.h"
#include "import.h"
#include "log.h"
#include "s3_cmd.h"
#include "table_cmd.h"
#include "version.h"

#define EXIT_USAGE 2

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage;
};

static const struct command commands[];

/* Options shared by the commands that read a config. */
struct common_opts {
    const char *config;
    const char *env_file;
    int max_args;      /* positional arguments the command takes (0: none) */
    const char **args; /* filled with them: a view of argv */
    int nargs;
};

static const struct command *find_command(const char *name);

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "floe %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'floe %s --help' for usage.\n", cmd);
    return EXIT_USAGE;
}

static int print_help(const struct command *c, FILE *out)
{
    fprintf(out, "%s\n", c->usage);
    return 0;
}

/* Parses -c/--config, --env-file and --help. Returns -1 to continue, or an exit status. */
static int parse_common(const char *cmd, int argc, char **argv, struct common_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            return print_help(find_command(cmd), stdout);
        }
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0 || strcmp(a, "--env-file") == 0) {
            if (i + 1 >= argc) {
                return usage_error(cmd, "%s needs a file", a);
            }
            if (strcmp(a, "--env-file") == 0) {
                o->env_file = argv[++i];
            } else {
                o->config = argv[++i];
            }
            continue;
        }
        if (strncmp(a, "--config=", 9) == 0) {
            o->config = a + 9;
            continue;
        }
        if (strncmp(a, "--env-file=", 11) == 0) {
            o->env_file = a + 11;
            continue;
        }
        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->nargs < o->max_args) {
                o->args[o->nargs++] = a;
                continue;
            }
        }
        return usage_error(cmd, "unexpected argument '%s'", a);
    }
    if (!o->config) {
        return usage_error(cmd, "%s", "missing -c FILE");
    }
    return -1;
}

/* Loads the env file and the config; prints every error. Returns the config or NULL. */
static struct floe_config *load(const struct common_opts *o)
{
    struct floe_cfg_errors errs = {0};
    struct floe_config *cfg = NULL;
    if (!o->env_file || floe_env_load(o->env_file, &errs) == 0) {
        cfg = floe_config_load(o->config, &errs);
    }
    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "%s\n", errs.items[i]);
    }
    if (!cfg) {
        fprintf(stderr, "%s: %zu error%s\n", o->config, errs.n, errs.n == 1 ? "" : "s");
    }
    floe_cfg_errors_free(&errs);
    return cfg;
}

/* Loads the config of o, runs fn(cfg, arg) and releases everything; exit 1 if the config
 * does not load (its errors are printed), else fn's status. */
static int with_config(const struct common_opts *o, int (*fn)(struct floe_config *, void *),
                       void *arg)
{
    struct floe_config *cfg = load(o);
    enum floe_log_level level;
    if (cfg && floe_log_level_parse(cfg->agent.log_level, &level) == 0) {
        floe_log_set_level(level); /* agent.log_level holds for every command */
    }
    int rc = cfg ? fn(cfg, arg) : 1;
    floe_config_free(cfg);
    floe_env_clear();
    return rc;
}

static int print_config(struct floe_config *cfg, void *arg)
{
    (void)arg;
    floe_config_print(cfg, stdout);
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    struct common_opts o = {0};
    int rc = parse_common("check", argc, argv, &o);
    return rc >= 0 ? rc : with_config(&o, print_config, NULL);
}

static int cmd_run(int argc, char **argv)
{
    struct common_opts o = {0};
    struct floe_agent agent;
    uv_loop_t loop;
    int rc = parse_common("run", argc, argv, &o);
    if (rc >= 0) {
        return rc;
    }
    struct floe_config *cfg = load(&o);
    if (!cfg) {
        floe_env_clear();
        return 1;
    }
    if (uv_loop_init(&loop) < 0) {
        floe_config_free(cfg);
        return 1;
    }
    rc = floe_agent_init(&agent, &loop, cfg, o.env_file);
    if (rc < 0) {
        floe_agent_free(&agent);
        uv_loop_close(&loop);
        floe_env_clear();
        return 1;
    }
    FLOE_INFO("agent", "started\tversion=%s pid=%d config=\"%s\" table=%s.%s", FLOE_VERSION,
              (int)uv_os_getpid(), cfg->path, cfg->table.namespace_, cfg->table.name);
    struct floe_pipeline pipeline;
    bool failed = floe_pipeline_start(&pipeline, &agent) < 0;
    if (failed) {
        floe_agent_stop(&agent); /* closes what the pipeline opened */
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    failed = failed || pipeline.failed;
    if (agent.stop_timed_out) {
        floe_agent_close_rest(&agent);
    }
    rc = uv_loop_close(&loop);
    if (rc < 0) {
        FLOE_ERROR("agent", "loop closed with handles still open\terror=\"%s\"", uv_strerror(rc));
    }
    floe_pipeline_free(&pipeline);
    floe_agent_free(&agent);
    floe_env_clear();
    FLOE_INFO("agent", "exit");
    return rc < 0 || failed ? 1 : 0;
}

static int run_import(struct floe_config *cfg, void *arg)
{
    const struct common_opts *o = arg;
    return floe_import_run(cfg, o->args, o->nargs, isatty(2));
}

struct table_args {
    const char *sub;
    struct floe_table_keys keys;
};

static int run_table(struct floe_config *cfg, void *arg)
{
    const struct table_args *t = arg;
    return floe_table_cmd(t->sub, cfg, &t->keys);
}

static int cmd_import(int argc, char **argv)
{
    struct common_opts o = {0};
    const char *files[256];
    o.max_args = 256;
    o.args = files;
    int rc = parse_common("import", argc, argv, &o);
    if (rc >= 0) {
        return rc;
    }
    if (o.nargs == 0) {
        return usage_error("import", "%s", "needs at least one FILE.ndjson (or -)");
    }
    return with_config(&o, run_import, &o);
}

static int cmd_table(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
            return print_help(find_command("table"), stdout);
        }
        return usage_error("table", "%s", "needs a subcommand: create, show, snapshots, expire or delete");
    }
    /* delete's --key and --keys-from are taken out before the common options are read. */
    struct table_args t = {argv[1], {NULL, 0, NULL, 0}};
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    const char **keys = calloc((size_t)argc + 1, sizeof(*keys));
    const char **files = calloc((size_t)argc + 1, sizeof(*files));
    int nrest = 0, rc = 1;
    if (!rest || !keys || !files) {
        fprintf(stderr, "floe table: out of memory\n");
        goto done;
    }
    t.keys.keys = keys;
    t.keys.files = files;
    for (int i = 1; i < argc; i++) {
        bool is_key = strcmp(argv[i], "--key") == 0;
        if (strcmp(t.sub, "delete") == 0 && (is_key || strcmp(argv[i], "--keys-from") == 0)) {
            if (i + 1 >= argc) {
                rc = usage_error("table", "%s needs a value", argv[i]);
                goto done;
            }
            if (is_key) {
                keys[t.keys.nkeys++] = argv[++i];
            } else {
                files[t.keys.nfiles++] = argv[++i];
            }
            continue;
        }
        rest[nrest++] = argv[i];
    }
    struct common_opts o = {0};
    rc = parse_common("table", nrest, rest, &o);
    if (rc < 0) {
        rc = with_config(&o, run_table, &t);
    }
done:
    free(rest);
    free(keys);
    free(files);
    return rc;
}

static int cmd_version(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
            return print_help(find_command("version"), stdout);
        }
        return usage_error("version", "unexpected argument '%s'", argv[1]);
    }
    floe_version_print(stdout);
    return 0;
}

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
    {"run", cmd_run, "run the agent",
     "usage: floe run -c FILE [--env-file FILE]\n"
     "\n"
     "Runs the agent on its event loop until SIGTERM or SIGINT.\n"
     "  -c, --config FILE   the config file (see 'floe help config')\n"
     "  --env-file FILE     KEY=VALUE lines for ${VAR} in the config, after the environment\n"
     "\n"
     "Signals: SIGHUP reloads the config (an invalid file is reported and the running config\n"
     "stays); SIGTERM/SIGINT stop gracefully within agent.shutdown_timeout and exit 0; a second\n"
     "SIGINT exits at once; SIGUSR1 logs a status line."},
    {"check", cmd_check, "validate a config and print it normalised",
     "usage: floe check -c FILE [--env-file FILE]\n"
     "\n"
     "Reads the config as 'floe run' would. Valid: prints every key with its value (defaults\n"
     "marked, secrets masked) and exits 0. Invalid: prints each error as file:line: message and\n"
     "exits 1."},
    {"convert", floe_convert_main, "convert NDJSON into a Parquet file", floe_convert_usage},
    {"import", cmd_import, "import NDJSON files into the config's Iceberg table",
     "usage: floe import -c FILE [--env-file FILE] IN.ndjson...\n"
     "\n"
     "Decodes each line against table.schema, partitions it by table.partition, writes Parquet\n"
     "files with zstd pages into the table's data directory and commits them as `append`\n"
     "snapshots: one every limits.flush_rows rows and one at the end. The table is created\n"
     "from the config if it does not exist; columns added to table.schema are added to the\n"
     "table first (as optional fields). A line that does not fit is reported as\n"
     "IN:LINE: reason and skipped. Exit 0 when every line was imported, 2 when some were\n"
     "rejected, 1 on a fatal error (what was not committed is left out of the table)."},
    {"table", cmd_table, "create or inspect the config's Iceberg table",
     "usage: floe table create|show|snapshots|expire -c FILE [--env-file FILE]\n"
     "       floe table delete -c FILE (--key K... | --keys-from FILE...)\n"
     "\n"
     "  create      create the table from the config (an existing table that matches is fine;\n"
     "              one that conflicts is an error)\n"
     "  show        schema with field ids, partition spec, properties, current snapshot,\n"
     "              record and file counts\n"
     "  snapshots   every snapshot: id, parent, time, operation, records, files\n"
     "  expire      remove snapshots outside table.snapshots_keep_last and\n"
     "              table.snapshots_max_age, then delete the files only they used\n"
     "  delete      remove every row of the given keys (table.key), in every partition, with\n"
     "              one global equality delete; --keys-from reads one key a line ('-': stdin)"},
    {"demo", floe_demo_main, "run the whole pipeline in one process on a mock Kafka cluster",
     floe_demo_usage},
    {"s3", floe_s3_cmd_main, "put, get, list and delete objects at the config's S3 endpoint",
     floe_s3_cmd_usage},
    {"version", cmd_version, "print versions of floe and its libraries",
     "usage: floe version\n\nPrints floe's version and git revision, and the versions of libuv,\n"
     "librdkafka, mbedTLS, zstd, cJSON and llhttp it was built with."},
    {"help", cmd_help, "show usage, or the config reference",
     "usage: floe help [COMMAND | config | config-example]\n\nWithout an argument, lists the\n"
     "commands. With a command, shows its usage. 'floe help config' prints the reference of\n"
     "every config key; 'floe help config-example' a config file with every key, commented."},
    {NULL, NULL, NULL, NULL},
};

static const struct command *find_command(const char *name)
{
    for (const struct command *c = commands; c->name; c++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

static void print_overview(FILE *out)
{
    fprintf(out, "floe %s — Kafka topics into Apache Iceberg tables\n\n"
                 "usage: floe COMMAND [OPTIONS]\n\ncommands:\n",
            FLOE_VERSION);
    for (const struct command *c = commands; c->name; c++) {
        fprintf(out, "  %-9s %s\n", c->name, c->summary);
    }
    fprintf(out, "\nRun 'floe COMMAND --help' for a command's options.\n");
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stdout);
        return 0;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        return print_help(find_command("help"), stdout);
    }
    if (strcmp(argv[1], "config") == 0) {
        floe_config_reference(stdout);
        return 0;
    }
    if (strcmp(argv[1], "config-example") == 0) {
        floe_config_example(stdout);
        return 0;
    }
    const struct command *c = find_command(argv[1]);
    if (!c) {
        return usage_error("help", "no command '%s'", argv[1]);
    }
    return print_help(c, stdout);
}

/* For every command, though it matters for `floe run` and `floe demo`. glibc's malloc returns
 * freed memory to the system eagerly: a thread arena's free top is given
 * back (madvise) past 128 KiB, and blocks of 128 KiB and more are mmapped and unmapped one by
 * one until the first such free raises that limit. librdkafka's broker thread allocates its fetch
 * buffers and one op per message, and the loop frees them a moment later, so the broker's arena
 * kept shrinking and growing again, page by page: a page fault and a zeroed page per few
 * messages, about a tenth of the CPU of `floe run` at full speed (tools/bench/pipeline: CPU per
 * million records 1.12 → 1.03 s, ratio to kcat 0.94 → 1.02, medians of 5-6 runs). So memory a
 * thread frees stays with it up to 64 MiB, and blocks below 32 MiB come from the arenas. What
 * this costs: an arena keeps what its thread had in use at its own peak, so RSS can reach the
 * sum of the threads' peaks instead of the peak of their sum (+1 to +4 MiB in the benchmark).
 * 64-bit only: a 32-bit glibc refuses an mmap threshold over 512 KiB, and without it the trim
 * threshold alone would keep memory for nothing. A GLIBC_TUNABLES setting of glibc.malloc.*
 * is left to rule instead. */
static void tune_malloc(void)
{
#if defined(__GLIBC__) && defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
    const char *t = getenv("GLIBC_TUNABLES");
    if (sizeof(void *) < 8 || (t && strstr(t, "glibc.malloc."))) {
        return;
    }
    if (mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024) == 1) {
        mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    }
#endif
}

int main(int argc, char **argv)
{
    tune_malloc();
    if (argc < 2) {
        print_overview(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        print_overview(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        floe_version_print(stdout);
        return 0;
    }
    const struct command *c = find_command(argv[1]);
    if (!c) {
        fprintf(stderr, "floe: unknown command '%s'\n\n", argv[1]);
        print_overview(stderr);
        return EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
