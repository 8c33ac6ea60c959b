/* test_config.c — the config parser on good and bad files: every error path, env expansion,
 * env files, value syntax, masking and the round trip of `floe check`'s output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

static char dir[] = "/tmp/floe-test-config-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

#define BASE                                                                                     \
    "[kafka]\ntopic = users\n[table]\nwarehouse = /tmp/wh\n"                                       \
    "schema = id long required, name string, signup_ts timestamptz, age int\n"                     \
    "partition = day(signup_ts), bucket(16, id)\nversion = signup_ts\n"

/* Loads text as a config; returns it (or NULL) and leaves the errors in errs. */
static struct floe_config *load_text(const char *text, struct floe_cfg_errors *errs)
{
    return floe_config_load(write_file("floe.conf", text), errs);
}

/* True if some error contains both fragments (line is "floe.conf:N:"). */
static int has_error(const struct floe_cfg_errors *errs, const char *line, const char *fragment)
{
    for (size_t i = 0; i < errs->n; i++) {
        if (strstr(errs->items[i], line) && strstr(errs->items[i], fragment)) {
            return 1;
        }
    }
    for (size_t i = 0; i < errs->n; i++) {
        fprintf(stderr, "    (error: %s)\n", errs->items[i]);
    }
    return 0;
}

/* Expects text to fail with an error at `line` containing fragment. */
static void expect_error(const char *text, const char *line, const char *fragment)
{
    struct floe_cfg_errors errs = {0};
    struct floe_config *cfg = load_text(text, &errs);
    CHECK(cfg == NULL);
    if (!has_error(&errs, line, fragment)) {
        fprintf(stderr, "    wanted error at '%s' containing '%s'\n", line, fragment);
        CHECK(0);
    }
    floe_config_free(cfg);
    floe_cfg_errors_free(&errs);
}

static void test_good_file(void)
{
    struct floe_cfg_errors errs = {0};
    struct floe_config *cfg = load_text(
        "# a comment\n" BASE "[limits]\nmemory = 64M   # trailing comment\nflush_every = 1m30s\n"
        "flush_rows = 5000\n[s3]\nverify = off\npart_size = 16MiB\n"
        "[agent]\nlog_level = debug\nshutdown_timeout = 250ms\n",
        &errs);
    CHECK(cfg != NULL);
    CHECK_INT(errs.n, 0);
    if (!cfg) {
        return;
    }
    CHECK_STR(cfg->kafka.topic, "users");
    CHECK_STR(cfg->kafka.brokers, "localhost:9092"); /* default */
    CHECK_STR(cfg->table.name, "users");             /* defaults to the topic */
    CHECK_INT(cfg->limits.memory, 64ull << 20);
    CHECK_INT(cfg->limits.flush_every_ms, 90000);
    CHECK_INT(cfg->limits.flush_rows, 5000);
    CHECK_INT(cfg->s3.verify, 0);
    CHECK_INT(cfg->s3.part_size, 16ull << 20);
    CHECK_INT(cfg->agent.shutdown_timeout_ms, 250);
    CHECK_STR(cfg->agent.log_level, "debug");
    CHECK_INT(cfg->table.parsed_schema->ncolumns, 4);
    CHECK_INT(cfg->table.parsed_schema->columns[0].required, 1);
    CHECK_INT(cfg->table.parsed_partition->nfields, 2);
    CHECK_STR(cfg->table.parsed_partition->fields[0].name, "signup_ts_day");
    CHECK_STR(cfg->table.parsed_partition->fields[1].name, "id_bucket");
    CHECK_INT(cfg->table.parsed_partition->fields[1].param, 16);
    floe_config_free(cfg);
}

