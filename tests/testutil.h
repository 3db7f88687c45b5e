/* Small helpers shared by the Check suites. */
#ifndef LLMD_TESTUTIL_H
#define LLMD_TESTUTIL_H
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmdata.h"

/* Asserts a call returned LLMD_OK, printing llmd_last_error() otherwise. */
#define ck_ok(expr) do { llmd_status st_ = (expr); \
    ck_assert_msg(st_ == LLMD_OK, "%s -> %s: %s", #expr, llmd_status_str(st_), llmd_last_error()); } while (0)
/* Asserts a call failed with the given status and that the message mentions `needle`. */
#define ck_fails(expr, status, needle) do { llmd_status st_ = (expr); \
    ck_assert_msg(st_ == (status), "%s -> %s (wanted %s): %s", #expr, llmd_status_str(st_), \
                  llmd_status_str(status), llmd_last_error()); \
    ck_assert_msg(strstr(llmd_last_error(), (needle)) != NULL, "message '%s' lacks '%s'", \
                  llmd_last_error(), (needle)); } while (0)

/* Directory of the tests' sources (fixtures live there). */
static inline const char *test_srcdir(void) {
    const char *d = getenv("LLMD_TEST_SRCDIR");
    return d ? d : "tests";
}
/* ../shared next to the checkout, or NULL when absent (tests that need it skip). */
static inline const char *test_shared_dir(void) {
    const char *d = getenv("LLMD_SHARED_DIR");
    static char probe[4096];
    if (d == NULL) return NULL;
    snprintf(probe, sizeof probe, "%s/DESIGN.md", d);
    FILE *f = fopen(probe, "r");
    if (f == NULL) return NULL;
    fclose(f);
    return d;
}
/* Runs a suite; returns the process exit status. */
static inline int run_suite(Suite *s) {
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
#endif
