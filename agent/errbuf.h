/* errbuf.h — reporting a failure as a code plus a reason written into the caller's buffer.
 *
 * Parsers and checkers that take `(char *err, size_t cap)` (schema.c, validate.c) return a
 * negative code and leave a one-line reason in err; this is the one place that formats it.
 */
#ifndef FLOE_ERRBUF_H
#define FLOE_ERRBUF_H

#include <stddef.h>

/* floe_errbuf_fail(err, cap, code, fmt, …): formats the reason into err (borrowed; at most cap
 * bytes, truncated and always NUL-terminated when cap > 0; untouched when err is NULL or cap is
 * 0) and returns code, so a caller can write `return floe_errbuf_fail(err, cap, -EINVAL, …);`.
 * It cannot fail itself. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
int floe_errbuf_fail(char *err, size_t cap, int code, const char *fmt, ...);

#endif
