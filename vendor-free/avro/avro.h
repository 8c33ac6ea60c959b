/* avro.h — Apache Avro binary encoding and object container files, as floe needs them for
 * Iceberg manifest lists and manifests.
 *
 * Five parts, one source file each:
 *   - avro_enc.c:    a cursor that encodes primitives (zig-zag varints, floats, bytes, unions,
 *                    array and map blocks) into a caller-owned buffer;
 *   - avro_dec.c:    the matching bounds-checked decoder over a borrowed byte range;
 *   - avro_writer.c: the object container framing (header, metadata map, data blocks, sync);
 *   - avro_reader.c: a reader of whole container files held in memory, for hostile input;
 *   - avro_schema.c: a parser of the writer schema JSON into a caller-owned node array, so a
 *                    reader can find fields by Iceberg field id or name and skip the rest.
 *
 * Reference: the Avro 1.11 specification, "Binary Encoding" and "Object Container Files".
 * Nothing here allocates, logs or depends on anything but libc. Every function returns 0 or a
 * negative errno: -ENOSPC (output full: flush and retry), -EBADMSG (malformed input),
 * -EOVERFLOW (a value out of its type's range), -EINVAL (a caller error), -ENOTSUP (a codec or
 * schema feature this module does not handle).
 *
 * Iceberg schema conventions (spec Appendix A), which the caller follows when it writes the
 * `avro.schema` JSON and which avro_schema_parse() reads back:
 *   - every record field carries its Iceberg id as an integer attribute "field-id";
 *   - an array carries "element-id"; a string-keyed map carries "key-id" and "value-id";
 *   - an optional field has the type ["null", T] and "default": null (null is branch 0);
 *   - nested records are named "r<field id>" (r2 data_file, r102 partition, r508 summary);
 *   - a map whose keys are not strings is an array with "logicalType": "map" whose items are a
 *     record named "k<key id>_v<value id>" with fields "key" (field-id = key id) and "value"
 *     (field-id = value id); write it with avro_array_begin()/avro_array_end();
 *   - date is {"type":"int","logicalType":"date"}, timestamptz is
 *     {"type":"long","logicalType":"timestamp-micros","adjust-to-utc":true}.
 */
#ifndef FLOE_AVRO_H
#define FLOE_AVRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AVRO_MAGIC_SIZE 4
#define AVRO_SYNC_SIZE 16
/* The longest zig-zag varint of a 64-bit long. */
#define AVRO_LONG_MAX_SIZE 10
/* Limit on JSON and schema nesting, shared by the schema parser and the skipper. */
#define AVRO_MAX_DEPTH 32

/* ---------------------------------------------------------------------------------------- */
/* Encoder                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/* A cursor over a caller-owned output buffer. Errors are sticky: after the first failure every
 * later put does nothing and returns the same error, so a caller can encode a whole object and
 * check once. A failed put leaves `len` where it was before that put. */
struct avro_enc {
    uint8_t *dst; /* borrowed, cap bytes */
    size_t cap;
    size_t len; /* bytes written so far */
    int err;    /* first error, or 0 */
};

/* Starts an encoder over dst[0..cap). dst is borrowed until the encoder is no longer used. */
void avro_enc_init(struct avro_enc *e, uint8_t *dst, size_t cap);

/* Returns the current length, to pass to avro_enc_rewind() later. */
size_t avro_enc_mark(const struct avro_enc *e);

/* Truncates the output back to a mark taken earlier and clears the sticky error. */
void avro_enc_rewind(struct avro_enc *e, size_t mark);

/* Primitive writers. Each returns 0, or -ENOSPC if the value does not fit (nothing of it is
 * written), or the sticky error of an earlier call. */
int avro_put_null(struct avro_enc *e);
int avro_put_boolean(struct avro_enc *e, bool v);
int avro_put_int(struct avro_enc *e, int32_t v);
int avro_put_long(struct avro_enc *e, int64_t v);
int avro_put_float(struct avro_enc *e, float v);
int avro_put_double(struct avro_enc *e, double v);
/* bytes and string: a long length, then the bytes. p may be NULL when n is 0. */
int avro_put_bytes(struct avro_enc *e, const uint8_t *p, size_t n);
int avro_put_string(struct avro_enc *e, const char *s, size_t n);
/* A NUL-terminated string. */
int avro_put_cstring(struct avro_enc *e, const char *s);
/* fixed: the n bytes alone; the schema gives the size. */
int avro_put_fixed(struct avro_enc *e, const uint8_t *p, size_t n);
/* A union's branch index (a long); the branch's value follows. */
int avro_put_union(struct avro_enc *e, int64_t branch);

