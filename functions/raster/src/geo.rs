//! Georeferencing: affine geotransforms, EPSG codes and point reprojection (pure Rust, proj4rs).

use crate::error::{Error, Result};

/// An affine pixel -> map transform in rasterio/`affine` order:
/// `x = a * col + b * row + c`, `y = d * col + e * row + f`.
///
/// Arithmetic follows the Python `affine` package operation for operation, so windows computed
/// here match rasterio's bit for bit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoTransform {
    /// Pixel width.
    pub a: f64,
    /// Row rotation.
    pub b: f64,
    /// X of the upper-left corner.
    pub c: f64,
    /// Column rotation.
    pub d: f64,
    /// Pixel height (negative for north-up).
    pub e: f64,
    /// Y of the upper-left corner.
    pub f: f64,
}

impl GeoTransform {
    /// A north-up transform with square or rectangular pixels.
    pub fn north_up(origin_x: f64, origin_y: f64, pixel_width: f64, pixel_height: f64) -> Self {
        Self {
            a: pixel_width,
            b: 0.0,
            c: origin_x,
            d: 0.0,
            e: -pixel_height,
            f: origin_y,
        }
    }

    /// Applies the transform to `(col, row)`.
    pub fn apply(&self, col: f64, row: f64) -> (f64, f64) {
        (
            col * self.a + row * self.b + self.c,
            col * self.d + row * self.e + self.f,
        )
    }

    /// The inverse transform (map -> pixel), as `~Affine` computes it.
    pub fn inverse(&self) -> Option<Self> {
        let det = self.a * self.e - self.b * self.d;
        if det == 0.0 || !det.is_finite() {
            return None;
        }
        let idet = 1.0 / det;
        let ra = self.e * idet;
        let rb = -self.b * idet;
        let rd = -self.d * idet;
        let re = self.a * idet;
        Some(Self {
            a: ra,
            b: rb,
            c: -self.c * ra - self.f * rb,
            d: rd,
            e: re,
            f: -self.c * rd - self.f * re,
        })
    }

    /// The transform of a window starting at `(col_off, row_off)`, as rasterio's
    /// `windows.transform` computes it.
    pub fn window(&self, col_off: f64, row_off: f64) -> Self {
        let (x, y) = self.apply(col_off, row_off);
        let (tx, ty) = (x - self.c, y - self.f);
        Self {
            a: self.a,
            b: self.b,
            c: self.c + self.f * 0.0 + tx,
            d: self.d,
            e: self.e,
            f: self.c * 0.0 + self.f + ty,
        }
    }

    /// True when there is no rotation term.
    pub fn is_north_up(&self) -> bool {
        self.b == 0.0 && self.d == 0.0
    }

    /// The 9 numbers of STAC `proj:transform`.
    pub fn to_stac(&self) -> [f64; 9] {
        [
            self.a, self.b, self.c, self.d, self.e, self.f, 0.0, 0.0, 1.0,
        ]
    }

    /// `(minx, miny, maxx, maxy)` of a `width` x `height` raster.
    pub fn bounds(&self, width: u32, height: u32) -> [f64; 4] {
        let corners = [
            self.apply(0.0, 0.0),
            self.apply(f64::from(width), 0.0),
            self.apply(0.0, f64::from(height)),
            self.apply(f64::from(width), f64::from(height)),
        ];
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for (x, y) in corners {
            b[0] = b[0].min(x);
            b[1] = b[1].min(y);
            b[2] = b[2].max(x);
            b[3] = b[3].max(y);
        }
        b
    }
}

/// Where a raster sits: CRS, transform and nodata value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Georef {
    /// EPSG code of the CRS.
    pub epsg: u16,
    /// Pixel -> map transform.
    pub transform: GeoTransform,
    /// The nodata value (GDAL_NODATA), if any.
    pub nodata: Option<f64>,
}

/// Parses a CRS string into an EPSG code: `EPSG:4326`, `epsg:32610`, `4326`,
/// `urn:ogc:def:crs:EPSG::4326`, `OGC:CRS84` (lon/lat, as 4326).
///
/// # Examples
///
/// ```
/// use stratus_raster::geo::parse_epsg;
/// assert_eq!(parse_epsg("EPSG:4326").unwrap(), 4326);
/// assert!(parse_epsg("EPSG:abc").is_err());
/// ```
pub fn parse_epsg(crs: &str) -> Result<u16> {
    let s = crs.trim();
    let upper = s.to_ascii_uppercase();
    if upper == "OGC:CRS84" || upper == "CRS84" || upper.ends_with("OGC:1.3:CRS84") {
        return Ok(4326);
    }
    let code = if let Some(rest) = upper.strip_prefix("EPSG:") {
        rest
    } else if let Some(i) = upper.find("EPSG::") {
        &upper[i + 6..]
    } else if let Some(i) = upper.find("/EPSG/0/") {
        &upper[i + 8..]
    } else {
        &upper
    };
    let code: u16 = code
        .parse()
        .map_err(|_| Error::UnsupportedCrs(crs.to_string()))?;
    proj_def(code)?;
    Ok(code)
}

