/* floe-produce.c — the sample producer: users records (agent/userstream.c) into a Kafka topic.
 *
 *     floe-produce --brokers B --topic T [--count N] [--rate R] [--keys K] [--duplicates X]
 *                  [--stale X] [--equal X] [--invalid X] [--day-moves X] [--seed S]
 *                  [--timeout S] [--log FILE] [-X name=value]...
 *
 * Each record is keyed by its id (decimal), so every version of an id goes to one partition,
 * and the producer is idempotent (enable.idempotence=true), so a key's versions land in the
 * order they were generated even across retries and broker outages. Invalid records (some have
 * no id) are keyed "invalid-N", N = seq % 16: spread over a few partitions, so that none of them
 * holds far more than the others (librdkafka's mock cluster keeps only about 5 MiB of each
 * partition). The tool waits until every record is delivered or has failed, then prints a
 * summary on stdout; --log writes one JSON line per record, in delivery order:
 *
 *     {"seq":7,"partition":2,"offset":1,"key":"42","id":42,"version":1767225600123456,
 *      "valid":true,"kind":"duplicate","invalid":null,"day_moved":false}
 *
 * ("error":"…" and offset -1 for a record that was not delivered; id and version are null when
 * the record has none), so a test can compute the expected table without floe's code.
 *
 * Exit status: 0 every record delivered, 1 a record not delivered (or a broker, log or
 * interruption failure), 2 bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "userstream.h"

#define EXIT_USAGE 2

/* Records in flight at once: each holds one slot until its delivery report (~32 bytes each). */
#define SLOTS 65536

/* Broker-level errors are printed at most once per second; the rest are counted. */
#define ERROR_EVERY_NS INT64_C(1000000000)

enum opt_type { OPT_STRING, OPT_U64, OPT_U32, OPT_SHARE, OPT_RATE, OPT_PROP, OPT_HELP };

struct options {
    const char *brokers;
    const char *topic;
    const char *log;
    double rate;
    uint64_t timeout;
    struct floe_userstream_options gen;
    const char *props[64]; /* -X name=value, views of argv */
    int nprops;
};

/* Every option, its type, where it goes and its documentation: parsing and --help share it. */
struct opt_def {
    const char *name;
    enum opt_type type;
    size_t offset;
    const char *arg;
    const char *doc;
};

#define OFF(field) offsetof(struct options, field)

static const struct opt_def opt_defs[] = {
    {"--brokers", OPT_STRING, OFF(brokers), "LIST",
     "bootstrap servers, host:port[,...] (required)"},
    {"--topic", OPT_STRING, OFF(topic), "NAME", "topic to produce to (required)"},
    {"--count", OPT_U64, OFF(gen.count), "N", "records to produce (default 10000)"},
    {"--rate", OPT_RATE, OFF(rate), "R", "records per second; 0: as fast as possible (default 0)"},
    {"--keys", OPT_U32, OFF(gen.keys), "K", "ids are 1..K (default 1000)"},
    {"--duplicates", OPT_SHARE, OFF(gen.duplicates), "X",
     "share of records repeating an id with a newer signup_ts (default 0.3)"},
    {"--stale", OPT_SHARE, OFF(gen.stale), "X",
     "share repeating an id with an older signup_ts than its newest (default 0.05)"},
    {"--equal", OPT_SHARE, OFF(gen.equal), "X",
     "share repeating an id with its newest signup_ts (default 0)"},
    {"--invalid", OPT_SHARE, OFF(gen.invalid), "X",
     "share of invalid records, kinds in turn (default 0.01)"},
    {"--day-moves", OPT_SHARE, OFF(gen.day_moves), "X",
     "share of newer versions on a later UTC day (default 0.5)"},
    {"--days", OPT_U32, OFF(gen.days), "D",
     "new ids' signup_ts spread over D days from 2025-01-01 (default 730)"},
    {"--seed", OPT_U64, OFF(gen.seed), "S", "generator seed: same seed, same records (default 1)"},
    {"--timeout", OPT_U64, OFF(timeout), "SECONDS",
     "give up on a record not delivered after this long (default 60)"},
    {"--log", OPT_STRING, OFF(log), "FILE", "one JSON line per record: partition, offset, id..."},
    {"-X", OPT_PROP, 0, "NAME=VALUE", "a librdkafka producer property (repeatable)"},
    {"--help", OPT_HELP, 0, NULL, "this text"},
};

