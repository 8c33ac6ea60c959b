/* config.c — reading, validating and printing floe's configuration file.
 *
 * The file is read whole (it is small, and bounded), then line by line:
 *
 *     line    := blank | comment | "[" section "]" | key "=" value
 *     value   := unquoted | "double quoted" | 'single quoted'   (then blanks and an optional
 *                                                                  # comment)
 *
 * In an unquoted value a `#` starts a comment only at the start or after a blank, so
 * `pattern = ^a#b$` keeps its `#`. ${VAR} and ${VAR:-default} expand in unquoted and double-quoted
 * values (shell rules: `:-` applies when VAR is unset or empty; the default itself is taken
 * literally), never in single-quoted ones.
 * Every error is recorded and parsing goes on, so one run of `floe check` lists them all.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"

#define CONFIG_FILE_MAX (1u << 20)
#define VALUE_MAX 65536

/* ---- errors ---------------------------------------------------------------------------- */

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void add_error(struct floe_cfg_errors *errs, const char *file, int line, const char *fmt,
                      ...)
{
    char msg[1024];
    char *item;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (errs->n == errs->cap) {
        size_t cap = errs->cap ? errs->cap * 2 : 8;
        char **items = realloc(errs->items, cap * sizeof(*items));
        if (!items) {
            return;
        }
        errs->items = items;
        errs->cap = cap;
    }
    size_t len = strlen(file) + strlen(msg) + 32;
    item = malloc(len);
    if (!item) {
        return;
    }
    if (line > 0) {
        snprintf(item, len, "%s:%d: %s", file, line, msg);
    } else {
        snprintf(item, len, "%s: %s", file, msg);
    }
    errs->items[errs->n++] = item;
}

void floe_cfg_errors_free(struct floe_cfg_errors *errs)
{
    for (size_t i = 0; i < errs->n; i++) {
        free(errs->items[i]);
    }
    free(errs->items);
    errs->items = NULL;
    errs->n = errs->cap = 0;
}

/* ---- single values --------------------------------------------------------------------- */

static int ascii_casecmp(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        int d = tolower((unsigned char)*a) - tolower((unsigned char)*b);
        if (d) {
            return d;
        }
    }
    return (unsigned char)*a - (unsigned char)*b;
}

/* Reads a decimal whole number at *p, advancing it; -EINVAL if none, -ERANGE on overflow. */
static int read_uint(const char **p, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (!isdigit((unsigned char)*s)) {
        return -EINVAL;
    }
    for (; isdigit((unsigned char)*s); s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return -ERANGE;
        }
        v = v * 10 + d;
    }
    *p = s;
    *out = v;
    return 0;
}

int floe_parse_size(const char *text, uint64_t *out)
{
    const char *p = text;
    uint64_t v, mult = 1;
    int rc = read_uint(&p, &v);
    if (rc < 0) {
        return rc;
    }
    while (*p == ' ') {
        p++;
    }
    switch (toupper((unsigned char)*p)) {
    case 'K':
        mult = 1ull << 10;
        break;
    case 'M':
        mult = 1ull << 20;
        break;
    case 'G':
        mult = 1ull << 30;
        break;
    case 'T':
        mult = 1ull << 40;
        break;
    case 'B':
    case '\0':
        break;
    default:
        return -EINVAL;
    }
    if (mult != 1) {
        p++;
        if (toupper((unsigned char)*p) == 'I') {
            p++;
            if (toupper((unsigned char)*p) != 'B') {
                return -EINVAL;
            }
        }
    }
    if (toupper((unsigned char)*p) == 'B') {
        p++;
    }
    if (*p != '\0') {
        return -EINVAL;
    }
    if (v > UINT64_MAX / mult) {
        return -ERANGE;
    }
    *out = v * mult;
    return 0;
}

int floe_parse_duration_ms(const char *text, uint64_t *out)
{
    const char *p = text;
    uint64_t total = 0;
    if (strcmp(text, "0") == 0) {
        *out = 0;
        return 0;
    }
    do {
        uint64_t v, mult;
        int rc = read_uint(&p, &v);
        if (rc < 0) {
            return rc;
        }
        if (strncmp(p, "ms", 2) == 0) {
            mult = 1;
            p += 2;
        } else if (*p == 's') {
            mult = 1000;
            p++;
        } else if (*p == 'm') {
            mult = 60 * 1000;
            p++;
        } else if (*p == 'h') {
            mult = 3600 * 1000;
            p++;
        } else if (*p == 'd') {
            mult = 86400 * 1000;
            p++;
        } else {
            return -EINVAL; /* a duration needs its unit */
        }
        if (v > (UINT64_MAX - total) / mult) {
            return -ERANGE;
        }
        total += v * mult;
    } while (*p);
    *out = total;
    return 0;
}

int floe_parse_bool(const char *text, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (ascii_casecmp(text, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (ascii_casecmp(text, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

static int parse_int(const char *text, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (end == text || *end != '\0') {
        return -EINVAL;
    }
    if (errno == ERANGE) {
        return -ERANGE;
    }
    *out = (int64_t)v;
    return 0;
}

static bool enum_has(const char *choices, const char *value)
{
    size_t n = strlen(value);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, value, n) == 0) {
            return true;
        }
        p += len + (bar != NULL);
    }
    return false;
}

/* ---- names: lookup and suggestions ------------------------------------------------------ */

/* Levenshtein distance, for "did you mean". Names are short; inputs past 63 bytes compare as
 * far apart. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];
    if (la >= 64 || lb >= 64) {
        return 64;
    }
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = (tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]))
                              ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best) {
                best = row[j] + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* A suggestion is worth making within about a third of the name's length. */
static bool close_enough(const char *known, size_t d)
{
    size_t n = strlen(known);
    return d <= (n > 6 ? n / 3 : 2);
}

static bool section_exists(const char *section)
{
    if (strcmp(section, "validate") == 0) {
        return true; /* keys are column names: see validate.h */
    }
    for (const struct floe_cfg_key *k = floe_cfg_keys; k->name; k++) {
        if (strcmp(k->section, section) == 0) {
            return true;
        }
    }
    return false;
}

static const char *closest_section(const char *typed)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (const struct floe_cfg_key *k = floe_cfg_keys; k->name; k++) {
        size_t d = edit_distance(typed, k->section);
        if (d < best_d) {
            best_d = d;
            best = k->section;
        }
    }
    return (best && close_enough(best, best_d)) ? best : NULL;
}

static const struct floe_cfg_key *closest_key(const char *section, const char *typed)
{
    const struct floe_cfg_key *best = NULL;
    size_t best_d = SIZE_MAX;
    for (const struct floe_cfg_key *k = floe_cfg_keys; k->name; k++) {
        if (strcmp(k->section, section) == 0) {
            size_t d = edit_distance(typed, k->name);
            if (d < best_d) {
                best_d = d;
                best = k;
            }
        }
    }
    return (best && close_enough(best->name, best_d)) ? best : NULL;
}

static const struct floe_cfg_key *find_key(const char *section, const char *name)
{
    for (const struct floe_cfg_key *k = floe_cfg_keys; k->name; k++) {
        if (strcmp(k->section, section) == 0 && strcmp(k->name, name) == 0) {
            return k;
        }
    }
    return NULL;
}

static size_t key_count(void)
{
    size_t n = 0;
    while (floe_cfg_keys[n].name) {
        n++;
    }
    return n;
}

/* ---- the env file ------------------------------------------------------------------------ */

static struct floe_cfg_pair *env_pairs;
static size_t env_npairs;

const char *floe_env_get(const char *name)
{
    const char *v = getenv(name);
    if (v) {
        return v;
    }
    for (size_t i = 0; i < env_npairs; i++) {
        if (strcmp(env_pairs[i].name, name) == 0) {
            return env_pairs[i].value;
        }
    }
    return NULL;
}

static void free_pairs(struct floe_cfg_pair *pairs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(pairs[i].name);
        free(pairs[i].value);
    }
    free(pairs);
}

