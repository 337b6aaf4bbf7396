//! COG write -> read round trips through the crate's own reader.

use std::sync::Arc;

use stratus_raster::geo::{GeoTransform, Georef, Window};
use stratus_raster::tiff::{CogOptions, CogReader, Compression, Sample, write_cog};
use stratus_raster::{BytesSource, Error};

fn georef(nodata: Option<f64>) -> Georef {
    Georef {
        epsg: 32610,
        transform: GeoTransform::north_up(600000.0, 4500000.0, 10.0, 10.0),
        nodata,
    }
}

fn pattern<T: Sample>(w: u32, h: u32, f: impl Fn(u32, u32) -> T) -> Vec<T> {
    (0..h)
        .flat_map(|r| (0..w).map(move |c| (r, c)))
        .map(|(r, c)| f(c, r))
        .collect()
}

async fn reader(bytes: Vec<u8>) -> CogReader {
    CogReader::open(Arc::new(BytesSource::new("mem.tif", bytes)))
        .await
        .unwrap()
}

fn window_of<T: Copy>(data: &[T], width: u32, w: Window) -> Vec<T> {
    let mut out = Vec::new();
    for r in w.row_off..w.row_off + w.height {
        let start = (r * width + w.col_off) as usize;
        out.extend_from_slice(&data[start..start + w.width as usize]);
    }
    out
}

#[tokio::test]
async fn uint8_lzw_mask_round_trips_with_georeferencing() {
    let (w, h) = (1100, 700);
    let data: Vec<u8> = pattern(w, h, |c, r| u8::from((c / 7 + r / 5) % 3 == 0));
    let bytes = write_cog(&data, w, h, &georef(Some(0.0)), &CogOptions::default()).unwrap();
    let cog = reader(bytes).await;
    let info = cog.info();
    assert_eq!((info.width, info.height), (w, h));
    assert_eq!((info.block_width, info.block_height), (512, 512));
    assert_eq!(info.compression, Compression::Lzw);
    assert_eq!(info.epsg, Some(32610));
    assert_eq!(info.transform, Some(georef(None).transform));
    assert_eq!(info.nodata, Some(0.0));
    assert_eq!(
        cog.read_window::<u8>(Window::full(w, h)).await.unwrap(),
        data
    );
    let part = Window {
        col_off: 500,
        row_off: 300,
        width: 600,
        height: 400,
    };
    assert_eq!(
        cog.read_window::<u8>(part).await.unwrap(),
        window_of(&data, w, part)
    );
}

#[tokio::test]
async fn uint16_deflate_with_predictor_round_trips() {
    let (w, h) = (2100, 1030);
    let data: Vec<u16> = pattern(w, h, |c, r| ((c * 31 + r * 17) % 65521) as u16);
    let options = CogOptions {
        tile_size: 1024,
        compression: Compression::Deflate,
        predictor: true,
        ..CogOptions::default()
    };
    let cog = reader(write_cog(&data, w, h, &georef(None), &options).unwrap()).await;
    assert_eq!(cog.info().predictor, 2);
    assert_eq!(cog.info().nodata, None);
    let part = Window {
        col_off: 1000,
        row_off: 1020,
        width: 1100,
        height: 10,
    };
    assert_eq!(
        cog.read_window::<u16>(part).await.unwrap(),
        window_of(&data, w, part)
    );
}

#[tokio::test]
async fn float32_zstd_and_uncompressed_round_trip() {
    let (w, h) = (300, 200);
    let data: Vec<f32> = pattern(w, h, |c, r| (c as f32 - r as f32) / 7.0);
    for compression in [Compression::Zstd, Compression::None] {
        let options = CogOptions {
            compression,
            ..CogOptions::default()
        };
        let cog = reader(write_cog(&data, w, h, &georef(Some(f64::NAN)), &options).unwrap()).await;
        assert!(cog.info().nodata.unwrap().is_nan());
        assert_eq!(
            cog.read_window::<f32>(Window::full(w, h)).await.unwrap(),
            data
        );
    }
}

