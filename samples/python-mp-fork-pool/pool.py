"""A multiprocessing fork pool where some workers hang on a lock a thread held at fork.

The pool forks its two first workers while LOCK is free; each runs one (slow) task and exits
(maxtasksperchild=1). Meanwhile a thread of the parent takes LOCK and keeps it. The pool's
worker-handler thread forks replacements for the workers that exit: those are forked while LOCK
is held, inherit it locked, and block forever in `with LOCK` (a FUTEX_WAIT_BITSET_PRIVATE on the
lock's semaphore word, 0 = taken). Two workers finish, two hang, and map() never returns.
"""
import multiprocessing
import threading
import time

LOCK = threading.Lock()


def work(n):
    if n < 2:
        time.sleep(1)  # the first workers are still busy when the parent's thread takes LOCK
    with LOCK:
        return n * n


def hold_lock():
    LOCK.acquire()
    time.sleep(3600)


def main():
    pool = multiprocessing.get_context("fork").Pool(2, maxtasksperchild=1)
    result = pool.map_async(work, range(4), chunksize=1)
    threading.Thread(target=hold_lock, daemon=True).start()
    print("results:", result.get(), flush=True)


if __name__ == "__main__":
    main()
