/* deadletter.c — the dead-letter file (deadletter.h): rejected records with their reasons. */
#include "deadletter.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "parquet.h"

int floe_json_string(char *dst, size_t cap, const uint8_t *s, size_t n)
{
    size_t at = 0;
#define PUT(c)                                                                                   \
    do {                                                                                         \
        if (at + 1 >= cap) {                                                                     \
            return -ENOSPC;                                                                      \
        }                                                                                        \
        dst[at++] = (char)(c);                                                                   \
    } while (0)
    PUT('"');
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            PUT('\\');
            PUT(c);
        } else if (c < 0x20) {
            if (at + 7 >= cap) {
                return -ENOSPC;
            }
            at += (size_t)snprintf(dst + at, cap - at, "\\u%04x", c);
        } else {
            PUT(c);
        }
    }
    PUT('"');
#undef PUT
    dst[at] = '\0';
    return (int)at;
}

static size_t base64(char *dst, const uint8_t *s, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < n) {
            v |= (uint32_t)s[i + 1] << 8;
        }
        if (i + 2 < n) {
            v |= s[i + 2];
        }
        dst[o++] = a[(v >> 18) & 63];
        dst[o++] = a[(v >> 12) & 63];
        dst[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
        dst[o++] = i + 2 < n ? a[v & 63] : '=';
    }
    return o;
}

static void report(struct floe_dead_letter *d, const char *what, int err)
{
    if (!d->failed) {
        fprintf(stderr, "floe: dead letter %s: %s: %s (later errors are not reported)\n",
                d->path, what, strerror(err));
        d->failed = true;
    }
}

int floe_dead_letter_open(struct floe_dead_letter *d, const struct floe_config *cfg)
{
    memset(d, 0, sizeof(*d));
    d->fd = -1;
    const char *file = cfg->dead_letter.file;
    const char *dir = cfg->agent.state_dir;
    if (!file || !*file || (file[0] != '/' && (!dir || !*dir))) {
        return 0; /* none configured */
    }
    size_t cap = strlen(file) + (dir ? strlen(dir) : 0) + 2;
    if (file[0] != '/') {
        int rc = floe_mkdirs(dir, 0750); /* agent.state_dir is created if missing */
        if (rc < 0) {
            fprintf(stderr, "floe: cannot create the state directory %s: %s\n", dir,
                    strerror(-rc));
            return rc;
        }
    }
    d->path = malloc(cap);
    if (!d->path) {
        return -ENOMEM;
    }
    snprintf(d->path, cap, "%s%s%s", file[0] == '/' ? "" : dir, file[0] == '/' ? "" : "/", file);
    d->max_size = cfg->dead_letter.max_size;
    d->fd = open(d->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (d->fd < 0) {
        int err = errno;
        fprintf(stderr, "floe: cannot open the dead letter %s: %s\n", d->path, strerror(err));
        free(d->path);
        d->path = NULL;
        return -err;
    }
    struct stat st;
    d->size = fstat(d->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    return 0;
}

/* Renames the full file to FILE.1 and starts a new one. */
static int rotate(struct floe_dead_letter *d)
{
    size_t cap = strlen(d->path) + 3;
    char *old = malloc(cap);
    if (!old) {
        return -ENOMEM;
    }
    snprintf(old, cap, "%s.1", d->path);
    int rc = rename(d->path, old) < 0 ? -errno : 0;
    free(old);
    if (rc < 0) {
        return rc;
    }
    close(d->fd);
    d->fd = open(d->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    d->size = 0;
    return d->fd < 0 ? -errno : 0;
}

int floe_dead_letter_add(struct floe_dead_letter *d, const char *reason, const char *source_json,
                         const uint8_t *raw, size_t len, uint64_t raw_len)
{
    if (!d->path || d->fd < 0) {
        return 0;
    }
    bool text = raw && pq_utf8_valid(raw, len);
    size_t cap = 256 + strlen(reason) * 6 + strlen(source_json) + (raw ? len * 6 + 8 : 0);
    char *line = malloc(cap);
    if (!line) {
        report(d, "out of memory", ENOMEM);
        return -ENOMEM;
    }
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t at = (size_t)snprintf(line, cap, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\","
                                            "\"reason\":",
                                 (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday,
                                 tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L);
    int n = floe_json_string(line + at, cap - at, (const uint8_t *)reason, strlen(reason));
    at += n > 0 ? (size_t)n : 0;
    at += (size_t)snprintf(line + at, cap - at, ",\"source\":%s", source_json);
    if (raw && text) {
        at += (size_t)snprintf(line + at, cap - at, ",\"record\":");
        n = floe_json_string(line + at, cap - at, raw, len);
        at += n > 0 ? (size_t)n : 0;
    } else if (raw) {
        at += (size_t)snprintf(line + at, cap - at, ",\"record_base64\":\"");
        at += base64(line + at, raw, len);
        line[at++] = '"';
    } else {
        at += (size_t)snprintf(line + at, cap - at, ",\"record_bytes\":%" PRIu64, raw_len);
    }
    line[at++] = '}';
    line[at++] = '\n';
    int rc = 0;
    if (d->size > 0 && d->size + at > d->max_size) {
        rc = rotate(d);
    }
    if (rc == 0 && d->fd >= 0) {
        ssize_t w = write(d->fd, line, at);
        rc = w == (ssize_t)at ? 0 : (w < 0 ? -errno : -EIO);
        if (rc == 0) {
            d->size += at;
            d->written++;
        }
    }
    free(line);
    if (rc < 0) {
        report(d, "cannot write", -rc);
    }
    return rc;
}

void floe_dead_letter_close(struct floe_dead_letter *d)
{
    if (d->fd >= 0) {
        close(d->fd);
    }
    free(d->path);
    d->fd = -1;
    d->path = NULL;
}
