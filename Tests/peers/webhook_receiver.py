#!/usr/bin/env python3
"""A webhook receiver on loopback for the tests, checking Standard Webhooks signatures on its own.

    webhook_receiver.py DIR [PORT]

Listens on 127.0.0.1 on a free port, written to DIR/port once it listens. Each POST is appended to DIR/received.jsonl
as {"id", "timestamp", "signature", "valid", "body"}: `valid` is whether webhook-signature holds an HMAC-SHA256 of
"{id}.{timestamp}.{body}" keyed with the base64 bytes of the secret in DIR/secret (whsec_...), computed here with
Python's hmac, independently of Touchbase. It answers the status in DIR/status (default 204) with a short body.
Only the standard library is used.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIR = sys.argv[1]


def read(name, default=""):
    try:
        with open(os.path.join(DIR, name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


def valid(msg_id, timestamp, body, header):
    secret = read("secret")
    if not secret.startswith("whsec_") or not header:
        return False
    key = base64.b64decode(secret[len("whsec_"):])
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()).decode()
    return any(part.startswith("v1,") and hmac.compare_digest(part[3:], expected) for part in header.split(" "))


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        msg_id = self.headers.get("webhook-id", "")
        timestamp = self.headers.get("webhook-timestamp", "")
        signature = self.headers.get("webhook-signature", "")
        record = {
            "id": msg_id, "timestamp": timestamp, "signature": signature,
            "valid": valid(msg_id, timestamp, body, signature), "body": json.loads(body or b"null"),
            "content_type": self.headers.get("Content-Type", ""),
        }
        with open(os.path.join(DIR, "received.jsonl"), "a") as f:
            f.write(json.dumps(record) + "\n")
        status = int(read("status", "204") or "204")
        answer = b"" if status == 204 else f"status {status}".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 0), Handler)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()
