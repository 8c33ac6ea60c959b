/* lines.h — reading newline-delimited input in one bounded buffer (NDJSON for convert and
 * import). Lines are handed out without their "\n" (and a "\r" before it); a line longer
 * than the limit is reported once and skipped to its end, whatever its length. */
#ifndef FLOE_LINES_H
#define FLOE_LINES_H

#include <stddef.h>
#include <stdint.h>

/* Called for each line of at most max_line bytes; line is a view valid during the call, lineno
 * counts from 1. A negative return stops reading and is returned by floe_read_lines. */
typedef int (*floe_line_fn)(void *ctx, const uint8_t *line, size_t len, uint64_t lineno);

/* Called for each line over max_line bytes (its content is not kept). */
typedef void (*floe_long_line_fn)(void *ctx, uint64_t lineno);

/* The buffer floe_read_lines needs for max_line: max_line + 2 (a "\r" and a "\n") + one
 * read block. */
size_t floe_lines_buffer_size(size_t max_line);

/* floe_read_lines(fd, max_line, buf, cap, on_line, on_long, ctx): reads fd to its end. buf
 * (cap >= floe_lines_buffer_size(max_line)) is scratch. Returns 0, a read error (-errno), or
 * what on_line returned to stop. */
int floe_read_lines(int fd, size_t max_line, uint8_t *buf, size_t cap, floe_line_fn on_line,
                    floe_long_line_fn on_long, void *ctx);

#endif
