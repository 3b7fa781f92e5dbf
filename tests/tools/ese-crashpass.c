/*
 * ese-crashpass - leave a database as an isinteg pass killed half-way
 * would: a journal with the before-image of one page, the page overwritten
 * with other bytes, no commit.  For testing that the next run rolls back.
 *
 *   ese-crashpass DB PGNO
 */
#include "ese_db.h"
#include "ese_journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: ese-crashpass DB PGNO\n");
		return 2;
	}
	ese_status st = { 0 };
	ese_db *db;
	if (ese_db_open(argv[1], ESE_OPEN_RDONLY | ESE_OPEN_NO_VERIFY, &db, &st)) {
		fprintf(stderr, "ese-crashpass: %s\n", st.msg);
		return 1;
	}
	uint32_t ps = ese_db_page_size(db), pgno = (uint32_t)strtoul(argv[2], NULL, 0);
	uint8_t *page = malloc(ps);
	if (!page || ese_db_read_page(db, pgno, page, &st)) {
		fprintf(stderr, "ese-crashpass: %s\n", st.msg);
		return 1;
	}
	ese_db_close(db);
	ese_journal *j;
	if (ese_journal_begin(argv[1], ps, &j, &st)) {
		fprintf(stderr, "ese-crashpass: %s\n", st.msg);
		return 1;
	}
	memset(page + ps / 2, 0xA5, ps / 4);          /* a half-applied change */
	if (ese_journal_write_page(j, pgno, page, &st)) {
		fprintf(stderr, "ese-crashpass: %s\n", st.msg);
		return 1;
	}
	ese_journal_abandon(j);                        /* as SIGKILL would leave it */
	free(page);
	printf("ese-crashpass: page %u changed under a journal that was never committed\n", pgno);
	return 0;
}
