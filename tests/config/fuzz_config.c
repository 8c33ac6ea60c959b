/* fuzz_config.c — libFuzzer target for the config parser: any bytes are a config file; the
 * parser must return a config or errors, never crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct floe_cfg_errors errs = {0};
    char *text = malloc(size + 1);
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0'; /* a NUL inside ends the text early, as a file with one is refused */
    floe_config_free(floe_config_parse("fuzz.conf", text, &errs));
    floe_cfg_errors_free(&errs);
    free(text);
    return 0;
}
