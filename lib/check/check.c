/* check.c: `ward test` — the matrix over one image: load it once, judge it
 * statically, then run it. */
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"

int
check_image(const char *image, const struct check_opts *o, struct check_matrix *m)
{
	struct audit_opts ao = {.threads = o->threads, .policy = o->policy, .db = o->db};
	struct check_facts f;
	uint64_t t0 = ward_now_ns();

	memset(m, 0, sizeof(*m));
	if (check_matrix_init(m) != 0 || (m->image = ward_strdup(image)) == NULL)
		return -1;
	if (check_facts_load(image, o->threads, o->policy, o->progress, &f) != 0) {
		check_facts_free(&f);
		return -1;
	}
	if (audit_from_facts(&f, &ao, &m->audit) != 0) {
		check_facts_free(&f);
		return -1;
	}
	if (m->audit.digest && (m->digest = ward_strdup(m->audit.digest)) == NULL) {
		check_facts_free(&f);
		return -1;
	}
	check_static(&f, o, m);
	check_runtime(&f, o, m);
	m->seconds = (double)(ward_now_ns() - t0) / 1e9;
	check_facts_free(&f);
	ward_err_clear();
	return check_matrix_finish(m);
}
