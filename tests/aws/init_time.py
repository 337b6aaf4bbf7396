"""Measures the cold-start init time of a Lambda `bootstrap`, as Lambda defines it: from the
process start to its first `GET /2018-06-01/runtime/invocation/next` on the Runtime API, plus
the duration of the first invocation. A minimal Runtime API on loopback serves one event per
process; each of RUNS processes starts cold. Prints the median and the worst.

Usage: python init_time.py BOOTSTRAP EVENT_JSON [RUNS]
"""

import http.server
import json
import os
import statistics
import subprocess
import sys
import threading
import time

PREFIX = "/2018-06-01/runtime/invocation/"


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    event = b"{}"
    first_next = None
    response_at = None
    done = None

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        cls = type(self)
        if self.path == PREFIX + "next":
            if cls.first_next is None:
                cls.first_next = time.monotonic()
                deadline = int((time.time() + 30) * 1000)
                return self.reply(200, cls.event, [
                    ("lambda-runtime-aws-request-id", "init-time-1"),
                    ("lambda-runtime-deadline-ms", str(deadline)),
                    ("lambda-runtime-invoked-function-arn",
                     "arn:aws:lambda:us-east-1:000000000000:function:init-time"),
                    ("content-type", "application/json"),
                ])
            cls.done.wait(5)
            return self.reply(204)
        self.reply(404)

    def do_POST(self):
        cls = type(self)
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        self.reply(202)
        if self.path.startswith(PREFIX):
            cls.response_at = time.monotonic()
            cls.ok = self.path.endswith("/response")
            cls.done.set()


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the function is killed after its answer; its open polls break


def run_once(bootstrap, event):
    RuntimeApi.event = event
    RuntimeApi.first_next = None
    RuntimeApi.response_at = None
    RuntimeApi.done = threading.Event()
    server = QuietServer(("127.0.0.1", 0), RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "init-time",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "STRATUS_JOBS_TABLE": "jobs",
        "STRATUS_BUCKET": "results",
        "AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH": "true",
        "RUST_LOG": "warn",
    }
    started = time.monotonic()
    proc = subprocess.Popen([bootstrap], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        if not RuntimeApi.done.wait(30):
            sys.exit("the function never answered")
    finally:
        proc.kill()
        proc.wait()
        server.shutdown()
    if not RuntimeApi.ok:
        sys.exit("the function answered with an error")
    return (RuntimeApi.first_next - started) * 1000, (RuntimeApi.response_at - RuntimeApi.first_next) * 1000


def main():
    bootstrap, event_file = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    event = json.dumps(json.load(open(event_file))).encode()
    results = [run_once(bootstrap, event) for _ in range(runs)]
    init = [r[0] for r in results]
    first = [r[1] for r in results]
    name = os.path.basename(os.path.dirname(os.path.abspath(bootstrap)))
    print(f"{name}: cold-start init median {statistics.median(init):.1f} ms "
          f"(max {max(init):.1f}), first invocation median {statistics.median(first):.1f} ms "
          f"(max {max(first):.1f}), {runs} cold starts, {os.path.getsize(bootstrap) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
