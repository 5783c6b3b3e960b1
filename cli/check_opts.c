/* check_opts.c: the test-matrix options ward test and ward release share. */
#include "check/check.h"
#include "cli.h"

int
cli_check_option(int c, const char *arg, struct check_opts *o)
{
	long n;

	switch (c) {
	case CLI_OPT_HEALTH:
		o->health_path = arg;
		return 0;
	case CLI_OPT_REQUEST:
		o->request_path = arg;
		return 0;
	case CLI_OPT_REQUEST_BODY:
		o->request_body = arg;
		return 0;
	case CLI_OPT_EXEC_PROBE:
		o->exec_probe = arg;
		return 0;
	case CLI_OPT_STARTUP_MAX:
		return cli_parse_double("--startup-max", arg, 0, 1e9, &o->startup_max_ms);
	case CLI_OPT_LATENCY_MAX:
		return cli_parse_double("--latency-max", arg, 0, 1e9, &o->latency_max_ms);
	case CLI_OPT_STARTUP_TIMEOUT:
		if (cli_parse_long("--startup-timeout", arg, 1, 3600, &n) != 0)
			return -1;
		o->startup_timeout_s = (int)n;
		return 0;
	default:
		return 1;
	}
}
