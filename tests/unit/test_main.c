/* test_main.c - runs every Check suite of the library's unit tests. */
#include <check.h>
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	SRunner *sr = srunner_create(suite_jet_errors());
	srunner_add_suite(sr, suite_compress());
	srunner_add_suite(sr, suite_checksum());
	srunner_add_suite(sr, suite_dbheader());
	srunner_add_suite(sr, suite_page());
	srunner_add_suite(sr, suite_record());
	srunner_add_suite(sr, suite_reader());
	srunner_add_suite(sr, suite_export_format());
	srunner_add_suite(sr, suite_writer());
	srunner_add_suite(sr, suite_record_encode());
	srunner_add_suite(sr, suite_key());
	srunner_add_suite(sr, suite_delete());
	srunner_add_suite(sr, suite_journal());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
