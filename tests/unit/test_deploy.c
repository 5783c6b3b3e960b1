/* test_deploy.c: the deploy writers on targets built here, and their small
 * parsers.  Shell quoting is checked by /bin/sh itself; the YAML by
 * libyaml's parser reading back what the emitter wrote (and, in
 * tests/sh/test_deploy.sh, by PyYAML and the Kubernetes schemas). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml.h>

#include <cmocka.h>

#include "deploy/deploy.h"

/* ------------------------------------------------------------ YAML */

/* Read a flat one-document YAML back with libyaml: the value of key and
 * the style it was written in. */
struct scalar {
	char value[256];
	int style;
	int found;
};

static void
yaml_find(const char *text, const char *key, struct scalar *out)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int scalars = 0, want = 0, done = 0;

	memset(out, 0, sizeof(*out));
	assert_true(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(&p, (const unsigned char *)text, strlen(text));
	while (!done) {
		assert_true(yaml_parser_parse(&p, &ev));
		done = ev.type == YAML_STREAM_END_EVENT;
		if (ev.type == YAML_SCALAR_EVENT) {
			/* Even positions are keys, odd ones values. */
			if (scalars % 2 == 0) {
				want = strcmp((char *)ev.data.scalar.value, key) == 0;
			} else if (want && !out->found) {
				snprintf(out->value, sizeof(out->value), "%s",
					 (char *)ev.data.scalar.value);
				out->style = ev.data.scalar.style;
				out->found = 1;
			}
			scalars++;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
}

static void
test_yaml_quoting(void **state)
{
	(void)state;
	/* Strings a YAML reader would take for something else must be
	 * quoted; plain ones must stay plain (readable manifests). */
	const char *quoted[] = {"true", "True",	      "yes",   "no",	"on",	 "off",	 "y",
				"n",	"null",	      "~",     "8080",	"1e3",	 "0o17", "0x1f",
				".inf", "2001-12-14", "12:30", "",	"a b",	 "-x",	 "#c",
				"a: b", "ends:",      "*ref",  "&a",	"!tag",	 "@x",	 "`x",
				"{a}",	"[a]",	      "'q'",   "\"q\"", "1500m", "64Mi", "-1",
				"+1",	"=",	      "<<"};
	const char *plain[] = {"Deployment",
			       "apps/v1",
			       "/healthz",
			       "RuntimeDefault",
			       "app.kubernetes.io/name",
			       "registry.example/ai/x@sha256:ab",
			       "w0-tmp",
			       "ALL",
			       "_under"};
	for (size_t i = 0; i < sizeof(quoted) / sizeof(*quoted); i++) {
		json_t *doc = json_pack("[{s:s}]", "k", quoted[i]);
		char *y = deploy_yaml_dump(doc);
		struct scalar s;
		assert_non_null(y);
		yaml_find(y, "k", &s);
		assert_true(s.found);
		assert_string_equal(s.value, quoted[i]);
		if (s.style == YAML_PLAIN_SCALAR_STYLE)
			fail_msg("\"%s\" written plain:\n%s", quoted[i], y);
		free(y);
		json_decref(doc);
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++) {
		json_t *doc = json_pack("[{s:s}]", "k", plain[i]);
		char *y = deploy_yaml_dump(doc);
		struct scalar s;
		assert_non_null(y);
		yaml_find(y, "k", &s);
		assert_string_equal(s.value, plain[i]);
		assert_int_equal(s.style, YAML_PLAIN_SCALAR_STYLE);
		free(y);
		json_decref(doc);
	}
}

static void
test_yaml_documents(void **state)
{
	(void)state;
	json_t *docs = json_pack("[{s:s,s:i,s:b,s:n,s:[],s:{},s:[s,s]},{s:s}]", "a", "x", "num",
				 65532, "t", 1, "z", "empty", "o", "l", "p", "q", "b",
				 "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
	char *y = deploy_yaml_dump(docs);
	const char *want = "---\n"
			   "a: x\n"
			   "num: 65532\n"
			   "t: true\n"
			   "z: null\n"
			   "empty: []\n"
			   "o: {}\n"
			   "l:\n"
			   "- p\n"
			   "- q\n"
			   "---\n"
			   "b: |\n"
			   "  -----BEGIN PUBLIC KEY-----\n"
			   "  AAAA\n"
			   "  -----END PUBLIC KEY-----\n";
	assert_non_null(y);
	assert_string_equal(y, want);
	free(y);
	json_decref(docs);

	/* Not an array, floats, NUL bytes: refused. */
	docs = json_object();
	assert_null(deploy_yaml_dump(docs));
	json_decref(docs);
	docs = json_pack("[{s:f}]", "f", 1.5);
	assert_null(deploy_yaml_dump(docs));
	json_decref(docs);
	docs = json_pack("[{s:s#}]", "s", "a\0b", (size_t)3);
	assert_null(deploy_yaml_dump(docs));
	json_decref(docs);
}

/* ------------------------------------------------------------ shell */

/* The shell is the oracle: eval the joined words and print each. */
static void
test_shell_quote(void **state)
{
	(void)state;
	const char *words[] = {"podman", "",	 "a b",	      "it's",
			       "$HOME",	 "`id`", "a\"b",      "\\",
			       "*",	 "x;y",	 "new\nline", "--tmpfs=/tmp:rw,size=64m",
			       "'",	 "!"};
	struct ward_strv sv = {0};
	char *line, *cmd;
	char out[1024] = "";
	size_t n;

	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		assert_int_equal(ward_strv_push(&sv, words[i]), 0);
	line = deploy_shell_join(&sv);
	assert_non_null(line);
	/* The plain ones stay readable. */
	assert_true(strncmp(line, "podman '' 'a b' 'it'\\''s'", 25) == 0);
	assert_non_null(strstr(line, " --tmpfs=/tmp:rw,size=64m "));
	cmd = ward_asprintf("set -- %s; for w; do printf '[%%s]' \"$w\"; done", line);
	{
		int fds[2];
		pid_t pid;
		assert_int_equal(pipe(fds), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			dup2(fds[1], 1);
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		close(fds[1]);
		n = 0;
		ssize_t r;
		while ((r = read(fds[0], out + n, sizeof(out) - 1 - n)) > 0)
			n += (size_t)r;
		out[n] = '\0';
		close(fds[0]);
		int st;
		waitpid(pid, &st, 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	struct ward_buf want = {0};
	for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
		ward_buf_printf(&want, "[%s]", words[i]);
	assert_string_equal(out, ward_buf_cstr(&want));
	ward_buf_free(&want);
	free(cmd);
	free(line);
	ward_strv_free(&sv);
}

/* ------------------------------------------------------------ parsers */

static void
test_quantity(void **state)
{
	(void)state;
	uint64_t v;
	struct {
		const char *s;
		int milli;
		uint64_t want;
	} ok[] = {{"268435456", 0, 268435456},
		  {"256M", 0, 256ull << 20},
		  {"256Mi", 0, 256ull << 20},
		  {"2G", 0, 2ull << 30},
		  {"2gb", 0, 2ull << 30},
		  {"64k", 0, 64ull << 10},
		  {"1Ti", 0, 1ull << 40},
		  {"2", 1, 2000},
		  {"1.5", 1, 1500},
		  {"0.25", 1, 250},
		  {"500m", 1, 500}};
	const char *bad[] = {"", "0", "-1", "1.5G", "2X", "G", "99999999999999999999", "1 G"};
	const char *bad_cpu[] = {"0", "0.0001", "1.", ".5", "x", "0m", "1.5m", "-2"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		assert_int_equal(deploy_parse_quantity(ok[i].s, ok[i].milli, &v, "--x"), 0);
		assert_int_equal(v, ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(deploy_parse_quantity(bad[i], 0, &v, "--memory"), -1);
	for (size_t i = 0; i < sizeof(bad_cpu) / sizeof(*bad_cpu); i++)
		assert_int_equal(deploy_parse_quantity(bad_cpu[i], 1, &v, "--cpus"), -1);
	assert_non_null(strstr(ward_errmsg(), "--cpus"));
}

static void
test_passwd(void **state)
{
	(void)state;
	const char *pw = "# comment\n\nroot:x:0:0:root:/root:/sbin/nologin\n"
			 "nonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"
			 "svc:x:1000:1000::/:/bin/false";
	uint32_t id = 7;

	assert_int_equal(deploy_passwd_lookup(pw, strlen(pw), "nonroot", &id, "passwd"), 0);
	assert_int_equal(id, 65532);
	assert_int_equal(deploy_passwd_lookup(pw, strlen(pw), "svc", &id, "passwd"), 0);
	assert_int_equal(id, 1000);
	assert_int_equal(deploy_passwd_lookup(pw, strlen(pw), "nobody", &id, "passwd"), 1);
	assert_int_equal(deploy_passwd_lookup(pw, strlen(pw), "non", &id, "passwd"), 1);
	/* Group files have four fields. */
	assert_int_equal(deploy_passwd_lookup("g:x:5:\n", 7, "g", &id, "group"), 0);
	assert_int_equal(id, 5);
	assert_int_equal(deploy_passwd_lookup("bad line\n", 9, "x", &id, "passwd"), -1);
	assert_int_equal(deploy_passwd_lookup("u:x:12a:0::/:\n", 14, "u", &id, "passwd"), -1);
	assert_int_equal(deploy_passwd_lookup("u:x::0::/:\n", 11, "u", &id, "passwd"), -1);
	assert_int_equal(deploy_passwd_lookup("u:x:4294967295:0::/:\n", 21, "u", &id, "p"), -1);
	assert_non_null(strstr(ward_errmsg(), "p:1"));
}

static void
test_dns_label(void **state)
{
	(void)state;
	char out[DEPLOY_NAME_MAX + 1];
	char longname[200];

	deploy_dns_label("Torch_Serve.v2", out);
	assert_string_equal(out, "torch-serve-v2");
	deploy_dns_label("--a--b--", out);
	assert_string_equal(out, "a-b");
	deploy_dns_label("___", out);
	assert_string_equal(out, "");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[62] = '-';
	deploy_dns_label(longname, out);
	assert_int_equal(strlen(out), 62); /* cut at 63, then the trailing '-' */
}

/* ------------------------------------------------------------ writers */

static void
make_target(struct deploy_target *t)
{
	memset(t, 0, sizeof(*t));
	t->name = ward_strdup("torch-serve");
	t->image_path = ward_strdup("out/torch-serve");
	t->arch = ward_strdup("amd64");
	snprintf(t->manifest_digest, sizeof(t->manifest_digest), "sha256:%064d", 1);
	snprintf(t->config_digest, sizeof(t->config_digest), "sha256:%064d", 2);
	t->uid = t->gid = 65532;
	t->ward_image = 1;
	ward_strv_push(&t->entrypoint, "/ward/init");
	ward_strv_push(&t->entrypoint, "--");
	ward_strv_push(&t->entrypoint, "/usr/bin/python3");
	ward_strv_push(&t->cmd, "/app/server.py");
	t->ports = calloc(1, sizeof(*t->ports));
	t->nports = 1;
	t->ports[0].port = t->ports[0].host_port = 8080;
	strcpy(t->ports[0].proto, "tcp");
	assert_int_equal(deploy_add_writable(t, "/tmp", DEPLOY_TMPFS_DEFAULT), 0);
	assert_int_equal(deploy_add_writable(t, "/dev/shm", 1ull << 30), 0);
	t->models = calloc(1, sizeof(*t->models));
	t->nmodels = 1;
	t->models[0].path = ward_strdup("/models/mlp");
	t->metrics = ward_strdup("127.0.0.1:9090");
	t->metrics_port = 9090;
	t->metrics_loopback = 1;
}

static int
argv_has(const struct ward_strv *a, const char *flag, const char *value)
{
	for (size_t i = 0; i + 1 < a->n; i++)
		if (strcmp(a->v[i], flag) == 0 &&
		    (value == NULL || strcmp(a->v[i + 1], value) == 0))
			return 1;
	return 0;
}

static void
test_run_argv(void **state)
{
	(void)state;
	struct deploy_target t;
	struct deploy_run_opts o = {.engine = DEPLOY_PODMAN, .seccomp = "/etc/ward/p.json"};
	struct ward_strv a = {0};

	make_target(&t);
	/* A model neither in the image nor mounted: refused, naming the fix. */
	assert_int_equal(deploy_run_argv(&t, &o, &a), -1);
	assert_non_null(strstr(ward_errmsg(), "--model /models/mlp=SOURCE"));
	ward_strv_free(&a);
	assert_int_equal(deploy_set_model_source(&t, "/models/mlp", "/srv/models/mlp"), 0);
	assert_int_equal(deploy_set_model_source(&t, "/models/other", "/x"), -1);
	t.memory = 2ull << 30;
	t.pids = 256;
	t.cpu_milli = 1500;
	assert_int_equal(deploy_run_argv(&t, &o, &a), 0);
	assert_string_equal(a.v[0], "podman");
	assert_true(argv_has(&a, "--cap-drop", "ALL"));
	assert_true(argv_has(&a, "--security-opt", "no-new-privileges"));
	assert_true(argv_has(&a, "--security-opt", "seccomp=/etc/ward/p.json"));
	assert_true(argv_has(&a, "--user", "65532:65532"));
	assert_true(argv_has(&a, "--tmpfs",
			     "/tmp:rw,noexec,nosuid,nodev,size=64m,mode=1777,notmpcopyup,U"));
	assert_true(argv_has(&a, "--shm-size", "1g"));
	assert_true(argv_has(&a, "--volume", "/srv/models/mlp:/models/mlp:ro,nosuid,nodev,noexec"));
	assert_true(argv_has(&a, "--publish", "127.0.0.1:8080:8080/tcp"));
	assert_false(argv_has(&a, "--publish", "127.0.0.1:9090:9090/tcp")); /* loopback */
	assert_true(argv_has(&a, "--memory", "2g"));
	assert_true(argv_has(&a, "--memory-swap", "2g"));
	assert_true(argv_has(&a, "--pids-limit", "256"));
	assert_true(argv_has(&a, "--cpus", "1.5"));
	assert_true(argv_has(&a, "--read-only-tmpfs=false", NULL) ||
		    strcmp(a.v[5], "--read-only-tmpfs=false") == 0);
	assert_string_equal(a.v[a.n - 1], t.config_digest); /* no --ref: the image ID */
	ward_strv_free(&a);

	/* docker: --mount for the model, no podman-only flags; by digest. */
	o.engine = DEPLOY_DOCKER;
	o.host_ip = "";
	assert_int_equal(deploy_set_repository(&t, "registry.example:5000/ai/torch:1", NULL), 0);
	assert_string_equal(t.repository, "registry.example:5000/ai/torch");
	assert_string_equal(t.tag, "1");
	assert_int_equal(deploy_run_argv(&t, &o, &a), 0);
	assert_string_equal(a.v[0], "docker");
	assert_true(argv_has(&a, "--mount",
			     "type=bind,source=/srv/models/mlp,target=/models/mlp,readonly"));
	assert_true(argv_has(&a, "--publish", "8080:8080/tcp"));
	for (size_t i = 0; i < a.n; i++)
		assert_true(strcmp(a.v[i], "--read-only-tmpfs=false") != 0);
	assert_string_equal(a.v[a.n - 1], "registry.example:5000/ai/torch@sha256:"
					  "0000000000000000000000000000000000000000000000000000"
					  "000000000001");
	ward_strv_free(&a);

	/* Root is refused. */
	assert_int_equal(deploy_set_user(&t, "0"), 0);
	assert_int_equal(deploy_run_argv(&t, &o, &a), -1);
	assert_non_null(strstr(ward_errmsg(), "--user"));
	ward_strv_free(&a);
	assert_int_equal(deploy_set_user(&t, "1000:2000"), 0);
	assert_int_equal(t.uid, 1000);
	assert_int_equal(t.gid, 2000);
	assert_int_equal(deploy_set_user(&t, "nonroot"), -1);
	assert_int_equal(deploy_set_repository(&t, "x@sha256:aa", NULL), -1);
	assert_int_equal(deploy_set_repository(&t, "reg/x", "sha256:zz"), -1);
	assert_int_equal(deploy_set_host_port(&t, 9999, 1), -1);
	assert_int_equal(deploy_set_writable_size(&t, "/nope", 1), -1);
	assert_int_equal(deploy_set_name(&t, "Bad_Name"), -1);
	deploy_target_free(&t);
}

static json_t *
at(json_t *j, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = strtok_r(buf, ".", &save); p && j; p = strtok_r(NULL, ".", &save))
		j = (*p >= '0' && *p <= '9') ? json_array_get(j, strtoul(p, NULL, 10))
					     : json_object_get(j, p);
	return j;
}

static void
test_k8s(void **state)
{
	(void)state;
	struct deploy_target t;
	struct deploy_k8s_opts o = {.replicas = 2,
				    .startup_seconds = 61,
				    .deny_egress = 1,
				    .public_key_pem = "-----BEGIN PUBLIC KEY-----\nAA\n-----END "
						      "PUBLIC KEY-----\n"};
	json_t *docs;

	make_target(&t);
	assert_null(deploy_k8s(&t, &o)); /* the model has no source */
	assert_int_equal(deploy_set_model_source(&t, "/models/mlp", "mlp-weights"), 0);
	assert_null(deploy_k8s(&t, &o)); /* no repository */
	assert_non_null(strstr(ward_errmsg(), "--ref"));
	assert_int_equal(deploy_set_repository(&t, "registry.example/ai/torch", NULL), 0);
	docs = deploy_k8s(&t, &o);
	assert_non_null(docs);
	assert_int_equal(json_array_size(docs), 6);
	json_t *d = json_array_get(docs, 0), *c = at(d, "spec.template.spec.containers.0");
	assert_string_equal(json_string_value(at(d, "kind")), "Deployment");
	assert_int_equal(json_integer_value(at(d, "spec.replicas")), 2);
	assert_string_equal(json_string_value(at(c, "image")),
			    "registry.example/ai/torch@sha256:"
			    "0000000000000000000000000000000000000000000000000000000000000001");
	/* Loopback metrics are moved so the kubelet can probe them; the image's
	 * Cmd is kept as args. */
	assert_string_equal(json_string_value(at(c, "command.1")), "--metrics");
	assert_string_equal(json_string_value(at(c, "command.2")), ":9090");
	assert_string_equal(json_string_value(at(c, "command.3")), "--");
	assert_string_equal(json_string_value(at(c, "args.0")), "/app/server.py");
	assert_int_equal(json_integer_value(at(c, "startupProbe.failureThreshold")), 13);
	assert_string_equal(json_string_value(at(c, "livenessProbe.httpGet.path")), "/healthz");
	assert_string_equal(
		json_string_value(json_object_get(at(d, "spec.template.metadata.annotations"),
						  "prometheus.io/port")),
		"9090");
	assert_true(json_is_false(at(d, "spec.template.spec.automountServiceAccountToken")));
	assert_string_equal(json_string_value(at(d, "spec.template.spec.volumes.1.emptyDir."
						    "sizeLimit")),
			    "1Gi");
	assert_string_equal(json_string_value(at(d, "spec.template.spec.volumes.2."
						    "persistentVolumeClaim.claimName")),
			    "mlp-weights");
	assert_true(json_is_true(at(c, "volumeMounts.2.readOnly")));
	assert_string_equal(json_string_value(at(json_array_get(docs, 1), "kind")), "Service");
	/* Ingress only to the declared ports and the (moved) metrics port. */
	json_t *ing = json_array_get(docs, 2);
	assert_string_equal(json_string_value(at(ing, "kind")), "NetworkPolicy");
	assert_string_equal(json_string_value(at(ing, "spec.policyTypes.0")), "Ingress");
	json_t *ports = at(ing, "spec.ingress.0.ports");
	assert_true(json_array_size(ports) >= 1);
	assert_int_equal(json_integer_value(at(ports, "0.port")), t.ports[0].port);
	assert_int_equal(
		json_integer_value(at(json_array_get(ports, json_array_size(ports) - 1), "port")),
		9090);
	assert_string_equal(json_string_value(at(json_array_get(docs, 3), "spec.policyTypes.0")),
			    "Egress");
	assert_string_equal(json_string_value(at(json_array_get(docs, 4), "kind")),
			    "ClusterImagePolicy");
	assert_string_equal(json_string_value(at(json_array_get(docs, 5), "kind")),
			    "ClusterPolicy");
	assert_string_equal(json_string_value(at(json_array_get(docs, 5),
						 "spec.rules.0.verifyImages.0.imageReferences.0")),
			    "registry.example/ai/torch@*");
	json_decref(docs);
	/* --any-ingress: no ingress policy. */
	o.any_ingress = 1;
	docs = deploy_k8s(&t, &o);
	assert_non_null(docs);
	assert_int_equal(json_array_size(docs), 5);
	assert_string_equal(json_string_value(at(json_array_get(docs, 2), "spec.policyTypes.0")),
			    "Egress");
	json_decref(docs);
	o.any_ingress = 0;

	/* A docker-archive has no manifest digest until given one. */
	t.manifest_digest[0] = '\0';
	assert_null(deploy_k8s(&t, &o));
	assert_non_null(strstr(ward_errmsg(), "--digest"));
	deploy_target_free(&t);
}

int
main(void)
{
	ward_log_set_level(WARD_LOG_WARN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_quoting), cmocka_unit_test(test_yaml_documents),
		cmocka_unit_test(test_shell_quote),  cmocka_unit_test(test_quantity),
		cmocka_unit_test(test_passwd),	     cmocka_unit_test(test_dns_label),
		cmocka_unit_test(test_run_argv),     cmocka_unit_test(test_k8s),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
