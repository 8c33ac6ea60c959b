/* test_upsert.c — the dedup hash and the upsert write path.
 *
 * The hash: exact lookups, the eviction policy (oldest generation first, never the current
 * one), state files (round trip, lower bounds, damage, another table). The write path: stale,
 * newer and in-batch versions, and no allocation per record in the steady state — every
 * malloc, calloc, realloc and aligned_alloc is counted while records flow between commits
 * (through ASan's allocator hooks in sanitizer builds, by interposing the allocator otherwise).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "decode.h"
#include "dedup.h"
#include "fsutil.h"
#include "table.h"
#include "upsert.h"

static volatile int counting;
static volatile unsigned long allocations;

#if defined(__SANITIZE_ADDRESS__)
#define FLOE_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FLOE_TEST_ASAN 1
#endif
#endif

#ifdef FLOE_TEST_ASAN
#include <sanitizer/allocator_interface.h>
static void on_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    if (counting) {
        allocations++;
    }
}
static void on_free(const volatile void *p)
{
    (void)p;
}
static void install_counter(void)
{
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
void *malloc(size_t n)
{
    if (counting) {
        allocations++;
    }
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t size)
{
    if (counting) {
        allocations++;
    }
    return __libc_calloc(n, size);
}
void *realloc(void *p, size_t n)
{
    if (counting) {
        allocations++;
    }
    return __libc_realloc(p, n);
}
void *aligned_alloc(size_t align, size_t n)
{
    if (counting) {
        allocations++;
    }
    return __libc_memalign(align, n);
}
static void install_counter(void)
{
}
#endif

static char dir[] = "/tmp/floe-test-upsert-XXXXXX";
static const char UUID[] = "6f1e1c2a-1b2c-4d3e-8f40-0123456789ab";

static void test_hash(void)
{
    struct floe_dedup d;
    /* One set pair: 2 × 8 entries (a hash of 2 sets). */
    CHECK_INT(floe_dedup_init(&d, 2 * 192), 0);
    CHECK_INT(d.nsets, 2);
    CHECK(d.complete);
    for (uint64_t k = 1; k <= 16; k++) {
        struct floe_dedup_entry *e = floe_dedup_insert(&d, k);
        CHECK(e != NULL);
        e->version = (int64_t)k * 10;
        e->gen = d.gen;
    }
    CHECK_INT(d.live, 16);
    CHECK(floe_dedup_find(&d, 7) && floe_dedup_find(&d, 7)->version == 70);
    CHECK(floe_dedup_find(&d, 17) == NULL);
    /* Every entry is of the current generation: nothing may be evicted. */
    CHECK(floe_dedup_insert(&d, 17) == NULL);
    CHECK_INT(d.evictions, 0);
    floe_dedup_next_generation(&d);
    /* Key 3 rewritten in the new generation; the oldest generation's lowest version goes. */
    floe_dedup_find(&d, 3)->gen = d.gen;
    struct floe_dedup_entry *e = floe_dedup_insert(&d, 17);
    CHECK(e != NULL);
    CHECK_INT(d.evictions, 1);
    CHECK(!d.complete);
    CHECK(floe_dedup_find(&d, 1) == NULL); /* version 10: the lowest of the old generation */
    CHECK(floe_dedup_find(&d, 3) != NULL);
    e->version = 170;
    e->gen = d.gen;

    /* String keys: by a keyed hash, distinct for distinct bytes. */
    struct floe_cell a = {.present = true}, b = {.present = true};
    a.v.s.p = (const uint8_t *)"alice";
    a.v.s.n = 5;
    b.v.s.p = (const uint8_t *)"alicf";
    b.v.s.n = 5;
    CHECK(floe_dedup_key(&d, FLOE_TYPE_STRING, &a) != floe_dedup_key(&d, FLOE_TYPE_STRING, &b));
    CHECK(floe_dedup_key(&d, FLOE_TYPE_STRING, &a) == floe_dedup_key(&d, FLOE_TYPE_STRING, &a));
    struct floe_cell n = {.present = true};
    n.v.i = -42;
    CHECK(floe_dedup_key(&d, FLOE_TYPE_LONG, &n) == (uint64_t)-42); /* numbers are exact */

    /* State files. */
    char path[256], tag[64];
    snprintf(path, sizeof(path), "%s/h.state", dir);
    CHECK_INT(floe_dedup_save(&d, path, UUID, "commit-1"), 0);
    struct floe_dedup d2;
    CHECK_INT(floe_dedup_init(&d2, 2 * 192), 0);
    CHECK_INT(floe_dedup_read_tag(path, UUID, tag, sizeof(tag)), 0);
    CHECK_STR(tag, "commit-1");
    CHECK_INT(floe_dedup_load(&d2, path, UUID, tag, sizeof(tag), false), 0);
    CHECK_INT(d2.live, 16);
    CHECK_INT(d2.evictions, 1);
    CHECK(!d2.complete);
    CHECK(floe_dedup_find(&d2, 17) && floe_dedup_find(&d2, 17)->version == 170);
    CHECK(floe_dedup_find(&d2, 16) && !(floe_dedup_find(&d2, 16)->gen & FLOE_DEDUP_BOUND));
    CHECK(!floe_dedup_current(&d2, floe_dedup_find(&d2, 16)));
    CHECK(memcmp(d.sip, d2.sip, 16) == 0);
    CHECK_INT(floe_dedup_load(&d2, path, UUID, tag, sizeof(tag), true), 0);
    CHECK(floe_dedup_find(&d2, 16) && (floe_dedup_find(&d2, 16)->gen & FLOE_DEDUP_BOUND));
    CHECK_INT(
        floe_dedup_load(&d2, path, "00000000-0000-4000-8000-000000000000", tag, sizeof(tag), false),
        -EINVAL);
    /* A flipped byte in an entry: the checksum catches it and d2 is left empty. */
    FILE *f = fopen(path, "r+b");
    fseek(f, 200, SEEK_SET);
    fputc(0x5a ^ fgetc(f), f);
    fclose(f);
    CHECK_INT(floe_dedup_load(&d2, path, UUID, tag, sizeof(tag), false), -EINVAL);
    CHECK_INT(d2.live, 0);
    /* A truncated file. */
    CHECK_INT(floe_dedup_save(&d, path, UUID, "commit-2"), 0);
    CHECK_INT(truncate(path, 150), 0);
    CHECK_INT(floe_dedup_load(&d2, path, UUID, tag, sizeof(tag), false), -EINVAL);
    snprintf(path, sizeof(path), "%s/none.state", dir);
    CHECK_INT(floe_dedup_load(&d2, path, UUID, tag, sizeof(tag), false), -ENOENT);
    floe_dedup_free(&d);
    floe_dedup_free(&d2);
}

