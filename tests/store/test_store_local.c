/* test_store_local.c — the local store (store.h): exclusive and replacing puts (also between
 * racing processes), reads with a size cap, sizes, listings by prefix, deletes, streamed
 * writers (close, abort, O_EXCL), locations given as file: URIs, and the choice of store by
 * the warehouse's scheme. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog.h"
#include "check.h"
#include "fsutil.h"
#include "store.h"

static char root[] = "/tmp/floe-test-store-XXXXXX";

static const char *at(const char *rel)
{
    static char buf[8][4096];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, 4096, "%s/%s", root, rel);
    return p;
}

static char *slurp(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    return floe_read_file(path, 1 << 20, &data, &len) == 0 ? data : NULL;
}

/* Entries in dir (".", ".." excluded), to see that no temporary file is left behind. */
static int entries(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 0 && exit 0; exit $(ls -A '%s' | wc -l)",
             dir, dir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_open(void)
{
    struct floe_store *s = NULL;
    struct floe_config cfg;
    char err[256] = "";
    memset(&cfg, 0, sizeof(cfg));
    CHECK_INT(floe_store_open(&cfg, "/some/path", &s, err, sizeof(err)), 0);
    CHECK(s && floe_store_is_local(s));
    floe_store_close(s);
    s = NULL;
    CHECK_INT(floe_store_open(&cfg, "file:///some/path", &s, err, sizeof(err)), 0);
    CHECK(s && floe_store_is_local(s));
    floe_store_close(s);
    s = NULL;
    CHECK_INT(floe_store_open(&cfg, "gs://bucket/x", &s, err, sizeof(err)), -EINVAL);
    CHECK(s == NULL);
    CHECK(strstr(err, "unknown scheme") != NULL);
    floe_store_close(NULL);

    /* A catalog refuses a warehouse its store does not hold. */
    struct floe_catalog *cat = NULL;
    CHECK_INT(floe_store_open_local(&s), 0);
    CHECK_INT(floe_catalog_store_open(s, "s3://bucket/wh", "db", "t", &cat), -EINVAL);
    CHECK_INT(floe_catalog_store_open(s, "/wh//", "db.a", "t", &cat), 0);
    CHECK_STR(cat->table_dir, "/wh/db/a/t");
    floe_catalog_free(cat);
    floe_store_close(s);
}

static void test_put_get(struct floe_store *s)
{
    char err[256] = "";
    char *data = NULL;
    size_t len = 0;
    uint64_t size = 0;
    const char *obj = at("a/b/c/v1.metadata.json");

    /* Exclusive: creates the parents, then refuses to replace. */
    CHECK_INT(floe_store_put(s, obj, "first", 5, FLOE_STORE_EXCL, err, sizeof(err)), 0);
    err[0] = '\0';
    CHECK_INT(floe_store_put(s, obj, "second!", 7, FLOE_STORE_EXCL, err, sizeof(err)), -EEXIST);
    CHECK(strstr(err, "exists") != NULL);
    char *text = slurp(obj);
    CHECK_STR(text, "first");
    free(text);
    CHECK_INT(entries(at("a/b/c")), 1); /* no temporary file left */

    /* Plain put replaces, by rename. */
    const char *hint = at("a/b/c/version-hint.text");
    CHECK_INT(floe_store_put(s, hint, "1", 1, 0, err, sizeof(err)), 0);
    CHECK_INT(floe_store_put(s, hint, "12", 2, 0, err, sizeof(err)), 0);
    text = slurp(hint);
    CHECK_STR(text, "12");
    free(text);
    CHECK_INT(entries(at("a/b/c")), 2);

    /* Get: NUL-terminated, capped, missing. A file: URI names the same file. */
    char uri[4200];
    snprintf(uri, sizeof(uri), "file://%s", obj);
    CHECK_INT(floe_store_get(s, uri, 64, &data, &len, err, sizeof(err)), 0);
    CHECK_INT(len, 5);
    CHECK(data && data[5] == '\0');
    CHECK_STR(data, "first");
    free(data);
    data = NULL;
    CHECK_INT(floe_store_get(s, obj, 4, &data, &len, err, sizeof(err)), -EFBIG);
    CHECK(data == NULL);
    CHECK_INT(floe_store_get(s, at("a/missing"), 64, &data, &len, err, sizeof(err)), -ENOENT);
    CHECK(data == NULL);

    /* Size: files only. */
    CHECK_INT(floe_store_size(s, obj, &size, err, sizeof(err)), 0);
    CHECK_INT(size, 5);
    CHECK_INT(floe_store_size(s, at("a/missing"), &size, err, sizeof(err)), -ENOENT);
    CHECK_INT(floe_store_size(s, at("a/b"), &size, err, sizeof(err)), -ENOENT);

    /* A put where a directory is needed but a file is: an error with a reason. */
    err[0] = '\0';
    CHECK(floe_store_put(s, at("a/b/c/v1.metadata.json/x"), "x", 1, 0, err, sizeof(err)) < 0);
    CHECK(err[0] != '\0');
}

/* Exclusive puts of one name from several processes at once: exactly one wins. */
static void test_race(struct floe_store *s)
{
    enum { N = 8 };
    pid_t pids[N];
    const char *obj = at("race/metadata/v2.metadata.json");
    char body[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(body[i], sizeof(body[i]), "writer %d", i);
        pids[i] = fork();
        if (pids[i] == 0) {
            char err[256];
            int rc = floe_store_put(s, obj, body[i], strlen(body[i]), FLOE_STORE_EXCL, err,
                                    sizeof(err));
            _exit(rc == 0 ? 0 : rc == -EEXIST ? 1 : 2);
        }
    }
    int won = 0, lost = 0;
    for (int i = 0; i < N; i++) {
        int st = 0;
        waitpid(pids[i], &st, 0);
        won += WIFEXITED(st) && WEXITSTATUS(st) == 0;
        lost += WIFEXITED(st) && WEXITSTATUS(st) == 1;
    }
    CHECK_INT(won, 1);
    CHECK_INT(lost, N - 1);
    char *text = slurp(obj);
    CHECK(text && strncmp(text, "writer ", 7) == 0);
    free(text);
    CHECK_INT(entries(at("race/metadata")), 1);
}

struct seen {
    char names[16][4096];
    uint64_t sizes[16];
    int n;
    int stop_after;
};

static int on_object(void *arg, const char *location, uint64_t size)
{
    struct seen *s = arg;
    if (s->n < 16) {
        snprintf(s->names[s->n], sizeof(s->names[0]), "%s", location);
        s->sizes[s->n] = size;
    }
    s->n++;
    return s->stop_after && s->n >= s->stop_after ? -ECANCELED : 0;
}

static bool seen_has(const struct seen *s, const char *location, uint64_t size)
{
    for (int i = 0; i < s->n && i < 16; i++) {
        if (strcmp(s->names[i], location) == 0) {
            return s->sizes[i] == size;
        }
    }
    return false;
}

static void test_list_delete(struct floe_store *s)
{
    char err[256] = "";
    const char *files[] = {"t/metadata/v1.metadata.json", "t/metadata/v10.metadata.json",
                           "t/metadata/version-hint.text", "t/metadata/snap-1.avro",
                           "t/data/day=2024-01-01/a.parquet", "t/data/day=2024-01-02/b.parquet",
                           "t/datum.txt"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        CHECK_INT(floe_store_put(s, at(files[i]), files[i], strlen(files[i]), 0, err,
                                 sizeof(err)), 0);
    }
    /* A prefix that ends inside a name. */
    struct seen seen = {0};
    CHECK_INT(floe_store_list(s, at("t/metadata/v"), on_object, &seen, err, sizeof(err)), 0);
    CHECK_INT(seen.n, 3);
    CHECK(seen_has(&seen, at(files[0]), strlen(files[0])));
    CHECK(seen_has(&seen, at(files[1]), strlen(files[1])));
    CHECK(seen_has(&seen, at(files[2]), strlen(files[2])));
    /* A directory prefix walks the directories below it; "data" also matches "datum.txt". */
    memset(&seen, 0, sizeof(seen));
    CHECK_INT(floe_store_list(s, at("t/data/"), on_object, &seen, err, sizeof(err)), 0);
    CHECK_INT(seen.n, 2);
    CHECK(seen_has(&seen, at(files[4]), strlen(files[4])));
    memset(&seen, 0, sizeof(seen));
    CHECK_INT(floe_store_list(s, at("t/dat"), on_object, &seen, err, sizeof(err)), 0);
    CHECK_INT(seen.n, 3);
    CHECK(seen_has(&seen, at(files[6]), strlen(files[6])));
    /* Nothing there: an empty listing. A callback's error stops it. */
    memset(&seen, 0, sizeof(seen));
    CHECK_INT(floe_store_list(s, at("nowhere/x/"), on_object, &seen, err, sizeof(err)), 0);
    CHECK_INT(seen.n, 0);
    seen.stop_after = 1;
    CHECK_INT(floe_store_list(s, at("t/"), on_object, &seen, err, sizeof(err)), -ECANCELED);
    CHECK_INT(seen.n, 1);

    /* Delete: counts what existed, missing ones are no error. */
    const char *doomed[] = {at(files[0]), at(files[1]), at("t/metadata/never-there")};
    size_t deleted = 99;
    CHECK_INT(floe_store_delete(s, doomed, 3, &deleted, err, sizeof(err)), 0);
    CHECK_INT(deleted, 2);
    memset(&seen, 0, sizeof(seen));
    CHECK_INT(floe_store_list(s, at("t/metadata/v"), on_object, &seen, err, sizeof(err)), 0);
    CHECK_INT(seen.n, 1);
    CHECK_INT(floe_store_delete(s, doomed, 0, &deleted, err, sizeof(err)), 0);
    CHECK_INT(deleted, 0);
    CHECK_INT(floe_store_sync(s, at("t"), err, sizeof(err)), 0);
    CHECK(floe_store_sync(s, at("no-such-dir"), err, sizeof(err)) < 0);
}

static void test_writer(struct floe_store *s)
{
    char err[256] = "";
    struct floe_store_writer *w = NULL;
    const char *obj = at("w/data/x=1/f.parquet");
    CHECK_INT(floe_store_writer_open(s, obj, FLOE_STORE_SYNC, &w, err, sizeof(err)), 0);
    CHECK_INT(floe_store_writer_write(w, "abc", 3), 0);
    CHECK_INT(floe_store_writer_sink(w, (const uint8_t *)"def", 3), 0);
    CHECK_INT(floe_store_writer_close(w, err, sizeof(err)), 0);
    char *text = slurp(obj);
    CHECK_STR(text, "abcdef");
    free(text);
    /* The name must be new. */
    w = NULL;
    CHECK_INT(floe_store_writer_open(s, obj, 0, &w, err, sizeof(err)), -EEXIST);
    CHECK(w == NULL);
    /* Abort removes what was written. */
    const char *dropped = at("w/data/x=1/g.parquet");
    CHECK_INT(floe_store_writer_open(s, dropped, 0, &w, err, sizeof(err)), 0);
    CHECK_INT(floe_store_writer_write(w, "zzz", 3), 0);
    floe_store_writer_abort(w);
    floe_store_writer_abort(NULL);
    CHECK(access(dropped, F_OK) != 0);
    CHECK_INT(entries(at("w/data/x=1")), 1);
    /* Writes of every size around the writer's 64 KiB buffer come out whole and in order. */
    static const size_t sizes[] = {1, 65535, 1, 65536, 7, 200000, 3, 65529, 65536, 13};
    size_t total = 0, n = sizeof(sizes) / sizeof(sizes[0]);
    for (size_t i = 0; i < n; i++) {
        total += sizes[i];
    }
    uint8_t *want = malloc(total), *chunk = want;
    const char *big = at("w/data/x=2/big.parquet");
    CHECK_INT(floe_store_writer_open(s, big, 0, &w, err, sizeof(err)), 0);
    for (size_t i = 0, at_byte = 0; want && w && i < n; i++) {
        for (size_t b = 0; b < sizes[i]; b++) {
            chunk[b] = (uint8_t)((at_byte + b) * 131 + i);
        }
        CHECK_INT(floe_store_writer_write(w, chunk, sizes[i]), 0);
        chunk += sizes[i];
        at_byte += sizes[i];
    }
    CHECK_INT(floe_store_writer_close(w, err, sizeof(err)), 0);
    FILE *f = fopen(big, "rb");
    uint8_t *got = malloc(total + 1);
    size_t len = f && got ? fread(got, 1, total + 1, f) : 0;
    CHECK_INT(len, total);
    CHECK(want && got && memcmp(want, got, total) == 0);
    if (f) {
        fclose(f);
    }
    free(want);
    free(got);
}

int main(void)
{
    struct floe_store *s = NULL;
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_open();
    CHECK_INT(floe_store_open_local(&s), 0);
    if (s) {
        test_put_get(s);
        test_race(s);
        test_list_delete(s);
        test_writer(s);
        floe_store_close(s);
    }
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", root);
    }
    return check_done();
}
