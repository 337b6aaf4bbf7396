"""The ingestion triggers of a deployed stack: a payload uploaded under the payload prefix
starts an ingestion (S3 Object Created through EventBridge; when the emulator does not deliver
the event, the function is invoked with the event it would receive), and the schedule function
runs a payload over a relative window. Both are checked through the API (GET /aoi/{name}).

Usage: python ingest_triggers.py STACK API_URL TOKEN FIXTURES_DIR
"""

import json
import sys
import time
import urllib.request

import boto3


def get(api, token, path):
    req = urllib.request.Request(api + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read().decode()


def counts(text):
    """The (section, status) -> n of a GET /aoi/{aoi} summary."""
    out, section = {}, ""
    for line in text.splitlines():
        if line.endswith(":") and not line.startswith(" "):
            section = line[:-1]
        elif ":" in line:
            k, v = line.strip().split(":", 1)
            if v.strip().isdigit():
                out[(section, k.strip())] = int(v)
    return out


def wait_ingested(api, token, aoi, timeout=300):
    """Waits until the AOI has scenes and nothing PENDING in two summaries in a row."""
    deadline, last = time.time() + timeout, None
    while True:
        text = get(api, token, f"/aoi/{aoi}")
        c = counts(text)
        idle = (c.get(("Scenes", "Total"), 0) > 0 and c.get(("Scenes", "pending"), 0) == 0
                and c.get(("Tiles", "pending"), 0) == 0)
        if idle and text == last:
            return text
        last = text if idle else None
        if time.time() > deadline:
            sys.exit(f"{aoi} not ingested in {timeout} s:\n{text}")
        time.sleep(2)


def payload(name, aoi_file):
    geometry = json.load(open(aoi_file))
    return {"name": name, "type": "Feature", "properties": {}, "geometry": geometry,
            "start_time": "2022-01-01T00:00:00Z", "end_time": "2022-03-01T00:00:00Z",
            "scene_type": {"constellation": "sentinel1", "parameters": {"producttype": "SLC"}},
            "scene_graph_name": "S1Preprocessing", "tile_graph_name": "Pass",
            "is_retriable": True, "retry_count": 0}


def main():
    stack, api, token, _, fixtures = sys.argv[1:6]
    cfn, s3, lam = boto3.client("cloudformation"), boto3.client("s3"), boto3.client("lambda")
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    bucket = outputs["ResultsBucketName"]
    functions = {}
    for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
        for r in page["StackResourceSummaries"]:
            functions[r["LogicalResourceId"]] = r["PhysicalResourceId"]

    # An uploaded payload.
    aoi = f"Uploaded{int(time.time())}"
    key = f"ingest/payloads/{aoi}.json"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(payload(aoi, f"{fixtures}/s1-aoi.json")).encode())
    time.sleep(3)
    if counts(get(api, token, f"/aoi/{aoi}")).get(("Scenes", "Total"), 0) == 0:
        event = {"version": "0", "id": "e2e", "detail-type": "Object Created", "source": "aws.s3",
                 "account": "000000000000", "time": "2026-11-22T10:00:00Z", "region": "us-east-1",
                 "resources": [f"arn:aws:s3:::{bucket}"],
                 "detail": {"version": "0", "bucket": {"name": bucket}, "object": {"key": key},
                            "reason": "PutObject"}}
        out = lam.invoke(FunctionName=functions["IngestUploadFunction"], Payload=json.dumps(event).encode())
        body = out["Payload"].read().decode()
        if out.get("FunctionError"):
            sys.exit(f"ingest-upload failed: {body}")
        print(f"upload trigger (invoked with its event): {body}")
    else:
        print("upload trigger: the emulator delivered the S3 event")
    print(wait_ingested(api, token, aoi).split("\n\n")[0])

    # A scheduled payload over a relative window.
    aoi = f"Scheduled{int(time.time())}"
    key = f"ingest/schedule/{aoi}.json"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(payload(aoi, f"{fixtures}/s1-aoi.json")).encode())
    out = lam.invoke(FunctionName=functions["IngestScheduleFunction"],
                     Payload=json.dumps({"payload": key, "window": "2000d"}).encode())
    body = out["Payload"].read().decode()
    if out.get("FunctionError"):
        sys.exit(f"ingest-schedule failed: {body}")
    print(f"schedule trigger: {body}")
    print(wait_ingested(api, token, aoi).split("\n\n")[0])


if __name__ == "__main__":
    main()
