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

#include "pmemuctl.h"

void fail(const char *verb, int errnum, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pmemuctl: %s: ", verb);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(errnum));
}

void note(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pmemuctl: %s: ", verb);
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

	fprintf(stderr, "pmemuctl: %s%s", top ? "" : verb, top ? "" : ": ");
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

bool require_root(const char *verb)
{
	if (geteuid() == 0)
		return true;
	note(verb, "must be run as root");
	return false;
}

/* A device name must be usable as one configfs directory name. */
int check_name(const char *verb, const char *name)
{
	if (!name[0] || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strchr(name, '/') || strlen(name) > NAME_MAX)
		return usage_error(verb, "invalid device name '%s'", name);
	return RC_OK;
}

void print_json(struct json_object *obj)
{
	int flags = JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE;

	if (json_object_is_type(obj, json_type_array) &&
	    json_object_array_length(obj) == 0)
		puts("[]");
	else
		puts(json_object_to_json_string_ext(obj, flags));
}
