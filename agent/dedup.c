/* dedup.c — the fixed-memory latest-version hash and its state file (see dedup.h).
 *
 * A key has two candidate sets, picked by the two halves of a 64-bit mix (multiply-shift, so
 * the set count need not be a power of two and the whole budget is used), and lives in the
 * emptier one. A set is 8 entries, 192 bytes: three cache lines scanned linearly, which costs
 * less than chasing probe sequences.
 */
#include "dedup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

#define SET_BYTES (FLOE_DEDUP_WAYS * sizeof(struct floe_dedup_entry))
/* Sets are indexed by a 32-bit multiply-shift: at most 2^32 - 1 of them (768 GiB). */
#define MAX_SETS 0xFFFFFFFFull

static const uint8_t MAGIC[8] = {'F', 'L', 'O', 'E', 'D', 'D', 'P', '1'};
#define HEADER_BYTES (8 + 4 + 4 + 8 + 8 + 16 + 64 + 64)
#define RECORD_BYTES 17

/* ---- hashing ----------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

static void wr64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

/* SipHash-2-4 (Aumasson and Bernstein) of in[0..n) under a 16-byte key. */
static uint64_t siphash(const uint8_t key[16], const uint8_t *in, size_t n)
{
    uint64_t k0 = rd64(key), k1 = rd64(key + 8);
    uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
    uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
    size_t whole = n & ~(size_t)7;
    for (size_t i = 0; i < whole; i += 8) {
        uint64_t m = rd64(in + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    uint64_t last = (uint64_t)(n & 0xff) << 56;
    for (size_t i = 0; i < (n & 7); i++) {
        last |= (uint64_t)in[whole + i] << (8 * i);
    }
    v3 ^= last;
    SIPROUND;
    SIPROUND;
    v0 ^= last;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t floe_dedup_key(const struct floe_dedup *d, enum floe_type type,
                        const struct floe_cell *cell)
{
    if (type == FLOE_TYPE_STRING || type == FLOE_TYPE_BINARY) {
        return siphash(d->sip, cell->v.s.p, cell->v.s.n);
    }
    return (uint64_t)cell->v.i;
}

/* ---- the table ---------------------------------------------------------------------------- */

size_t floe_dedup_bytes(uint64_t memory)
{
    uint64_t sets = memory / SET_BYTES;
    if (sets > MAX_SETS) {
        sets = MAX_SETS;
    }
#if SIZE_MAX < UINT64_MAX
    if (sets > SIZE_MAX / SET_BYTES) {
        sets = SIZE_MAX / SET_BYTES; /* a 32-bit machine: never granted anyway */
    }
#endif
    return (size_t)(sets * SET_BYTES);
}

int floe_dedup_init(struct floe_dedup *d, uint64_t memory)
{
    memset(d, 0, sizeof(*d));
    size_t bytes = floe_dedup_bytes(memory);
    if (bytes == 0) {
        return -EINVAL;
    }
    d->entries = calloc(1, bytes);
    if (!d->entries) {
        return -ENOMEM;
    }
    /* Every page now rather than at the first key that lands on it: keys spread over the whole
     * table, so all of it is resident soon anyway, and a first touch costs a page fault in the
     * middle of the record path (on a virtual machine, 85 ms of the loop's time for the
     * benchmark's 16 MiB). The table is part of limits.memory from the start. */
    for (size_t at = 0; at < bytes; at += 4096) {
        ((volatile uint8_t *)d->entries)[at] = 0;
    }
    d->nsets = bytes / SET_BYTES;
    d->gen = 1;
    d->complete = true;
    if (floe_random(d->sip, sizeof(d->sip)) < 0) {
        free(d->entries);
        d->entries = NULL;
        return -EIO;
    }
    return 0;
}

void floe_dedup_free(struct floe_dedup *d)
{
    free(d->entries);
    d->entries = NULL;
}

void floe_dedup_clear(struct floe_dedup *d, bool complete)
{
    memset(d->entries, 0, (size_t)d->nsets * SET_BYTES);
    d->live = 0;
    d->gen = 1;
    d->complete = complete;
}

/* The key's two candidate sets: "two choices" keep sets from overflowing until the hash is
 * nearly full (one choice of 8 ways overflows some sets already at a quarter full). */
static void sets_of(const struct floe_dedup *d, uint64_t key, struct floe_dedup_entry *sets[2])
{
    uint64_t h = mix64(key);
    uint64_t a = ((h >> 32) * d->nsets) >> 32, b = ((h & 0xFFFFFFFFu) * d->nsets) >> 32;
    if (b == a) {
        b = a + 1 < d->nsets ? a + 1 : 0;
    }
    sets[0] = &d->entries[a * FLOE_DEDUP_WAYS];
    sets[1] = &d->entries[b * FLOE_DEDUP_WAYS];
}

/* Asks for every cache line of set at once, rather than one miss after the other as a scan
 * reaches them. */
static void prefetch_set(const struct floe_dedup_entry *set)
{
#if defined(__GNUC__)
    for (size_t at = 0; at < SET_BYTES; at += 64) {
        __builtin_prefetch((const char *)set + at);
    }
#else
    (void)set;
#endif
}

void floe_dedup_prefetch(const struct floe_dedup *d, uint64_t key)
{
    struct floe_dedup_entry *sets[2];
    sets_of(d, key, sets);
    prefetch_set(sets[0]);
    prefetch_set(sets[1]);
}

struct floe_dedup_entry *floe_dedup_find(struct floe_dedup *d, uint64_t key)
{
    struct floe_dedup_entry *sets[2];
    sets_of(d, key, sets);
    /* Usually far from the cache, unless floe_dedup_prefetch came first. */
    prefetch_set(sets[0]);
    prefetch_set(sets[1]);
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < FLOE_DEDUP_WAYS; i++) {
            if (sets[s][i].gen != 0 && sets[s][i].key == key) {
                return &sets[s][i];
            }
        }
    }
    return NULL;
}

struct floe_dedup_entry *floe_dedup_insert(struct floe_dedup *d, uint64_t key)
{
    struct floe_dedup_entry *sets[2], *victim = NULL, *empty[2] = {NULL, NULL};
    int used[2] = {0, 0};
    sets_of(d, key, sets);
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < FLOE_DEDUP_WAYS; i++) {
            struct floe_dedup_entry *e = &sets[s][i];
            if (e->gen == 0) {
                empty[s] = empty[s] ? empty[s] : e;
                continue;
            }
            used[s]++;
            if (floe_dedup_current(d, e)) {
                continue;
            }
            uint32_t g = e->gen & ~FLOE_DEDUP_BOUND,
                     vg = victim ? victim->gen & ~FLOE_DEDUP_BOUND : 0;
            if (!victim || g < vg || (g == vg && e->version < victim->version)) {
                victim = e;
            }
        }
    }
    /* The emptier set takes the key. */
    struct floe_dedup_entry *e =
        empty[0] && (!empty[1] || used[0] <= used[1]) ? empty[0] : empty[1];
    if (e) {
        d->live++;
        e->key = key;
        return e;
    }
    if (victim) {
        d->evictions++;
        d->complete = false;
        victim->key = key;
        victim->gen = 0;
    }
    return victim;
}

