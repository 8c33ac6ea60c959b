/* test_store_s3.c — the S3 store (store_s3.c) and the file catalog on it, over a stand-in for
 * the S3 client's blocking facade (fake_s3_sync.c): s3:// locations in and out, the
 * conditional put as the catalog's commit (412 → a lost race, 409 retried and then reported as
 * a lost race), loading by hint, by probing past it and by listing, and data files spooled to
 * agent.state_dir/tmp and uploaded on close (the spool removed on close and on abort). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog.h"
#include "check.h"
#include "fake_s3_sync.h"
#include "fsutil.h"
#include "store.h"

static char root[] = "/tmp/floe-test-store-s3-XXXXXX";

static char *object(const char *key)
{
    char path[4200];
    char *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/lake/%s", fake_s3.root, key);
    return floe_read_file(path, 1 << 20, &data, &len) == 0 ? data : NULL;
}

static int count;

static int on_object(void *arg, const char *location, uint64_t size)
{
    const char *want = arg;
    (void)size;
    if (strncmp(location, want, strlen(want)) != 0) {
        fprintf(stderr, "listed %s outside %s\n", location, want);
        return -EINVAL;
    }
    count++;
    return 0;
}

static void test_objects(struct floe_store *s)
{
    char err[256] = "";
    char *data = NULL;
    size_t len = 0;
    uint64_t size = 0;
    CHECK(!floe_store_is_local(s));
    CHECK_INT(floe_store_put(s, "s3://lake/wh/a/obj", "hello", 5, FLOE_STORE_EXCL, err,
                             sizeof(err)), 0);
    CHECK_INT(floe_store_put(s, "s3://lake/wh/a/obj", "other", 5, FLOE_STORE_EXCL, err,
                             sizeof(err)), -EEXIST);
    CHECK_INT(floe_store_get(s, "s3://lake/wh/a/obj", 64, &data, &len, err, sizeof(err)), 0);
    CHECK_STR(data, "hello");
    free(data);
    data = NULL;
    CHECK_INT(floe_store_get(s, "s3://lake/wh/a/none", 64, &data, &len, err, sizeof(err)),
              -ENOENT);
    CHECK_INT(floe_store_size(s, "s3://lake/wh/a/obj", &size, err, sizeof(err)), 0);
    CHECK_INT(size, 5);
    CHECK_INT(floe_store_size(s, "s3://lake/wh/a/none", &size, err, sizeof(err)), -ENOENT);
    /* Not an s3:// location: refused with a reason, before any request. */
    int puts = fake_s3.puts;
    err[0] = '\0';
    CHECK_INT(floe_store_put(s, "/local/path", "x", 1, 0, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "s3://") != NULL);
    CHECK_INT(fake_s3.puts, puts);

    CHECK_INT(floe_store_put(s, "s3://lake/wh/a/b/c", "1", 1, 0, err, sizeof(err)), 0);
    CHECK_INT(floe_store_put(s, "s3://lake/wh/ab", "2", 1, 0, err, sizeof(err)), 0);
    count = 0;
    CHECK_INT(floe_store_list(s, "s3://lake/wh/a/", on_object, "s3://lake/wh/a/", err,
                              sizeof(err)), 0);
    CHECK_INT(count, 2);
    count = 0;
    CHECK_INT(floe_store_list(s, "s3://lake/wh/a", on_object, "s3://lake/wh/a", err,
                              sizeof(err)), 0);
    CHECK_INT(count, 3);
    const char *doomed[] = {"s3://lake/wh/a/obj", "s3://lake/wh/a/b/c", "s3://lake/wh/zz"};
    size_t deleted = 0;
    int calls = fake_s3.delete_calls;
    CHECK_INT(floe_store_delete(s, doomed, 3, &deleted, err, sizeof(err)), 0);
    CHECK_INT(deleted, 3);
    CHECK_INT(fake_s3.delete_calls, calls + 1); /* one request for one bucket */
    count = 0;
    CHECK_INT(floe_store_list(s, "s3://lake/wh/a", on_object, "s3://lake/wh/a", err,
                              sizeof(err)), 0);
    CHECK_INT(count, 1); /* wh/ab is left */
    CHECK_INT(floe_store_sync(s, "s3://lake/wh", err, sizeof(err)), 0);
}

static void test_writer(struct floe_store *s)
{
    char err[256] = "", spool_dir[4200];
    struct floe_store_writer *w = NULL;
    snprintf(spool_dir, sizeof(spool_dir), "%s/state/tmp", root);
    CHECK_INT(floe_store_writer_open(s, "s3://lake/wh/t/data/x=1/f.parquet", 0, &w, err,
                                     sizeof(err)), 0);
    CHECK_INT(floe_store_writer_write(w, "PAR1", 4), 0);
    CHECK_INT(floe_store_writer_sink(w, (const uint8_t *)"data", 4), 0);
    CHECK(object("wh/t/data/x=1/f.parquet") == NULL); /* nothing visible before close */
    CHECK_INT(floe_store_writer_close(w, err, sizeof(err)), 0);
    char *text = object("wh/t/data/x=1/f.parquet");
    CHECK_STR(text, "PAR1data");
    free(text);
    /* Spooled under agent.state_dir/tmp, and removed after the upload. */
    CHECK(strncmp(fake_s3.last_spool, spool_dir, strlen(spool_dir)) == 0);
    CHECK(access(fake_s3.last_spool, F_OK) != 0);
    /* Abort: no upload, no spool. */
    int uploads = fake_s3.put_files;
    CHECK_INT(floe_store_writer_open(s, "s3://lake/wh/t/data/x=1/g.parquet", 0, &w, err,
                                     sizeof(err)), 0);
    CHECK_INT(floe_store_writer_write(w, "zz", 2), 0);
    floe_store_writer_abort(w);
    CHECK_INT(fake_s3.put_files, uploads);
    CHECK(object("wh/t/data/x=1/g.parquet") == NULL);
    char cmd[4300];
    snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A '%s')\"", spool_dir);
    CHECK_INT(system(cmd), 0);
}

