/* Minimal TAP producer for the unit tests. */
#pragma once

#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

/* cond is evaluated once */
#define ok(cond, ...) do {                                                   \
		int tap_cond_ = !!(cond);                                    \
		tap_n++;                                                     \
		if (tap_cond_) {                                             \
			printf("ok %d - ", tap_n);                           \
		} else {                                                     \
			tap_failed++;                                        \
			printf("not ok %d - ", tap_n);                       \
		}                                                            \
		printf(__VA_ARGS__);                                         \
		printf("\n");                                                \
		if (!tap_cond_)                                              \
			printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		fflush(stdout);                                              \
	} while (0)

#define skip_all(...) do { printf("1..0 # SKIP "); printf(__VA_ARGS__); printf("\n"); exit(77); } while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
