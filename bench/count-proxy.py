#!/usr/bin/env python3
"""A TCP proxy that counts the bytes an upstream server sends back: bench/image.sh puts it in
front of a local registry to measure what initlint transfers.

usage: count-proxy.py LISTEN_PORT UPSTREAM_PORT COUNT_FILE
The running total is written to COUNT_FILE after every connection closes."""
import socket, sys, threading

listen, upstream, count_file = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
total = 0
lock = threading.Lock()


def pipe(src, dst, counted):
    global total
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if counted:
                with lock:
                    total += len(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        if counted:
            with lock, open(count_file, "w") as f:
                f.write(f"{total}\n")


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen))
server.listen(64)
while True:
    client, _ = server.accept()
    up = socket.create_connection(("127.0.0.1", upstream))
    threading.Thread(target=pipe, args=(client, up, False), daemon=True).start()
    threading.Thread(target=pipe, args=(up, client, True), daemon=True).start()
