/* verify.c: OMS verification of the policy's models at start. */
#include <malloc.h>
#include <string.h>

#include "attest/attest.h"
#include "jlog.h"
#include "verify.h"

#define MAX_LOGGED_FAILURES 20

static void
log_failures(const struct policy_model *m, const struct oms_result *r)
{
	size_t logged = 0;

	for (size_t i = 0; i < r->n && logged < MAX_LOGGED_FAILURES; i++) {
		const struct oms_resource *x = &r->res[i];
		struct jlog l;
		if (x->verdict == OMS_OK)
			continue;
		jlog_begin(&l, WARD_LOG_ERROR, "model_resource_failed");
		jlog_str(&l, "model", m->path);
		jlog_str(&l, "resource", x->name);
		jlog_str(&l, "verdict", oms_verdict_name(x->verdict));
		jlog_str(&l, "expected", x->expected[0] ? x->expected : NULL);
		jlog_str(&l, "actual", x->actual[0] ? x->actual : NULL);
		jlog_end(&l);
		logged++;
	}
}

static int
verify_one(const struct policy *p, const struct policy_model *m, struct model_stat *ms)
{
	struct oms_verify_opts o = {0};
	struct oms_result r = {0};
	struct ward_key *key = NULL;
	struct jlog l;
	uint64_t t0 = ward_now_ns();
	int rc = -1;

	snprintf(ms->path, sizeof(ms->path), "%s", m->path);
	if (m->key != NULL && (key = key_load_public(m->key)) == NULL)
		goto out;
	o.key = key;
	o.cert_chain = m->cert_chain;
	o.ignore = m->ignore;
	o.ignore_unsigned = m->ignore_unsigned;
	o.threads = p->verify_threads;
	rc = oms_verify(m->path, m->signature, &o, &r);
	ms->verified = rc == 0;
	ms->files = r.n;
	ms->bytes = r.bytes;
	ms->threads = r.threads;
out:
	ms->seconds = (double)(ward_now_ns() - t0) / 1e9;
	if (rc != 0) {
		struct ward_error e;
		ward_err_save(&e);
		log_failures(m, &r);
		jlog_begin(&l, WARD_LOG_ERROR, "model_verify_failed");
		jlog_str(&l, "model", m->path);
		jlog_str(&l, "signature", m->signature);
		jlog_str(&l, "msg", e.msg);
		jlog_end(&l);
		ward_err_restore(&e);
	} else {
		double secs = ms->seconds > 0 ? ms->seconds : 1e-9;
		jlog_begin(&l, WARD_LOG_INFO, "model_verified");
		jlog_str(&l, "model", m->path);
		jlog_str(&l, "method", r.method);
		jlog_uint(&l, "resources", r.n);
		jlog_uint(&l, "bytes", r.bytes);
		jlog_num(&l, "seconds", ms->seconds);
		jlog_num(&l, "mb_per_s", (double)r.bytes / secs / 1e6);
		jlog_int(&l, "threads", r.threads);
		jlog_end(&l);
	}
	oms_result_free(&r);
	key_free(key);
	return rc;
}

int
verify_models(const struct policy *p, struct init_state *st)
{
	for (size_t i = 0; i < p->nmodels; i++) {
		st->nmodels = i + 1;
		if (verify_one(p, &p->models[i], &st->models[i]) != 0)
			return -1;
	}
	/* Give the hashers' buffers and arenas back: PID 1 stays small. */
	malloc_trim(0);
	return 0;
}
