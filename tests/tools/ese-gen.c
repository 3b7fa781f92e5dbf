/*
 * ese-gen - make a test database with the project's writer.
 *
 *   ese-gen OUT.edb [--page-size N] [--rows N] [--seed N] [--replace]
 *   ese-gen OUT.edb --bench [--rows N] [--payload BYTES] [--delete-half | --delete-runs D,K] [--no-stream]
 *
 * --bench: one table `bench` (Id Long primary key, Grp Long with a
 * non-unique index, Payload Binary of BYTES <= 255 pseudo-random bytes),
 * the same rows a SQLite benchmark table gets (Grp = Id % 1000).
 * The bench table is declared ESE_TABLE_IN_ORDER (its rows come in Id
 * order); --no-stream inserts them the general way (sorted at commit),
 * which must give the same bytes.
 * --delete-half: then deletes in place (ese_delete.h) the rows that
 * `DELETE FROM bench WHERE (id + id / 1000) % 2 = 0` deletes: every other
 * row of the table and every other entry of each Grp value, so that every
 * leaf keeps about half its entries (the space a defragmentation reclaims)
 * and few pages empty (the space stays in the tree, as a store's does).
 * --delete-runs D,K: then deletes rows in runs: D rows deleted, K kept,
 * from row 1 on.  Runs longer than a leaf empty pages that no neighbour
 * joins: many small extents, so the available-extent trees must grow.
 *
 * Table `items`: a primary key, a column of every fixed type, ASCII and
 * binary variable columns, long text and long binary (some above the
 * intrinsic limit, so stored separated), a multi-valued column, a NULL or
 * two; secondary indexes on a Long (non-unique), on ASCII text and on a
 * descending DateTime; table `notes`: a table without a primary index.
 * Deterministic: the same arguments make the same bytes.
 */
#include "ese_create.h"
#include "ese_delete.h"
#include "bytes.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng;
static uint32_t next32(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 33);
}

