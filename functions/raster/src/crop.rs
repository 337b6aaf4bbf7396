//! The reference `crop` step: AOI parsing, corner reprojection, crop window and the
//! pixel-centre-in-box mask, reproducing rasterio's `mask(..., crop=True)` exactly.

use std::ops::Range;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::geo::{GeoTransform, Reprojector, Window};

/// An area of interest `minx,miny,maxx,maxy` in some CRS (lon/lat order for EPSG:4326).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aoi {
    /// First corner x (west).
    pub minx: f64,
    /// First corner y (south).
    pub miny: f64,
    /// Second corner x (east).
    pub maxx: f64,
    /// Second corner y (north).
    pub maxy: f64,
}

impl FromStr for Aoi {
    type Err = Error;

    /// Parses `"minx,miny,maxx,maxy"` like the reference's `box(*map(float, aoi.split(",")))`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason: &str| Error::InvalidAoi {
            aoi: s.to_string(),
            reason: reason.to_string(),
        };
        let v: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| bad("expected four comma-separated numbers"))?;
        let [minx, miny, maxx, maxy] = v[..] else {
            return Err(bad("expected four comma-separated numbers"));
        };
        if v.iter().any(|x| !x.is_finite()) {
            return Err(bad("coordinates must be finite"));
        }
        Ok(Self {
            minx,
            miny,
            maxx,
            maxy,
        })
    }
}

impl Aoi {
    /// Reprojects the two corners `(minx, miny)` and `(maxx, maxy)` (only those two, as the
    /// reference does) and returns the box they span in the target CRS.
    pub fn to_crs(&self, from_epsg: u16, to_epsg: u16) -> Result<Aoi> {
        let r = Reprojector::new(from_epsg, to_epsg)?;
        let (minx, miny) = r.transform(self.minx, self.miny)?;
        let (maxx, maxy) = r.transform(self.maxx, self.maxy)?;
        Ok(Aoi {
            minx,
            miny,
            maxx,
            maxy,
        })
    }

    /// The vertices of shapely's `box(minx, miny, maxx, maxy)` (counter-clockwise ring).
    fn ring(&self) -> [(f64, f64); 4] {
        [
            (self.maxx, self.miny),
            (self.maxx, self.maxy),
            (self.minx, self.maxy),
            (self.minx, self.miny),
        ]
    }
}

/// Where the AOI falls on a raster.
#[derive(Debug, Clone, PartialEq)]
pub struct Crop {
    /// The pixels to read: the box's pixel bounds (floor / ceil) intersected with the raster.
    pub window: Window,
    /// The window's geotransform.
    pub transform: GeoTransform,
    /// Window-relative rows whose pixel centres are inside the box.
    pub rows: Range<u32>,
    /// Window-relative columns whose pixel centres are inside the box.
    pub cols: Range<u32>,
}

impl Crop {
    /// Computes the window and mask of `aoi` (already in the raster CRS) on a `width` x
    /// `height` raster with `transform`.
    ///
    /// The window is rasterio's `geometry_window`; the mask is GDAL's rasterisation of the box
    /// (a column is inside when `floor(x0 + 0.5) <= col < floor(x1 + 0.5)`, a row when
    /// `y0 <= row + 0.5 <= y1`, in window pixel coordinates).
    pub fn new(transform: &GeoTransform, width: u32, height: u32, aoi: &Aoi) -> Result<Self> {
        if !transform.is_north_up() {
            return Err(Error::InvalidParams(
                "rotated rasters are not supported".into(),
            ));
        }
        let inv = transform
            .inverse()
            .ok_or_else(|| Error::InvalidParams("degenerate geotransform".into()))?;
        let pix: Vec<(f64, f64)> = aoi.ring().iter().map(|&(x, y)| inv.apply(x, y)).collect();
        let min_col = pix.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
        let max_col = pix.iter().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max);
        let min_row = pix.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
        let max_row = pix.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        if ![min_col, max_col, min_row, max_row]
            .iter()
            .all(|v| v.is_finite())
        {
            return Err(Error::NoOverlap);
        }
        let (col_start, col_stop) = (min_col.floor(), max_col.ceil());
        let (row_start, row_stop) = (min_row.floor(), max_row.ceil());
        // Window.intersection: empty or disjoint windows do not intersect.
        let c0 = col_start.max(0.0);
        let c1 = col_stop.min(f64::from(width));
        let r0 = row_start.max(0.0);
        let r1 = row_stop.min(f64::from(height));
        if col_stop <= col_start || row_stop <= row_start || c1 <= c0 || r1 <= r0 {
            return Err(Error::NoOverlap);
        }
        let window = Window {
            col_off: c0 as u32,
            row_off: r0 as u32,
            width: (c1 - c0) as u32,
            height: (r1 - r0) as u32,
        };
        let wt = transform.window(c0, r0);

