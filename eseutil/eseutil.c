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
#include "ese_defrag.h"
#include "ese_export.h"
#include "ese_integrity.h"
#include "ese_journal.h"
#include "ese_problem.h"
#include "ese_sbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <unistd.h>

enum mode { M_NONE, M_HEADER, M_CHECKSUM, M_META, M_EXPORT, M_ERR, M_HELP, M_INTEGRITY, M_SPACE, M_PROBLEMS, M_DEFRAG };

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
	{ "/d", M_DEFRAG }, { "-d", M_DEFRAG }, { "--defragment", M_DEFRAG },
	{ "/g", M_INTEGRITY }, { "-g", M_INTEGRITY }, { "--integrity", M_INTEGRITY },
	{ "/ms", M_SPACE }, { "-ms", M_SPACE }, { "--space", M_SPACE },
	{ "--problem-codes", M_PROBLEMS },
	{ "/?", M_HELP }, { "-?", M_HELP }, { "-h", M_HELP }, { "--help", M_HELP },
};

struct opts {
	enum mode mode;
	const char *file;
	const char *outdir;
	int json;
	int verbose;
	int threads;
	int cap;
	const char *temp, *backup;
	int preserve, fill, progress;
};

static const char usage_text[] =
	"Usage: eseutil MODE FILE [options]\n"
	"\n"
	"Modes (eseutil syntax, or the long alias):\n"
	"  /mh  --dump-header DB      dump the database header (/v: primary and shadow)\n"
	"  /d   --defragment DB       offline defragmentation: copy into a compact file, verify,\n"
	"                             swap it in atomically (the original is never damaged)\n"
	"  /k   --checksum DB         verify the checksum of every page\n"
	"  /g   --integrity DB        check every tree, page, space map, catalog entry and record\n"
	"  /ms  --space DB            space per table, index and long-value tree; size after /d\n"
	"  /mm  --dump-metadata DB    dump the catalog: tables, columns, indexes, long values\n"
	"  /export --export DB /o DIR export every table as tab-separated text (esedbexport -t layout)\n"
	"  /err --error CODE|NAME     name and meaning of a JET error (decimal or 0x hex)\n"
	"  --problem-codes            the catalogue of /g's problem codes (markdown)\n"
	"  /?   --help                this help\n"
	"\n"
	"Options:\n"
	"  /o DIR, --out DIR          output directory (export)\n"
	"  /v, --verbose              more detail (/mh: both header copies)\n"
	"  /t PATH, --temp PATH       /d: where to build the copy (default TEMPDFRG<pid>.EDB beside DB)\n"
	"  /b PATH, --backup PATH     /d: keep the original under PATH\n"
	"  /p, --preserve             /d: leave the original in place, keep the copy at the /t path\n"
	"  /f PCT, --fill PCT         /d: leaf fill factor, 20-100 (default 100)\n"
	"  --progress                 /d: show the progress bar even when not on a terminal\n"
	"  --threads N                worker threads for /k, /g and /ms (default: one per CPU);\n"
	"                             with 1, /g and /ms also walk each tree in one pass\n"
	"  --max-per-code N           /g: list at most N findings per problem code (default 50, 0 = all)\n"
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
	o->cap = 50;
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
		} else if (o->mode == M_DEFRAG && is_opt(a, "/t", "-t", "--temp")) {
			if (++i >= argc)
				return usage_error("%s needs a path", a);
			o->temp = argv[i];
		} else if (o->mode == M_DEFRAG && is_opt(a, "/b", "-b", "--backup")) {
			if (++i >= argc)
				return usage_error("%s needs a path", a);
			o->backup = argv[i];
		} else if (o->mode == M_DEFRAG && is_opt(a, "/p", "-p", "--preserve")) {
			o->preserve = 1;
		} else if (o->mode == M_DEFRAG && is_opt(a, "/f", "-f", "--fill")) {
			if (++i >= argc)
				return usage_error("%s needs a percentage", a);
			char *end;
			long n = strtol(argv[i], &end, 10);
			if (*end || n < 20 || n > 100)
				return usage_error("/f takes a fill factor from 20 to 100, not '%s'", argv[i]);
			o->fill = (int)n;
		} else if (is_opt(a, NULL, NULL, "--progress")) {
			o->progress = 1;
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
		} else if (is_opt(a, NULL, NULL, "--max-per-code")) {
			if (++i >= argc)
				return usage_error("%s needs a number", a);
			char *end;
			long n = strtol(argv[i], &end, 10);
			if (*end || n < 0 || n > 1000000)
				return usage_error("--max-per-code takes 0 to 1000000, not '%s'", argv[i]);
			o->cap = (int)n;
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
	if (o->mode != M_HELP && o->mode != M_PROBLEMS && !o->file)
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

/* --threads for /g and /ms: 1 also means every tree in one pass; only /ms
 * estimates the size after defragmentation. */
static ese_integrity_opts integrity_opts(const struct opts *o)
{
	ese_integrity_opts io = { .threads = o->threads, .parallel_min_pages = o->threads == 1 ? UINT64_MAX : 0,
	                          .no_estimate = o->mode == M_INTEGRITY };
	return io;
}

static int run_integrity(const struct opts *o, double t0)
{
	ese_db *db;
	ese_status st = { 0 };
	int err = ese_db_open(o->file, ESE_OPEN_RDONLY | ESE_OPEN_ANY_HEADER, &db, &st);
	if (err)
		return op_failed(o, &st, err, t0);
	ese_reporter rep;
	ese_sbuf js;
	ese_sbuf_init(&js);
	FILE *jf = NULL;
	char *jbuf = NULL;
	size_t jlen = 0;
	if (o->json)
		jf = open_memstream(&jbuf, &jlen);
	ese_reporter_init(&rep, o->json ? NULL : stdout, jf, (unsigned)o->cap);
	if (!o->json)
		printf("Initiating INTEGRITY mode...\n        Database: %s\n\nChecking database integrity.\n\n", o->file);
	ese_integrity res;
	ese_integrity_opts io = integrity_opts(o);
	err = ese_integrity_check_opts(db, &io, &rep, &res, &st);
	if (jf)
		fclose(jf);
	if (err) {
		free(jbuf);
		ese_db_close(db);
		return op_failed(o, &st, err, t0);
	}
	int result = (rep.errors || rep.fatals) ? JET_errDatabaseCorrupted : 0;
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	if (o->json) {
		json_head(&sb, "integrity", o->file);
		ese_sbuf_printf(&sb, ",\"errors\":%llu,\"warnings\":%llu,\"fatal\":%llu,\"catalog_ok\":%s,"
		                     "\"pages\":%llu,\"pages_used\":%llu,\"pages_available\":%llu,\"pages_leaked\":%llu,"
		                     "\"records\":%llu,\"long_values\":%llu,\"threads\":%d,\"trees_split\":%u,\"counts\":{",
		                (unsigned long long)rep.errors, (unsigned long long)rep.warnings,
		                (unsigned long long)rep.fatals, res.catalog_ok ? "true" : "false",
		                (unsigned long long)res.pages_in_file, (unsigned long long)res.pages_used,
		                (unsigned long long)res.pages_avail, (unsigned long long)res.pages_leaked,
		                (unsigned long long)res.records, (unsigned long long)res.lvs, res.threads, res.trees_split);
		int first = 1;
		for (int i = 0; i < ESE_PR_COUNT; i++)
			if (rep.count[i]) {
				ese_sbuf_printf(&sb, "%s\"%s\":%llu", first ? "" : ",", ese_problem_info_get(i)->code,
				                (unsigned long long)rep.count[i]);
				first = 0;
			}
		ese_sbuf_puts(&sb, "},\"problems\":[");
		for (char *p = jbuf, *nl; p && *p; p = nl + 1) {
			nl = strchr(p, '\n');
			if (!nl)
				break;
			ese_sbuf_puts(&sb, p == jbuf ? "" : ",");
			ese_sbuf_put(&sb, p, (size_t)(nl - p));
		}
		ese_sbuf_putc(&sb, ']');
		json_tail(&sb, result);
	} else {
		printf("%s%llu trees, %llu pages in use, %llu available, %llu records, %llu long values checked.\n",
		       rep.total ? "\n" : "", (unsigned long long)res.ntrees, (unsigned long long)res.pages_used,
		       (unsigned long long)res.pages_avail, (unsigned long long)res.records, (unsigned long long)res.lvs);
		if (o->verbose)
			printf("%u large tree(s) walked in runs on %d thread(s).\n", res.trees_split, res.threads);
		if (rep.total) {
			ese_reporter_summary(&rep, &sb);
			printf("\nProblems by code:\n%s", sb.data);
		}
		if (!res.catalog_ok)
			printf("\nThe catalog is corrupted: not all tables could be checked. Run eseutil /p (page-level\n"
			       "repair: Microsoft's eseutil on Windows for now; it is not built into this toolkit yet)\n"
			       "on a copy, or restore the database from a backup.\n");
		if (result)
			printf("\nIntegrity check completed.  Database is CORRUPTED!\n");
		else if (rep.warnings)
			printf("\nIntegrity check completed.  %llu warning(s), no errors.\n", (unsigned long long)rep.warnings);
		else
			printf("\nIntegrity check successful.\n");
		ese_print_closing(stdout, result, ese_now() - t0);
	}
	ese_sbuf_free(&sb);
	free(jbuf);
	ese_integrity_free(&res);
	ese_db_close(db);
	return (rep.total ? ESE_EXIT_UNFIXED : ESE_EXIT_OK) | (rep.fatals ? ESE_EXIT_OPERROR : 0);
}

/* eseutil's progress bar (ESEUTIL-REFERENCE 3.4): a centred title, the
 * 0-100 scale, then one dot per 2 percent. */
struct bar {
	FILE *f;
	int shown;                    /* dots printed */
	int phase;
	int on;
};

static void bar_title(struct bar *b, const char *op)
{
	int pad = (51 - (int)strlen(op) - 20) / 2;
	fprintf(b->f, "\n%*s%s Status (%% complete)\n\n", 10 + (pad > 0 ? pad : 0), "", op);
	fprintf(b->f, "          0    10   20   30   40   50   60   70   80   90  100\n");
	fprintf(b->f, "          |----|----|----|----|----|----|----|----|----|----|\n          ");
	b->shown = 0;
}

static void bar_to(struct bar *b, int dots)
{
	while (b->shown < dots && b->shown < 51) {
		fputc('.', b->f);
		b->shown++;
	}
	fflush(b->f);
}

static void defrag_progress(void *ctx, ese_defrag_phase ph, uint64_t done, uint64_t total)
{
	struct bar *b = ctx;
	if (!b->on)
		return;
	if (ph == ESE_DEFRAG_PHASE_CHECK) {
		bar_title(b, "Defragmentation");
		return;
	}
	if (ph == ESE_DEFRAG_PHASE_COPY) {
		int dots = total ? (int)(done * 50 / total) : 0;
		bar_to(b, dots > 50 ? 50 : dots);
		return;
	}
	if (ph == ESE_DEFRAG_PHASE_VERIFY) {
		bar_to(b, 51);
		fputs("\n\n", b->f);
		b->phase = 1;
	}
}

static void defrag_note(void *ctx, const char *line)
{
	const struct opts *o = ctx;
	if (!o->json)
		printf("%s\n", line);
}

static int run_defrag(const struct opts *o, double t0)
{
	struct bar b = { stdout, 0, 0, !o->json && (o->progress || isatty(STDOUT_FILENO)) };
	ese_defrag_opts d = { 0 };
	d.temp_path = o->temp;
	d.backup_path = o->backup;
	d.preserve = o->preserve;
	d.fill = (unsigned)o->fill;
	d.progress = defrag_progress;
	d.progress_ctx = &b;
	d.note = defrag_note;
	d.note_ctx = (void *)o;
	if (!o->json)
		printf("Initiating DEFRAGMENTATION mode...\n            Database: %s\n\n", o->file);
	signal(SIGXFSZ, SIG_IGN);         /* a file-size limit ends in EFBIG, reported */
	ese_defrag_result r;
	ese_status st = { 0 };
	int err = ese_defrag(o->file, &d, &r, &st);
	if (b.on && b.shown && b.shown < 51)
		fputs("X\n\n", stdout);
	double mb_before = r.bytes_before / 1048576.0, mb_after = r.bytes_after / 1048576.0;
	if (o->json) {
		ese_sbuf sb;
		ese_sbuf_init(&sb);
		json_head(&sb, "defragment", o->file);
		ese_sbuf_printf(&sb,
		                ",\"bytes_before\":%llu,\"bytes_after\":%llu,\"pages_before\":%llu,\"pages_after\":%llu,"
		                "\"records\":%llu,\"trees\":%llu,\"long_values_copied\":%llu,"
		                "\"long_values_unreferenced\":%llu,\"space_needed\":%llu,\"space_free\":%llu,"
		                "\"seconds\":%.3f,\"copy_seconds\":%.3f,\"sync_seconds\":%.3f,\"verify_seconds\":%.3f,\"swapped\":%s,"
		                "\"kept_copy\":%s,\"temp_path\":",
		                (unsigned long long)r.bytes_before, (unsigned long long)r.bytes_after,
		                (unsigned long long)r.pages_before, (unsigned long long)r.pages_after,
		                (unsigned long long)r.records, (unsigned long long)r.trees,
		                (unsigned long long)r.lvs_copied, (unsigned long long)r.lvs_unreferenced,
		                (unsigned long long)r.space_needed, (unsigned long long)r.space_free, r.seconds,
		                r.copy_seconds, r.sync_seconds, r.verify_seconds, r.swapped ? "true" : "false",
		                r.kept_copy ? "true" : "false");
		ese_sbuf_json_str(&sb, r.temp_path, strlen(r.temp_path));
		if (err) {
			ese_sbuf_puts(&sb, ",\"message\":");
			ese_sbuf_json_str(&sb, st.msg, strlen(st.msg));
		}
		json_tail(&sb, err);
		ese_sbuf_free(&sb);
		return err ? ESE_EXIT_OPERROR : ESE_EXIT_OK;
	}
	if (err) {
		fprintf(stderr, "eseutil: %s\n", st.msg);
		if (err == JET_errReadVerifyFailure || err == JET_errReadPgnoVerifyFailure || err == JET_errPageNotInitialized ||
		    err == JET_errBadPageLink || err == JET_errCatalogCorrupted)
			fprintf(stderr, "eseutil: the source database is damaged: run eseutil /g to see where, then eseutil /p "
			                "(Microsoft's, on Windows: page-level repair is not in this toolkit yet)\n");
		if (r.kept_copy)
			fprintf(stderr, "eseutil: the copy is kept for inspection at %s\n", r.temp_path);
		ese_print_closing(stdout, err, ese_now() - t0);
		return ESE_EXIT_OPERROR;
	}
	printf("Pages: %llu before, %llu after (%.1f MiB -> %.1f MiB, %.1f MiB reclaimed)\n",
	       (unsigned long long)r.pages_before, (unsigned long long)r.pages_after, mb_before, mb_after,
	       mb_before > mb_after ? mb_before - mb_after : 0.0);
	printf("Copied %llu trees, %llu records, %llu long values; %llu unreferenced long values not copied\n",
	       (unsigned long long)r.trees, (unsigned long long)r.records, (unsigned long long)r.lvs_copied,
	       (unsigned long long)r.lvs_unreferenced);
	printf("Time: %.2f s (copy %.2f s including %.2f s of fsync, verification %.2f s); %.1f MiB/s, %.1f GB/hour\n",
	       r.seconds, r.copy_seconds, r.sync_seconds, r.verify_seconds, r.seconds > 0 ? mb_before / r.seconds : 0.0,
	       r.seconds > 0 ? r.bytes_before / 1e9 / r.seconds * 3600 : 0.0);
	if (r.swapped)
		printf("\nNote:\n  It is recommended that you immediately perform a full backup of this database. If you\n"
		       "  restore a backup made before the defragmentation, the database will be rolled back to\n"
		       "  the state it was in at the time of that backup.\n");
	ese_print_closing(stdout, 0, ese_now() - t0);
	return ESE_EXIT_OK;
}

static const char *kind_name(ese_tree_kind k)
{
	switch (k) {
	case ESE_TREE_ROOT_SPACE: return "Root";
	case ESE_TREE_TABLE: return "Table";
	case ESE_TREE_INDEX: return "Index";
	default: return "LV";
	}
}

static int run_space(const struct opts *o, double t0)
{
	ese_db *db;
	ese_status st = { 0 };
	int err = ese_db_open(o->file, ESE_OPEN_RDONLY, &db, &st);
	if (err)
		return op_failed(o, &st, err, t0);
	ese_reporter rep;
	ese_reporter_init(&rep, NULL, NULL, 0);
	ese_integrity res;
	ese_integrity_opts io = integrity_opts(o);
	if ((err = ese_integrity_check_opts(db, &io, &rep, &res, &st))) {
		ese_db_close(db);
		return op_failed(o, &st, err, t0);
	}
	uint32_t ps = ese_db_page_size(db);
	uint64_t owned = 0, estimate = 0;
	for (size_t i = 0; i < res.ntrees; i++)
		owned += res.trees[i].owned;
	estimate = ese_integrity_estimate_total(&res, ps, 100);
	uint64_t file = ese_db_file_size(db);
	uint64_t est_bytes = (estimate + 2) * ps;
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	if (o->json) {
		json_head(&sb, "space", o->file);
		ese_sbuf_printf(&sb, ",\"page_size\":%u,\"file_bytes\":%llu,\"pages_in_file\":%llu,\"header_pages\":2,"
		                     "\"pages_owned\":%llu,\"pages_unowned\":%llu,\"pages_used\":%llu,\"pages_available\":%llu,"
		                     "\"pages_leaked\":%llu,\"estimated_pages_after_defrag\":%llu,"
		                     "\"estimated_bytes_after_defrag\":%llu,\"problems\":%llu,\"trees\":[",
		                ps, (unsigned long long)file, (unsigned long long)res.pages_in_file,
		                (unsigned long long)owned, (unsigned long long)res.pages_unowned,
		                (unsigned long long)res.pages_used, (unsigned long long)res.pages_avail,
		                (unsigned long long)res.pages_leaked, (unsigned long long)estimate,
		                (unsigned long long)est_bytes, (unsigned long long)rep.total);
		for (size_t i = 0; i < res.ntrees; i++) {
			const ese_tree_stats *t = &res.trees[i];
			ese_sbuf_puts(&sb, i ? ",{\"table\":" : "{\"table\":");
			if (t->table)
				ese_sbuf_json_str(&sb, t->table, strlen(t->table));
			else
				ese_sbuf_puts(&sb, "null");
			ese_sbuf_puts(&sb, ",\"name\":");
			ese_sbuf_json_str(&sb, t->name, strlen(t->name));
			ese_sbuf_printf(&sb, ",\"type\":\"%s\",\"objid\":%u,\"pgno_root\":%u,\"owned\":%llu,\"available\":%llu,"
			                     "\"pages\":%llu,\"space_pages\":%llu,\"leaf_pages\":%llu,\"depth\":%u,"
			                     "\"entries\":%llu,\"leaf_bytes_free\":%llu,\"leaf_fill_percent\":%.1f}",
			                kind_name(t->kind), t->objid, t->pgno_root, (unsigned long long)t->owned,
			                (unsigned long long)t->avail, (unsigned long long)t->pages,
			                (unsigned long long)t->space_pages, (unsigned long long)t->leaf_pages, t->depth,
			                (unsigned long long)t->entries, (unsigned long long)t->leaf_bytes_free,
			                t->leaf_pages ? 100.0 * (double)t->leaf_bytes_used /
			                                        ((double)t->leaf_bytes_used + (double)t->leaf_bytes_free)
			                              : 0.0);
		}
		ese_sbuf_putc(&sb, ']');
		json_tail(&sb, 0);
	} else {
		printf("Initiating FILE DUMP mode...\n         Database: %s\n\nSPACE DUMP (pages of %u bytes)\n\n", o->file, ps);
		printf("%-28s %-6s %7s %8s %9s %9s %9s %7s %6s %10s\n", "Name", "Type", "ObjidFDP", "PgnoFDP", "Owned",
		       "Avail", "InUse", "Space", "Fill%", "FreeBytes");
		printf("==================================================================================================================\n");
		for (size_t i = 0; i < res.ntrees; i++) {
			const ese_tree_stats *t = &res.trees[i];
			char name[64];
			if (t->kind == ESE_TREE_TABLE || t->kind == ESE_TREE_ROOT_SPACE)
				snprintf(name, sizeof(name), "%s", t->name);
			else
				snprintf(name, sizeof(name), "  %s", t->name);
			double fill = t->leaf_pages ? 100.0 * (double)t->leaf_bytes_used /
			                                      ((double)t->leaf_bytes_used + (double)t->leaf_bytes_free)
			                            : 0.0;
			printf("%-28s %-6s %7u %8u %9llu %9llu %9llu %7llu %6.1f %10llu\n", name, kind_name(t->kind), t->objid,
			       t->pgno_root, (unsigned long long)t->owned, (unsigned long long)t->avail,
			       (unsigned long long)t->pages, (unsigned long long)t->space_pages, fill,
			       (unsigned long long)t->leaf_bytes_free);
		}
		printf("==================================================================================================================\n");
		printf("File: %llu bytes = 2 header pages + %llu database pages%s\n", (unsigned long long)file,
		       (unsigned long long)res.pages_in_file, file % ps ? " + a partial page" : "");
		printf("  owned by some object:      %10llu pages (%llu used by trees, %llu available, %llu leaked)\n",
		       (unsigned long long)owned, (unsigned long long)res.pages_used, (unsigned long long)res.pages_avail,
		       (unsigned long long)res.pages_leaked);
		printf("  owned by no object:        %10llu pages\n", (unsigned long long)res.pages_unowned);
		printf("Estimated size after defragmentation: %llu pages, %llu bytes (%.1f%% of the file)\n",
		       (unsigned long long)estimate + 2, (unsigned long long)est_bytes,
		       file ? 100.0 * (double)est_bytes / (double)file : 0.0);
		if (rep.total)
			printf("\nWARNING: the walk met %llu problem(s): run eseutil /g for details.\n",
			       (unsigned long long)rep.total);
		ese_print_closing(stdout, 0, ese_now() - t0);
	}
	ese_sbuf_free(&sb);
	ese_integrity_free(&res);
	ese_db_close(db);
	return rep.total ? ESE_EXIT_UNFIXED : ESE_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc;
	ese_cli_catch_sigbus("eseutil", o.file);
	double t0 = ese_now();
	/* an isinteg pass that did not finish is rolled back before anything
	 * else reads the database (its journal holds the before-images) */
	if (o.mode != M_HELP && o.mode != M_ERR && o.mode != M_PROBLEMS && o.file && ese_journal_exists(o.file)) {
		ese_journal_recovery jr;
		ese_status jst = { 0 };
		memset(&jr, 0, sizeof(jr));
		if (ese_journal_recover(o.file, &jr, &jst)) {
			fprintf(stderr, "eseutil: %s: an unfinished isinteg pass could not be rolled back: %s\n", o.file,
			        jst.msg);
			return ESE_EXIT_OPERROR;
		}
		if (jr.found)
			fprintf(stderr, "eseutil: %s: rolled back an unfinished isinteg pass (%llu pages restored%s)\n", o.file,
			        (unsigned long long)jr.pages_restored, jr.truncated ? ", the file cut back to its size" : "");
	}
	switch (o.mode) {
	case M_HELP:
		fputs(usage_text, stdout);
		return ESE_EXIT_OK;
	case M_ERR:
		return run_err(&o);
	case M_PROBLEMS: {
		ese_sbuf sb;
		ese_sbuf_init(&sb);
		ese_problem_catalogue_markdown(&sb);
		fputs(sb.data, stdout);
		ese_sbuf_free(&sb);
		return ESE_EXIT_OK;
	}
	case M_INTEGRITY:
		logo(&o);
		return run_integrity(&o, t0);
	case M_DEFRAG:
		logo(&o);
		return run_defrag(&o, t0);
	case M_SPACE:
		logo(&o);
		return run_space(&o, t0);
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
