/* test_util.c - helpers shared by the unit tests. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "ese_page.h"

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

void ese_test_table_open(const char *path, const char *table, ese_test_table *tt)
{
	ese_status st = { 0 };
	memset(tt, 0, sizeof(*tt));
	ck_assert_msg(ese_db_open(path, ESE_OPEN_RDONLY, &tt->db, &st) == 0, "%s", st.msg);
	ck_assert_msg(ese_catalog_load(tt->db, 4, &tt->cat, &st) == 0, "%s", st.msg);
	tt->t = ese_catalog_find_table(tt->cat, table);
	ck_assert_msg(tt->t != NULL, "%s: no table %s", path, table);
	ck_assert_msg(ese_cursor_open(tt->db, tt->t->pgno_fdp, tt->t->objid, &tt->c, &st) == 0, "%s", st.msg);
	tt->large = ese_page_is_large(ese_db_page_size(tt->db));
}

void ese_test_table_close(ese_test_table *tt)
{
	ese_cursor_close(tt->c);
	ese_catalog_free(tt->cat);
	ese_db_close(tt->db);
	memset(tt, 0, sizeof(*tt));
}
