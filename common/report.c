/* report.c - closing lines and timing shared by the front ends (ese_cli.h). */
#include "ese_cli.h"
#include "ese_error.h"

#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double ese_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void ese_sbuf_eseutil_time(ese_sbuf *sb, double seconds)
{
	if (seconds < 0)
		seconds = 0;
	long ms = (long)(seconds * 1000.0 + 0.5);
	/* eseutil prints %d.%d: 2 s + 45 ms is "2.45" (sic) */
	ese_sbuf_printf(sb, "%ld.%ld", ms / 1000, ms % 1000);
}

void ese_print_closing(FILE *f, int err, double seconds)
{
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	ese_sbuf_eseutil_time(&sb, seconds);
	if (err == 0)
		fprintf(f, "\nOperation completed successfully in %s seconds.\n", sb.data);
	else if (err > 0)
		fprintf(f, "\nOperation completed successfully with %d (%s, %s) after %s seconds.\n", err,
		        ese_jet_name(err), ese_jet_desc(err), sb.data);
	else
		fprintf(f, "\nOperation terminated with error %d (%s, %s) after %s seconds.\n", err, ese_jet_name(err),
		        ese_jet_desc(err), sb.data);
	ese_sbuf_free(&sb);
}

static const char *bus_prog, *bus_file;

static void on_sigbus(int sig)
{
	(void)sig;
	/* async-signal-safe: write(2) and _exit only */
	const char *parts[] = { bus_prog, ": ", bus_file, ": the file became shorter or unreadable while it was "
	                        "being read (SIGBUS): I/O error, nothing was written to it\n" };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i] && write(STDERR_FILENO, parts[i], strlen(parts[i])) < 0)
			break;
	_exit(ESE_EXIT_OPERROR);
}

void ese_cli_catch_sigbus(const char *prog, const char *file)
{
	bus_prog = prog;
	bus_file = file ? file : "database";
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, NULL);
}