void floe_env_clear(void)
{
    free_pairs(env_pairs, env_npairs);
    env_pairs = NULL;
    env_npairs = 0;
}

void floe_env_save(struct floe_env_saved *saved)
{
    saved->pairs = env_pairs;
    saved->n = env_npairs;
    env_pairs = NULL;
    env_npairs = 0;
}

void floe_env_restore(struct floe_env_saved *saved)
{
    floe_env_clear();
    env_pairs = saved->pairs;
    env_npairs = saved->n;
    saved->pairs = NULL;
    saved->n = 0;
}

void floe_env_discard(struct floe_env_saved *saved)
{
    free_pairs(saved->pairs, saved->n);
    saved->pairs = NULL;
    saved->n = 0;
}

static int add_pair(struct floe_cfg_pair **pairs, size_t *n, const char *name, const char *value)
{
    struct floe_cfg_pair *grown = realloc(*pairs, (*n + 1) * sizeof(**pairs));
    if (!grown) {
        return -ENOMEM;
    }
    *pairs = grown;
    grown[*n].name = strdup(name);
    grown[*n].value = strdup(value);
    if (!grown[*n].name || !grown[*n].value) {
        free(grown[*n].name);
        free(grown[*n].value);
        return -ENOMEM;
    }
    (*n)++;
    return 0;
}

/* Reads a whole config or env file (at most CONFIG_FILE_MAX bytes, text only) into a
 * NUL-terminated buffer, or returns NULL with *why set. */
static char *read_file(const char *path, const char **why)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = floe_read_file(path, CONFIG_FILE_MAX, &buf, &len);
    if (rc < 0) {
        *why = rc == -EFBIG ? "larger than 1 MiB" : rc == -EINVAL ? "not a regular file"
                                                                  : strerror(-rc);
        return NULL;
    }
    if (memchr(buf, '\0', len)) {
        *why = "contains a NUL byte (not a text file)";
        free(buf);
        return NULL;
    }
    return buf;
}

static bool is_name_start(int c)
{
    return isalpha(c) || c == '_';
}

static bool is_name_char(int c)
{
    return isalnum(c) || c == '_';
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) {
        s++;
    }
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) {
        *--e = '\0';
    }
    return s;
}

int floe_env_load(const char *path, struct floe_cfg_errors *errs)
{
    const char *why = NULL;
    char *text = read_file(path, &why);
    struct floe_cfg_pair *pairs = NULL;
    size_t npairs = 0;
    size_t nerr = errs->n;
    if (!text) {
        add_error(errs, path, 0, "cannot read env file: %s", why);
        return -1;
    }
    int lineno = 0;
    for (char *line = text, *next; line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#') {
            continue;
        }
        if (strncmp(s, "export", 6) == 0 && isspace((unsigned char)s[6])) {
            s = trim(s + 6);
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            add_error(errs, path, lineno, "expected KEY=VALUE");
            continue;
        }
        *eq = '\0';
        char *name = trim(s);
        char *value = trim(eq + 1);
        bool ok = is_name_start((unsigned char)*name);
        for (const char *p = name; ok && *p; p++) {
            ok = is_name_char((unsigned char)*p);
        }
        if (!ok) {
            add_error(errs, path, lineno, "'%s' is not a variable name", name);
            continue;
        }
        if (value[0] == '"' || value[0] == '\'') {
            char *close = strchr(value + 1, value[0]);
            char *after = close ? trim(close + 1) : NULL;
            if (!close || (*after && *after != '#')) {
                add_error(errs, path, lineno, close ? "unexpected text after the quoted value "
                                                      "of %s"
                                                    : "unterminated quote in the value of %s",
                          name);
                continue;
            }
            *close = '\0';
            value++;
        } else {
            /* An unquoted value ends at a comment that follows a blank. */
            for (char *h = value; *h; h++) {
                if (*h == '#' && h > value && isspace((unsigned char)h[-1])) {
                    *h = '\0';
                    value = trim(value);
                    break;
                }
            }
        }
        if (add_pair(&pairs, &npairs, name, value) < 0) {
            add_error(errs, path, lineno, "out of memory");
        }
    }
    free(text);
    if (errs->n != nerr) {
        free_pairs(pairs, npairs);
        return -1;
    }
    floe_env_clear();
    env_pairs = pairs;
    env_npairs = npairs;
    return 0;
}

/* ---- values ------------------------------------------------------------------------------ */

struct loader {
    const char *file;
    struct floe_cfg_errors *errs;
    struct floe_config *cfg;
};

/* Appends n bytes to a bounded output; returns -1 when full. */
static int out_put(char *out, size_t *len, const char *s, size_t n)
{
    if (*len + n >= VALUE_MAX) {
        return -1;
    }
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
    return 0;
}

/* Expands ${VAR}, ${VAR:-default} and $$ from s[0..n) onto out. Returns 0, or -1 after
 * recording an error. */
