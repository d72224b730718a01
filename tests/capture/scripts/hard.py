# hard.py - a program that ends or behaves in a way a tracer finds hard, chosen by argv[1]:
#   raises      an uncaught exception (status 1, a traceback on stderr)
#   os_exit     os._exit(7) in the middle of its work
#   segv        a crash: SIGSEGV from reading address 0
#   fork        fork(): the child allocates and exits 5, the parent waits and reports it
#   threads     four threads allocating at once
#   subprocess  `sh -c true` and a Python subprocess, which must run plain
#   exec        os.execv of `sh -c 'exit 4'`, which is not followed
import os
import sys


def work(n):
    rows = [{"n": i, "s": str(i) * 3} for i in range(n)]
    return sum(len(r["s"]) for r in rows)


def raises():
    work(2000)
    raise ValueError("hard.py raises on purpose")


def os_exit():
    print("before os._exit", work(2000), flush=True)
    os._exit(7)


def segv():
    import ctypes
    print("before the crash", work(2000), flush=True)
    ctypes.string_at(0)


def fork():
    work(1000)
    pid = os.fork()
    if pid == 0:
        work(3000)
        os._exit(5)
    _, status = os.waitpid(pid, 0)
    print("child exit", os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)
    print("parent", work(1000))


def threads():
    import threading
    totals = []

    def run(k):
        totals.append(sum(work(300 + k) for _ in range(20)))

    ts = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("threads", sorted(totals))


def subprocess_():
    import subprocess
    print("sh", subprocess.run(["sh", "-c", "true"]).returncode)
    out = subprocess.run([sys.executable, "-c", "print(sum(range(100)))"], capture_output=True, text=True)
    print("python child", out.returncode, out.stdout.strip(), repr(out.stderr))
    print("parent", work(1000))


def exec_():
    print("before exec", work(1000), flush=True)
    os.execv("/bin/sh", ["sh", "-c", "exit 4"])


CASES = {"raises": raises, "os_exit": os_exit, "segv": segv, "fork": fork, "threads": threads,
         "subprocess": subprocess_, "exec": exec_}
CASES[sys.argv[1]]()
