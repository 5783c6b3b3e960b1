/* init_policy.c: ward-init's own policy reader for the commands that judge
 * an image or write its deployment (test, audit, release, deploy), so they
 * read /ward/policy.json exactly as PID 1 will. */
#include "cli.h"
#include "policy.h"

json_t *
cli_init_policy(const void *data, size_t len, const char *what)
{
	struct policy p;
	json_t *j = NULL;

	if (policy_parse(data, len, what, &p) == 0 && (j = policy_to_json(&p)) == NULL)
		ward_err(WARD_EENV, "%s: out of memory", what);
	policy_free(&p);
	return j;
}
