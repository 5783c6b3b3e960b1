/* wheel_internal.h: helpers shared by the files of lib/wheel. */
#ifndef WARD_WHEEL_INTERNAL_H
#define WARD_WHEEL_INTERNAL_H

#include "wheel/wheel.h"

/* wheel_hex_digest(in, out): 64 hexadecimal digits, lowercased into out;
 * -1 (nothing recorded) otherwise. */
int wheel_hex_digest(const char *in, char out[65]);
/* wheel_version_eq(a, b): 1 when two version strings name the same
 * version (case, a leading 'v' and trailing ".0"s aside). */
int wheel_version_eq(const char *a, const char *b);
/* wheel_reqs_add(r): a new zeroed entry at the end (NULL: out of memory). */
struct wheel_req *wheel_reqs_add(struct wheel_reqs *r);
/* wheel_reqs_finish(r, what): sort by name; a name twice is WARD_EINPUT. */
int wheel_reqs_finish(struct wheel_reqs *r, const char *what);

#endif
