//! Just enough planar geometry for ingestion, in longitude/latitude degrees: (multi)polygons
//! read from GeoJSON (a geometry, a Feature, or a FeatureCollection merged into one
//! multipolygon) and WKT, written back to both, and the two predicates the catalogue needs:
//! "intersects" and "within a distance of" (the AOI buffered by 0.05°).

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::error::{Error, Result};

/// Most vertices a shape may have (AOIs and footprints are simplified polygons).
pub const MAX_VERTICES: usize = 100_000;

/// A point `[lon, lat]`.
pub type Point = [f64; 2];

/// A polygon: an exterior ring then holes, each closed (first point = last point).
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    /// Rings; the first is the exterior.
    pub rings: Vec<Vec<Point>>,
}

/// A multipolygon (one polygon is a multipolygon of one).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Shape {
    /// The polygons.
    pub polygons: Vec<Polygon>,
}

impl Shape {
    /// A shape of one polygon with one ring.
    pub fn from_ring(ring: Vec<Point>) -> Result<Self> {
        Ok(Shape {
            polygons: vec![Polygon {
                rings: vec![close(ring)?],
            }],
        })
    }

    /// Reads a GeoJSON geometry, Feature or FeatureCollection (features merged). Polygons and
    /// multipolygons only, in any nesting of geometry collections.
    pub fn from_geojson(value: &Value) -> Result<Self> {
        let mut shape = Shape::default();
        let mut vertices = 0;
        collect_geojson(value, &mut shape, &mut vertices, 0)?;
        if shape.polygons.is_empty() {
            return Err(Error::invalid("the geometry has no polygon"));
        }
        Ok(shape)
    }

    /// GeoJSON: a Polygon if there is one polygon, else a MultiPolygon.
    pub fn to_geojson(&self) -> Value {
        let coords = |p: &Polygon| -> Value {
            Value::Array(
                p.rings
                    .iter()
                    .map(|r| Value::Array(r.iter().map(|pt| json!([pt[0], pt[1]])).collect()))
                    .collect(),
            )
        };
        if self.polygons.len() == 1 {
            json!({"type": "Polygon", "coordinates": coords(&self.polygons[0])})
        } else {
            json!({"type": "MultiPolygon",
                   "coordinates": self.polygons.iter().map(coords).collect::<Vec<_>>()})
        }
    }