void floe_dedup_release(struct floe_dedup *d, struct floe_dedup_entry *e)
{
    e->gen = 0;
    d->live--;
}

void floe_dedup_mark_bounds(struct floe_dedup *d)
{
    for (uint64_t i = 0; i < d->nsets * FLOE_DEDUP_WAYS; i++) {
        if (d->entries[i].gen) {
            d->entries[i].gen |= FLOE_DEDUP_BOUND;
        }
    }
    d->complete = false;
}

void floe_dedup_remap(struct floe_dedup *d, uint32_t (*moved)(const void *ctx, uint32_t ref),
                      const void *ctx)
{
    for (uint64_t i = 0; i < d->nsets * FLOE_DEDUP_WAYS; i++) {
        struct floe_dedup_entry *e = &d->entries[i];
        if (e->gen && floe_dedup_current(d, e)) {
            e->ref = moved(ctx, e->ref);
        }
    }
}

void floe_dedup_next_generation(struct floe_dedup *d)
{
    /* Generations order evictions; at the wrap-around every entry starts again from 1. */
    if (d->gen == 0x7FFFFFFFu) {
        for (uint64_t i = 0; i < d->nsets * FLOE_DEDUP_WAYS; i++) {
            if (d->entries[i].gen) {
                d->entries[i].gen = (d->entries[i].gen & FLOE_DEDUP_BOUND) | 1;
            }
        }
        d->gen = 1;
    }
    d->gen++;
}