#[tokio::test]
async fn bad_input_is_an_error_not_a_panic() {
    let data = vec![1u16; 64 * 64];
    let bytes = write_cog(&data, 64, 64, &georef(None), &CogOptions::default()).unwrap();
    let cog = reader(bytes.clone()).await;
    let wrong_type = cog.read_window::<u8>(Window::full(64, 64)).await;
    assert!(matches!(wrong_type, Err(Error::UnsupportedTiff { .. })));
    let outside = Window {
        col_off: 60,
        row_off: 0,
        width: 10,
        height: 1,
    };
    assert!(cog.read_window::<u16>(outside).await.is_err());
    for cut in [4, 12, 200] {
        let truncated = BytesSource::new("cut.tif", bytes[..cut].to_vec());
        let opened = CogReader::open(Arc::new(truncated)).await;
        if let Ok(c) = opened {
            assert!(c.read_window::<u16>(Window::full(64, 64)).await.is_err());
        }
    }
    let not_tiff = CogReader::open(Arc::new(BytesSource::new("x", b"GIF89a......".to_vec()))).await;
    assert!(matches!(not_tiff, Err(Error::InvalidTiff { .. })));
    let bad_size = write_cog(&data, 65, 64, &georef(None), &CogOptions::default());
    assert!(matches!(bad_size, Err(Error::Encode(_))));
}

#[tokio::test]
async fn corrupted_files_never_panic() {
    let data: Vec<u16> = pattern(600, 80, |c, r| (c * r) as u16);
    let options = CogOptions {
        tile_size: 256,
        compression: Compression::Deflate,
        predictor: true,
        ..CogOptions::default()
    };
    let good = write_cog(&data, 600, 80, &georef(Some(0.0)), &options).unwrap();
    let mut state = 0x9e37_79b9u32;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for _ in 0..800 {
        let mut bad = good.clone();
        for _ in 0..1 + next() % 4 {
            // Mostly the header and directories, sometimes the tile data.
            let limit = if next() % 4 == 0 { bad.len() } else { 600 };
            let at = next() as usize % limit;
            bad[at] = next() as u8;
        }
        if let Ok(cog) = CogReader::open(Arc::new(BytesSource::new("bad.tif", bad))).await {
            let (w, h) = (cog.info().width, cog.info().height);
            let _ = cog
                .read_window::<u16>(Window::full(w.min(600), h.min(80)))
                .await;
        }
    }
}

#[tokio::test]
async fn overviews_open_with_the_main_georeferencing() {
    let (w, h) = (2100, 1030);
    let data: Vec<u8> = pattern(w, h, |c, r| u8::from(c < w / 2 && r < h / 2));
    let bytes = write_cog(&data, w, h, &georef(Some(0.0)), &CogOptions::default()).unwrap();
    let source = Arc::new(BytesSource::new("mem.tif", bytes));
    // Levels: 2100x1030, 1050x515, 525x257, 262x128. The smallest with both sides >= 500 is 1050x515.
    let ov = CogReader::open_overview(source.clone(), 500).await.unwrap();
    let info = ov.info();
    assert_eq!((info.width, info.height), (1050, 515));
    assert_eq!(info.epsg, Some(32610));
    assert_eq!(info.nodata, Some(0.0));
    let t = info.transform.unwrap();
    assert_eq!(
        (t.a, t.e, t.c, t.f),
        (20.0, -10.0 * 1030.0 / 515.0, 600000.0, 4500000.0)
    );
    let px = ov.read_window::<u8>(Window::full(1050, 515)).await.unwrap();
    assert_eq!(px[0], 1);
    assert_eq!(px[px.len() - 1], 0);
    // Nothing small enough: the smallest overview; too large a minimum: the full image.
    let smallest = CogReader::open_overview(source.clone(), 1).await.unwrap();
    assert_eq!(smallest.info().width, 262);
    let full = CogReader::open_overview(source, 4000).await.unwrap();
    assert_eq!(full.info().width, 2100);
}
