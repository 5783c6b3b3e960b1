/*
 * guard_keys.h: the endpoint guard's API keys.
 *
 * Keys are never stored, only their SHA-256: the policy lists hashes
 * (guard.auth.keys), and the mounted secret file (guard.auth.keys_file)
 * holds lines "ID sha256:HEX" or "ID KEY" — a raw key is hashed when the
 * file is read and the buffer wiped.  A presented key is hashed and
 * compared with every known hash in constant time (CRYPTO_memcmp, no early
 * exit), so timing says nothing about which key, or whether any, matched.
 * The file is read again on SIGHUP (guard_keys_load); a file that fails to
 * parse leaves the previous set in force.
 */
#ifndef WARD_INIT_GUARD_KEYS_H
#define WARD_INIT_GUARD_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "guard_http.h"
#include "guard_policy.h"

#define GUARD_KEYS_FILE_MAX (1u << 20)
#define GUARD_KEY_MIN 16  /* raw keys: at least this many characters */
#define GUARD_KEY_MAX 512 /* presented credentials: at most this many */

struct guard_keyset {
	struct guard_key_hash *v;
	size_t n;
};

/* guard_keys_parse(text, len, what, base, out): the secret file's lines on
 * top of base (the policy's keys) into out (replaced; free with
 * guard_keyset_free).  Comments (#) and blank lines are skipped; an ID
 * appearing twice, a malformed line or more than GUARD_MAX_KEYS keys is
 * WARD_EINPUT naming the line (never its secret). */
int guard_keys_parse(const char *text, size_t len, const char *what,
		     const struct guard_keyset *base, struct guard_keyset *out);
/* guard_keys_load(gp, out): the policy's keys plus, when gp->keys_file is
 * set, the file's (read with O_NONBLOCK, regular files only, at most
 * GUARD_KEYS_FILE_MAX bytes, wiped after parsing). */
int guard_keys_load(const struct guard_policy *gp, struct guard_keyset *out);
void guard_keyset_free(struct guard_keyset *ks);

/* guard_keys_match(ks, key, n): the index of the key whose hash matches,
 * or -1.  Constant time in the position and presence of a match. */
int guard_keys_match(const struct guard_keyset *ks, const char *key, size_t n);

/* guard_credential(buf, r, off, len): the credential of request r
 * ("Authorization: Bearer K" or "X-Api-Key: K").  Returns GR_NONE with
 * the key's position in buf, GR_AUTH_MISSING, or GR_AUTH_MALFORMED (two
 * credentials, another scheme, bad characters, too long). */
int guard_credential(const char *buf, const struct gh_request *r, size_t *off, size_t *len);

#endif
