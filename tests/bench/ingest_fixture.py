"""A synthetic ingestion for the benchmark: SCENES scenes of TILES chained tiles each (tile k of
scene n follows tile k of scene n-1), as the tiles FeatureCollection `/catalog/tiles` returns, and
the payload to post with it (Pass graphs: the bookkeeping only).

Usage: python ingest_fixture.py SCENES TILES AOI OUT_DIR
"""

import datetime
import json
import os
import sys


def main():
    scenes, tiles, aoi, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    os.makedirs(out, exist_ok=True)
    t0 = datetime.datetime(2022, 1, 4, 5, 33, 30, tzinfo=datetime.timezone.utc)
    features = []
    for n in range(scenes):
        date = (t0 + datetime.timedelta(days=12 * n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        name = f"S1A_IW_SLC__1SDV_BENCH_{n:05d}"
        wkt = "POLYGON ((10 55,10.5 55,10.5 55.5,10 55.5,10 55))"
        prev = f"S1A_IW_SLC__1SDV_BENCH_{n - 1:05d}" if n else None
        root = "S1A_IW_SLC__1SDV_BENCH_00000"
        tl = []
        for k in range(tiles):
            tile = f"A44_IW1_{8800 + 28 * k}"
            link = lambda s: {"SourceID": tile, "SceneID": s, "Date": date} if s else None
            tl.append({"SourceID": tile, "SceneID": name, "Date": date, "id": 0, "anx_time": 8800 + 28 * k,
                       "data": {"graph_name": "Pass", "is_retriable": True, "swath_id": "IW1", "tile_nr": k + 1},
                       "wkt": wkt, "previous": link(prev), "reference": link(root if n else None)})
        features.append({"type": "Feature", "id": n, "geometry": None, "properties": {
            "aoi": aoi, "id": 0, "source_id": name, "wkt": wkt,
            "tags": {"constellation": "SENTINEL1", "relativeOrbit": "44", "orbitDirection": "ASCENDING"},
            "data": {"date": date, "graph_name": "Pass", "graph_config": {}, "is_retriable": True,
                     "metadata": {}, "record_id": "", "storage_uri": "", "uuid": name,
                     "tiles": {t["SourceID"]: {"swath_id": "IW1", "tile_nr": t["data"]["tile_nr"]} for t in tl}},
            "tiles": tl}})
    with open(os.path.join(out, "tiles.json"), "w") as f:
        json.dump({"type": "FeatureCollection", "features": features, "properties": {"next": "false"}}, f)
    payload = {"name": aoi, "type": "Polygon",
               "coordinates": [[[10, 55], [10.5, 55], [10.5, 55.5], [10, 55.5], [10, 55]]],
               "scene_type": {"constellation": "sentinel1"},
               "scene_graph_name": "Pass", "tile_graph_name": "Pass", "is_retriable": True, "retry_count": 0}
    with open(os.path.join(out, "payload.json"), "w") as f:
        json.dump(payload, f)


if __name__ == "__main__":
    main()
