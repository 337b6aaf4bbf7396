//! The reference `norm_diff` and `otsu` steps fused: NDWI in float32, Otsu threshold over its
//! finite values, water mask. NDWI is recomputed per pass instead of stored, which keeps peak
//! memory at the two input bands plus the one-byte mask.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::otsu::{BINS, Binning, threshold_from_counts};
use crate::tiff::Sample;

const CHUNK: usize = 1 << 16;

/// `(a - b) / (a + b)` in float32: NaN where both are 0, -1 or +1 where one is 0.
#[inline(always)]
pub fn normalized_difference(a: f32, b: f32) -> f32 {
    (a - b) / (a + b)
}

/// The water mask and what was learned computing it.
#[derive(Debug, Clone)]
pub struct WaterMask {
    /// 1 where NDWI is above the threshold, else 0; row-major.
    pub mask: Vec<u8>,
    /// Otsu threshold on NDWI.
    pub threshold: f32,
    /// Pixels with a finite NDWI.
    pub finite: u64,
    /// Pixels set to 1.
    pub water: u64,
}

/// Computes NDWI of bands `a` (green) and `b` (nir), thresholds it with Otsu and returns
/// `ndwi > threshold` as 0/1. All-NaN input is [`Error::AllNodata`].
pub fn water_mask<T: Sample>(a: &[T], b: &[T]) -> Result<WaterMask> {
    if a.len() != b.len() {
        return Err(Error::GridMismatch(format!(
            "{} and {} pixels",
            a.len(),
            b.len()
        )));
    }
    let ndwi_chunks = || {
        a.par_chunks(CHUNK)
            .zip(b.par_chunks(CHUNK))
            .map(|(ca, cb)| {
                ca.iter()
                    .zip(cb)
                    .map(|(&x, &y)| normalized_difference(x.to_f32(), y.to_f32()))
            })
    };
    let (lo, hi, finite) = ndwi_chunks()
        .map(|it| {
            it.fold((f32::INFINITY, f32::NEG_INFINITY, 0u64), |(l, h, n), v| {
                if v.is_finite() {
                    (l.min(v), h.max(v), n + 1)
                } else {
                    (l, h, n)
                }
            })
        })
        .reduce(
            || (f32::INFINITY, f32::NEG_INFINITY, 0),
            |x, y| (x.0.min(y.0), x.1.max(y.1), x.2 + y.2),
        );
    if finite == 0 {
        return Err(Error::AllNodata);
    }
    let threshold = if lo == hi {
        lo
    } else {
        let binning = Binning::new(lo, hi);
        let counts = ndwi_chunks()
            .map(|it| {
                let mut c = [0u64; BINS];
                for v in it.filter(|v| v.is_finite()) {
                    c[binning.bin(v)] += 1;
                }
                c
            })
            .reduce(
                || [0u64; BINS],
                |mut x, y| {
                    for (a, b) in x.iter_mut().zip(y) {
                        *a += b;
                    }
                    x
                },
            );
        threshold_from_counts(&binning, &counts)
    };
    let mut mask = vec![0u8; a.len()];
    let water = mask
        .par_chunks_mut(CHUNK)
        .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
        .map(|(m, (ca, cb))| {
            let mut n = 0u64;
            for ((o, &x), &y) in m.iter_mut().zip(ca).zip(cb) {
                let w = normalized_difference(x.to_f32(), y.to_f32()) > threshold;
                *o = u8::from(w);
                n += u64::from(w);
            }
            n
        })
        .sum();
    Ok(WaterMask {
        mask,
        threshold,
        finite,
        water,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otsu::threshold_otsu;

    #[test]
    fn ndwi_edge_cases_match_numpy() {
        assert!(normalized_difference(0.0, 0.0).is_nan());
        assert_eq!(normalized_difference(0.0, 5.0), -1.0);
        assert_eq!(normalized_difference(5.0, 0.0), 1.0);
    }

    #[test]
    fn mask_agrees_with_the_plain_otsu() {
        let g: Vec<u16> = (0..5000)
            .map(|i| {
                if i % 3 == 0 {
                    800
                } else {
                    1000 + (i % 400) as u16
                }
            })
            .collect();
        let n: Vec<u16> = (0..5000)
            .map(|i| {
                if i % 3 == 0 {
                    250
                } else {
                    3000 + (i % 900) as u16
                }
            })
            .collect();
        let ndwi: Vec<f32> = g
            .iter()
            .zip(&n)
            .map(|(&a, &b)| normalized_difference(f32::from(a), f32::from(b)))
            .collect();
        let t = threshold_otsu(&ndwi).unwrap();
        let m = water_mask(&g, &n).unwrap();
        assert_eq!(m.threshold, t);
        assert_eq!(m.water, 1667);
        assert!(m.mask.iter().step_by(3).all(|&v| v == 1));
    }

    #[test]
    fn all_nodata_and_constant_inputs() {
        assert!(matches!(
            water_mask(&[0u16; 10], &[0u16; 10]),
            Err(Error::AllNodata)
        ));
        let m = water_mask(&[5u16; 10], &[5u16; 10]).unwrap();
        assert_eq!((m.threshold, m.water), (0.0, 0));
    }
}
