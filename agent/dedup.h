/* dedup.h — the fixed-memory hash behind "latest version wins": key → newest version seen.
 *
 * The hash is allocated once from dedup.memory and never grows. It is set-associative with two
 * choices: a key maps to two sets of FLOE_DEDUP_WAYS entries and lives in one of them.
 *
 *     entry (24 bytes): u64 key | i64 version | u32 batch row | u32 generation + flags
 *
 * Keys of int, long, date and timestamp columns are stored exactly (their 64-bit value).
 * Strings and binaries are stored as a keyed 64-bit SipHash-2-4 of their bytes; the 128-bit
 * hash key is random per state file, so an attacker cannot aim collisions. Two distinct keys
 * share a hash with probability about n² / 2^65 for n live keys (3·10^-8 for a million keys);
 * two keys that do are treated as one.
 *
 * Eviction: when both of a key's sets are full (rare below about 90% of the entries in use),
 * the entry of the two sets written in the oldest batch generation goes (ties: the lowest
 * version) — least recently updated first. Entries written in the current
 * batch are never evicted (the batch may still have to replace their rows); if a whole set
 * holds them, floe_dedup_insert says "flush first". An evicted key is forgotten: its next
 * record is treated as new. Evictions are counted, and the first one clears `complete`.
 *
 * The state file saves the live entries (not the empty ones) with the hash key, a tag (the
 * commit id it matches) and the table's uuid; see floe_dedup_save.
 */
#ifndef FLOE_DEDUP_H
#define FLOE_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "schema.h"

#define FLOE_DEDUP_WAYS 8
/* Entry flag: the version is a lower bound of the table's (loaded from an older state). */
#define FLOE_DEDUP_BOUND 0x80000000u

struct floe_dedup_entry {
    uint64_t key;
    int64_t version;
    uint32_t ref; /* the key's row in the current batch (floe_batch ref) when gen is current */
    uint32_t gen; /* batch generation of the last write, 0 = empty; FLOE_DEDUP_BOUND flag */
};

struct floe_dedup {
    struct floe_dedup_entry *entries; /* nsets × FLOE_DEDUP_WAYS */
    uint64_t nsets;
    uint32_t gen;    /* the current batch generation, from 1 */
    uint8_t sip[16]; /* the string-key hash key */
    uint64_t live, evictions;
    /* The hash knows every key of the table: an unknown key is new, not forgotten. */
    bool complete;
};

/* floe_dedup_bytes(memory): the bytes a hash made from that budget takes (≤ memory). */
size_t floe_dedup_bytes(uint64_t memory);

/* floe_dedup_init(d, memory): allocates the entries once from memory bytes (at least one set,
 * FLOE_DEDUP_WAYS × 24 bytes), empty and complete, with a random hash key. 0, -EINVAL (too
 * small) or -ENOMEM; d is then unusable (floe_dedup_free is still safe). */
int floe_dedup_init(struct floe_dedup *d, uint64_t memory);

/* floe_dedup_free(d): releases the entries; safe on a zeroed or failed d. */
void floe_dedup_free(struct floe_dedup *d);

/* floe_dedup_key(d, type, cell): the hash's key for a key column's non-null cell: the value
 * itself for integer and temporal types, the keyed hash of the bytes for string and binary. */
uint64_t floe_dedup_key(const struct floe_dedup *d, enum floe_type type,
                        const struct floe_cell *cell);

/* floe_dedup_prefetch(d, key): asks for the cache lines floe_dedup_find(d, key) will read,
 * without waiting for them. Changes nothing. */
void floe_dedup_prefetch(const struct floe_dedup *d, uint64_t key);

/* floe_dedup_find(d, key): the key's live entry (a view valid until the next insert or
 * clear), or NULL. */
struct floe_dedup_entry *floe_dedup_find(struct floe_dedup *d, uint64_t key);

/* floe_dedup_insert(d, key): an entry for a key that floe_dedup_find did not find: an empty
 * one of its emptier set, or the one evicted by the policy above (counted). The caller fills
 * version, ref and gen (gen = d->gen). NULL when every entry of both sets was written in the
 * current generation: start a new one (flush the batch), then insert again. */
struct floe_dedup_entry *floe_dedup_insert(struct floe_dedup *d, uint64_t key);

/* floe_dedup_release(d, e): empties an entry just inserted (its row could not be added). */
void floe_dedup_release(struct floe_dedup *d, struct floe_dedup_entry *e);

/* floe_dedup_current(d, e): whether e was written in the current generation (its ref names a
 * row of the current batch). */
static inline bool floe_dedup_current(const struct floe_dedup *d, const struct floe_dedup_entry *e)
{
    return (e->gen & ~FLOE_DEDUP_BOUND) == d->gen;
}

/* floe_dedup_remap(d, moved, ctx): the batch moved its rows (floe_batch_compact): every entry
 * of the current generation gets moved(ctx, its ref) as its ref. */
void floe_dedup_remap(struct floe_dedup *d, uint32_t (*moved)(const void *ctx, uint32_t ref),
                      const void *ctx);

/* floe_dedup_next_generation(d): the batch was flushed: entries of the old generation no
 * longer have rows in the batch. */
void floe_dedup_next_generation(struct floe_dedup *d);

/* floe_dedup_save(d, path, table_uuid, tag): writes the live entries with the hash key, the
 * table's uuid and tag (≤ 63 bytes: the commit id the state belongs to) to path atomically
 * (floe_write_file_atomic_fn). Layout, little-endian:
 *
 *     "FLOEDDP1" | u32 entries-format 1 | u32 flags (bit 0 complete) | u64 live | u64 evictions
 *     | 16 bytes hash key | 64 bytes table identity | 64 bytes tag | live × (u64 key,
 *     i64 version, u8 bound) | u64 FNV-1a of everything before it
 *
 * table_uuid is the identity (≤ 63 bytes): the table's uuid and whatever else must match for
 * the entries to mean the same (key and version columns, spec). 0, or -errno / -EINVAL (tag
 * or identity too long) with path unchanged. */
int floe_dedup_save(const struct floe_dedup *d, const char *path, const char *table_uuid,
                    const char *tag);

/* floe_dedup_load(d, path, table_uuid, tag, tagcap, as_bound): replaces d's entries with a
 * state file's (d keeps its size; entries that no longer fit a full set are dropped and counted
 * as evictions). The file's tag goes to tag. With as_bound every entry is marked as a lower
 * bound and complete is cleared; otherwise complete is the file's. Returns 0; -ENOENT (no
 * file); -EINVAL for a file that is damaged, of another format, or of another table (d is then
 * empty and incomplete); -errno on I/O errors. */
int floe_dedup_load(struct floe_dedup *d, const char *path, const char *table_uuid, char *tag,
                    size_t tagcap, bool as_bound);

/* floe_dedup_read_tag(path, table_uuid, tag, tagcap): only the tag of a state file of this
 * table (checks magic and uuid, not the entries). 0, -ENOENT, -EINVAL, -errno. */
int floe_dedup_read_tag(const char *path, const char *table_uuid, char *tag, size_t tagcap);

/* floe_dedup_mark_bounds(d): every entry's version becomes a lower bound, and d incomplete
 * (the table moved on in ways the hash did not see). */
void floe_dedup_mark_bounds(struct floe_dedup *d);

/* floe_dedup_clear(d, complete): forgets every key; complete as given. */
void floe_dedup_clear(struct floe_dedup *d, bool complete);

#endif