/* Arrays and maps are written as one block of n items followed by the terminating empty block:
 *
 *     long n (omitted when n == 0) | item × n | long 0
 *
 * A map item is a string key then the value. begin writes the count, end the terminator. */
int avro_array_begin(struct avro_enc *e, int64_t n);
int avro_array_end(struct avro_enc *e);
int avro_map_begin(struct avro_enc *e, int64_t n);
int avro_map_end(struct avro_enc *e);

/* Zig-zag varint of v into dst (at least AVRO_LONG_MAX_SIZE bytes); returns the byte count. */
size_t avro_varint_encode(int64_t v, uint8_t *dst);

/* ---------------------------------------------------------------------------------------- */
/* Decoder                                                                                   */
/* ---------------------------------------------------------------------------------------- */

/* A cursor over borrowed input. Errors are sticky like the encoder's: after the first failure
 * every get returns it and stores zero/NULL in its outputs. Views returned by the getters point
 * into the input and are valid as long as it is. */
struct avro_dec {
    const uint8_t *p; /* borrowed, len bytes */
    size_t len;
    size_t pos;
    int err;
    /* Schema nodes avro_skip_value may still visit over this input (set by avro_dec_init to
     * 4 per byte + 64): items that take no bytes, like array<null>, cannot make skipping a
     * block cost more than linear time, however many fields are skipped. */
    uint64_t skip_budget;
};

void avro_dec_init(struct avro_dec *d, const uint8_t *p, size_t len);

/* Bytes not yet consumed (0 after an error). */
size_t avro_dec_remaining(const struct avro_dec *d);

/* Returns the sticky error, or -EBADMSG if bytes remain, or 0 when the input was consumed
 * exactly. For checking that a block held exactly its objects. */
int avro_dec_finish(const struct avro_dec *d);

/* Primitive readers: 0, or -EBADMSG on truncated or malformed input (a varint longer than 10
 * bytes, a boolean byte other than 0 or 1, a negative or too long length), or -EOVERFLOW for
 * an int outside 32 bits. */
int avro_get_boolean(struct avro_dec *d, bool *v);
int avro_get_int(struct avro_dec *d, int32_t *v);
int avro_get_long(struct avro_dec *d, int64_t *v);
int avro_get_float(struct avro_dec *d, float *v);
int avro_get_double(struct avro_dec *d, double *v);
/* A view of the bytes; *p may be NULL when *n is 0. */
int avro_get_bytes(struct avro_dec *d, const uint8_t **p, size_t *n);
/* A view of the string's bytes (not NUL-terminated, not checked for UTF-8). */
int avro_get_string(struct avro_dec *d, const char **s, size_t *n);
int avro_get_fixed(struct avro_dec *d, size_t n, const uint8_t **p);
/* A union index; -EBADMSG unless 0 <= branch < nbranches. */
int avro_get_union(struct avro_dec *d, int64_t nbranches, int64_t *branch);

/* Reads the header of the next array or map block: *n items follow, 0 means the array or map
 * has ended. A negative count (a block that carries its byte size) is returned as its absolute
 * value with the size consumed. Since every item of the schemas this module serves takes at
 * least one byte, a count larger than the bytes left is rejected as -EBADMSG, which bounds the
 * work hostile input can cause. Loop:
 *     while (avro_get_block(d, &n) == 0 && n > 0) { decode n items }
 * then check the return value or d->err. */
int avro_get_block(struct avro_dec *d, int64_t *n);

/* Skips n raw bytes, a long, or a length-prefixed bytes/string. */
int avro_skip(struct avro_dec *d, size_t n);
int avro_skip_long(struct avro_dec *d);
int avro_skip_bytes(struct avro_dec *d);

/* Zig-zag varint from p[0..len): 0 with *v and *used, or -EBADMSG. */
int avro_varint_decode(const uint8_t *p, size_t len, int64_t *v, size_t *used);

/* ---------------------------------------------------------------------------------------- */
/* Container writer                                                                          */
/* ---------------------------------------------------------------------------------------- */

/* One entry of the file metadata map (string → bytes). All pointers are borrowed for the call.
 * `value` may be NULL when value_len is 0. */
struct avro_meta {
    const char *key; /* NUL-terminated */
    const uint8_t *value;
    size_t value_len;
};

/* Writes a container file as a header then blocks. Objects are encoded into the caller's block
 * buffer with the encoder; a flush frames the block into the caller's output. The writer never
 * allocates; it holds no pointer but the block buffer.
 *
 * Header and block layouts:
 *
 *     'O' 'b' 'j' 0x01
 *     long n | n × (string key, bytes value) | long 0        metadata map
 *     sync[16]
 *
 *     long object count | long byte size | data[size] | sync[16]          each block
 */
