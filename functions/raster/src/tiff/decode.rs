//! Block (tile or strip) decompression and predictor reversal.

use std::io::Read;

use super::{Compression, Sample, SampleKind};

/// How the blocks of one image are stored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockLayout {
    /// Pixels per block row.
    pub width: usize,
    /// Samples per pixel inside a block (1 for planar-separate images).
    pub samples: usize,
    /// Which sample to keep.
    pub sample: usize,
    pub kind: SampleKind,
    pub compression: Compression,
    pub predictor: u16,
    pub little: bool,
}

/// Decompresses `data` holding `rows` block rows and returns sample `layout.sample` of each
/// pixel, `layout.width * rows` values in row order.
pub(crate) fn decode_block<T: Sample>(
    data: &[u8],
    rows: usize,
    layout: &BlockLayout,
) -> Result<Vec<T>, String> {
    if layout.kind != T::KIND {
        return Err(format!(
            "{} samples decoded as {}",
            layout.kind.name(),
            T::KIND.name()
        ));
    }
    let bytes = T::KIND.bytes();
    let row_values = layout.width * layout.samples;
    let expected = row_values * rows * bytes;
    let mut raw = decompress(layout.compression, data, expected)?;
    if raw.len() < expected {
        return Err(format!(
            "{} bytes after decompression, expected {expected}",
            raw.len()
        ));
    }
    raw.truncate(expected);
    let mut values: Vec<T> = match layout.predictor {
        1 => to_samples(&raw, layout.little),
        2 => {
            if T::KIND.is_float() {
                return Err("horizontal predictor on floating-point samples".into());
            }
            if layout.samples == 1 && layout.little {
                undo_horizontal_le(&raw, row_values)
            } else {
                let mut v = to_samples::<T>(&raw, layout.little);
                for row in v.chunks_exact_mut(row_values) {
                    for i in layout.samples..row.len() {
                        row[i] = row[i].wrapping_add(row[i - layout.samples]);
                    }
                }
                v
            }
        }
        3 => {
            if !T::KIND.is_float() {
                return Err("floating-point predictor on integer samples".into());
            }
            let mut out = Vec::with_capacity(row_values * rows);
            let mut scratch = vec![0u8; bytes];
            for row in raw.chunks_exact_mut(row_values * bytes) {
                for i in layout.samples..row.len() {
                    row[i] = row[i].wrapping_add(row[i - layout.samples]);
                }
                for j in 0..row_values {
                    for (k, s) in scratch.iter_mut().enumerate() {
                        *s = row[k * row_values + j];
                    }
                    out.push(T::from_be(&scratch));
                }
            }
            out
        }
        p => return Err(format!("unsupported predictor {p}")),
    };
    if layout.samples > 1 {
        values = values
            .into_iter()
            .skip(layout.sample)
            .step_by(layout.samples)
            .collect();
    }
    Ok(values)
}

/// Byte conversion and horizontal-predictor reversal in one pass (one sample per pixel).
fn undo_horizontal_le<T: Sample>(raw: &[u8], row_values: usize) -> Vec<T> {
    let n = T::KIND.bytes();
    let mut out = Vec::with_capacity(raw.len() / n);
    for row in raw.chunks_exact(row_values * n) {
        let mut acc = T::default();
        for b in row.chunks_exact(n) {
            acc = acc.wrapping_add(T::from_le(b));
            out.push(acc);
        }
    }
    out
}

fn to_samples<T: Sample>(raw: &[u8], little: bool) -> Vec<T> {
    let n = T::KIND.bytes();
    if little {
        raw.chunks_exact(n).map(T::from_le).collect()
    } else {
        raw.chunks_exact(n).map(T::from_be).collect()
    }
}

fn decompress(compression: Compression, data: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    match compression {
        Compression::None => Ok(data.to_vec()),
        Compression::Deflate => {
            // A valid zlib header is skipped and the stream inflated raw: the Adler-32
            // trailer is not verified (TIFF readers such as GDAL do not need it either).
            let zlib_header = data.len() > 2
                && data[0] & 0x0f == 8
                && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0
                && data[1] & 0x20 == 0;
            let (body, zlib) = if zlib_header {
                (&data[2..], false)
            } else {
                (data, true)
            };
            let mut out = Vec::with_capacity(expected);
            let mut z = flate2::Decompress::new(zlib);
            z.decompress_vec(body, &mut out, flate2::FlushDecompress::Finish)
                .map_err(|e| e.to_string())?;
            Ok(out)
        }
        Compression::Lzw => {
            // Bounded output: a hostile stream cannot expand past the block size.
            let mut out = vec![0u8; expected];
            let mut decoder =
                weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
            let (mut input, mut written) = (data, 0);
            while written < expected {
                let r = decoder.decode_bytes(input, &mut out[written..]);
                input = &input[r.consumed_in..];
                written += r.consumed_out;
                match r.status.map_err(|e| e.to_string())? {
                    weezl::LzwStatus::Ok if r.consumed_in + r.consumed_out > 0 => {}
                    _ => break,
                }
            }
            out.truncate(written);
            Ok(out)
        }
        Compression::Zstd => {
            let mut out = Vec::with_capacity(expected);
            ruzstd::decoding::StreamingDecoder::new(data)
                .map_err(|e| e.to_string())?
                .take(expected as u64)
                .read_to_end(&mut out)
                .map_err(|e| e.to_string())?;
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(compression: Compression, predictor: u16, kind: SampleKind) -> BlockLayout {
        BlockLayout {
            width: 3,
            samples: 1,
            sample: 0,
            kind,
            compression,
            predictor,
            little: true,
        }
    }

    #[test]
    fn horizontal_predictor_is_reversed_per_row() {
        let diffs: [u16; 6] = [10, 1, 1, 20, 65535, 2];
        let raw: Vec<u8> = diffs.iter().flat_map(|v| v.to_le_bytes()).collect();
        let l = layout(Compression::None, 2, SampleKind::U16);
        let v: Vec<u16> = decode_block(&raw, 2, &l).unwrap();
        assert_eq!(v, vec![10, 11, 12, 20, 19, 21]);
    }

    #[test]
    fn floating_point_predictor_is_reversed() {
        let values = [1.5f32, -2.25, 1e-3];
        let mut shuffled = vec![0u8; 12];
        for (j, v) in values.iter().enumerate() {
            for (k, b) in v.to_be_bytes().iter().enumerate() {
                shuffled[k * 3 + j] = *b;
            }
        }
        for i in (1..shuffled.len()).rev() {
            shuffled[i] = shuffled[i].wrapping_sub(shuffled[i - 1]);
        }
        let l = layout(Compression::None, 3, SampleKind::F32);
        let v: Vec<f32> = decode_block(&shuffled, 1, &l).unwrap();
        assert_eq!(v, values);
    }

    #[test]
    fn short_or_corrupt_data_is_an_error() {
        let l = layout(Compression::Deflate, 1, SampleKind::U16);
        assert!(decode_block::<u16>(&[1, 2, 3], 1, &l).is_err());
        let l = layout(Compression::None, 1, SampleKind::U16);
        assert!(decode_block::<u16>(&[0; 4], 1, &l).is_err());
    }
}
