/* manifest_internal.h — what manifest_schema.c, manifest_write.c and manifest_read.c share:
 * a bounded JSON text builder and the Avro schemas of manifests and manifest lists. Not part of
 * the public API (double-underscore names).
 */
#ifndef FLOE_MANIFEST_INTERNAL_H
#define FLOE_MANIFEST_INTERNAL_H

#include "manifest.h"

/* Appends text into p[0..cap). Writes stop at cap but len keeps counting, so a run with cap 0
 * measures the text and len > cap after a run means it did not fit. */
struct floe__json {
    char *p;
    size_t cap;
    size_t len;
};

void floe__json_raw(struct floe__json *j, const char *s);
void floe__json_bytes(struct floe__json *j, const char *s, size_t n);
/* A JSON string literal: quotes, backslash and control characters escaped. */
void floe__json_str(struct floe__json *j, const char *s);
void floe__json_int(struct floe__json *j, long long v);

/* The Avro schema of `manifest_entry` for spec (r2 data_file, r102 partition). -EINVAL for a
 * spec this module cannot express (empty name, duplicate field id, invalid type). */
int floe__manifest_avro_schema(const struct floe_manifest_spec *spec, struct floe__json *j);

/* The spec's JSON fields array, the "partition-spec" metadata value. */
void floe__manifest_spec_json(const struct floe_manifest_spec *spec, struct floe__json *j);

/* The Avro schema of `manifest_file` (V2Metadata.MANIFEST_LIST_SCHEMA). */
void floe__mlist_avro_schema(struct floe__json *j);

/* Bytes of an Avro fixed that holds a decimal of the given precision (Java's
 * TypeUtil.decimalRequiredBytes); 0 for a precision outside 1..38. */
int32_t floe__decimal_bytes(int32_t precision);

/* Whether v may be stored under type t (null, or the same type id). */
bool floe__value_fits(const struct ice_type *t, const struct ice_value *v);


/* ---- reading (manifest_meta.c) ---- */

/* The container state both readers share, pointed into their structs. */
struct floe__mf_avro {
    struct avro_reader *avro;
    struct avro_schema *schema;
    struct avro_node **nodes;
    uint8_t **scratch;
    size_t *scratch_cap;
    struct avro_dec *block;
    int64_t *left;
};

/* Opens the container, parses its writer schema (root must be a record) and installs the
 * deflate hook with a scratch buffer when the codec is not "null". */
int floe__mf_open(struct floe__mf_avro *a, const uint8_t *buf, size_t len);

/* Positions block at the next object: 1 when there is one, 0 at the end of the file, or a
 * negative error. Checks that each finished block held exactly its objects. */
int floe__mf_next_object(struct floe__mf_avro *a);

void floe__mf_close(struct floe__mf_avro *a);

/* A metadata value parsed as a decimal integer: 0, -ENOENT (absent), -EBADMSG. */
int floe__meta_i64(const struct avro_reader *r, const char *key, int64_t *v);

/* Fills r->spec (fields, names, result types) from the "partition-spec" and "schema"
 * metadata, falling back to the r102 record of the writer schema (partition_node). */
int floe__manifest_read_spec(struct floe_manifest_reader *r);

#endif