struct avro_writer {
    uint8_t sync[AVRO_SYNC_SIZE];
    struct avro_enc enc; /* the current block's data, in the block buffer */
    int64_t count;       /* objects completed in the current block */
    size_t mark;         /* enc.len where the current object started */
    int64_t total;       /* objects flushed in earlier blocks */
};

/* Prepares w. sync is copied (random bytes in production, fixed in tests); block_buf
 * (block_cap bytes) is borrowed until the writer is no longer used. */
void avro_writer_init(struct avro_writer *w, const uint8_t sync[AVRO_SYNC_SIZE], uint8_t *block_buf,
                      size_t block_cap);

/* Writes the file header into dst[0..cap) and sets *len. The map holds "avro.schema" (schema
 * JSON, schema_len bytes), "avro.codec" (codec, or "null" when codec is NULL), then meta[0..n)
 * in order. Keys "avro.schema" and "avro.codec" in meta are -EINVAL. For a codec other than
 * "null", blocks must be compressed by the caller before avro_writer_flush() frames them — this
 * module compresses nothing. On -ENOSPC *len is 0 and dst's contents are unspecified. */
int avro_writer_header(const struct avro_writer *w, const char *schema_json, size_t schema_len,
                       const char *codec, const struct avro_meta *meta, size_t n, uint8_t *dst,
                       size_t cap, size_t *len);

/* Starts an object in the current block and returns the encoder to write it with. */
struct avro_enc *avro_writer_begin(struct avro_writer *w);

/* Ends the object started by avro_writer_begin(). If encoding it failed, the block is rewound to
 * before the object and the error returned: -ENOSPC when the block already holds objects (flush,
 * then encode the object again), -EMSGSIZE when the object alone does not fit the block buffer.
 */
int avro_writer_end(struct avro_writer *w);

/* Frames the current block (if it holds any object) into dst[0..cap), sets *len (0 when there
 * was nothing to flush) and empties the block buffer. On -ENOSPC nothing is consumed. */
int avro_writer_flush(struct avro_writer *w, uint8_t *dst, size_t cap, size_t *len);

/* Frames one block of `count` objects whose encoding is data[0..data_len) (already compressed
 * for a non-null codec). For callers that manage their own block buffers. */
int avro_write_block(const uint8_t sync[AVRO_SYNC_SIZE], int64_t count, const uint8_t *data,
                     size_t data_len, uint8_t *dst, size_t cap, size_t *len);

/* ---------------------------------------------------------------------------------------- */
/* Container reader                                                                          */
/* ---------------------------------------------------------------------------------------- */

/* Decompresses one block for a codec other than "null" (e.g. "deflate": raw RFC 1951, no zlib
 * header). Writes at most cap bytes to dst and sets *len. Returns 0, -ENOSPC if the output does
 * not fit in cap, -EBADMSG for corrupt input, -ENOTSUP for a codec it does not know. */
typedef int (*avro_decompress_fn)(void *ctx, const char *codec, const uint8_t *src, size_t src_len,
                                  uint8_t *dst, size_t cap, size_t *len);

#define AVRO_CODEC_MAX 31

/* Reads a container file held whole in memory. All views point into the caller's buffer or
 * scratch space; the reader allocates nothing. */
struct avro_reader {
    const uint8_t *buf; /* borrowed: the whole file */
    size_t len;
    size_t pos;      /* start of the next block */
    size_t meta_off; /* the encoded metadata map, validated by open */
    size_t meta_end;
    uint8_t sync[AVRO_SYNC_SIZE];
    char codec[AVRO_CODEC_MAX + 1];
    const char *schema; /* view of "avro.schema" */
    size_t schema_len;
    avro_decompress_fn decompress;
    void *decompress_ctx;
    uint8_t *scratch; /* borrowed: decompressed block */
    size_t scratch_cap;
    bool done; /* the end of the file was reached */
    int err;   /* a failure that ends reading */
};

/* Parses the header of buf[0..len) (borrowed until the reader and its views are no longer used).
 * Returns 0, or -EBADMSG for a bad magic, a truncated or malformed header, or a missing
 * "avro.schema"; -ENOTSUP for a codec name longer than AVRO_CODEC_MAX. An unknown codec is
 * reported by avro_reader_next_block(), so the metadata of such a file can still be read. */
int avro_reader_open(struct avro_reader *r, const uint8_t *buf, size_t len);

/* Looks up a metadata key (NUL-terminated). 0 with a view of the value, or -ENOENT. */
int avro_reader_meta(const struct avro_reader *r, const char *key, const uint8_t **value,
                     size_t *value_len);

/* Iterates the metadata map: start with *cursor = 0; each call returns 0 with the next entry
 * (views of key and value) or -ENOENT after the last one. */
