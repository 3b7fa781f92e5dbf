/*
 * eseutil - offline diagnostics and repair of ESE databases.
 *
 * A thin front end: it parses eseutil's own syntax (/mh FILE) and long
 * aliases (--dump-header FILE), calls the library, and prints.  It never
 * parses database bytes itself.  Exit status: see include/ese_cli.h.
 */
#include "ese_checkscan.h"
#include "ese_cli.h"
#include "ese_db.h"
#include "ese_dump.h"
#include "ese_error.h"
#include "ese_export.h"
#include "ese_sbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum mode { M_NONE, M_HEADER, M_CHECKSUM, M_META, M_EXPORT, M_ERR, M_HELP };

static const struct mode_name {
	const char *name;
	enum mode mode;
} mode_names[] = {
	{ "/mh", M_HEADER }, { "-mh", M_HEADER }, { "--dump-header", M_HEADER },
	{ "/m", M_HEADER }, { "-m", M_HEADER },
	{ "/k", M_CHECKSUM }, { "-k", M_CHECKSUM }, { "--checksum", M_CHECKSUM },
	{ "/mm", M_META }, { "-mm", M_META }, { "--dump-metadata", M_META },
	{ "/export", M_EXPORT }, { "-export", M_EXPORT }, { "--export", M_EXPORT },
	{ "/err", M_ERR }, { "-err", M_ERR }, { "--error", M_ERR },
	{ "/?", M_HELP }, { "-?", M_HELP }, { "-h", M_HELP }, { "--help", M_HELP },
};

struct opts {
	enum mode mode;
	const char *file;
	const char *outdir;
	int json;
	int verbose;
	int threads;
};

static const char usage_text[] =
	"Usage: eseutil MODE FILE [options]\n"
	"\n"
	"Modes (eseutil syntax, or the long alias):\n"
	"  /mh  --dump-header DB      dump the database header (/v: primary and shadow)\n"
	"  /k   --checksum DB         verify the checksum of every page\n"
	"  /mm  --dump-metadata DB    dump the catalog: tables, columns, indexes, long values\n"
	"  /export --export DB /o DIR export every table as tab-separated text (esedbexport -t layout)\n"
	"  /err --error CODE|NAME     name and meaning of a JET error (decimal or 0x hex)\n"
	"  /?   --help                this help\n"
	"\n"
	"Options:\n"
	"  /o DIR, --out DIR          output directory (export)\n"
	"  /v, --verbose              more detail (/mh: both header copies)\n"
	"  --threads N                worker threads for /k (default: one per CPU)\n"
	"  --json                     one JSON object on stdout instead of text\n"
	"\n"
	"Exit status (bits, OR-ed): 0 clean, 1 problems fixed, 4 problems found and left\n"
	"unfixed, 8 operational error (the operation could not complete), 16 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "eseutil: usage error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'eseutil --help'.\n");
	return ESE_EXIT_USAGE;
}

static int is_opt(const char *a, const char *slash, const char *dash, const char *longname)
{
	return (slash && strcasecmp(a, slash) == 0) || (dash && strcmp(a, dash) == 0) ||
	       (longname && strcmp(a, longname) == 0);
}

static int parse(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	if (argc < 2)
		return usage_error("%sno mode specified", "");
	for (size_t i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strcasecmp(argv[1], mode_names[i].name) == 0)
			o->mode = mode_names[i].mode;
	if (o->mode == M_NONE)
		return usage_error("unknown mode '%s'", argv[1]);
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (is_opt(a, "/o", "-o", "--out")) {
			if (++i >= argc)
				return usage_error("%s needs a directory", a);
			o->outdir = argv[i];
		} else if (strncmp(a, "--out=", 6) == 0) {
			o->outdir = a + 6;
		} else if (is_opt(a, "/v", "-v", "--verbose")) {
			o->verbose = 1;
		} else if (is_opt(a, "/json", NULL, "--json")) {
			o->json = 1;
		} else if (is_opt(a, NULL, NULL, "--threads")) {
			if (++i >= argc)
				return usage_error("%s needs a number", a);
			char *end;
			long n = strtol(argv[i], &end, 10);
			if (*end || n < 1 || n > 64)
				return usage_error("--threads takes 1 to 64, not '%s'", argv[i]);
			o->threads = (int)n;
		} else if (strcmp(a, "--") == 0 && i + 1 < argc && !o->file) {
			o->file = argv[++i];
		} else if (a[0] == '-' && a[1] == '-') {
			return usage_error("unknown option '%s'", a);
		} else if (!o->file) {
			o->file = a;
		} else {
			return usage_error("unexpected argument '%s'", a);
		}
	}
	if (o->mode != M_HELP && !o->file)
		return usage_error("%sthis mode needs a file (or, for /err, a code)", "");
	if (o->mode == M_EXPORT && !o->outdir)
		return usage_error("%s/export needs an output directory: /o DIR", "");
	return 0;
}