static int expand(struct loader *ld, int line, const char *s, size_t n, char *out, size_t *len)
{
    const char *end = s + n;
    while (s < end) {
        if (*s != '$' || s + 1 >= end || (s[1] != '{' && s[1] != '$')) {
            if (out_put(out, len, s, 1) < 0) {
                goto too_long;
            }
            s++;
            continue;
        }
        if (s[1] == '$') {
            if (out_put(out, len, "$", 1) < 0) {
                goto too_long;
            }
            s += 2;
            continue;
        }
        const char *name = s + 2;
        const char *p = name;
        while (p < end && is_name_char((unsigned char)*p)) {
            p++;
        }
        size_t nlen = (size_t)(p - name);
        const char *def = NULL;
        size_t dlen = 0;
        if (p + 1 < end && p[0] == ':' && p[1] == '-') {
            def = p + 2;
            const char *close = memchr(def, '}', (size_t)(end - def));
            if (!close) {
                add_error(ld->errs, ld->file, line, "unterminated ${ in value");
                return -1;
            }
            dlen = (size_t)(close - def);
            p = close;
        }
        if (p >= end || *p != '}' || nlen == 0 || !is_name_start((unsigned char)*name)) {
            add_error(ld->errs, ld->file, line,
                      "malformed ${…}: expected ${NAME} or ${NAME:-default}");
            return -1;
        }
        char var[256];
        if (nlen >= sizeof(var)) {
            add_error(ld->errs, ld->file, line, "variable name too long");
            return -1;
        }
        memcpy(var, name, nlen);
        var[nlen] = '\0';
        const char *v = floe_env_get(var);
        if (def && (!v || !*v)) {
            if (out_put(out, len, def, dlen) < 0) {
                goto too_long;
            }
        } else if (!v) {
            add_error(ld->errs, ld->file, line,
                      "environment variable %s is not set (write ${%s:-default} for a fallback)",
                      var, var);
            return -1;
        } else if (out_put(out, len, v, strlen(v)) < 0) {
            goto too_long;
        }
        s = p + 1;
    }
    return 0;
too_long:
    add_error(ld->errs, ld->file, line, "value longer than %d bytes", VALUE_MAX - 1);
    return -1;
}

/* Turns the raw text after '=' into the value: quotes, comments, expansion. */
static int decode_value(struct loader *ld, int line, const char *raw, char *out, bool secret)
{
    size_t len = 0;
    out[0] = '\0';
    while (isspace((unsigned char)*raw)) {
        raw++;
    }
    if (*raw == '\'') {
        const char *close = strchr(raw + 1, '\'');
        if (!close) {
            add_error(ld->errs, ld->file, line, "unterminated single quote");
            return -1;
        }
        if (out_put(out, &len, raw + 1, (size_t)(close - raw - 1)) < 0) {
            add_error(ld->errs, ld->file, line, "value too long");
            return -1;
        }
        raw = close + 1;
    } else if (*raw == '"') {
        const char *p = raw + 1;
        const char *chunk = p;
        for (;;) {
            if (*p == '\0') {
                add_error(ld->errs, ld->file, line, "unterminated double quote");
                return -1;
            }
            if (*p == '"' || *p == '\\') {
                if (expand(ld, line, chunk, (size_t)(p - chunk), out, &len) < 0) {
                    return -1;
                }
                if (*p == '"') {
                    break;
                }
                static const char from[] = "\"\\$nt", to[] = "\"\\$\n\t";
                const char *esc = p[1] ? strchr(from, p[1]) : NULL;
                if (!esc) {
                    add_error(ld->errs, ld->file, line,
                              "unknown escape '\\%c' (use \\\" \\\\ \\$ \\n \\t)", p[1] ? p[1] : ' ');
                    return -1;
                }
                if (out_put(out, &len, &to[esc - from], 1) < 0) {
                    add_error(ld->errs, ld->file, line, "value too long");
                    return -1;
                }
                p += 2;
                chunk = p;
                continue;
            }
            p++;
        }
        raw = p + 1;
    } else {
        const char *end = raw;
        for (const char *p = raw; *p; p++) {
            if (*p == '#' && (p == raw || isspace((unsigned char)p[-1]))) {
                break;
            }
            end = p + 1;
        }
        while (end > raw && isspace((unsigned char)end[-1])) {
            end--;
        }
        if (expand(ld, line, raw, (size_t)(end - raw), out, &len) < 0) {
            return -1;
        }
        return 0;
    }
    /* After a quoted value: blanks and an optional comment only. */
    while (isspace((unsigned char)*raw)) {
        raw++;
    }
    if (*raw != '\0' && *raw != '#') {
        if (secret) { /* the text may be part of the secret: do not echo it */
            add_error(ld->errs, ld->file, line, "unexpected text after the closing quote");
        } else {
            add_error(ld->errs, ld->file, line, "unexpected text after the closing quote: '%s'",
                      raw);
        }
        return -1;
    }
    return 0;
}

static void *field_of(struct floe_config *cfg, const struct floe_cfg_key *k)
{
    return (char *)cfg + k->offset;
}

/* Converts text to the key's type and stores it. Returns 0 or -1 after recording an error. */
static int store_value(struct loader *ld, int line, const struct floe_cfg_key *k, const char *text)
{
    void *field = field_of(ld->cfg, k);
    int rc = 0;
    uint64_t u = 0;
    int64_t i = 0;
    bool b = false;
    const char *what = NULL;

    switch (k->type) {
    case FLOE_CFG_STRING:
    case FLOE_CFG_ENUM: {
        if (k->type == FLOE_CFG_ENUM && !enum_has(k->choices, text)) {
            add_error(ld->errs, ld->file, line, "%s.%s: '%s' is not one of %s", k->section,
                      k->name, text, k->choices);
            return -1;
        }
        char *copy = strdup(text);
        if (!copy) {
            add_error(ld->errs, ld->file, line, "out of memory");
            return -1;
        }
        free(*(char **)field);
        *(char **)field = copy;
        return 0;
    }
    case FLOE_CFG_INT:
        rc = parse_int(text, &i);
        what = "a whole number";
        u = (uint64_t)i;
        break;
    case FLOE_CFG_SIZE:
        rc = floe_parse_size(text, &u);
        what = "a size such as 512K, 64M or 1G";
        i = (int64_t)u;
        break;
    case FLOE_CFG_DURATION:
        rc = floe_parse_duration_ms(text, &u);
        what = "a duration such as 250ms, 30s, 5m or 1h";
        i = (int64_t)u;
        break;
    case FLOE_CFG_BOOL:
        rc = floe_parse_bool(text, &b);
        what = "true or false";
        break;
    }
    if (rc < 0) {
        add_error(ld->errs, ld->file, line, "%s.%s: '%s' is not %s%s", k->section, k->name, text,
                  what, rc == -ERANGE ? " (too large)" : "");
        return -1;
    }
    if (k->type != FLOE_CFG_BOOL && (k->min || k->max)) {
        bool low = (k->type == FLOE_CFG_INT) ? i < k->min : u < (uint64_t)k->min;
        bool high = k->max && ((k->type == FLOE_CFG_INT) ? i > k->max : u > (uint64_t)k->max);
        if (low || high) {
            char lo[32], hi[32];
            floe_cfg_format_value(k, &k->min, lo, sizeof(lo));
            floe_cfg_format_value(k, &k->max, hi, sizeof(hi));
            if (k->max) {
                add_error(ld->errs, ld->file, line, "%s.%s: %s is out of range (%s to %s)",
                          k->section, k->name, text, lo, hi);
            } else {
                add_error(ld->errs, ld->file, line, "%s.%s: %s is below the minimum %s",
                          k->section, k->name, text, lo);
            }
            return -1;
        }
    }
    switch (k->type) {
    case FLOE_CFG_INT:
        *(int64_t *)field = i;
        break;
    case FLOE_CFG_SIZE:
    case FLOE_CFG_DURATION:
        *(uint64_t *)field = u;
        break;
    case FLOE_CFG_BOOL:
        *(bool *)field = b;
        break;
    default:
        break;
    }
    return 0;
}

