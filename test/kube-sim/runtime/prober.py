"""
kube-sim's probe runner: runs exec readiness probes for the pod runtime (runtime/prober.ts).
Why a separate process: every spawn from the kube-sim process forks a large Node heap, and with
60 pods probed every 2 s those forks took two thirds of kube-sim's CPU (the API server's own
event loop); forking from this small process costs little. Protocol: one JSON request per line
on stdin {id, argv, cwd, env, uid, gid, timeoutMs}; one JSON answer per line on stdout
{id, code, out, timedOut, error}. Each probe runs in its own session (killed as a group on timeout),
with stdout and stderr together, the last 10 KiB kept, as the kubelet's exec prober reports.
"""
import json, os, signal, subprocess, sys, threading

lock = threading.Lock()

def answer(msg):
    with lock:
        sys.stdout.write(json.dumps(msg) + "\n")
        sys.stdout.flush()

def run(req):
    rid = req["id"]
    try:
        p = subprocess.Popen(req["argv"], cwd=req.get("cwd"), env=req.get("env"),
                             user=req.get("uid"), group=req.get("gid"), extra_groups=[] if req.get("gid") is not None and os.getuid() == 0 else None,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    except Exception as e:  # no such file, permission
        answer({"id": rid, "error": str(e)})
        return
    try:
        out, _ = p.communicate(timeout=req["timeoutMs"] / 1000)
        answer({"id": rid, "code": p.returncode, "out": out[-10240:].decode("utf-8", "replace")})
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.communicate()
        answer({"id": rid, "timedOut": True})

for line in sys.stdin:
    if line.strip():
        threading.Thread(target=run, args=(json.loads(line),), daemon=True).start()