        // GDALInvGeoTransform (no-rotation case) and GDALGenImgProjTransform's arithmetic.
        let g = [-wt.c / wt.a, 1.0 / wt.a, 0.0, -wt.f / wt.e, 0.0, 1.0 / wt.e];
        let gx: Vec<f64> = aoi
            .ring()
            .iter()
            .map(|&(x, y)| g[0] + x * g[1] + y * g[2])
            .collect();
        let gy: Vec<f64> = aoi
            .ring()
            .iter()
            .map(|&(x, y)| g[3] + x * g[4] + y * g[5])
            .collect();
        let x0 = gx.iter().copied().fold(f64::INFINITY, f64::min);
        let x1 = gx.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let y0 = gy.iter().copied().fold(f64::INFINITY, f64::min);
        let y1 = gy.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let clamp = |v: f64, hi: u32| v.clamp(0.0, f64::from(hi)) as u32;
        let cols = clamp((x0 + 0.5).floor(), window.width)..clamp((x1 + 0.5).floor(), window.width);
        let first_row = first_centre_at_or_after(y0);
        let end_row = first_centre_after(y1);
        let rows = clamp(first_row, window.height)..clamp(end_row, window.height);
        Ok(Self {
            window,
            transform: wt,
            rows: rows.start..rows.end.max(rows.start),
            cols: cols.start..cols.end.max(cols.start),
        })
    }

    /// True when window pixel `(col, row)` keeps its value (its centre is in the box).
    pub fn contains(&self, col: u32, row: u32) -> bool {
        self.rows.contains(&row) && self.cols.contains(&col)
    }

    /// Sets every pixel of `data` (the window, row-major) outside the box to `fill`.
    pub fn apply_mask<T: Copy>(&self, data: &mut [T], fill: T) {
        let w = self.window.width as usize;
        for (r, row) in data.chunks_exact_mut(w).enumerate() {
            if self.rows.contains(&(r as u32)) {
                row[..self.cols.start as usize].fill(fill);
                row[self.cols.end as usize..].fill(fill);
            } else {
                row.fill(fill);
            }
        }
    }
}

/// Smallest row `i` with `i + 0.5 >= y`.
fn first_centre_at_or_after(y: f64) -> f64 {
    let mut i = (y - 0.5).ceil();
    while i > -1e9 && i - 1.0 + 0.5 >= y {
        i -= 1.0;
    }
    while i + 0.5 < y {
        i += 1.0;
    }
    i
}

