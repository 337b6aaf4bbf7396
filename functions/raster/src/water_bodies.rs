//! The water-bodies process for one STAC item: crop -> NDWI -> Otsu -> COG + STAC Item.

use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::Value;

use crate::bands::{band_href, item_id};
use crate::crop::{Aoi, Crop};
use crate::error::{Error, Result};
use crate::geo::{Georef, parse_epsg};
use crate::ndwi::{WaterMask, water_mask};
use crate::source::{SourceResolver, resolve_href};
use crate::stac::{MaskCounts, output_item};
use crate::tiff::{CogOptions, CogReader, Sample, SampleKind, write_cog};

/// File name of the mask, the asset href in the output item (callers rewrite it).
pub const OUTPUT_NAME: &str = "otsu.tif";

/// Inputs of one item's run, as the process receives them.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterBodiesParams {
    /// `"minx,miny,maxx,maxy"` in `epsg`.
    pub aoi: String,
    /// CRS of the AOI, e.g. `EPSG:4326`.
    pub epsg: String,
    /// Common names of the two bands, `[green, nir]` by default: NDWI = (b0 - b1) / (b0 + b1).
    pub bands: Vec<String>,
    /// Deliberate departures from the reference; the default is parity.
    pub options: WaterBodiesOptions,
}

impl WaterBodiesParams {
    /// Parameters with the reference defaults (`bands = ["green", "nir"]`, parity options).
    pub fn new(aoi: impl Into<String>, epsg: impl Into<String>) -> Self {
        Self {
            aoi: aoi.into(),
            epsg: epsg.into(),
            bands: vec!["green".into(), "nir".into()],
            options: WaterBodiesOptions::default(),
        }
    }
}

/// Choices where Stratus may differ from the reference. `Default` reproduces it.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterBodiesOptions {
    /// Nodata of the output mask. The reference inherits the input's (0 for Sentinel-2 COGs),
    /// which marks every non-water pixel as nodata.
    pub mask_nodata: MaskNodata,
    /// COG profile of the output (reference: 512 px tiles, LZW, overviews).
    pub cog: CogOptions,
    /// Refuse crop windows with more pixels than this (memory guard); `None` for no limit.
    pub max_pixels: Option<u64>,
}

impl Default for WaterBodiesOptions {
    fn default() -> Self {
        Self {
            mask_nodata: MaskNodata::Inherit,
            cog: CogOptions::default(),
            max_pixels: None,
        }
    }
}

/// Which nodata value `otsu.tif` declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaskNodata {
    /// The first band's nodata when it fits in a byte, else none (the reference's behaviour).
    Inherit,
    /// This value.
    Value(u8),
    /// No nodata: 0 means "not water".
    Unset,
}

impl MaskNodata {
    fn resolve(self, source: Option<f64>) -> Option<u8> {
        match self {
            Self::Inherit => source
                .filter(|v| v.fract() == 0.0 && (0.0..=255.0).contains(v))
                .map(|v| v as u8),
            Self::Value(v) => Some(v),
            Self::Unset => None,
        }
    }
}