/* ---- the state file ----------------------------------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 0x100000001B3ull;
    }
    return h;
}

#define FNV_SEED 0xCBF29CE484222325ull

/* Buffered writes to fd with a running checksum. */
struct out {
    int fd;
    int rc;
    size_t n;
    uint64_t sum;
    uint8_t buf[1 << 16];
};

static void out_put(struct out *o, const uint8_t *p, size_t n)
{
    o->sum = fnv1a(o->sum, p, n);
    while (n > 0 && o->rc == 0) {
        size_t room = sizeof(o->buf) - o->n, k = n < room ? n : room;
        memcpy(o->buf + o->n, p, k);
        o->n += k;
        p += k;
        n -= k;
        if (o->n == sizeof(o->buf)) {
            o->rc = floe_write_all(o->fd, o->buf, o->n);
            o->n = 0;
        }
    }
}

static void header(const struct floe_dedup *d, const char *table_uuid, const char *tag,
                   uint8_t h[HEADER_BYTES])
{
    memset(h, 0, HEADER_BYTES);
    memcpy(h, MAGIC, 8);
    wr32(h + 8, 1);
    wr32(h + 12, d->complete ? 1 : 0);
    wr64(h + 16, d->live);
    wr64(h + 24, d->evictions);
    memcpy(h + 32, d->sip, 16);
    memcpy(h + 48, table_uuid, strnlen(table_uuid, 63));
    memcpy(h + 112, tag, strnlen(tag, 63));
}

struct save_job {
    const struct floe_dedup *d;
    const char *table_uuid, *tag;
    struct out *o;
};

/* The file's content (layout in dedup.h), streamed through a 64 KiB buffer. */
static int fill_state(int fd, void *ctx)
{
    const struct save_job *j = ctx;
    const struct floe_dedup *d = j->d;
    struct out *o = j->o;
    o->fd = fd;
    o->rc = 0;
    o->n = 0;
    o->sum = FNV_SEED;
    uint8_t h[HEADER_BYTES];
    header(d, j->table_uuid, j->tag, h);
    out_put(o, h, sizeof(h));
    uint64_t written = 0;
    for (uint64_t i = 0; i < d->nsets * FLOE_DEDUP_WAYS && o->rc == 0; i++) {
        const struct floe_dedup_entry *e = &d->entries[i];
        if (e->gen == 0) {
            continue;
        }
        uint8_t r[RECORD_BYTES];
        wr64(r, e->key);
        wr64(r + 8, (uint64_t)e->version);
        r[16] = (e->gen & FLOE_DEDUP_BOUND) ? 1 : 0;
        out_put(o, r, sizeof(r));
        written++;
    }
    uint8_t sum[8];
    wr64(sum, o->sum);
    out_put(o, sum, sizeof(sum));
    if (o->rc == 0 && o->n) {
        o->rc = floe_write_all(fd, o->buf, o->n);
    }
    if (o->rc == 0 && written != d->live) {
        o->rc = -EINVAL; /* the live count drifted: a bug, but never a corrupt file */
    }
    return o->rc;
}

int floe_dedup_save(const struct floe_dedup *d, const char *path, const char *table_uuid,
                    const char *tag)
{
    if (strlen(tag) > 63 || strlen(table_uuid) > 63) {
        return -EINVAL;
    }
    struct save_job j = {d, table_uuid, tag, malloc(sizeof(struct out))};
    if (!j.o) {
        return -ENOMEM;
    }
    int rc = floe_write_file_atomic_fn(path, fill_state, &j);
    free(j.o);
    return rc;
}