/* Checks a librdkafka property against librdkafka itself, so typos surface in `floe check`. */
static void check_rdkafka(struct loader *ld, int line, const char *name, const char *value)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf) {
        return;
    }
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        add_error(ld->errs, ld->file, line, "kafka.rdkafka.%s: %s", name, errstr);
    }
    rd_kafka_conf_destroy(conf);
}

/* librdkafka properties that may hold credentials (SASL passwords, key material). */
static bool rdkafka_secret(const char *name)
{
    return strstr(name, "password") || strstr(name, "secret") || strstr(name, "key");
}

static void handle_pair(struct loader *ld, int line, const char *section, char *name,
                        const char *raw, int *seen_lines)
{
    char *value = malloc(VALUE_MAX);
    if (!value) {
        add_error(ld->errs, ld->file, line, "out of memory");
        return;
    }
    if (strcmp(section, "kafka") == 0 && strncmp(name, "rdkafka.", 8) == 0 && name[8]) {
        if (decode_value(ld, line, raw, value, rdkafka_secret(name + 8)) == 0) {
            struct floe_config *cfg = ld->cfg;
            for (size_t i = 0; i < cfg->kafka.nrdkafka; i++) {
                if (strcmp(cfg->kafka.rdkafka[i].name, name + 8) == 0) {
                    add_error(ld->errs, ld->file, line, "kafka.%s is set twice", name);
                    goto done;
                }
            }
            check_rdkafka(ld, line, name + 8, value);
            if (add_pair(&cfg->kafka.rdkafka, &cfg->kafka.nrdkafka, name + 8, value) < 0) {
                add_error(ld->errs, ld->file, line, "out of memory");
            }
        }
        goto done;
    }
    if (strcmp(section, "validate") == 0) {
        struct floe_config *cfg = ld->cfg;
        for (size_t i = 0; i < cfg->validate.n; i++) {
            if (strcmp(cfg->validate.pairs[i].name, name) == 0) {
                add_error(ld->errs, ld->file, line, "validate.%s is set twice (line %d)", name,
                          cfg->validate.lines[i]);
                goto done;
            }
        }
        if (decode_value(ld, line, raw, value, false) == 0) {
            int *lines = realloc(cfg->validate.lines, (cfg->validate.n + 1) * sizeof(int));
            if (lines) {
                cfg->validate.lines = lines;
                lines[cfg->validate.n] = line;
            }
            if (!lines || add_pair(&cfg->validate.pairs, &cfg->validate.n, name, value) < 0) {
                add_error(ld->errs, ld->file, line, "out of memory");
            }
        }
        goto done;
    }
    const struct floe_cfg_key *k = find_key(section, name);
    if (!k) {
        const struct floe_cfg_key *near = closest_key(section, name);
        const struct floe_cfg_key *elsewhere = NULL;
        for (const struct floe_cfg_key *o = floe_cfg_keys; o->name; o++) {
            if (strcmp(o->name, name) == 0) {
                elsewhere = o;
                break;
            }
        }
        if (near) {
            add_error(ld->errs, ld->file, line, "unknown key '%s' in [%s]; did you mean '%s'?",
                      name, section, near->name);
        } else if (elsewhere) {
            add_error(ld->errs, ld->file, line, "unknown key '%s' in [%s]; it belongs in [%s]",
                      name, section, elsewhere->section);
        } else if (strcmp(section, "kafka") == 0) {
            add_error(ld->errs, ld->file, line,
                      "unknown key '%s' in [kafka] (librdkafka properties go as rdkafka.<name>)",
                      name);
        } else {
            add_error(ld->errs, ld->file, line, "unknown key '%s' in [%s]", name, section);
        }
        goto done;
    }
    size_t idx = (size_t)(k - floe_cfg_keys);
    if (seen_lines[idx]) {
        add_error(ld->errs, ld->file, line, "%s.%s is already set on line %d", section, name,
                  seen_lines[idx]);
        goto done;
    }
    seen_lines[idx] = line;
    if (decode_value(ld, line, raw, value, (k->flags & FLOE_CFG_SECRET) != 0) == 0) {
        if (store_value(ld, line, k, value) == 0) {
            ld->cfg->lines[idx] = line;
        }
    }
done:
    free(value);
}

/* ---- whole-file checks ------------------------------------------------------------------- */

static bool valid_ident(const char *s, const char *extra)
{
    if (!*s) {
        return false;
    }
    for (; *s; s++) {
        if (!is_name_char((unsigned char)*s) && !strchr(extra, *s)) {
            return false;
        }
    }
    return true;
}

static int line_of(const struct floe_config *cfg, const char *section, const char *name)
{
    const struct floe_cfg_key *k = find_key(section, name);
    return k ? cfg->lines[k - floe_cfg_keys] : 0;
}

/* Checks that span keys: names, the warehouse URI, schema, partition spec, key and version
 * columns. Runs even when single values failed, so one pass reports everything; a value that
 * failed to parse is empty here and is not reported twice. */