static void logo(const struct opts *o)
{
	if (!o->json)
		printf("\nExtensible Storage Engine Utilities for Linux (ESE repair toolkit)\n"
		       "Reads and writes database format 0x620,20 (all page sizes)\n\n");
}

/* Prints the failure (one line, to stderr, naming the file) and the
 * closing line; returns the exit status for an operational error. */
static int op_failed(const struct opts *o, const ese_status *st, int err, double t0)
{
	if (o->json) {
		ese_sbuf sb;
		ese_sbuf_init(&sb);
		ese_sbuf_puts(&sb, "{\"file\":");
		ese_sbuf_json_str(&sb, o->file, strlen(o->file));
		ese_sbuf_printf(&sb, ",\"ok\":false,\"jet_error\":%d,\"jet_error_name\":\"%s\",\"message\":", err,
		                ese_jet_name(err));
		ese_sbuf_json_str(&sb, st->msg, strlen(st->msg));
		ese_sbuf_puts(&sb, "}\n");
		fputs(sb.data, stdout);
		ese_sbuf_free(&sb);
	} else {
		fprintf(stderr, "eseutil: %s\n", st->msg[0] ? st->msg : ese_jet_desc(err));
		ese_print_closing(stdout, err, ese_now() - t0);
	}
	return ESE_EXIT_OPERROR;
}

static void json_head(ese_sbuf *sb, const char *mode, const char *file)
{
	ese_sbuf_printf(sb, "{\"mode\":\"%s\",\"file\":", mode);
	ese_sbuf_json_str(sb, file, strlen(file));
}

static void json_tail(ese_sbuf *sb, int err)
{
	ese_sbuf_printf(sb, ",\"ok\":%s,\"jet_error\":%d,\"jet_error_name\":\"%s\"}\n", err ? "false" : "true", err,
	                ese_jet_name(err));
	fputs(sb->data, stdout);
}

static int run_header(const struct opts *o, double t0)
{
	ese_db *db;
	ese_status st = { 0 };
	int err = ese_db_open(o->file, ESE_OPEN_RDONLY | ESE_OPEN_ANY_HEADER, &db, &st);
	if (err)
		return op_failed(o, &st, err, t0);
	ese_sbuf sb, warn;
	ese_sbuf_init(&sb);
	ese_sbuf_init(&warn);
	int nwarn = ese_dump_header_warnings(&warn, db);
	const ese_header_state *hs = ese_db_header_state(db);
	int result = (hs->primary_ok || hs->shadow_ok) ? 0 : JET_errDatabaseCorrupted;
	if (o->json) {
		json_head(&sb, "header", o->file);
		ese_sbuf_puts(&sb, ",\"header\":");
		ese_dump_header_json(&sb, db);
		ese_sbuf_puts(&sb, ",\"warnings\":[");
		for (char *p = warn.data, *nl; p && *p; p = nl + 1) {
			nl = strchr(p, '\n');
			ese_sbuf_puts(&sb, p == warn.data ? "" : ",");
			ese_sbuf_json_str(&sb, p, (size_t)(nl - p));
		}
		ese_sbuf_putc(&sb, ']');
		json_tail(&sb, result);
	} else {
		printf("Initiating FILE DUMP mode...\n         Database: %s\n\n", o->file);
		ese_dump_header(&sb, db, o->verbose);
		fputs(sb.data, stdout);
		if (nwarn)
			printf("\n%s", warn.data);
		ese_print_closing(stdout, result, ese_now() - t0);
	}
	ese_sbuf_free(&sb);
	ese_sbuf_free(&warn);
	ese_db_close(db);
	return result ? ESE_EXIT_UNFIXED : nwarn ? ESE_EXIT_UNFIXED : ESE_EXIT_OK;
}