int main(int argc, char **argv)
{
	const char *out = NULL;
	uint32_t ps = 4096;
	uint64_t rows = 1000, seed = 1;
	unsigned flags = 0;
	int bench = 0;
	size_t payload = 200;
	int delete_half = 0, sorted = 1;
	uint64_t run_del = 0, run_keep = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--page-size") && i + 1 < argc)
			ps = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--rows") && i + 1 < argc)
			rows = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--bench"))
			bench = 1;
		else if (!strcmp(argv[i], "--delete-half"))
			delete_half = 1;
		else if (!strcmp(argv[i], "--delete-runs") && i + 1 < argc) {
			char *end;
			run_del = strtoull(argv[++i], &end, 10);
			run_keep = *end == ',' ? strtoull(end + 1, &end, 10) : 0;
			if (*end || !run_del) {
				fprintf(stderr, "ese-gen: --delete-runs takes DELETED,KEPT (row counts, DELETED > 0)\n");
				return 16;
			}
		} else if (!strcmp(argv[i], "--no-stream"))
			sorted = 0;
		else if (!strcmp(argv[i], "--payload") && i + 1 < argc)
			payload = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--replace"))
			flags |= 1;
		else if (!out && argv[i][0] != '-')
			out = argv[i];
		else {
			fprintf(stderr, "usage: ese-gen OUT.edb [--page-size N] [--rows N] [--seed N] [--replace]\n");
			return 16;
		}
	}
	if (!out) {
		fprintf(stderr, "usage: ese-gen OUT.edb [--page-size N] [--rows N] [--seed N] [--replace]\n");
		return 16;
	}
	signal(SIGXFSZ, SIG_IGN);       /* a file-size limit becomes EFBIG, not a kill */
	if (bench) {
		static const ese_create_column bcols[] = {
			{ "Id", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
			{ "Grp", JET_coltypLong, 0, 0, 0 },
			{ "Payload", JET_coltypBinary, 255, 0, 0 },
		};
		static const ese_create_index bix[] = { { "PK", "+Id", ESE_IDX_PRIMARY }, { "ByGrp", "+Grp", 0 } };
		/* the rows come in key order: the data tree is built as they do */
		ese_create_table bt = { "bench", bcols, 3, bix, 2, 0, sorted ? ESE_TABLE_IN_ORDER : 0 };
		ese_creator *c;
		ese_status st = { 0 };
		if (payload > 255)
			payload = 255;
		if (ese_create_open(out, ps, flags, seed, &bt, 1, 100, &c, &st)) {
			fprintf(stderr, "ese-gen: %s\n", st.msg);
			return 8;
		}
		rng = seed;
		uint8_t pl[255];
		for (uint64_t r = 1; r <= rows; r++) {
			uint8_t id[4], grp[4];
			put_le32(id, (uint32_t)r);
			put_le32(grp, (uint32_t)(r % 1000));
			for (size_t k = 0; k < payload; k += 4) {
				uint32_t x = next32();
				memcpy(pl + k, &x, payload - k < 4 ? payload - k : 4);
			}
			ese_create_value v[3] = { { 0, id, 4 }, { 1, grp, 4 }, { 2, pl, payload } };
			if (ese_create_insert(c, 0, v, 3, &st)) {
				fprintf(stderr, "ese-gen: %s\n", st.msg);
				ese_create_abort(c);
				return 8;
			}
		}
		if (ese_create_commit(c, &st)) {
			fprintf(stderr, "ese-gen: %s: %s\n", out, st.msg);
			return 8;
		}
		uint64_t deleted = 0;
		if (delete_half || run_del) {
			ese_deleter *d;
			if (ese_delete_open(out, 0, &d, &st)) {
				fprintf(stderr, "ese-gen: %s: %s\n", out, st.msg);
				return 8;
			}
			for (uint64_t r = 1; r <= rows; r++) {
				if (delete_half ? (r + r / 1000) % 2 != 0 : (r - 1) % (run_del + run_keep) >= run_del)
					continue;
				uint8_t key[5];   /* a Long key: 0x7F, then the value big-endian, sign bit flipped */
				key[0] = 0x7F;
				put_be32(key + 1, (uint32_t)r ^ 0x80000000u);
				if (ese_delete_record(d, "bench", key, 5, &st)) {
					fprintf(stderr, "ese-gen: %s: deleting row %" PRIu64 ": %s\n", out, r, st.msg);
					ese_delete_close(d, NULL);
					return 8;
				}
				deleted++;
			}
			if (ese_delete_close(d, &st)) {
				fprintf(stderr, "ese-gen: %s: %s\n", out, st.msg);
				return 8;
			}
		}
		printf("%s: %" PRIu64 " bench rows of %zu-byte payloads, %u-byte pages, %" PRIu64 " deleted in place\n", out,
		       rows, payload, ps, deleted);
		return 0;
	}
	static const ese_create_column items[] = {
		{ "Id", JET_coltypLong, 0, ESE_COL_NOT_NULL | ESE_COL_AUTOINC, 0 },
		{ "Flag", JET_coltypBit, 0, 0, 0 },
		{ "Small", JET_coltypUnsignedByte, 0, 0, 0 },
		{ "Short", JET_coltypShort, 0, 0, 0 },
		{ "Group", JET_coltypLong, 0, 0, 0 },
		{ "Money", JET_coltypCurrency, 0, 0, 0 },
		{ "Single", JET_coltypIEEESingle, 0, 0, 0 },
		{ "Double", JET_coltypIEEEDouble, 0, 0, 0 },
		{ "When", JET_coltypDateTime, 0, 0, 0 },
		{ "Count", JET_coltypUnsignedLong, 0, 0, 0 },
		{ "Big", JET_coltypLongLong, 0, 0, 0 },
		{ "Guid", JET_coltypGUID, 0, 0, 0 },
		{ "Port", JET_coltypUnsignedShort, 0, 0, 0 },
		{ "Name", JET_coltypText, 80, 0, 1252 },
		{ "Blob", JET_coltypBinary, 64, 0, 0 },
		{ "Body", JET_coltypLongText, 0, 0, 1252 },
		{ "Attachment", JET_coltypLongBinary, 0, 0, 0 },
		{ "Tags", JET_coltypText, 0, ESE_COL_MULTIVALUED, 1252 },
	};
	static const ese_create_index items_ix[] = {
		{ "PrimaryKey", "+Id", ESE_IDX_PRIMARY },
		{ "ByGroup", "+Group", 0 },
		{ "ByName", "+Name", 0 },
		{ "ByWhenDesc", "-When+Id", ESE_IDX_UNIQUE },
	};
	static const ese_create_column notes[] = {
		{ "Text", JET_coltypText, 200, 0, 1252 },
		{ "Seq", JET_coltypLong, 0, 0, 0 },
	};
	ese_create_table tables[] = {
		{ "items", items, sizeof(items) / sizeof(items[0]), items_ix, 4, 0, 0 },
		{ "notes", notes, 2, NULL, 0, 0, 0 },
	};
	ese_creator *c;
	ese_status st = { 0 };
	int err = ese_create_open(out, ps, flags, seed, tables, 2, 90, &c, &st);
	if (err) {
		fprintf(stderr, "ese-gen: %s\n", st.msg);
		return 8;
	}
	rng = seed;
	char *body = malloc(20000);
	uint8_t *att = malloc(9000);
	for (size_t i = 0; i < 20000; i++)
		body[i] = (char)('a' + i % 26);
	for (uint64_t r = 0; r < rows; r++) {
		uint8_t flag = r & 1, small = (uint8_t)next32(), sh[2], grp[4], money[8], sgl[4], dbl[8], when[8], cnt[4],
		        big[8], guid[16], port[2];
		put_le16(sh, (uint16_t)(int16_t)(r % 2000 - 1000));
		put_le32(grp, (uint32_t)(r % 97));
		put_le64(money, (uint64_t)(r * 10000 + 1234));
		float f = (float)r / 3.0f;
		memcpy(sgl, &f, 4);
		double d = (double)r * 1.5 - 7;
		memcpy(dbl, &d, 8);
		double ole = 44000.0 + (double)(next32() % 100000) / 7.0;
		memcpy(when, &ole, 8);
		put_le32(cnt, next32());
		put_le64(big, ((uint64_t)next32() << 32) | next32());
		for (int k = 0; k < 16; k++)
			guid[k] = (uint8_t)next32();
		put_le16(port, (uint16_t)next32());
		char name[64];
		int nl = snprintf(name, sizeof(name), "item-%06" PRIu64 "-%c", r, 'A' + (int)(next32() % 26));
		uint8_t blob[64];
		size_t bl = next32() % 64;
		for (size_t k = 0; k < bl; k++)
			blob[k] = (uint8_t)next32();
		size_t bodylen = (r % 10 == 0) ? 1500 + next32() % 15000 : next32() % 400;
		size_t attlen = (r % 25 == 0) ? 2000 + next32() % 7000 : 0;
		for (size_t k = 0; k < attlen; k++)
			att[k] = (uint8_t)next32();
		ese_create_value v[24];
		size_t n = 0;
		v[n++] = (ese_create_value){ 1, &flag, 1 };
		v[n++] = (ese_create_value){ 2, &small, 1 };
		v[n++] = (ese_create_value){ 3, sh, 2 };
		v[n++] = (ese_create_value){ 4, grp, 4 };
		v[n++] = (ese_create_value){ 5, money, 8 };
		v[n++] = (ese_create_value){ 6, sgl, 4 };
		v[n++] = (ese_create_value){ 7, dbl, 8 };
		v[n++] = (ese_create_value){ 8, when, 8 };
		if (r % 7)
			v[n++] = (ese_create_value){ 9, cnt, 4 };
		v[n++] = (ese_create_value){ 10, big, 8 };
		v[n++] = (ese_create_value){ 11, guid, 16 };
		v[n++] = (ese_create_value){ 12, port, 2 };
		v[n++] = (ese_create_value){ 13, name, (size_t)nl };
		if (bl)
			v[n++] = (ese_create_value){ 14, blob, bl };
		if (bodylen)
			v[n++] = (ese_create_value){ 15, body + r % 26, bodylen };
		if (attlen)
			v[n++] = (ese_create_value){ 16, att, attlen };
		if (r % 3 == 0) {
			v[n++] = (ese_create_value){ 17, "red", 3 };
			v[n++] = (ese_create_value){ 17, "green", 5 };
			if (r % 9 == 0)
				v[n++] = (ese_create_value){ 17, "blue", 4 };
		}
		if ((err = ese_create_insert(c, 0, v, n, &st))) {
			fprintf(stderr, "ese-gen: row %" PRIu64 ": %s\n", r, st.msg);
			ese_create_abort(c);
			return 8;
		}
		if (r % 4 == 0) {
			uint8_t seq[4];
			put_le32(seq, (uint32_t)r);
			ese_create_value nv[2] = { { 0, name, (size_t)nl }, { 1, seq, 4 } };
			if ((err = ese_create_insert(c, 1, nv, 2, &st))) {
				fprintf(stderr, "ese-gen: note %" PRIu64 ": %s\n", r, st.msg);
				ese_create_abort(c);
				return 8;
			}
		}
	}
	free(body);
	free(att);
	if ((err = ese_create_commit(c, &st))) {
		fprintf(stderr, "ese-gen: %s: %s\n", out, st.msg);
		return 8;
	}
	printf("%s: %" PRIu64 " rows, %u-byte pages\n", out, rows, ps);
	return 0;
}
