//! TIFF / BigTIFF header and image file directory parsing over a [`RangeSource`].

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::source::RangeSource;

/// Bytes fetched up front: GDAL COGs keep every IFD and tag array in the first few KiB.
const PREFIX_LEN: u64 = 64 * 1024;
/// Tags above this many values are refused (a broken or hostile file).
const MAX_VALUES: u64 = 1 << 26;

/// One directory entry, its values not yet decoded.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    typ: u16,
    count: u64,
    /// Inline value bytes, or the file offset of the values.
    data: EntryData,
}

#[derive(Debug, Clone)]
enum EntryData {
    Inline(Vec<u8>),
    At(u64),
}

/// A parsed directory: tag -> entry.
pub(crate) type Ifd = BTreeMap<u16, Entry>;

/// Reads the structure of a TIFF through a prefetched prefix plus extra range reads.
pub(crate) struct TiffStructure<'a> {
    source: &'a dyn RangeSource,
    prefix: Bytes,
    pub(crate) little: bool,
    big: bool,
    pub(crate) first_ifd: u64,
}

fn type_size(typ: u16) -> Option<u64> {
    Some(match typ {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 | 16 | 17 | 18 => 8,
        _ => return None,
    })
}

impl<'a> TiffStructure<'a> {
    /// Reads the header.
    pub(crate) async fn open(source: &'a dyn RangeSource) -> Result<Self> {
        let len = source.len().await?;
        let prefix = source.read_range(0..len.min(PREFIX_LEN)).await?;
        let bad = |reason: &str| Error::InvalidTiff {
            href: source.name().to_string(),
            reason: reason.to_string(),
        };
        if prefix.len() < 8 {
            return Err(bad("file shorter than a TIFF header"));
        }
        let little = match &prefix[..2] {
            b"II" => true,
            b"MM" => false,
            _ => return Err(bad("not a TIFF file (bad byte-order mark)")),
        };
        let mut s = Self {
            source,
            prefix,
            little,
            big: false,
            first_ifd: 0,
        };
        let version = s.u16_at(&s.prefix.clone(), 2);
        match version {
            42 => s.first_ifd = u64::from(s.u32_at(&s.prefix.clone(), 4)),
            43 => {
                if s.prefix.len() < 16 {
                    return Err(bad("truncated BigTIFF header"));
                }
                s.big = true;
                s.first_ifd = s.u64_at(&s.prefix.clone(), 8);
            }
            _ => return Err(bad("not a TIFF file (bad version)")),
        }
        Ok(s)
    }

    fn href(&self) -> String {
        self.source.name().to_string()
    }

    fn invalid(&self, reason: impl Into<String>) -> Error {
        Error::InvalidTiff {
            href: self.href(),
            reason: reason.into(),
        }
    }

    async fn bytes(&self, offset: u64, len: u64) -> Result<Bytes> {
        let end = offset
            .checked_add(len)
            .ok_or_else(|| self.invalid("offset overflow"))?;
        if end <= self.prefix.len() as u64 {
            return Ok(self.prefix.slice(offset as usize..end as usize));
        }
        let bytes = self.source.read_range(offset..end).await?;
        if bytes.len() as u64 != len {
            return Err(self.invalid(format!("short read at {offset}")));
        }
        Ok(bytes)
    }

    fn u16_at(&self, b: &[u8], at: usize) -> u16 {
        let a = [b[at], b[at + 1]];
        if self.little {
            u16::from_le_bytes(a)
        } else {
            u16::from_be_bytes(a)
        }
    }

    fn u32_at(&self, b: &[u8], at: usize) -> u32 {
        let mut a = [0u8; 4];
        a.copy_from_slice(&b[at..at + 4]);
        if self.little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    }