static int run_checksum(const struct opts *o, double t0)
{
	ese_db *db;
	ese_status st = { 0 };
	int err = ese_db_open(o->file, ESE_OPEN_RDONLY | ESE_OPEN_ANY_HEADER | ESE_OPEN_NO_VERIFY, &db, &st);
	if (err)
		return op_failed(o, &st, err, t0);
	if (!o->json)
		printf("Initiating CHECKSUM mode...\n        Database: %s\n\n", o->file);
	ese_checkscan r;
	err = ese_checkscan_run(db, o->threads, &r, &st);
	if (err) {
		ese_db_close(db);
		return op_failed(o, &st, err, t0);
	}
	uint64_t problems = r.bad + r.correctable + r.truncated + r.read_errors + r.header_bad + r.uninit_in_use;
	int result = (r.bad || r.truncated || r.read_errors || r.header_bad || r.uninit_in_use || r.pages_seen == 0)
	                     ? JET_errDatabaseCorrupted : 0;
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	if (o->json) {
		json_head(&sb, "checksum", o->file);
		ese_sbuf_printf(&sb,
		                ",\"page_size\":%u,\"pages_seen\":%llu,\"bad_checksums\":%llu,\"correctable\":%llu,"
		                "\"uninitialized\":%llu,\"wrong_page_numbers\":%llu,\"truncated_pages\":%llu,"
		                "\"read_errors\":%llu,\"bad_headers\":%llu,\"uninitialized_in_use\":%llu,\"highest_dbtime\":%llu,"
		                "\"highest_dbtime_pgno\":%u,\"seconds\":%.3f,\"problems\":[",
		                ese_db_page_size(db), (unsigned long long)r.pages_seen, (unsigned long long)r.bad,
		                (unsigned long long)r.correctable, (unsigned long long)r.uninit,
		                (unsigned long long)r.wrong_pgno, (unsigned long long)r.truncated,
		                (unsigned long long)r.read_errors, (unsigned long long)r.header_bad,
		                (unsigned long long)r.uninit_in_use, (unsigned long long)r.highest_dbtime, r.highest_dbtime_pgno, r.seconds);
		static const char *const kinds[] = { "", "bad_checksum", "correctable", "wrong_page_number", "truncated",
		                                     "read_error", "bad_header", "uninitialized_in_use" };
		for (size_t i = 0; i < r.nproblems; i++) {
			const ese_badpage *p = &r.problems[i];
			ese_sbuf_printf(&sb, "%s{\"pgno\":%lld,\"kind\":\"%s\"", i ? "," : "", (long long)p->pgno,
			                p->kind < 8 ? kinds[p->kind] : "?");
			if (p->kind == ESE_PP_CORRECTABLE)
				ese_sbuf_printf(&sb, ",\"bit\":%u", p->bit);
			if (p->kind == ESE_PP_WRONG_PGNO)
				ese_sbuf_printf(&sb, ",\"holds_pgno\":%u", p->other);
			if (p->kind == ESE_PP_TRUNCATED)
				ese_sbuf_printf(&sb, ",\"last_owned_pgno\":%u", p->other);
			ese_sbuf_putc(&sb, '}');
		}
		ese_sbuf_putc(&sb, ']');
		json_tail(&sb, result);
	} else {
		for (size_t i = 0; i < r.nproblems; i++)
			ese_checkscan_problem_text(&sb, &r.problems[i]);
		fflush(stdout);
		if (sb.len)
			fputs(sb.data, stderr);
		double secs = r.seconds > 0 ? r.seconds : 1e-9;
		uint64_t mb = r.bytes_read >> 20;
		printf("File: %s\n\n", o->file);
		printf("\nChecksum Statistics:\n");
		printf("        %llu pages seen\n", (unsigned long long)r.pages_seen);
		printf("        %llu bad checksums\n", (unsigned long long)r.bad);
		printf("        %llu correctable checksums\n", (unsigned long long)r.correctable);
		printf("        %llu uninitialized pages\n", (unsigned long long)r.uninit);
		printf("        %llu wrong page numbers\n", (unsigned long long)r.wrong_pgno);
		if (r.truncated)
			printf("        %llu pages missing or truncated at the end of the file\n",
			       (unsigned long long)r.truncated);
		if (r.header_bad)
			printf("        %llu bad header copies\n", (unsigned long long)r.header_bad);
		if (r.uninit_in_use)
			printf("        %llu uninitialized pages in use\n", (unsigned long long)r.uninit_in_use);
		if (r.uninit && r.uninit_unchecked)
			printf("        (uninitialized pages checked only against tree roots: %s)\n",
			       r.uninit_unchecked == 1 ? "the catalog is unreadable" : "a space tree is unreadable");
		printf("        0x%llx highest dbtime (pgno 0x%x)\n\n", (unsigned long long)r.highest_dbtime,
		       r.highest_dbtime_pgno);
		printf("        %llu reads performed\n", (unsigned long long)r.reads);
		printf("        %llu MB read\n", (unsigned long long)mb);
		printf("        %.0f seconds taken\n", r.seconds);
		printf("        %.0f MB/second\n", (double)r.bytes_read / 1048576.0 / secs);
		printf("        %.0f milliseconds used\n", r.seconds * 1000);
		printf("        %.0f milliseconds per read\n", r.reads ? r.seconds * 1000 / (double)r.reads : 0.0);
		printf("        %.0f milliseconds for the slowest read\n", r.slowest_read * 1000);
		printf("        %.0f milliseconds for the fastest read\n", r.fastest_read * 1000);
		ese_print_closing(stdout, result, ese_now() - t0);
	}
	ese_sbuf_free(&sb);
	ese_checkscan_free(&r);
	ese_db_close(db);
	return problems ? ESE_EXIT_UNFIXED : ESE_EXIT_OK;
}

