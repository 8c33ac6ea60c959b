/* fake_s3_sync.c — a stand-in for the S3 client's blocking facade (s3.h, floe_s3_sync_*) over
 * a local directory, so that the S3 store and the catalog on it can be tested without a
 * server: objects are files <root>/<bucket>/<key>, a conditional put is O_EXCL, and the test
 * can make the next conditional puts answer 409 (ConditionalRequestConflict). Only the calls
 * store_s3.c makes are here; the real client is tested against moto in tests/s3 and
 * tests/store/test_s3_table.py.
 */
#define _GNU_SOURCE
#include "fake_s3_sync.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "s3.h"

struct fake_s3 fake_s3;

struct floe_s3_sync {
    int unused;
};

static void object_path(const char *bucket, const char *key, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s/%s/%s", fake_s3.root, bucket, key);
    if (n < 0 || (size_t)n >= cap) {
        buf[0] = '\0'; /* too long for the test: no such object */
    }
}

static int make_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
    }
    return floe_mkdirs(dir, 0755);
}

int floe_s3_parse_uri(const char *uri, char *bucket, size_t bcap, const char **key)
{
    if (strncmp(uri, "s3://", 5) != 0) {
        return -EINVAL;
    }
    const char *b = uri + 5, *slash = strchr(b, '/');
    size_t n = slash ? (size_t)(slash - b) : strlen(b);
    if (n == 0 || n >= bcap) {
        return -EINVAL;
    }
    memcpy(bucket, b, n);
    bucket[n] = '\0';
    *key = slash ? slash + 1 : b + n;
    return 0;
}

int floe_s3_sync_open(const struct floe_config *cfg, struct floe_s3_sync **out, char *err,
                      size_t cap)
{
    (void)cfg, (void)err, (void)cap;
    *out = calloc(1, sizeof(**out));
    fake_s3.opened++;
    return *out ? 0 : -ENOMEM;
}

void floe_s3_sync_stats(const struct floe_s3_sync *s, struct floe_s3_stats *out)
{
    (void)s;
    memset(out, 0, sizeof(*out));
    out->requests = (uint64_t)(fake_s3.puts + fake_s3.put_files + fake_s3.gets + fake_s3.heads +
                               fake_s3.lists + fake_s3.delete_calls);
}

void floe_s3_sync_close(struct floe_s3_sync *s)
{
    if (s) {
        fake_s3.closed++;
    }
    free(s);
}

int floe_s3_sync_put(struct floe_s3_sync *s, const char *bucket, const char *key,
                     const uint8_t *data, size_t len, unsigned flags, char *err, size_t cap)
{
    char path[4096];
    (void)s;
    fake_s3.puts++;
    object_path(bucket, key, path, sizeof(path));
    if (make_parent(path) < 0) {
        snprintf(err, cap, "NoSuchBucket");
        return -EIO;
    }
    if (flags & FLOE_S3_IF_NONE_MATCH) {
        if (fake_s3.conflicts > 0) {
            fake_s3.conflicts--;
            snprintf(err, cap, "409 ConditionalRequestConflict");
            return -EAGAIN;
        }
        int rc = floe_create_file_excl(path, data, len);
        if (rc == -EEXIST) {
            snprintf(err, cap, "412 PreconditionFailed");
        }
        return rc;
    }
    return floe_write_file_atomic(path, data, len);
}

int floe_s3_sync_put_file(struct floe_s3_sync *s, const char *bucket, const char *key,
                          const char *path, unsigned flags, char *err, size_t cap)
{
    char *data = NULL;
    size_t len = 0;
    int rc = floe_read_file(path, 1u << 30, &data, &len);
    if (rc < 0) {
        return rc;
    }
    fake_s3.put_files++;
    snprintf(fake_s3.last_spool, sizeof(fake_s3.last_spool), "%s", path);
    rc = floe_s3_sync_put(s, bucket, key, (const uint8_t *)data, len, flags, err, cap);
    free(data);
    return rc;
}

int floe_s3_sync_get(struct floe_s3_sync *s, const char *bucket, const char *key, size_t max,
                     uint8_t **data, size_t *len, char *err, size_t cap)
{
    char path[4096];
    char *text = NULL;
    (void)s;
    fake_s3.gets++;
    object_path(bucket, key, path, sizeof(path));
    int rc = floe_read_file(path, max, &text, len);
    if (rc == -ENOENT) {
        snprintf(err, cap, "404 NoSuchKey");
    }
    *data = (uint8_t *)text;
    return rc;
}

int floe_s3_sync_head(struct floe_s3_sync *s, const char *bucket, const char *key,
                      uint64_t *size, char *err, size_t cap)
{
    char path[4096];
    struct stat st;
    (void)s, (void)err, (void)cap;
    fake_s3.heads++;
    object_path(bucket, key, path, sizeof(path));
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
        return -ENOENT;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

static int walk(const char *dir, size_t base, const char *prefix, floe_s3_list_fn fn, void *arg)
{
    DIR *d = opendir(dir);
    if (!d) {
        return 0;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.') {
            continue;
        }
        int n = snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (n < 0 || (size_t)n >= sizeof(path) || stat(path, &st) < 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = walk(path, base, prefix, fn, arg);
        } else if (strncmp(path + base, prefix, strlen(prefix)) == 0) {
            rc = fn(arg, path + base, (uint64_t)st.st_size);
        }
    }
    closedir(d);
    return rc;
}

int floe_s3_sync_list(struct floe_s3_sync *s, const char *bucket, const char *prefix,
                      floe_s3_list_fn fn, void *arg, char *err, size_t cap)
{
    char dir[4096];
    (void)s, (void)err, (void)cap;
    fake_s3.lists++;
    int n = snprintf(dir, sizeof(dir), "%s/%s", fake_s3.root, bucket);
    return walk(dir, (size_t)n + 1, prefix ? prefix : "", fn, arg);
}

int floe_s3_sync_delete(struct floe_s3_sync *s, const char *bucket, const char *const *keys,
                        size_t n, char *err, size_t cap)
{
    (void)s, (void)err, (void)cap;
    fake_s3.delete_calls++;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        object_path(bucket, keys[i], path, sizeof(path));
        unlink(path);
    }
    return 0;
}