static void check_table(struct loader *ld)
{
    struct floe_config *cfg = ld->cfg;
    char err[512];
    int line;


    if (!cfg->table.name || !*cfg->table.name) {
        free(cfg->table.name);
        cfg->table.name = strdup(cfg->kafka.topic ? cfg->kafka.topic : "");
    }
    line = line_of(cfg, "table", "name");
    if (cfg->table.name && *cfg->table.name && !valid_ident(cfg->table.name, "-")) {
        if (line) {
            add_error(ld->errs, ld->file, line,
                      "table.name '%s' may hold only letters, digits, '_' and '-'",
                      cfg->table.name);
        } else {
            add_error(ld->errs, ld->file, line_of(cfg, "kafka", "topic"),
                      "table.name defaults to kafka.topic '%s', which is not a valid table name "
                      "(letters, digits, '_' and '-'): set table.name",
                      cfg->table.name);
        }
    }
    const char *dlt = cfg->dead_letter.topic;
    line = line_of(cfg, "dead_letter", "topic");
    if (dlt && *dlt) {
        bool ok = strlen(dlt) <= 249 && strcmp(dlt, ".") != 0 && strcmp(dlt, "..") != 0;
        for (const char *c = dlt; ok && *c; c++) {
            ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                 *c == '.' || *c == '_' || *c == '-';
        }
        if (!ok) {
            add_error(ld->errs, ld->file, line,
                      "dead_letter.topic '%s' is not a Kafka topic name (1..249 of letters, "
                      "digits, '.', '_' and '-')",
                      dlt);
        } else if (cfg->kafka.topic && strcmp(dlt, cfg->kafka.topic) == 0) {
            add_error(ld->errs, ld->file, line,
                      "dead_letter.topic '%s' is kafka.topic: rejected records would be read "
                      "again",
                      dlt);
        }
    }
    line = line_of(cfg, "table", "namespace");
    /* A value that failed to decode is NULL here and was reported already. */
    if (cfg->table.namespace_ &&
        (!valid_ident(cfg->table.namespace_, ".") || cfg->table.namespace_[0] == '.')) {
        add_error(ld->errs, ld->file, line,
                  "table.namespace '%s' may hold only letters, digits, '_' and '.' between levels",
                  cfg->table.namespace_);
    }
    const char *wh = cfg->table.warehouse;
    line = line_of(cfg, "table", "warehouse");
    if (wh && *wh && strstr(wh, "://") && strncmp(wh, "file://", 7) != 0 &&
        strncmp(wh, "s3://", 5) != 0) {
        add_error(ld->errs, ld->file, line,
                  "table.warehouse '%s': only file://, s3:// and plain paths are supported", wh);
    } else if (wh && strncmp(wh, "s3://", 5) == 0 && (wh[5] == '\0' || wh[5] == '/')) {
        add_error(ld->errs, ld->file, line, "table.warehouse '%s' names no bucket", wh);
    } else if (wh && strncmp(wh, "file://", 7) == 0 && wh[7] != '/') {
        add_error(ld->errs, ld->file, line, "table.warehouse '%s': file:// needs an absolute path",
                  wh);
    }

    if (!cfg->table.schema) {
        return; /* reported as missing */
    }
    cfg->table.parsed_schema = calloc(1, sizeof(*cfg->table.parsed_schema));
    cfg->table.parsed_partition = calloc(1, sizeof(*cfg->table.parsed_partition));
    if (!cfg->table.parsed_schema || !cfg->table.parsed_partition) {
        add_error(ld->errs, ld->file, 0, "out of memory");
        return;
    }
    line = line_of(cfg, "table", "schema");
    if (floe_schema_parse(cfg->table.schema, cfg->table.parsed_schema, err, sizeof(err)) < 0) {
        add_error(ld->errs, ld->file, line, "table.schema: %s", err);
        return;
    }
    const struct floe_schema *schema = cfg->table.parsed_schema;
    for (size_t i = 0; i < cfg->validate.n; i++) {
        int rc = floe_rules_add(&cfg->validate.rules, schema, cfg->validate.pairs[i].name,
                                cfg->validate.pairs[i].value, err, sizeof(err));
        if (rc < 0) {
            add_error(ld->errs, ld->file, cfg->validate.lines[i], "%s",
                      rc == -ENOMEM ? "out of memory" : err);
        }
    }
    line = line_of(cfg, "table", "partition");
    if (cfg->table.partition && floe_partition_parse(cfg->table.partition, schema,
                                                     cfg->table.parsed_partition, err,
                                                     sizeof(err)) < 0) {
        add_error(ld->errs, ld->file, line, "table.partition: %s", err);
    }
    line = line_of(cfg, "table", "key");
    /* An empty key: every record is appended, nothing deduplicated. */
    int key = cfg->table.key && *cfg->table.key ? floe_schema_find(schema, cfg->table.key) : -2;
    if (key == -2) {
        /* reported already */
    } else if (key < 0) {
        add_error(ld->errs, ld->file, line, "table.key: no column '%s' in the schema",
                  cfg->table.key);
    } else {
        const struct floe_column *c = &schema->columns[key];
        if (!c->required) {
            add_error(ld->errs, ld->file, line,
                      "table.key: column '%s' must be declared `required` (Iceberg identifier "
                      "fields cannot be null)",
                      c->name);
        }
        if (c->type == FLOE_TYPE_FLOAT || c->type == FLOE_TYPE_DOUBLE ||
            c->type == FLOE_TYPE_BOOLEAN) {
            add_error(ld->errs, ld->file, line, "table.key: a %s column cannot be a key",
                      floe_type_name(c->type));
        }
    }
    if (cfg->table.version && *cfg->table.version) {
        line = line_of(cfg, "table", "version");
        int ver = floe_schema_find(schema, cfg->table.version);
        if (ver < 0) {
            add_error(ld->errs, ld->file, line,
                      "table.version: no column '%s' in the schema (set `version =` to keep the "
                      "last record read)",
                      cfg->table.version);
        } else {
            enum floe_type t = schema->columns[ver].type;
            if (t != FLOE_TYPE_INT && t != FLOE_TYPE_LONG && t != FLOE_TYPE_DATE &&
                t != FLOE_TYPE_TIMESTAMP && t != FLOE_TYPE_TIMESTAMPTZ) {
                add_error(ld->errs, ld->file, line,
                          "table.version: a %s column cannot order versions (use int, long, "
                          "date or a timestamp)",
                          floe_type_name(t));
            }
        }
    }
    /* The hash is part of the budget; batches and the encoder need the rest. */
    if (cfg->table.key && *cfg->table.key && cfg->limits.memory &&
        cfg->dedup.memory + ((uint64_t)4 << 20) > cfg->limits.memory) {
        add_error(ld->errs, ld->file, line_of(cfg, "dedup", "memory"),
                  "dedup.memory (%" PRIu64 " bytes) must leave at least 4M of limits.memory "
                  "(%" PRIu64 " bytes) for batches and the Parquet encoder",
                  cfg->dedup.memory, cfg->limits.memory);
    }
}

