/* userstream.c — the users record generator (userstream.h).
 *
 * One call draws everything it needs from a copy of the PRNG state, checks the version it chose,
 * and only then writes the record and commits the new state, so a failing call changes nothing.
 * Calendar arithmetic is done on days since 1970 (Howard Hinnant's civil_from_days), never
 * through time_t, which is 32 bits on some ARM boards.
 */
#include "userstream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US_PER_DAY INT64_C(86400000000)

/* New ids get a signup_ts in [2025-01-01, 2025-01-01 + days); two years (as
 * tools/bench/users.py) unless the options name a span. */
#define T0 (INT64_C(1735689600) * INT64_C(1000000))
#define DAYS_DEFAULT 730
#define DAYS_MAX 100000

/* How far a stale version lies before the newest one, and how far a day move goes. */
#define STALE_SPAN (INT64_C(30) * US_PER_DAY)
#define MOVE_SPAN (INT64_C(3) * US_PER_DAY)

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z in microseconds since 1970. */
#define TS_MIN (INT64_C(-62135596800) * INT64_C(1000000))
#define TS_MAX (INT64_C(253402300800) * INT64_C(1000000) - 1)

static const char *const first_names[] = {
    "Ada",    "Grace",     "Alan",   "Edsger",    "Barbara", "Donald", "Ken",
    "Dennis", "Margaret",  "Linus",  "Radia",     "Frances", "John",   "Niklaus",
    "Leslie", "Tony",      "Butler", "Fran",      "Guido",   "Bjarne", "Anders",
    "Sophie", "Katherine", "Shafi",  "Whitfield", "Martin",
};
static const char *const last_names[] = {
    "Lovelace", "Hopper",     "Turing",  "Dijkstra", "Liskov",    "Knuth",  "Thompson", "Ritchie",
    "Hamilton", "Torvalds",   "Perlman", "Allen",    "McCarthy",  "Wirth",  "Lamport",  "Hoare",
    "Lampson",  "Goldwasser", "Diffie",  "Hellman",  "Kleppmann", "Wilson", "Johnson",
};
static const char *const domains[] = {"example.com", "example.org", "example.net", "mail.io"};
static const char *const bad_ids[] = {"abc", "xyz", "forty-two", "id-7"};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* splitmix64: expands the seed into the xoshiro state. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256**: the next 64 random bits. */
static uint64_t rnd(uint64_t s[4])
{
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* A uniform integer in [0, n), n > 0, without modulo bias. */
static uint64_t below(uint64_t s[4], uint64_t n)
{
    uint64_t threshold = (0 - n) % n;
    for (;;) {
        uint64_t x = rnd(s);
        if (x >= threshold) {
            return x % n;
        }
    }
}

/* A uniform double in [0, 1): exact on every IEEE platform, so share decisions agree. */
static double uniform(uint64_t s[4])
{
    return (double)(rnd(s) >> 11) * (1.0 / 9007199254740992.0);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t day_of(int64_t us)
{
    return floor_div(us, US_PER_DAY);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b != 0) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* The i-th new id (i < keys): a permutation of 1..keys. */
static uint32_t perm_id(const struct floe_userstream *u, uint64_t i)
{
    /* perm_a < keys ≤ 2^28 and i < 2^28: the product stays far below 2^64. */
    return (uint32_t)((u->perm_a * i + u->perm_b) % u->opt.keys + 1);
}

size_t floe_userstream_memory(uint32_t keys)
{
    if (keys == 0 || keys > FLOE_USERSTREAM_KEYS_MAX) {
        return 0;
    }
    return (size_t)keys * sizeof(int64_t);
}

static bool share_ok(double x)
{
    return x >= 0.0 && x <= 1.0; /* false for NaN */
}

int floe_userstream_init(struct floe_userstream *u, const struct floe_userstream_options *opt)
{
    memset(u, 0, sizeof(*u));
    size_t bytes = floe_userstream_memory(opt->keys);
    if (bytes == 0 || !share_ok(opt->duplicates) || !share_ok(opt->stale) ||
        !share_ok(opt->equal) || !share_ok(opt->invalid) || !share_ok(opt->day_moves) ||
        opt->duplicates + opt->stale + opt->equal + opt->invalid > 1.0 + 1e-9 ||
        opt->days > DAYS_MAX) {
        return -EINVAL;
    }
    u->newest = calloc(opt->keys, sizeof(int64_t));
    if (u->newest == NULL) {
        return -ENOMEM;
    }
    u->opt = *opt;
    uint64_t x = opt->seed;
    for (int i = 0; i < 4; i++) {
        u->rng[i] = splitmix64(&x);
    }
    /* A multiplier coprime with keys makes i → a·i + b (mod keys) a permutation. */
    uint64_t keys = opt->keys;
    u->perm_a = 1;
    if (keys > 2) {
        do {
            u->perm_a = 1 + below(u->rng, keys - 1);
        } while (gcd(u->perm_a, keys) != 1);
    }
    u->perm_b = below(u->rng, keys);
    return 0;
}

void floe_userstream_free(struct floe_userstream *u)
{
    free(u->newest);
    u->newest = NULL;
}

const char *floe_userstream_kind_name(enum floe_userstream_kind kind)
{
    switch (kind) {
    case FLOE_USERSTREAM_NEW:
        return "new";
    case FLOE_USERSTREAM_DUPLICATE:
        return "duplicate";
    case FLOE_USERSTREAM_STALE:
        return "stale";
    case FLOE_USERSTREAM_EQUAL:
        return "equal";
    case FLOE_USERSTREAM_INVALID:
        return "invalid";
    default:
        return "unknown";
    }
}

const char *floe_userstream_invalid_name(enum floe_userstream_invalid inv)
{
    switch (inv) {
    case FLOE_USERSTREAM_VALID:
        return "valid";
    case FLOE_USERSTREAM_MALFORMED:
        return "malformed";
    case FLOE_USERSTREAM_ID_TYPE:
        return "id_type";
    case FLOE_USERSTREAM_ID_MISSING:
        return "id_missing";
    case FLOE_USERSTREAM_AGE_RANGE:
        return "age_range";
    case FLOE_USERSTREAM_NAME_SIZE:
        return "name_size";
    default:
        return "unknown";
    }
}

/* Writes v (0 ≤ v < 10^width) as exactly width decimal digits. */
static void put_digits(char *dst, int64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        dst[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

int floe_userstream_format_ts(char dst[28], int64_t us)
{
    if (us < TS_MIN || us > TS_MAX) {
        return -ERANGE;
    }
    int64_t days = day_of(us);
    int64_t in_day = us - days * US_PER_DAY;
    int64_t secs = in_day / 1000000;
    int64_t micros = in_day % 1000000;
    /* civil_from_days: days since 1970-01-01 to year, month, day (proleptic Gregorian). */
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    put_digits(dst, y, 4);
    dst[4] = '-';
    put_digits(dst + 5, m, 2);
    dst[7] = '-';
    put_digits(dst + 8, d, 2);
    dst[10] = 'T';
    put_digits(dst + 11, secs / 3600, 2);
    dst[13] = ':';
    put_digits(dst + 14, secs / 60 % 60, 2);
    dst[16] = ':';
    put_digits(dst + 17, secs % 60, 2);
    dst[19] = '.';
    put_digits(dst + 20, micros, 6);
    dst[26] = 'Z';
    dst[27] = '\0';
    return 0;
}

/* A version newer than newest: on the same UTC day unless a day move is drawn (or the day has
 * no microsecond left), else within MOVE_SPAN after the next midnight. */
static int64_t newer_version(uint64_t s[4], int64_t newest, double day_moves)
{
    int64_t next_midnight = (day_of(newest) + 1) * US_PER_DAY;
    int64_t room = next_midnight - 1 - newest; /* microseconds left on newest's day */
    bool move = uniform(s) < day_moves;
    uint64_t draw = rnd(s); /* drawn either way, so the stream's shape does not depend on room */
    if (move || room <= 0) {
        return next_midnight + (int64_t)(draw % (uint64_t)MOVE_SPAN);
    }
    return newest + 1 + (int64_t)(draw % (uint64_t)room);
}

/* The record's text. Returns its length; cap ≥ FLOE_USERSTREAM_RECORD_MAX always suffices. */
static size_t write_record(uint8_t *dst, size_t cap, enum floe_userstream_invalid inv, uint32_t id,
                           const char *bad_id, int64_t version, const char *first, const char *last,
                           const char *domain, int age, bool age_null)
{
    char *out = (char *)dst;
    char ts[28];
    char name[FLOE_USERSTREAM_LONG_NAME + 1];
    char lower[16];
    char age_text[16];
    char id_field[32];

    (void)floe_userstream_format_ts(ts, version); /* version was range-checked */
    if (inv == FLOE_USERSTREAM_NAME_SIZE) {
        /* "First Last First Last …" cut to exactly FLOE_USERSTREAM_LONG_NAME characters. */
        char one[40];
        int n = snprintf(one, sizeof(one), "%s %s ", first, last);
        for (size_t i = 0; i < FLOE_USERSTREAM_LONG_NAME; i++) {
            name[i] = one[i % (size_t)n];
        }
        name[FLOE_USERSTREAM_LONG_NAME] = '\0';
    } else {
        snprintf(name, sizeof(name), "%s %s", first, last);
    }
    size_t i = 0;
    for (; first[i] != '\0' && i + 1 < sizeof(lower); i++) {
        char c = first[i];
        lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    lower[i] = '\0';
    if (age_null) {
        snprintf(age_text, sizeof(age_text), "null");
    } else {
        snprintf(age_text, sizeof(age_text), "%d", age);
    }
    if (inv == FLOE_USERSTREAM_ID_MISSING) {
        id_field[0] = '\0';
    } else if (inv == FLOE_USERSTREAM_ID_TYPE) {
        snprintf(id_field, sizeof(id_field), "\"id\":\"%s\",", bad_id);
    } else {
        snprintf(id_field, sizeof(id_field), "\"id\":%" PRIu32 ",", id);
    }
    int n = snprintf(out, cap,
                     "{%s\"name\":\"%s\",\"email\":\"%s%" PRIu32 "@%s\",\"signup_ts\":\"%s\","
                     "\"age\":%s}",
                     id_field, name, lower, id, domain, ts, age_text);
    return n < 0 ? 0 : (size_t)n;
}

int floe_userstream_next(struct floe_userstream *u, uint8_t *dst, size_t cap,
                         struct floe_userstream_record *rec)
{
    if (cap < FLOE_USERSTREAM_RECORD_MAX) {
        return -ENOSPC;
    }
    if (u->opt.count != 0 && u->generated >= u->opt.count) {
        return -ENODATA;
    }
    uint64_t s[4];
    memcpy(s, u->rng, sizeof(s));
    const struct floe_userstream_options *o = &u->opt;

    /* What kind of record: one draw against the cumulative shares. */
    double r = uniform(s);
    enum floe_userstream_kind kind = FLOE_USERSTREAM_NEW;
    if (r < o->invalid) {
        kind = FLOE_USERSTREAM_INVALID;
    } else if (r < o->invalid + o->duplicates) {
        kind = FLOE_USERSTREAM_DUPLICATE;
    } else if (r < o->invalid + o->duplicates + o->stale) {
        kind = FLOE_USERSTREAM_STALE;
    } else if (r < o->invalid + o->duplicates + o->stale + o->equal) {
        kind = FLOE_USERSTREAM_EQUAL;
    }
    if (kind != FLOE_USERSTREAM_NEW && kind != FLOE_USERSTREAM_INVALID && u->distinct == 0) {
        kind = FLOE_USERSTREAM_NEW; /* nothing to repeat yet */
    }
    if (kind == FLOE_USERSTREAM_NEW && u->distinct == o->keys) {
        kind = FLOE_USERSTREAM_DUPLICATE; /* the key range is used up */
    }
    enum floe_userstream_invalid inv = FLOE_USERSTREAM_VALID;
    if (kind == FLOE_USERSTREAM_INVALID) {
        inv = (enum floe_userstream_invalid)(1 + u->kinds[FLOE_USERSTREAM_INVALID] %
                                                     (FLOE_USERSTREAM_INVALID_KINDS - 1));
    }

    /* Which id, and its newest version so far (0: none). */
    uint32_t id;
    if (kind == FLOE_USERSTREAM_NEW) {
        id = perm_id(u, u->distinct);
    } else if (u->distinct > 0) {
        id = perm_id(u, below(s, u->distinct));
    } else {
        id = perm_id(u, below(s, o->keys)); /* an invalid record before any valid one */
    }
    int64_t newest = u->newest[id - 1];

    /* Its version. */
    uint64_t span = (uint64_t)(o->days ? o->days : DAYS_DEFAULT) * (uint64_t)US_PER_DAY;
    int64_t version;
    switch (kind) {
    case FLOE_USERSTREAM_DUPLICATE:
        version = newer_version(s, newest, o->day_moves);
        break;
    case FLOE_USERSTREAM_STALE:
        version = newest - 1 - (int64_t)below(s, (uint64_t)STALE_SPAN);
        break;
    case FLOE_USERSTREAM_EQUAL:
        version = newest;
        break;
    case FLOE_USERSTREAM_INVALID:
        version = newest != 0 ? newer_version(s, newest, o->day_moves)
                              : T0 + (int64_t)below(s, span);
        break;
    default:
        version = T0 + (int64_t)below(s, span);
        break;
    }
    if (version < TS_MIN || version > TS_MAX) {
        return -ERANGE;
    }

    /* The other fields. */
    const char *first = first_names[below(s, COUNT_OF(first_names))];
    const char *last = last_names[below(s, COUNT_OF(last_names))];
    const char *domain = domains[below(s, COUNT_OF(domains))];
    bool age_null = below(s, 100) < 5;
    int age = 18 + (int)below(s, 73);
    const char *bad_id = bad_ids[below(s, COUNT_OF(bad_ids))];
    if (inv == FLOE_USERSTREAM_AGE_RANGE) {
        age_null = false;
        age = below(s, 2) == 0 ? -5 : 400;
    }

    size_t len =
        write_record(dst, cap, inv, id, bad_id, version, first, last, domain, age, age_null);
    if (inv == FLOE_USERSTREAM_MALFORMED) {
        /* A strict, non-empty prefix of an object is never a JSON text: it is not closed. */
        len = 1 + (size_t)below(s, len - 1);
        dst[len] = '\0';
    }

    memset(rec, 0, sizeof(*rec));
    rec->seq = u->generated;
    rec->kind = kind;
    rec->invalid = inv;
    rec->valid = kind != FLOE_USERSTREAM_INVALID;
    rec->has_id = inv == FLOE_USERSTREAM_VALID || inv == FLOE_USERSTREAM_AGE_RANGE ||
                  inv == FLOE_USERSTREAM_NAME_SIZE;
    rec->id = rec->has_id ? id : 0;
    rec->has_version = inv != FLOE_USERSTREAM_MALFORMED;
    rec->version = rec->has_version ? version : 0;
    rec->day_moved = rec->valid && newest != 0 && day_of(version) != day_of(newest);
    rec->len = len;

    memcpy(u->rng, s, sizeof(s));
    u->generated++;
    u->kinds[kind]++;
    u->invalids[inv]++;
    if (rec->day_moved) {
        u->day_moves++;
    }
    if (kind == FLOE_USERSTREAM_NEW) {
        u->distinct++;
    }
    if (rec->valid && version > newest) {
        u->newest[id - 1] = version;
    }
    return 0;
}
