"""The HTTP front of ``defkg serve`` (``server/defkg/front.py``) speaks HTTP/1.1 as clients
expect of it, over raw sockets against the server started as the README starts it:
pipelined requests answered in order, HEAD, chunked and ``Expect: 100-continue`` bodies,
HTTP/1.0, and plain-text refusals of what cannot be read."""

from __future__ import annotations

import http.client
import io
import json
import socket
import urllib.parse

from conftest import ServerProcess

ASK = "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})


class _KeptOpen(io.BufferedReader):
    """http.client closes a response's file once its body is read: not this shared one."""

    def close(self) -> None:
        pass


class _Responses:
    """Responses read one after another from one connection (one buffer for all, so that a
    response never swallows the start of the next)."""

    def __init__(self, sock: socket.socket) -> None:
        self.file = _KeptOpen(socket.SocketIO(sock, "rb"))

    def makefile(self, *_args: object, **_kwargs: object):
        return self.file

    def next(self, method: str = "GET") -> http.client.HTTPResponse:
        response = http.client.HTTPResponse(self, method=method)  # type: ignore[arg-type]
        response.begin()
        return response


def _connect(server: ServerProcess) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    return sock


def test_pipelined_requests_are_answered_in_order(sparql_server: ServerProcess) -> None:
    with _connect(sparql_server) as sock:
        requests = [
            f"GET {ASK} HTTP/1.1\r\nHost: x\r\nAccept: application/sparql-results+json\r\n\r\n",
            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
            f"GET {ASK} HTTP/1.1\r\nHost: x\r\nAccept: text/csv\r\n\r\n",
        ]
        sock.sendall("".join(requests).encode())  # all three before any answer is read
        responses = _Responses(sock)
        first = responses.next()
        assert first.status == 200 and json.loads(first.read())["boolean"] is True
        second = responses.next()
        assert second.status == 200 and second.read()
        third = responses.next()
        assert third.status == 200 and third.getheader("Content-Type").startswith("text/csv")
        assert third.read().split() == [b"_askResult", b"true"]


def test_head_sends_the_headers_of_get_and_no_body(sparql_server: ServerProcess) -> None:
    with _connect(sparql_server) as sock:
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        responses = _Responses(sock)
        head = responses.next("HEAD")
        assert head.status == 200
        assert int(head.getheader("Content-Length")) > 0
        assert head.getheader("Content-Type").startswith("text/html")
        assert head.read() == b""
        after = responses.next()  # had HEAD carried a body, this would not parse
        assert after.status == 200


def test_a_chunked_body_and_expect_100_continue(sparql_server: ServerProcess) -> None:
    query = b"ASK { ?s ?p ?o }"
    with _connect(sparql_server) as sock:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Accept: application/sparql-results+json\r\nTransfer-Encoding: chunked\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        sock.sendall(b"%x\r\n%s\r\n0\r\n\r\n" % (len(query), query))
        answer = _Responses(sock).next()
        assert answer.status == 200
        assert json.loads(answer.read())["boolean"] is True


def test_http_1_0_is_closed_after_its_answer(sparql_server: ServerProcess) -> None:
    with _connect(sparql_server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        answer = _Responses(sock).next()
        assert answer.status == 200
        assert answer.getheader("Connection") == "close"
        answer.read()
        assert sock.recv(1) == b""


def test_what_cannot_be_read_is_a_plain_400_and_the_connection_closes(
    sparql_server: ServerProcess,
) -> None:
    with _connect(sparql_server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost x\r\n\r\n")  # a header without a colon
        answer = _Responses(sock).next()
        assert answer.status == 400
        assert answer.getheader("Content-Type").startswith("text/plain")
        assert answer.getheader("Access-Control-Allow-Origin") == "*"
        assert b"could not be read" in answer.read()
        assert sock.recv(1) == b""


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
    sparql_server: ServerProcess,
) -> None:
    with _connect(sparql_server) as sock:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 1000000000\r\n\r\nASK {"
        )
        answer = _Responses(sock).next()
        assert answer.status == 413
        assert answer.getheader("Content-Type").startswith("text/plain")
        assert b"larger than" in answer.read()
