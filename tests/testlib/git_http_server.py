#!/usr/bin/env python3
"""A Git server over HTTPS (or HTTP) for tests: git's own http-backend behind Basic auth.

Serves every repository under --root at https://127.0.0.1:PORT/NAME (smart HTTP). Requests
without the right user and password get 401, as a private repository's host answers; every
request is logged to stderr as "METHOD PATH STATUS user=NAME".

usage: git_http_server.py --root DIR --port N --user U --password P [--cert PEM --key PEM]
"""
import argparse
import base64
import http.server
import os
import ssl
import subprocess
import sys

BACKEND = "/usr/lib/git-core/git-http-backend"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    expected = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *values):
            pass

        def body(self):
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()
            return self.rfile.read(int(self.headers.get("Content-Length", "0")))

        def answer(self, status, headers, payload):
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def serve(self):
            payload = self.body()
            user = ""
            if self.headers.get("Authorization") != expected:
                print(f"{self.command} {self.path} 401 user=", file=sys.stderr, flush=True)
                self.answer(401, [("WWW-Authenticate", 'Basic realm="git"')], b"")
                return
            user = args.user
            path, _, query = self.path.partition("?")
            env = dict(os.environ, GIT_PROJECT_ROOT=args.root, GIT_HTTP_EXPORT_ALL="1",
                       PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD=self.command,
                       CONTENT_TYPE=self.headers.get("Content-Type", ""),
                       CONTENT_LENGTH=str(len(payload)), REMOTE_USER=user,
                       REMOTE_ADDR="127.0.0.1", GIT_HTTP_MAX_REQUEST_BUFFER="100M")
            out = subprocess.run([BACKEND], input=payload, env=env, capture_output=True).stdout
            head, _, rest = out.partition(b"\r\n\r\n")
            status, headers = 200, []
            for line in head.decode().split("\r\n"):
                name, _, value = line.partition(":")
                if name.lower() == "status":
                    status = int(value.strip().split()[0])
                elif name:
                    headers.append((name, value.strip()))
            print(f"{self.command} {path} {status} user={user}", file=sys.stderr, flush=True)
            self.answer(status, headers, rest)

        do_GET = serve
        do_POST = serve

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"listening on {args.port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
