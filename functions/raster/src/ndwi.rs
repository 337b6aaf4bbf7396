//! The reference `norm_diff` and `otsu` steps fused: NDWI in float32, Otsu threshold over its
//! finite values, water mask. NDWI is never stored: pass 1 finds its range, pass 2 writes each
//! pixel's histogram bin into the mask buffer, pass 3 turns bins into 0/1 and recomputes NDWI
//! only near the threshold bin. Peak memory is the two input bands plus the one-byte mask.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::otsu::{BINS, Binning, threshold_bin};
use crate::tiff::Sample;

const CHUNK: usize = 1 << 16;
const LANES: usize = 8;
/// Bin marker for non-finite NDWI (also used by finite values of the top bin).
const NOT_FINITE: u8 = 255;

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

#[inline(always)]
fn ndwi_at<T: Sample>(a: T, b: T) -> f32 {
    normalized_difference(a.to_f32(), b.to_f32())
}

#[inline(always)]
fn is_finite<T: Sample>(v: f32) -> bool {
    // For unsigned samples NDWI is NaN or within [-1, 1].
    if T::UNSIGNED {
        !v.is_nan()
    } else {
        v.is_finite()
    }
}

/// Minimum, maximum and count of the finite NDWI values, in lanes the compiler vectorises.
fn range<T: Sample>(a: &[T], b: &[T]) -> (f32, f32, u64) {
    let mut lo = [f32::INFINITY; LANES];
    let mut hi = [f32::NEG_INFINITY; LANES];
    let mut n = [0u64; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (xa, xb) in ca.zip(cb) {
        for j in 0..LANES {
            let v = ndwi_at(xa[j], xb[j]);
            let ok = is_finite::<T>(v);
            lo[j] = if ok && v < lo[j] { v } else { lo[j] };
            hi[j] = if ok && v > hi[j] { v } else { hi[j] };
            n[j] += u64::from(ok);
        }
    }
    for (&x, &y) in ra.iter().zip(rb) {
        let v = ndwi_at(x, y);
        if is_finite::<T>(v) {
            lo[0] = lo[0].min(v);
            hi[0] = hi[0].max(v);
            n[0] += 1;
        }
    }
    let l = lo.iter().copied().fold(f32::INFINITY, f32::min);
    let h = hi.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    (l, h, n.iter().sum())
}

/// Writes each pixel's bin (or [`NOT_FINITE`]) into `m` and returns the bin counts. The bin
/// estimate is computed in vectorisable lanes, numpy's one-step correction after it.
fn histogram_into<T: Sample>(binning: &Binning, m: &mut [u8], a: &[T], b: &[T]) -> [u64; BINS] {
    let edges = binning.edges();
    let (lo, delta) = (edges[0], edges[BINS] - edges[0]);
    let mut counts = [[0u64; BINS]; 2];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    let mut mc = m.chunks_exact_mut(LANES);
    for ((xa, xb), o) in ca.zip(cb).zip(&mut mc) {
        let mut v = [0f32; LANES];
        let mut est = [0usize; LANES];
        // Truncation as numpy's astype(intp); i32 keeps the conversion vectorisable.
        for j in 0..LANES {
            v[j] = ndwi_at(xa[j], xb[j]);
            let e = (((v[j] - lo) / delta) * BINS as f32) as i32;
            est[j] = e.clamp(0, BINS as i32 - 1) as usize;
        }
        for j in 0..LANES {
            if is_finite::<T>(v[j]) {
                let mut i = est[j];
                if v[j] < edges[i] {
                    i = i.saturating_sub(1);
                } else if i != BINS - 1 && v[j] >= edges[i + 1] {
                    i += 1;
                }
                counts[j & 1][i] += 1;
                o[j] = i as u8;
            } else {
                o[j] = NOT_FINITE;
            }
        }
    }
    for ((o, &x), &y) in mc.into_remainder().iter_mut().zip(ra).zip(rb) {
        let v = ndwi_at(x, y);
        if is_finite::<T>(v) {
            let i = binning.bin(v);
            counts[0][i] += 1;
            *o = i as u8;
        } else {
            *o = NOT_FINITE;
        }
    }
    let mut total = counts[0];
    for (t, c) in total.iter_mut().zip(counts[1]) {
        *t += c;
    }
    total
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
    let (lo, hi, finite) = a
        .par_chunks(CHUNK)
        .zip(b.par_chunks(CHUNK))
        .map(|(ca, cb)| range(ca, cb))
        .reduce(
            || (f32::INFINITY, f32::NEG_INFINITY, 0),
            |x, y| (x.0.min(y.0), x.1.max(y.1), x.2 + y.2),
        );
    if finite == 0 {
        return Err(Error::AllNodata);
    }
    let mut mask = vec![0u8; a.len()];
    if lo == hi {
        // Constant NDWI: the threshold is that value and nothing is above it.
        return Ok(WaterMask {
            mask,
            threshold: lo,
            finite,
            water: 0,
        });
    }
    let binning = Binning::new(lo, hi);
    let counts = mask
        .par_chunks_mut(CHUNK)
        .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
        .map(|(m, (ca, cb))| histogram_into(&binning, m, ca, cb))
        .reduce(
            || [0u64; BINS],
            |mut x, y| {
                for (s, v) in x.iter_mut().zip(y) {
                    *s += v;
                }
                x
            },
        );
    let k = threshold_bin(&binning, &counts);
    let threshold = binning.centers()[k];
    // Bins below k hold values < edge[k] <= threshold, bins above k values >= edge[k + 1];
    // that is > threshold unless the bins are degenerate, where every pixel is recomputed.
    let by_bin = binning.edges()[k + 1] > threshold;
    let k = k as u8;
    let water = mask
        .par_chunks_mut(CHUNK)
        .zip(a.par_chunks(CHUNK).zip(b.par_chunks(CHUNK)))
        .map(|(m, (ca, cb))| {
            let mut n = 0u64;
            for ((o, &x), &y) in m.iter_mut().zip(ca).zip(cb) {
                let bin = *o;
                let w = if by_bin && bin != NOT_FINITE && bin.abs_diff(k) > 1 {
                    bin > k
                } else {
                    ndwi_at(x, y) > threshold
                };
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

    fn reference_mask<T: Sample>(a: &[T], b: &[T]) -> (f32, Vec<u8>) {
        let ndwi: Vec<f32> = a.iter().zip(b).map(|(&x, &y)| ndwi_at(x, y)).collect();
        let t = threshold_otsu(&ndwi).unwrap();
        (t, ndwi.iter().map(|&v| u8::from(v > t)).collect())
    }

    #[test]
    fn ndwi_edge_cases_match_numpy() {
        assert!(normalized_difference(0.0, 0.0).is_nan());
        assert_eq!(normalized_difference(0.0, 5.0), -1.0);
        assert_eq!(normalized_difference(5.0, 0.0), 1.0);
    }

    #[test]
    fn mask_agrees_with_the_plain_computation() {
        let g: Vec<u16> = (0..50_000u32)
            .map(|i| {
                if i % 3 == 0 {
                    800
                } else {
                    1000 + (i * 7 % 400) as u16
                }
            })
            .collect();
        let n: Vec<u16> = (0..50_000u32)
            .map(|i| match i % 3 {
                0 => 250 + (i % 30) as u16,
                _ if i % 11 == 0 => 0,
                _ => 3000 + (i * 13 % 900) as u16,
            })
            .collect();
        let (t, expected) = reference_mask(&g, &n);
        let m = water_mask(&g, &n).unwrap();
        assert_eq!(m.threshold, t);
        assert_eq!(m.mask, expected);
        assert_eq!(m.water, expected.iter().map(|&v| u64::from(v)).sum::<u64>());
    }

    #[test]
    fn signed_samples_skip_infinite_ndwi() {
        let a: Vec<i16> = vec![5, -5, 100, 90, 10, 0, 300, 7];
        let b: Vec<i16> = vec![-5, 5, 10, 80, 100, 0, 20, 70];
        let (t, expected) = reference_mask(&a, &b);
        let m = water_mask(&a, &b).unwrap();
        assert_eq!((m.threshold, m.finite), (t, 5));
        assert_eq!(m.mask, expected);
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