static void test_value_syntax(void)
{
    struct floe_cfg_errors errs = {0};
    setenv("FLOE_T_GROUP", "from-env", 1);
    unsetenv("FLOE_T_UNSET");
    setenv("FLOE_T_EMPTY", "", 1);
    struct floe_config *cfg = load_text(
        BASE "[kafka]\n", &errs); /* a repeated section header is allowed */
    CHECK(cfg != NULL);
    floe_config_free(cfg);
    floe_cfg_errors_free(&errs);

    cfg = load_text("[kafka]\ntopic = \"a # not a comment\"  # but this is\n"
                    "group = ${FLOE_T_GROUP}-${FLOE_T_UNSET:-dflt}-${FLOE_T_EMPTY:-e}\n"
                    "brokers = 'lit${NOT_EXPANDED}'\n"
                    "[table]\nwarehouse = s3://bucket/wh\nname = n1\n"
                    "schema = id long required\nversion =\n"
                    "namespace = a.b\n"
                    "[agent]\nstate_dir = \"q\\\"uote\\\\ \\$HOME\"\npid_file = x#y\n",
                    &errs);
    CHECK(cfg != NULL);
    CHECK_INT(errs.n, 0);
    if (cfg) {
        CHECK_STR(cfg->kafka.topic, "a # not a comment");
        CHECK_STR(cfg->kafka.group, "from-env-dflt-e");
        CHECK_STR(cfg->kafka.brokers, "lit${NOT_EXPANDED}");
        CHECK_STR(cfg->agent.state_dir, "q\"uote\\ $HOME");
        CHECK_STR(cfg->agent.pid_file, "x#y");
        CHECK_STR(cfg->table.version, "");
        CHECK_STR(cfg->table.namespace_, "a.b");
    }
    floe_config_free(cfg);
    floe_cfg_errors_free(&errs);

    cfg = load_text(BASE "[agent]\nstate_dir = $$HOME$\n", &errs);
    CHECK(cfg != NULL);
    if (cfg) {
        CHECK_STR(cfg->agent.state_dir, "$HOME$");
    }
    floe_config_free(cfg);
    floe_cfg_errors_free(&errs);
}

static void test_single_values(void)
{
    uint64_t u = 7;
    bool b = false;
    CHECK_INT(floe_parse_size("512K", &u), 0);
    CHECK_INT(u, 512 * 1024);
    CHECK_INT(floe_parse_size("1G", &u), 0);
    CHECK_INT(u, 1ull << 30);
    CHECK_INT(floe_parse_size("100", &u), 0);
    CHECK_INT(u, 100);
    CHECK_INT(floe_parse_size("2kb", &u), 0);
    CHECK_INT(u, 2048);
    CHECK_INT(floe_parse_size("64Q", &u), -EINVAL);
    CHECK_INT(floe_parse_size("M", &u), -EINVAL);
    CHECK_INT(floe_parse_size("-1M", &u), -EINVAL);
    CHECK_INT(floe_parse_size("99999999999999999999", &u), -ERANGE);
    CHECK_INT(floe_parse_size("20000000T", &u), -ERANGE);
    CHECK_INT(u, 2048); /* unchanged on failure */
    CHECK_INT(floe_parse_duration_ms("250ms", &u), 0);
    CHECK_INT(u, 250);
    CHECK_INT(floe_parse_duration_ms("5m", &u), 0);
    CHECK_INT(u, 300000);
    CHECK_INT(floe_parse_duration_ms("1h30m", &u), 0);
    CHECK_INT(u, 5400000);
    CHECK_INT(floe_parse_duration_ms("0", &u), 0);
    CHECK_INT(u, 0);
    CHECK_INT(floe_parse_duration_ms("30", &u), -EINVAL);
    CHECK_INT(floe_parse_duration_ms("3x", &u), -EINVAL);
    CHECK_INT(floe_parse_bool("Yes", &b), 0);
    CHECK_INT(b, 1);
    CHECK_INT(floe_parse_bool("off", &b), 0);
    CHECK_INT(b, 0);
    CHECK_INT(floe_parse_bool("maybe", &b), -EINVAL);
}

