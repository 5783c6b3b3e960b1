"""A compromised inference server, for ward-init's red-team tests.

Run under ward-init, it tries what an attacker who owns the server process
would try, records each result, and then keeps serving:

  GET /ping     -> "pong"
  GET /results  -> JSON {attempt: {"blocked": bool, "errno": name|null,
                                   "syscall": name|null, "detail": str}}

usage: server.py --port P --model-file F --app-dir D --metrics-port M
       server.py --modules   (print the files of every module it imports)

Every attempt that could succeed runs in a forked child where success would
hurt (exec), so a hole shows up as "blocked": false instead of taking the
server down.  Standard library only.
"""
import ctypes
import ctypes.util
import errno
import http.server
import json
import multiprocessing
import os
import resource
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long

# x86_64 syscall numbers (the tests run there; ward-init kills other arches).
NR = {"execveat": 322, "io_uring_setup": 425, "pidfd_open": 434, "tgkill": 234,
      "process_vm_readv": 310, "userfaultfd": 323, "bpf": 321, "perf_event_open": 298,
      "keyctl": 250, "setns": 308, "prlimit64": 302, "setpriority": 141,
      "sched_setaffinity": 203, "sched_setscheduler": 144, "sched_setparam": 142,
      "sched_setattr": 314, "ioprio_set": 251, "migrate_pages": 256, "move_pages": 279,
      "get_robust_list": 274, "kcmp": 312, "process_madvise": 440, "process_mrelease": 448,
      "pidfd_send_signal": 424, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297,
      "memfd_create": 319, "seccomp": 317, "clone": 56, "clone3": 435, "syslog": 103,
      "ioperm": 173, "iopl": 172, "modify_ldt": 154, "add_key": 248, "ptrace": 101,
      "setpgid": 109, "kill": 62, "tkill": 200, "memfd_secret": 447, "fcntl": 72,
      "ioctl": 16}
F_SETOWN, F_SETSIG, F_SETOWN_EX, F_OWNER_PID = 8, 10, 15, 1
FIOSETOWN = 0x8901
PTRACE_ATTACH = 16
PR_SET_DUMPABLE = 4
MS_REMOUNT, MS_BIND, MS_RDONLY = 32, 4096, 1
CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000

RESULTS = {}
BLOCKING = {errno.EPERM, errno.EACCES, errno.EROFS, errno.ENOSYS, errno.ENOENT}


def record(name, blocked, err=None, syscall=None, detail=""):
    RESULTS[name] = {"blocked": bool(blocked),
                     "errno": errno.errorcode.get(err) if err else None,
                     "syscall": syscall, "detail": str(detail)[:200]}


def attempt(name, syscall=None):
    """Decorator: an OSError with a denial errno means blocked; anything
    else the function returns (blocked, errno, detail)."""
    def wrap(fn):
        try:
            out = fn()
            blocked, err, detail = out if isinstance(out, tuple) else (out, None, "")
            record(name, blocked, err, syscall, detail)
        except OSError as e:
            record(name, e.errno in BLOCKING, e.errno, syscall, e)
        except Exception as e:  # a failure we did not expect is not a block
            record(name, False, None, syscall, f"{type(e).__name__}: {e}")
        return fn
    return wrap


def libc_call(fn, *args):
    ctypes.set_errno(0)
    r = fn(*args)
    return r, ctypes.get_errno()