int avro_reader_meta_next(const struct avro_reader *r, size_t *cursor, const char **key,
                          size_t *key_len, const uint8_t **value, size_t *value_len);

/* Installs the decompressor for codecs other than "null" and the scratch buffer (borrowed) it
 * writes into. May be called again, e.g. with a larger scratch after -ENOSPC. */
void avro_reader_set_decompress(struct avro_reader *r, avro_decompress_fn fn, void *ctx,
                                uint8_t *scratch, size_t scratch_cap);

/* Advances to the next non-empty block. Returns 0 with *count objects (*count == 0 at the end
 * of the file) and a decoder over the block's (decompressed) data, valid until the next call.
 * Errors: -EBADMSG for a truncated block, a sync marker that differs from the header's, a
 * negative count or size, or more objects than data bytes; -ENOTSUP for a codec without a
 * decompressor; the decompressor's error otherwise. After -ENOSPC from the decompressor the
 * position is unchanged and the call may be repeated with a larger scratch; after any other
 * error the reader stays failed. */
int avro_reader_next_block(struct avro_reader *r, struct avro_dec *data, int64_t *count);

/* ---------------------------------------------------------------------------------------- */
/* Writer schema                                                                             */
/* ---------------------------------------------------------------------------------------- */

enum avro_type {
    AVRO_NULL,
    AVRO_BOOLEAN,
    AVRO_INT,
    AVRO_LONG,
    AVRO_FLOAT,
    AVRO_DOUBLE,
    AVRO_BYTES,
    AVRO_STRING,
    AVRO_RECORD,
    AVRO_ENUM,
    AVRO_ARRAY,
    AVRO_MAP,
    AVRO_UNION,
    AVRO_FIXED,
    AVRO_FIELD, /* a record field: name, field_id, child = its type */
    AVRO_REF,   /* a use of a named type defined earlier: child = the definition */
};

#define AVRO_NO_ID INT32_MIN
#define AVRO_NO_NODE UINT32_MAX

/* One node of a parsed schema. Names are views into the schema JSON. */
struct avro_node {
    enum avro_type type;
    const char *name; /* record/enum/fixed name, or field name; NULL if none */
    size_t name_len;
    const char *logical; /* "logicalType", or NULL */
    size_t logical_len;
    int32_t field_id;   /* AVRO_FIELD: "field-id" */
    int32_t element_id; /* AVRO_ARRAY: "element-id" */
    int32_t key_id;     /* AVRO_MAP: "key-id" */
    int32_t value_id;   /* AVRO_MAP: "value-id" */
    int64_t size;       /* AVRO_FIXED: size; AVRO_ENUM: symbol count */
    uint32_t child;     /* first field/branch, array items, map values, field type, ref target */
    uint32_t next;      /* next sibling (field or branch), AVRO_NO_NODE at the end */
    uint32_t count;     /* number of children */
};

/* A parsed schema in caller-owned nodes; node 0 is the root. */
struct avro_schema {
    struct avro_node *nodes; /* borrowed, cap entries */
    uint32_t cap;
    uint32_t n;
};

/* Parses schema JSON json[0..len) (borrowed: names are views into it) into nodes[0..cap).
 * Returns 0, -EBADMSG for invalid JSON or an invalid schema (unknown type name, missing record
 * fields, nesting deeper than AVRO_MAX_DEPTH), -ENOSPC if cap nodes are too few. References to
 * named types are resolved by the name's last dotted component. */
int avro_schema_parse(struct avro_schema *s, struct avro_node *nodes, uint32_t cap,
                      const char *json, size_t len);

/* Follows AVRO_REF nodes to the definition. */
uint32_t avro_schema_resolve(const struct avro_schema *s, uint32_t node);

/* Finds the field of record `record` with the given Iceberg field id or name. Returns 0 with
 * the AVRO_FIELD node index, -ENOENT if absent, -EINVAL if `record` is not a record. */
int avro_schema_field_by_id(const struct avro_schema *s, uint32_t record, int32_t field_id,
                            uint32_t *field);
int avro_schema_field_by_name(const struct avro_schema *s, uint32_t record, const char *name,
                              uint32_t *field);

/* For a union of null and one other type (either order), sets the index of the null branch and
 * the node of the other type (resolved). -EINVAL for any other node. */
int avro_schema_optional(const struct avro_schema *s, uint32_t node, int64_t *null_branch,
                         uint32_t *inner);

/* Skips one value of schema node `node`, whatever its type. Returns 0 or the decoding error;
 * -EBADMSG past AVRO_MAX_DEPTH nesting or when the decoder's skip budget (shared by every
 * skip over the same input) runs out. */
int avro_skip_value(struct avro_dec *d, const struct avro_schema *s, uint32_t node);

#endif
