/* deadletter.h — where rejected records go: a local NDJSON file of
 *
 *     {"time":"2026-11-24T01:02:03.456Z","reason":"column 'age': ...","source":{"file":"in.ndjson",
 *      "line":12},"record":"{\"id\":\"x\"}"}
 *
 * one object a line, written with one append each. A record that is not valid UTF-8 is kept
 * byte-exact as "record_base64" instead of "record"; a record that was too long to keep has
 * neither, and "record_bytes" says how long it was. When the file would pass max_size it is
 * renamed to FILE.1 (replacing the previous one) and a new file is started: the dead letter
 * stays within twice max_size. Errors writing it are reported once and do not stop the write
 * path (the record is still reported on stderr by the caller). */
#ifndef FLOE_DEADLETTER_H
#define FLOE_DEADLETTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct floe_dead_letter {
    char *path; /* NULL: no dead-letter file */
    uint64_t max_size;
    int fd;
    uint64_t size;
    uint64_t written; /* records written since open */
    bool failed;      /* an error was reported; later ones are not */
};

/* floe_dead_letter_open(d, cfg): opens (appending) dead_letter.file under agent.state_dir.
 * Returns 0 (d->path NULL when no file is configured), or a negative errno with the reason on
 * stderr. */
int floe_dead_letter_open(struct floe_dead_letter *d, const struct floe_config *cfg);

/* floe_dead_letter_add(d, reason, source_json, raw, len, raw_len): appends one rejected record.
 * source_json is a JSON object text (e.g. {"file":"x","line":3}); raw[0..len) the record as
 * received (NULL if not kept), raw_len its full length. Returns 0, or a negative errno (also
 * reported on stderr the first time). Does nothing without a file. */
int floe_dead_letter_add(struct floe_dead_letter *d, const char *reason, const char *source_json,
                         const uint8_t *raw, size_t len, uint64_t raw_len);

/* floe_dead_letter_close(d): closes the file; d may be unopened. */
void floe_dead_letter_close(struct floe_dead_letter *d);

/* floe_json_string(dst, cap, s, n): s[0..n) as a JSON string literal: quotes included, '"' and
 * '\\' escaped, control characters as \u00XX, every other byte kept (s should be UTF-8).
 * NUL-terminated. Returns the length, or -ENOSPC. */
int floe_json_string(char *dst, size_t cap, const uint8_t *s, size_t n);

#endif