struct floe_config *floe_config_copy_for_jobs(const struct floe_config *cfg)
{
    struct floe_config *c = malloc(sizeof(*c));
    if (!c) {
        return NULL;
    }
    *c = *cfg;
    c->path = NULL;
    c->kafka.rdkafka = NULL;
    c->kafka.nrdkafka = 0;
    c->validate.pairs = NULL;
    c->validate.n = 0;
    c->validate.lines = NULL;
    memset(&c->validate.rules, 0, sizeof(c->validate.rules));
    c->lines = NULL;
    c->table.parsed_schema = NULL;
    c->table.parsed_partition = NULL;
    bool ok = true;
    for (const struct floe_cfg_key *k = floe_cfg_keys; k->name; k++) {
        if (k->type != FLOE_CFG_STRING && k->type != FLOE_CFG_ENUM) {
            continue;
        }
        char **field = (char **)((char *)c + k->offset);
        if (*field && !(k->flags & FLOE_CFG_SECRET)) {
            *field = strdup(*field);
            ok = ok && *field;
        } else {
            *field = NULL;
        }
    }
    if (cfg->table.parsed_schema) {
        c->table.parsed_schema = malloc(sizeof(*c->table.parsed_schema));
        ok = ok && c->table.parsed_schema;
        if (c->table.parsed_schema) {
            *c->table.parsed_schema = *cfg->table.parsed_schema;
        }
    }
    if (cfg->table.parsed_partition) {
        c->table.parsed_partition = malloc(sizeof(*c->table.parsed_partition));
        ok = ok && c->table.parsed_partition;
        if (c->table.parsed_partition) {
            *c->table.parsed_partition = *cfg->table.parsed_partition;
        }
    }
    if (!ok) {
        floe_config_free(c);
        return NULL;
    }
    return c;
}

/* ---- the file ---------------------------------------------------------------------------- */

void floe_config_free(struct floe_config *cfg)
{
    if (!cfg) {
        return;
    }
    for (const struct floe_cfg_key *k = floe_cfg_keys; k->name; k++) {
        if (k->type == FLOE_CFG_STRING || k->type == FLOE_CFG_ENUM) {
            free(*(char **)field_of(cfg, k));
        }
    }
    free_pairs(cfg->kafka.rdkafka, cfg->kafka.nrdkafka);
    free_pairs(cfg->validate.pairs, cfg->validate.n);
    free(cfg->validate.lines);
    floe_rules_free(&cfg->validate.rules);
    free(cfg->table.parsed_schema);
    free(cfg->table.parsed_partition);
    free(cfg->lines);
    free(cfg->path);
    free(cfg);
}

struct floe_config *floe_config_load(const char *path, struct floe_cfg_errors *errs)
{
    const char *why = NULL;
    char *text = read_file(path, &why);
    if (!text) {
        add_error(errs, path, 0, "cannot read config: %s", why);
        return NULL;
    }
    struct floe_config *cfg = floe_config_parse(path, text, errs);
    free(text);
    return cfg;
}

static struct floe_config *parse(const char *path, char *text, const char *only,
                                 struct floe_cfg_errors *errs);

struct floe_config *floe_config_parse(const char *path, char *text, struct floe_cfg_errors *errs)
{
    return parse(path, text, NULL, errs);
}

/* Whether section is a word of the space-separated list only (NULL: every section). */
static bool section_wanted(const char *only, const char *section)
{
    if (!only) {
        return true;
    }
    size_t n = strlen(section);
    for (const char *p = only; *p;) {
        while (*p == ' ') {
            p++;
        }
        size_t w = strcspn(p, " ");
        if (w == n && strncmp(p, section, n) == 0) {
            return true;
        }
        p += w;
    }
    return false;
}

struct floe_config *floe_config_load_only(const char *path, const char *sections,
                                          struct floe_cfg_errors *errs)
{
    const char *why = NULL;
    char *text = read_file(path, &why);
    if (!text) {
        add_error(errs, path, 0, "cannot read config: %s", why);
        return NULL;
    }
    struct floe_config *cfg = parse(path, text, sections, errs);
    free(text);
    return cfg;
}

static struct floe_config *parse(const char *path, char *text, const char *only,
                                 struct floe_cfg_errors *errs)
{
    size_t nerr = errs->n;
    char section[64] = "";
    int section_line = 0;
    int lineno = 0;
    size_t nkeys = key_count();
    int *seen = calloc(nkeys, sizeof(int));
    int *header = calloc(nkeys, sizeof(int)); /* line of each key's first section header */
    struct floe_config *cfg = calloc(1, sizeof(*cfg));
    struct loader ld = {path, errs, cfg};

