"""
kube-sim's exec spawner (runtime/spawner.ts): starts the processes behind non-tty exec streams.
Why a separate process: Node's spawn forks kube-sim's whole heap and blocks the API server's event
loop until the child has exec'd (tens of ms each, more on a busy machine); 50 key installs a second
(the claims benchmark) queued every other request behind those forks. Forking from this small
process costs little and blocks nothing of the API server's.

One Unix-socket connection per process. The client sends one JSON line
{argv, cwd, env, uid, gid}, then frames; this side answers with frames. A frame is a channel byte,
a 4-byte big-endian length, then the data.
  client -> here: 0 stdin data (length 0: stdin closed), 9 a signal number (ASCII) for the group
  here -> client: "p" the pid (ASCII; the process leads its own session, so -pid is its group),
                  "e" a spawn failure "ERRNO-NAME message", 1 stdout, 2 stderr,
                  3 the exit: the code, or -N for a signal N (ASCII), sent after stdout and stderr ended
"""
import errno, json, os, signal, socket, socketserver, struct, subprocess, sys, threading


def frame(ch, data):
    return bytes([ch]) + struct.pack(">I", len(data)) + data


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except OSError:  # the stream ended and its socket was closed under us
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        lock = threading.Lock()

        def send(ch, data):
            with lock:
                try:
                    sock.sendall(frame(ch, data))
                except OSError:
                    pass

        header = b""
        while not header.endswith(b"\n"):
            c = sock.recv(1)
            if not c:
                return
            header += c
        req = json.loads(header)
        gid = req.get("gid")
        try:
            p = subprocess.Popen(req["argv"], cwd=req.get("cwd"), env=req.get("env"),
                                 user=req.get("uid"), group=gid,
                                 extra_groups=[] if gid is not None and os.getuid() == 0 else None,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 start_new_session=True)
        except OSError as e:
            name = errno.errorcode.get(e.errno or 0, "EIO")
            send(ord("e"), f"{name} {e.strerror or e}".encode())
            return
        except Exception as e:  # bad uid and the like
            send(ord("e"), f"EINVAL {e}".encode())
            return
        send(ord("p"), str(p.pid).encode())

        def pump(src, ch):
            while True:
                data = os.read(src.fileno(), 65536)
                if not data:
                    break
                send(ch, data)

        readers = [threading.Thread(target=pump, args=(p.stdout, 1), daemon=True),
                   threading.Thread(target=pump, args=(p.stderr, 2), daemon=True)]
        for t in readers:
            t.start()

        def from_client():
            stdin_open = True
            while True:
                head = recv_exact(sock, 5)
                if head is None:
                    break
                ch, n = head[0], struct.unpack(">I", head[1:])[0]
                data = recv_exact(sock, n) if n else b""
                if data is None:
                    break
                if ch == 0 and stdin_open:
                    try:
                        if n:
                            p.stdin.write(data)
                            p.stdin.flush()
                        else:
                            p.stdin.close()
                            stdin_open = False
                    except (BrokenPipeError, ValueError, OSError):
                        stdin_open = False
                elif ch == 9:
                    try:
                        os.killpg(p.pid, int(data))
                    except (ProcessLookupError, PermissionError, ValueError):
                        pass
            # The client went away: the stream is over, so is the process (as a closed exec stream).
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

        threading.Thread(target=from_client, daemon=True).start()
        for t in readers:
            t.join()
        code = p.wait()
        send(3, str(code).encode())


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    # socketserver's default backlog is 5: 50 execs arriving at once would be refused (EAGAIN).
    request_queue_size = 1024


if __name__ == "__main__":
    # Ctrl-C in a terminal reaches this helper too; the sim decides when it stops (it closes stdin).
    # A handler that does nothing, not SIG_IGN: an ignored signal stays ignored in every process
    # started from here (exec keeps SIG_IGN), and a process in a pod must get Ctrl-C as usual.
    signal.signal(signal.SIGINT, lambda *_: None)
    path = sys.argv[1]
    server = Server(path, Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.read()  # until the sim closes our stdin or exits
    server.shutdown()
    try:
        os.unlink(path)
    except OSError:
        pass
