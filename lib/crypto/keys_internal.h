/* keys_internal.h: the key struct, shared by keys.c and keys_cosign.c only. */
#ifndef WARD_KEYS_INTERNAL_H
#define WARD_KEYS_INTERNAL_H

#include <openssl/evp.h>

struct ward_key {
	EVP_PKEY *pkey;
	int curve;
	int has_private;
};

/* key_wrap(pkey, has_private, what): take ownership of pkey (freed on
 * error too); NULL with WARD_EINPUT if it is not a supported EC key. */
struct ward_key *key_wrap(EVP_PKEY *pkey, int has_private, const char *what);

#endif