static void test_errors(void)
{
    expect_error(BASE "[kafak]\nx = 1\n", "floe.conf:8:", "did you mean [kafka]");
    expect_error(BASE "[nothing_like_it]\n", "floe.conf:8:", "unknown section [nothing_like_it]");
    expect_error(BASE "[limits]\nflush_row = 5\n", "floe.conf:9:", "did you mean 'flush_rows'");
    expect_error(BASE "[limits]\nregion = x\n", "floe.conf:9:", "belongs in [s3]");
    expect_error(BASE "[kafka]\nlinger = 5\n", "floe.conf:9:", "rdkafka.<name>");
    expect_error("topic = users\n" BASE, "floe.conf:1:", "outside any [section]");
    expect_error(BASE "[limits\n", "floe.conf:8:", "malformed section header");
    expect_error(BASE "[limits]\njust words\n", "floe.conf:9:", "expected `key = value`");
    expect_error(BASE "[limits]\n= 5\n", "floe.conf:9:", "missing key name");
    expect_error(BASE "[kafka]\ntopic = again\n", "floe.conf:9:", "already set on line 2");
    expect_error(BASE "[limits]\nmemory = lots\n", "floe.conf:9:", "is not a size");
    expect_error(BASE "[limits]\nmemory = 1K\n", "floe.conf:9:", "out of range (4M to 1T)");
    expect_error(BASE "[limits]\nmemory = 16000000T\n", "floe.conf:9:", "out of range");
    expect_error(BASE "[limits]\nflush_bytes = 1K\n", "floe.conf:9:", "below the minimum 64K");
    expect_error(BASE "[limits]\nflush_every = 30\n", "floe.conf:9:", "is not a duration");
    expect_error(BASE "[dead_letter]\ntopic = bad topic\n", "floe.conf:9:",
                 "is not a Kafka topic name");
    expect_error(BASE "[dead_letter]\ntopic = users\n", "floe.conf:9:", "is kafka.topic");
    expect_error(BASE "[limits]\nflush_rows = 12abc\n", "floe.conf:9:", "is not a whole number");
    expect_error(BASE "[limits]\nflush_rows = 0\n", "floe.conf:9:", "out of range (1 to");
    expect_error(BASE "[s3]\nverify = perhaps\n", "floe.conf:9:", "is not true or false");
    expect_error(BASE "[kafka]\nstart = middle\n", "floe.conf:9:", "not one of earliest|latest");
    expect_error(BASE "[agent]\nlog_level = loud\n", "floe.conf:9:", "not one of");
    expect_error(BASE "[agent]\npid_file = \"open\n", "floe.conf:9:", "unterminated double");
    expect_error(BASE "[agent]\npid_file = 'open\n", "floe.conf:9:", "unterminated single");
    expect_error(BASE "[agent]\npid_file = \"a\" b\n", "floe.conf:9:", "after the closing quote");
    expect_error(BASE "[agent]\npid_file = \"a\\qb\"\n", "floe.conf:9:", "unknown escape");
    expect_error(BASE "[agent]\npid_file = ${FLOE_T_NOPE}\n", "floe.conf:9:",
                 "FLOE_T_NOPE is not set");
    expect_error(BASE "[agent]\npid_file = ${FLOE_T_NOPE\n", "floe.conf:9:", "malformed ${");
    expect_error(BASE "[agent]\npid_file = ${1X}\n", "floe.conf:9:", "malformed ${");
    expect_error(BASE "[agent]\npid_file = ${X:-open\n", "floe.conf:9:", "unterminated ${");
    expect_error(BASE "[kafka]\nrdkafka.no.such.property = 1\n", "floe.conf:9:",
                 "rdkafka.no.such.property");
    expect_error(BASE "[kafka]\nrdkafka.fetch.max.bytes = many\n", "floe.conf:9:",
                 "rdkafka.fetch.max.bytes");
    /* A missing key points at its section's header, or at the file's last line. */
    expect_error("[kafka]\n[table]\nwarehouse = /w\nschema = id long required\n", "floe.conf:1:",
                 "kafka.topic is required");
    expect_error("[kafka]\ntopic = t\n", "floe.conf:2:", "table.warehouse is required");
    expect_error("[kafka]\ntopic = t", "floe.conf:2:", "table.warehouse is required");
}