#define N_OPTS (sizeof(opt_defs) / sizeof(opt_defs[0]))

/* What the delivery report needs to know about a record in flight. */
struct slot {
    uint64_t seq;
    int64_t version;
    uint32_t id;
    uint8_t kind;
    uint8_t invalid;
    uint8_t has_id;
    uint8_t has_version;
    uint8_t day_moved;
    uint32_t next_free;
};

struct producer {
    struct options opt;
    rd_kafka_t *rk;
    FILE *log;
    bool log_failed;
    struct slot *slots;
    uint32_t free_head; /* SLOTS: none free */
    uint32_t in_flight;
    uint64_t produced; /* handed to librdkafka */
    uint64_t delivered;
    uint64_t failed;
    uint64_t errors_shown;
    uint64_t errors_hidden;
    int64_t last_error_ns;
    bool fatal;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void print_help(FILE *out)
{
    fprintf(out, "usage: floe-produce --brokers LIST --topic NAME [options]\n\n"
                 "Produces users records (JSON, keyed by id) to a Kafka topic with an idempotent\n"
                 "producer, waits for every delivery and prints a summary.\n\n");
    for (size_t i = 0; i < N_OPTS; i++) {
        char left[40];
        snprintf(left, sizeof(left), "%s%s%s", opt_defs[i].name, opt_defs[i].arg ? " " : "",
                 opt_defs[i].arg ? opt_defs[i].arg : "");
        fprintf(out, "  %-20s %s\n", left, opt_defs[i].doc);
    }
    fprintf(out, "\nExit status: 0 every record delivered, 1 some record not delivered or "
                 "another failure, 2 bad usage.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "floe-produce: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun 'floe-produce --help' for usage.\n");
    return EXIT_USAGE;
}

/* Parses value for def into o. Returns 0 or EXIT_USAGE (with the message printed). */
static int set_option(struct options *o, const struct opt_def *def, const char *value)
{
    char *base = (char *)o + def->offset;
    char *end = NULL;
    errno = 0;
    switch (def->type) {
    case OPT_STRING:
        if (value[0] == '\0') {
            return usage_error("%s needs a non-empty value", def->name);
        }
        *(const char **)(void *)base = value;
        return 0;
    case OPT_U64:
    case OPT_U32: {
        if (value[0] < '0' || value[0] > '9') {
            return usage_error("%s needs a whole number", def->name);
        }
        unsigned long long v = strtoull(value, &end, 10);
        if (errno != 0 || *end != '\0' || (def->type == OPT_U32 && v > UINT32_MAX)) {
            return usage_error("%s needs a whole number in range", def->name);
        }
        if (def->type == OPT_U32) {
            *(uint32_t *)(void *)base = (uint32_t)v;
        } else {
            *(uint64_t *)(void *)base = (uint64_t)v;
        }
        return 0;
    }
    case OPT_SHARE:
    case OPT_RATE: {
        double v = strtod(value, &end);
        if (errno != 0 || end == value || *end != '\0' || !(v >= 0.0) || isinf(v) ||
            (def->type == OPT_SHARE && v > 1.0)) {
            return usage_error(def->type == OPT_SHARE ? "%s needs a share between 0 and 1"
                                                      : "%s needs a number of records per "
                                                        "second, 0 or more",
                               def->name);
        }
        *(double *)(void *)base = v;
        return 0;
    }
    case OPT_PROP:
        if (strchr(value, '=') == NULL || value[0] == '=') {
            return usage_error("-X needs name=value, not '%s'", value);
        }
        if (o->nprops == (int)(sizeof(o->props) / sizeof(o->props[0]))) {
            return usage_error("too many -X properties%s", "");
        }
        o->props[o->nprops++] = value;
        return 0;
    default:
        return EXIT_USAGE;
    }
}

/* Parses argv into o. Returns 0, -1 when --help was printed, or EXIT_USAGE. */
static int parse_args(struct options *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->gen.count = 10000;
    o->gen.keys = 1000;
    o->gen.seed = 1;
    o->gen.duplicates = 0.3;
    o->gen.stale = 0.05;
    o->gen.invalid = 0.01;
    o->gen.day_moves = 0.5;
    o->timeout = 60;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        const struct opt_def *def = NULL;
        for (size_t k = 0; k < N_OPTS && def == NULL; k++) {
            size_t n = strlen(opt_defs[k].name);
            if (strncmp(arg, opt_defs[k].name, n) == 0 && (arg[n] == '\0' || arg[n] == '=')) {
                def = &opt_defs[k];
                value = arg[n] == '=' ? arg + n + 1 : NULL;
            }
        }
        if (def == NULL) {
            return usage_error("unknown option '%s'", arg);
        }
        if (def->type == OPT_HELP) {
            print_help(stdout);
            return -1;
        }
        if (value == NULL) {
            if (i + 1 >= argc) {
                return usage_error("%s needs a value", def->name);
            }
            value = argv[++i];
        }
        int rc = set_option(o, def, value);
        if (rc != 0) {
            return rc;
        }
    }
    if (o->brokers == NULL) {
        return usage_error("--brokers is required%s", "");
    }
    if (o->topic == NULL) {
        return usage_error("--topic is required%s", "");
    }
    if (o->gen.keys == 0 || o->gen.keys > FLOE_USERSTREAM_KEYS_MAX) {
        return usage_error("--keys must be between 1 and 268435456%s", "");
    }
    if (o->gen.duplicates + o->gen.stale + o->gen.equal + o->gen.invalid > 1.0 + 1e-9) {
        return usage_error("--duplicates, --stale, --equal and --invalid add up to more than "
                           "1%s",
                           "");
    }
    if (o->timeout == 0 || o->timeout > 86400) {
        return usage_error("--timeout must be between 1 and 86400 seconds%s", "");
    }
    return 0;
}

static void write_log(struct producer *p, const struct slot *s, int32_t partition, int64_t offset,
                      const rd_kafka_message_t *m)
{
    if (p->log == NULL || p->log_failed) {
        return;
    }
    char id[16] = "null";
    char version[24] = "null";
    char invalid[24] = "null";
    if (s->has_id) {
        snprintf(id, sizeof(id), "%" PRIu32, s->id);
    }
    if (s->has_version) {
        snprintf(version, sizeof(version), "%" PRId64, s->version);
    }
    if (s->kind == FLOE_USERSTREAM_INVALID) {
        snprintf(invalid, sizeof(invalid), "\"%s\"",
                 floe_userstream_invalid_name((enum floe_userstream_invalid)s->invalid));
    }
    /* Keys are digits or "invalid-N"; error strings come from librdkafka and are escaped. */
    fprintf(p->log,
            "{\"seq\":%" PRIu64 ",\"partition\":%" PRId32 ",\"offset\":%" PRId64
            ",\"key\":\"%.*s\",\"id\":%s,\"version\":%s,\"valid\":%s,\"kind\":\"%s\","
            "\"invalid\":%s,\"day_moved\":%s",
            s->seq, partition, offset, (int)m->key_len, (const char *)m->key, id, version,
            s->kind == FLOE_USERSTREAM_INVALID ? "false" : "true",
            floe_userstream_kind_name((enum floe_userstream_kind)s->kind), invalid,
            s->day_moved ? "true" : "false");
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fputs(",\"error\":\"", p->log);
        for (const char *c = rd_kafka_err2str(m->err); *c != '\0'; c++) {
            if (*c == '"' || *c == '\\') {
                fputc('\\', p->log);
            }
            fputc((unsigned char)*c >= 0x20 ? *c : ' ', p->log);
        }
        fputc('"', p->log);
    }
    fputs("}\n", p->log);
    if (ferror(p->log)) {
        fprintf(stderr, "floe-produce: writing %s: %s\n", p->opt.log, strerror(errno));
        p->log_failed = true;
    }
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct producer *p = opaque;
    struct slot *s = m->_private;
    uint32_t index = (uint32_t)(s - p->slots);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        p->delivered++;
        write_log(p, s, m->partition, m->offset, m);
    } else {
        if (p->failed == 0) {
            fprintf(stderr, "floe-produce: record %" PRIu64 " not delivered: %s\n", s->seq,
                    rd_kafka_err2str(m->err));
        }
        p->failed++;
        write_log(p, s, m->partition, -1, m);
    }
    s->next_free = p->free_head;
    p->free_head = index;
    p->in_flight--;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct producer *p = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why, sizeof(why));
        fprintf(stderr, "floe-produce: fatal producer error: %s: %s\n", rd_kafka_err2name(orig),
                why);
        p->fatal = true;
        return;
    }
    int64_t t = now_ns();
    if (p->errors_shown > 0 && t - p->last_error_ns < ERROR_EVERY_NS) {
        p->errors_hidden++;
        return;
    }
    fprintf(stderr, "floe-produce: broker error: %s: %s\n",
            rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
    p->errors_shown++;
    p->last_error_ns = t;
}

