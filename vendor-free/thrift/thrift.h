/* thrift.h — the Thrift compact protocol, as Parquet uses it for page headers and footers.
 *
 * Two halves. The writer (struct thr_writer) serializes fields, lists and nested structs into
 * one caller-owned buffer; it never allocates and keeps a sticky error, so a run of writes is
 * checked once at the end with thr_writer_error(). The reader (struct thr_reader) walks bytes
 * that come from outside (a file footer read back from storage) and treats them as hostile:
 * every read is bounds-checked, nesting depth and element counts are limited, and any problem
 * is a negative return, never a crash. Neither half knows any IDL: callers name field ids.
 *
 * Wire format: apache/thrift doc/specs/thrift-compact-protocol.md; summary in SPEC-NOTES §6.
 * Errors are negative errno values: -ENOSPC (writer buffer full), -EOVERFLOW (a limit: depth,
 * length, count, or a value out of range for its type), -EBADMSG (malformed or truncated
 * input), -EINVAL (a call that makes no sense, e.g. a bad type code or unbalanced end).
 */
#ifndef FLOE_THRIFT_H
#define FLOE_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Compact type codes as they appear in field headers (THR_TRUE/THR_FALSE carry a bool field's
 * value) and, for the others, as list/set/map element types. A bool list element type is
 * THR_BOOL (2 per the compact spec; the reader also accepts 1). */
enum thr_type {
    THR_STOP = 0,
    THR_TRUE = 1,
    THR_FALSE = 2,
    THR_I8 = 3,
    THR_I16 = 4,
    THR_I32 = 5,
    THR_I64 = 6,
    THR_DOUBLE = 7,
    THR_BINARY = 8,
    THR_LIST = 9,
    THR_SET = 10,
    THR_MAP = 11,
    THR_STRUCT = 12,
    THR_UUID = 13,
};
#define THR_BOOL THR_FALSE

/* Deepest struct nesting either half accepts (Parquet's footer needs 5). */
#define THR_MAX_DEPTH 32

/* ---- writer ---------------------------------------------------------------------------------
 *
 * Field header (1 byte short form, or 1 + 1..3 bytes long form):
 *
 *   +--------+                      +--------+--------...--------+
 *   |ddddtttt|   delta 1..15        |0000tttt| zigzag varint i16  |   any other id change
 *   +--------+                      +--------+--------...--------+
 *
 * List/set header: |ssssTTTT| for size 0..14, else |1111TTTT| varint size.
 * i16/i32/i64: zigzag then ULEB128. binary: varint length, bytes. double: 8 bytes LE.
 * A struct is its fields then a 0x00 stop byte; field ids restart from 0 inside each struct.
 */
struct thr_writer {
    uint8_t *buf;   /* borrowed destination, owned by the caller */
    size_t cap;     /* bytes available at buf */
    size_t len;     /* bytes written so far */
    int err;        /* first error, 0 if none; once set, every write is a no-op */
    int depth;      /* open structs */
    int16_t last_id;
    int16_t stack[THR_MAX_DEPTH];
};

/* Starts a writer over buf[0..cap). buf is borrowed until the caller stops using the writer; the
 * writer is at the top level of one struct (field ids start from 0). */
void thr_writer_init(struct thr_writer *w, uint8_t *buf, size_t cap);

/* First error since init (0 if none). After an error the contents of buf[0..len) are a prefix of
 * the intended encoding and must not be used. */
int thr_writer_error(const struct thr_writer *w);

/* Field writers: header + value in the current struct. id must be > 0 (ids 1..32767). */
void thr_field_bool(struct thr_writer *w, int16_t id, bool v);
void thr_field_i8(struct thr_writer *w, int16_t id, int8_t v);
void thr_field_i16(struct thr_writer *w, int16_t id, int16_t v);
void thr_field_i32(struct thr_writer *w, int16_t id, int32_t v);
void thr_field_i64(struct thr_writer *w, int16_t id, int64_t v);
void thr_field_double(struct thr_writer *w, int16_t id, double v);
/* p[0..n) is copied; n must be <= INT32_MAX (-EOVERFLOW). p may be NULL when n == 0. */
void thr_field_binary(struct thr_writer *w, int16_t id, const void *p, size_t n);
/* s is a NUL-terminated string, copied without the NUL. */
void thr_field_string(struct thr_writer *w, int16_t id, const char *s);
/* Opens a struct-valued field; close it with thr_struct_end(). */
void thr_field_struct_begin(struct thr_writer *w, int16_t id);
/* Header of a list-valued field holding n elements of elem_type; write the n elements next
 * with the thr_write_* element writers (thr_struct_begin/end for struct elements). */