/* A config for a table in dir. */
static struct floe_config *config(void)
{
    char path[256], text[1024];
    struct floe_cfg_errors errs = {0};
    snprintf(path, sizeof(path), "%s/floe.conf", dir);
    snprintf(text, sizeof(text),
             "[kafka]\ntopic = users\n[table]\nwarehouse = %s/wh\nnamespace = db\n"
             "schema = id long required, name string, signup_ts timestamptz\n"
             "partition = day(signup_ts), bucket(4, id)\n[dedup]\nmemory = 1M\n"
             "[limits]\nmemory = 16M\n[agent]\nstate_dir = %s/state\n",
             dir, dir);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    struct floe_config *cfg = floe_config_load(path, &errs);
    floe_cfg_errors_free(&errs);
    return cfg;
}

/* A Parquet sink that keeps nothing (only the writer's metrics are read). */
static int discard(void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    (void)p;
    (void)n;
    return 0;
}

static int add(struct floe_upsert *u, struct floe_decoder *dec, struct floe_row *row,
               const char *json)
{
    char why[256];
    if (floe_decode(dec, (const uint8_t *)json, strlen(json), row) < 0) {
        return -100;
    }
    return floe_upsert_add(u, row, why, sizeof(why));
}

static void test_write_path(void)
{
    struct floe_config *cfg = config();
    struct floe_table t;
    struct floe_upsert u;
    struct floe_decoder dec;
    static uint8_t scratch[4096];
    struct floe_row row;
    bool created;
    int64_t id;
    CHECK(cfg != NULL);
    if (!cfg) {
        return;
    }
    memset(&row, 0, sizeof(row));
    row.scratch = scratch;
    row.scratch_cap = sizeof(scratch);
    CHECK_INT(floe_table_open(cfg, &t), 0);
    CHECK_INT(floe_table_create(&t, cfg, &created), 0);
    CHECK_INT(floe_upsert_init(&u, cfg, &t, cfg->limits.memory - cfg->dedup.memory), 0);
    CHECK(u.keyed && u.scoped);
    CHECK_INT(floe_decoder_init(&dec, &u.data_w.bound), 0);

    const char *v1 = "{\"id\":1,\"name\":\"a\",\"signup_ts\":\"2026-11-01T00:00:00Z\"}";
    const char *v2 = "{\"id\":1,\"name\":\"b\",\"signup_ts\":\"2026-11-03T00:00:00Z\"}";
    const char *v0 = "{\"id\":1,\"name\":\"c\",\"signup_ts\":\"2026-10-01T00:00:00Z\"}";
    CHECK_INT(add(&u, &dec, &row, v1), FLOE_UPSERT_ADDED);
    CHECK_INT(add(&u, &dec, &row, v1), FLOE_UPSERT_STALE); /* equal */
    CHECK_INT(add(&u, &dec, &row, v0), FLOE_UPSERT_STALE); /* older */
    CHECK_INT(add(&u, &dec, &row, v2), FLOE_UPSERT_ADDED); /* replaces v1 in the batch */
    CHECK_INT(u.stats.replaced, 1);
    CHECK_INT(floe_upsert_rows(&u), 1);
    CHECK_INT(floe_upsert_commit(&u, NULL, 0, &id), 0);
    CHECK(id > 0);
    CHECK_INT(u.stats.deletes + u.stats.global, 0); /* a new table: nothing to delete */
    const char *v3 = "{\"id\":1,\"name\":\"d\",\"signup_ts\":\"2026-11-09T00:00:00Z\"}";
    CHECK_INT(add(&u, &dec, &row, v3), FLOE_UPSERT_ADDED);
    CHECK_INT(u.stats.deletes, 1); /* the v2 row, in its own day's partition */
    CHECK_INT(floe_upsert_rows(&u), 2);
    CHECK_INT(floe_upsert_commit(&u, NULL, 0, &id), 0);

    /* Steady state: 20,000 records over 2,000 keys between commits, none allocating. */
    enum { KEYS = 2000, RECORDS = 20000 };
    static char lines[RECORDS][128];
    int added = 0, stale = 0, other = 0;
    for (int round = 0; round < 2; round++) {
        /* The second round's versions are a month later: every key is replaced again. */
        for (int i = 0; i < RECORDS; i++) {
            int k = 10 + (int)((unsigned)i * 2654435761u % KEYS);
            snprintf(
                lines[i], sizeof(lines[i]),
                "{\"id\":%d,\"name\":\"user %d\",\"signup_ts\":\"2026-%02d-%02dT%02d:00:%02dZ\"}",
                k, i, 11 + round, 1 + i % 20, i % 24, i % 60);
        }
        install_counter();
        /* The counter counts: one allocation made on purpose is seen. */
        allocations = 0;
        counting = 1;
        void *volatile probe = malloc(16);
        counting = 0;
        free(probe);
        CHECK(allocations >= 1);
        allocations = 0;
        counting = 1;
        for (int i = 0; i < RECORDS; i++) {
            int rc = add(&u, &dec, &row, lines[i]);
            added += rc == FLOE_UPSERT_ADDED;
            stale += rc == FLOE_UPSERT_STALE;
            other += rc < 0;
        }
        counting = 0;
        CHECK_INT(allocations, 0);
        CHECK_INT(floe_upsert_commit(&u, NULL, 0, &id), 0);
        CHECK(id > 0);
    }
    CHECK_INT(other, 0);
    CHECK(added > 0 && stale > 0);

    /* 200,000 updates of the same 2,000 keys, every one newer: about 10 MB of rows through a
     * 5.6 MB data batch. The rows they replace are reclaimed (compactions) instead of the
     * batch filling up, and the dedup entries follow their rows: one live row per key. */
    CHECK_INT(u.stats.compactions, 0);
    allocations = 0;
    counting = 1;
    for (int i = 0; i < 10 * RECORDS; i++) {
        char line[128];
        int k = 10 + i % KEYS;
        snprintf(
            line, sizeof(line),
            "{\"id\":%d,\"name\":\"user %d\",\"signup_ts\":\"2027-01-01T%02d:%02d:%02d.%06dZ\"}", k,
            i, i / 3600000, i / 60000 % 60, i / 1000 % 60, i % 1000);
        other += add(&u, &dec, &row, line) != FLOE_UPSERT_ADDED;
    }
    counting = 0;
    CHECK_INT(allocations, 0);
    CHECK_INT(other, 0);
    CHECK(u.stats.compactions >= 1);
    CHECK_INT(floe_batch_rows(u.data), KEYS);
    /* What the batch would write: KEYS rows, none older than the last round's first record
     * (i = 198,000: 2027-01-01T00:03:18Z) — so exactly each key's last version, which a
     * reference left pointing at the wrong row after a compaction would break. */
    uint64_t written = 0;
    int64_t oldest = INT64_MAX;
    for (uint32_t pi = 0; pi < floe_batch_partitions(u.data); pi++) {
        struct pq_writer *w = NULL;
        struct pq_file_metrics fm;
        struct pq_column_metrics cm;
        CHECK_INT(pq_writer_init(u.data_w.cols, (uint32_t)u.data_w.nfile_cols, &u.data_w.opt,
                                 u.data_w.ws[0], u.data_w.ws_size, discard, NULL, &w),
                  0);
        CHECK_INT(floe_batch_write(u.data, pi, w), 0);
        CHECK_INT(pq_close(w), 0);
        CHECK_INT(pq_file_metrics(w, &fm), 0);
        CHECK_INT(pq_column_metrics(w, 2, &cm), 0); /* signup_ts */
        written += fm.rows;
        if (fm.rows > 0) {
            int64_t lower;
            CHECK(cm.has_lower && cm.lower_len == 8);
            memcpy(&lower, cm.lower, 8);
            oldest = lower < oldest ? lower : oldest;
        }
    }
    CHECK_INT(written, KEYS);
    CHECK_INT(oldest, (int64_t)1798761798 * 1000000);
    CHECK_INT(floe_upsert_commit(&u, NULL, 0, &id), 0);
    CHECK_INT(add(&u, &dec, &row,
                  "{\"id\":10,\"name\":\"user 198000\","
                  "\"signup_ts\":\"2027-01-01T00:03:18.000000Z\"}"),
              FLOE_UPSERT_STALE); /* key 10's last version (i = 198000) */
    floe_upsert_free(&u);

    /* A restart: the state saved with the last commit is loaded, exact. */
    CHECK_INT(floe_upsert_init(&u, cfg, &t, cfg->limits.memory - cfg->dedup.memory), 0);
    CHECK_INT(u.dedup.live, KEYS + 1);
    CHECK(u.dedup.complete);
    CHECK_INT(add(&u, &dec, &row, v3), FLOE_UPSERT_STALE);
    /* Deleting a key forgets it; a key that does not parse is refused. */
    char why[128];
    CHECK_INT(floe_upsert_delete(&u, "1", 1, why, sizeof(why)), 0);
    CHECK(floe_upsert_delete(&u, "x1", 2, why, sizeof(why)) == -EINVAL &&
          strstr(why, "not a long key"));
    CHECK_INT(add(&u, &dec, &row, v0), FLOE_UPSERT_ADDED);
    floe_upsert_free(&u);
    floe_table_close(&t);
    floe_config_free(cfg);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_hash();
    test_write_path();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", dir);
    }
    return check_done();
}
