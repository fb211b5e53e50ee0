"""A pipe inherited by a fork-started helper: main makes a pipe for a result, starts a
multiprocessing helper with the fork start method (it inherits every descriptor, the pipe's write
end included, and waits for main's "stop" message on a multiprocessing.Pipe), then writes its
result, closes its write end and reads the pipe to end of file. End of file never comes: the
helper still holds the write end, so main blocks in read() forever, and the helper in recv() on
the connection main never writes to. Main prints its pid, the helper's pid and the pipe's fds."""
import multiprocessing
import os


def helper(conn):
    conn.recv()  # "stop", sent after main has read everything: never


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    r, w = os.pipe()
    parent_end, child_end = multiprocessing.Pipe()
    process = multiprocessing.Process(target=helper, args=(child_end,))
    process.start()
    print(f"main {os.getpid()} helper {process.pid} pipe read fd {r} write fd {w}", flush=True)
    os.write(w, b"result\n")
    os.close(w)
    while os.read(r, 64):
        pass
    parent_end.send("stop")
    process.join()