def in_child(body):
    """Run body() in a forked child; it returns (blocked, errno, detail),
    sent back through a pipe.  A child that execs successfully never
    reports: that counts as not blocked."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        try:
            res = body()
        except OSError as e:
            res = (e.errno in BLOCKING, e.errno, str(e))
        except BaseException as e:
            res = (False, None, f"{type(e).__name__}: {e}")
        os.write(wfd, json.dumps(res).encode())
        os._exit(0)
    os.close(wfd)
    data = b""
    while True:
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        data += chunk
    os.close(rfd)
    os.waitpid(pid, 0)
    if not data:
        return (False, None, "child exec'd or died without reporting")
    blocked, err, detail = json.loads(data)
    return (blocked, err, detail)


def argv_array(*args):
    arr = (ctypes.c_char_p * (len(args) + 1))(*[a.encode() for a in args], None)
    return arr


def run_attacks(opts):
    model, app = opts["model_file"], opts["app_dir"]
    init_pid = os.getppid()
    me = os.getpid()

    # ---- exec of every kind ------------------------------------------------
    @attempt("os_system_sh", "execve")
    def _():
        st = os.system("sh -c 'exit 0'")
        return (st != 0, None, f"status {st}")

    @attempt("subprocess_ls", "execve")
    def _():
        subprocess.run(["/bin/ls", "/"], capture_output=True, check=False)
        return (False, None, "ran")

    @attempt("multiprocessing_spawn", "execve")
    def _():
        ctx = multiprocessing.get_context("spawn")
        p = ctx.Process(target=print, args=("spawned",))
        p.start()
        p.join(5)
        return (p.exitcode not in (0,), None, f"exitcode {p.exitcode}")

    @attempt("ctypes_execve", "execve")
    def _():
        def body():
            r, e = libc_call(LIBC.execve, b"/bin/ls", argv_array("/bin/ls"), argv_array())
            return (e in BLOCKING, e, f"execve returned {r}")
        return in_child(body)

    @attempt("execveat", "execveat")
    def _():
        def body():
            fd = os.open(sys.executable, os.O_PATH)
            r, e = libc_call(LIBC.syscall, NR["execveat"], fd, b"", argv_array("x"),
                             argv_array(), 0x1000)  # AT_EMPTY_PATH
            r2, e2 = libc_call(LIBC.syscall, NR["execveat"], -100, b"/bin/ls",
                               argv_array("ls"), argv_array(), 0)
            return (e in BLOCKING and e2 in BLOCKING, e, f"{r} {r2} {e2}")
        return in_child(body)

    @attempt("exec_from_thread", "execve")
    def _():
        def body():
            out = {}

            def t():
                try:
                    os.execv("/bin/ls", ["ls"])
                except OSError as e:
                    out["e"] = e.errno
            th = threading.Thread(target=t)
            th.start()
            th.join()
            e = out.get("e")
            return (e in BLOCKING, e, "thread execv")
        return in_child(body)

    @attempt("posix_spawn", "execve")
    def _():
        pid = os.posix_spawn("/bin/ls", ["ls"], os.environ)
        _, st = os.waitpid(pid, 0)
        return (os.waitstatus_to_exitcode(st) == 127, None, f"status {st}")

    @attempt("vfork_posix_spawnp", "execve")
    def _():
        # glibc's posix_spawn* run the child with CLONE_VM | CLONE_VFORK.
        pid = os.posix_spawnp("ls", ["ls"], os.environ)
        _, st = os.waitpid(pid, 0)
        return (os.waitstatus_to_exitcode(st) == 127, None, f"status {st}")

    # ---- the model and the file system ---------------------------------
    before = open(model, "rb").read()

    @attempt("model_write")
    def _():
        with open(model, "r+b") as f:
            f.write(b"X")
        return False

    @attempt("model_delete")
    def _():
        os.unlink(model)
        return False

    @attempt("model_truncate")
    def _():
        os.truncate(model, 0)
        return False

    @attempt("model_rename")
    def _():
        os.rename(model, model + ".moved")
        return False

    @attempt("model_unchanged")
    def _():
        return (open(model, "rb").read() == before, None, "content compared")

    @attempt("app_write")
    def _():
        with open(os.path.join(app, "pwned.py"), "w") as f:
            f.write("x")
        return False

    @attempt("root_write")
    def _():
        with open("/ward-pwned", "w") as f:
            f.write("x")
        return False

    # ---- other processes' memory -----------------------------------------
    @attempt("ptrace_init", "ptrace")
    def _():
        r, e = libc_call(LIBC.ptrace, PTRACE_ATTACH, init_pid, None, None)
        return (r == -1 and e in BLOCKING, e, f"ptrace({init_pid}) = {r}")

    @attempt("process_vm_readv", "process_vm_readv")
    def _():
        def body():
            buf = ctypes.create_string_buffer(16)
            local = struct.pack("PN", ctypes.addressof(buf), 16)
            remote = struct.pack("PN", id(RESULTS), 16)
            r, e = libc_call(LIBC.syscall, NR["process_vm_readv"], me, local, 1, remote, 1, 0)
            return (r == -1 and e in BLOCKING, e, f"= {r}")
        return in_child(body)

    @attempt("proc_pid_mem")
    def _():
        def body():
            with open(f"/proc/{me}/mem", "rb") as f:
                f.seek(id(RESULTS))
                f.read(16)
            return (False, None, "read the server's memory")
        return in_child(body)

    # ---- core dumps ------------------------------------------------------
    @attempt("core_rlimit", "prlimit64")
    def _():
        try:
            resource.setrlimit(resource.RLIMIT_CORE,
                               (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        except ValueError as e:  # how Python reports EPERM from setrlimit
            return (True, errno.EPERM, e)
        return False

    @attempt("core_dumpable", "prctl")
    def _():
        r, e = libc_call(LIBC.prctl, PR_SET_DUMPABLE, 1, 0, 0, 0)
        return (r == -1 and e in BLOCKING, e, f"= {r}")

    @attempt("core_dump_crash")
    def _():
        pid = os.fork()
        if pid == 0:
            os.kill(os.getpid(), signal.SIGSEGV)
            os._exit(0)
        _, st = os.waitpid(pid, 0)
        cores = [f for f in os.listdir(".") if f.startswith("core")] if os.access(".", os.R_OK) else []
        return (not os.WCOREDUMP(st) and not cores, None, f"status {st}")

    # ---- network -----------------------------------------------------------
    @attempt("tcp_connect_loopback")
    def _():
        s = socket.socket()
        s.settimeout(3)
        try:
            s.connect(("127.0.0.1", opts["metrics_port"]))
        except OSError as e:
            # Refused would mean no listener: that proves nothing.
            return (e.errno in (errno.EACCES, errno.EPERM), e.errno, str(e))
        finally:
            s.close()
        return (False, None, "connected")

    @attempt("bind_second_port")
    def _():
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", opts["port"] + 1))
        finally:
            s.close()
        return False

    @attempt("raw_socket", "socket")
    def _():
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
        return False

    @attempt("packet_socket", "socket")
    def _():
        socket.socket(17, socket.SOCK_RAW, 0).close()
        return False

    # ---- kernel attack surface -----------------------------------------
    @attempt("io_uring_setup", "io_uring_setup")
    def _():
        params = ctypes.create_string_buffer(120)
        r, e = libc_call(LIBC.syscall, NR["io_uring_setup"], 8, params)
        return (r == -1 and e in BLOCKING, e, f"= {r}")

    @attempt("mknod_char_device", "mknodat")
    def _():
        os.mknod(os.path.join(opts["tmp_dir"], "null2"), stat.S_IFCHR | 0o666, os.makedev(1, 3))
        return False

    @attempt("remount_root_rw", "mount")
    def _():
        r, e = libc_call(LIBC.mount, None, b"/", None, MS_REMOUNT | MS_BIND, None)
        return (r == -1 and e in BLOCKING, e, f"= {r}")

    @attempt("unshare_user_mount_ns", "unshare")
    def _():
        r, e = libc_call(LIBC.unshare, CLONE_NEWUSER | CLONE_NEWNS)
        return (r == -1 and e in BLOCKING, e, f"= {r}")

    @attempt("userfaultfd", "userfaultfd")
    def _():
        r, e = libc_call(LIBC.syscall, NR["userfaultfd"], 0)
        return (r == -1 and e in BLOCKING, e, f"= {r}")

    @attempt("bpf", "bpf")
    def _():
        r, e = libc_call(LIBC.syscall, NR["bpf"], 0, None, 0)
        return (r == -1 and e in BLOCKING, e, f"= {r}")

    @attempt("personality_no_aslr", "personality")
    def _():
        r, e = libc_call(LIBC.personality, 0x0040000)
        return (r == -1 and e in BLOCKING, e, f"= {r}")

    # ---- ward-init itself ------------------------------------------------
    @attempt("kill_pid1", "kill")
    def _():
        os.kill(init_pid, signal.SIGTERM)
        return False

    @attempt("kill_all", "kill")
    def _():
        os.kill(-1, 0)
        return False

    @attempt("tgkill_pid1", "tgkill")
    def _():
        r, e = libc_call(LIBC.syscall, NR["tgkill"], init_pid, init_pid, signal.SIGTERM)
        return (r == -1 and e in BLOCKING, e, f"= {r}")

    @attempt("pidfd_pid1", "pidfd_open")
    def _():
        r, e = libc_call(LIBC.syscall, NR["pidfd_open"], init_pid, 0)
        return (r == -1 and e in BLOCKING, e, f"= {r}")


# ---------------------------------------------------------------- round 2
# Classes an independent attack run found open (issue 14) and their
# neighbours: other processes' limits and scheduling, exec without a path,
# non-TCP protocols, datagram and unix egress, hijacking ward-init's own
# seccomp notifications, native code.

CONTROLS = {}   # things a server legitimately does that must keep working
KEEP = []       # sockets the harness probes after the run


def control(name, fn):
    try:
        CONTROLS[name] = {"ok": bool(fn()), "detail": ""}
    except Exception as e:
        CONTROLS[name] = {"ok": False, "detail": f"{type(e).__name__}: {e}"}


def proc_ppid(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def victims():
    """Every process outside this server's own tree: ward-init and whatever
    it runs beside the server (its HTTP helper, a guard)."""
    me = os.getpid()
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                parent[int(d)] = proc_ppid(int(d))
            except OSError:
                pass
    mine = set()
    for pid in parent:
        p, seen = pid, 0
        while p and seen < 64:
            if p == me:
                mine.add(pid)
                break
            p, seen = parent.get(p, 0), seen + 1
    return sorted(p for p in parent if p not in mine)


def sys_call(name, *args):
    r, e = libc_call(LIBC.syscall, NR[name], *[ctypes.c_long(a) if isinstance(a, int) else a
                                                for a in args])
    return r, e


def denied(r, e):
    return r == -1 and e in (errno.EPERM, errno.EACCES)


def strictly_denied(r, e):
    return r == -1 and e == errno.EPERM


def exec_target():
    """A harmless program the policy never lists, and the loader."""
    for p in ("/usr/bin/id", "/bin/id"):
        if os.access(p, os.R_OK):
            return p
    return None


LOADER = "/lib64/ld-linux-x86-64.so.2"


def run_capture(body):
    """Fork; the child points stdout at a pipe and runs body(), which may
    exec.  Returns (output, status, report): what a successful exec printed,
    the wait status, and body()'s own (blocked, errno, detail) if it
    returned."""
    out_r, out_w = os.pipe()
    rep_r, rep_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(out_r)
        os.close(rep_r)
        os.dup2(out_w, 1)
        os.set_inheritable(1, True)
        try:
            res = body()
        except OSError as e:
            res = (e.errno in BLOCKING, e.errno, str(e))
        except BaseException as e:
            res = (False, None, f"{type(e).__name__}: {e}")
        os.write(rep_w, json.dumps(res).encode())
        os._exit(0)
    os.close(out_w)
    os.close(rep_w)
    data = rep = b""
    while True:
        c = os.read(out_r, 65536)
        if not c:
            break
        data += c
    while True:
        c = os.read(rep_r, 65536)
        if not c:
            break
        rep += c
    os.close(out_r)
    os.close(rep_r)
    _, st = os.waitpid(pid, 0)
    return data, st, (json.loads(rep) if rep else None)


def exec_verdict(body):
    """An exec attempt is blocked when the target never printed anything:
    the exec failed with a denial, or the process was killed before the
    program ran."""
    out, st, rep = run_capture(body)
    if out:
        return (False, None, "ran: " + out.decode(errors="replace")[:80])
    if rep is not None:
        return tuple(rep)
    if os.WIFSIGNALED(st):
        return (True, None, f"killed by signal {os.WTERMSIG(st)} before it printed")
    return (False, None, f"exited {st} without a report")


def memfd_with(path, flags=1):
    fd = os.memfd_create("payload", flags)
    with open(path, "rb") as f:
        os.write(fd, f.read())
    return fd


def run_round2(opts):
    init_pid = os.getppid()
    me = os.getpid()
    uid = os.getuid()
    targets = victims()
    RESULTS["_victims"] = {"blocked": True, "errno": None, "syscall": None,
                           "detail": " ".join(map(str, targets))}
    RESULTS["_victims"]["pids"] = targets

    # ---- other processes' limits, priorities, scheduling, memory --------
    for v in targets:
        tag = "pid1" if v == init_pid else f"pid{v}"
        lim = struct.pack("QQ", 1, 1)
        cur = ctypes.create_string_buffer(16)

        @attempt(f"prlimit_cpu_{tag}", "prlimit64")
        def _():
            r, e = sys_call("prlimit64", v, resource.RLIMIT_CPU, lim, None)
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"prlimit_nofile_{tag}", "prlimit64")
        def _():
            r, e = sys_call("prlimit64", v, resource.RLIMIT_NOFILE, struct.pack("QQ", 0, 0), None)
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"prlimit_read_{tag}", "prlimit64")
        def _():
            r, e = sys_call("prlimit64", v, resource.RLIMIT_NOFILE, None, cur)
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"setpriority_{tag}", "setpriority")
        def _():
            r, e = sys_call("setpriority", 0, v, 19)
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"sched_setaffinity_{tag}", "sched_setaffinity")
        def _():
            mask = struct.pack("Q", 1)
            r, e = sys_call("sched_setaffinity", v, 8, mask)
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"sched_idle_{tag}", "sched_setscheduler")
        def _():
            r, e = sys_call("sched_setscheduler", v, 5, struct.pack("i", 0))  # SCHED_IDLE
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"sched_setparam_{tag}", "sched_setparam")
        def _():
            r, e = sys_call("sched_setparam", v, struct.pack("i", 0))
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"sched_setattr_{tag}", "sched_setattr")
        def _():
            attr = struct.pack("IIQiIQQQ", 56, 5, 0, 0, 0, 0, 0, 0)  # SCHED_IDLE
            r, e = sys_call("sched_setattr", v, attr, 0)
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"ioprio_idle_{tag}", "ioprio_set")
        def _():
            r, e = sys_call("ioprio_set", 1, v, 3 << 13)  # WHO_PROCESS, CLASS_IDLE
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"migrate_pages_{tag}", "migrate_pages")
        def _():
            nodes = struct.pack("Q", 1)
            r, e = sys_call("migrate_pages", v, 64, nodes, nodes)
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"move_pages_{tag}", "move_pages")
        def _():
            r, e = sys_call("move_pages", v, 0, None, None, None, 0)
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"get_robust_list_{tag}", "get_robust_list")
        def _():
            head, ln = ctypes.c_void_p(), ctypes.c_size_t()
            r, e = sys_call("get_robust_list", v, ctypes.byref(head), ctypes.byref(ln))
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"kcmp_{tag}", "kcmp")
        def _():
            r, e = sys_call("kcmp", me, v, 0, 0, 0)  # KCMP_FILE
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"kill_{tag}", "kill")
        def _():
            r, e = sys_call("kill", v, signal.SIGTERM)
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"tgkill_{tag}", "tgkill")
        def _():
            r, e = sys_call("tgkill", v, v, signal.SIGTERM)
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"rt_sigqueueinfo_{tag}", "rt_sigqueueinfo")
        def _():
            info = struct.pack("iii", signal.SIGTERM, 0, -1) + bytes(116)  # SI_QUEUE
            r, e = sys_call("rt_sigqueueinfo", v, signal.SIGTERM, info)
            return (strictly_denied(r, e), e, f"= {r}")

        @attempt(f"ptrace_seize_{tag}", "ptrace")
        def _():
            r, e = sys_call("ptrace", 0x4206, v, 0, 0)  # PTRACE_SEIZE
            return (denied(r, e), e, f"= {r}")

        @attempt(f"pidfd_open_{tag}", "pidfd_open")
        def _():
            r, e = sys_call("pidfd_open", v, 0)
            if r >= 0:
                os.close(r)
            return (strictly_denied(r, e), e, f"= {r}")

        # A /proc/PID directory is a pidfd too; Landlock's signal scoping
        # (ABI 6) refuses this in the kernel, where ward-init cannot count it.
        @attempt(f"pidfd_send_signal_procdir_{tag}")
        def _():
            fd = os.open(f"/proc/{v}", os.O_RDONLY | os.O_DIRECTORY)
            try:
                r, e = sys_call("pidfd_send_signal", fd, signal.SIGTERM, None, 0)
            finally:
                os.close(fd)
            return (denied(r, e), e, f"= {r}")

        # A signal by file ownership: the kernel sends SIGIO (or what
        # F_SETSIG names) to the owner when I/O is ready -- kill() by
        # other means.  The owner as a pid, as its group (-pgid), through
        # F_SETOWN_EX and FIOSETOWN (owner in memory: Landlock's scoping
        # refuses the delivery; the victim must live on).
        @attempt(f"fsetown_{tag}", "fcntl")
        def _():
            a, b = socket.socketpair()
            try:
                r, e = sys_call("fcntl", a.fileno(), F_SETOWN, v)
            finally:
                a.close()
                b.close()
            return (strictly_denied(r, e), e, f"= {r}")

        try:
            vgrp = os.getpgid(v)
        except OSError:
            vgrp = 0
        if vgrp > 0 and vgrp != os.getpgrp():
            @attempt(f"fsetown_group_{tag}", "fcntl")
            def _():
                a, b = socket.socketpair()
                try:
                    r, e = sys_call("fcntl", a.fileno(), F_SETOWN, -vgrp)
                finally:
                    a.close()
                    b.close()
                return (strictly_denied(r, e), e, f"= {r}")

        for how in ("fsetown_ex", "fiosetown"):
            @attempt(f"{how}_signal_{tag}")
            def _():
                # SIGTERM would make ward-init stop the server (so this run
                # never reports); SIGKILL would kill a helper.
                sig = signal.SIGTERM if v == init_pid else signal.SIGKILL
                a, b = socket.socketpair()
                try:
                    if how == "fsetown_ex":
                        r, e = sys_call("fcntl", a.fileno(), F_SETOWN_EX,
                                        struct.pack("ii", F_OWNER_PID, v))
                    else:
                        r, e = sys_call("ioctl", a.fileno(), FIOSETOWN, struct.pack("i", v))
                    if r != 0:
                        return (denied(r, e), e, f"owner = {r}")
                    sys_call("fcntl", a.fileno(), F_SETSIG, sig)
                    sys_call("fcntl", a.fileno(), 4, os.O_ASYNC | os.O_NONBLOCK)  # F_SETFL
                    b.send(b"x")
                    time.sleep(0.2)
                finally:
                    a.close()
                    b.close()
                try:
                    with open(f"/proc/{v}/stat") as f:
                        state = f.read().rsplit(")", 1)[1].split()[0]
                except OSError:
                    state = "gone"
                return (state not in ("Z", "X", "gone"), None, f"victim state {state}")

        @attempt(f"proc_mem_{tag}")
        def _():
            with open(f"/proc/{v}/mem", "rb") as f:
                f.read(1)
            return (False, None, "opened /proc/PID/mem")

        @attempt(f"setpgid_join_{tag}", "setpgid")
        def _():
            def body():
                r, e = sys_call("setpgid", 0, os.getpgid(v))
                return (strictly_denied(r, e), e, f"= {r}")
            return in_child(body)

    # the whole uid (PID 1 runs under it too)
    @attempt("setpriority_user", "setpriority")
    def _():
        r, e = sys_call("setpriority", 2, uid, 19)  # PRIO_USER
        return (strictly_denied(r, e), e, f"= {r}")

    @attempt("ioprio_user", "ioprio_set")
    def _():
        r, e = sys_call("ioprio_set", 3, uid, 3 << 13)  # WHO_USER
        return (strictly_denied(r, e), e, f"= {r}")

    @attempt("process_madvise_self", "process_madvise")
    def _():
        pfd, e0 = sys_call("pidfd_open", me, 0)
        iov = struct.pack("PN", id(RESULTS) & ~4095, 4096)
        r, e = sys_call("process_madvise", pfd, iov, 1, 20, 0)  # MADV_COLD
        if pfd >= 0:
            os.close(pfd)
        return (strictly_denied(r, e), e, f"= {r}")

    @attempt("process_mrelease_self", "process_mrelease")
    def _():
        pfd, e0 = sys_call("pidfd_open", me, 0)
        r, e = sys_call("process_mrelease", pfd, 0)
        if pfd >= 0:
            os.close(pfd)
        return (strictly_denied(r, e), e, f"= {r}")

    # What a server does to itself keeps working.
    def own_thread_affinity():
        box = {}

        def t():
            box["r"] = sys_call("sched_setaffinity", threading.get_native_id(), 8,
                                struct.pack("Q", (1 << os.cpu_count()) - 1))
        th = threading.Thread(target=t)
        th.start()
        th.join()
        return box["r"][0] == 0
    control("own_thread_affinity", own_thread_affinity)
    control("own_affinity_pid0", lambda: sys_call("sched_setaffinity", 0, 8,
                                                  struct.pack("Q", (1 << os.cpu_count()) - 1))[0] == 0)
    control("own_prlimit_by_pid", lambda: sys_call("prlimit64", me, resource.RLIMIT_NOFILE,
                                                   None, ctypes.create_string_buffer(16))[0] == 0)
    control("own_nice", lambda: sys_call("setpriority", 0, 0, 1)[0] == 0)
    control("socketpair", lambda: socket.socketpair() is not None)

    # ---- exec without a path, and the loader -----------------------------
    target = exec_target()
    argv = argv_array(target or "/usr/bin/id")

    @attempt("memfd_execveat_empty_path", "execveat")
    def _():
        def body():
            fd = memfd_with(target, 0)
            r, e = sys_call("execveat", fd, b"", argv, argv_array(), 0x1000)
            return (e in BLOCKING, e, f"= {r}")
        return exec_verdict(body)

    @attempt("memfd_proc_self_fd", "execve")
    def _():
        def body():
            fd = memfd_with(target, 0)
            os.execv(f"/proc/self/fd/{fd}", ["id"])
        return exec_verdict(body)

    @attempt("fexecve_memfd", "execveat")
    def _():
        def body():
            fd = memfd_with(target, 0)
            os.execve(fd, ["id"], {})
        return exec_verdict(body)

    @attempt("memfd_mfd_exec", "memfd_create")
    def _():
        r, e = sys_call("memfd_create", b"x", 0x10 | 1)  # MFD_EXEC | MFD_CLOEXEC
        if r >= 0:
            os.close(r)
        return (strictly_denied(r, e), e, f"= {r}")

    @attempt("memfd_made_executable")
    def _():
        fd = os.memfd_create("x", 1)
        try:
            os.fchmod(fd, 0o755)
            return (os.stat(f"/proc/self/fd/{fd}").st_mode & 0o111 == 0, None, "fchmod +x worked")
        except OSError as e:
            return (e.errno in BLOCKING, e.errno, str(e))
        finally:
            os.close(fd)

    @attempt("loader_as_argv0", "execve")
    def _():
        def body():
            os.execv(LOADER, [LOADER, target])
        return exec_verdict(body)

    @attempt("exec_written_file", "execve")
    def _():
        def body():
            p = os.path.join(opts["tmp_dir"], "payload")
            with open(target, "rb") as f, open(p, "wb") as o:
                o.write(f.read())
            os.chmod(p, 0o755)
            os.execv(p, ["payload"])
        return exec_verdict(body)

    # Native code: shellcode in RWX memory (mov eax, 59; syscall; ret) calls
    # execve itself, below libc; the filter sees it all the same.
    @attempt("shellcode_execve", "execve")
    def _():
        def body():
            import mmap
            m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
            m.write(b"\xb8\x3b\x00\x00\x00\x0f\x05\xc3")
            addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
            fn = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_char_p, ctypes.c_void_p,
                                  ctypes.c_void_p)(addr)
            r = fn(target.encode(), ctypes.cast(argv, ctypes.c_void_p),
                   ctypes.cast(argv_array(), ctypes.c_void_p))
            return (-r in BLOCKING, -r, f"raw execve = {r}")
        return exec_verdict(body)

    # ---- protocols and families beyond TCP --------------------------------
    def sock_denied(family, type_, proto=0, then=None):
        try:
            s = socket.socket(family, type_, proto)
        except OSError as e:
            return (e.errno == errno.EPERM, e.errno, str(e))
        try:
            if then:
                then(s)
        except OSError as e:
            return (False, e.errno, f"socket created, then {e}")
        finally:
            s.close()
        return (False, None, "socket created")

    mport = opts["metrics_port"]

    @attempt("mptcp_connect", "socket")
    def _():
        return sock_denied(socket.AF_INET, socket.SOCK_STREAM, 262,
                           lambda s: (s.settimeout(2), s.connect(("127.0.0.1", mport))))

    @attempt("mptcp_listen_any_port", "socket")
    def _():
        return sock_denied(socket.AF_INET, socket.SOCK_STREAM, 262,
                           lambda s: (s.bind(("127.0.0.1", opts["port"] + 7)), s.listen()))

    @attempt("mptcp6_connect", "socket")
    def _():
        return sock_denied(socket.AF_INET6, socket.SOCK_STREAM, 262,
                           lambda s: (s.settimeout(2), s.connect(("::1", mport))))

    for name, fam, typ, proto in (
            ("sctp_stream", socket.AF_INET, socket.SOCK_STREAM, 132),
            ("sctp_seqpacket", socket.AF_INET, socket.SOCK_SEQPACKET, 132),
            ("ipproto_smc", socket.AF_INET, socket.SOCK_STREAM, 256),
            ("udplite", socket.AF_INET, socket.SOCK_DGRAM, 136),
            ("dccp", socket.AF_INET, 6, 33),
            ("icmp_ping", socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP),
            ("icmp6_ping", socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_ICMPV6),
            ("raw6", socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6),
            ("af_smc", 43, socket.SOCK_STREAM, 0),
            ("af_vsock", 40, socket.SOCK_STREAM, 0),
            ("af_xdp", 44, socket.SOCK_RAW, 0),
            ("af_alg", 38, socket.SOCK_SEQPACKET, 0),
            ("af_key", 15, socket.SOCK_RAW, 2),
            ("af_tipc", 30, socket.SOCK_RDM, 0),
            ("af_rds", 21, socket.SOCK_SEQPACKET, 0),
            ("af_can", 29, socket.SOCK_RAW, 1),
            ("af_bluetooth", 31, socket.SOCK_STREAM, 0),
            ("af_qipcrtr", 42, socket.SOCK_DGRAM, 0),
            ("packet_dgram", 17, socket.SOCK_DGRAM, 0),
            ("netlink_route", socket.AF_NETLINK, socket.SOCK_RAW, 0),
            ("netlink_diag", socket.AF_NETLINK, socket.SOCK_RAW, 4),
            ("unix_stream", socket.AF_UNIX, socket.SOCK_STREAM, 0)):
        @attempt(f"socket_{name}", "socket")
        def _(fam=fam, typ=typ, proto=proto):
            return sock_denied(fam, typ, proto)

    @attempt("socketpair_inet", "socketpair")
    def _():
        try:
            a, b = socket.socketpair(socket.AF_INET, socket.SOCK_STREAM)
        except OSError as e:
            return (e.errno in (errno.EPERM, errno.EOPNOTSUPP), e.errno, str(e))
        return (False, None, "created")

    uport = opts.get("udp_port", 0)
    for name, fam, addr in (("udp4_sendto", socket.AF_INET, ("127.0.0.1", uport)),
                            ("udp6_sendto", socket.AF_INET6, ("::1", uport)),
                            ("udp_dns_shaped", socket.AF_INET, ("127.0.0.1", 53))):
        @attempt(name, "socket")
        def _(fam=fam, addr=addr):
            return sock_denied(fam, socket.SOCK_DGRAM, 0,
                               lambda s: s.sendto(b"\x12\x34\x01\x00\x00\x01" + b"exfil", addr))

    upath = opts.get("unix_path")
    if upath:
        @attempt("unix_pathname_connect", "socket")
        def _():
            return sock_denied(socket.AF_UNIX, socket.SOCK_STREAM, 0,
                               lambda s: (s.connect(upath), s.sendall(b"exfil")))

        @attempt("unix_pathname_dgram", "socket")
        def _():
            return sock_denied(socket.AF_UNIX, socket.SOCK_DGRAM, 0,
                               lambda s: s.sendto(b"exfil", upath + ".dgram"))

    @attempt("unix_abstract_connect", "socket")
    def _():
        return sock_denied(socket.AF_UNIX, socket.SOCK_STREAM, 0,
                           lambda s: (s.connect("\0ward-redteam"), s.sendall(b"exfil")))

    # listen() without bind() autobinds an ephemeral port, past Landlock's
    # bind rule: refused, or the harness tries to reach it from outside.
    @attempt("listen_unbound")
    def _():
        s = socket.socket()
        try:
            s.listen()
        except OSError as e:
            s.close()
            return (e.errno in (errno.EADDRINUSE, errno.EPERM, errno.EACCES), e.errno, str(e))
        KEEP.append(s)
        return (False, None, f"port {s.getsockname()[1]}")
    RESULTS["listen_unbound"]["port"] = KEEP[-1].getsockname()[1] if KEEP else 0

    @attempt("listen_unbound6")
    def _():
        s = socket.socket(socket.AF_INET6)
        try:
            s.listen()
        except OSError as e:
            s.close()
            return (e.errno in (errno.EADDRINUSE, errno.EPERM, errno.EACCES), e.errno, str(e))
        KEEP.append(s)
        return (False, None, f"port {s.getsockname()[1]}")

    # ---- hijack ward-init's notifications with a listener of our own -------
    @attempt("seccomp_listener_hijack", "seccomp")
    def _():
        def body():
            # ld nr; jeq personality -> notify; allow
            insns = [(0x20, 0, 0, 0), (0x15, 0, 1, 135), (0x06, 0, 0, 0x7fc00000),
                     (0x06, 0, 0, 0x7fff0000)]
            prog = b"".join(struct.pack("HBBI", *i) for i in insns)
            buf = ctypes.create_string_buffer(prog)
            fprog = struct.pack("HxxxxxxP", len(insns), ctypes.addressof(buf))
            r, e = sys_call("seccomp", 1, 8, fprog)  # SET_MODE_FILTER, NEW_LISTENER
            if r < 0:
                return (e in BLOCKING, e, f"seccomp listener = {r}")
            lfd = r

            def serve():
                req = ctypes.create_string_buffer(80)
                while True:
                    if LIBC.ioctl(lfd, 0xc0502100, req) != 0:
                        return
                    nid = struct.unpack_from("Q", req, 0)[0]
                    resp = ctypes.create_string_buffer(struct.pack("QqiI", nid, 0, 0, 1))
                    LIBC.ioctl(lfd, 0xc0182101, resp)
            threading.Thread(target=serve, daemon=True).start()
            r, e = libc_call(LIBC.personality, 0x0040000)
            return (r == -1 and e in BLOCKING, e, f"personality via own listener = {r}")
        return in_child(body)

    # ---- kernel surface beyond the first list ------------------------------
    @attempt("ptrace_traceme", "ptrace")
    def _():
        def body():
            r, e = sys_call("ptrace", 0, 0, 0, 0)
            return (strictly_denied(r, e), e, f"= {r}")
        return in_child(body)

    @attempt("clone_newuser", "clone")
    def _():
        def body():
            r, e = sys_call("clone", 0x10000000 | signal.SIGCHLD, 0, 0, 0, 0)
            if r == 0:
                os._exit(0)
            if r > 0:
                os.waitpid(r, 0)
            return (strictly_denied(r, e), e, f"= {r}")
        return in_child(body)

    # ENOSYS from the filter itself (libc then uses clone, whose flags it
    # sees): not a denial ward-init counts.
    @attempt("clone3")
    def _():
        args = struct.pack("QQQQQQQQ", 0x10000000, 0, 0, 0, signal.SIGCHLD, 0, 0, 0)
        r, e = sys_call("clone3", args, len(args))
        if r == 0:
            os._exit(0)
        return (r == -1 and e in (errno.ENOSYS, errno.EPERM), e, f"= {r}")

    @attempt("memfd_secret", "memfd_secret")
    def _():
        r, e = sys_call("memfd_secret", 0)
        if r >= 0:
            os.close(r)
        return (strictly_denied(r, e), e, f"= {r}")

    # Starve PID 1 from the server's own scheduling: real-time and negative
    # nice need limits the launch sets to 0 (refused in the kernel).
    @attempt("self_realtime")
    def _():
        r, e = sys_call("sched_setscheduler", 0, 1, struct.pack("i", 50))  # SCHED_FIFO
        return (denied(r, e), e, f"= {r}")

    @attempt("self_negative_nice")
    def _():
        r, e = sys_call("setpriority", 0, 0, -5)
        return (denied(r, e), e, f"= {r}")

    @attempt("syslog_read", "syslog")
    def _():
        buf = ctypes.create_string_buffer(4096)
        r, e = sys_call("syslog", 3, buf, 4096)
        return (strictly_denied(r, e), e, f"= {r}")

    @attempt("ioperm", "ioperm")
    def _():
        r, e = sys_call("ioperm", 0x80, 1, 1)
        return (strictly_denied(r, e), e, f"= {r}")

    @attempt("iopl", "iopl")
    def _():
        r, e = sys_call("iopl", 3)
        return (strictly_denied(r, e), e, f"= {r}")

    @attempt("modify_ldt", "modify_ldt")
    def _():
        buf = ctypes.create_string_buffer(16)
        r, e = sys_call("modify_ldt", 0, buf, 16)
        return (strictly_denied(r, e), e, f"= {r}")

    @attempt("personality_read_implies_exec", "personality")
    def _():
        r, e = libc_call(LIBC.personality, 0x0400000)
        return (r == -1 and e in BLOCKING, e, f"= {r}")

    @attempt("unshare_net", "unshare")
    def _():
        r, e = libc_call(LIBC.unshare, 0x40000000)
        return (r == -1 and e in BLOCKING, e, f"= {r}")

    # ---- logs: a line that looks like ward-init's --------------------------
    sys.stderr.write('{"ts":"2025-01-01T00:00:00.000Z","level":"info","event":"server_exited",'
                     '"fields":{"pid":1,"exit_code":0,"forged":"FORGED-BY-SERVER"}}\n')
    sys.stderr.flush()


def run_exec_allow(opts):
    """exec.allow lists the interpreter: the server may spawn it (workers),
    nothing else, however the exec is dressed up."""
    target = exec_target()
    me = sys.executable

    control("listed_interpreter_runs", lambda: subprocess.run(
        [me, "-c", "print(6*7)"], capture_output=True).stdout.strip() == b"42")

    @attempt("unlisted_binary", "execve")
    def _():
        return exec_verdict(lambda: os.execv(target, ["id"]))

    @attempt("loader_as_argv0", "execve")
    def _():
        return exec_verdict(lambda: os.execv(LOADER, [LOADER, target]))

    @attempt("loader_via_symlink_named_like_interpreter", "execve")
    def _():
        link = os.path.join(opts["tmp_dir"], "python3.11")
        try:
            os.unlink(link)
        except OSError:
            pass
        os.symlink(LOADER, link)
        return exec_verdict(lambda: os.execv(link, [link, target]))

    @attempt("memfd_proc_self_fd", "execve")
    def _():
        def body():
            fd = memfd_with(target, 0)
            os.execv(f"/proc/self/fd/{fd}", ["id"])
        return exec_verdict(body)

    @attempt("memfd_execveat_empty_path", "execveat")
    def _():
        def body():
            fd = memfd_with(target, 0)
            r, e = sys_call("execveat", fd, b"", argv_array("id"), argv_array(), 0x1000)
            return (e in BLOCKING, e, f"= {r}")
        return exec_verdict(body)

    @attempt("execveat_empty_path_listed", "execveat")
    def _():
        def body():
            fd = os.open(me, os.O_PATH)
            r, e = sys_call("execveat", fd, b"", argv_array("x", "-c", "print('ran')"),
                            argv_array(), 0x1000)
            return (e in BLOCKING, e, f"= {r}")
        return exec_verdict(body)

    @attempt("memfd_mfd_exec", "memfd_create")
    def _():
        r, e = sys_call("memfd_create", b"x", 0x10 | 1)
        if r >= 0:
            os.close(r)
        return (strictly_denied(r, e), e, f"= {r}")

    # A second thread flips the path between the interpreter and the loader
    # while the first execs: whatever the gate read, what runs is checked.
    @attempt("path_swap_race", "execve")
    def _():
        def body():
            good, bad = me.encode() + b"\0", LOADER.encode() + b"\0"
            args = argv_array("x", target)
            devnull = os.open("/dev/null", os.O_WRONLY)
            for _ in range(100):
                pid = os.fork()
                if pid == 0:
                    os.dup2(devnull, 2)
                    buf = ctypes.create_string_buffer(max(len(good), len(bad)) + 8)
                    ctypes.memmove(buf, good, len(good))

                    def flip():
                        while True:
                            ctypes.memmove(buf, bad, len(bad))
                            ctypes.memmove(buf, good, len(good))
                    threading.Thread(target=flip, daemon=True).start()
                    for _ in range(20):
                        LIBC.execve(buf, args, argv_array())
                    os._exit(3)
                os.waitpid(pid, 0)
            return (True, None, "no loader run reported")
        return exec_verdict(body)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"pong\n" if self.path == "/ping" else json.dumps(RESULTS).encode()
        if self.path not in ("/ping", "/results"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def modules():
    files = set()
    for m in list(sys.modules.values()):
        f = getattr(m, "__file__", None)
        if f:
            files.add(os.path.realpath(f))
    for f in sorted(files):
        print(f)


def main():
    if sys.argv[1:] == ["--modules"]:
        modules()
        return
    a = sys.argv[1:]
    opts = {"port": 8080, "metrics_port": 9090, "model_file": "", "app_dir": "/app",
            "tmp_dir": "/tmp"}
    for i in range(0, len(a), 2):
        key = a[i].lstrip("-").replace("-", "_")
        opts[key] = int(a[i + 1]) if key in ("port", "metrics_port", "udp_port") else a[i + 1]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", opts["port"]), Handler)
    if opts.get("mode") == "exec-allow":
        run_exec_allow(opts)
    else:
        run_attacks(opts)
        run_round2(opts)
    print("REDTEAM " + json.dumps(RESULTS, sort_keys=True), flush=True)
    print("CONTROLS " + json.dumps(CONTROLS, sort_keys=True), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
