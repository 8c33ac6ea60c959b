/* test_catalog.c — the file catalog: layout and paths, exclusive commits (also between racing
 * processes), the version hint written exactly as "N", and loading past a stale, corrupt,
 * missing or too-far hint. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "catalog.h"
#include "check.h"
#include "fsutil.h"

static char root[] = "/tmp/floe-test-catalog-XXXXXX";

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    return floe_read_file(path, 1 << 20, &data, &len) == 0 ? data : NULL;
}

static int commit(struct floe_catalog *cat, int64_t version, const char *text)
{
    char *loc = NULL;
    int rc = cat->ops->commit(cat, version, text, strlen(text), &loc);
    free(loc);
    return rc;
}

/* Loads and checks version and text. */
static void expect_load(struct floe_catalog *cat, int64_t version, const char *text)
{
    char *got = NULL, *loc = NULL;
    size_t len = 0;
    int64_t v = -1;
    int rc = cat->ops->load(cat, &got, &len, &v, &loc);
    CHECK_INT(rc, 0);
    CHECK_INT(v, version);
    CHECK_STR(got, text);
    char want[4096];
    floe_catalog_file_path(cat, version, want, sizeof(want));
    CHECK_STR(loc, want);
    free(got);
    free(loc);
}

static void test_open(void)
{
    struct floe_catalog *cat = NULL;
    char want[4200];
    CHECK_INT(floe_catalog_file_open("s3://bucket/wh", "db", "t", &cat), -EINVAL);
    CHECK_INT(floe_catalog_file_open("file:///wh/", "db.sales", "t", &cat), 0);
    CHECK_STR(cat->table_dir, "/wh/db/sales/t");
    floe_catalog_free(cat);
    CHECK_INT(floe_catalog_file_open("rel/wh", "db", "t", &cat), 0);
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    snprintf(want, sizeof(want), "%s/rel/wh/db/t", cwd);
    CHECK_STR(cat->table_dir, want);
    floe_catalog_free(cat);
}

static void test_commit_and_hint(void)
{
    struct floe_catalog *cat = NULL;
    char path[4096], hint[4096];
    char *text = NULL, *loc = NULL;
    size_t len;
    int64_t v;
    CHECK_INT(floe_catalog_file_open(root, "db", "users", &cat), 0);
    CHECK_INT(cat->ops->load(cat, &text, &len, &v, &loc), -ENOENT);
    CHECK(cat->err && strstr(cat->err, "no table at"));

    CHECK_INT(commit(cat, 1, "{\"v\":1}"), 0);
    snprintf(hint, sizeof(hint), "%s/metadata/version-hint.text", cat->table_dir);
    char *h = slurp(hint);
    CHECK_STR(h, "1"); /* exactly N, no newline */
    free(h);
    expect_load(cat, 1, "{\"v\":1}");

    /* The same version again: refused, the committed file untouched. */
    CHECK_INT(commit(cat, 1, "{\"v\":\"other\"}"), -EEXIST);
    floe_catalog_file_path(cat, 1, path, sizeof(path));
    char *kept = slurp(path);
    CHECK_STR(kept, "{\"v\":1}");
    free(kept);

    CHECK_INT(commit(cat, 2, "{\"v\":2}"), 0);
    expect_load(cat, 2, "{\"v\":2}");

    /* A stale hint: loading probes past it. */
    put(hint, "1");
    expect_load(cat, 2, "{\"v\":2}");
    /* A hint with a newline (written by other tools) is still read. */
    put(hint, "2\n");
    expect_load(cat, 2, "{\"v\":2}");
    /* Corrupt, too far ahead, or missing: the directory is listed. */
    put(hint, "two");
    expect_load(cat, 2, "{\"v\":2}");
    put(hint, "9");
    expect_load(cat, 2, "{\"v\":2}");
    unlink(hint);
    expect_load(cat, 2, "{\"v\":2}");
    /* Listing ignores names that are not v<N>.metadata.json. */
    char other[4200];
    snprintf(other, sizeof(other), "%s/metadata/v10.metadata.json.tmp", cat->table_dir);
    put(other, "x");
    snprintf(other, sizeof(other), "%s/metadata/00003-abc.metadata.json", cat->table_dir);
    put(other, "x");
    expect_load(cat, 2, "{\"v\":2}");
    /* No temporary files are left by commits. */
    snprintf(other, sizeof(other), "ls %s/metadata | grep -c '\\.tmp$' | grep -qx 1",
             cat->table_dir);
    CHECK_INT(system(other), 0); /* only the one planted above */
    CHECK_INT(commit(cat, 0, "{}"), -EINVAL);
    floe_catalog_free(cat);
}

/* Eight processes race to commit version 3: exactly one wins. */
static void test_race(void)
{
    struct floe_catalog *cat = NULL;
    CHECK_INT(floe_catalog_file_open(root, "db", "race", &cat), 0);
    CHECK_INT(commit(cat, 1, "{\"v\":1}"), 0);
    CHECK_INT(commit(cat, 2, "{\"v\":2}"), 0);
    pid_t pids[8];
    for (int i = 0; i < 8; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char text[32];
            snprintf(text, sizeof(text), "{\"writer\":%d}", i);
            _exit(commit(cat, 3, text) == 0 ? 0 : 1);
        }
    }
    int winners = 0;
    for (int i = 0; i < 8; i++) {
        int status = 0;
        waitpid(pids[i], &status, 0);
        winners += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    CHECK_INT(winners, 1);
    char *text = NULL, *loc = NULL;
    size_t len;
    int64_t v;
    CHECK_INT(cat->ops->load(cat, &text, &len, &v, &loc), 0);
    CHECK_INT(v, 3);
    CHECK(text && strncmp(text, "{\"writer\":", 10) == 0);
    free(text);
    free(loc);
    floe_catalog_free(cat);
}

static void test_fsutil(void)
{
    char path[4200], *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/a/b/c", root);
    CHECK_INT(floe_mkdirs(path, 0755), 0);
    CHECK_INT(floe_mkdirs(path, 0755), 0); /* again: fine */
    snprintf(path, sizeof(path), "%s/a/file", root);
    CHECK_INT(floe_write_file_atomic(path, "hello", 5), 0);
    CHECK_INT(floe_read_file(path, 5, &data, &len), 0);
    CHECK_INT(len, 5);
    CHECK_STR(data, "hello");
    free(data);
    CHECK_INT(floe_read_file(path, 4, &data, &len), -EFBIG);
    CHECK_INT(floe_mkdirs(path, 0755), -ENOTDIR);
    CHECK_INT(floe_create_file_excl(path, "x", 1), -EEXIST);
    snprintf(path, sizeof(path), "%s/a/file/sub/dir", root);
    CHECK_INT(floe_mkdirs(path, 0755), -ENOTDIR); /* a parent is a file */
    snprintf(path, sizeof(path), "%s/d/e/f/", root);
    CHECK_INT(floe_mkdirs(path, 0755), 0); /* three levels missing, a trailing slash */
    snprintf(path, sizeof(path), "%s/d/e/f/g", root);
    CHECK_INT(floe_mkdirs(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/a", root);
    CHECK_INT(floe_read_file(path, 100, &data, &len), -EINVAL); /* a directory */
    snprintf(path, sizeof(path), "%s/missing", root);
    CHECK_INT(floe_read_file(path, 100, &data, &len), -ENOENT);
}

int main(void)
{
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_open();
    test_commit_and_hint();
    test_race();
    test_fsutil();
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", root);
    }
    return check_done();
}
