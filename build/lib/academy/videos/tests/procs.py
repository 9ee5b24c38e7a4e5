"""Children of the test process, read from /proc: proof that no ffmpeg is left behind."""
import os


def child_processes() -> list[tuple[int, str, str]]:
    """Return (pid, name, state) of this process's children, zombies included."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # exited meanwhile
        name = stat[stat.index("(") + 1: stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if int(ppid) == os.getpid():
            children.append((int(entry), name, state))
    return children
