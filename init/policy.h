/*
 * policy.h: what ward-init enforces, read from /ward/policy.json.
 *
 * The JSON schema is docs/policy.schema.json; docs/ward-init.md explains
 * each field.  Parsing is pure (no file system access beyond reading the
 * file) so the unit tests and the fuzz target use it directly.  Unknown
 * fields are errors: a typo must never silently weaken the policy.
 */
#ifndef WARD_INIT_POLICY_H
#define WARD_INIT_POLICY_H

#include <stdint.h>
#include <sys/types.h>

#include "core/core.h"

#define POLICY_DEFAULT_PATH "/ward/policy.json"
#define POLICY_VERSION 1
#define POLICY_MAX_BYTES (1u << 20)
#define POLICY_MAX_MODELS 64
#define POLICY_MAX_PATHS 64
#define POLICY_MAX_PORTS 64

/* What to do when a check fails (read-only mounts, readable server binary). */
enum policy_action {
	POLICY_IGNORE,
	POLICY_WARN,
	POLICY_REFUSE,
	POLICY_LANDLOCK, /* models: refuse unless Landlock keeps the server from writing */
};

enum policy_forward { FORWARD_PROCESS, FORWARD_PROCESS_GROUP };

/* Where the server's stdout and stderr go: both to ward-init's stdout, so
 * that ward-init's stderr carries only its own lines (a server cannot forge
 * them), or, explicitly, the same stderr as ward-init (logged). */
enum policy_output { OUTPUT_STDOUT, OUTPUT_INHERIT };
struct guard_policy; /* guard_policy.h: the endpoint guard (NULL: none) */

struct policy_model {
	char *path;	  /* absolute: a model directory or a single file */
	char *signature;  /* absolute path of the OMS bundle */
	char *key;	  /* absolute path (keys_dir + the policy's relative name), or NULL */
	char *cert_chain; /* likewise, when the model is trusted through a CA */
	struct ward_strv ignore;
	int ignore_unsigned;
};

/* TCP port rules for Landlock: restricted == 0 leaves that access alone. */
struct policy_ports {
	int restricted;
	size_t n;
	uint16_t port[POLICY_MAX_PORTS];
};

struct policy {
	int version;
	uid_t uid;
	gid_t gid;
	char *keys_dir;
	struct policy_model *models;
	size_t nmodels;
	int verify_threads; /* 0: every CPU */
	struct ward_strv writable;
	struct ward_strv exec_allow;
	int ro_root;   /* enum policy_action: IGNORE, WARN or REFUSE */
	int ro_models; /* IGNORE, WARN, REFUSE or LANDLOCK */
	int landlock_required;
	struct policy_ports tcp_bind;
	struct policy_ports tcp_connect;
	char *metrics; /* "ADDR:PORT", or NULL when disabled */
	int forward;   /* enum policy_forward */
	int dumpable;  /* WARN or REFUSE: the server binary is readable by its uid */
	int log_level; /* enum ward_level */
	/* Socket kinds beyond TCP, each refused unless named: UDP on IPv4/IPv6,
	 * AF_UNIX sockets (socketpair is always allowed), AF_NETLINK. */
	int net_udp, net_unix, net_netlink;
	int stop_timeout;	/* seconds between the forwarded SIGTERM and SIGKILL */
	int verify_timeout;	/* seconds model verification may take */
	int deny_write_execute; /* W^X for the server (PR_SET_MDWE) */
	int server_output;	/* enum policy_output */
	struct guard_policy *guard;
};

/* policy_defaults(p): the default policy (what applies without a policy
 * file, and to every field a policy leaves out): no models, writes only
 * under /tmp, exec once, no TCP bind or connect, no UDP, unix or netlink
 * sockets, Landlock required, models on read-only mounts, metrics on
 * loopback, SIGKILL 10 s after SIGTERM.  0, or -1 when out of memory. */
int policy_defaults(struct policy *p);
/* policy_parse(data, len, what, p): parse and check a policy document into
 * p (zeroed first).  what names the source in errors (WARD_EINPUT).  The
 * caller releases p with policy_free() whatever the result. */
int policy_parse(const void *data, size_t len, const char *what, struct policy *p);
/* policy_load(path, p): read and parse a policy file. */
int policy_load(const char *path, struct policy *p);
/* policy_to_json(p): the effective policy, every field written out, in the
 * schema's order.  Caller json_decref()s. */
json_t *policy_to_json(const struct policy *p);
void policy_free(struct policy *p);

/* policy_parse_addr(s, family, addr, addrlen): "IPv4:PORT", "[IPv6]:PORT"
 * or ":PORT" (every IPv4 address) into a sockaddr_in/_in6 of at most
 * *addrlen bytes; -1 with WARD_EINPUT when malformed. */
int policy_parse_addr(const char *s, void *addr, unsigned *addrlen);

/* policy_listen(addr, what, backlog): a non-blocking listening TCP socket on a
 * policy address; errors name it as what ("metrics listener" ...). */
int policy_listen(const char *addr, const char *what, int backlog);
const char *policy_action_name(int action);

#endif
