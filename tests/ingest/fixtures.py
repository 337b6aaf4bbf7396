"""Offline catalogue fixtures for the ingestion tests: STAC collections and items loaded into a
real STAC API (stac-fastapi-pgstac) through its transaction extension, and the asset files they
link to, served by tests/ingest/asset_server.py.

- sentinel-2-l2a: Sentinel-2-like scenes over the Stratus sample area (green and NIR COGs made by
  `stratus samples`): two dates to ingest, a cloudy one (filtered by cloud cover), one far away
  (outside the AOI) and an older processing baseline of the first (a duplicate).
- sentinel-1-slc: four Sentinel-1 IW SLC scenes of relative orbit 44 (ascending), 12 days apart,
  each with product annotation files in the Sentinel-1 annotation XML format (one per swath,
  VV; IW1 also VH) and small measurement placeholders. Bursts 4 to 6 of IW1 and IW2 cover the
  S1 test AOI.

Usage: python fixtures.py SAMPLE_DIR OUT_DIR ASSETS_URL STAC_URL
  SAMPLE_DIR holds samples/<id>/B03.tif and B08.tif (`stratus samples --size 256`)
  OUT_DIR    receives the asset files (served at ASSETS_URL)
"""

import datetime
import json
import os
import shutil
import sys
import urllib.request

S1_AOI = [[10.0, 55.2], [10.6, 55.2], [10.6, 55.5], [10.0, 55.5], [10.0, 55.2]]
S1_DATES = ["2022-01-04", "2022-01-16", "2022-01-28", "2022-02-09"]
SWATHS = {"IW1": (9.0, 880.10), "IW2": (10.2, 880.98), "IW3": (11.4, 881.83)}
LINES, SAMPLES, BURSTS = 1500, 21000, 9
LAT0, BURST_LAT = 54.6, 0.18


