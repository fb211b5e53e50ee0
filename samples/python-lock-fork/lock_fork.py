"""A thread holds a threading.Lock while the main thread calls os.fork(): the child inherits the
lock taken and blocks forever acquiring it; the parent waits forever in os.waitpid. A second thread
contends for the lock before the fork, so the parent's trace shows who held it."""
import os
import threading
import time

lock = threading.Lock()


def holder():
    with lock:
        time.sleep(0.4)


def contender():
    time.sleep(0.05)
    with lock:
        pass


threading.Thread(target=holder).start()
time.sleep(0.01)
threading.Thread(target=contender).start()
time.sleep(0.1)
pid = os.fork()
if pid == 0:
    lock.acquire()
    os._exit(0)
os.waitpid(pid, 0)
