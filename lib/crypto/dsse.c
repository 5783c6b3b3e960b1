/* dsse.c: Dead Simple Signing Envelope: PAE, sign, parse, verify. */
#include <string.h>

#include "crypto/crypto.h"

int
dsse_pae(const char *type, const void *body, size_t n, struct ward_buf *out)
{
	if (ward_buf_printf(out, "DSSEv1 %zu %s %zu ", strlen(type), type, n) != 0)
		return -1;
	return ward_buf_append(out, body, n);
}

json_t *
dsse_sign(const struct ward_key *k, const char *type, const void *payload, size_t n,
	  const char *keyid)
{
	struct ward_buf pae = {0}, sig = {0};
	char *b64_payload = NULL, *b64_sig = NULL;
	json_t *env = NULL;

	if (dsse_pae(type, payload, n, &pae) != 0 || key_sign(k, pae.data, pae.len, &sig) != 0)
		goto out;
	b64_payload = b64_encode(payload, n);
	b64_sig = b64_encode(sig.data, sig.len);
	if (b64_payload == NULL || b64_sig == NULL)
		goto out;
	env = json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "payload", b64_payload, "payloadType", type,
			"signatures", "keyid", keyid ? keyid : "", "sig", b64_sig);
	if (env == NULL)
		ward_err(WARD_EENV, "cannot build DSSE envelope");
out:
	ward_buf_free(&pae);
	ward_buf_free(&sig);
	free(b64_payload);
	free(b64_sig);
	return env;
}

int
dsse_parse(const json_t *env, struct dsse_envelope *out, const char *what)
{
	const char *payload, *type;
	json_t *sigs, *s;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(env))
		return ward_err(WARD_EINPUT, "%s: DSSE envelope is not an object", what);
	if ((payload = ward_json_req_str(env, "payload", what)) == NULL ||
	    (type = ward_json_req_str(env, "payloadType", what)) == NULL ||
	    (sigs = ward_json_req_array(env, "signatures", what)) == NULL)
		return -1;
	if (json_array_size(sigs) == 0)
		return ward_err(WARD_EINPUT, "%s: DSSE envelope has no signatures", what);
	if (json_array_size(sigs) > 64)
		return ward_err(WARD_EINPUT, "%s: too many DSSE signatures", what);
	if ((out->payload_type = ward_strdup(type)) == NULL ||
	    b64_decode(payload, strlen(payload), &out->payload, what) != 0)
		goto fail;
	out->sigs = ward_calloc(json_array_size(sigs), sizeof(*out->sigs));
	if (out->sigs == NULL)
		goto fail;
	json_array_foreach(sigs, i, s)
	{
		const char *sig = ward_json_req_str(s, "sig", what);
		json_t *keyid = json_object_get(s, "keyid");
		struct dsse_sig *d = &out->sigs[out->nsigs++];

		if (sig == NULL || b64_decode(sig, strlen(sig), &d->sig, what) != 0)
			goto fail;
		if (keyid != NULL && !json_is_null(keyid) && !json_is_string(keyid)) {
			ward_err(WARD_EINPUT, "%s: keyid is not a string", what);
			goto fail;
		}
		if (json_is_string(keyid) && *json_string_value(keyid) != '\0' &&
		    (d->keyid = ward_strdup(json_string_value(keyid))) == NULL)
			goto fail;
	}
	return 0;
fail:
	dsse_envelope_free(out);
	return -1;
}

int
dsse_verify(const struct dsse_envelope *e, const struct ward_key *k, const char *what)
{
	struct ward_buf pae = {0};
	int rc = -1;

	if (dsse_pae(e->payload_type, e->payload.data, e->payload.len, &pae) != 0)
		return -1;
	for (size_t i = 0; i < e->nsigs && rc != 0; i++)
		rc = key_verify(k, pae.data, pae.len, e->sigs[i].sig.data, e->sigs[i].sig.len,
				what);
	ward_buf_free(&pae);
	return rc;
}

void
dsse_envelope_free(struct dsse_envelope *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nsigs; i++) {
		free(e->sigs[i].keyid);
		ward_buf_free(&e->sigs[i].sig);
	}
	free(e->sigs);
	free(e->payload_type);
	ward_buf_free(&e->payload);
	memset(e, 0, sizeof(*e));
}
