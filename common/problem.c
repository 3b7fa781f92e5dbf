/*
 * problem.c - the problem catalogue and the one reporting function
 * (include/ese_problem.h).  The table is generated from ese_problems.def.
 */
#include "ese_problem.h"

#include <stdarg.h>
#include <string.h>

static const ese_problem_info table[ESE_PR_COUNT] = {
#define X(id, code, sev, fix, desc) { code, #id, ESE_SEV_##sev, ESE_FIX_##fix, desc },
#include "ese_problems.def"
#undef X
};

const ese_problem_info *ese_problem_info_get(ese_problem_code id)
{
	return (unsigned)id < ESE_PR_COUNT ? &table[id] : NULL;
}

const char *ese_severity_name(ese_severity s)
{
	return s == ESE_SEV_FATAL ? "fatal" : s == ESE_SEV_ERROR ? "error" : "warning";
}

const char *ese_fixer_name(ese_fixer f)
{
	switch (f) {
	case ESE_FIX_REPAIR: return "eseutil /p";
	case ESE_FIX_DEFRAG: return "eseutil /d";
	case ESE_FIX_ISINTEG: return "isinteg -fix";
	default: return "none";
	}
}

void ese_reporter_init(ese_reporter *r, FILE *text, FILE *json, unsigned cap)
{
	memset(r, 0, sizeof(*r));
	r->text = text;
	r->json = json;
	r->cap = cap;
}

static void location(ese_sbuf *sb, const ese_where *w)
{
	int any = 0;
	if (w && w->pgno) {
		ese_sbuf_printf(sb, "page %u", w->pgno);
		any = 1;
	}
	if (w && (w->objid || w->table)) {
		ese_sbuf_puts(sb, any ? " (" : "(");
		int in = 0;
		if (w->table) {
			ese_sbuf_printf(sb, "table %s", w->table);
			in = 1;
		}
		if (w->tree) {
			ese_sbuf_printf(sb, "%s%s", in ? ", " : "", w->tree);
			in = 1;
		}
		if (w->objid)
			ese_sbuf_printf(sb, "%sobjid %u", in ? ", " : "", w->objid);
		ese_sbuf_putc(sb, ')');
		any = 1;
	}
	if (w && w->node >= 0 && w->pgno) {
		ese_sbuf_printf(sb, " node %d", w->node);
		any = 1;
	}
	if (!any)
		ese_sbuf_puts(sb, "database");
}

uint64_t ese_report(ese_reporter *r, ese_problem_code id, const ese_where *w, const char *fmt, ...)
{
	const ese_problem_info *pi = ese_problem_info_get(id);
	if (!pi)
		return r->total;
	r->count[id]++;
	r->total++;
	if (pi->severity == ESE_SEV_FATAL)
		r->fatals++;
	else if (pi->severity == ESE_SEV_ERROR)
		r->errors++;
	else
		r->warnings++;
	ese_sbuf detail;
	ese_sbuf_init(&detail);
	if (fmt && *fmt) {
		va_list ap;
		va_start(ap, fmt);
		ese_sbuf_vprintf(&detail, fmt, ap);
		va_end(ap);
	}
	if (r->text && (r->cap == 0 || r->count[id] <= r->cap)) {
		ese_sbuf line;
		ese_sbuf_init(&line);
		ese_sbuf_puts(&line, pi->severity == ESE_SEV_WARNING ? "WARNING: " : "ERROR: ");
		location(&line, w);
		ese_sbuf_printf(&line, ": %s %s", pi->code, pi->desc);
		if (detail.len)
			ese_sbuf_printf(&line, ": %s", detail.data);
		fprintf(r->text, "%s\n", line.data);
		ese_sbuf_free(&line);
	}
	if (r->json) {
		ese_sbuf j;
		ese_sbuf_init(&j);
		ese_sbuf_printf(&j, "{\"code\":\"%s\",\"name\":\"%s\",\"severity\":\"%s\",\"fixed_by\":\"%s\"", pi->code,
		                pi->name, ese_severity_name(pi->severity), ese_fixer_name(pi->fixed_by));
		if (w && w->pgno)
			ese_sbuf_printf(&j, ",\"pgno\":%u", w->pgno);
		if (w && w->objid)
			ese_sbuf_printf(&j, ",\"objid\":%u", w->objid);
		if (w && w->table) {
			ese_sbuf_puts(&j, ",\"table\":");
			ese_sbuf_json_str(&j, w->table, strlen(w->table));
		}
		if (w && w->tree) {
			ese_sbuf_puts(&j, ",\"tree\":");
			ese_sbuf_json_str(&j, w->tree, strlen(w->tree));
		}
		if (w && w->node >= 0 && w->pgno)
			ese_sbuf_printf(&j, ",\"node\":%d", w->node);
		ese_sbuf_puts(&j, ",\"message\":");
		ese_sbuf_json_str(&j, detail.data ? detail.data : "", detail.len);
		ese_sbuf_puts(&j, "}\n");
		fputs(j.data, r->json);
		ese_sbuf_free(&j);
	}
	ese_sbuf_free(&detail);
	return r->total;
}

void ese_reporter_summary(const ese_reporter *r, ese_sbuf *sb)
{
	for (int i = 0; i < ESE_PR_COUNT; i++) {
		if (!r->count[i])
			continue;
		const ese_problem_info *pi = &table[i];
		ese_sbuf_printf(sb, "  %s %-22s %-7s %8llu  %s", pi->code, pi->name, ese_severity_name(pi->severity),
		                (unsigned long long)r->count[i], pi->desc);
		if (r->cap && r->count[i] > r->cap)
			ese_sbuf_printf(sb, " (%llu not listed)", (unsigned long long)(r->count[i] - r->cap));
		ese_sbuf_putc(sb, '\n');
	}
}

void ese_problem_catalogue_markdown(ese_sbuf *sb)
{
	ese_sbuf_puts(sb, "| code | name | severity | fixed by | meaning |\n|---|---|---|---|---|\n");
	for (int i = 0; i < ESE_PR_COUNT; i++)
		ese_sbuf_printf(sb, "| %s | %s | %s | %s | %s |\n", table[i].code, table[i].name,
		                ese_severity_name(table[i].severity), ese_fixer_name(table[i].fixed_by), table[i].desc);
}