static void expect_load(struct floe_catalog *cat, int64_t version, const char *text)
{
    char *got = NULL, *loc = NULL, want[256];
    size_t len = 0;
    int64_t v = -1;
    CHECK_INT(cat->ops->load(cat, &got, &len, &v, &loc), 0);
    CHECK_INT(v, version);
    CHECK_STR(got, text);
    snprintf(want, sizeof(want), "s3://lake/wh/db/t/metadata/v%lld.metadata.json",
             (long long)version);
    CHECK_STR(loc, want);
    free(got);
    free(loc);
}

static int commit(struct floe_catalog *cat, int64_t version, const char *text)
{
    char *loc = NULL;
    int rc = cat->ops->commit(cat, version, text, strlen(text), &loc);
    free(loc);
    return rc;
}

static void test_catalog(struct floe_store *s)
{
    struct floe_catalog *cat = NULL;
    CHECK_INT(floe_catalog_store_open(s, "/local/wh", "db", "t", &cat), -EINVAL);
    CHECK_INT(floe_catalog_store_open(s, "s3://lake/wh//", "db", "t", &cat), 0);
    if (!cat) {
        return;
    }
    CHECK_STR(cat->table_dir, "s3://lake/wh/db/t");
    char *text = NULL, *loc = NULL;
    size_t len = 0;
    int64_t v = 0;
    CHECK_INT(cat->ops->load(cat, &text, &len, &v, &loc), -ENOENT);

    CHECK_INT(commit(cat, 1, "{\"v\":1}"), 0);
    char *hint = object("wh/db/t/metadata/version-hint.text");
    CHECK_STR(hint, "1");
    free(hint);
    expect_load(cat, 1, "{\"v\":1}");
    /* 412: someone committed v1 first. */
    CHECK_INT(commit(cat, 1, "{\"v\":\"late\"}"), -EEXIST);
    CHECK(cat->err && strstr(cat->err, "another writer") != NULL);

    /* 409 twice, then the same put goes through. */
    int puts = fake_s3.puts;
    fake_s3.conflicts = 2;
    CHECK_INT(commit(cat, 2, "{\"v\":2}"), 0);
    CHECK_INT(fake_s3.puts - puts, 3 + 1); /* three tries of v2, then the hint */
    expect_load(cat, 2, "{\"v\":2}");
    /* 409 that persists: reported as a lost race; nothing written. */
    fake_s3.conflicts = 1000;
    CHECK_INT(commit(cat, 3, "{\"v\":3}"), -EEXIST);
    fake_s3.conflicts = 0;
    CHECK(object("wh/db/t/metadata/v3.metadata.json") == NULL);

    /* Past a stale hint: v3 committed by a writer that did not update the hint. */
    char path[4200];
    snprintf(path, sizeof(path), "%s/lake/wh/db/t/metadata/v3.metadata.json", fake_s3.root);
    CHECK_INT(floe_write_file_atomic(path, "{\"v\":3}", 7), 0);
    expect_load(cat, 3, "{\"v\":3}");
    /* No hint: the listing finds the highest version (v10 > v9, numerically). */
    snprintf(path, sizeof(path), "%s/lake/wh/db/t/metadata/version-hint.text", fake_s3.root);
    unlink(path);
    snprintf(path, sizeof(path), "%s/lake/wh/db/t/metadata/v10.metadata.json", fake_s3.root);
    CHECK_INT(floe_write_file_atomic(path, "{\"v\":10}", 8), 0);
    snprintf(path, sizeof(path), "%s/lake/wh/db/t/metadata/v9.metadata.json", fake_s3.root);
    CHECK_INT(floe_write_file_atomic(path, "{\"v\":9}", 7), 0);
    int lists = fake_s3.lists;
    expect_load(cat, 10, "{\"v\":10}");
    CHECK_INT(fake_s3.lists, lists + 1);
    /* A hint naming a missing version: listing again. */
    CHECK_INT(floe_write_file_atomic(path, "{\"v\":9}", 7), 0);
    snprintf(path, sizeof(path), "%s/lake/wh/db/t/metadata/version-hint.text", fake_s3.root);
    CHECK_INT(floe_write_file_atomic(path, "42", 2), 0);
    expect_load(cat, 10, "{\"v\":10}");
    floe_catalog_free(cat);
}

int main(void)
{
    struct floe_store *s = NULL;
    struct floe_config cfg;
    char err[256] = "", state[4200];
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(fake_s3.root, sizeof(fake_s3.root), "%s/s3", root);
    snprintf(state, sizeof(state), "%s/state", root);
    memset(&cfg, 0, sizeof(cfg));
    cfg.agent.state_dir = state;
    CHECK_INT(floe_store_open(&cfg, "s3://lake/wh", &s, err, sizeof(err)), 0);
    CHECK_INT(fake_s3.opened, 1);
    if (s) {
        test_objects(s);
        test_writer(s);
        test_catalog(s);
        floe_store_close(s);
        CHECK_INT(fake_s3.closed, 1);
    }
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", root);
    }
    return check_done();
}
