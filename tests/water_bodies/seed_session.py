"""Seed 000's client session, as written, against `stratus serve`.

Only the base URL differs and, because CI is offline, the two earth-search item URLs are
replaced by the server's sample scenes (`stratus samples`). The requests, headers, polling and
result handling are the notebook's; the STAC results are then read with pystac as the notebook
does and every published otsu.tif is downloaded for the COG validators.

usage: seed_session.py BASE_URL OUT_DIR ITEM_URL... --aoi AOI
"""

import argparse
import json
import os
import sys
import time

import requests
from pystac.item_collection import ItemCollection

parser = argparse.ArgumentParser()
parser.add_argument("base")
parser.add_argument("out")
parser.add_argument("items", nargs="+")
parser.add_argument("--aoi", required=True)
args = parser.parse_args()

ogc_api_endpoint = args.base

data = {
    "inputs": {
        "stac_items": args.items,
        "aoi": args.aoi,
        "epsg": "EPSG:4326",
        "bands": ["green", "nir"],
    }
}

headers = {
    "accept": "*/*",
    "Prefer": "respond-async;return=representation",
    "Content-Type": "application/json",
}

process_id = "water-bodies"
response = requests.post(f"{ogc_api_endpoint}/processes/{process_id}/execution", headers=headers, json=data)
if response.status_code == 201:
    job_info = response.json()
    job_id = job_info.get("jobID")
    print(f"Job submitted successfully. Job ID: {job_id}")
    print(f"Monitor job status at: {ogc_api_endpoint}/jobs/{job_id}")
else:
    print("Response:", response.text)
    raise ValueError(f"Failed to submit job. Status code: {response.status_code}")

job_url = f"{ogc_api_endpoint}/jobs/{job_id}"
headers = {"accept": "application/json"}
deadline = time.time() + 300
while True:
    status_response = requests.get(job_url, headers=headers)
    if status_response.status_code == 200:
        job_status = status_response.json().get("status")
        print(f"Job status: {job_status}")
        if job_status in ["successful", "failed"]:
            break
    else:
        raise SystemExit(f"Failed to get job status. Status code: {status_response.status_code}")
    if time.time() > deadline:
        raise SystemExit("the job did not finish in 300 s")
    time.sleep(1)

if job_status != "successful":
    raise SystemExit(f"Job did not complete successfully: {status_response.text}")

results_url = f"{ogc_api_endpoint}/jobs/{job_id}/results"
results_response = requests.get(results_url, headers=headers)
assert results_response.status_code == 200, results_response.text
results = results_response.json()
stac_catalog_uri = results.get("stac_catalog", {}).get("value")
assert stac_catalog_uri is not None, results

feature_collection = ItemCollection.from_dict(stac_catalog_uri).items
assert [item.id for item in feature_collection] == [u.rsplit("/", 1)[1].removesuffix(".json") for u in args.items]

os.makedirs(args.out, exist_ok=True)
for item in feature_collection:
    print(item.get_assets())
    asset = item.get_assets()["data"].to_dict()
    print(json.dumps(asset, sort_keys=True, indent=4))
    assert asset["type"] == "image/tiff; application=geotiff"
    assert asset["roles"] == ["data", "visual"]
    # pystac migrates projection v1.1 (proj:epsg) to v2.0 (proj:code) on read.
    assert "proj:epsg" in item.properties or item.properties.get("proj:code") == "EPSG:32610"
    for key in ("proj:geometry", "proj:bbox", "proj:shape", "proj:transform"):
        assert key in item.properties, key
    tif = requests.get(asset["href"])
    assert tif.status_code == 200, asset["href"]
    path = os.path.join(args.out, f"{item.id}.otsu.tif")
    with open(path, "wb") as f:
        f.write(tif.content)
    print(path)
sys.exit(0)
