#!/usr/bin/env python3
"""Captures what the real AWS CLI sends, as SigV4 fixtures for sigv4_test.

Listens on 127.0.0.1:PORT, answers every call with an empty ECS reply, and writes each request
exactly as received (request line, headers, body) with the receive time as `now` into
OUT_DIR/sigv4_cli_<operation>.txt, in the format sigv4_test.cc reads. Stop it with Ctrl-C.

  python3 api/ecs/testdata/sigv4_capture.py 38517 /tmp/captures &
  AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=secret AWS_CONFIG_FILE=/dev/null \\
    aws ecs describe-clusters --clusters a b --region eu-west-3 \\
    --endpoint-url http://127.0.0.1:38517

The secret is not on the wire: pass it with --secret if it is not `secret`.
"""

import argparse
import http.server
import json
import os
import re
import subprocess
import time

REPLIES = {"ListClusters": {"clusterArns": []}, "ListServices": {"serviceArns": []}}


def cli_version():
    try:
        out = subprocess.run(["aws", "--version"], capture_output=True, text=True, timeout=30)
        return (out.stdout or out.stderr).split()[0]
    except Exception:  # noqa: BLE001 - the version is only a comment
        return "aws-cli"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("out_dir")
    parser.add_argument("--secret", default="secret")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    version = cli_version()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            now = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            operation = self.headers.get("X-Amz-Target", "Unknown").split(".")[-1]
            auth = self.headers.get("Authorization", "")
            key = re.search(r"Credential=([^/]+)/\d+/([^/]+)/", auth)
            snake = re.sub(r"(?<!^)([A-Z])", r"_\1", operation).lower()
            with open(os.path.join(args.out_dir, "sigv4_cli_%s.txt" % snake), "wb") as f:
                f.write(("# A request exactly as the real AWS CLI (%s) sent it, written down on\n"
                         "# receipt by sigv4_capture.py; `now` is the receiver's clock then.\n"
                         "# Header lines end in LF here (CRLF on the wire); the body is\n"
                         "# Content-Length bytes.\n" % version).encode())
                f.write(("=== cli-%s\naccess_key_id: %s\nsecret: %s\nnow: %s\nregion: %s\n"
                         "--- request\n" % (snake.replace("_", "-"), key.group(1) if key else "",
                                            args.secret, now, key.group(2) if key else "")).encode())
                f.write(self.raw_requestline.rstrip(b"\r\n") + b"\n")
                for name, value in self.headers.raw_items():
                    f.write(("%s: %s\n" % (name, value)).encode("latin-1"))
                f.write(b"\n" + body + b"\n")
            reply = json.dumps(REPLIES.get(operation, {"clusters": [], "failures": []})).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_GET = do_POST

    http.server.HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
