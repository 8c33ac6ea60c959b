/* version.c — `floe version`: what this binary is and what it was built with.
 *
 * Build-time versions come from each library's header; where a library can also say which
 * version is loaded at run time (shared libraries may be upgraded under a binary), both are
 * printed when they differ.
 */
#include "version.h"

#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>
#include <llhttp.h>
#include <mbedtls/version.h>
#include <string.h>
#include <uv.h>
#include <zstd.h>

#define STR2(x) #x
#define STR(x) STR2(x)

static void line(FILE *out, const char *lib, const char *built, const char *running)
{
    if (running && strcmp(built, running) != 0) {
        fprintf(out, "%-10s %s (running %s)\n", lib, built, running);
    } else {
        fprintf(out, "%-10s %s\n", lib, built);
    }
}

void floe_version_print(FILE *out)
{
    char rdk[32];
    int v = RD_KAFKA_VERSION;
    snprintf(rdk, sizeof(rdk), "%d.%d.%d", (v >> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff);

    fprintf(out, "floe %s (revision %s)\n", FLOE_VERSION, FLOE_GIT_REVISION);
    line(out, "libuv", STR(UV_VERSION_MAJOR) "." STR(UV_VERSION_MINOR) "." STR(UV_VERSION_PATCH),
         uv_version_string());
    line(out, "librdkafka", rdk, rd_kafka_version_str());
    line(out, "mbedTLS", MBEDTLS_VERSION_STRING, NULL);
    line(out, "zstd", ZSTD_VERSION_STRING, ZSTD_versionString());
    line(out, "cJSON",
         STR(CJSON_VERSION_MAJOR) "." STR(CJSON_VERSION_MINOR) "." STR(CJSON_VERSION_PATCH),
         cJSON_Version());
    line(out, "llhttp",
         STR(LLHTTP_VERSION_MAJOR) "." STR(LLHTTP_VERSION_MINOR) "." STR(LLHTTP_VERSION_PATCH),
         NULL);
}