static void test_table_errors(void)
{
    const char *head = "[kafka]\ntopic = users\n[table]\nwarehouse = /tmp/wh\n";
    char buf[1024];
#define TABLE(extra) (snprintf(buf, sizeof(buf), "%s%s", head, extra), buf)
    expect_error(TABLE("schema = id lng required\nversion =\n"), "floe.conf:5:",
                 "unknown type 'lng'");
    expect_error(TABLE("schema = id long mandatory\nversion =\n"), "floe.conf:5:",
                 "neither `required`");
    expect_error(TABLE("schema = id long required, id string\nversion =\n"), "floe.conf:5:",
                 "appears twice");
    expect_error(TABLE("schema = id long required,, x int\nversion =\n"), "floe.conf:5:",
                 "stray comma");
    expect_error(TABLE("schema = 9id long required\nversion =\n"), "floe.conf:5:",
                 "cannot start with a digit");
    expect_error(TABLE("schema = id long required extra\nversion =\n"), "floe.conf:5:",
                 "unexpected 'extra'");
    expect_error(TABLE("schema = id long required\nversion =\npartition = day(id)\n"),
                 "floe.conf:7:", "day does not apply to a long column");
    expect_error(TABLE("schema = id long required\nversion =\npartition = bucket(0, id)\n"),
                 "floe.conf:7:", "whole number from 1");
    expect_error(TABLE("schema = id long required\nversion =\npartition = bucket(id)\n"),
                 "floe.conf:7:", "takes (N, column)");
    expect_error(TABLE("schema = id long required\nversion =\npartition = month(nope)\n"),
                 "floe.conf:7:", "no column 'nope'");
    expect_error(TABLE("schema = id long required\nversion =\npartition = days(id)\n"),
                 "floe.conf:7:", "not a transform");
    expect_error(TABLE("schema = id long required\nversion =\npartition = id, id\n"),
                 "floe.conf:7:", "appears twice");
    expect_error(TABLE("schema = id long\nversion =\n"), "floe.conf:", "must be declared");
    expect_error(TABLE("schema = id double required\nversion =\n"), "floe.conf:",
                 "cannot be a key");
    expect_error(TABLE("schema = id long required, v string\nversion = v\n"), "floe.conf:6:",
                 "cannot order versions");
    expect_error(TABLE("schema = id long required\n"), "floe.conf:", "no column 'signup_ts'");
    expect_error(TABLE("schema = id long required\nversion =\nname = a/b\n"), "floe.conf:7:",
                 "may hold only");
    expect_error("[kafka]\ntopic = t\n[table]\nwarehouse = hdfs://x/y\nschema = id long "
                 "required\nversion =\n",
                 "floe.conf:4:", "only file://, s3://");
    expect_error("[kafka]\ntopic = t\n[table]\nwarehouse = s3:///x\nschema = id long "
                 "required\nversion =\n",
                 "floe.conf:4:", "names no bucket");
    expect_error("[kafka]\ntopic = t\n[table]\nwarehouse = file://rel\nschema = id long "
                 "required\nversion =\n",
                 "floe.conf:4:", "absolute path");
#undef TABLE
}

/* Secret text is never echoed, even in a syntax error. */
static void test_secret_not_echoed(void)
{
    struct floe_cfg_errors errs = {0};
    struct floe_config *cfg =
        load_text(BASE "[s3]\nsecret_access_key = \"abc\"SECRETTAIL\n", &errs);
    CHECK(cfg == NULL);
    CHECK(has_error(&errs, "floe.conf:9:", "unexpected text after the closing quote"));
    for (size_t i = 0; i < errs.n; i++) {
        CHECK(strstr(errs.items[i], "SECRETTAIL") == NULL);
    }
    floe_cfg_errors_free(&errs);
    floe_config_free(cfg);
}

static void test_validate_section(void)
{
    struct floe_cfg_errors errs = {0};
    struct floe_config *cfg = load_text(BASE "[validate]\nage = min 0, max 150\n"
                                             "name = not_null, max_length 20, pattern ^[A-Z], ?x$\n",
                                        &errs);
    CHECK(cfg != NULL);
    if (cfg) {
        CHECK_INT(cfg->validate.rules.n, 2);
        CHECK(cfg->validate.rules.rules[1].has_pattern);
        char *printed = NULL;
        size_t plen = 0;
        FILE *out = open_memstream(&printed, &plen);
        floe_config_print(cfg, out);
        fclose(out);
        CHECK(strstr(printed, "[validate]\nage = min 0, max 150\n") != NULL);
        free(printed);
    }
    floe_config_free(cfg);
    floe_cfg_errors_free(&errs);
    expect_error(BASE "[validate]\nnope = not_null\n", "floe.conf:9:", "no column 'nope'");
    expect_error(BASE "[validate]\nname = min 3\n", "floe.conf:9:", "applies to numeric");
    expect_error(BASE "[validate]\nage = pattern x\n", "floe.conf:9:", "applies to string");
    expect_error(BASE "[validate]\nage = max_length 3\n", "floe.conf:9:", "max_length applies");
    expect_error(BASE "[validate]\nname = pattern (\n", "floe.conf:9:", "pattern '('");
    expect_error(BASE "[validate]\nage = min x\n", "floe.conf:9:", "needs a number");
    expect_error(BASE "[validate]\nage = min 5, max 1\n", "floe.conf:9:", "min is above max");
    expect_error(BASE "[validate]\nage = sometimes\n", "floe.conf:9:", "unknown rule");
    expect_error(BASE "[validate]\nage =\n", "floe.conf:9:", "no rule given");
    expect_error(BASE "[validate]\nage = not_null\nage = min 1\n", "floe.conf:10:",
                 "set twice (line 9)");
}

