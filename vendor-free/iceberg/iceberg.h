/* iceberg.h — Apache Iceberg partition transforms, the 32-bit hash behind bucket[N], the binary
 * single-value serialization used for bounds, and Java-compatible partition paths.
 *
 * Sources: the Iceberg table spec (format/spec.md): "Partition Transforms", "Bucket/Truncate
 * Transform Details", Appendix B (32-bit hash requirements), Appendix D (single-value
 * serialization); partition paths follow Java's PartitionSpec.partitionToPath(), i.e. each
 * transform's toHumanString() and java.net.URLEncoder with UTF-8.
 *
 * Files: ice_hash.c (Murmur3, bucket), ice_transform.c (parsing, result types, apply, calendar
 * arithmetic), ice_decimal.c (16-byte unscaled decimals), ice_serialize.c (Appendix D),
 * ice_path.c (human strings, URL encoding, paths). Pure functions: no allocation, no I/O.
 * Every function that can fail returns 0 or a negative errno; byte producers take
 * (dst, cap, *len) and return -ENOSPC when cap is too small.
 */
#ifndef FLOE_ICEBERG_H
#define FLOE_ICEBERG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Primitive types that transforms and bounds deal with. */
enum ice_type_id {
    ICE_BOOLEAN = 1,
    ICE_INT,
    ICE_LONG,
    ICE_FLOAT,
    ICE_DOUBLE,
    ICE_DECIMAL,
    ICE_DATE,        /* days since 1970-01-01, int32 */
    ICE_TIME,        /* microseconds since midnight, int64 */
    ICE_TIMESTAMP,   /* microseconds since 1970-01-01T00:00:00, int64 */
    ICE_TIMESTAMPTZ, /* microseconds since 1970-01-01T00:00:00Z, int64 */
    ICE_STRING,      /* UTF-8 */
    ICE_UUID,
    ICE_FIXED,
    ICE_BINARY,
};

/* A primitive type with its parameters (decimal precision and scale, fixed length). */
struct ice_type {
    enum ice_type_id id;
    int32_t precision; /* decimal */
    int32_t scale;     /* decimal */
    int32_t length;    /* fixed */
};

#define ICE_DECIMAL_BYTES 16
#define ICE_UUID_BYTES 16

/* A typed value. String, binary and fixed values are borrowed views; a result of a transform
 * may point into its input's bytes. */
struct ice_value {
    enum ice_type_id type;
    bool is_null;
    int32_t scale; /* decimal only: the type's scale, used for human strings */
    union {
        bool b;
        int32_t i; /* int, date */
        int64_t l; /* long, time, timestamp, timestamptz */
        float f;
        double d;
        struct {
            const uint8_t *p; /* borrowed; may be NULL when n is 0 */
            size_t n;
        } bin;                          /* string, binary, fixed */
        uint8_t uuid[ICE_UUID_BYTES];   /* big-endian, as in Appendix B note 4 */
        uint8_t dec[ICE_DECIMAL_BYTES]; /* unscaled value, two's complement, big-endian */
    } v;
};

/* Value constructors, for readability at call sites. */
struct ice_value ice_null(enum ice_type_id type);
struct ice_value ice_int(int32_t v);
struct ice_value ice_long(int64_t v);
struct ice_value ice_date(int32_t days);
struct ice_value ice_timestamptz(int64_t micros);
struct ice_value ice_string(const char *s, size_t n);
struct ice_value ice_binary(const uint8_t *p, size_t n);
/* A decimal from an unscaled 64-bit value. */
struct ice_value ice_decimal(int64_t unscaled, int32_t scale);

/* ---- 32-bit hash (Appendix B) and bucket[N] ---- */

/* Murmur3 x86 32-bit of data[0..len) with the given seed, as a signed value like Java's. */
int32_t ice_murmur3_32(const uint8_t *data, size_t len, uint32_t seed);

/* hashLong: the value as 8 little-endian bytes (int, long, date, time, timestamps). */
int32_t ice_hash_long(int64_t v);

/* hashBytes: string (UTF-8), binary, fixed, uuid (16 big-endian bytes), decimal (minimal
 * two's-complement big-endian unscaled bytes). */
int32_t ice_hash_bytes(const uint8_t *p, size_t n);

/* The spec's hash of any supported value, including boolean, float and double (Appendix B's
 * second table: NaN canonical, -0.0 as 0.0, float widened to double). -EINVAL for null. */
int ice_hash_value(const struct ice_value *v, int32_t *hash);

/* (hash & 0x7FFFFFFF) % n for n > 0. */
int32_t ice_bucket_of_hash(int32_t hash, int32_t n);

/* ---- Transforms ---- */

enum ice_transform_kind {
    ICE_T_IDENTITY,
    ICE_T_BUCKET,   /* param = N */
    ICE_T_TRUNCATE, /* param = W */
    ICE_T_YEAR,
    ICE_T_MONTH,
    ICE_T_DAY,
    ICE_T_HOUR,
    ICE_T_VOID,
};

struct ice_transform {
    enum ice_transform_kind kind;
    int32_t param; /* bucket count or truncate width (> 0); 0 otherwise */
};

