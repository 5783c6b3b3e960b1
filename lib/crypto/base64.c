/* base64.c: RFC 4648 base64, standard alphabet out, both alphabets in. */
#include <string.h>

#include "crypto/crypto.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
b64_encode(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t olen = 4 * ((n + 2) / 3);
	char *out = ward_malloc(olen + 1), *o = out;
	size_t i;

	if (out == NULL)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		*o++ = alphabet[s[i] >> 2];
		*o++ = alphabet[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
		*o++ = alphabet[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)];
		*o++ = alphabet[s[i + 2] & 63];
	}
	if (i < n) {
		*o++ = alphabet[s[i] >> 2];
		if (i + 1 < n) {
			*o++ = alphabet[((s[i] & 3) << 4) | (s[i + 1] >> 4)];
			*o++ = alphabet[(s[i + 1] & 15) << 2];
		} else {
			*o++ = alphabet[(s[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

static int
value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

int
b64_decode(const char *s, size_t n, struct ward_buf *out, const char *what)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t pad = 0;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (pad > 0 && (n + pad) % 4 != 0)
		return ward_err(WARD_EINPUT, "%s: invalid base64 padding", what);
	if (n % 4 == 1)
		return ward_err(WARD_EINPUT, "%s: truncated base64", what);
	if (ward_buf_reserve(out, n / 4 * 3 + 3) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = value((unsigned char)s[i]);
		if (v < 0)
			return ward_err(WARD_EINPUT, "%s: invalid base64 character at offset %zu",
					what, i);
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->data[out->len++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits must be zero, so each input has one encoding. */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
		return ward_err(WARD_EINPUT, "%s: non-canonical base64 ending", what);
	out->data[out->len] = '\0';
	return 0;
}