void thr_field_list_begin(struct thr_writer *w, int16_t id, enum thr_type elem_type, uint32_t n);

/* Element writers (list elements, or values after a manual thr_field_header()). */
void thr_field_header(struct thr_writer *w, enum thr_type type, int16_t id);
void thr_write_bool(struct thr_writer *w, bool v);
void thr_write_i8(struct thr_writer *w, int8_t v);
void thr_write_i16(struct thr_writer *w, int16_t v);
void thr_write_i32(struct thr_writer *w, int32_t v);
void thr_write_i64(struct thr_writer *w, int64_t v);
void thr_write_double(struct thr_writer *w, double v);
void thr_write_binary(struct thr_writer *w, const void *p, size_t n);
void thr_write_list_begin(struct thr_writer *w, enum thr_type elem_type, uint32_t n);
/* Opens a struct element (saves the field-id context; -EOVERFLOW past THR_MAX_DEPTH). */
void thr_struct_begin(struct thr_writer *w);
/* Writes the stop byte and returns to the enclosing struct (-EINVAL if none is open). */
void thr_struct_end(struct thr_writer *w);
/* Writes the stop byte of the top-level struct (no matching begin). */
void thr_write_stop(struct thr_writer *w);
/* Appends bytes verbatim, e.g. a struct serialized earlier by another writer. */
void thr_write_raw(struct thr_writer *w, const void *p, size_t n);

/* Plain encoders for callers that lay out bytes themselves. They return the number of bytes
 * written to dst (at most 10), never fail, and need 10 bytes of room. */
size_t thr_put_uvarint(uint8_t *dst, uint64_t v);
static inline uint64_t thr_zigzag64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* ---- reader ---------------------------------------------------------------------------------
 *
 * Usage: thr_reader_init(), then for the top-level struct loop on thr_read_field_begin() until it
 * reports THR_STOP, reading or skipping each value by its type. For a nested struct value call
 * thr_read_struct_begin(), loop, then thr_read_struct_end(). All outputs are written only on
 * success; on failure the reader keeps the error (thr_reader_error) and every later call fails
 * with it. Binary values are views into the input buffer, valid while it is.
 */
struct thr_reader {
    const uint8_t *buf; /* borrowed input */
    size_t len;
    size_t pos;
    int err;
    int depth;
    int16_t last_id;
    uint8_t pending_bool; /* 0 none, else THR_TRUE/THR_FALSE from the last field header */
    uint32_t max_depth;   /* <= THR_MAX_DEPTH; default THR_MAX_DEPTH */
    uint32_t max_count;   /* list/set/map element limit; default 1<<24 */
    uint32_t max_binary;  /* binary length limit; default 1<<30 */
    int16_t stack[THR_MAX_DEPTH];
};

/* Starts a reader over buf[0..len), borrowed for the reader's lifetime, with default limits. */
void thr_reader_init(struct thr_reader *r, const uint8_t *buf, size_t len);
int thr_reader_error(const struct thr_reader *r);

/* Reads a field header: *type is THR_STOP (end of the current struct; *id = 0), THR_TRUE or
 * THR_FALSE for a bool field (its value is then read with thr_read_bool), or another type. */
int thr_read_field_begin(struct thr_reader *r, uint8_t *type, int16_t *id);
int thr_read_struct_begin(struct thr_reader *r);
/* Leaves the struct whose THR_STOP was just read. */
int thr_read_struct_end(struct thr_reader *r);
/* Bool: the value of the last bool field header, or one byte when reading list elements. */
int thr_read_bool(struct thr_reader *r, bool *v);
int thr_read_i8(struct thr_reader *r, int8_t *v);
int thr_read_i16(struct thr_reader *r, int16_t *v);
int thr_read_i32(struct thr_reader *r, int32_t *v);
int thr_read_i64(struct thr_reader *r, int64_t *v);
int thr_read_double(struct thr_reader *r, double *v);
/* *p is a view into the input; *n <= max_binary and fits the remaining input. */
int thr_read_binary(struct thr_reader *r, const uint8_t **p, uint32_t *n);
/* List or set header. *n <= max_count and <= the remaining input bytes (no element is empty). */
int thr_read_list_begin(struct thr_reader *r, uint8_t *elem_type, uint32_t *n);
int thr_read_map_begin(struct thr_reader *r, uint8_t *key_type, uint8_t *val_type, uint32_t *n);
/* Skips one value of the given type (as reported by a field header or a list header),
 * including nested structs, lists and maps, within the depth limit. */
int thr_skip(struct thr_reader *r, uint8_t type);

#endif