    /// WKT: `POLYGON ((...))` for one polygon, else `MULTIPOLYGON (((...)))`.
    pub fn to_wkt(&self) -> String {
        let mut out = String::new();
        let write_polygon = |out: &mut String, p: &Polygon| {
            out.push('(');
            for (i, ring) in p.rings.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('(');
                for (j, pt) in ring.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{} {}", pt[0], pt[1]);
                }
                out.push(')');
            }
            out.push(')');
        };
        if self.polygons.len() == 1 {
            out.push_str("POLYGON ");
            write_polygon(&mut out, &self.polygons[0]);
        } else {
            out.push_str("MULTIPOLYGON (");
            for (i, p) in self.polygons.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_polygon(&mut out, p);
            }
            out.push(')');
        }
        out
    }

    /// Reads `POLYGON` or `MULTIPOLYGON` WKT (any case, optional spaces).
    pub fn from_wkt(wkt: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::invalid(format!(
                "invalid WKT '{}': {why}",
                wkt.chars().take(60).collect::<String>()
            ))
        };
        let text = wkt.trim();
        let upper = text.to_ascii_uppercase();
        let (multi, rest) = if let Some(r) = upper.strip_prefix("MULTIPOLYGON") {
            (true, &text[text.len() - r.len()..])
        } else if let Some(r) = upper.strip_prefix("POLYGON") {
            (false, &text[text.len() - r.len()..])
        } else {
            return Err(bad("only POLYGON and MULTIPOLYGON are read"));
        };
        let tree = parse_parens(rest.trim()).ok_or_else(|| bad("unbalanced parentheses"))?;
        let polygon = |node: &Paren| -> Result<Polygon> {
            let Paren::List(rings) = node else {
                return Err(bad("a polygon is a list of rings"));
            };
            let rings = rings
                .iter()
                .map(|r| match r {
                    Paren::Text(t) => {
                        let pts = t
                            .split(',')
                            .map(|p| {
                                let mut it = p.split_whitespace().map(str::parse::<f64>);
                                match (it.next(), it.next()) {
                                    (Some(Ok(x)), Some(Ok(y))) => Ok([x, y]),
                                    _ => Err(bad("a point is 'x y'")),
                                }
                            })
                            .collect::<Result<Vec<Point>>>()?;
                        close(pts)
                    }
                    Paren::List(_) => Err(bad("a ring is a list of points")),
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Polygon { rings })
        };
        let polygons = if multi {
            let Paren::List(items) = &tree else {
                return Err(bad("a multipolygon is a list of polygons"));
            };
            items.iter().map(polygon).collect::<Result<Vec<_>>>()?
        } else {
            vec![polygon(&tree)?]
        };
        if polygons.is_empty() {
            return Err(bad("no polygon"));
        }
        Ok(Shape { polygons })
    }

    /// `[min lon, min lat, max lon, max lat]`.
    pub fn bbox(&self) -> [f64; 4] {
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for p in &self.polygons {
            for pt in p.rings.iter().flatten() {
                b[0] = b[0].min(pt[0]);
                b[1] = b[1].min(pt[1]);
                b[2] = b[2].max(pt[0]);
                b[3] = b[3].max(pt[1]);
            }
        }
        b
    }

    /// Whether the two shapes share at least one point.
    pub fn intersects(&self, other: &Shape) -> bool {
        self.polygons
            .iter()
            .any(|a| other.polygons.iter().any(|b| polygons_intersect(a, b)))
    }

    /// Whether the shapes are at most `distance` degrees apart (0 when they intersect): the
    /// same as intersecting `other` buffered by `distance`.
    pub fn within(&self, other: &Shape, distance: f64) -> bool {
        if self.intersects(other) {
            return true;
        }
        let (a, b) = (self.bbox(), other.bbox());
        if a[0] - b[2] > distance
            || b[0] - a[2] > distance
            || a[1] - b[3] > distance
            || b[1] - a[3] > distance
        {
            return false;
        }
        segments(self).any(|s| segments(other).any(|t| segment_distance(s, t) <= distance))
    }

    /// Merges the polygons of `other` into this shape.
    pub fn extend(&mut self, other: Shape) {
        self.polygons.extend(other.polygons);
    }
}

fn close(mut ring: Vec<Point>) -> Result<Vec<Point>> {
    if ring.iter().flatten().any(|c| !c.is_finite()) {
        return Err(Error::invalid("a coordinate is not a finite number"));
    }
    if ring.first() != ring.last() {
        let first = ring[0];
        ring.push(first);
    }
    if ring.len() < 4 {
        return Err(Error::invalid("a ring needs at least 3 distinct points"));
    }
    Ok(ring)
}

