//! Otsu's threshold, bit-identical to `skimage.filters.threshold_otsu` (scikit-image 0.25 on
//! numpy 2) for float32 data: float32 bin edges, numpy's bin search, float32 sequential sums.

/// Number of histogram bins (scikit-image's default).
pub const BINS: usize = 256;

/// numpy's equal-width binning of `[lo, hi]` in float32.
#[derive(Debug, Clone)]
pub struct Binning {
    lo: f32,
    delta: f32,
    edges: [f32; BINS + 1],
}

impl Binning {
    /// Bins spanning `lo..=hi` (`lo < hi`).
    pub fn new(lo: f32, hi: f32) -> Self {
        let delta = hi - lo;
        let step = delta / BINS as f32;
        let mut edges = [0f32; BINS + 1];
        for (i, e) in edges.iter_mut().enumerate().take(BINS) {
            *e = i as f32 * step + lo;
        }
        edges[BINS] = hi;
        Self { lo, delta, edges }
    }

    /// The bin of `x` (`lo <= x <= hi`), as `np.histogram` assigns it.
    #[inline]
    pub fn bin(&self, x: f32) -> usize {
        let mut i = (((x - self.lo) / self.delta) * BINS as f32) as usize;
        if i >= BINS {
            i = BINS - 1;
        }
        if x < self.edges[i] {
            i = i.saturating_sub(1);
        } else if i != BINS - 1 && x >= self.edges[i + 1] {
            i += 1;
        }
        i
    }

    /// The 257 bin edges.
    pub fn edges(&self) -> &[f32; BINS + 1] {
        &self.edges
    }

    /// Bin centres `(edge[i] + edge[i + 1]) / 2` in float32.
    pub fn centers(&self) -> [f32; BINS] {
        let mut c = [0f32; BINS];
        for (i, v) in c.iter_mut().enumerate() {
            *v = (self.edges[i] + self.edges[i + 1]) / 2.0;
        }
        c
    }
}

/// The threshold from a histogram built with `binning`.
pub fn threshold_from_counts(binning: &Binning, counts: &[u64; BINS]) -> f32 {
    binning.centers()[threshold_bin(binning, counts)]
}

/// The bin whose centre is the threshold (scikit-image's `argmax` of the between-class
/// variance).
pub fn threshold_bin(binning: &Binning, counts: &[u64; BINS]) -> usize {
    let centers = binning.centers();
    let c: Vec<f32> = counts.iter().map(|&n| n as f32).collect();
    let cm: Vec<f32> = c.iter().zip(&centers).map(|(n, x)| n * x).collect();
    let mut w1 = [0f32; BINS];
    let mut m1 = [0f32; BINS];
    let (mut sw, mut sm) = (0f32, 0f32);
    for i in 0..BINS {
        sw += c[i];
        sm += cm[i];
        w1[i] = sw;
        m1[i] = sm / sw;
    }
    let mut w2 = [0f32; BINS];
    let mut m2 = [0f32; BINS];
    let (mut sw, mut sm) = (0f32, 0f32);
    for i in (0..BINS).rev() {
        sw += c[i];
        sm += cm[i];
        w2[i] = sw;
        m2[i] = sm / sw;
    }
    let mut best = 0;
    let mut best_var = f32::NEG_INFINITY;
    for i in 0..BINS - 1 {
        let d = m1[i] - m2[i + 1];
        let var = w1[i] * w2[i + 1] * (d * d);
        if var > best_var || (best_var.is_nan() && !var.is_nan()) {
            best_var = var;
            best = i;
        }
    }
    best
}

/// Otsu's threshold of the finite values of `values`; `None` when there are none.
///
/// # Examples
///
/// ```
/// let t = stratus_raster::otsu::threshold_otsu(&[0.0, 0.1, 0.9, 1.0, f32::NAN]).unwrap();
/// assert!(t > 0.0 && t < 0.9);
/// ```
pub fn threshold_otsu(values: &[f32]) -> Option<f32> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.clone().fold(None, |acc: Option<(f32, f32)>, v| {
        Some(acc.map_or((v, v), |(l, h)| (l.min(v), h.max(v))))
    })?;
    if lo == hi {
        return Some(lo);
    }
    let binning = Binning::new(lo, hi);
    let mut counts = [0u64; BINS];
    for v in finite {
        counts[binning.bin(v)] += 1;
    }
    Some(threshold_from_counts(&binning, &counts))
}

