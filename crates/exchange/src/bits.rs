//! A fixed-size bit set: a download's blocks held, requested, received
//! more than once.

/// `len` bits, all clear at first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bits {
    words: Vec<u64>,
    len: u32,
    ones: u32,
}

impl Bits {
    /// `len` clear bits.
    pub fn new(len: u32) -> Bits {
        Bits {
            words: vec![0; (len as usize).div_ceil(64)],
            len,
            ones: 0,
        }
    }

    /// `len` set bits.
    pub fn full(len: u32) -> Bits {
        let mut words = vec![u64::MAX; (len as usize).div_ceil(64)];
        if len % 64 != 0 {
            *words.last_mut().expect("a partial word") = (1u64 << (len % 64)) - 1;
        }
        Bits {
            words,
            len,
            ones: len,
        }
    }

    /// Bits in the set.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether it has no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bits set.
    pub fn ones(&self) -> u32 {
        self.ones
    }

    /// Whether bit `i` is set.
    #[inline]
    pub fn get(&self, i: u32) -> bool {
        self.words[(i / 64) as usize] >> (i % 64) & 1 == 1
    }

    /// Sets bit `i`; whether it was clear.
    #[inline]
    pub fn set(&mut self, i: u32) -> bool {
        // (Written as old against new word: the form `*w & m == 0` then
        // `*w |= m` miscounted at opt-level 3 with rustc 1.95, see the
        // test `repeated_sets_count_once`.)
        let k = (i / 64) as usize;
        let old = self.words[k];
        let new = old | (1u64 << (i % 64));
        self.words[k] = new;
        let was_clear = old != new;
        self.ones += u32::from(was_clear);
        was_clear
    }

    /// Clears bit `i`; whether it was set.
    #[inline]
    pub fn clear(&mut self, i: u32) -> bool {
        let k = (i / 64) as usize;
        let old = self.words[k];
        let new = old & !(1u64 << (i % 64));
        self.words[k] = new;
        let was_set = old != new;
        self.ones -= u32::from(was_set);
        was_set
    }

    /// The first clear bit at or after `from`, if any.
    pub fn next_clear(&self, from: u32) -> Option<u32> {
        let mut i = from;
        while i < self.len {
            let w = self.words[(i / 64) as usize] >> (i % 64);
            if w == u64::MAX >> (i % 64) {
                i = (i / 64 + 1) * 64;
                continue;
            }
            let k = i + (!w).trailing_zeros();
            return (k < self.len).then_some(k);
        }
        None
    }

    /// The set bits as contiguous ranges `[start, end)`.
    pub fn ranges(&self) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.len {
            if !self.get(i) {
                i = match self.next_set(i) {
                    Some(k) => k,
                    None => break,
                };
            }
            let end = self.next_clear(i).unwrap_or(self.len);
            out.push((i, end));
            i = end;
        }
        out
    }

    /// The first set bit at or after `from`, if any.
    pub fn next_set(&self, from: u32) -> Option<u32> {
        let mut i = from;
        while i < self.len {
            let w = self.words[(i / 64) as usize] >> (i % 64);
            if w == 0 {
                i = (i / 64 + 1) * 64;
                continue;
            }
            let k = i + w.trailing_zeros();
            return (k < self.len).then_some(k);
        }
        None
    }

    /// Word `i` (bits `64 i ..`).
    #[inline]
    pub fn word(&self, i: usize) -> u64 {
        self.words[i]
    }

    /// Words in the set.
    pub fn word_count(&self) -> usize {
        self.words.len()
    }

    /// Bytes the set occupies.
    pub fn heap_bytes(&self) -> usize {
        self.words.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_sets_count_once() {
        let mut b = Bits::new(130);
        assert!(b.set(0));
        assert!(!b.set(0));
        b.set(64);
        assert_eq!(b.ones(), 2);
        assert!(b.clear(64));
        assert!(!b.clear(64));
        assert_eq!(b.ones(), 1);
    }

    #[test]
    fn set_clear_count_and_scan() {
        let mut b = Bits::new(130);
        assert!(b.set(0));
        assert!(!b.set(0));
        b.set(64);
        b.set(65);
        b.set(129);
        assert_eq!(b.ones(), 4);
        assert_eq!(b.next_clear(0), Some(1));
        assert_eq!(b.next_set(1), Some(64));
        assert_eq!(b.next_set(66), Some(129));
        assert_eq!(b.ranges(), vec![(0, 1), (64, 66), (129, 130)]);
        assert!(b.clear(64));
        assert_eq!(b.ones(), 3);
        let f = Bits::full(130);
        assert_eq!(f.next_clear(0), None);
        assert_eq!(f.ranges(), vec![(0, 130)]);
        assert_eq!(Bits::new(3).next_set(0), None);
    }
}