fn collect_geojson(
    value: &Value,
    shape: &mut Shape,
    vertices: &mut usize,
    depth: u8,
) -> Result<()> {
    if depth > 8 {
        return Err(Error::invalid("the geometry is nested too deeply"));
    }
    let kind = value.get("type").and_then(Value::as_str).unwrap_or("");
    let ring = |v: &Value, vertices: &mut usize| -> Result<Vec<Point>> {
        let pts = v
            .as_array()
            .ok_or_else(|| Error::invalid("a ring is an array of positions"))?;
        *vertices += pts.len();
        if *vertices > MAX_VERTICES {
            return Err(Error::TooLarge {
                what: "the geometry".into(),
                limit: format!("{MAX_VERTICES} vertices"),
            });
        }
        let pts = pts
            .iter()
            .map(|p| match p.as_array().map(Vec::as_slice) {
                Some([x, y, ..]) => match (x.as_f64(), y.as_f64()) {
                    (Some(x), Some(y)) => Ok([x, y]),
                    _ => Err(Error::invalid("a position is [lon, lat]")),
                },
                _ => Err(Error::invalid("a position is [lon, lat]")),
            })
            .collect::<Result<Vec<_>>>()?;
        close(pts)
    };
    let polygon = |v: &Value, vertices: &mut usize| -> Result<Polygon> {
        let rings = v
            .as_array()
            .ok_or_else(|| Error::invalid("a polygon is an array of rings"))?;
        if rings.is_empty() {
            return Err(Error::invalid("a polygon has no ring"));
        }
        Ok(Polygon {
            rings: rings
                .iter()
                .map(|r| ring(r, vertices))
                .collect::<Result<_>>()?,
        })
    };
    match kind {
        "FeatureCollection" => {
            for f in value
                .get("features")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::invalid("a FeatureCollection has 'features'"))?
            {
                collect_geojson(f, shape, vertices, depth + 1)?;
            }
        }
        "Feature" => {
            let g = value
                .get("geometry")
                .filter(|g| !g.is_null())
                .ok_or_else(|| Error::invalid("the Feature has no geometry"))?;
            collect_geojson(g, shape, vertices, depth + 1)?;
        }
        "GeometryCollection" => {
            for g in value
                .get("geometries")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::invalid("a GeometryCollection has 'geometries'"))?
            {
                collect_geojson(g, shape, vertices, depth + 1)?;
            }
        }
        "Polygon" => {
            let c = value
                .get("coordinates")
                .ok_or_else(|| Error::invalid("the Polygon has no coordinates"))?;
            shape.polygons.push(polygon(c, vertices)?);
        }
        "MultiPolygon" => {
            for p in value
                .get("coordinates")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::invalid("the MultiPolygon has no coordinates"))?
            {
                shape.polygons.push(polygon(p, vertices)?);
            }
        }
        "" => return Err(Error::invalid("the area has no GeoJSON 'type'")),
        other => {
            return Err(Error::invalid(format!(
                "geometry type '{}' is not supported (Polygon, MultiPolygon, Feature, \
                 FeatureCollection)",
                other.chars().take(32).collect::<String>()
            )));
        }
    }
    Ok(())
}

enum Paren {
    List(Vec<Paren>),
    Text(String),
}

/// Parses `( ... )` nesting: innermost groups are text, outer ones lists.
fn parse_parens(s: &str) -> Option<Paren> {
    fn group(chars: &[char], i: &mut usize, depth: u8) -> Option<Paren> {
        if depth > 4 || chars.get(*i) != Some(&'(') {
            return None;
        }
        *i += 1;
        let mut items = Vec::new();
        let mut text = String::new();
        while let Some(&c) = chars.get(*i) {
            match c {
                '(' => items.push(group(chars, i, depth + 1)?),
                ')' => {
                    *i += 1;
                    return Some(if items.is_empty() {
                        Paren::Text(text)
                    } else {
                        Paren::List(items)
                    });
                }
                _ => {
                    text.push(c);
                    *i += 1;
                }
            }
        }
        None
    }
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let tree = group(&chars, &mut i, 0)?;
    chars[i..].iter().all(|c| c.is_whitespace()).then_some(tree)
}

type Segment = (Point, Point);

fn segments(shape: &Shape) -> impl Iterator<Item = Segment> + '_ {
    shape
        .polygons
        .iter()
        .flat_map(|p| p.rings.iter())
        .flat_map(|r| r.windows(2).map(|w| (w[0], w[1])))
}

fn polygons_intersect(a: &Polygon, b: &Polygon) -> bool {
    let ring_segments = |p: &Polygon| -> Vec<Segment> {
        p.rings
            .iter()
            .flat_map(|r| r.windows(2).map(|w| (w[0], w[1])))
            .collect()
    };
    let (sa, sb) = (ring_segments(a), ring_segments(b));
    if sa.iter().any(|s| sb.iter().any(|t| segments_cross(*s, *t))) {
        return true;
    }
    contains(a, b.rings[0][0]) || contains(b, a.rings[0][0])
}

/// Whether `p` lies inside the polygon (exterior minus holes), by ray casting.
fn contains(poly: &Polygon, p: Point) -> bool {
    let inside_ring = |ring: &[Point]| {
        let mut inside = false;
        for w in ring.windows(2) {
            let (a, b) = (w[0], w[1]);
            if (a[1] > p[1]) != (b[1] > p[1]) {
                let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                if p[0] < x {
                    inside = !inside;
                }
            }
        }
        inside
    };
    inside_ring(&poly.rings[0]) && !poly.rings[1..].iter().any(|h| inside_ring(h))
}

fn orient(a: Point, b: Point, c: Point) -> f64 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