/// The result for one item.
#[derive(Debug, Clone)]
pub struct WaterBodiesOutput {
    /// Item id (as the source).
    pub item_id: String,
    /// The mask as a COG (`otsu.tif`).
    pub cog: Bytes,
    /// The output STAC Item; its `data` asset href is [`OUTPUT_NAME`].
    pub stac_item: Value,
    /// Otsu threshold on NDWI.
    pub threshold: f32,
    /// Mask columns.
    pub width: u32,
    /// Mask rows.
    pub height: u32,
    /// CRS, transform and nodata of the mask.
    pub georef: Georef,
    /// Pixels with a finite NDWI.
    pub valid_pixels: u64,
    /// Pixels classed as water.
    pub water_pixels: u64,
    /// Wall time per stage (`open`, `read+mask`, `write`, `stac`).
    pub timings: Vec<(&'static str, Duration)>,
}

/// Runs water-bodies on `item` (whose own URL or path is `item_href`, for relative asset
/// hrefs), opening assets through `resolver`.
pub async fn water_bodies(
    item: &Value,
    item_href: &str,
    resolver: &dyn SourceResolver,
    params: &WaterBodiesParams,
) -> Result<WaterBodiesOutput> {
    let mut timings = Vec::new();
    let started = Instant::now();
    let id = item_id(item)?.to_string();
    let [band_a, band_b] = params.bands.as_slice() else {
        return Err(Error::InvalidParams(format!(
            "water-bodies needs exactly two bands, got {}",
            params.bands.len()
        )));
    };
    let aoi: Aoi = params.aoi.parse()?;
    let aoi_epsg = parse_epsg(&params.epsg)?;
    let href_a = resolve_href(item_href, band_href(item, band_a)?);
    let href_b = resolve_href(item_href, band_href(item, band_b)?);

    let (src_a, src_b) = tokio::try_join!(resolver.open(&href_a), resolver.open(&href_b))?;
    let (cog_a, cog_b) = tokio::try_join!(CogReader::open(src_a), CogReader::open(src_b))?;
    let (ia, ib) = (cog_a.info(), cog_b.info());
    let grid_a = ia.georef(&href_a)?;
    let grid_b = ib.georef(&href_b)?;
    if (ia.width, ia.height, grid_a.epsg, grid_a.transform)
        != (ib.width, ib.height, grid_b.epsg, grid_b.transform)
    {
        return Err(Error::GridMismatch(format!("{href_a} and {href_b}")));
    }
    if ia.kind != ib.kind {
        return Err(Error::GridMismatch(format!(
            "{href_a} is {}, {href_b} is {}",
            ia.kind.name(),
            ib.kind.name()
        )));
    }
    let aoi_native = aoi.to_crs(aoi_epsg, grid_a.epsg)?;
    let crop = Crop::new(&grid_a.transform, ia.width, ia.height, &aoi_native)?;
    if let Some(max) = params.options.max_pixels
        && crop.window.pixels() > max
    {
        return Err(Error::InvalidParams(format!(
            "the AOI covers {} pixels, more than the limit of {max}",
            crop.window.pixels()
        )));
    }
    timings.push(("open", started.elapsed()));

    let t = Instant::now();
    let fills = (grid_a.nodata.unwrap_or(0.0), grid_b.nodata.unwrap_or(0.0));
    let mask = match ia.kind {
        SampleKind::U8 => masked::<u8>(&cog_a, &cog_b, &crop, fills).await?,
        SampleKind::U16 => masked::<u16>(&cog_a, &cog_b, &crop, fills).await?,
        SampleKind::I16 => masked::<i16>(&cog_a, &cog_b, &crop, fills).await?,
        SampleKind::U32 => masked::<u32>(&cog_a, &cog_b, &crop, fills).await?,
        SampleKind::I32 => masked::<i32>(&cog_a, &cog_b, &crop, fills).await?,
        SampleKind::F32 => masked::<f32>(&cog_a, &cog_b, &crop, fills).await?,
        SampleKind::F64 => masked::<f64>(&cog_a, &cog_b, &crop, fills).await?,
    };
    timings.push(("read+mask", t.elapsed()));

    let t = Instant::now();
    let mask_nodata = params.options.mask_nodata.resolve(grid_a.nodata);
    let georef = Georef {
        epsg: grid_a.epsg,
        transform: crop.transform,
        nodata: mask_nodata.map(f64::from),
    };
    let (w, h) = (crop.window.width, crop.window.height);
    let cog_options = params.options.cog.clone();
    let WaterMask {
        mask,
        threshold,
        finite,
        water,
    } = mask;
    let cog = tokio::task::spawn_blocking(move || write_cog(&mask, w, h, &georef, &cog_options))
        .await
        .map_err(|e| Error::Task(e.to_string()))??;
    timings.push(("write", t.elapsed()));

    let t = Instant::now();
    let counts = MaskCounts {
        ones: water,
        total: crop.window.pixels(),
        nodata: mask_nodata,
    };
    let stac_item = output_item(item, &georef, w, h, &counts, OUTPUT_NAME)?;
    timings.push(("stac", t.elapsed()));

    Ok(WaterBodiesOutput {
        item_id: id,
        cog: Bytes::from(cog),
        stac_item,
        threshold,
        width: w,
        height: h,
        georef,
        valid_pixels: finite,
        water_pixels: water,
        timings,
    })
}

/// Reads the window of both bands, masks pixels outside the AOI with each band's nodata (or
/// 0), and computes the water mask.
async fn masked<T: Sample>(
    a: &CogReader,
    b: &CogReader,
    crop: &Crop,
    fills: (f64, f64),
) -> Result<WaterMask> {
    let (mut da, mut db) = tokio::try_join!(
        a.read_window::<T>(crop.window),
        b.read_window::<T>(crop.window)
    )?;
    let crop = crop.clone();
    tokio::task::spawn_blocking(move || {
        crop.apply_mask(&mut da, T::from_f64(fills.0));
        crop.apply_mask(&mut db, T::from_f64(fills.1));
        water_mask(&da, &db)
    })
    .await
    .map_err(|e| Error::Task(e.to_string()))?
}
