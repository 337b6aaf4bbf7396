"""Asserts that two water masks agree: same shape, CRS, geotransform and nodata, and at least
99.99 % equal pixels. Also checks the Rust STAC item's proj:* fields against the raster.

    compare.py RUST_DIR PY_DIR LABEL    # each dir holds otsu.tif; RUST_DIR also item.json
"""

import json
import os
import sys

import numpy as np
import pystac
import rasterio
from pystac.extensions.projection import ProjectionExtension

MIN_AGREEMENT = 99.99


def main(rust_dir, py_dir, label):
    with rasterio.open(os.path.join(rust_dir, "otsu.tif")) as r, rasterio.open(os.path.join(py_dir, "otsu.tif")) as p:
        problems = []
        if r.shape != p.shape:
            problems.append(f"shape {r.shape} != {p.shape}")
        if r.crs.to_epsg() != p.crs.to_epsg():
            problems.append(f"CRS {r.crs} != {p.crs}")
        if r.transform != p.transform:
            problems.append(f"transform {tuple(r.transform)} != {tuple(p.transform)}")
        if r.nodata != p.nodata or r.dtypes != p.dtypes:
            problems.append(f"nodata/dtype {r.nodata} {r.dtypes} != {p.nodata} {p.dtypes}")
        if problems:
            sys.exit(f"{label}: MISMATCH: " + "; ".join(problems))
        a, b = r.read(1), p.read(1)
        shape, transform, epsg = r.shape, r.transform, r.crs.to_epsg()
    equal = float((a == b).mean() * 100.0)
    with open(os.path.join(rust_dir, "item.json")) as f:
        item_dict = json.load(f)
    # As the seed's client does: read the result as an ItemCollection with pystac.
    item = pystac.ItemCollection.from_dict({"type": "FeatureCollection", "features": [item_dict]}).items[0]
    proj = ProjectionExtension.ext(item)
    asset = item.assets["data"]
    if proj.shape != list(shape) or proj.epsg != epsg or proj.transform[:6] != list(transform)[:6]:
        sys.exit(f"{label}: STAC proj fields disagree with the raster: {item_dict['properties']}")
    if asset.href != "otsu.tif" or asset.roles != ["data", "visual"] or \
            asset.media_type != "image/tiff; application=geotiff":
        sys.exit(f"{label}: unexpected STAC asset {asset.to_dict()}")
    print(f"{label}: {shape[1]}x{shape[0]} EPSG:{epsg} water {int(a.sum())} px, "
          f"agreement {equal:.5f} % ({int((a != b).sum())} px differ)")
    if equal < MIN_AGREEMENT:
        sys.exit(f"{label}: agreement {equal:.5f} % < {MIN_AGREEMENT} %")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