static int set_conf(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char errstr[256];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "floe-produce: %s: %s\n", name, errstr);
        return -EINVAL;
    }
    return 0;
}

/* Creates the idempotent producer. Returns 0, or -EINVAL with the reason on stderr. */
static int make_producer(struct producer *p)
{
    char errstr[512];
    char timeout_ms[24];
    snprintf(timeout_ms, sizeof(timeout_ms), "%" PRIu64, p->opt.timeout * 1000);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* Reconnect within a second of a broker coming back (the default backs off to 10 s).
     * Broker errors reach on_error (rate-limited there), so librdkafka's own log is limited to
     * critical lines. */
    if (set_conf(conf, "bootstrap.servers", p->opt.brokers) != 0 ||
        set_conf(conf, "client.id", "floe-produce") != 0 ||
        set_conf(conf, "enable.idempotence", "true") != 0 ||
        set_conf(conf, "message.timeout.ms", timeout_ms) != 0 ||
        set_conf(conf, "reconnect.backoff.max.ms", "1000") != 0 ||
        set_conf(conf, "log_level", "2") != 0) {
        goto fail;
    }
    for (int i = 0; i < p->opt.nprops; i++) {
        char name[256];
        const char *eq = strchr(p->opt.props[i], '=');
        size_t n = (size_t)(eq - p->opt.props[i]);
        if (n >= sizeof(name)) {
            fprintf(stderr, "floe-produce: -X %s: name too long\n", p->opt.props[i]);
            goto fail;
        }
        memcpy(name, p->opt.props[i], n);
        name[n] = '\0';
        if (set_conf(conf, name, eq + 1) != 0) {
            goto fail;
        }
    }
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (p->rk == NULL) {
        fprintf(stderr, "floe-produce: cannot create the producer: %s\n", errstr);
        goto fail;
    }
    return 0;
fail:
    rd_kafka_conf_destroy(conf);
    return -EINVAL;
}

