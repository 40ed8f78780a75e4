//! Byte searches shared by the scanners of embedded text (the YAML scalar decoder, the
//! Python tokenizer).

/// The first byte at or after `from` that is one of `stops`, or the end of `b`. Eight bytes
/// are looked at together while none of them stops (the bodies of literals and the runs of
/// a scalar copied as they are are most of their bytes).
pub fn first_of<const N: usize>(b: &[u8], mut from: usize, stops: [u8; N]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The high bit of each zero byte of `word`, and maybe of bytes above the first one (a
    // borrow only starts at a zero byte): the lowest bit set is exact, and with several
    // stops, the lowest of any of them is the first stop.
    let zeros = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    while let Some(chunk) = b.get(from..from + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let flags = stops.iter().fold(0, |flags, &stop| {
            flags | zeros(word ^ ONES.wrapping_mul(u64::from(stop)))
        });
        if flags != 0 {
            return from + (flags.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    while from < b.len() && !stops.contains(&b[from]) {
        from += 1;
    }
    from.min(b.len())
}

#[cfg(test)]
mod tests {
    use super::first_of;

    /// Every position of every stop, among bytes that look alike in the word test (a stop's
    /// neighbours, zero, bytes with the high bit), at every offset within and across words.
    #[test]
    fn the_first_stop_is_found_where_a_walk_finds_it() {
        let stops = [b'\\', b'"', b'\n'];
        let fill = [b'a', 0, 0x80, 0xff, b'[', b'!', b'#', b'\x0b'];
        for len in 0..40 {
            for at in 0..=len {
                for &f in &fill {
                    let mut b = vec![f; len];
                    for (k, &stop) in stops.iter().enumerate() {
                        if at < len {
                            b[at] = stop;
                        }
                        for from in 0..=len {
                            let walk = (from..len).find(|&i| stops.contains(&b[i])).unwrap_or(len);
                            assert_eq!(first_of(&b, from, stops), walk, "{b:?} from {from} ({k})");
                        }
                    }
                }
            }
        }
    }
}