/* Opens the database and its catalog, for the modes that need both. */
static int open_with_catalog(const struct opts *o, ese_db **db, ese_catalog **cat, ese_status *st)
{
	int err = ese_db_open(o->file, ESE_OPEN_RDONLY, db, st);
	if (err)
		return err;
	if ((err = ese_catalog_load(*db, 4, cat, st))) {
		ese_db_close(*db);
		*db = NULL;
	}
	return err;
}

static int run_meta(const struct opts *o, double t0)
{
	ese_db *db;
	ese_catalog *cat;
	ese_status st = { 0 };
	int err = open_with_catalog(o, &db, &cat, &st);
	if (err)
		return op_failed(o, &st, err, t0);
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	if (o->json) {
		json_head(&sb, "metadata", o->file);
		ese_sbuf_puts(&sb, ",\"catalog\":");
		ese_dump_metadata_json(&sb, cat);
		json_tail(&sb, 0);
	} else {
		printf("Initiating FILE DUMP mode...\n         Database: %s\n", o->file);
		ese_dump_metadata(&sb, cat);
		fputs(sb.data, stdout);
		ese_print_closing(stdout, 0, ese_now() - t0);
	}
	ese_sbuf_free(&sb);
	ese_catalog_free(cat);
	ese_db_close(db);
	return ESE_EXIT_OK;
}

