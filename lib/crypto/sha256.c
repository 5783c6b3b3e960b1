/* sha256.c: SHA-256 through OpenSSL (SHA-NI where the CPU has it). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"

void
sha256(const void *p, size_t n, uint8_t out[SHA256_LEN])
{
	unsigned int len = SHA256_LEN;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

void
sha256_hex(const void *p, size_t n, char out[SHA256_HEX_LEN + 1])
{
	uint8_t d[SHA256_LEN];

	sha256(p, n, d);
	ward_hex(d, sizeof(d), out);
}

struct sha256_ctx {
	EVP_MD_CTX *md;
};

struct sha256_ctx *
sha256_new(void)
{
	struct sha256_ctx *c = ward_calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->md = EVP_MD_CTX_new();
	if (c->md == NULL || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c->md);
		free(c);
		ward_err(WARD_EENV, "cannot initialise SHA-256");
		return NULL;
	}
	return c;
}

void
sha256_update(struct sha256_ctx *c, const void *p, size_t n)
{
	EVP_DigestUpdate(c->md, p, n);
}

void
sha256_final(struct sha256_ctx *c, uint8_t out[SHA256_LEN])
{
	unsigned int len = SHA256_LEN;

	EVP_DigestFinal_ex(c->md, out, &len);
	EVP_DigestInit_ex(c->md, EVP_sha256(), NULL);
}

void
sha256_free(struct sha256_ctx *c)
{
	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

int
sha256_file(const char *path, uint8_t out[SHA256_LEN], uint64_t *size)
{
	struct hash_job job = {.path = path, .offset = 0, .length = UINT64_MAX};

	if (hasher_run(&job, 1, 1, NULL, NULL) != 0)
		return -1;
	for (int i = 0; i < SHA256_LEN; i++)
		out[i] = job.digest[i];
	if (size != NULL)
		*size = job.length;
	return 0;
}

int
sha256_fd_hex(int fd, const char *what, char hex[SHA256_HEX_LEN + 1], uint64_t *size)
{
	unsigned char buf[1 << 16];
	struct sha256_ctx *c = sha256_new();
	uint8_t d[SHA256_LEN];
	uint64_t n = 0;
	ssize_t r;

	if (c == NULL)
		return ward_err(WARD_EENV, "out of memory");
	while ((r = ward_fd_read(fd, buf, sizeof(buf), what)) > 0) {
		sha256_update(c, buf, (size_t)r);
		n += (uint64_t)r;
	}
	sha256_final(c, d);
	sha256_free(c);
	if (r < 0)
		return -1;
	ward_hex(d, sizeof(d), hex);
	if (size != NULL)
		*size = n;
	return 0;
}

int
sha256_file_hex(const char *path, char hex[SHA256_HEX_LEN + 1], uint64_t *size)
{
	uint8_t d[SHA256_LEN];

	if (sha256_file(path, d, size) != 0)
		return -1;
	ward_hex(d, sizeof(d), hex);
	return 0;
}