static void test_many_errors_reported(void)
{
    struct floe_cfg_errors errs = {0};
    struct floe_config *cfg = load_text(BASE "[limits]\nmemory = x\nflush_rows = y\n[bogus]\n"
                                             "[agent]\nlog_level = z\n",
                                        &errs);
    CHECK(cfg == NULL);
    CHECK_INT(errs.n, 4);
    CHECK(has_error(&errs, "floe.conf:9:", "memory"));
    CHECK(has_error(&errs, "floe.conf:10:", "flush_rows"));
    CHECK(has_error(&errs, "floe.conf:11:", "bogus"));
    CHECK(has_error(&errs, "floe.conf:13:", "log_level"));
    floe_cfg_errors_free(&errs);

    /* A value that fails to decode does not hide the other table checks. */
    cfg = load_text("[kafka]\ntopic = t\n[table]\nwarehouse = /w\nnamespace = ${FLOE_T_UNSET_NS}\n"
                    "schema = id long required\nversion =\npartition = day(nosuch)\n",
                    &errs);
    CHECK(cfg == NULL);
    CHECK(has_error(&errs, "floe.conf:5:", "FLOE_T_UNSET_NS is not set"));
    CHECK(has_error(&errs, "floe.conf:8:", "no column 'nosuch'"));
    floe_cfg_errors_free(&errs);
    /* A table name taken from the topic points at the topic. */
    cfg = load_text("[kafka]\ntopic = orders.v1\n[table]\nwarehouse = /w\n"
                    "schema = id long required\nversion =\n",
                    &errs);
    CHECK(cfg == NULL);
    CHECK(has_error(&errs, "floe.conf:2:", "defaults to kafka.topic 'orders.v1'"));
    floe_cfg_errors_free(&errs);

    cfg = floe_config_load("/nonexistent/floe.conf", &errs);
    CHECK(cfg == NULL);
    CHECK(has_error(&errs, "/nonexistent/floe.conf:", "cannot read config"));
    floe_cfg_errors_free(&errs);
}

static void test_env_file(void)
{
    struct floe_cfg_errors errs = {0};
    unsetenv("FLOE_T_KEY");
    setenv("FLOE_T_BOTH", "from-process", 1);
    const char *env = write_file("dot.env", "# secrets\n\nexport FLOE_T_KEY=AKIA123\n"
                                            "FLOE_T_SECRET=\"s3cr3t value\"\n"
                                            "FLOE_T_BOTH=from-file # comment\n"
                                            "FLOE_T_SINGLE='a b'\n"
                                            "FLOE_T_QC=\"quoted\" # and a comment\n");
    CHECK_INT(floe_env_load(env, &errs), 0);
    CHECK_STR(floe_env_get("FLOE_T_KEY"), "AKIA123");
    CHECK_STR(floe_env_get("FLOE_T_SECRET"), "s3cr3t value");
    CHECK_STR(floe_env_get("FLOE_T_BOTH"), "from-process"); /* the environment wins */
    CHECK_STR(floe_env_get("FLOE_T_SINGLE"), "a b");
    CHECK_STR(floe_env_get("FLOE_T_QC"), "quoted");
    CHECK(floe_env_get("FLOE_T_NOT_THERE") == NULL);

    struct floe_config *cfg = load_text(BASE "[s3]\naccess_key_id = ${FLOE_T_KEY}\n"
                                             "secret_access_key = ${FLOE_T_SECRET}\n",
                                        &errs);
    CHECK(cfg != NULL);
    if (cfg) {
        CHECK_STR(cfg->s3.access_key_id, "AKIA123");
        CHECK_STR(cfg->s3.secret_access_key, "s3cr3t value");
    }
    floe_config_free(cfg);

    /* A bad env file is rejected whole and the loaded one stays. */
    const char *bad = write_file("bad.env", "OK=1\nnot a pair\n1BAD=2\nQ=\"open\n"
                                            "R=\"a\" b\n");
    CHECK_INT(floe_env_load(bad, &errs), -1);
    CHECK(has_error(&errs, "bad.env:2:", "expected KEY=VALUE"));
    CHECK(has_error(&errs, "bad.env:3:", "not a variable name"));
    CHECK(has_error(&errs, "bad.env:4:", "unterminated quote"));
    CHECK(has_error(&errs, "bad.env:5:", "unexpected text after the quoted value"));
    CHECK_STR(floe_env_get("FLOE_T_KEY"), "AKIA123");
    CHECK(floe_env_get("OK") == NULL);
    floe_cfg_errors_free(&errs);
    CHECK_INT(floe_env_load("/nonexistent/.env", &errs), -1);
    CHECK(has_error(&errs, "/nonexistent/.env", "cannot read env file"));
    floe_cfg_errors_free(&errs);
    floe_env_clear();
    CHECK(floe_env_get("FLOE_T_KEY") == NULL);
}