static int run_export(const struct opts *o, double t0)
{
	ese_db *db;
	ese_catalog *cat;
	ese_status st = { 0 };
	int err = open_with_catalog(o, &db, &cat, &st);
	if (err)
		return op_failed(o, &st, err, t0);
	if (!o->json)
		printf("Initiating EXPORT mode...\n         Database: %s\n        Directory: %s\n\n", o->file, o->outdir);
	err = ese_export_database(db, cat, o->outdir, &st);
	if (err && err != JET_errDatabaseCorrupted && err != JET_errReadVerifyFailure &&
	    err != JET_errBadPageLink && err != JET_errPageNotInitialized && err != JET_errReadPgnoVerifyFailure) {
		ese_catalog_free(cat);
		ese_db_close(db);
		return op_failed(o, &st, err, t0);
	}
	/* damaged values or pages: every table was still written as far as it
	 * could be read; say what was wrong and exit with "problems found" */
	if (err && !o->json)
		fprintf(stderr, "eseutil: %s: export incomplete: %s\n", o->file, st.msg);
	if (o->json) {
		ese_sbuf sb;
		ese_sbuf_init(&sb);
		json_head(&sb, "export", o->file);
		ese_sbuf_puts(&sb, ",\"directory\":");
		ese_sbuf_json_str(&sb, o->outdir, strlen(o->outdir));
		ese_sbuf_printf(&sb, ",\"tables\":%zu", cat->ntables);
		if (err) {
			ese_sbuf_puts(&sb, ",\"message\":");
			ese_sbuf_json_str(&sb, st.msg, strlen(st.msg));
		}
		json_tail(&sb, err);
		ese_sbuf_free(&sb);
	} else {
		for (size_t i = 0; i < cat->ntables; i++)
			printf("Exported table %zu: %s\n", i, cat->tables[i].name);
		ese_print_closing(stdout, err, ese_now() - t0);
	}
	ese_catalog_free(cat);
	ese_db_close(db);
	return err ? ESE_EXIT_UNFIXED : ESE_EXIT_OK;
}

static int run_err(const struct opts *o)
{
	const ese_jet_error *e = NULL;
	const char *a = o->file;
	char *end;
	errno = 0;
	long long v = strtoll(a, &end, 0);
	if (*a && !*end && errno == 0) {
		/* hex like 0xfffffc07 is the 32-bit two's complement of a negative code */
		if (v > 0x7fffffffLL && v <= 0xffffffffLL)
			v = (long long)(int32_t)(uint32_t)v;
		if (v >= INT32_MIN && v <= INT32_MAX)
			e = ese_jet_error_find((int)v);
	} else {
		e = ese_jet_error_by_name(a);
	}
	if (o->json) {
		ese_sbuf sb;
		ese_sbuf_init(&sb);
		ese_sbuf_puts(&sb, "{\"mode\":\"err\",\"query\":");
		ese_sbuf_json_str(&sb, a, strlen(a));
		if (e) {
			ese_sbuf_printf(&sb, ",\"found\":true,\"code\":%d,\"name\":\"%s\",\"description\":", e->code, e->name);
			ese_sbuf_json_str(&sb, e->desc, strlen(e->desc));
		} else {
			ese_sbuf_puts(&sb, ",\"found\":false");
		}
		ese_sbuf_puts(&sb, "}\n");
		fputs(sb.data, stdout);
		ese_sbuf_free(&sb);
		return e ? ESE_EXIT_OK : ESE_EXIT_OPERROR;
	}
	if (!e) {
		fprintf(stderr, "eseutil: '%s' is not a JET error or warning code ESE defines\n", a);
		return ESE_EXIT_OPERROR;
	}
	printf("%d (0x%08x): %s\n    %s\n", e->code, (uint32_t)e->code, e->name, e->desc);
	return ESE_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	double t0 = ese_now();
	switch (o.mode) {
	case M_HELP:
		fputs(usage_text, stdout);
		return ESE_EXIT_OK;
	case M_ERR:
		return run_err(&o);
	case M_HEADER:
		logo(&o);
		return run_header(&o, t0);
	case M_CHECKSUM:
		logo(&o);
		return run_checksum(&o, t0);
	case M_META:
		logo(&o);
		return run_meta(&o, t0);
	case M_EXPORT:
		logo(&o);
		return run_export(&o, t0);
	default:
		return usage_error("%sno mode specified", "");
	}
}
