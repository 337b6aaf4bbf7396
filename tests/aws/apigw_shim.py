"""An API-Gateway-like HTTP front for a stack deployed into an AWS emulator.

MiniStack creates the functions of `infra/template.yaml` but no HTTP API routes, so this
stands in for API Gateway (HTTP API, payload format 2.0): it reads the routes from the
template's `HttpApi` events, finds each route's deployed function through CloudFormation,
turns every request into an API Gateway v2 event, calls the function with the Lambda Invoke
API, and returns the function's HTTP response. Route selection follows API Gateway: exact
routes before `{param}` routes before greedy `{param+}` routes, `ANY` after a specific method,
`$default` last.

When the HttpApi has a default Lambda authorizer (payload 2.0, simple responses), every request
of a route not marked `Auth: {Authorizer: NONE}` goes to it first: not authorized -> 403
`{"message": "Forbidden"}`, as API Gateway answers.

Test-only extras under the reserved prefix `/_shim/`:
  GET  /_shim/health   200 once the routes are loaded
  POST /_shim/reset    empties the stack's table and bucket and stops running executions,
                       so each end-to-end test starts from a fresh deployment, as each local
                       test starts a fresh server

Usage: python apigw_shim.py TEMPLATE STACK PORT   (AWS_ENDPOINT_URL etc. from the environment)
"""

import base64
import datetime
import http.server
import json
import re
import sys
import threading
import time
import urllib.parse
import uuid

import boto3
import botocore.config
from samcli.yamlhelper import yaml_parse

TEXT_TYPES = ("json", "text/", "xml", "x-www-form-urlencoded", "javascript")


class Route:
    def __init__(self, method, path, function):
        self.method = method.upper()
        self.path = path
        self.function = function
        self.key = "$default" if path == "$default" else f"{method.upper()} {path}"
        self.params = []
        pattern = ""
        self.greedy = False
        self.variables = 0
        if path != "$default":
            for segment in path.strip("/").split("/"):
                if not segment:
                    continue
                m = re.fullmatch(r"\{([A-Za-z0-9_]+)(\+?)\}", segment)
                if m:
                    self.params.append(m.group(1))
                    self.variables += 1
                    if m.group(2):
                        self.greedy = True
                        pattern += "/(.+)"
                    else:
                        pattern += "/([^/]+)"
                else:
                    pattern += "/" + re.escape(segment)
            if path.endswith("/") and path != "/":
                pattern += "/"
            self.regex = re.compile("^" + (pattern or "/") + "$")

    def match(self, method, path):
        if self.path == "$default":
            return {}
        if self.method not in ("ANY", method):
            return None
        m = self.regex.match(path)
        if not m:
            return None
        return dict(zip(self.params, (urllib.parse.unquote(g) for g in m.groups())))

    def rank(self):
        """Lower is more specific."""
        if self.path == "$default":
            return (3, 0, 0)
        return (1 if self.greedy else 0, self.variables, 1 if self.method == "ANY" else 0)


def load_authorizer(template, resources):
    """The function of the HttpApi's default Lambda authorizer, if the template declares one."""
    for res in template["Resources"].values():
        if res.get("Type") != "AWS::Serverless::HttpApi":
            continue
        auth = res.get("Properties", {}).get("Auth") or {}
        default = auth.get("DefaultAuthorizer")
        spec = (auth.get("Authorizers") or {}).get(default) if default else None
        arn = (spec or {}).get("FunctionArn")
        if isinstance(arn, dict) and "Fn::GetAtt" in arn:
            target = arn["Fn::GetAtt"]
            logical = target[0] if isinstance(target, list) else str(target).split(".")[0]
            return resources[logical]
    return None


def load_routes(template_path, stack, cfn):
    template = yaml_parse(open(template_path).read())
    resources = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
        for r in page["StackResourceSummaries"]:
            resources[r["LogicalResourceId"]] = r["PhysicalResourceId"]
    routes = []
    for logical, res in template["Resources"].items():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        for event in (res.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            props = event.get("Properties", {})
            route = Route(props.get("Method", "ANY"), props.get("Path", "$default"),
                          resources[logical])
            route.open = (props.get("Auth") or {}).get("Authorizer") == "NONE"
            routes.append(route)
    routes.sort(key=Route.rank)
    return routes, load_authorizer(template, resources)


class Shim:
    def __init__(self, template_path, stack):
        cfg = botocore.config.Config(read_timeout=905, connect_timeout=5,
                                     retries={"max_attempts": 0})
        self.cfn = boto3.client("cloudformation")
        self.lam = boto3.client("lambda", config=cfg)
        self.ddb = boto3.client("dynamodb")
        self.s3 = boto3.client("s3")
        self.sfn = boto3.client("stepfunctions")
        self.stack = stack
        self.routes, self.authorizer = load_routes(template_path, stack, self.cfn)
        outputs = self.cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in outputs}

    def route(self, method, path):
        for r in self.routes:
            params = r.match(method, path)
            if params is not None:
                return r, params
        return None, None

    def reset(self):
        bucket = self.outputs["ResultsBucketName"]
        machines = [self.outputs[k] for k in ("JobStateMachineArn", "IngestStateMachineArn")
                    if k in self.outputs]
        for machine in machines:
            for page in self.sfn.get_paginator("list_executions").paginate(
                    stateMachineArn=machine, statusFilter="RUNNING"):
                for e in page["executions"]:
                    self.sfn.stop_execution(executionArn=e["executionArn"], cause="test reset")
        keys = []
        for table in [self.outputs[k] for k in ("JobsTableName", "IngestTableName")
                      if k in self.outputs]:
            items = []
            for page in self.ddb.get_paginator("scan").paginate(
                    TableName=table, ProjectionExpression="pk, sk"):
                items.extend(page["Items"])
            for i in range(0, len(items), 25):
                self.ddb.batch_write_item(RequestItems={
                    table: [{"DeleteRequest": {"Key": k}} for k in items[i:i + 25]]})
            keys.extend(items)
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if objects:
                self.s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
        return {"items": len(keys)}