    if (!cfg || !seen || !header || !(cfg->lines = calloc(nkeys, sizeof(int))) ||
        !(cfg->path = strdup(path))) {
        add_error(errs, path, 0, "out of memory");
        goto fail;
    }
    size_t text_len = strlen(text);
    int last_line = 0; /* the number of the file's last line */
    for (size_t i = 0; i < text_len; i++) {
        last_line += text[i] == '\n' || i + 1 == text_len;
    }
    for (char *line = text, *next; line; line = next) {
        lineno++;
        next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';') {
            continue;
        }
        if (*s == '[') {
            char *close = strchr(s, ']');
            char *after = close ? trim(close + 1) : NULL;
            if (!close || (*after && *after != '#')) {
                add_error(errs, path, lineno, "malformed section header (expected [name])");
                section[0] = '\0';
                section_line = -1;
                continue;
            }
            *close = '\0';
            char *name = trim(s + 1);
            if (!section_exists(name)) {
                const char *near = closest_section(name);
                if (near) {
                    add_error(errs, path, lineno, "unknown section [%s]; did you mean [%s]?",
                              name, near);
                } else {
                    add_error(errs, path, lineno,
                              "unknown section [%s] (sections: kafka, table, validate, "
                              "dead_letter, dedup, s3, limits, agent)",
                              name);
                }
                section_line = -1; /* skip its keys without more noise */
                section[0] = '\0';
                continue;
            }
            snprintf(section, sizeof(section), "%s", name);
            section_line = lineno;
            for (size_t i = 0; i < nkeys; i++) {
                if (!header[i] && strcmp(floe_cfg_keys[i].section, name) == 0) {
                    header[i] = lineno;
                }
            }
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            add_error(errs, path, lineno, "expected `key = value`");
            continue;
        }
        *eq = '\0';
        char *name = trim(s);
        if (section_line < 0) {
            continue;
        }
        if (section_line == 0) {
            add_error(errs, path, lineno, "'%s' is outside any [section]", name);
            continue;
        }
        if (!*name) {
            add_error(errs, path, lineno, "missing key name before '='");
            continue;
        }
        handle_pair(&ld, lineno, section, name, eq + 1, seen);
    }

    /* Defaults (expanded like file values), then required keys. */
    for (size_t i = 0; i < nkeys; i++) {
        const struct floe_cfg_key *k = &floe_cfg_keys[i];
        if (seen[i]) {
            continue;
        }
        if ((k->flags & FLOE_CFG_REQUIRED) && section_wanted(only, k->section)) {
            /* Pointed at its section's header, or at the end of the file without one. */
            add_error(errs, path, header[i] ? header[i] : last_line,
                      "%s.%s is required: %s", k->section, k->name, k->doc);
            continue;
        }
        if (k->def) {
            char *value = malloc(VALUE_MAX);
            if (value && decode_value(&ld, 0, k->def, value, false) == 0) {
                store_value(&ld, 0, k, value);
            }
            free(value);
        }
    }
    if (section_wanted(only, "table")) {
        check_table(&ld);
    }
    if (errs->n != nerr) {
        goto fail;
    }
    free(seen);
    free(header);
    return cfg;
fail:
    free(seen);
    free(header);
    floe_config_free(cfg);
    return NULL;
}

/* ---- printing ---------------------------------------------------------------------------- */

static void format_scaled(uint64_t v, const char *const units[], const uint64_t scale[],
                          size_t n, char *buf, size_t cap)
{
    for (size_t i = n; i-- > 0;) {
        if (v >= scale[i] && v % scale[i] == 0) {
            snprintf(buf, cap, "%" PRIu64 "%s", v / scale[i], units[i]);
            return;
        }
    }
    snprintf(buf, cap, "%" PRIu64 "%s", v, units[0]);
}

void floe_cfg_format_value(const struct floe_cfg_key *k, const void *field, char *buf, size_t cap)
{
    static const char *const size_units[] = {"", "K", "M", "G", "T"};
    static const uint64_t size_scale[] = {1, 1ull << 10, 1ull << 20, 1ull << 30, 1ull << 40};
    static const char *const dur_units[] = {"ms", "s", "m", "h"};
    static const uint64_t dur_scale[] = {1, 1000, 60000, 3600000};

    switch (k->type) {
    case FLOE_CFG_STRING:
    case FLOE_CFG_ENUM: {
        const char *s = *(char *const *)field;
        snprintf(buf, cap, "%s", s ? s : "");
        break;
    }
    case FLOE_CFG_INT:
        snprintf(buf, cap, "%" PRId64, *(const int64_t *)field);
        break;
    case FLOE_CFG_SIZE:
        format_scaled(*(const uint64_t *)field, size_units, size_scale, 5, buf, cap);
        break;
    case FLOE_CFG_DURATION:
        if (*(const uint64_t *)field == 0) {
            snprintf(buf, cap, "0");
        } else {
            format_scaled(*(const uint64_t *)field, dur_units, dur_scale, 4, buf, cap);
        }
        break;
    case FLOE_CFG_BOOL:
        snprintf(buf, cap, "%s", *(const bool *)field ? "true" : "false");
        break;
    }
}

