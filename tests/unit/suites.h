/* suites.h - the Check suites, one per codec or layer. */
#ifndef TEST_SUITES_H
#define TEST_SUITES_H
#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "ese_catalog.h"
#include "ese_cursor.h"
#include "ese_db.h"

/* Where the Windows-made samples are, relative to the repository root. */
#define ESE_TEST_SAMPLES_DIR "../shared/esedb-samples"

/* The decompressed sample NAME (e.g. "basic.edb"), or NULL with a SKIP
 * message when it is absent; *len gets its size.  Free with free(). */
uint8_t *ese_test_load_sample(const char *name, size_t *len);

/* Table `table` of the database at path, open for reading: the database,
 * its catalog, the table's entry and a cursor on its data tree (each step
 * asserted).  Close with ese_test_table_close. */
typedef struct ese_test_table {
	ese_db *db;
	ese_catalog *cat;
	const ese_table *t;
	ese_cursor *c;
	int large;                /* 16/32 KiB pages: records of the large form */
} ese_test_table;
void ese_test_table_open(const char *path, const char *table, ese_test_table *tt);
void ese_test_table_close(ese_test_table *tt);
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
