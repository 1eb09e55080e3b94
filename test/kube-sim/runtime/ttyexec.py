# kube-sim's TTY for exec: runs argv on a pseudo-terminal, relays stdin/stdout, and applies
# "COLS ROWS" lines read from fd 3 as window-size changes (SIGWINCH reaches the program).
import fcntl, os, pty, select, signal, struct, sys, termios

argv = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)

def resize(cols, rows):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    try:
        os.kill(pid, signal.SIGWINCH)
    except OSError:
        pass

ctl = 3
buf = b''
inputs = [0, fd, ctl]
while True:
    try:
        r, _, _ = select.select(inputs, [], [])
    except InterruptedError:
        continue
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if not data:
            break
        os.write(1, data)
    if 0 in r:
        data = os.read(0, 65536)
        if data:
            os.write(fd, data)
        else:
            inputs.remove(0)
    if ctl in r:
        data = os.read(ctl, 4096)
        if not data:
            inputs.remove(ctl)
        buf += data
        while b'\n' in buf:
            line, buf = buf.split(b'\n', 1)
            parts = line.split()
            if len(parts) == 2:
                resize(int(parts[0]), int(parts[1]))
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, 'waitstatus_to_exitcode') else (status >> 8))
