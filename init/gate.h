/*
 * gate.h: ward-init's side of the seccomp user notifications (see
 * seccomp_bpf.h): the exec gate and the EPERM answers for the deny list,
 * each counted in the state and logged (rate-limited).
 */
#ifndef WARD_INIT_GATE_H
#define WARD_INIT_GATE_H

#include <sys/types.h>

#include "policy.h"
#include "state.h"

struct gate;

/* gate_new(fd, server_pid, server_path, allow, st): take the listener fd
 * (closed by gate_free).  server_pid's first exec is the server's own;
 * allow lists the files later execs may run.  NULL on allocation failure. */
struct gate *gate_new(int fd, pid_t server_pid, const char *server_path,
		      const struct ward_strv *allow, struct init_state *st);
int gate_fd(const struct gate *g);
/* gate_serve(g): answer the pending notifications (at most a batch);
 * returns -1 when the listener is gone (every filtered process exited). */
int gate_serve(struct gate *g);
void gate_free(struct gate *g);

#endif
