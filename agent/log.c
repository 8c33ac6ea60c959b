/* log.c — logfmt lines on stderr, with folding of repeated messages.
 *
 * A line is built in a fixed stack buffer and written with one write(2), so lines from the
 * loop never interleave with each other. Repeat folding keeps a small table of recent
 * (module, message) hashes: a message seen in the last FLOE_LOG_REPEAT_MS is counted instead of
 * printed, and the count is attached to the next copy printed after the window.
 */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int floe_log__level = FLOE_LOG_INFO;
static int log_fd = 2;

#define LOG_LINE_MAX 2048
#define LOG_RECENT 32

struct log_recent {
    uint64_t hash;
    uint64_t first_ms;
    unsigned suppressed;
};

static struct log_recent log_recent[LOG_RECENT];
/* Libuv workers and a commit's helper threads log too: the table is shared. */
static pthread_mutex_t log_recent_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void floe_log_set_level(enum floe_log_level level)
{
    floe_log__level = (int)level;
}

const char *floe_log_level_name(enum floe_log_level level)
{
    if ((int)level < 0 || (int)level > FLOE_LOG_DEBUG) {
        return "?";
    }
    return level_names[level];
}

int floe_log_level_parse(const char *name, enum floe_log_level *level)
{
    for (int i = 0; i <= FLOE_LOG_DEBUG; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *level = (enum floe_log_level)i;
            return 0;
        }
    }
    if (strcmp(name, "warning") == 0) {
        *level = FLOE_LOG_WARN;
        return 0;
    }
    return -EINVAL;
}

void floe_log_set_sink(int fd)
{
    log_fd = fd;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* FNV-1a over module and message: cheap, and collisions only fold two different messages'
 * repeat counts. */
static uint64_t hash_message(const char *module, const char *msg)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (const char *p = module; *p; p++) {
        h = (h ^ (uint8_t)*p) * 0x100000001b3u;
    }
    h = (h ^ 0xff) * 0x100000001b3u;
    for (const char *p = msg; *p; p++) {
        h = (h ^ (uint8_t)*p) * 0x100000001b3u;
    }
    return h;
}

/* Returns how many copies were folded since the last printed one, or -1 if this copy must be
 * folded too. */
static long fold_repeat(uint64_t hash)
{
    uint64_t now = mono_ms();
    struct log_recent *oldest = &log_recent[0];
    for (int i = 0; i < LOG_RECENT; i++) {
        struct log_recent *r = &log_recent[i];
        if (r->hash == hash && r->first_ms != 0) {
            if (now - r->first_ms < FLOE_LOG_REPEAT_MS) {
                r->suppressed++;
                return -1;
            }
            long n = (long)r->suppressed;
            r->first_ms = now;
            r->suppressed = 0;
            return n;
        }
        if (r->first_ms < oldest->first_ms) {
            oldest = r;
        }
    }
    oldest->hash = hash;
    oldest->first_ms = now;
    oldest->suppressed = 0;
    return 0;
}

/* Appends printf output to buf at `at`, never past cap - 1; returns the new end. */
static size_t put_fmt(char *buf, size_t at, size_t cap, const char *fmt, ...)
{
    if (at >= cap) {
        return at;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + at, cap - at, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return at;
    }
    return ((size_t)n >= cap - at) ? cap - 1 : at + (size_t)n;
}

/* Appends s to buf as a logfmt value: quoted, with \" \\ \n \t escaped and other control
 * bytes dropped. */
static size_t put_quoted(char *buf, size_t at, size_t cap, const char *s)
{
    if (at < cap) {
        buf[at++] = '"';
    }
    for (; *s && at + 2 < cap; s++) {
        char c = *s;
        if (c == '"' || c == '\\') {
            buf[at++] = '\\';
            buf[at++] = c;
        } else if (c == '\n') {
            buf[at++] = '\\';
            buf[at++] = 'n';
        } else if (c == '\t') {
            buf[at++] = '\\';
            buf[at++] = 't';
        } else if ((unsigned char)c >= 0x20) {
            buf[at++] = c;
        }
    }
    if (at < cap) {
        buf[at++] = '"';
    }
    return at;
}

void floe_log__emit(int level, const char *module, const char *fmt, ...)
{
    char msg[LOG_LINE_MAX];
    char line[LOG_LINE_MAX + 256];
    int saved_errno = errno;

    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    /* Identical means the whole event, fields included. */
    uint64_t hash = hash_message(module, msg);
    pthread_mutex_lock(&log_recent_lock);
    long repeated = fold_repeat(hash);
    pthread_mutex_unlock(&log_recent_lock);
    char *fields = strchr(msg, '\t');
    if (fields) {
        *fields++ = '\0';
    }
    if (repeated < 0) {
        errno = saved_errno;
        return;
    }

    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t at = put_fmt(line, 0, sizeof(line) - 1,
                        "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s module=%s msg=",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                        tm.tm_sec, ts.tv_nsec / 1000000L,
                        floe_log_level_name((enum floe_log_level)level), module);
    at = put_quoted(line, at, sizeof(line) - 1, msg);
    if (fields && *fields) {
        /* Fields are the caller's logfmt, but text from outside (config lines, records) can
         * reach them: no control character gets through, so no event can forge another. */
        for (char *f = fields; *f; f++) {
            if ((unsigned char)*f < 0x20 || *f == 0x7f) {
                *f = ' ';
            }
        }
        at = put_fmt(line, at, sizeof(line) - 1, " %s", fields);
    }
    if (repeated > 0) {
        at = put_fmt(line, at, sizeof(line) - 1, " repeated=%ld", repeated);
    }
    line[at++] = '\n';
    ssize_t n = write(log_fd, line, at);
    (void)n;
    errno = saved_errno;
}
