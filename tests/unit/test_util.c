/* test_util.c - helpers shared by the unit tests. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "suites.h"

uint8_t *ese_test_load_sample(const char *name, size_t *len)
{
	char path[512], cmd[600];
	snprintf(path, sizeof(path), "%s/%s.gz", ESE_TEST_SAMPLES_DIR, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("SKIP: %s not found (run from the repository root with ../shared/esedb-samples)\n", path);
		return NULL;
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gunzip -c '%s'", path);
	FILE *pp = popen(cmd, "r");
	ck_assert_ptr_nonnull(pp);
	size_t cap = 1 << 20, n = 0;
	uint8_t *buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		size_t r = fread(buf + n, 1, cap - n, pp);
		if (r == 0)
			break;
		n += r;
	}
	ck_assert_int_eq(pclose(pp), 0);
	*len = n;
	return buf;
}
