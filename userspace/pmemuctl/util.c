// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl: error messages, option errors, privilege and name checks.
 * Every failure is reported as exactly one line on stderr:
 *   pmemuctl: VERB: WHAT: strerror(errno)
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "help.h"
#include "pmemuctl.h"

/* "pmemuctl: VERB: ", or "pmemuctl: " before any command was chosen */
static void prefix(const char *verb)
{
	if (strcmp(verb, "pmemuctl"))
		fprintf(stderr, "pmemuctl: %s: ", verb);
	else
		fputs("pmemuctl: ", stderr);
}

void fail(const char *verb, int errnum, const char *fmt, ...)
{
	va_list ap;

	prefix(verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(errnum));
}

void note(const char *verb, const char *fmt, ...)
{
	va_list ap;

	prefix(verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* verb "pmemuctl": an error before any command was chosen. */
int usage_error(const char *verb, const char *fmt, ...)
{
	bool top = !strcmp(verb, "pmemuctl");
	va_list ap;

	prefix(verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'pmemuctl %s%s--help')\n", top ? "" : verb,
		top ? "" : " ");
	return RC_USAGE;
}

/*
 * Report what getopt_long() (called with opterr = 0 and a leading ':' in
 * optstring) rejected: opt is '?' (unknown option) or ':' (missing argument).
 */
int option_error(const char *verb, int opt, char **argv)
{
	const char *arg = argv[optind - 1];
	char shortopt[3] = { '-', (char)optopt, '\0' };
	const char *what = strncmp(arg, "--", 2) && optopt ? shortopt : arg;

	if (opt == ':')
		return usage_error(verb, "option '%s' needs an argument", what);
	if (what == arg && optopt && strchr(arg, '='))
		return usage_error(verb, "option '%.*s' takes no argument",
				   (int)strcspn(arg, "="), arg);
	return usage_error(verb, "unknown option '%s'", what);
}

/*
 * A verb whose one option is "-r, --LONGNAME ARG", required, and no
 * operand (claim-region, release-region, init-labels): *@arg is ARG.
 */
int parse_r_opt(const char *verb, int argc, char **argv, const char *longname,
		const char **arg)
{
	const struct option longopts[] = {
		{ longname, required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*arg = NULL;
	while ((c = getopt_long(argc, argv, ":r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			*arg = optarg;
			break;
		case 'h':
			return print_help(verb);
		default:
			return option_error(verb, c, argv);
		}
	}
	if (optind < argc)
		return usage_error(verb, "unexpected argument '%s'", argv[optind]);
	if (!*arg)
		return usage_error(verb, "--%s is required", longname);
	return RC_OK;
}

bool require_root(const char *verb)
{
	if (geteuid() == 0)
		return true;
	note(verb, "must be run as root");
	return false;
}

/* A device name: one configfs directory name the kernel takes. */
int check_name(const char *verb, const char *name)
{
	if (strlen(name) > DEV_NAME_MAX)
		return usage_error(verb, "invalid device name '%.40s...': longer than %d characters",
				   name, DEV_NAME_MAX);
	if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strchr(name, '/'))
		return usage_error(verb, "invalid device name '%s'", name);
	return RC_OK;
}

/* As ndctl, a device may be named by its /dev node: "/dev/pmemu0". */
const char *strip_dev(const char *arg)
{
	return strncmp(arg, "/dev/", 5) ? arg : arg + 5;
}

/* The errno of the first failed write to standard output, 0 if none. */
static int stdout_errno;

static void out(const char *s)
{
	if (fputs(s, stdout) == EOF && !stdout_errno)
		stdout_errno = errno;
}

/*
 * Flush standard output: a listing that could not be written (a full disk,
 * a closed pipe) is a failure, not a success with nothing printed.
 */
int close_stdout(const char *verb)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return RC_OK;
	if (!stdout_errno)
		stdout_errno = errno ? errno : EIO;
	fail(verb, stdout_errno, "write standard output");
	return RC_FAIL;
}

void print_json(struct json_object *obj)
{
	int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE;

	if (json_object_is_type(obj, json_type_array) &&
	    json_object_array_length(obj) == 0)
		out("[]");
	else
		out(json_object_to_json_string_ext(obj, flags));
	out("\n");
}

/* Print COMMAND's help: its man page as text (help.c); RC_DONE. */
int print_help(const char *command)
{
	const struct help_page *p;

	for (p = help_pages; p->name; p++) {
		if (!strcmp(p->name, command)) {
			out(p->text);
			return RC_DONE;
		}
	}
	fail(command, ENOENT, "no help page");
	return RC_FAIL;
}
