/* fuzz_manifest.c — libFuzzer target for the manifest and manifest-list readers.
 *
 * The first byte picks the reader ('M' manifest, anything else manifest list); the rest is the
 * file, read to its end the way the table layer reads manifests fetched from object storage.
 * Errors are the expected outcome for most inputs; a crash, sanitizer report, leak or
 * unbounded loop is a bug. Seeds: `manifest_gen --seeds DIR` (tests/manifest/corpus).
 */
#include "manifest.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    if (data[0] == 'M') {
        struct floe_manifest_reader r;
        struct floe_manifest_entry e;
        if (floe_manifest_reader_open(&r, data + 1, size - 1) == 0) {
            while (floe_manifest_reader_next(&r, &e) == 1) {
            }
        }
        floe_manifest_reader_close(&r);
    } else {
        struct floe_mlist_reader r;
        struct floe_mlist_row row;
        if (floe_mlist_reader_open(&r, data + 1, size - 1) == 0) {
            while (floe_mlist_reader_next(&r, &row) == 1) {
            }
        }
        floe_mlist_reader_close(&r);
    }
    return 0;
}
