"""Test-only implementation of the EOAP water-bodies reference chain (crop, norm_diff, otsu).

Written from shared/reference/water-bodies.md with the libraries the reference uses (rasterio,
pyproj, numpy, scikit-image); not the reference's code. Each step reads and writes COGs the way
the reference's command-line tools do, so the steps can run as separate processes (benchmark)
or in one (parity test).

    reference.py crop ITEM BAND AOI EPSG OUT.tif
    reference.py norm-diff GREEN.tif NIR.tif OUT.tif
    reference.py otsu NDWI.tif OUT.tif
    reference.py chain ITEM AOI EPSG OUT_DIR     # all steps, prints {"threshold": ...}
"""

import json
import os
import sys

import numpy as np
import rasterio
import rasterio.mask
from pyproj import Transformer
from skimage.filters import threshold_otsu

# The scripts ask for 256 px blocks; GDAL's COG driver writes 512 px tiles regardless.
COG_PROFILE = {"driver": "COG", "tiled": True, "compress": "lzw", "blockxsize": 256, "blockysize": 256}


def band_href(item_path, common_name):
    """First asset with role data whose eo:bands has the common name, GeoTIFF preferred."""
    with open(item_path) as f:
        item = json.load(f)
    matches = []
    for asset in item["assets"].values():
        if "data" not in asset.get("roles", []):
            continue
        names = [b.get("common_name") for b in asset.get("eo:bands", [])]
        if common_name in names:
            matches.append(asset)
    if not matches:
        raise ValueError(f"no asset for band {common_name}")
    tiffs = [a for a in matches if a.get("type", "").startswith("image/tiff")]
    href = (tiffs or matches)[0]["href"]
    if "://" in href or href.startswith("/"):
        return href
    return os.path.normpath(os.path.join(os.path.dirname(item_path), href))


def crop(item_path, band, aoi, epsg, out):
    minx, miny, maxx, maxy = map(float, aoi.split(","))
    with rasterio.open(band_href(item_path, band)) as src:
        transformer = Transformer.from_crs(epsg, src.crs, always_xy=True)
        x0, y0 = transformer.transform(minx, miny)
        x1, y1 = transformer.transform(maxx, maxy)
        # shapely.geometry.box(x0, y0, x1, y1): counter-clockwise ring from (x1, y0).
        box = {"type": "Polygon", "coordinates": [[(x1, y0), (x1, y1), (x0, y1), (x0, y0), (x1, y0)]]}
        image, transform = rasterio.mask.mask(src, [box], crop=True)
        meta = src.meta.copy()
    meta.update({"height": image.shape[1], "width": image.shape[2], "transform": transform, **COG_PROFILE})
    with rasterio.open(out, "w", **meta) as dst:
        dst.write(image)


def norm_diff(green, nir, out):
    with rasterio.open(green) as ds1:
        a = ds1.read(1).astype(np.float32)
        meta = ds1.meta.copy()
    with rasterio.open(nir) as ds2:
        b = ds2.read(1).astype(np.float32)
    meta.update({"dtype": "float32", **COG_PROFILE})
    with np.errstate(divide="ignore", invalid="ignore"):
        ndwi = (a - b) / (a + b)
    with rasterio.open(out, "w", **meta) as dst:
        dst.write(ndwi, indexes=1)


def otsu(ndwi_path, out):
    with rasterio.open(ndwi_path) as ds:
        ndwi = ds.read(1)
        meta = ds.meta.copy()
    threshold = threshold_otsu(ndwi[np.isfinite(ndwi)])
    meta.update({"dtype": "uint8", **COG_PROFILE})
    with rasterio.open(out, "w", **meta) as dst:
        dst.write((ndwi > threshold).astype(np.uint8), indexes=1)
    return float(threshold)


def chain(item_path, aoi, epsg, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    crops = []
    for band in ("green", "nir"):
        path = os.path.join(out_dir, f"crop_{band}.tif")
        crop(item_path, band, aoi, epsg, path)
        crops.append(path)
    ndwi = os.path.join(out_dir, "norm_diff.tif")
    norm_diff(crops[0], crops[1], ndwi)
    threshold = otsu(ndwi, os.path.join(out_dir, "otsu.tif"))
    print(json.dumps({"threshold": threshold}))


def main(argv):
    commands = {"crop": (crop, 5), "norm-diff": (norm_diff, 3), "otsu": (otsu, 2), "chain": (chain, 4)}
    if not argv or argv[0] not in commands or len(argv) - 1 != commands[argv[0]][1]:
        sys.exit(__doc__)
    func, _ = commands[argv[0]]
    func(*argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
