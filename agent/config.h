/* config.h — floe's configuration: one INI-style file, one declarative table of keys.
 *
 *     [section]
 *     key = value        # a comment after blanks, or on a line of its own
 *     secret = ${AWS_SECRET_ACCESS_KEY}
 *     name = "a quoted # string"
 *
 * Every key floe knows is declared once in config_keys.c with its section, name, type, default,
 * documentation and the field of struct floe_config it fills. That table drives the parser,
 * `floe check` (which prints the normalised config with secrets masked) and the README's
 * reference (`floe help config`). Values may use `${VAR}` and `${VAR:-default}`, looked up in
 * the process environment and then in an env file (`--env-file`); `$$` is a literal `$`.
 * Parsing collects every error as `file:line: message` instead of stopping at the first.
 */
#ifndef FLOE_CONFIG_H
#define FLOE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "schema.h"
#include "validate.h"

enum floe_cfg_type {
    FLOE_CFG_STRING,   /* char * */
    FLOE_CFG_INT,      /* int64_t, within [min, max] */
    FLOE_CFG_SIZE,     /* uint64_t bytes: 512K, 64M, 1G (powers of 1024) */
    FLOE_CFG_DURATION, /* uint64_t milliseconds: 250ms, 30s, 5m, 1h */
    FLOE_CFG_BOOL,     /* bool: true/false, yes/no, on/off, 1/0 */
    FLOE_CFG_ENUM,     /* char *, one of the '|'-separated choices */
};

#define FLOE_CFG_SECRET 0x1   /* never printed or logged */
#define FLOE_CFG_REQUIRED 0x2 /* no default: the file must set it */

struct floe_cfg_key {
    const char *section;
    const char *name;
    enum floe_cfg_type type;
    const char *def;     /* default as config text, NULL for none */
    const char *doc;     /* one sentence for `floe check` and the reference */
    size_t offset;       /* of the field in struct floe_config */
    unsigned flags;
    int64_t min, max;    /* FLOE_CFG_INT, FLOE_CFG_SIZE, FLOE_CFG_DURATION bounds (max 0: none) */
    const char *choices; /* FLOE_CFG_ENUM: "earliest|latest" */
};

/* The key table, in the order `floe check` prints it; ends with a {NULL} entry. */
extern const struct floe_cfg_key floe_cfg_keys[];

/* A librdkafka property passed through as `rdkafka.<name> = value` in [kafka]. */
struct floe_cfg_pair {
    char *name;
    char *value;
};

struct floe_config {
    char *path; /* the file it was read from */

    struct {
        char *brokers;
        char *topic;
        char *group;
        char *start;
        struct floe_cfg_pair *rdkafka;
        size_t nrdkafka;
    } kafka;

    struct {
        char *warehouse;
        char *namespace_;
        char *name;
        char *schema;
        char *partition;
        char *key;
        char *version;
        int64_t snapshots_keep_last;
        uint64_t snapshots_max_age_ms;
        struct floe_schema *parsed_schema;       /* derived from schema */
        struct floe_partition *parsed_partition; /* derived from partition */
    } table;

    struct {
        struct floe_cfg_pair *pairs; /* column = rules text, as written */
        size_t n;
        int *lines;                  /* the line of each pair */
        struct floe_rules rules;     /* derived: compiled against table.schema */
    } validate;

    struct {
        char *file;
        uint64_t max_size;
        char *topic; /* "": none (the file) */
    } dead_letter;

    struct {
        uint64_t memory;
    } dedup;

    struct {
        char *endpoint;
        char *region;
        char *access_key_id;
        char *secret_access_key;
        char *session_token;
        char *ca_file;
        bool verify;
        bool path_style;
        uint64_t part_size;
        int64_t max_in_flight;
        uint64_t connect_timeout_ms;
        uint64_t request_timeout_ms;
    } s3;

    struct {
        uint64_t memory;
        int64_t flush_rows;
        uint64_t flush_bytes;
        uint64_t flush_every_ms;
    } limits;

    struct {
        char *state_dir;
        char *pid_file;
        uint64_t shutdown_timeout_ms;
        char *log_level;
    } agent;

    /* Per key of floe_cfg_keys: the line that set it (0 = default). */
    int *lines;
};

/* Errors found while reading a config, each `file:line: message`. */
struct floe_cfg_errors {
    char **items;
    size_t n;
    size_t cap;
};

