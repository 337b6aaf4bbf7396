"""Uploads the offline sample scenes of `stratus samples` to the deployed stack's results bucket
and prints the environment of the engine-neutral water-bodies suite (tests/water_bodies.rs):
the s3:// URLs of the sample items, their AOI, and the URL of an item that does not exist.

Usage: upload_samples.py STACK DATA_DIR SAMPLES_TSV
"""

import mimetypes
import pathlib
import shlex
import sys

import boto3


def main(stack: str, data_dir: str, tsv: str) -> None:
    cfn = boto3.client("cloudformation")
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in cfn.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]}
    bucket = outputs["ResultsBucketName"]
    s3 = boto3.client("s3")
    root = pathlib.Path(data_dir) / "objects"
    uploaded = 0
    for path in sorted((root / "samples").rglob("*")):
        if path.is_file():
            key = path.relative_to(root).as_posix()
            kind = "application/geo+json" if path.suffix == ".json" else (
                mimetypes.guess_type(path.name)[0] or "application/octet-stream")
            s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": kind})
            uploaded += 1
    if uploaded == 0:
        sys.exit(f"no sample objects under {root}/samples")
    items, aoi = [], ""
    for line in pathlib.Path(tsv).read_text().splitlines():
        scene, _, aoi_field = line.split("\t")
        items.append(f"s3://{bucket}/samples/{scene}/{scene}.json")
        aoi = aoi_field.removeprefix("aoi=")
    print(f"export STRATUS_E2E_SAMPLE_ITEMS={shlex.quote(','.join(items))}")
    print(f"export STRATUS_E2E_SAMPLE_AOI={shlex.quote(aoi)}")
    print(f"export STRATUS_E2E_SAMPLE_MISSING=s3://{bucket}/samples/NOPE/NOPE.json")
    print(f"echo 'water-bodies samples: {uploaded} objects in s3://{bucket}/samples' >&2")


if __name__ == "__main__":
    main(*sys.argv[1:])