/* Parses "identity", "bucket[N]", "truncate[W]", "year", "month", "day", "hour", "void" (the
 * s[0..len) bytes, no surrounding space, N and W decimal in 1..2^31-1). -EINVAL otherwise. */
int ice_transform_parse(const char *s, size_t len, struct ice_transform *t);

/* Writes the transform's name ("bucket[16]", ...) with a terminating NUL; *len excludes it. */
int ice_transform_name(const struct ice_transform *t, char *dst, size_t cap, size_t *len);

/* The result type of applying t to a source of type src: identity, truncate and void keep the
 * source type; bucket, year, month and hour give int; day gives date. -EINVAL when the spec does
 * not allow the transform on that source type (e.g. bucket of boolean, hour of date). */
int ice_transform_result_type(const struct ice_transform *t, const struct ice_type *src,
                              struct ice_type *out);

/* Applies t to in, writing a value of the result type to out. A null input (and any input to
 * void) gives a null result. Truncated strings and binaries point into in's bytes. Errors:
 * -EINVAL for a transform that does not apply to in's type, -EOVERFLOW when the result does
 * not fit its type (hour of a timestamp beyond int32 hours, truncate past the minimum value).
 * On error *out is a null of the result type. */
int ice_transform_apply(const struct ice_transform *t, const struct ice_value *in,
                        struct ice_value *out);

/* Calendar arithmetic on the proleptic Gregorian calendar, with floor semantics before 1970. */
int32_t ice_days_from_micros(int64_t micros);  /* floor(µs / 86400e6) */
int64_t ice_hours_from_micros(int64_t micros); /* floor(µs / 3600e6) */
int32_t ice_years_from_days(int32_t days);     /* year(days) - 1970 */
int32_t ice_months_from_days(int32_t days);    /* (year - 1970) * 12 + month - 1 */
void ice_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

/* Truncation of a UTF-8 string to at most w code points: the byte length to keep. */
size_t ice_truncate_utf8(const char *s, size_t n, int32_t w);

/* ---- Decimals ---- */

/* Minimal two's-complement big-endian bytes of a 16-byte unscaled value (at least one byte):
 * sets *start and *n so that dec[start .. start+n) is the minimal form. */
void ice_decimal_minimal(const uint8_t dec[ICE_DECIMAL_BYTES], size_t *start, size_t *n);

/* ---- Single-value binary serialization (Appendix D) ---- */

/* Writes v's binary form to dst[0..cap) and sets *len: boolean 1 byte; int, date 4 bytes LE;
 * long, time, timestamps 8 bytes LE; float 4, double 8 bytes LE IEEE 754; string, binary,
 * fixed their bytes; uuid 16 bytes big-endian; decimal minimal two's-complement big-endian
 * unscaled bytes. -EINVAL for null; -ENOSPC (nothing written, *len 0) if cap is too small. */
int ice_serialize(const struct ice_value *v, uint8_t *dst, size_t cap, size_t *len);

/* Reads a binary form back into *out (string, binary and fixed as views of p). -EBADMSG when the
 * length does not fit the type (e.g. an int that is not 4 bytes, a fixed that is not
 * t->length bytes, an empty decimal); -EOVERFLOW for a decimal wider than 16 bytes. */
int ice_deserialize(const struct ice_type *t, const uint8_t *p, size_t n, struct ice_value *out);

/* ---- Partition paths ---- */

/* One partition field as the path needs it; name is borrowed, NUL-terminated. */
struct ice_partition_field {
    const char *name;
    struct ice_transform transform;
};

/* Java's toHumanString() of a partition value v produced by transform t, NUL-terminated in
 * dst (*len excludes the NUL): null → "null"; year → "yyyy", month → "yyyy-MM", day →
 * "yyyy-MM-dd", hour → "yyyy-MM-dd-HH"; for identity and truncate, by type: date as day, time
 * as LocalTime ("HH:mm[:ss[.fff|.ffffff]]"), timestamp as LocalDateTime and timestamptz as
 * OffsetDateTime ("…Z"), binary and fixed in standard base64, uuid in lowercase 8-4-4-4-12,
 * decimal as BigDecimal.toString(), float and double as Java's shortest round-trip
 * Float/Double.toString(), others their decimal or text form. -ENOSPC if cap is too small. */
int ice_human_string(const struct ice_transform *t, const struct ice_value *v, char *dst,
                     size_t cap, size_t *len);

/* URL-encodes s[0..n) like java.net.URLEncoder with UTF-8: A-Z a-z 0-9 . - * _ kept, space →
 * '+', every other byte → %XX (uppercase hex). Bytes that are not valid UTF-8 are encoded as
 * U+FFFD (%EF%BF%BD), one per invalid byte, as a Java string decoded from them would be.
 * NUL-terminates dst; *len excludes the NUL. */
int ice_url_encode(const char *s, size_t n, char *dst, size_t cap, size_t *len);

/* The partition path of values[0..n) under fields[0..n):
 * "name=value/name=value", each name and human value URL-encoded, e.g.
 * "signup_ts_day=2026-11-23/id_bucket=3". NUL-terminated; -ENOSPC if cap is too small
 * (dst's contents are then unspecified and *len is 0). */
int ice_partition_path(const struct ice_partition_field *fields, const struct ice_value *values,
                       size_t n, char *dst, size_t cap, size_t *len);

#endif