fn on_segment(a: Point, b: Point, p: Point) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

fn segments_cross(s: Segment, t: Segment) -> bool {
    let (d1, d2) = (orient(t.0, t.1, s.0), orient(t.0, t.1, s.1));
    let (d3, d4) = (orient(s.0, s.1, t.0), orient(s.0, s.1, t.1));
    if ((d1 > 0.0 && d2 < 0.0) || (d1 < 0.0 && d2 > 0.0))
        && ((d3 > 0.0 && d4 < 0.0) || (d3 < 0.0 && d4 > 0.0))
    {
        return true;
    }
    (d1 == 0.0 && on_segment(t.0, t.1, s.0))
        || (d2 == 0.0 && on_segment(t.0, t.1, s.1))
        || (d3 == 0.0 && on_segment(s.0, s.1, t.0))
        || (d4 == 0.0 && on_segment(s.0, s.1, t.1))
}

fn point_segment_distance(p: Point, s: Segment) -> f64 {
    let (a, b) = s;
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    };
    let (x, y) = (a[0] + t * dx - p[0], a[1] + t * dy - p[1]);
    (x * x + y * y).sqrt()
}

fn segment_distance(s: Segment, t: Segment) -> f64 {
    if segments_cross(s, t) {
        return 0.0;
    }
    point_segment_distance(s.0, t)
        .min(point_segment_distance(s.1, t))
        .min(point_segment_distance(t.0, s))
        .min(point_segment_distance(t.1, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, size: f64) -> Shape {
        Shape::from_ring(vec![
            [x, y],
            [x + size, y],
            [x + size, y + size],
            [x, y + size],
        ])
        .unwrap()
    }

    #[test]
    fn geojson_kinds_are_merged() {
        let feature = json!({"type": "Feature", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [[[9.9,54.9],[10,54.9],[10,55],[9.9,54.9]]]}});
        let s = Shape::from_geojson(&feature).unwrap();
        assert_eq!(s.polygons.len(), 1);
        let fc = json!({"type": "FeatureCollection", "features": [feature.clone(), feature]});
        assert_eq!(Shape::from_geojson(&fc).unwrap().polygons.len(), 2);
        assert!(Shape::from_geojson(&json!({"type": "Point", "coordinates": [1, 2]})).is_err());
        assert!(Shape::from_geojson(&json!({"name": "x"})).is_err());
        assert!(
            Shape::from_geojson(&json!({"type": "Polygon", "coordinates": [[[0,0],[1,1]]]}))
                .is_err()
        );
    }

    #[test]
    fn wkt_round_trips() {
        let wkt = "POLYGON ((8.999680177 55.89488809,8.999687664 54.95909887,10.71398549 54.94701782,10.7572757 55.93320247,9.0247385 55.94555573,8.999680177 55.89488809))";
        let s = Shape::from_wkt(wkt).unwrap();
        assert_eq!(s.to_wkt(), wkt);
        let mut m = square(0.0, 0.0, 1.0);
        m.extend(square(5.0, 5.0, 1.0));
        let back = Shape::from_wkt(&m.to_wkt()).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            Shape::from_wkt("polygon((0 0, 1 0, 1 1, 0 0))")
                .unwrap()
                .polygons[0]
                .rings[0]
                .len(),
            4
        );
        for bad in [
            "POINT (1 2)",
            "POLYGON ((0 0, 1 0",
            "POLYGON ((a b, 1 0, 1 1))",
        ] {
            assert!(Shape::from_wkt(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn intersection_and_distance() {
        let a = square(0.0, 0.0, 1.0);
        assert!(a.intersects(&square(0.5, 0.5, 1.0)), "overlap");
        assert!(a.intersects(&square(0.2, 0.2, 0.1)), "inside");
        assert!(square(0.2, 0.2, 0.1).intersects(&a), "contains");
        assert!(a.intersects(&square(1.0, 0.0, 1.0)), "touching edge");
        let far = square(1.04, 0.0, 1.0);
        assert!(!a.intersects(&far));
        assert!(a.within(&far, 0.05), "4 hundredths away");
        assert!(!a.within(&square(1.06, 0.0, 1.0), 0.05));
        assert_eq!(a.bbox(), [0.0, 0.0, 1.0, 1.0]);
    }
}