static void strip_default_marks(char *text)
{
    static const char mark[] = "    # default";
    char *p;
    while ((p = strstr(text, mark))) {
        memmove(p, p + sizeof(mark) - 1, strlen(p + sizeof(mark) - 1) + 1);
    }
}

static void test_masking_and_round_trip(void)
{
    struct floe_cfg_errors errs = {0};
    char *printed = NULL, *again = NULL;
    size_t plen = 0, alen = 0;
    struct floe_config *cfg =
        load_text(BASE "[s3]\naccess_key_id = AKIAVERYSECRET\nsecret_access_key = hunter2hunter2\n"
                       "session_token = \"tok en\"\n[kafka]\nrdkafka.sasl.password = pw123456\n"
                       "rdkafka.fetch.max.bytes = 1048576\n"
                       "[agent]\nstate_dir = \"/tmp/with space#and$dollar\"\n",
                  &errs);
    CHECK(cfg != NULL);
    if (!cfg) {
        return;
    }
    FILE *out = open_memstream(&printed, &plen);
    floe_config_print(cfg, out);
    fclose(out);
    CHECK(strstr(printed, "AKIAVERYSECRET") == NULL);
    CHECK(strstr(printed, "hunter2") == NULL);
    CHECK(strstr(printed, "tok en") == NULL);
    CHECK(strstr(printed, "pw123456") == NULL);
    CHECK(strstr(printed, "access_key_id = ********") != NULL);
    CHECK(strstr(printed, "rdkafka.fetch.max.bytes = 1048576") != NULL);
    CHECK(strstr(printed, "memory = 64M    # default") != NULL);

    /* The printed config reads back to the same values (secrets aside). */
    struct floe_config *back = load_text(printed, &errs);
    CHECK(back != NULL);
    CHECK_INT(errs.n, 0);
    if (back) {
        char changed[512];
        int n = floe_config_diff(cfg, back, changed, sizeof(changed));
        /* Only the masked secrets and the masked rdkafka password differ. */
        CHECK_INT(n, 4);
        CHECK_STR(changed, "s3.access_key_id s3.secret_access_key s3.session_token "
                           "kafka.rdkafka.*");
        CHECK_STR(back->agent.state_dir, "/tmp/with space#and$dollar");
        out = open_memstream(&again, &alen);
        floe_config_print(back, out);
        fclose(out);
        /* Printing is stable past the first line (which names the file), except that every
         * key is now set by the file, so none is marked as a default. */
        strip_default_marks(printed);
        CHECK_STR(strchr(again, '\n'), strchr(printed, '\n'));
        free(again);
    }
    floe_config_free(back);
    floe_config_free(cfg);
    free(printed);
    floe_cfg_errors_free(&errs);
}

static void test_reference(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    floe_config_reference(out);
    fclose(out);
    /* Every key of the table appears in the reference. */
    for (const struct floe_cfg_key *k = floe_cfg_keys; k->name; k++) {
        char want[128];
        snprintf(want, sizeof(want), "| `%s` |", k->name);
        CHECK(strstr(text, want) != NULL);
    }
    CHECK(strstr(text, "#### [s3]") != NULL);
    CHECK(strstr(text, "earliest, latest") != NULL);
    free(text);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_good_file();
    test_value_syntax();
    test_single_values();
    test_errors();
    test_table_errors();
    test_many_errors_reported();
    test_secret_not_echoed();
    test_validate_section();
    test_env_file();
    test_masking_and_round_trip();
    test_reference();
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_done();
}
