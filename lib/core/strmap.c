/* strmap.c: a small open-addressing hash map from strings to indexes.
 * Keys come from untrusted input (paths of layers, package names), so the
 * hash is seeded per process from getrandom(2): no one can prepare keys
 * that all collide and turn lookups back into a linear scan. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/core.h"

static uint64_t seed;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void
seed_init(void)
{
	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = (uint64_t)(uintptr_t)&seed ^ ward_now_ns();
	seed |= 1;
}

static size_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ull ^ seed; /* FNV-1a, seeded */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	/* murmur3's finalizer: every bit of h reaches the low bits */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (size_t)h;
}

static int
grow(struct ward_strmap *m)
{
	pthread_once(&seed_once, seed_init);
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
ward_strmap_put(struct ward_strmap *m, const char *key, size_t val)
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
ward_strmap_get(const struct ward_strmap *m, const char *key, size_t *val)
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
ward_strmap_clear(struct ward_strmap *m)
{
	if (m->cap) {
		memset(m->keys, 0, m->cap * sizeof(*m->keys));
		m->n = 0;
	}
}

void
ward_strmap_free(struct ward_strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}
