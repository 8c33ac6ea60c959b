/* lines.c — the bounded line reader (lines.h).
 *
 * One buffer holds the longest accepted line plus a read block. After each read the complete
 * lines in it are handed out; what is left is the start of the next line and is moved to the
 * front. A partial line that already exceeds the limit is reported at once and the reader
 * skips bytes until the next newline, so an endless line costs no memory.
 */
#include "lines.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#define READ_BLOCK (1u << 20)

size_t floe_lines_buffer_size(size_t max_line)
{
    return max_line + 2 + READ_BLOCK;
}

static int emit(const uint8_t *line, size_t len, uint64_t lineno, size_t max_line,
                floe_line_fn on_line, floe_long_line_fn on_long, void *ctx)
{
    if (len > 0 && line[len - 1] == '\r') {
        len--;
    }
    if (len > max_line) {
        on_long(ctx, lineno);
        return 0;
    }
    return on_line(ctx, line, len, lineno);
}

int floe_read_lines(int fd, size_t max_line, uint8_t *buf, size_t cap, floe_line_fn on_line,
                    floe_long_line_fn on_long, void *ctx)
{
    size_t filled = 0;
    uint64_t lineno = 0;
    bool skipping = false; /* inside a line already reported as too long */
    if (cap < floe_lines_buffer_size(max_line)) {
        return -EINVAL;
    }
    for (;;) {
        ssize_t got = read(fd, buf + filled, cap - filled);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        bool eof = got == 0;
        filled += (size_t)got;
        size_t pos = 0;
        uint8_t *nl;
        while ((nl = memchr(buf + pos, '\n', filled - pos)) != NULL) {
            size_t len = (size_t)(nl - (buf + pos));
            lineno++;
            if (skipping) {
                skipping = false;
            } else {
                int rc = emit(buf + pos, len, lineno, max_line, on_line, on_long, ctx);
                if (rc < 0) {
                    return rc;
                }
            }
            pos += len + 1;
        }
        size_t rest = filled - pos;
        if (eof) {
            if (rest > 0) {
                lineno++;
                if (!skipping) {
                    int rc = emit(buf + pos, rest, lineno, max_line, on_line, on_long, ctx);
                    if (rc < 0) {
                        return rc;
                    }
                }
            }
            return 0;
        }
        if (skipping) {
            rest = 0;
        } else if (rest > max_line + 1) { /* + 1: the line's "\r" may still come */
            /* Still no newline and already over the limit: report it now, drop its bytes. */
            on_long(ctx, lineno + 1);
            skipping = true;
            rest = 0;
        }
        /* rest <= max_line + 1, so the next read has at least READ_BLOCK bytes of room. */
        memmove(buf, buf + pos, rest);
        filled = rest;
    }
}
