/*
 * ese_problem.h - findings of the checkers (/g now; /p and isinteg later),
 * reported through one function from one catalogue (ese_problems.def).
 *
 * The reporter counts every finding by code, prints at most `cap` lines per
 * code (the rest are counted and summarised), writes one JSON line per
 * finding when asked, and keeps totals by severity.  Every message starts
 * with its location: page, object id, table and tree.
 */
#ifndef ESE_PROBLEM_H
#define ESE_PROBLEM_H

#include <stdint.h>
#include <stdio.h>
#include "ese_sbuf.h"

typedef enum ese_severity { ESE_SEV_WARNING, ESE_SEV_ERROR, ESE_SEV_FATAL } ese_severity;
typedef enum ese_fixer { ESE_FIX_NONE, ESE_FIX_REPAIR, ESE_FIX_DEFRAG, ESE_FIX_ISINTEG } ese_fixer;

typedef enum ese_problem_code {
#define X(id, code, sev, fix, desc) ESE_PR_##id,
#include "ese_problems.def"
#undef X
	ESE_PR_COUNT
} ese_problem_code;

typedef struct ese_problem_info {
	const char  *code;         /* "G302" */
	const char  *name;         /* "TREE_KEY_ORDER" */
	ese_severity severity;
	ese_fixer    fixed_by;
	const char  *desc;
} ese_problem_info;

const ese_problem_info *ese_problem_info_get(ese_problem_code id);
const char *ese_severity_name(ese_severity s);   /* "error", "warning", "fatal" */
const char *ese_fixer_name(ese_fixer f);         /* "eseutil /p", ... "none" */

/* Where a finding is.  Zero / NULL fields are not printed. */
typedef struct ese_where {
	uint32_t    pgno;
	uint32_t    objid;
	const char *table;
	const char *tree;          /* "data", "index IxName", "long values", "space (owned)" ... */
	int         node;          /* tag number, -1 for none */
} ese_where;

typedef struct ese_reporter {
	FILE    *text;             /* human lines (NULL: none) */
	FILE    *json;             /* one JSON object per line (NULL: none) */
	unsigned cap;              /* lines printed per code before summarising (0 = no cap) */
	uint64_t count[ESE_PR_COUNT];
	uint64_t errors, warnings, fatals;
	uint64_t total;
} ese_reporter;

void ese_reporter_init(ese_reporter *r, FILE *text, FILE *json, unsigned cap);

/* Reports one finding: counts it, prints it (unless capped), returns the
 * running total.  The message completes the catalogue description with the
 * specific values (expected, actual) and never repeats the location. */
uint64_t ese_report(ese_reporter *r, ese_problem_code id, const ese_where *w, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The per-code summary: "G302 TREE_KEY_ORDER  error  3  keys out of order",
 * and, for capped codes, how many lines were not printed. */
void ese_reporter_summary(const ese_reporter *r, ese_sbuf *sb);

/* Markdown table of the whole catalogue (docs/problem-codes.md). */
void ese_problem_catalogue_markdown(ese_sbuf *sb);

#endif
