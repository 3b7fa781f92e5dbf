/*
 * fuzz_decoders - libFuzzer target for the codecs that parse raw bytes:
 * header, page (tags, nodes, space header), checksums, records and their
 * multi-values, and decompression.  The first input byte picks the page
 * size; the rest is the page, record or compressed value.
 */
#include "ese_checksum.h"
#include "ese_compress.h"
#include "ese_dbheader.h"
#include "ese_page.h"
#include "ese_record.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const uint32_t sizes[] = { 2048, 4096, 8192, 16384, 32768 };

static void fuzz_page(const uint8_t *data, size_t size, uint32_t ps)
{
	uint8_t *page = calloc(1, ps);
	if (!page)
		return;
	memcpy(page, data, size < ps ? size : ps);
	ese_page pg;
	ese_pagecheck_info info;
	ese_checksum_verify_page(page, ps, 7, &info);
	if (ese_page_parse(&pg, page, ps, 7, NULL) == 0) {
		ese_space_header sh;
		ese_page_space_header(&pg, 7, &sh, NULL);
		for (unsigned i = 0; i < pg.ntags; i++) {
			ese_tag t;
			ese_page_tag(&pg, 7, i, &t, NULL);
			if (i == 0)
				continue;
			ese_node n;
			if (ese_page_node(&pg, 7, i, &n, NULL) == 0) {
				uint8_t key[4096];
				ese_node_key(&n, key, sizeof(key));
				ese_node_keycmp(&n, key, 3);
				/* every node's data, decoded as a record */
				ese_record r;
				if (ese_record_parse(&r, n.data, n.data_len, ps > 8192, NULL) == 0) {
					for (size_t k = 0; k < r.ntagged && k < 64; k++) {
						uint32_t fid;
						ese_colval v;
						if (ese_record_tagged_at(&r, k, &fid, &v, NULL) == 0) {
							size_t cnt = ese_colval_count(&v);
							for (size_t m = 0; m < cnt && m < 64; m++) {
								const uint8_t *p;
								size_t len;
								int sep;
								ese_colval_instance(&v, m, &p, &len, &sep, NULL);
							}
						}
					}
				}
			}
		}
	}
	free(page);
}

static void fuzz_record(const uint8_t *data, size_t size, int large)
{
	ese_record r;
	if (ese_record_parse(&r, data, size, large, NULL))
		return;
	static ese_column cols[] = {
		{ .id = 1, .coltyp = 4, .size = 4, .record_offset = 4 },
		{ .id = 2, .coltyp = 16, .size = 16, .record_offset = 8 },
		{ .id = 128, .coltyp = 9 }, { .id = 129, .coltyp = 10 },
		{ .id = 256, .coltyp = 11 }, { .id = 257, .coltyp = 12 },
	};
	ese_table t = { .columns = cols, .ncolumns = sizeof(cols) / sizeof(cols[0]) };
	for (size_t i = 0; i < t.ncolumns; i++) {
		ese_colval v;
		if (ese_record_get(&r, &t, &cols[i], &v, NULL) == 0) {
			size_t cnt = ese_colval_count(&v);
			for (size_t m = 0; m < cnt && m < 64; m++) {
				const uint8_t *p;
				size_t len;
				int sep;
				ese_colval_instance(&v, m, &p, &len, &sep, NULL);
			}
		}
	}
}

static void fuzz_decompress(const uint8_t *data, size_t size)
{
	size_t n = 0;
	if (ese_decompress_size(data, size, &n) == 0 && n <= (1u << 20)) {
		uint8_t *out = malloc(n ? n : 1);
		size_t got;
		if (out)
			ese_decompress(data, size, out, n, &got);
		free(out);
	}
	uint8_t small[64];
	size_t got;
	ese_decompress(data, size, small, sizeof(small), &got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	uint8_t sel = data[0];
	uint32_t ps = sizes[(sel & 7) % 5];
	data++;
	size--;
	switch (sel >> 5) {
	case 0: {
		ese_dbheader h;
		uint8_t page[32768] = { 0 };
		memcpy(page, data, size < ps ? size : ps);
		ese_dbheader_decode(&h, page, ps);
		ese_dbheader_check(page, ps, NULL);
		ese_dbheader_page_size(&h);
		ese_dbstate_name(h.state);
		uint8_t out[32768];
		ese_dbheader_encode(&h, out, ps);
		break;
	}
	case 1:
	case 2:
	case 3:
		fuzz_page(data, size, ps);
		break;
	case 4:
	case 5:
		fuzz_record(data, size, sel & 1);
		break;
	default:
		fuzz_decompress(data, size);
		break;
	}
	return 0;
}