/* floe_env_load(path, errs): reads an env file of `KEY=VALUE` lines (`#` comments, blank lines,
 * an optional `export ` prefix, values optionally in single or double quotes) into the table
 * that ${VAR} consults after the process environment. Replaces any table loaded before.
 * Returns 0, or -1 with the reasons appended to errs (the previous table is then kept). */
int floe_env_load(const char *path, struct floe_cfg_errors *errs);

/* floe_env_get(name): the value of an environment variable: the process environment first,
 * then the loaded env file; NULL if neither has it. The pointer is valid until the next
 * floe_env_load() or floe_env_clear(). */
const char *floe_env_get(const char *name);

/* floe_env_clear(): forgets the loaded env file. */
void floe_env_clear(void);

/* An env table set aside while a reload is tried. */
struct floe_env_saved {
    struct floe_cfg_pair *pairs;
    size_t n;
};

/* floe_env_save(saved): takes the loaded table out into *saved (nothing is loaded after). */
void floe_env_save(struct floe_env_saved *saved);

/* floe_env_restore(saved): makes *saved the loaded table again, dropping what was loaded
 * since; *saved is emptied. */
void floe_env_restore(struct floe_env_saved *saved);

/* floe_env_discard(saved): frees a saved table that is no longer wanted. */
void floe_env_discard(struct floe_env_saved *saved);

/* floe_config_load(path, errs): reads and validates the file at path. Returns a config the
 * caller owns (free with floe_config_free), or NULL with every problem appended to errs. */
struct floe_config *floe_config_load(const char *path, struct floe_cfg_errors *errs);

/* floe_config_load_only(path, sections, errs): as floe_config_load for a command that uses
 * only the space-separated sections named ("s3 agent"): required keys of other sections may be
 * missing and the [table] checks that span keys run only when "table" is named. Every value
 * present is still parsed and checked; fields of missing required keys stay NULL. */
struct floe_config *floe_config_load_only(const char *path, const char *sections,
                                          struct floe_cfg_errors *errs);

/* floe_config_parse(path, text, errs): the same from a NUL-terminated text already in memory;
 * path only names it in errors. text is modified (lines are split in place). */
struct floe_config *floe_config_parse(const char *path, char *text, struct floe_cfg_errors *errs);

/* floe_config_copy_for_jobs(cfg): a copy of cfg that outlives it, for work that runs while a
 * reload frees the agent's config (a table job on a worker): every key's value and the
 * derived schema and partition spec, without the secrets, the librdkafka pass-through, the
 * validation rules and the key lines (such work opens no store and validates nothing). Free
 * with floe_config_free; NULL when out of memory. */
struct floe_config *floe_config_copy_for_jobs(const struct floe_config *cfg);

/* floe_config_free(cfg): releases cfg and everything it holds; NULL is allowed. */
void floe_config_free(struct floe_config *cfg);

/* floe_config_print(cfg, out): writes the normalised config — every key, in table order,
 * defaults included and marked — as a file floe can read back. Secrets that are set print as
 * "********". */
void floe_config_print(const struct floe_config *cfg, FILE *out);

/* floe_config_diff(a, b, out, cap): writes the space-separated `section.key` names whose values
 * differ between a and b (secrets included by name only) into out; returns how many differ. */
int floe_config_diff(const struct floe_config *a, const struct floe_config *b, char *out,
                     size_t cap);

/* floe_config_reference(out): writes the key reference as a Markdown table per section. */
void floe_config_reference(FILE *out);

/* floe_config_example(out): writes a config file with every key: required ones with an
 * example value, the others commented out with their default, each after its doc line. */
void floe_config_example(FILE *out);

/* floe_cfg_errors_free(errs): releases the messages and empties errs. */
void floe_cfg_errors_free(struct floe_cfg_errors *errs);

/* floe_cfg_format_value(key, field, buf, cap): the normalised text of one key's value, as
 * printed by floe check (secrets are NOT masked here). */
void floe_cfg_format_value(const struct floe_cfg_key *key, const void *field, char *buf,
                           size_t cap);

/* Parsers of single values, shared with the command line. Each returns 0 and sets *out, or
 * -EINVAL (bad syntax) / -ERANGE (overflow), leaving *out unchanged. */
int floe_parse_size(const char *text, uint64_t *out);
int floe_parse_duration_ms(const char *text, uint64_t *out);
int floe_parse_bool(const char *text, bool *out);

#endif
