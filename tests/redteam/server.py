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

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.syscall.restype = ctypes.c_long

# x86_64 syscall numbers (the tests run there; ward-init kills other arches).
NR = {"execveat": 322, "io_uring_setup": 425, "pidfd_open": 434, "tgkill": 234,
      "process_vm_readv": 310, "userfaultfd": 323, "bpf": 321, "perf_event_open": 298,
      "keyctl": 250, "setns": 308}
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
        opts[key] = int(a[i + 1]) if key in ("port", "metrics_port") else a[i + 1]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", opts["port"]), Handler)
    run_attacks(opts)
    print("REDTEAM " + json.dumps(RESULTS, sort_keys=True), flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