/* Waits, serving delivery reports, until record number i is due at the configured rate. */
static void pace(struct producer *p, uint64_t i, int64_t start)
{
    if (p->opt.rate <= 0.0) {
        return;
    }
    int64_t due = start + (int64_t)((double)i * 1e9 / p->opt.rate);
    for (;;) {
        int64_t left = due - now_ns();
        if (left <= 0 || interrupted || p->fatal) {
            return;
        }
        if (left >= 1000000) {
            rd_kafka_poll(p->rk, (int)(left / 1000000 > 100 ? 100 : left / 1000000));
        } else {
            struct timespec ts = {0, (long)left};
            nanosleep(&ts, NULL);
        }
    }
}

/* Hands one record to librdkafka, waiting while its queue or our slots are full. Returns 0, or
 * -EINTR when interrupted or after a fatal error (the record was not produced). */
static int produce_one(struct producer *p, const uint8_t *value, size_t len,
                       const struct floe_userstream_record *rec)
{
    while (p->free_head == SLOTS) {
        if (interrupted || p->fatal) {
            return -EINTR;
        }
        rd_kafka_poll(p->rk, 100);
    }
    uint32_t index = p->free_head;
    struct slot *s = &p->slots[index];
    p->free_head = s->next_free;
    p->in_flight++;
    s->seq = rec->seq;
    s->version = rec->version;
    s->id = rec->id;
    s->kind = (uint8_t)rec->kind;
    s->invalid = (uint8_t)rec->invalid;
    s->has_id = rec->has_id;
    s->has_version = rec->has_version;
    s->day_moved = rec->day_moved;

    char key[16];
    if (rec->valid) {
        snprintf(key, sizeof(key), "%" PRIu32, rec->id);
    } else {
        snprintf(key, sizeof(key), "invalid-%" PRIu64, rec->seq % 16);
    }
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(p->opt.topic), RD_KAFKA_V_KEY(key, strlen(key)),
            RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(s), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            p->produced++;
            return 0;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || interrupted || p->fatal) {
            /* Not queued: no delivery report will come, so the slot is released here. */
            fprintf(stderr, "floe-produce: record %" PRIu64 " not produced: %s\n", rec->seq,
                    rd_kafka_err2str(err));
            p->failed++;
            s->next_free = p->free_head;
            p->free_head = index;
            p->in_flight--;
            return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? -EINTR : 0;
        }
        rd_kafka_poll(p->rk, 100);
    }
}

