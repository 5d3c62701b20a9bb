// SPDX-License-Identifier: GPL-2.0
/*
 * pmemuctl: control tool for pmemu, the emulated persistent-memory driver.
 * Top-level options and command dispatch.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "pmemuctl.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "list", cmd_list },
	{ "create-device", cmd_create },
	{ "destroy-device", cmd_destroy },
	{ "enable-device", cmd_enable },
	{ "disable-device", cmd_disable },
	{ "reconfigure-device", cmd_reconfigure },
	{ "inject-error", cmd_inject_error },
	{ "claim-region", cmd_claim_region },
	{ "release-region", cmd_release_region },
	{ "init-labels", cmd_init_labels },
};

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* Run a command with argv[0] = its name; getopt starts afresh. */
static int run(const struct command *cmd, int argc, char **argv)
{
	optind = 0;
	return cmd->fn(argc, argv);
}

/* "pmemuctl help [COMMAND]" */
static int help(int argc, char **argv)
{
	const struct command *cmd;
	char *hargv[] = { NULL, "--help", NULL };

	if (argc < 2) {
		return print_help("pmemuctl") == RC_DONE ? RC_OK : RC_FAIL;
	}
	if (argc > 2)
		return usage_error("help", "unexpected argument '%s'", argv[2]);
	cmd = find_command(argv[1]);
	if (!cmd)
		return usage_error("pmemuctl", "unknown command '%s'", argv[1]);
	hargv[0] = argv[1];
	return run(cmd, 2, hargv);
}

static void list_cmds(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		puts(commands[i].name);
	puts("help");
}

static int parse_main(int argc, char **argv)
{
	enum { OPT_LIST_CMDS = 256 };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ "list-cmds", no_argument, NULL, OPT_LIST_CMDS },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+:hvV", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return print_help("pmemuctl");
		case 'v':
		case 'V':
			printf("pmemuctl %s\n", PMEMUCTL_VERSION);
			return RC_DONE;
		case OPT_LIST_CMDS:
			list_cmds();
			return RC_DONE;
		default:
			return option_error("pmemuctl", c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("pmemuctl", "missing COMMAND");
	return RC_OK;
}

/* The command's exit status, or RC_FAIL if its output was lost. */
static int finish(const char *verb, int rc)
{
	int out = close_stdout(verb);

	return rc == RC_OK ? out : rc;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	int rc;

	opterr = 0;
	rc = parse_main(argc, argv);
	if (rc != RC_OK)
		return finish("pmemuctl", rc == RC_DONE ? RC_OK : rc);
	argc -= optind;
	argv += optind;
	if (!strcmp(argv[0], "help"))
		return finish("help", help(argc, argv));
	cmd = find_command(argv[0]);
	if (!cmd)
		return usage_error("pmemuctl", "unknown command '%s'", argv[0]);
	return finish(cmd->name, run(cmd, argc, argv));
}
