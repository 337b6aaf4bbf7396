"""A static file server for the ingestion fixtures, with byte ranges and failure injection.

GET/HEAD /<path>                     the file under ROOT (Range: bytes=a-b answered with 206)
GET/HEAD /flaky/<token>/<path>       the same file, but HTTP 503 until the token is healed
POST     /_heal/<token>              heals a token (the next requests succeed)
GET      /_health                    200

Usage: python asset_server.py ROOT PORT
"""

import http.server
import os
import re
import sys
import threading

HEALED = set()
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."

    def log_message(self, fmt, *args):
        sys.stderr.write("assets: " + (fmt % args) + "\n")

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_POST(self):
        m = re.fullmatch(r"/_heal/([A-Za-z0-9_-]+)", self.path)
        if not m:
            return self.reply(404)
        with LOCK:
            HEALED.add(m.group(1))
        self.reply(204)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/_health":
            return self.reply(200, b"ok")
        m = re.fullmatch(r"/flaky/([A-Za-z0-9_-]+)(/.*)", path)
        if m:
            with LOCK:
                healed = m.group(1) in HEALED
            if not healed:
                return self.reply(503, b"unavailable")
            path = m.group(2)
        full = os.path.realpath(os.path.join(self.root, path.lstrip("/")))
        if not full.startswith(os.path.realpath(self.root) + os.sep) or not os.path.isfile(full):
            return self.reply(404, b"not found")
        size = os.path.getsize(full)
        ctype = "application/octet-stream"
        if full.endswith(".xml"):
            ctype = "application/xml"
        elif full.endswith(".tif") or full.endswith(".tiff"):
            ctype = "image/tiff"
        elif full.endswith(".json"):
            ctype = "application/json"
        with open(full, "rb") as f:
            rng = self.headers.get("Range", "")
            m = re.fullmatch(r"bytes=(\d+)-(\d*)", rng.strip())
            if m and int(m.group(1)) < size:
                start = int(m.group(1))
                end = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
                f.seek(start)
                body = f.read(end - start + 1)
                return self.reply(206, body, [("Content-Type", ctype), ("Accept-Ranges", "bytes"),
                                              ("Content-Range", f"bytes {start}-{end}/{size}")])
            return self.reply(200, f.read(), [("Content-Type", ctype), ("Accept-Ranges", "bytes")])

    do_HEAD = do_GET


def main():
    Handler.root = sys.argv[1]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
