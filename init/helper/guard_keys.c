/* guard_keys.c: API key hashes, the secret key file, constant-time
 * matching and credential extraction (see guard_keys.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "crypto/crypto.h"
#include "guard_keys.h"

void
guard_keyset_free(struct guard_keyset *ks)
{
	if (ks == NULL)
		return;
	if (ks->v != NULL)
		ward_wipe(ks->v, ks->n * sizeof(*ks->v));
	free(ks->v);
	ks->v = NULL;
	ks->n = 0;
}

static int
id_ok(const char *s, size_t n)
{
	if (n == 0 || n > GUARD_KEY_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

/* token68 (RFC 9110 11.2): what a bearer credential may hold. */
static int
token68_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/'))
			break;
		i++;
	}
	if (i == 0)
		return 0;
	while (i < n && s[i] == '=')
		i++;
	return i == n;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
guard_keys_parse(const char *text, size_t len, const char *what, const struct guard_keyset *base,
		 struct guard_keyset *out)
{
	struct guard_keyset ks = {0};
	size_t p = 0, line = 0, cap = (base ? base->n : 0) + 16;

	if ((ks.v = ward_calloc(cap, sizeof(*ks.v))) == NULL)
		return -1;
	if (base != NULL && base->n > 0) {
		memcpy(ks.v, base->v, base->n * sizeof(*ks.v));
		ks.n = base->n;
	}
	while (p < len) {
		size_t e = p, a, ae, b, be;
		while (e < len && text[e] != '\n')
			e++;
		line++;
		size_t le = e;
		if (le > p && text[le - 1] == '\r')
			le--;
		a = p;
		while (a < le && (text[a] == ' ' || text[a] == '\t'))
			a++;
		p = e + 1;
		if (a == le || text[a] == '#')
			continue;
		ae = a;
		while (ae < le && text[ae] != ' ' && text[ae] != '\t')
			ae++;
		b = ae;
		while (b < le && (text[b] == ' ' || text[b] == '\t'))
			b++;
		be = le;
		while (be > b && (text[be - 1] == ' ' || text[be - 1] == '\t'))
			be--;
		if (!id_ok(text + a, ae - a)) {
			ward_err(WARD_EINPUT,
				 "%s:%zu: the key id must be 1-%d characters of [A-Za-z0-9._-]",
				 what, line, GUARD_KEY_ID_MAX);
			goto fail;
		}
		if (b == be || memchr(text + b, ' ', be - b) || memchr(text + b, '\t', be - b)) {
			ward_err(WARD_EINPUT, "%s:%zu: expected \"ID sha256:HEX\" or \"ID KEY\"",
				 what, line);
			goto fail;
		}
		for (size_t k = 0; k < ks.n; k++)
			if (strlen(ks.v[k].id) == ae - a &&
			    memcmp(ks.v[k].id, text + a, ae - a) == 0) {
				ward_err(WARD_EINPUT, "%s:%zu: key id \"%.*s\" appears twice", what,
					 line, (int)(ae - a), text + a);
				goto fail;
			}
		if (ks.n >= GUARD_MAX_KEYS) {
			ward_err(WARD_EINPUT, "%s: more than %d keys", what, GUARD_MAX_KEYS);
			goto fail;
		}
		if (ks.n == cap) {
			struct guard_key_hash *nv = ward_calloc(cap * 2, sizeof(*nv));
			if (nv == NULL)
				goto fail;
			memcpy(nv, ks.v, ks.n * sizeof(*nv));
			ward_wipe(ks.v, ks.n * sizeof(*nv));
			free(ks.v);
			ks.v = nv;
			cap *= 2;
		}
		struct guard_key_hash *h = &ks.v[ks.n];
		memcpy(h->id, text + a, ae - a);
		h->id[ae - a] = '\0';
		if (be - b == 71 && strncasecmp(text + b, "sha256:", 7) == 0) {
			for (size_t k = 0; k < 32; k++) {
				int hi = hexval((unsigned char)text[b + 7 + 2 * k]);
				int lo = hexval((unsigned char)text[b + 8 + 2 * k]);
				if (hi < 0 || lo < 0) {
					ward_err(WARD_EINPUT, "%s:%zu: sha256: needs 64 hex digits",
						 what, line);
					goto fail;
				}
				h->sha256[k] = (uint8_t)(hi << 4 | lo);
			}
		} else {
			if (be - b < GUARD_KEY_MIN || be - b > GUARD_KEY_MAX ||
			    !token68_ok(text + b, be - b)) {
				ward_err(WARD_EINPUT,
					 "%s:%zu: a key is %d to %d characters of "
					 "[A-Za-z0-9-._~+/] (then '=' padding)",
					 what, line, GUARD_KEY_MIN, GUARD_KEY_MAX);
				goto fail;
			}
			sha256(text + b, be - b, h->sha256);
		}
		ks.n++;
	}
	guard_keyset_free(out);
	*out = ks;
	return 0;
fail:
	guard_keyset_free(&ks);
	return -1;
}