def event_of(handler, route, params, body):
    parsed = urllib.parse.urlsplit(handler.path)
    path = parsed.path or "/"
    headers, cookies = {}, []
    for name, value in handler.headers.items():
        name = name.lower()
        if name == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    client = handler.client_address[0]
    headers.setdefault("x-forwarded-for", client)
    headers["x-forwarded-proto"] = "http"
    headers["x-forwarded-port"] = str(handler.server.server_address[1])
    host = headers.get("host", "localhost")
    now = datetime.datetime.now(datetime.timezone.utc)
    event = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": path,
        "rawQueryString": parsed.query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "shim",
            "domainName": host.split(":")[0],
            "domainPrefix": host.split(".")[0],
            "http": {
                "method": handler.command,
                "path": path,
                "protocol": handler.request_version,
                "sourceIp": client,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route.key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if parsed.query:
        query = {}
        for k, v in urllib.parse.parse_qsl(parsed.query, keep_blank_values=True):
            query[k] = f"{query[k]},{v}" if k in query else v
        event["queryStringParameters"] = query
    if params:
        event["pathParameters"] = params
    if body:
        ctype = headers.get("content-type", "").lower()
        text = None
        if any(t in ctype for t in TEXT_TYPES):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
    return event


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    shim: Shim = None

    def log_message(self, fmt, *args):
        sys.stderr.write("shim: " + (fmt % args) + "\n")

    def read_body(self):
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def json(self, status, doc):
        self.send(status, [("content-type", "application/json")], json.dumps(doc).encode())

    def handle_any(self):
        body = self.read_body()
        path = urllib.parse.urlsplit(self.path).path or "/"
        if path.startswith("/_shim/"):
            if path == "/_shim/health":
                return self.json(200, {"routes": [r.key for r in self.shim.routes]})
            if path == "/_shim/reset" and self.command == "POST":
                return self.json(200, self.shim.reset())
            return self.json(404, {"message": "Not Found"})
        route, params = self.shim.route(self.command, path)
        if route is None:
            return self.json(404, {"message": "Not Found"})
        event = event_of(self, route, params, body)
        if self.shim.authorizer and not getattr(route, "open", False):
            allowed = self.authorize(event)
            if allowed is None:
                return self.json(500, {"message": "Internal Server Error"})
            if not allowed:
                return self.json(403, {"message": "Forbidden"})
        started = time.monotonic()
        try:
            out = self.shim.lam.invoke(FunctionName=route.function,
                                       Payload=json.dumps(event).encode())
        except Exception as e:  # the Lambda service refused the call
            self.log_message("invoke %s failed: %s", route.function, e)
            return self.json(500, {"message": "Internal Server Error"})
        payload = out["Payload"].read()
        self.log_message("%s %s -> %s (%.0f ms)", self.command, self.path, route.function,
                         (time.monotonic() - started) * 1000)
        if out.get("FunctionError"):
            self.log_message("function error: %s", payload[:2000])
            return self.json(500, {"message": "Internal Server Error"})
        try:
            response = json.loads(payload)
        except ValueError:
            return self.json(502, {"message": "Bad Gateway"})
        headers = []
        multi = response.get("multiValueHeaders") or {}
        for name, value in (response.get("headers") or {}).items():
            if name not in multi:
                headers.append((name, str(value)))
        for name, values in multi.items():
            headers.extend((name, str(v)) for v in values)
        headers.extend(("set-cookie", c) for c in response.get("cookies") or [])
        raw = response.get("body") or ""
        data = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
        self.send(int(response.get("statusCode", 200)), headers, data)

    def authorize(self, event):
        """Calls the Lambda authorizer as API Gateway does (payload 2.0, simple responses, no
        identity sources: every request); True, False, or None when the authorizer failed."""
        request = {
            "version": "2.0", "type": "REQUEST",
            "routeArn": f"arn:aws:execute-api:us-east-1:000000000000:shim/$default/"
                        f"{event['requestContext']['http']['method']}{event['rawPath']}",
            "identitySource": [], "routeKey": event["routeKey"], "rawPath": event["rawPath"],
            "rawQueryString": event["rawQueryString"], "headers": event["headers"],
            "requestContext": event["requestContext"],
        }
        if "pathParameters" in event:
            request["pathParameters"] = event["pathParameters"]
        try:
            out = self.shim.lam.invoke(FunctionName=self.shim.authorizer,
                                       Payload=json.dumps(request).encode())
        except Exception as e:  # the Lambda service refused the call
            self.log_message("authorizer invoke failed: %s", e)
            return None
        payload = out["Payload"].read()
        if out.get("FunctionError"):
            self.log_message("authorizer error: %s", payload[:2000])
            return None
        try:
            return bool(json.loads(payload).get("isAuthorized"))
        except ValueError:
            return None

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_any


def main():
    template, stack, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    Handler.shim = Shim(template, stack)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    sys.stderr.write(f"shim: {len(Handler.shim.routes)} routes of {stack} on port {port}\n")
    threading.Thread(target=server.serve_forever, daemon=False).start()


if __name__ == "__main__":
    main()