fn proj_def(code: u16) -> Result<&'static str> {
    crs_definitions::from_code(code)
        .map(|d| d.proj4)
        .ok_or_else(|| Error::UnsupportedCrs(format!("EPSG:{code} is not in the built-in list")))
}

/// Transforms points between two EPSG CRSs, always in (x, y) = (easting|lon, northing|lat)
/// order, like pyproj's `always_xy=True`.
pub struct Reprojector {
    from: u16,
    to: u16,
    projs: Option<(proj4rs::Proj, proj4rs::Proj)>,
}

impl Reprojector {
    /// A transformer from `from` to `to`; identical codes give the identity.
    pub fn new(from: u16, to: u16) -> Result<Self> {
        let projs = if from == to {
            None
        } else {
            let build = |code: u16| {
                proj4rs::Proj::from_proj_string(proj_def(code)?)
                    .map_err(|e| Error::UnsupportedCrs(format!("EPSG:{code}: {e}")))
            };
            Some((build(from)?, build(to)?))
        };
        Ok(Self { from, to, projs })
    }

    /// Transforms one point.
    pub fn transform(&self, x: f64, y: f64) -> Result<(f64, f64)> {
        let Some((src, dst)) = &self.projs else {
            return Ok((x, y));
        };
        let (ix, iy) = if src.is_latlong() {
            (x.to_radians(), y.to_radians())
        } else {
            (x, y)
        };
        let err = |reason: String| Error::Reprojection {
            from: self.from,
            to: self.to,
            x,
            y,
            reason,
        };
        let (ox, oy) =
            proj4rs::adaptors::transform_xy(src, dst, ix, iy).map_err(|e| err(e.to_string()))?;
        let out = if dst.is_latlong() {
            (ox.to_degrees(), oy.to_degrees())
        } else {
            (ox, oy)
        };
        if !out.0.is_finite() || !out.1.is_finite() {
            return Err(err("result is not finite".into()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_matches_affine_arithmetic() {
        let t = GeoTransform::north_up(600000.0, 4500000.0, 10.0, 10.0);
        let inv = t.inverse().unwrap();
        assert_eq!(inv.a, 0.1);
        let (c, r) = inv.apply(636990.0, 4482600.0);
        assert!((c - 3699.0).abs() < 1e-9 && (r - 1740.0).abs() < 1e-9);
        let w = t.window(3699.0, 1740.0);
        assert_eq!((w.c, w.f), (636990.0, 4482600.0));
    }

    #[test]
    fn epsg_strings_parse() {
        assert_eq!(parse_epsg("epsg:32610").unwrap(), 32610);
        assert_eq!(parse_epsg("urn:ogc:def:crs:EPSG::32618").unwrap(), 32618);
        assert_eq!(parse_epsg("4326").unwrap(), 4326);
        assert!(matches!(
            parse_epsg("EPSG:1"),
            Err(Error::UnsupportedCrs(_))
        ));
    }

    #[test]
    fn lonlat_to_utm_matches_pyproj() {
        // pyproj: Transformer.from_crs("EPSG:4326", "EPSG:32610", always_xy=True)
        //   .transform(-121.399, 39.834) == (636994.4641597465, 4410559.323959585)
        let r = Reprojector::new(4326, 32610).unwrap();
        let (x, y) = r.transform(-121.399, 39.834).unwrap();
        assert!((x - 636_994.464_159_746_5).abs() < 1e-5, "{x}");
        assert!((y - 4_410_559.323_959_585).abs() < 1e-5, "{y}");
        let back = Reprojector::new(32610, 4326).unwrap();
        let (lon, lat) = back.transform(x, y).unwrap();
        assert!((lon + 121.399).abs() < 1e-9 && (lat - 39.834).abs() < 1e-9);
    }
}

/// A rectangle of whole pixels: `width` x `height` starting at column `col_off`, row `row_off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First column.
    pub col_off: u32,
    /// First row.
    pub row_off: u32,
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
}

impl Window {
    /// The whole of a `width` x `height` raster.
    pub fn full(width: u32, height: u32) -> Self {
        Self {
            col_off: 0,
            row_off: 0,
            width,
            height,
        }
    }

    /// Number of pixels.
    pub fn pixels(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}
