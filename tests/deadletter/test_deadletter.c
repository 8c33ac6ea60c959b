/* test_deadletter.c — the dead-letter file: one JSON object a line with reason, source and the
 * record (escaped; base64 when not UTF-8; only its length when not kept), and rotation to
 * FILE.1 at max_size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "deadletter.h"
#include "fsutil.h"

static char dir[] = "/tmp/floe-test-dead-XXXXXX";

static struct floe_config *config(const char *file, const char *max)
{
    char path[256], text[1024];
    struct floe_cfg_errors errs = {0};
    snprintf(path, sizeof(path), "%s/floe.conf", dir);
    snprintf(text, sizeof(text),
             "[kafka]\ntopic = t\n[table]\nwarehouse = /w\nschema = id long required\n"
             "version =\n[agent]\nstate_dir = %s\n[dead_letter]\nfile = %s\nmax_size = %s\n",
             dir, file, max);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    struct floe_config *cfg = floe_config_load(path, &errs);
    floe_cfg_errors_free(&errs);
    return cfg;
}

static char *slurp(const char *name)
{
    char path[256], *data = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return floe_read_file(path, 1 << 20, &data, &len) == 0 ? data : NULL;
}

int main(void)
{
    if (!mkdtemp(dir)) {
        return 1;
    }
    struct floe_dead_letter d;
    struct floe_config *cfg = config("dl.ndjson", "4K");
    CHECK(cfg != NULL);
    CHECK_INT(floe_dead_letter_open(&d, cfg), 0);
    const char *rec = "{\"id\":\"x\",\"s\":\"tab\there\"}";
    CHECK_INT(floe_dead_letter_add(&d, "column 'id': \"bad\"", "{\"file\":\"in\",\"line\":3}",
                                   (const uint8_t *)rec, strlen(rec), strlen(rec)),
              0);
    const uint8_t bin[] = {0xff, 0xfe, 'a'};
    CHECK_INT(floe_dead_letter_add(&d, "invalid UTF-8", "{\"line\":4}", bin, 3, 3), 0);
    CHECK_INT(floe_dead_letter_add(&d, "too long", "{\"line\":5}", NULL, 0, 2000000), 0);
    char *text = slurp("dl.ndjson");
    CHECK(text != NULL);
    if (text) {
        CHECK(strstr(text, "\"reason\":\"column 'id': \\\"bad\\\"\",\"source\":{\"file\":\"in\","
                           "\"line\":3},\"record\":\"{\\\"id\\\":\\\"x\\\",\\\"s\\\":\\\"tab"
                           "\\u0009here\\\"}\"}\n") != NULL);
        CHECK(strstr(text, "\"record_base64\":\"//5h\"}\n") != NULL);
        CHECK(strstr(text, "\"record_bytes\":2000000}\n") != NULL);
        int lines = 0;
        for (char *p = text; *p; p++) {
            lines += *p == '\n';
        }
        CHECK_INT(lines, 3);
        free(text);
    }
    /* Past max_size (4K) the file rotates to .1; the newest records are in the new file. */
    char big[600];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (int i = 0; i < 20; i++) {
        floe_dead_letter_add(&d, "filler", "{}", (const uint8_t *)big, strlen(big), strlen(big));
    }
    CHECK_INT(d.written, 23);
    floe_dead_letter_close(&d);
    char *cur = slurp("dl.ndjson"), *prev = slurp("dl.ndjson.1");
    CHECK(cur != NULL && prev != NULL);
    CHECK(cur && strlen(cur) <= 4096);
    CHECK(prev && strlen(prev) <= 4096);
    free(cur);
    free(prev);
    floe_config_free(cfg);
    /* No file configured: nothing is written, nothing fails. */
    cfg = config("\"\"", "4K");
    CHECK_INT(floe_dead_letter_open(&d, cfg), 0);
    CHECK(d.path == NULL);
    CHECK_INT(floe_dead_letter_add(&d, "x", "{}", NULL, 0, 0), 0);
    floe_dead_letter_close(&d);
    floe_config_free(cfg);
    char cmd[100];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_done();
}
