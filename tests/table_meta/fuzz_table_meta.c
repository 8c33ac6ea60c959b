/* fuzz_table_meta.c — libFuzzer target for floe_meta_parse: any bytes are a metadata document;
 * the parser must accept or refuse them, never crash, leak or read out of bounds. A document it
 * accepts must serialize, read back, and take a commit and a schema evolution. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "table_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    struct floe_meta *m = NULL;
    /* Exactly size bytes, no terminator: the parser must honour the length. */
    char *text = malloc(size ? size : 1);
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    if (floe_meta_parse(text, size, &m, err, sizeof err) == 0) {
        char *out = floe_meta_serialize(m);
        struct floe_meta *back = NULL;
        if (out && floe_meta_parse(out, strlen(out), &back, err, sizeof err) != 0) {
            abort(); /* what floe writes, floe must read */
        }
        floe_meta_free(back);
        free(out);
        struct floe_meta_kv kv[] = {{"added-records", "3"}};
        struct floe_meta_commit c = {.snapshot_id = 0x7fffffffffffff01LL,
                                     .timestamp_ms = m->last_updated_ms,
                                     .manifest_list = "m.avro", .operation = "append",
                                     .summary = kv, .nsummary = 1,
                                     .previous_metadata = "v1.metadata.json"};
        floe_meta_add_snapshot(m, &c, err, sizeof err);
        struct floe_schema wanted = m->schema;
        if (wanted.ncolumns > 0 && wanted.ncolumns < FLOE_COLUMNS_MAX) {
            wanted.columns[wanted.ncolumns] = wanted.columns[0];
            strcpy(wanted.columns[wanted.ncolumns].name, "fuzz_added_column");
            wanted.ncolumns++;
            floe_meta_evolve_schema(m, &wanted, NULL, err, sizeof err);
        }
        int64_t *ids = NULL;
        size_t n = 0;
        if (floe_meta_expire_select(m, 1, 0, m->last_updated_ms, &ids, &n) == 0) {
            floe_meta_remove_snapshots(m, ids, n, m->last_updated_ms, err, sizeof err);
        }
        free(ids);
        floe_meta_snapshot_ancestor_summary(m, "floe.commit-id", NULL);
    }
    floe_meta_free(m);
    free(text);
    return 0;
}
