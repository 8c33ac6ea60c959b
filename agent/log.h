/* log.h — floe's logger: one event per line on stderr, in logfmt.
 *
 *     ts=2026-11-24T01:02:03.456Z level=info module=config msg="reloaded" changed=2
 *
 * The level is checked before anything is formatted, so a disabled debug line costs one
 * comparison. The same message from the same module is printed at most once per
 * FLOE_LOG_REPEAT_MS; the repeats are counted and reported as `repeated=N` on the next line
 * that gets through. Secrets are never passed to the logger: callers log key names, not values.
 */
#ifndef FLOE_LOG_H
#define FLOE_LOG_H

#include <stdarg.h>

enum floe_log_level {
    FLOE_LOG_ERROR = 0,
    FLOE_LOG_WARN = 1,
    FLOE_LOG_INFO = 2,
    FLOE_LOG_DEBUG = 3,
};

/* The window in which identical messages are folded into a count. */
#define FLOE_LOG_REPEAT_MS 10000

extern int floe_log__level;

/* FLOE_LOG(level, module, fmt, ...): logs one event if level is enabled. fmt and its arguments
 * make the message; a message may continue with logfmt fields after a tab ("\t"), which are
 * written unquoted after msg, e.g. FLOE_LOG(FLOE_LOG_INFO, "agent", "started\tpid=%d", pid). */
#define FLOE_LOG(level, module, ...)                                                             \
    do {                                                                                         \
        if ((int)(level) <= floe_log__level) {                                                   \
            floe_log__emit((level), (module), __VA_ARGS__);                                      \
        }                                                                                        \
    } while (0)

#define FLOE_ERROR(module, ...) FLOE_LOG(FLOE_LOG_ERROR, module, __VA_ARGS__)
#define FLOE_WARN(module, ...) FLOE_LOG(FLOE_LOG_WARN, module, __VA_ARGS__)
#define FLOE_INFO(module, ...) FLOE_LOG(FLOE_LOG_INFO, module, __VA_ARGS__)
#define FLOE_DEBUG(module, ...) FLOE_LOG(FLOE_LOG_DEBUG, module, __VA_ARGS__)

/* floe_log_set_level(level): sets the lowest severity printed from now on. */
void floe_log_set_level(enum floe_log_level level);

/* floe_log_level_name(level): "error", "warn", "info" or "debug". */
const char *floe_log_level_name(enum floe_log_level level);

/* floe_log_level_parse(name, &level): 0 and *level set for a known name; -EINVAL otherwise,
 * *level unchanged. */
int floe_log_level_parse(const char *name, enum floe_log_level *level);

/* floe_log_set_sink(fd): writes lines to fd instead of stderr (tests). */
void floe_log_set_sink(int fd);

/* Use FLOE_LOG; this formats and writes unconditionally (subject to repeat folding). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void floe_log__emit(int level, const char *module, const char *fmt, ...);

#endif
