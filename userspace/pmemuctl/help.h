/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pmemuctl: the text --help prints, one page per command, rendered from
 * the man pages at build time (man2help.awk, help.c).
 */
#ifndef PMEMUCTL_HELP_H
#define PMEMUCTL_HELP_H

struct help_page {
	const char *name;	/* "pmemuctl", or a command: "list" */
	const char *text;
};

/* Ends with { NULL, NULL }. */
extern const struct help_page help_pages[];

#endif /* PMEMUCTL_HELP_H */
