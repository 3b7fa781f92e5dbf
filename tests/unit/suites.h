/* suites.h - the Check suites, one per codec or layer. */
#ifndef TEST_SUITES_H
#define TEST_SUITES_H
#include <check.h>
Suite *suite_jet_errors(void);
Suite *suite_compress(void);
Suite *suite_checksum(void);
Suite *suite_dbheader(void);
Suite *suite_page(void);
Suite *suite_record(void);
Suite *suite_reader(void);
Suite *suite_export_format(void);
Suite *suite_writer(void);
Suite *suite_record_encode(void);
Suite *suite_key(void);
Suite *suite_delete(void);
Suite *suite_journal(void);
#endif
