/* userstream.h — a deterministic generator of records for the reference `users` workload.
 *
 * Each call writes one record of the shape tools/bench/users.py writes for imports:
 *
 *     {"id":42,"name":"Ada Lovelace","email":"ada42@example.com",
 *      "signup_ts":"2026-11-23T10:15:00.123456Z","age":31}
 *
 * (one line, no spaces; signup_ts RFC 3339 in UTC with microseconds; age null in 5% of valid
 * records) and reports what it wrote, so that a test can compute the expected latest row per
 * id on its own, without floe's code. A record is one of:
 *
 *     new        the first record of its id (ids come from 1..keys)
 *     duplicate  an id already emitted, with a newer signup_ts than its newest so far; with
 *                the share `day_moves` the newer version lies on a later UTC day, so the row
 *                moves between day(signup_ts) partitions
 *     stale      an id already emitted, with an OLDER signup_ts than its newest so far
 *     equal      an id already emitted, with exactly its newest signup_ts (other fields vary)
 *     invalid    a record a validating reader must reject, the kinds taken in turn:
 *                malformed JSON (a strict prefix of a record), "id" of the wrong type
 *                ("id":"abc"), no "id", age out of range (-5 or 400), a name of 1,000
 *                characters (over any sensible max_length). Invalid records that carry an id
 *                carry a newer version than its newest, so a reader that wrongly accepts one
 *                changes the result.
 *
 * The shares of duplicate, stale, equal and invalid records are drawn per record; the rest are
 * new ids while the key range lasts. A record that should repeat an id before any was emitted
 * is a new one instead; once every id of the range has been emitted, records that should be new
 * become duplicates (so duplicates then exceed their share). New ids follow a permutation of
 * 1..keys chosen by the seed, which makes "pick an id already emitted" a constant-time draw.
 *
 * Same options and seed, same bytes, on every platform: the generator uses its own PRNG
 * (xoshiro256** seeded through splitmix64), integer time arithmetic (no time_t, so 32-bit
 * boards agree past 2038) and no locale.
 *
 * Memory: floe_userstream_init allocates 8 bytes × keys once (the newest version of each id,
 * floe_userstream_memory); nothing else is allocated, whatever the count.
 */
#ifndef FLOE_USERSTREAM_H
#define FLOE_USERSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest record the generator writes, NUL included: dst must hold this many bytes. */
#define FLOE_USERSTREAM_RECORD_MAX 1280

/* The largest key range (2^28 ids: 2 GiB of state), so 8 × keys fits a 32-bit size_t. */
#define FLOE_USERSTREAM_KEYS_MAX (UINT32_C(1) << 28)

/* Length of the name in oversize-name invalid records. */
#define FLOE_USERSTREAM_LONG_NAME 1000

struct floe_userstream_options {
    uint64_t count;    /* records to generate; 0: no end */
    uint32_t keys;     /* ids are 1..keys; 1..FLOE_USERSTREAM_KEYS_MAX */
    uint64_t seed;     /* same seed, same records */
    double duplicates; /* share of records: known id, newer version */
    double stale;      /* share of records: known id, older version than its newest */
    double equal;      /* share of records: known id, the same version as its newest */
    double invalid;    /* share of records: invalid (kinds in turn, see above) */
    double day_moves;  /* share of duplicates whose new version is on a later UTC day */
    uint32_t days;     /* new ids' signup_ts lie in [2025-01-01, + days); 0 means 730 (two
                          years); at most 100,000 */
};

enum floe_userstream_kind {
    FLOE_USERSTREAM_NEW = 0,
    FLOE_USERSTREAM_DUPLICATE,
    FLOE_USERSTREAM_STALE,
    FLOE_USERSTREAM_EQUAL,
    FLOE_USERSTREAM_INVALID,
    FLOE_USERSTREAM_KINDS /* count */
};

enum floe_userstream_invalid {
    FLOE_USERSTREAM_VALID = 0,
    FLOE_USERSTREAM_MALFORMED,    /* not JSON: a record cut short */
    FLOE_USERSTREAM_ID_TYPE,      /* "id" is a string of letters */
    FLOE_USERSTREAM_ID_MISSING,   /* no "id" */
    FLOE_USERSTREAM_AGE_RANGE,    /* "age" is -5 or 400 */
    FLOE_USERSTREAM_NAME_SIZE,    /* "name" is FLOE_USERSTREAM_LONG_NAME characters */
    FLOE_USERSTREAM_INVALID_KINDS /* count */
};