    fn u64_at(&self, b: &[u8], at: usize) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[at..at + 8]);
        if self.little {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        }
    }

    /// Reads the directory at `offset`.
    pub(crate) async fn read_ifd(&self, offset: u64) -> Result<Ifd> {
        if offset < 8 {
            return Err(self.invalid("IFD offset inside the header"));
        }
        let (count_len, entry_len, inline_len) = if self.big { (8, 20, 8) } else { (2, 12, 4) };
        let head = self.bytes(offset, count_len).await?;
        let n = if self.big {
            self.u64_at(&head, 0)
        } else {
            u64::from(self.u16_at(&head, 0))
        };
        if n == 0 || n > 4096 {
            return Err(self.invalid(format!("implausible IFD entry count {n}")));
        }
        let raw = self.bytes(offset + count_len, n * entry_len).await?;
        let mut ifd = Ifd::new();
        for i in 0..n as usize {
            let e = &raw[i * entry_len as usize..(i + 1) * entry_len as usize];
            let tag = self.u16_at(e, 0);
            let typ = self.u16_at(e, 2);
            let Some(size) = type_size(typ) else {
                continue;
            };
            let count = if self.big {
                self.u64_at(e, 4)
            } else {
                u64::from(self.u32_at(e, 4))
            };
            if count > MAX_VALUES {
                return Err(self.invalid(format!("tag {tag} has {count} values")));
            }
            let value_field = &e[entry_len as usize - inline_len as usize..];
            let data = if size * count <= inline_len {
                EntryData::Inline(value_field[..(size * count) as usize].to_vec())
            } else if self.big {
                EntryData::At(self.u64_at(value_field, 0))
            } else {
                EntryData::At(u64::from(self.u32_at(value_field, 0)))
            };
            ifd.insert(tag, Entry { typ, count, data });
        }
        Ok(ifd)
    }

    /// The offset of the directory after the one at `offset` (0: none).
    pub(crate) async fn next_ifd(&self, offset: u64) -> Result<u64> {
        let (count_len, entry_len, next_len) = if self.big { (8, 20, 8) } else { (2, 12, 4) };
        let head = self.bytes(offset, count_len).await?;
        let n = if self.big {
            self.u64_at(&head, 0)
        } else {
            u64::from(self.u16_at(&head, 0))
        };
        let at = offset
            .checked_add(count_len + n * entry_len)
            .ok_or_else(|| self.invalid("offset overflow"))?;
        let b = self.bytes(at, next_len).await?;
        Ok(if self.big {
            self.u64_at(&b, 0)
        } else {
            u64::from(self.u32_at(&b, 0))
        })
    }

    async fn raw_values(&self, entry: &Entry) -> Result<Bytes> {
        match &entry.data {
            EntryData::Inline(v) => Ok(Bytes::from(v.clone())),
            EntryData::At(off) => {
                let size = type_size(entry.typ).unwrap_or(1);
                self.bytes(*off, size * entry.count).await
            }
        }
    }

    /// Integer values (BYTE, SHORT, LONG, LONG8 and their signed forms).
    pub(crate) async fn u64s(&self, entry: &Entry) -> Result<Vec<u64>> {
        let b = self.raw_values(entry).await?;
        let n = entry.count as usize;
        let v = match entry.typ {
            1 | 7 => b.iter().map(|&x| u64::from(x)).collect(),
            3 => (0..n).map(|i| u64::from(self.u16_at(&b, i * 2))).collect(),
            4 | 13 => (0..n).map(|i| u64::from(self.u32_at(&b, i * 4))).collect(),
            16 | 18 => (0..n).map(|i| self.u64_at(&b, i * 8)).collect(),
            t => return Err(self.invalid(format!("integer tag stored as type {t}"))),
        };
        Ok(v)
    }

    /// Floating-point values (DOUBLE, FLOAT, or integers).
    pub(crate) async fn f64s(&self, entry: &Entry) -> Result<Vec<f64>> {
        let n = entry.count as usize;
        match entry.typ {
            12 => {
                let b = self.raw_values(entry).await?;
                Ok((0..n)
                    .map(|i| f64::from_bits(self.u64_at(&b, i * 8)))
                    .collect())
            }
            11 => {
                let b = self.raw_values(entry).await?;
                Ok((0..n)
                    .map(|i| f64::from(f32::from_bits(self.u32_at(&b, i * 4))))
                    .collect())
            }
            _ => Ok(self
                .u64s(entry)
                .await?
                .into_iter()
                .map(|v| v as f64)
                .collect()),
        }
    }

    /// An ASCII value without its trailing NULs.
    pub(crate) async fn ascii(&self, entry: &Entry) -> Result<String> {
        let b = self.raw_values(entry).await?;
        Ok(String::from_utf8_lossy(&b)
            .trim_end_matches('\0')
            .to_string())
    }

    /// The first integer value of `tag`, if present.
    pub(crate) async fn first_u64(&self, ifd: &Ifd, tag: u16) -> Result<Option<u64>> {
        match ifd.get(&tag) {
            Some(e) => Ok(self.u64s(e).await?.first().copied()),
            None => Ok(None),
        }
    }
}
