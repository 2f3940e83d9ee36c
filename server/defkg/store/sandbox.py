"""The query workers' network sandbox: a network namespace that holds only the SERVICE relay.

The SERVICE check (``defkg.web.scan``) decides which endpoints a query may call; this module
makes sure that a query the check misread still reaches nothing. Each query worker, as soon
as it starts and before it opens the store or starts a thread, moves into a network namespace
of its own (``unshare(CLONE_NEWNET)``; with ``CLONE_NEWUSER`` too where an unprivileged user
may create user namespaces). A new namespace has only a loopback interface, and it is down:
the worker brings it up (an ``SIOCSIFFLAGS`` ioctl) and listens on
``127.0.0.1:RELAY_PORT`` there, passing each connection to the relay's Unix socket in the web
process — a filesystem socket, which is reachable across network namespaces, so it is the
only way out. ``connect()`` to any other address fails with ENETUNREACH (or is refused on the
private loopback); DNS fails the same way.

Where no namespace can be made (an unprivileged user without user namespaces, a container
that forbids ``unshare``), :func:`isolate` returns the reason; the pool then reports the
workers as not sandboxed and the endpoint switches SERVICE off (``docs/query-sandbox.md``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import socket
import struct
import threading

from defkg.store.service_relay import RELAY_PORT

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
#: struct ifreq: the interface name, then (in the union) the flags as a short
_IFREQ = "16sH22x"


#: The refusal of a SERVICE query where the workers run without the sandbox.
SERVICE_OFF = (
    "SERVICE is switched off on this server: its query workers cannot be isolated from the "
    "network (the service description says why)"
)


def service_off_reason(executor: object) -> str | None:
    """Why SERVICE is off for queries run by ``executor`` (a started query pool whose
    workers are not isolated), or None when it is on or not yet known."""
    isolation = getattr(executor, "isolation", None)
    if isolation is None or isolation[0]:
        return None
    return f"SERVICE is switched off: the query workers are not isolated: {isolation[1]}"


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(ctypes.c_int(flags)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def _map_own_ids() -> None:
    """In a new user namespace: keep our own uid and gid (files stay readable as before)."""
    uid, gid = os.getuid(), os.getgid()
    with open("/proc/self/setgroups", "w") as setgroups:
        setgroups.write("deny")
    with open("/proc/self/uid_map", "w") as uid_map:
        uid_map.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as gid_map:
        gid_map.write(f"{gid} {gid} 1")


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack(_IFREQ, b"lo", 0)
        flags = struct.unpack(_IFREQ, fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack(_IFREQ, b"lo", flags | _IFF_UP))


def _namespace() -> str:
    return os.readlink("/proc/self/ns/net")


def enter_network_namespace() -> str:
    """Move this process into a new network namespace with its loopback up.

    Returns how (``network namespace`` or ``user + network namespace``); raises OSError when
    neither is permitted. Call it while the process has a single thread: a new user
    namespace needs that, and threads started later inherit the namespace.
    """
    before = _namespace()
    try:
        _unshare(CLONE_NEWNET)
        how = "network namespace"
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.EACCES, errno.EINVAL):
            raise
        _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        _map_own_ids()
        how = "user + network namespace"
    if _namespace() == before:
        raise OSError("unshare returned but the network namespace did not change")
    _loopback_up()
    return how


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock, how in ((sink, socket.SHUT_WR), (source, socket.SHUT_RD)):
            with contextlib.suppress(OSError):
                sock.shutdown(how)


def _forward(client: socket.socket, relay_socket: str) -> None:
    with client:
        try:
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(relay_socket)
        except OSError:
            return  # the engine sees a closed connection: the SERVICE call fails
        with upstream:
            back = threading.Thread(target=_pump, args=(upstream, client), daemon=True)
            back.start()
            _pump(client, upstream)
            back.join()


def start_forwarder(relay_socket: str) -> socket.socket:
    """Listen on ``127.0.0.1:RELAY_PORT`` (inside the namespace) and pass each connection to
    the relay's Unix socket; returns the listening socket."""
    listener = socket.create_server(("127.0.0.1", RELAY_PORT), backlog=64)

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_forward, args=(client, relay_socket), daemon=True).start()

    threading.Thread(target=accept, name="defkg-relay-forwarder", daemon=True).start()
    return listener


def isolate(relay_socket: str | None) -> tuple[bool, str]:
    """Sandbox this worker: (True, how) or (False, why not). With a relay socket, the
    forwarder to it is started inside the namespace."""
    try:
        how = enter_network_namespace()
    except OSError as error:
        return False, f"cannot create a network namespace ({error.strerror or error})"
    if relay_socket:
        try:
            start_forwarder(relay_socket)
        except OSError as error:
            return False, f"cannot listen for the SERVICE relay in the namespace ({error})"
    return True, how