static void print_summary(const struct producer *p, const struct floe_userstream *u, double seconds)
{
    const uint64_t *k = u->kinds;
    const uint64_t *inv = u->invalids;
    printf("topic      %s at %s\n", p->opt.topic, p->opt.brokers);
    printf("records    %" PRIu64 " produced, %" PRIu64 " delivered, %" PRIu64 " failed\n",
           p->produced, p->delivered, p->failed);
    printf("valid      %" PRIu64 ": new %" PRIu64 ", duplicates %" PRIu64 ", stale %" PRIu64
           ", equal %" PRIu64 "\n",
           u->generated - k[FLOE_USERSTREAM_INVALID], k[FLOE_USERSTREAM_NEW],
           k[FLOE_USERSTREAM_DUPLICATE], k[FLOE_USERSTREAM_STALE], k[FLOE_USERSTREAM_EQUAL]);
    printf("invalid    %" PRIu64 ": malformed %" PRIu64 ", id_type %" PRIu64 ", id_missing %" PRIu64
           ", age_range %" PRIu64 ", name_size %" PRIu64 "\n",
           k[FLOE_USERSTREAM_INVALID], inv[FLOE_USERSTREAM_MALFORMED], inv[FLOE_USERSTREAM_ID_TYPE],
           inv[FLOE_USERSTREAM_ID_MISSING], inv[FLOE_USERSTREAM_AGE_RANGE],
           inv[FLOE_USERSTREAM_NAME_SIZE]);
    printf("keys       %" PRIu32 " distinct of %" PRIu32 ", %" PRIu64 " day moves\n", u->distinct,
           u->opt.keys, u->day_moves);
    printf("time       %.3f s, %.0f records/s\n", seconds,
           seconds > 0 ? (double)p->produced / seconds : 0.0);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    static struct producer p; /* large: kept off the stack */
    struct floe_userstream u;
    int status = 1;
    memset(&u, 0, sizeof(u));

    int rc = parse_args(&p.opt, argc, argv);
    if (rc != 0) {
        return rc < 0 ? 0 : rc;
    }
    rc = floe_userstream_init(&u, &p.opt.gen);
    if (rc != 0) {
        fprintf(stderr, "floe-produce: cannot start the generator: %s\n", strerror(-rc));
        return 1;
    }
    p.slots = calloc(SLOTS, sizeof(*p.slots));
    if (p.slots == NULL) {
        fprintf(stderr, "floe-produce: out of memory\n");
        goto done;
    }
    for (uint32_t i = 0; i < SLOTS; i++) {
        p.slots[i].next_free = i + 1;
    }
    p.free_head = 0;
    if (p.opt.log != NULL) {
        p.log = fopen(p.opt.log, "w");
        if (p.log == NULL) {
            fprintf(stderr, "floe-produce: %s: %s\n", p.opt.log, strerror(errno));
            goto done;
        }
    }
    if (make_producer(&p) != 0) {
        goto done;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    static uint8_t buf[FLOE_USERSTREAM_RECORD_MAX];
    int64_t start = now_ns();
    bool stopped = false;
    for (uint64_t i = 0; !stopped; i++) {
        struct floe_userstream_record rec;
        pace(&p, i, start);
        if (interrupted || p.fatal) {
            stopped = true;
            break;
        }
        rc = floe_userstream_next(&u, buf, sizeof(buf), &rec);
        if (rc == -ENODATA) {
            break;
        }
        if (rc != 0) {
            fprintf(stderr, "floe-produce: generator: %s\n", strerror(-rc));
            stopped = true;
            break;
        }
        if (produce_one(&p, buf, rec.len, &rec) != 0) {
            stopped = true;
            break;
        }
        if ((i & 255) == 0) {
            rd_kafka_poll(p.rk, 0);
        }
    }

    /* Wait for every delivery report: message.timeout.ms bounds each record's wait. */
    int64_t give_up = now_ns() + (int64_t)(p.opt.timeout + 10) * 1000000000;
    bool purged = false;
    while (p.in_flight > 0 && now_ns() < give_up) {
        if ((p.fatal || interrupted) && !purged) {
            /* Records not yet sent fail now (_PURGE_QUEUE); those already sent are waited for,
             * as the broker may have them, so the log stays true. */
            rd_kafka_purge(p.rk, RD_KAFKA_PURGE_F_QUEUE);
            purged = true;
        }
        rd_kafka_poll(p.rk, 100);
    }
    double seconds = (double)(now_ns() - start) / 1e9;
    if (p.errors_hidden > 0) {
        fprintf(stderr, "floe-produce: %" PRIu64 " more broker errors not shown\n",
                p.errors_hidden);
    }
    if (p.in_flight > 0) {
        fprintf(stderr, "floe-produce: %" PRIu32 " records still without a delivery report\n",
                p.in_flight);
    }
    if (interrupted) {
        fprintf(stderr, "floe-produce: interrupted after %" PRIu64 " records\n", u.generated);
    }
    print_summary(&p, &u, seconds);
    status = (p.failed == 0 && p.in_flight == 0 && !stopped && !p.fatal && !p.log_failed &&
              p.delivered == u.generated)
                 ? 0
                 : 1;
    if (p.failed > 0) {
        fprintf(stderr, "floe-produce: %" PRIu64 " of %" PRIu64 " records not delivered\n",
                p.failed, u.generated);
    }
done:
    if (p.rk != NULL) {
        if (p.in_flight > 0) {
            /* Leave nothing queued behind: librdkafka would otherwise wait in destroy. */
            rd_kafka_purge(p.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            rd_kafka_poll(p.rk, 0);
        }
        rd_kafka_destroy(p.rk);
    }
    if (p.log != NULL && fclose(p.log) != 0) {
        fprintf(stderr, "floe-produce: closing %s: %s\n", p.opt.log, strerror(errno));
        status = 1;
    }
    free(p.slots);
    floe_userstream_free(&u);
    return status;
}