/* Reads exactly n bytes unless the file ends first. Returns the count read, or -errno. */
static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k < 0) {
            return -errno;
        }
        if (k == 0) {
            break;
        }
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/* Reads and checks the header; fd is left after it. */
static int read_header(int fd, const char *table_uuid, uint8_t h[HEADER_BYTES])
{
    ssize_t n = read_full(fd, h, HEADER_BYTES);
    if (n < 0) {
        return (int)n;
    }
    char uuid[65] = {0};
    memcpy(uuid, h + 48, 64);
    if (n != HEADER_BYTES || memcmp(h, MAGIC, 8) != 0 || rd32(h + 8) != 1 ||
        strcmp(uuid, table_uuid) != 0) {
        return -EINVAL;
    }
    return 0;
}

static void copy_tag(const uint8_t h[HEADER_BYTES], char *tag, size_t tagcap)
{
    if (tagcap) {
        size_t n = strnlen((const char *)h + 112, 64);
        n = n < tagcap - 1 ? n : tagcap - 1;
        memcpy(tag, h + 112, n);
        tag[n] = '\0';
    }
}

int floe_dedup_read_tag(const char *path, const char *table_uuid, char *tag, size_t tagcap)
{
    uint8_t h[HEADER_BYTES];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    int rc = read_header(fd, table_uuid, h);
    close(fd);
    if (rc == 0) {
        copy_tag(h, tag, tagcap);
    }
    return rc;
}

int floe_dedup_load(struct floe_dedup *d, const char *path, const char *table_uuid, char *tag,
                    size_t tagcap, bool as_bound)
{
    uint8_t h[HEADER_BYTES];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    int rc = read_header(fd, table_uuid, h);
    floe_dedup_clear(d, false);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    uint64_t live = rd64(h + 16), dropped = 0;
    uint64_t sum = fnv1a(FNV_SEED, h, sizeof(h));
    memcpy(d->sip, h + 32, 16);
    enum { BLOCK = 4096 };
    uint8_t *buf = malloc(RECORD_BYTES * BLOCK + 9);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    for (uint64_t left = live; left > 0 && rc == 0;) {
        size_t want = left < BLOCK ? (size_t)left : BLOCK;
        ssize_t n = read_full(fd, buf, want * RECORD_BYTES);
        if (n != (ssize_t)(want * RECORD_BYTES)) {
            rc = n < 0 ? (int)n : -EINVAL; /* truncated */
            break;
        }
        sum = fnv1a(sum, buf, (size_t)n);
        for (size_t i = 0; i < want; i++) {
            const uint8_t *r = buf + i * RECORD_BYTES;
            uint64_t key = rd64(r);
            struct floe_dedup_entry *e = floe_dedup_find(d, key) ? NULL : floe_dedup_insert(d, key);
            if (!e) {
                dropped++; /* its set is full (a smaller hash than the one saved) */
                continue;
            }
            e->version = (int64_t)rd64(r + 8);
            e->ref = 0;
            e->gen = 1 | ((r[16] || as_bound) ? FLOE_DEDUP_BOUND : 0);
        }
        left -= want;
    }
    /* The checksum, then the end of the file. */
    if (rc == 0) {
        ssize_t n = read_full(fd, buf, 9);
        rc = n < 0 ? (int)n : (n != 8 || rd64(buf) != sum) ? -EINVAL : 0;
    }
    free(buf);
    close(fd);
    if (rc < 0) {
        floe_dedup_clear(d, false);
        return rc;
    }
    /* Entries loaded in generation 1; new writes start at 2, so none is "current". */
    d->gen = 2;
    d->evictions = rd64(h + 24) + dropped;
    d->complete = !as_bound && (rd32(h + 12) & 1) && dropped == 0;
    copy_tag(h, tag, tagcap);
    return 0;
}
