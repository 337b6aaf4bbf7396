"""The job state machine's CWL path on a stack deployed into MiniStack, as far as it goes.

A deployed package (tests/cwl/hello.cwl) is executed through the API (the shim): Prepare routes
the job to `RunCwl`, which asks ECS (MiniStack) to run the CWL task on Fargate with the job id
in the container's environment. MiniStack has no container runtime, so the task never starts
by itself: this script plays the container, running the same `cwl-task` binary the image runs
(cwltool from the project venv, the stack's table and bucket in the emulator), then stops the
ECS task so `ecs:runTask.sync` returns and Finalize publishes the outputs. The job must end
successful with the tool's output downloadable through the API.

Usage: python cwl_path.py SHIM_URL STACK CWL_TASK_BIN CWLTOOL   (AWS_ENDPOINT_URL etc. set)
"""

import json
import os
import subprocess
import sys
import time
import urllib.request

import boto3


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def wait(what, check, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    sys.exit(f"timed out waiting for {what}")


def main():
    shim, stack, cwl_task, cwltool = sys.argv[1:5]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "tests/cwl/hello.cwl"), "rb") as f:
        package = f.read()
    status, _, body = http("POST", f"{shim}/processes", package,
                           {"Content-Type": "application/cwl+yaml"})
    assert status in (201, 409), (status, body)
    request = {"inputs": {"who": "Fargate", "times": 1}, "response": "document"}
    status, headers, body = http("POST", f"{shim}/processes/hello/execution",
                                 json.dumps(request).encode(),
                                 {"Content-Type": "application/json", "Prefer": "respond-async"})
    assert status == 201, (status, body)
    job = json.loads(body)["jobID"]
    started = time.time()

    outputs = {o["OutputKey"]: o["OutputValue"] for o in
               boto3.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    ecs = boto3.client("ecs")
    cluster = outputs["CwlClusterName"]

    def task_of_job():
        arns = ecs.list_tasks(cluster=cluster)["taskArns"]
        if not arns:
            return None
        for t in ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]:
            env = [e for o in t.get("overrides", {}).get("containerOverrides", [])
                   for e in o.get("environment", [])]
            if {"name": "STRATUS_JOB_ID", "value": job} in env and t.get("lastStatus") != "STOPPED":
                return t["taskArn"]
        return None

    task = wait("the ECS task of the job", task_of_job)
    print(f"RunCwl started ECS task {task.rsplit('/', 1)[-1]} for job {job}")

    env = dict(os.environ, STRATUS_JOB_ID=job, STRATUS_JOBS_TABLE=outputs["JobsTableName"],
               STRATUS_BUCKET=outputs["ResultsBucketName"], STRATUS_CWLTOOL=cwltool,
               RUST_LOG="info")
    run = subprocess.run([cwl_task], env=env, capture_output=True, text=True, timeout=300)
    if run.returncode != 0:
        sys.exit(f"cwl-task failed ({run.returncode}):\n{run.stdout}\n{run.stderr}")
    ecs.stop_task(cluster=cluster, task=task, reason="the stand-in container finished")

    def finished():
        s, _, b = http("GET", f"{shim}/jobs/{job}")
        doc = json.loads(b)
        return doc if doc["status"] in ("successful", "failed") else None

    doc = wait("the job to finish", finished)
    assert doc["status"] == "successful", doc
    status, _, body = http("GET", f"{shim}/jobs/{job}/results")
    assert status == 200, (status, body)
    greeting = json.loads(body)["greeting"]
    status, _, text = http("GET", greeting["href"])
    assert status == 200 and text == b"Hello, Fargate!\n", (status, text)
    print(f"CWL path: job {job} successful in {time.time() - started:.1f} s "
          f"(Prepare -> RunCwl/ECS -> cwl-task -> Finalize), greeting {greeting['href'][:60]}...")


if __name__ == "__main__":
    main()
