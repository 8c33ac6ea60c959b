/* check.h — the assertions every floe unit test uses.
 *
 * A test executable includes this header once, runs its cases with CHECK… macros, and returns
 * check_done() from main(). Each failed check prints its file, line, the expression and, for
 * the typed forms, both values; the run ends with the plain closing line
 * "N passed, N failed" so that CTest's log and a human agree on the count.
 */
#ifndef FLOE_TESTS_CHECK_H
#define FLOE_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static unsigned check__passed;
static unsigned check__failed;

static inline int check__report(int ok, const char *file, int line, const char *what)
{
    if (ok) {
        check__passed++;
    } else {
        check__failed++;
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    }
    return ok;
}

/* CHECK(cond): cond must be true. */
#define CHECK(cond) check__report(!!(cond), __FILE__, __LINE__, #cond)

/* CHECK_INT(a, b): two integers must be equal; both are printed on failure. */
#define CHECK_INT(a, b)                                                                          \
    do {                                                                                         \
        long long check__a = (long long)(a), check__b = (long long)(b);                          \
        if (!check__report(check__a == check__b, __FILE__, __LINE__, #a " == " #b)) {            \
            fprintf(stderr, "    got %lld, expected %lld\n", check__a, check__b);                \
        }                                                                                        \
    } while (0)

/* CHECK_STR(a, b): two NUL-terminated strings must be equal (NULL only equals NULL). */
#define CHECK_STR(a, b)                                                                          \
    do {                                                                                         \
        const char *check__a = (a), *check__b = (b);                                             \
        int check__ok = (check__a && check__b) ? strcmp(check__a, check__b) == 0                 \
                                               : check__a == check__b;                           \
        if (!check__report(check__ok, __FILE__, __LINE__, #a " == " #b)) {                       \
            fprintf(stderr, "    got \"%s\", expected \"%s\"\n", check__a ? check__a : "(null)", \
                    check__b ? check__b : "(null)");                                             \
        }                                                                                        \
    } while (0)

/* CHECK_MEM(a, b, n): n bytes must be equal; both are dumped in hex on failure. */
#define CHECK_MEM(a, b, n)                                                                       \
    do {                                                                                         \
        const unsigned char *check__a = (const unsigned char *)(a);                              \
        const unsigned char *check__b = (const unsigned char *)(b);                              \
        size_t check__n = (n);                                                                   \
        if (!check__report(memcmp(check__a, check__b, check__n) == 0, __FILE__, __LINE__,        \
                           #a " == " #b)) {                                                      \
            fprintf(stderr, "    got     ");                                                     \
            for (size_t check__i = 0; check__i < check__n; check__i++) {                         \
                fprintf(stderr, "%02x ", check__a[check__i]);                                    \
            }                                                                                    \
            fprintf(stderr, "\n    expected ");                                                  \
            for (size_t check__i = 0; check__i < check__n; check__i++) {                         \
                fprintf(stderr, "%02x ", check__b[check__i]);                                    \
            }                                                                                    \
            fprintf(stderr, "\n");                                                               \
        }                                                                                        \
    } while (0)

/* check_done(): prints the closing count and returns the process exit status (0 = all passed,
 * 1 = some failed or none ran). */
static inline int check_done(void)
{
    printf("%u passed, %u failed\n", check__passed, check__failed);
    return (check__failed == 0 && check__passed > 0) ? 0 : 1;
}

#endif
