/* test_jet_errors.c - the JET error table and ese_status helpers. */
#include <check.h>
#include <string.h>

#include "ese_error.h"

START_TEST(test_known_codes)
{
	const ese_jet_error *e;

	e = ese_jet_error_find(-1017);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->code, -1017);
	ck_assert_str_eq(e->name, "JET_errRecordDeleted");
	ck_assert_str_eq(e->desc, "Record has been deleted");

	ck_assert_str_eq(ese_jet_name(-1310), "JET_errInvalidTableId");
	ck_assert_str_eq(ese_jet_desc(-1310), "Invalid table id");

	ck_assert_str_eq(ese_jet_name(-1206), "JET_errDatabaseCorrupted");
	ck_assert_str_eq(ese_jet_desc(-1206), "Non database file or corrupted db");

	ck_assert_str_eq(ese_jet_name(0), "JET_errSuccess");
	ck_assert_str_eq(ese_jet_desc(0), "Successful Operation");

	ck_assert_str_eq(ese_jet_name(595), "JET_wrnDatabaseRepaired");
	ck_assert_str_eq(ese_jet_desc(595), "Database corruption has been repaired");

	/* The two ends of the table. */
	ck_assert_str_eq(ese_jet_name(-11999), "JET_errClientSpaceEnd");
	ck_assert_str_eq(ese_jet_name(2602), "JET_wrnPreviousLogFileIncomplete");
}
END_TEST

START_TEST(test_header_enum_matches_table)
{
	ck_assert_str_eq(ese_jet_name(JET_errBadPageLink), "JET_errBadPageLink");
	ck_assert_str_eq(ese_jet_name(JET_errDatabaseDirtyShutdown),
	                 "JET_errDatabaseDirtyShutdown");
	ck_assert_str_eq(ese_jet_name(JET_errReadVerifyFailure),
	                 "JET_errReadVerifyFailure");
	ck_assert_str_eq(ese_jet_name(JET_errFileIOBeyondEOF),
	                 "JET_errFileIOBeyondEOF");
	ck_assert_str_eq(ese_jet_name(JET_errCatalogCorrupted),
	                 "JET_errCatalogCorrupted");
}
END_TEST

START_TEST(test_unknown_code)
{
	ck_assert_ptr_null(ese_jet_error_find(12345));
	ck_assert_str_eq(ese_jet_name(12345), "JET_errUnknown");
	ck_assert_str_eq(ese_jet_desc(12345), "Unknown error");
	ck_assert_ptr_null(ese_jet_error_find(-12000));
	ck_assert_ptr_null(ese_jet_error_find(1 << 30));
	ck_assert_ptr_null(ese_jet_error_find(-(1 << 30)));
}
END_TEST

START_TEST(test_by_name)
{
	const ese_jet_error *e;

	e = ese_jet_error_by_name("JET_errRecordDeleted");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->code, -1017);

	e = ese_jet_error_by_name("jet_errdatabasecorrupted");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->code, -1206);

	e = ese_jet_error_by_name("JET_WRNDATABASEREPAIRED");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->code, 595);

	ck_assert_ptr_null(ese_jet_error_by_name("JET_errNoSuchThing"));
	ck_assert_ptr_null(ese_jet_error_by_name("JET_errRecordDeletedX"));
	ck_assert_ptr_null(ese_jet_error_by_name(""));
	ck_assert_ptr_null(ese_jet_error_by_name(NULL));
	/* Aliases are not rows of their own. */
	ck_assert_ptr_null(ese_jet_error_by_name("JET_errDatabaseInconsistent"));
}
END_TEST

START_TEST(test_table_shape)
{
	size_t n = 0;
	const ese_jet_error *t = ese_jet_error_table(&n);

	ck_assert_ptr_nonnull(t);
	ck_assert_uint_gt(n, 400);
	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(t[i].name);
		ck_assert_ptr_nonnull(t[i].desc);
		ck_assert_msg(strncmp(t[i].name, "JET_err", 7) == 0 ||
		              strncmp(t[i].name, "JET_wrn", 7) == 0,
		              "bad name %s", t[i].name);
		ck_assert_msg(t[i].desc[0] != '\0', "empty desc for %s", t[i].name);
		if (i > 0)
			ck_assert_msg(t[i - 1].code < t[i].code,
			              "not ascending at %zu: %d then %d",
			              i, t[i - 1].code, t[i].code);
		/* Every row is found by both lookups. */
		ck_assert_ptr_eq(ese_jet_error_find(t[i].code), &t[i]);
		ck_assert_ptr_eq(ese_jet_error_by_name(t[i].name), &t[i]);
	}
}
END_TEST

START_TEST(test_fail_first_wins)
{
	ese_status st;

	ese_status_clear(&st);
	ck_assert_int_eq(st.err, 0);
	ck_assert_uint_eq(st.pgno, 0);
	ck_assert_str_eq(st.msg, "");

	ck_assert_int_eq(ese_fail(&st, JET_errBadPageLink, 42,
	                          "page %u links to %d", 42u, 7),
	                 JET_errBadPageLink);
	ck_assert_int_eq(st.err, JET_errBadPageLink);
	ck_assert_uint_eq(st.pgno, 42);
	ck_assert_str_eq(st.msg, "page 42 links to 7");

	/* A later failure is returned but does not overwrite the first. */
	ck_assert_int_eq(ese_fail(&st, JET_errDiskIO, 99, "second %s", "cause"),
	                 JET_errDiskIO);
	ck_assert_int_eq(st.err, JET_errBadPageLink);
	ck_assert_uint_eq(st.pgno, 42);
	ck_assert_str_eq(st.msg, "page 42 links to 7");

	/* NULL status is fine. */
	ck_assert_int_eq(ese_fail(NULL, JET_errOutOfMemory, 0, "oom"),
	                 JET_errOutOfMemory);

	ese_status_clear(&st);
	ck_assert_int_eq(st.err, 0);
	ck_assert_str_eq(st.msg, "");
	ese_fail(&st, JET_errDiskIO, 0, "%s", "again");
	ck_assert_int_eq(st.err, JET_errDiskIO);
	ck_assert_str_eq(st.msg, "again");
}
END_TEST

START_TEST(test_fail_truncates)
{
	ese_status st;
	char big[1000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ese_status_clear(&st);
	ese_fail(&st, JET_errDatabaseCorrupted, 1, "%s", big);
	ck_assert_uint_eq(strlen(st.msg), sizeof(st.msg) - 1);
}
END_TEST

Suite *suite_jet_errors(void)
{
	Suite *s = suite_create("jet_errors");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_known_codes);
	tcase_add_test(tc, test_header_enum_matches_table);
	tcase_add_test(tc, test_unknown_code);
	tcase_add_test(tc, test_by_name);
	tcase_add_test(tc, test_table_shape);
	tcase_add_test(tc, test_fail_first_wins);
	tcase_add_test(tc, test_fail_truncates);
	suite_add_tcase(s, tc);
	return s;
}