/* Writes a value so that floe reads it back unchanged: bare when safe, else double-quoted. */
static void print_value(FILE *out, const char *v)
{
    size_t n = strlen(v);
    bool bare = n > 0 && !isspace((unsigned char)v[0]) && !isspace((unsigned char)v[n - 1]) &&
                v[0] != '"' && v[0] != '\'' && !strchr(v, '$') && !strchr(v, '#') &&
                !strchr(v, '\n');
    if (bare) {
        fputs(v, out);
        return;
    }
    fputc('"', out);
    for (; *v; v++) {
        switch (*v) {
        case '"':
        case '\\':
        case '$':
            fputc('\\', out);
            fputc(*v, out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            fputc(*v, out);
        }
    }
    fputc('"', out);
}

/* The [validate] pairs, as written. */
static void print_validate(const struct floe_config *cfg, FILE *out)
{
    if (cfg->validate.n == 0) {
        return;
    }
    fputs("\n[validate]\n", out);
    for (size_t i = 0; i < cfg->validate.n; i++) {
        fprintf(out, "%s = ", cfg->validate.pairs[i].name);
        print_value(out, cfg->validate.pairs[i].value);
        fputc('\n', out);
    }
}

void floe_config_print(const struct floe_config *cfg, FILE *out)
{
    const char *section = NULL;
    char buf[VALUE_MAX];
    fprintf(out, "# %s, as floe reads it (defaults marked; secrets masked)\n", cfg->path);
    for (const struct floe_cfg_key *k = floe_cfg_keys; k->name; k++) {
        if (!section || strcmp(section, k->section) != 0) {
            fprintf(out, "%s[%s]\n", section ? "\n" : "", k->section);
            section = k->section;
        }
        floe_cfg_format_value(k, (const char *)cfg + k->offset, buf, sizeof(buf));
        fprintf(out, "%s = ", k->name);
        if ((k->flags & FLOE_CFG_SECRET) && buf[0]) {
            fputs("********", out);
        } else {
            print_value(out, buf);
        }
        fputs(cfg->lines[k - floe_cfg_keys] ? "\n" : "    # default\n", out);
        const struct floe_cfg_key *next = k + 1;
        if (strcmp(k->section, "kafka") == 0 && (!next->name || strcmp(next->section, "kafka"))) {
            for (size_t i = 0; i < cfg->kafka.nrdkafka; i++) {
                fprintf(out, "rdkafka.%s = ", cfg->kafka.rdkafka[i].name);
                /* librdkafka properties may carry SASL passwords: mask those that say so. */
                if (rdkafka_secret(cfg->kafka.rdkafka[i].name)) {
                    fputs("********\n", out);
                } else {
                    print_value(out, cfg->kafka.rdkafka[i].value);
                    fputc('\n', out);
                }
            }
        }
    }
    print_validate(cfg, out);
}

int floe_config_diff(const struct floe_config *a, const struct floe_config *b, char *out,
                     size_t cap)
{
    char va[VALUE_MAX], vb[VALUE_MAX];
    int n = 0;
    size_t len = 0;
    if (cap) {
        out[0] = '\0';
    }
    for (const struct floe_cfg_key *k = floe_cfg_keys; k->name; k++) {
        floe_cfg_format_value(k, (const char *)a + k->offset, va, sizeof(va));
        floe_cfg_format_value(k, (const char *)b + k->offset, vb, sizeof(vb));
        if (strcmp(va, vb) != 0) {
            int w = snprintf(out + len, cap > len ? cap - len : 0, "%s%s.%s", n ? " " : "",
                             k->section, k->name);
            if (w > 0 && len + (size_t)w < cap) {
                len += (size_t)w;
            }
            n++;
        }
    }
    bool same_rules = a->validate.n == b->validate.n;
    for (size_t i = 0; same_rules && i < a->validate.n; i++) {
        same_rules = strcmp(a->validate.pairs[i].name, b->validate.pairs[i].name) == 0 &&
                     strcmp(a->validate.pairs[i].value, b->validate.pairs[i].value) == 0;
    }
    if (!same_rules) {
        int w = snprintf(out + len, cap > len ? cap - len : 0, "%svalidate.*", n ? " " : "");
        if (w > 0 && len + (size_t)w < cap) {
            len += (size_t)w;
        }
        n++;
    }
    bool same = a->kafka.nrdkafka == b->kafka.nrdkafka;
    for (size_t i = 0; same && i < a->kafka.nrdkafka; i++) {
        same = strcmp(a->kafka.rdkafka[i].name, b->kafka.rdkafka[i].name) == 0 &&
               strcmp(a->kafka.rdkafka[i].value, b->kafka.rdkafka[i].value) == 0;
    }
    if (!same) {
        int w = snprintf(out + len, cap > len ? cap - len : 0, "%skafka.rdkafka.*", n ? " " : "");
        if (w > 0 && len + (size_t)w < cap) {
            len += (size_t)w;
        }
        n++;
    }
    return n;
}

void floe_config_reference(FILE *out)
{
    const char *section = NULL;
    static const char *const type_names[] = {"string", "integer", "size", "duration", "boolean",
                                              "choice"};
    for (const struct floe_cfg_key *k = floe_cfg_keys; k->name; k++) {
        if (!section || strcmp(section, k->section) != 0) {
            fprintf(out, "%s#### [%s]\n\n| key | type | default | meaning |\n|---|---|---|---|\n",
                    section ? "\n" : "", k->section);
            section = k->section;
        }
        const char *type = type_names[k->type];
        fprintf(out, "| `%s` | %s", k->name, type);
        if (k->type == FLOE_CFG_ENUM) {
            fputs(": ", out);
            for (const char *c = k->choices; *c; c++) {
                if (*c == '|') {
                    fputs(", ", out);
                } else {
                    fputc(*c, out);
                }
            }
        }
        if (k->flags & FLOE_CFG_REQUIRED) {
            fputs(" | **required** |", out);
        } else if (k->def && *k->def) {
            fprintf(out, " | `%s` |", k->def);
        } else {
            fputs(" | empty |", out);
        }
        fprintf(out, " %s%s |\n", k->doc, (k->flags & FLOE_CFG_SECRET) ? " Secret: never printed."
                                                                         : "");
        if (strcmp(k->section, "kafka") == 0 && (!k[1].name || strcmp(k[1].section, "kafka"))) {
            fputs("| `rdkafka.<name>` | string | — | Any librdkafka property, passed through and "
                  "checked by librdkafka. |\n",
                  out);
        }
        if (strcmp(k->section, "table") == 0 && (!k[1].name || strcmp(k[1].section, "table"))) {
            fputs("\n#### [validate]\n\n| key | type | default | meaning |\n|---|---|---|---|\n"
                  "| `<column>` | rules | none | Comma-separated rules a record must pass: "
                  "`min N`, `max N` (numbers), `max_length N` (strings: characters; binary: "
                  "bytes), `not_null`, and last `pattern RE` (a POSIX extended regular "
                  "expression the string must match). |\n",
                  out);
        }
    }
}

/* Values the example config gives the keys that have no default. */
static const struct {
    const char *section, *name, *value;
} examples[] = {
    {"kafka", "topic", "users"},
    {"table", "warehouse", "/var/lib/floe/warehouse"},
    {"table", "schema", "id long required, name string, email string, signup_ts timestamptz, age int"},
};

void floe_config_example(FILE *out)
{
    const char *section = NULL;
    fputs("# floe configuration: every key, with its default (commented out) or an example value.\n"
          "# Values may use ${VAR} and ${VAR:-default} from the environment or --env-file.\n",
          out);
    for (const struct floe_cfg_key *k = floe_cfg_keys; k->name; k++) {
        if (!section || strcmp(section, k->section) != 0) {
            fprintf(out, "\n[%s]\n", k->section);
            section = k->section;
        }
        fprintf(out, "# %s%s\n", k->doc, (k->flags & FLOE_CFG_SECRET) ? " (secret)" : "");
        if (k->type == FLOE_CFG_ENUM) {
            fputs("# one of: ", out);
            for (const char *c = k->choices; *c; c++) {
                if (*c == '|') {
                    fputs(", ", out);
                } else {
                    fputc(*c, out);
                }
            }
            fputc('\n', out);
        }
        const char *example = NULL;
        for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
            if (strcmp(examples[i].section, k->section) == 0 &&
                strcmp(examples[i].name, k->name) == 0) {
                example = examples[i].value;
            }
        }
        if (example) {
            fprintf(out, "%s = %s\n", k->name, example);
        } else {
            fprintf(out, "# %s = %s\n", k->name, k->def ? k->def : "");
        }
        if (strcmp(k->section, "kafka") == 0 && (!k[1].name || strcmp(k[1].section, "kafka"))) {
            fputs("# Any librdkafka property, passed through:\n# rdkafka.fetch.max.bytes = 1048576\n",
                  out);
        }
        if (strcmp(k->section, "table") == 0 && (!k[1].name || strcmp(k[1].section, "table"))) {
            fputs("\n[validate]\n# Rules per column, comma-separated: min N, max N, max_length N, "
                  "not_null,\n# and last pattern RE (POSIX extended). A record that fails one is "
                  "rejected.\n# age = min 0, max 150\n# email = max_length 254, pattern "
                  "^[^@ ]+@[^@ ]+$\n",
                  out);
        }
    }
}
