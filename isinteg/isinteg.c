/*
 * isinteg - logical integrity tests of an offline ESE database, and their
 * repairs (KB328671 step 4; include/ese_isinteg.h, docs/isinteg.md).
 *
 * A thin front end: it parses Exchange isinteg's syntax (-s DB -fix -test
 * NAMES -l LOG) and a few of this toolkit's own options, calls
 * ese_isinteg_run, and turns its result into the exit status of
 * include/ese_cli.h.  It never reads the database itself.
 */
#include "ese_cli.h"
#include "ese_error.h"
#include "ese_isinteg.h"
#include "ese_sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char usage_text[] =
	"Usage: isinteg -s DB [-fix] [-test TEST[,TEST...]|alltests] [-l LOGFILE] [-dump]\n"
	"               [-passes N] [-t TMPDIR] [--max-per-code N] [--json]\n"
	"\n"
	"Logical integrity tests of an offline ESE database (it must be in Clean Shutdown\n"
	"state).  Without -fix the database is only read.  With -fix every problem a test\n"
	"can repair is repaired, pass after pass, until a pass finds no error, changes\n"
	"nothing, or finds no fewer errors than the one before (or after N passes); each\n"
	"pass's writes go through a rollback journal (DB.isinteg-journal), so a pass that\n"
	"is interrupted is rolled back by the next run.\n"
	"\n"
	"Options:\n"
	"  -s DB, -db DB        the database\n"
	"  -fix                 repair (default: report only)\n"
	"  -test LIST           tests to run, comma-separated, or alltests (the default)\n"
	"  -l LOGFILE           the report file (default: isinteg.pri.txt beside DB)\n"
	"  -dump                also write what each test computed to the report (\"Dump:\")\n"
	"  -passes N            with -fix: at most N passes, 1-100 (default 10)\n"
	"  -t TMPDIR            where the sorts spill (default: $TMPDIR or /tmp)\n"
	"  --max-per-code N     finding lines per problem code and pass (default 50, 0 = all)\n"
	"  --json               one JSON object a line on stdout instead of text\n"
	"  --help               this help\n"
	"\n"
	"Tests, in the order they run:\n"
	"  catalog    column and index definitions; MSysObjects and its shadow agree\n"
	"  objid      the header's objid_last covers every object id in use\n"
	"  records    every record decodes against its table's columns\n"
	"  index      every secondary index holds exactly the entries its records make\n"
	"  lvref      long-value reference counts; orphaned and missing long values\n"
	"  rowcount   stored row counts (no known schema stores one)\n"
	"  dangling   mail store: links to missing messages, folders, attachments (R5-R8)\n"
	"  msgref     mail store: Message.RefCount, messages in no folder (C1, C2)\n"
	"  attachref  mail store: Attachment.RefCount, attachments on no message (C3)\n"
	"  folder     mail store: folder counts (F1-F3) and hierarchy (R1-R3)\n"
	"  mailbox    mail store: mailbox totals (B1, B2)\n"
	"\n"
	"Exit status (bits): 0 clean, 1 problems fixed and now clean, 4 errors remain\n"
	"(5: some fixed, some remain), 8 operational error, 16 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "isinteg: usage error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'isinteg --help'.\n");
	return ESE_EXIT_USAGE;
}

static int is(const char *a, const char *name)
{
	/* -fix, /fix, --fix alike, case-insensitive as isinteg's own */
	if (a[0] == '-' && a[1] == '-')
		a += 2;
	else if (a[0] == '-' || a[0] == '/')
		a += 1;
	else
		return 0;
	return strcasecmp(a, name) == 0;
}

static int number(const char *s, long lo, long hi, long *out)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (!*s || *end || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

int main(int argc, char **argv)
{
	ese_isinteg_opts o;
	memset(&o, 0, sizeof(o));
	o.cap = 50;
	const char *test_list = NULL;
	long n;
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-?") || !strcmp(argv[1], "/?") ||
	                  !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		return ESE_EXIT_OK;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (is(a, "s") || is(a, "db")) {
			if (++i >= argc)
				return usage_error("%s needs a database file", a);
			if (o.path)
				return usage_error("%s", "only one database (-s) may be given");
			o.path = argv[i];
		} else if (is(a, "fix")) {
			o.fix = 1;
		} else if (is(a, "test")) {
			if (++i >= argc)
				return usage_error("%s needs a test name, a comma-separated list or alltests", a);
			test_list = argv[i];
		} else if (is(a, "l")) {
			if (++i >= argc)
				return usage_error("%s needs a file name", a);
			o.log_path = argv[i];
		} else if (is(a, "dump")) {
			o.dump = 1;
		} else if (is(a, "passes")) {
			if (++i >= argc || number(argv[i], 1, ESE_ISINTEG_MAX_PASSES, &n))
				return usage_error("-passes takes a number from 1 to 100, not '%s'", i < argc ? argv[i] : "");
			o.max_passes = (unsigned)n;
		} else if (is(a, "t")) {
			if (++i >= argc)
				return usage_error("%s needs a directory", a);
			o.tmpdir = argv[i];
		} else if (is(a, "max-per-code")) {
			if (++i >= argc || number(argv[i], 0, 1000000, &n))
				return usage_error("--max-per-code takes 0 to 1000000, not '%s'", i < argc ? argv[i] : "");
			o.cap = (unsigned)n;
		} else if (is(a, "json")) {
			o.json = stdout;
		} else if (is(a, "help") || is(a, "?")) {
			fputs(usage_text, stdout);
			return ESE_EXIT_OK;
		} else {
			return usage_error("unknown argument '%s'", a);
		}
	}
	if (!o.path)
		return usage_error("%s", "no database: give one with -s DB");
	if (test_list) {
		ese_sbuf bad;
		ese_sbuf_init(&bad);
		if (ese_isinteg_parse_tests(test_list, &o.tests, &bad)) {
			fprintf(stderr, "isinteg: usage error: unknown test '%s'; the tests are:", bad.data ? bad.data : "");
			for (unsigned id = 0; ese_isinteg_test_name(id); id++)
				fprintf(stderr, " %s", ese_isinteg_test_name(id));
			fprintf(stderr, ", or alltests\n");
			ese_sbuf_free(&bad);
			return ESE_EXIT_USAGE;
		}
		ese_sbuf_free(&bad);
	}
	o.out = o.json ? NULL : stdout;

	ese_isinteg_result res;
	ese_status st = { 0 };
	ese_cli_catch_sigbus("isinteg", o.path);
	int err = ese_isinteg_run(&o, &res, &st);
	if (err) {
		fprintf(stderr, "isinteg: %s (%s, %d)\n", st.msg[0] ? st.msg : ese_jet_desc(err), ese_jet_name(err), err);
		if (o.json) {
			ese_sbuf sb;
			ese_sbuf_init(&sb);
			ese_sbuf_puts(&sb, "{\"file\":");
			ese_sbuf_json_str(&sb, o.path, strlen(o.path));
			ese_sbuf_printf(&sb, ",\"ok\":false,\"jet_error\":%d,\"jet_error_name\":\"%s\",\"message\":", err,
			                ese_jet_name(err));
			ese_sbuf_json_str(&sb, st.msg, strlen(st.msg));
			ese_sbuf_printf(&sb, ",\"exit\":%d}\n", ESE_EXIT_OPERROR);
			fputs(sb.data, stdout);
			ese_sbuf_free(&sb);
		}
		return ESE_EXIT_OPERROR | (res.fixed ? ESE_EXIT_FIXED : 0);
	}
	return res.exit_code;
}