def request(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def annotation(mission, swath, pol, date, orbit, jitter):
    """A product annotation in the Sentinel-1 format (the elements Stratus and SNAP read)."""
    lon0, anx0 = SWATHS[swath]
    start = f"{date}T05:33:{30 + int(swath[-1]):02d}.123456"
    points = []
    for k in range(BURSTS + 1):
        line = k * LINES - (1 if k == BURSTS else 0)
        for j, pixel in enumerate([0, SAMPLES // 4, SAMPLES // 2, 3 * SAMPLES // 4, SAMPLES - 1]):
            lat = LAT0 + BURST_LAT * k
            lon = lon0 + 0.33 * j - 0.01 * k
            points.append(
                "<geolocationGridPoint>"
                f"<azimuthTime>{date}T05:33:{30 + k * 3:02d}.000000</azimuthTime>"
                f"<slantRangeTime>{5.3e-3 + j * 1e-4:.9e}</slantRangeTime>"
                f"<line>{line}</line><pixel>{pixel}</pixel>"
                f"<latitude>{lat:.9e}</latitude><longitude>{lon:.9e}</longitude>"
                f"<height>{40.0 + j:.6e}</height>"
                f"<incidenceAngle>{30.8 + 4.5 * j / 4:.6e}</incidenceAngle>"
                f"<elevationAngle>{27.5 + 4 * j / 4:.6e}</elevationAngle>"
                "</geolocationGridPoint>")
    bursts = []
    for i in range(BURSTS):
        t = f"{date}T05:33:{31 + i * 3:02d}.{i:06d}"
        bursts.append(
            "<burst>"
            f"<azimuthTime>{t}</azimuthTime>"
            f"<azimuthAnxTime>{anx0 + jitter + 2.758277 * i:.9e}</azimuthAnxTime>"
            f"<sensingTime>{t}</sensingTime>"
            f"<byteOffset>{109035 + i * LINES * SAMPLES * 4}</byteOffset>"
            f"<firstValidSample count=\"{LINES}\">{' '.join(['-1'] * 3)}</firstValidSample>"
            f"<lastValidSample count=\"{LINES}\">{' '.join(['-1'] * 3)}</lastValidSample>"
            "</burst>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<product>\n'
        "  <adsHeader>"
        f"<missionId>{mission}</missionId><productType>SLC</productType>"
        f"<polarisation>{pol}</polarisation><mode>IW</mode><swath>{swath}</swath>"
        f"<startTime>{start}</startTime><stopTime>{date}T05:33:58.654321</stopTime>"
        f"<absoluteOrbitNumber>{orbit}</absoluteOrbitNumber>"
        "<missionDataTakeId>321717</missionDataTakeId>"
        f"<imageNumber>{int(swath[-1]) + (3 if pol == 'VV' else 0):03d}</imageNumber>"
        "</adsHeader>\n"
        "  <generalAnnotation><productInformation><pass>Ascending</pass>"
        "<timelinessCategory>Fast-24h</timelinessCategory><platformHeading>-1.3e+01</platformHeading>"
        "<projection>Slant Range</projection><rangeSamplingRate>6.4345238125e+07</rangeSamplingRate>"
        "<radarFrequency>5.405000454334350e+09</radarFrequency>"
        "<azimuthSteeringRate>1.590368784e+00</azimuthSteeringRate></productInformation>"
        "</generalAnnotation>\n"
        "  <imageAnnotation><imageInformation>"
        f"<productFirstLineUtcTime>{start}</productFirstLineUtcTime>"
        f"<numberOfSamples>{SAMPLES}</numberOfSamples><numberOfLines>{LINES * BURSTS}</numberOfLines>"
        "</imageInformation></imageAnnotation>\n"
        "  <swathTiming>"
        f"<linesPerBurst>{LINES}</linesPerBurst><samplesPerBurst>{SAMPLES}</samplesPerBurst>"
        f"<burstList count=\"{BURSTS}\">{''.join(bursts)}</burstList>"
        "</swathTiming>\n"
        f"  <geolocationGrid><geolocationGridPointList count=\"{len(points)}\">"
        + "".join(points) +
        "</geolocationGridPointList></geolocationGrid>\n</product>\n")


def s1_items(out, assets_url):
    items = []
    for n, date in enumerate(S1_DATES):
        orbit = 41306 + 180 * n
        compact = date.replace("-", "")
        name = (f"S1A_IW_SLC__1SDV_{compact}T053330_{compact}T053358_{orbit:06d}_"
                f"04E8B5_{'ABCD'[n]}{n:03d}")
        safe = f"{name}.SAFE"
        base = os.path.join(out, "s1", safe)
        os.makedirs(os.path.join(base, "annotation"), exist_ok=True)
        os.makedirs(os.path.join(base, "measurement"), exist_ok=True)
        assets = {}
        jitter = 0.013 * n
        for swath in SWATHS:
            for pol in (["VV", "VH"] if swath == "IW1" else ["VV"]):
                stem = (f"s1a-{swath.lower()}-slc-{pol.lower()}-{compact}t053330-{compact}t053358-"
                        f"{orbit:06d}-04e8b5-00{int(swath[-1])}")
                xml = annotation("S1A", swath, pol, date, orbit, jitter)
                with open(os.path.join(base, "annotation", f"{stem}.xml"), "w") as f:
                    f.write(xml)
                with open(os.path.join(base, "measurement", f"{stem}.tiff"), "wb") as f:
                    f.write(b"II*\x00" + bytes(range(256)) * 8)
                key = f"{swath.lower()}-{pol.lower()}"
                assets[f"{key}-annotation"] = {
                    "href": f"{assets_url}/s1/{safe}/annotation/{stem}.xml",
                    "type": "application/xml", "roles": ["metadata"]}
                assets[key] = {
                    "href": f"{assets_url}/s1/{safe}/measurement/{stem}.tiff",
                    "type": "image/tiff; application=geotiff", "roles": ["data"]}
        lon_min, lon_max = 9.0, 12.7
        ring = [[lon_min, LAT0], [lon_max, LAT0], [lon_max, LAT0 + BURST_LAT * BURSTS],
                [lon_min, LAT0 + BURST_LAT * BURSTS], [lon_min, LAT0]]
        items.append({
            "type": "Feature", "stac_version": "1.0.0", "id": name, "collection": "sentinel-1-slc",
            "stac_extensions": ["https://stac-extensions.github.io/sat/v1.0.0/schema.json",
                                "https://stac-extensions.github.io/sar/v1.0.0/schema.json"],
            "geometry": {"type": "Polygon", "coordinates": [ring]},
            "bbox": [lon_min, LAT0, lon_max, LAT0 + BURST_LAT * BURSTS],
            "properties": {
                "datetime": f"{date}T05:33:30.123456Z", "platform": "sentinel-1a",
                "constellation": "sentinel-1", "instruments": ["c-sar"],
                "sat:relative_orbit": 44, "sat:absolute_orbit": orbit, "sat:orbit_state": "ascending",
                "sar:instrument_mode": "IW", "sar:polarizations": ["VV", "VH"],
                "product:type": "SLC", "s1:product_identifier": safe,
                "published": f"{date}T09:00:00Z"},
            "links": [], "assets": assets})
    return items


def s2_items(sample_dir, out, assets_url):
    samples = sorted(os.listdir(os.path.join(sample_dir, "samples")))
    base = json.load(open(os.path.join(sample_dir, "samples", samples[0], f"{samples[0]}.json")))
    geometry, bbox = base["geometry"], base["bbox"]
    far = {"type": "Polygon", "coordinates": [[[2, 48], [3, 48], [3, 49], [2, 49], [2, 48]]]}
    specs = [  # (date, cloud cover, baseline, geometry, published)
        ("20220104", 10.5, "N0510", geometry, "2022-01-05T00:00:00Z"),
        ("20220104", 10.5, "N0400", geometry, "2022-01-04T12:00:00Z"),
        ("20220114", 42.0, "N0510", geometry, "2022-01-15T00:00:00Z"),
        ("20220124", 95.0, "N0510", geometry, "2022-01-25T00:00:00Z"),
        ("20220119", 5.0, "N0510", far, "2022-01-20T00:00:00Z"),
    ]
    items = []
    for n, (day, cloud, baseline, geom, published) in enumerate(specs):
        name = f"S2A_MSIL2A_{day}T190324_{baseline}_R013_T10TFK_{day}T230000"
        sample = samples[n % len(samples)]
        folder = os.path.join(out, "s2", name)
        os.makedirs(folder, exist_ok=True)
        assets = {}
        for band, common in (("B03", "green"), ("B08", "nir")):
            src = os.path.join(sample_dir, "samples", sample, f"{band}.tif")
            shutil.copyfile(src, os.path.join(folder, f"{band}.tif"))
            asset = dict(base["assets"][band])
            asset["href"] = f"{assets_url}/s2/{name}/{band}.tif"
            assets[common] = asset
        items.append({
            "type": "Feature", "stac_version": "1.0.0", "id": f"S2A_10TFK_{day}_{n}_L2A",
            "collection": "sentinel-2-l2a",
            "stac_extensions": ["https://stac-extensions.github.io/eo/v1.1.0/schema.json"],
            "geometry": geom,
            "bbox": bbox if geom is geometry else [2, 48, 3, 49],
            "properties": {
                "datetime": f"{day[:4]}-{day[4:6]}-{day[6:]}T19:03:24Z", "platform": "sentinel-2a",
                "constellation": "sentinel-2", "eo:cloud_cover": cloud, "sat:relative_orbit": 13,
                "s2:product_uri": f"{name}.SAFE", "s2:product_type": "S2MSI2A",
                "published": published, "proj:epsg": base["properties"]["proj:epsg"]},
            "links": [], "assets": assets})
    return items


def collection(cid, title, bbox):
    return {
        "type": "Collection", "stac_version": "1.0.0", "id": cid, "description": title,
        "license": "proprietary", "links": [],
        "extent": {"spatial": {"bbox": [bbox]},
                   "temporal": {"interval": [["2015-01-01T00:00:00Z", None]]}},
    }


def main():
    sample_dir, out, assets_url, stac_url = sys.argv[1:5]
    os.makedirs(out, exist_ok=True)
    sets = [
        (collection("sentinel-2-l2a", "Sentinel-2 L2A (fixtures)", [-180, -90, 180, 90]),
         s2_items(sample_dir, out, assets_url)),
        (collection("sentinel-1-slc", "Sentinel-1 IW SLC (fixtures)", [-180, -90, 180, 90]),
         s1_items(out, assets_url)),
    ]
    for coll, items in sets:
        status, body = request("POST", f"{stac_url}/collections", coll)
        if status not in (200, 201, 409):
            sys.exit(f"collection {coll['id']}: HTTP {status}: {body[:300]!r}")
        for item in items:
            status, body = request("POST", f"{stac_url}/collections/{coll['id']}/items", item)
            if status not in (200, 201, 409):
                sys.exit(f"item {item['id']}: HTTP {status}: {body[:300]!r}")
        print(f"{coll['id']}: {len(items)} items")
    with open(os.path.join(out, "s1-aoi.json"), "w") as f:
        json.dump({"type": "Polygon", "coordinates": [S1_AOI]}, f)
    with open(os.path.join(out, "s2-aoi.json"), "w") as f:
        json.dump(sets[0][1][0]["geometry"], f)


if __name__ == "__main__":
    main()
