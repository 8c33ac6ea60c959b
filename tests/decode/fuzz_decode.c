/* fuzz_decode.c — libFuzzer target for the JSON record decoder: any bytes are a record; the
 * decoder must accept or reject them without crashing or reading out of bounds, and an
 * accepted record's string cells must lie inside the input or the scratch space. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct floe_schema schema;
static struct floe_decoder dec;
static struct floe_row row;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (schema.ncolumns == 0) {
        char err[128];
        floe_schema_parse("id long required, name string, ts timestamptz, age int, d double, "
                          "b boolean, day date, bin binary, lts timestamp, f float",
                          &schema, err, sizeof(err));
        floe_decoder_init(&dec, &schema);
    }
    /* An exact-size copy, so reads past the end are caught. */
    uint8_t *copy = malloc(size ? size : 1);
    uint8_t *scratch = malloc(size ? size : 1);
    if (!copy || !scratch) {
        free(copy);
        free(scratch);
        return 0;
    }
    memcpy(copy, data, size);
    row.scratch = scratch;
    row.scratch_cap = size;
    if (floe_decode(&dec, copy, size, &row) == 0) {
        for (int i = 0; i < schema.ncolumns; i++) {
            enum floe_type t = schema.columns[i].type;
            if (!row.cells[i].null && (t == FLOE_TYPE_STRING || t == FLOE_TYPE_BINARY)) {
                const uint8_t *p = row.cells[i].v.s.p;
                size_t n = row.cells[i].v.s.n;
                int in_input = p >= copy && p + n <= copy + size;
                int in_scratch = p >= scratch && p + n <= scratch + size;
                if (!in_input && !in_scratch) {
                    abort();
                }
            }
        }
    }
    free(copy);
    free(scratch);
    return 0;
}
