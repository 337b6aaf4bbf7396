//! TIFF LZW encoding (MSB-first codes, 9 to 12 bits, libtiff's code-width schedule), with an
//! open-addressing dictionary that is cheap to reset.

const CLEAR: u32 = 256;
const EOI: u32 = 257;
const FIRST: u32 = 258;
const MAX_BITS: u32 = 12;
/// libtiff resets the table when the next free code reaches this.
const FULL: u32 = (1 << MAX_BITS) - 2;
const SLOTS: usize = 1 << 13;

struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    #[inline(always)]
    fn put(&mut self, code: u32, width: u32) {
        self.acc = (self.acc << width) | u64::from(code);
        self.n += width;
        while self.n >= 8 {
            self.n -= 8;
            self.out.push((self.acc >> self.n) as u8);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push((self.acc << (8 - self.n)) as u8);
        }
        self.out
    }
}

/// Encodes `data` as one TIFF LZW strip or tile.
pub(crate) fn encode(data: &[u8]) -> Vec<u8> {
    let mut w = BitWriter {
        out: Vec::with_capacity(data.len() / 4 + 16),
        acc: 0,
        n: 0,
    };
    // slots[i] = (prefix << 8 | byte) << 12 | code, 0 when empty (codes are >= 258).
    let mut slots = vec![0u32; SLOTS];
    // Children for bytes 0 and 1 (masks) indexed directly: direct[prefix * 2 + byte].
    let mut direct = vec![0u16; 2 << MAX_BITS];
    let mut width = 9;
    let mut next = FIRST;
    w.put(CLEAR, width);
    let Some((&first, rest)) = data.split_first() else {
        w.put(EOI, width);
        return w.finish();
    };
    let mut prefix = u32::from(first);
    for &byte in rest {
        if byte < 2 {
            let d = (prefix as usize) << 1 | byte as usize;
            let child = direct[d];
            if child != 0 {
                prefix = u32::from(child);
                continue;
            }
            w.put(prefix, width);
            direct[d] = next as u16;
            next += 1;
            if next == FULL {
                w.put(CLEAR, width);
                slots.fill(0);
                direct.fill(0);
                next = FIRST;
                width = 9;
            } else if next > (1 << width) - 1 {
                width += 1;
            }
            prefix = u32::from(byte);
            continue;
        }
        let key = prefix << 8 | u32::from(byte);
        let mut slot = (key.wrapping_mul(0x9E37_79B1) >> (32 - 13)) as usize;
        loop {
            let entry = slots[slot];
            if entry >> 12 == key && entry != 0 {
                prefix = entry & 0xfff;
                break;
            }
            if entry == 0 {
                w.put(prefix, width);
                slots[slot] = key << 12 | next;
                next += 1;
                if next == FULL {
                    w.put(CLEAR, width);
                    slots.fill(0);
                    direct.fill(0);
                    next = FIRST;
                    width = 9;
                } else if next > (1 << width) - 1 {
                    width += 1;
                }
                prefix = u32::from(byte);
                break;
            }
            slot = (slot + 1) & (SLOTS - 1);
        }
    }
    w.put(prefix, width);
    next += 1;
    if next == FULL {
        w.put(CLEAR, width);
        width = 9;
    } else if next > (1 << width) - 1 {
        width += 1;
    }
    w.put(EOI, width);
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(data: &[u8]) {
        let encoded = encode(data);
        let decoded = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8)
            .decode(&encoded)
            .unwrap();
        assert_eq!(decoded, data);
    }

    #[test]
    fn decodes_with_an_independent_tiff_lzw_decoder() {
        round_trip(b"");
        round_trip(b"a");
        round_trip(b"TOBEORNOTTOBEORTOBEORNOT#");
        round_trip(&[0u8; 512 * 512]);
        let mut state = 0x1234_5678u32;
        let noise: Vec<u8> = (0..300_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            })
            .collect();
        round_trip(&noise);
        let mask: Vec<u8> = (0..512 * 512)
            .map(|i| u8::from((i / 37 + i / 4096) % 5 == 0))
            .collect();
        round_trip(&mask);
    }
}