/* What one generated record is. */
struct floe_userstream_record {
    uint64_t seq; /* 0-based position in the stream */
    enum floe_userstream_kind kind;
    enum floe_userstream_invalid invalid; /* FLOE_USERSTREAM_VALID unless kind is INVALID */
    bool valid;                           /* kind != FLOE_USERSTREAM_INVALID */
    bool has_id;                          /* the record carries a usable integer id */
    uint32_t id;                          /* 1..keys when has_id; 0 otherwise */
    bool has_version;                     /* the record carries a signup_ts */
    int64_t version;                      /* signup_ts in microseconds since 1970 (UTC) */
    /* day_moved: a valid record of an id seen before whose version is on another UTC day than
     * the id's newest version before this record (its row moves between day partitions). */
    bool day_moved;
    size_t len; /* bytes written to dst, NUL not counted */
};

/* The generator. Fields are read-only for callers once floe_userstream_init returns; the
 * counters describe the records generated so far. */
struct floe_userstream {
    struct floe_userstream_options opt;
    int64_t *newest; /* keys entries: newest valid version per id (index id-1); 0: not seen */
    uint64_t rng[4]; /* xoshiro256** state */
    uint64_t perm_a; /* new ids: the i-th is (perm_a × i + perm_b) mod keys + 1 */
    uint64_t perm_b;
    uint64_t generated;                               /* records so far */
    uint64_t kinds[FLOE_USERSTREAM_KINDS];            /* records per kind */
    uint64_t invalids[FLOE_USERSTREAM_INVALID_KINDS]; /* invalid records per kind */
    uint64_t day_moves;                               /* valid records with day_moved set */
    uint32_t distinct;                                /* ids emitted so far (valid records) */
};

/* floe_userstream_memory(keys): the bytes floe_userstream_init allocates for a key range of
 * keys ids: 8 × keys. 0 if keys is 0 or above FLOE_USERSTREAM_KEYS_MAX. */
size_t floe_userstream_memory(uint32_t keys);

/* floe_userstream_init(u, opt): starts a stream with the options *opt (borrowed: copied into
 * u). Allocates floe_userstream_memory(opt->keys) bytes, the only allocation of the stream.
 * Returns 0; -EINVAL if keys is 0 or above FLOE_USERSTREAM_KEYS_MAX, a share is outside
 * [0, 1] (or NaN), or duplicates + stale + equal + invalid exceeds 1; -ENOMEM. On failure u
 * owns nothing (floe_userstream_free on it is harmless). */
int floe_userstream_init(struct floe_userstream *u, const struct floe_userstream_options *opt);

/* floe_userstream_next(u, dst, cap, rec): writes the next record to dst[0..cap) as text with a
 * NUL after it (no newline) and describes it in *rec. cap must be at least
 * FLOE_USERSTREAM_RECORD_MAX. Returns 0; -ENODATA once opt.count records were generated;
 * -ENOSPC if cap is too small; -ERANGE if a newer version would pass the year 9999 (not reached
 * in practice: it takes about a million updates of one id). On any error u, dst and *rec are
 * unchanged. */
int floe_userstream_next(struct floe_userstream *u, uint8_t *dst, size_t cap,
                         struct floe_userstream_record *rec);

/* floe_userstream_free(u): releases the stream's memory; u may be zeroed or already freed. */
void floe_userstream_free(struct floe_userstream *u);

/* floe_userstream_kind_name(kind): "new", "duplicate", "stale", "equal", "invalid" (static). */
const char *floe_userstream_kind_name(enum floe_userstream_kind kind);

/* floe_userstream_invalid_name(inv): "valid", "malformed", "id_type", "id_missing",
 * "age_range", "name_size" (static). */
const char *floe_userstream_invalid_name(enum floe_userstream_invalid inv);

/* floe_userstream_format_ts(dst, us): writes us (microseconds since 1970, UTC, years
 * 0001..9999) as "YYYY-MM-DDTHH:MM:SS.ffffffZ" with a NUL: 28 bytes. Returns 0, or -ERANGE
 * outside those years (dst unchanged). */
int floe_userstream_format_ts(char dst[28], int64_t us);

#endif
