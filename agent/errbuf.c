/* errbuf.c — the shared "reason into the caller's buffer, code to return" helper (errbuf.h). */
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>

int floe_errbuf_fail(char *err, size_t cap, int code, const char *fmt, ...)
{
    if (err && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
    }
    return code;
}