/// The same computation in float64 (what a naive port would do); kept to show it differs.
#[cfg(test)]
fn threshold_otsu_f64(values: &[f32]) -> f64 {
    let v: Vec<f64> = values.iter().map(|&x| f64::from(x)).collect();
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let step = (hi - lo) / BINS as f64;
    let mut counts = [0f64; BINS];
    for x in &v {
        counts[(((x - lo) / step) as usize).min(BINS - 1)] += 1.0;
    }
    let centers: Vec<f64> = (0..BINS).map(|i| lo + (i as f64 + 0.5) * step).collect();
    let (mut best, mut best_var) = (0, f64::NEG_INFINITY);
    for i in 0..BINS - 1 {
        let w1: f64 = counts[..=i].iter().sum();
        let w2: f64 = counts[i + 1..].iter().sum();
        if w1 == 0.0 || w2 == 0.0 {
            continue;
        }
        let m1 = (0..=i).map(|k| counts[k] * centers[k]).sum::<f64>() / w1;
        let m2 = (i + 1..BINS).map(|k| counts[k] * centers[k]).sum::<f64>() / w2;
        let var = w1 * w2 * (m1 - m2) * (m1 - m2);
        if var > best_var {
            best_var = var;
            best = i;
        }
    }
    centers[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic bimodal sample: a water-like mode near +0.55 and a land mode near -0.4.
    fn bimodal(n_water: usize, n_land: usize) -> Vec<f32> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        let mut v = Vec::new();
        for _ in 0..n_water {
            v.push(0.55 + (next() - 0.5) * 0.2);
        }
        for _ in 0..n_land {
            v.push(-0.4 + (next() - 0.5) * 0.5 + (next() - 0.5) * 0.3);
        }
        v
    }

    #[test]
    fn known_small_arrays() {
        // skimage.filters.threshold_otsu(np.array([0, 0, 1, 1, 1, 10, 10, 11], np.float32))
        //   == 1.0097656
        let v = [0.0, 0.0, 1.0, 1.0, 1.0, 10.0, 10.0, 11.0];
        assert_eq!(threshold_otsu(&v), Some(1.009_765_6));
        // Two values: the threshold is the centre of the first bin.
        assert_eq!(threshold_otsu(&[0.0, 1.0]), Some(0.001_953_125));
        // Constant input returns the value; nothing finite returns None.
        assert_eq!(threshold_otsu(&[0.25, 0.25, f32::NAN]), Some(0.25));
        assert_eq!(threshold_otsu(&[f32::NAN]), None);
    }

    #[test]
    fn bins_follow_numpy_edges() {
        let b = Binning::new(-1.0, 1.0);
        assert_eq!(b.bin(-1.0), 0);
        assert_eq!(b.bin(1.0), 255);
        assert_eq!(b.bin(0.0), 128);
        assert_eq!(b.bin(-0.007_812_5), 127);
        assert_eq!(b.bin(f32::from_bits(0.0f32.to_bits() + 1)), 128);
    }

    #[test]
    fn float32_differs_from_float64_on_large_counts() {
        // Above 2^24 pixels float32 cumulative sums round; the reference keeps that.
        let base = bimodal(3_000, 7_000);
        let mut v = Vec::with_capacity(base.len() * 2_000);
        for _ in 0..2_000 {
            v.extend_from_slice(&base);
        }
        let t32 = threshold_otsu(&v).unwrap();
        let t64 = threshold_otsu_f64(&v);
        assert!(t32 < 0.4 && t32 > -0.2, "{t32}");
        assert_ne!(f64::from(t32), t64, "float32 and float64 pick the same bin");
    }
}
