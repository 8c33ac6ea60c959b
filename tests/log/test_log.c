/* test_log.c — the logger: logfmt shape and quoting, level gating before formatting, and the
 * folding of repeated identical events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "log.h"

static int sink = -1;

/* Returns everything logged since the last call (caller frees). */
static char *take(void)
{
    off_t end = lseek(sink, 0, SEEK_END);
    char *buf = calloc(1, (size_t)end + 1);
    ssize_t n = pread(sink, buf, (size_t)end, 0);
    buf[n > 0 ? n : 0] = '\0';
    if (ftruncate(sink, 0) != 0 || lseek(sink, 0, SEEK_SET) != 0) {
        perror("truncate log sink");
    }
    return buf;
}

static int formatted;

static const char *counted(const char *s)
{
    formatted++;
    return s;
}

int main(void)
{
    char path[] = "/tmp/floe-test-log-XXXXXX";
    sink = mkstemp(path);
    unlink(path);
    floe_log_set_sink(sink);
    floe_log_set_level(FLOE_LOG_INFO);

    FLOE_INFO("test", "hello \"world\"\nnext\tcount=%d path=\"/a b\"", 3);
    char *out = take();
    CHECK(strncmp(out, "ts=", 3) == 0);
    CHECK(strstr(out, " level=info module=test msg=\"hello \\\"world\\\"\\nnext\" count=3 "
                      "path=\"/a b\"\n") != NULL);
    CHECK_INT(strchr(out, '\n') - out + 1, (long)strlen(out)); /* one line */
    free(out);

    /* A disabled level formats nothing. */
    FLOE_DEBUG("test", "%s", counted("invisible"));
    CHECK_INT(formatted, 0);
    out = take();
    CHECK_STR(out, "");
    free(out);
    floe_log_set_level(FLOE_LOG_DEBUG);
    FLOE_DEBUG("test", "%s", counted("visible"));
    CHECK_INT(formatted, 1);
    out = take();
    CHECK(strstr(out, "level=debug module=test msg=\"visible\"") != NULL);
    free(out);

    /* Repeats of one event are folded; a different event still prints. */
    for (int i = 0; i < 50; i++) {
        FLOE_ERROR("s3", "upload failed\tstatus=503");
    }
    FLOE_ERROR("s3", "upload failed\tstatus=500");
    out = take();
    int n503 = 0;
    for (char *p = out; (p = strstr(p, "status=503")); p++) {
        n503++;
    }
    CHECK_INT(n503, 1);
    CHECK(strstr(out, "status=500") != NULL);
    free(out);

    enum floe_log_level level = FLOE_LOG_ERROR;
    CHECK_INT(floe_log_level_parse("warn", &level), 0);
    CHECK_INT(level, FLOE_LOG_WARN);
    CHECK(floe_log_level_parse("loud", &level) < 0);
    CHECK_INT(level, FLOE_LOG_WARN);
    CHECK_STR(floe_log_level_name(FLOE_LOG_DEBUG), "debug");
    close(sink);
    return check_done();
}
