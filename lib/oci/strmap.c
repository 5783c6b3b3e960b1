/* strmap.c: a small open-addressing hash map from strings to indexes. */
#include <stdlib.h>
#include <string.h>

#include "oci_internal.h"

static size_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

static int
grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	const char **keys = ward_calloc(cap, sizeof(*keys));
	size_t *vals = ward_calloc(cap, sizeof(*vals));

	if (keys == NULL || vals == NULL) {
		free(keys);
		free(vals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;
		if (m->keys[i] == NULL)
			continue;
		for (j = hash(m->keys[i]) & (cap - 1); keys[j]; j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

int
strmap_put(struct strmap *m, const char *key, size_t val)
{
	size_t j;

	if ((m->n + 1) * 2 > m->cap && grow(m) != 0)
		return -1;
	for (j = hash(key) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1))
		if (strcmp(m->keys[j], key) == 0) {
			m->keys[j] = key;
			m->vals[j] = val;
			return 0;
		}
	m->keys[j] = key;
	m->vals[j] = val;
	m->n++;
	return 0;
}

int
strmap_get(const struct strmap *m, const char *key, size_t *val)
{
	if (m->cap == 0)
		return 0;
	for (size_t j = hash(key) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1))
		if (strcmp(m->keys[j], key) == 0) {
			if (val)
				*val = m->vals[j];
			return 1;
		}
	return 0;
}

void
strmap_clear(struct strmap *m)
{
	if (m->cap) {
		memset(m->keys, 0, m->cap * sizeof(*m->keys));
		m->n = 0;
	}
}

void
strmap_free(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
