/* policycheck.c: ward-init's secure defaults, read from the image's
 * effective policy (docs/ward-init.md): each check passes on the default and
 * names the loosening otherwise (a warning: a loosening is allowed when the
 * policy says so, and ward-init logs it at start as policy_loosened). */
#include <string.h>

#include "check_internal.h"

/* "[]" / "[8000, 8001]" / "any" for a ports value (null = unrestricted). */
static void
ports_text(const json_t *v, struct ward_buf *b)
{
	size_t i;
	json_t *x;

	if (!json_is_array(v)) {
		ward_buf_printf(b, "any");
		return;
	}
	ward_buf_printf(b, "[");
	json_array_foreach(v, i, x)
		ward_buf_printf(b, "%s%lld", i ? ", " : "", (long long)json_integer_value(x));
	ward_buf_printf(b, "]");
}

static int
loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strncmp(addr, "[::1]", 5) == 0 ||
	       strncmp(addr, "localhost:", 10) == 0;
}

void
check_policy_defaults(const struct check_facts *f, struct check_matrix *m)
{
	const json_t *p = f->policy;
	const json_t *ll = json_object_get(p, "landlock"), *net = json_object_get(p, "network");
	const json_t *ro = json_object_get(p, "read_only"), *met = json_object_get(p, "metrics");
	const json_t *bind = json_object_get(ll, "tcp_bind"),
		     *conn = json_object_get(ll, "tcp_connect");
	const char *models = json_string_value(json_object_get(ro, "models"));
	const char *addr = json_string_value(json_object_get(met, "address"));
	struct ward_buf b = {0};
	int n = 0;

	if (p == NULL) {
		check_skip_rest(m, "security.policy-", "no usable /ward/policy.json");
		return;
	}
	check_set(
		m, "security.policy-landlock-required",
		json_is_true(json_object_get(ll, "required")) ? CHECK_PASS : CHECK_WARN,
		json_is_true(json_object_get(ll, "required"))
			? "landlock.required: a kernel without Landlock stops ward-init"
			: "landlock.required is false: without Landlock the server runs unconfined "
			  "by it");

	ports_text(bind, &b);
	check_set(m, "security.policy-tcp-bind-restricted",
		  json_is_array(bind) ? CHECK_PASS : CHECK_WARN, "landlock.tcp_bind %s%s",
		  (char *)b.data, json_is_array(bind) ? "" : ": the server may listen on any port");
	ward_buf_free(&b);

	ports_text(conn, &b);
	check_set(m, "security.policy-no-outbound-tcp",
		  json_is_array(conn) && json_array_size(conn) == 0 ? CHECK_PASS : CHECK_WARN,
		  "landlock.tcp_connect %s%s", (char *)b.data,
		  json_is_array(conn) && json_array_size(conn) == 0
			  ? ": no outbound TCP (exfiltration, callbacks)"
			  : ": the server may connect out");
	ward_buf_free(&b);

	static const char *const fams[] = {"udp", "unix", "netlink"};
	for (size_t i = 0; i < 3; i++)
		if (json_is_true(json_object_get(net, fams[i])))
			ward_buf_printf(&b, "%s%s", n++ ? ", " : "", fams[i]);
	check_set(m, "security.policy-no-extra-sockets", n ? CHECK_WARN : CHECK_PASS,
		  n ? "network allows %s sockets"
		    : "%sTCP only: UDP, unix and netlink sockets denied",
		  n ? (char *)b.data : "");
	ward_buf_free(&b);

	check_set(m, "security.policy-models-read-only",
		  models && strcmp(models, "refuse") == 0 ? CHECK_PASS : CHECK_WARN,
		  "read_only.models %s%s", models ? models : "?",
		  models && strcmp(models, "refuse") == 0
			  ? ": a writable mount at or under a model stops ward-init"
			  : ": a writable model mount is only reported");

	if (met == NULL || json_is_null(met) || addr == NULL)
		check_set(m, "security.policy-metrics-loopback", CHECK_PASS, "metrics off");
	else
		check_set(m, "security.policy-metrics-loopback",
			  loopback(addr) ? CHECK_PASS : CHECK_WARN, "metrics.address %s%s", addr,
			  loopback(addr)
				  ? ""
				  : ": /metrics (server uid, restarts, denials) is served on "
				    "every address");
}