int
guard_keys_load(const struct guard_policy *gp, struct guard_keyset *out)
{
	struct guard_keyset base = {.v = gp->keys, .n = gp->nkeys};
	struct stat sb;
	char *buf;
	size_t len = 0;
	int fd, rc;

	if (gp->keys_file == NULL)
		return guard_keys_parse("", 0, "guard.auth.keys", &base, out);
	/* Secret mounts are symlinks into a ..data directory: follow them, but
	 * only to a regular file, and never block on a FIFO. */
	fd = open(gp->keys_file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ward_errno(WARD_EENV, "%s: cannot open the API key file", gp->keys_file);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > GUARD_KEYS_FILE_MAX) {
		close(fd);
		return ward_err(WARD_EINPUT, "%s: not a regular file of at most %u bytes",
				gp->keys_file, GUARD_KEYS_FILE_MAX);
	}
	if ((buf = ward_malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return -1;
	}
	while (len <= (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)sb.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ward_errno(WARD_EENV, "%s: read failed", gp->keys_file);
			close(fd);
			ward_wipe(buf, len);
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > (size_t)sb.st_size) {
		ward_wipe(buf, len);
		free(buf);
		return ward_err(WARD_EINPUT, "%s: changed while being read", gp->keys_file);
	}
	rc = guard_keys_parse(buf, len, gp->keys_file, &base, out);
	ward_wipe(buf, len);
	free(buf);
	return rc;
}

int
guard_keys_match(const struct guard_keyset *ks, const char *key, size_t n)
{
	uint8_t h[32];
	int found = -1;

	sha256(key, n, h);
	for (size_t i = 0; i < ks->n; i++) {
		/* Branch-free select: every entry is compared, whatever matched. */
		int eq = CRYPTO_memcmp(h, ks->v[i].sha256, 32) == 0;
		int mask = -eq;
		found = (found & ~mask) | ((int)i & mask);
	}
	ward_wipe(h, sizeof(h));
	return found;
}

int
guard_credential(const char *buf, const struct gh_request *r, size_t *off, size_t *len)
{
	int seen = 0;

	for (unsigned i = 0; i < r->nh; i++) {
		const struct gh_header *h = &r->h[i];
		const char *v = buf + h->value;
		size_t vl = h->value_len;
		if (gh_name_is(buf, h, "authorization")) {
			size_t k = 0;
			if (seen++)
				return GR_AUTH_MALFORMED;
			if (vl < 7 || strncasecmp(v, "bearer", 6) != 0 || v[6] != ' ')
				return GR_AUTH_MALFORMED;
			k = 7;
			while (k < vl && v[k] == ' ')
				k++;
			*off = h->value + k;
			*len = vl - k;
		} else if (gh_name_is(buf, h, "x-api-key")) {
			if (seen++)
				return GR_AUTH_MALFORMED;
			*off = h->value;
			*len = vl;
		}
	}
	if (!seen)
		return GR_AUTH_MISSING;
	if (*len == 0 || *len > GUARD_KEY_MAX || !token68_ok(buf + *off, *len))
		return GR_AUTH_MALFORMED;
	return GR_NONE;
}