/// Smallest row `i` with `i + 0.5 > y`.
fn first_centre_after(y: f64) -> f64 {
    let mut i = (y - 0.5).floor();
    while i > -1e9 && i - 1.0 + 0.5 > y {
        i -= 1.0;
    }
    while i + 0.5 <= y {
        i += 1.0;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> GeoTransform {
        GeoTransform::north_up(600000.0, 4500000.0, 10.0, 10.0)
    }

    #[test]
    fn aoi_parses_like_python_float() {
        let a: Aoi = " -121.399, 39.834,-120.74 ,40.472".parse().unwrap();
        assert_eq!(a.minx, -121.399);
        assert!("1,2,3".parse::<Aoi>().is_err());
        assert!("1,2,3,x".parse::<Aoi>().is_err());
        assert!("1,2,3,inf".parse::<Aoi>().is_err());
    }

    #[test]
    fn dev_aoi_window_matches_the_reference() {
        let aoi: Aoi = "-121.399,39.834,-120.74,40.472".parse().unwrap();
        let utm = aoi.to_crs(4326, 32610).unwrap();
        let crop = Crop::new(&grid(), 10980, 10980, &utm).unwrap();
        assert_eq!(
            crop.window,
            Window {
                col_off: 3699,
                row_off: 1740,
                width: 5460,
                height: 7205
            }
        );
        assert_eq!((crop.transform.c, crop.transform.f), (636990.0, 4482600.0));
        // The box ends past the last column's centre but before the last row's.
        assert_eq!(crop.cols, 0..5460);
        assert_eq!(crop.rows, 0..7204);
    }

    #[test]
    fn centres_on_the_box_edges_follow_gdal() {
        // Box edges through pixel centres: x from col 2.5 to 6.5, y from row 3.5 to 7.5.
        let t = GeoTransform::north_up(0.0, 10.0, 1.0, 1.0);
        let aoi = Aoi {
            minx: 2.5,
            miny: 2.5,
            maxx: 6.5,
            maxy: 6.5,
        };
        let crop = Crop::new(&t, 10, 10, &aoi).unwrap();
        assert_eq!(
            crop.window,
            Window {
                col_off: 2,
                row_off: 3,
                width: 5,
                height: 5
            }
        );
        // Columns 3..=6 and rows 3..=7 in raster terms (rasterio's geometry_mask).
        assert_eq!(crop.cols, 1..5);
        assert_eq!(crop.rows, 0..5);
    }

    #[test]
    fn grid_aligned_box_keeps_every_pixel() {
        let aoi = Aoi {
            minx: 600100.0,
            miny: 4499000.0,
            maxx: 600200.0,
            maxy: 4499500.0,
        };
        let crop = Crop::new(&grid(), 1024, 1024, &aoi).unwrap();
        assert_eq!(crop.window.width, 10);
        assert_eq!(crop.window.height, 50);
        assert_eq!((crop.cols.clone(), crop.rows.clone()), (0..10, 0..50));
        let mut data = vec![7u16; 500];
        crop.apply_mask(&mut data, 0);
        assert!(data.iter().all(|&v| v == 7));
    }

    #[test]
    fn boxes_off_the_raster_do_not_overlap() {
        let far = Aoi {
            minx: 0.0,
            miny: 0.0,
            maxx: 10.0,
            maxy: 10.0,
        };
        assert!(matches!(
            Crop::new(&grid(), 1024, 1024, &far),
            Err(Error::NoOverlap)
        ));
        // Touching the east edge only.
        let touch = Aoi {
            minx: 610240.0,
            miny: 4499000.0,
            maxx: 610300.0,
            maxy: 4499500.0,
        };
        assert!(matches!(
            Crop::new(&grid(), 1024, 1024, &touch),
            Err(Error::NoOverlap)
        ));
    }

    #[test]
    fn partial_overlap_is_clipped_and_masked() {
        let aoi = Aoi {
            minx: 599955.0,
            miny: 4499955.0,
            maxx: 600025.0,
            maxy: 4500100.0,
        };
        let crop = Crop::new(&grid(), 1024, 1024, &aoi).unwrap();
        assert_eq!(
            crop.window,
            Window {
                col_off: 0,
                row_off: 0,
                width: 3,
                height: 5
            }
        );
        // x1 = 2.5 -> columns 0..=2 (centre 2.5 is on the edge: kept); y1 = 4.5 -> rows 0..=4.
        assert_eq!(crop.cols, 0..3);
        assert_eq!(crop.rows, 0..5);
        assert!(crop.contains(2, 4));
    }
}
