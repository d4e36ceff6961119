//! A growable array stored in fixed-size chunks, whose finished chunks
//! can be recycled.
//!
//! The model never reuses a sale's id (stale events name them), and a
//! simulated year of the base-capacity fleet makes about a million sales,
//! of which a few tens of thousands are live at any time. In chunks,
//! pushing never moves an element; and once every element of a chunk is
//! *retired* (a sale that is over), [`Chunked::recycle_retired`] gives the
//! chunk's memory to the next chunk to fill. Memory then follows the live
//! elements, not every element ever made: on this machine class first
//! touching fresh memory is a large part of a run's cost.
//!
//! Reading a recycled element gives the array's *tombstone*, a value the
//! owner chooses (a sale that is over); writing one panics. Indexing costs
//! one more load than a `Vec` (the chunk table is small and stays in
//! cache).

use std::ops::{Index, IndexMut};

/// 16,384 elements per chunk; 64 in debug builds, so that tests recycle
/// chunks (and read tombstones) even in short runs.
const CHUNK_BITS: u32 = if cfg!(debug_assertions) { 6 } else { 14 };
const CHUNK: usize = 1 << CHUNK_BITS;
const MASK: usize = CHUNK - 1;

/// A growable array of `T` in chunks of `1 << CHUNK_BITS` elements.
#[derive(Clone, Debug)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    /// Per chunk: elements not retired yet.
    live: Vec<u32>,
    /// Per chunk: its memory went to another chunk.
    recycled: Vec<bool>,
    /// Emptied chunks' memory, for the next chunks.
    spare: Vec<Vec<T>>,
    len: usize,
    tombstone: T,
}

impl<T> Chunked<T> {
    /// An empty array whose recycled elements read as `tombstone`.
    pub(crate) fn new(tombstone: T) -> Self {
        Chunked {
            chunks: Vec::new(),
            live: Vec::new(),
            recycled: Vec::new(),
            spare: Vec::new(),
            len: 0,
            tombstone,
        }
    }

    /// Number of elements (recycled ones included).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends an element.
    pub(crate) fn push(&mut self, value: T) {
        if self.len & MASK == 0 {
            let chunk = self
                .spare
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(CHUNK));
            self.chunks.push(chunk);
            self.live.push(0);
            self.recycled.push(false);
        }
        self.chunks.last_mut().expect("a chunk").push(value);
        *self.live.last_mut().expect("a chunk") += 1;
        self.len += 1;
    }

    /// Element `i` will never be read for anything but what the tombstone
    /// also says (it may still be read or written until the next
    /// [`Chunked::recycle_retired`]). Each element is retired at most once.
    pub(crate) fn retire(&mut self, i: usize) {
        let c = i >> CHUNK_BITS;
        debug_assert!(i < self.len && !self.recycled[c]);
        self.live[c] -= 1;
    }

    /// Recycles every full chunk whose elements are all retired: they read
    /// as the tombstone from now on.
    pub(crate) fn recycle_retired(&mut self) {
        // The last chunk may still grow.
        let full = self.len >> CHUNK_BITS;
        for c in 0..full {
            if self.live[c] == 0 && !self.recycled[c] {
                let mut chunk = std::mem::take(&mut self.chunks[c]);
                chunk.clear();
                self.spare.push(chunk);
                self.recycled[c] = true;
            }
        }
    }

    /// The elements in memory (not recycled), with their indices, in order.
    pub(crate) fn iter_resident(&self) -> impl Iterator<Item = (usize, &T)> {
        self.chunks.iter().enumerate().flat_map(|(c, chunk)| {
            chunk
                .iter()
                .enumerate()
                .map(move |(j, x)| ((c << CHUNK_BITS) | j, x))
        })
    }

    /// Elements in memory (not recycled).
    #[cfg(test)]
    pub(crate) fn resident(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    #[cold]
    fn recycled_or_panic(&self, i: usize) -> &T {
        assert!(
            i < self.len && self.recycled[i >> CHUNK_BITS],
            "index {i} out of range for {} elements",
            self.len
        );
        &self.tombstone
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;
    #[inline]
    fn index(&self, i: usize) -> &T {
        match self.chunks[i >> CHUNK_BITS].get(i & MASK) {
            Some(x) => x,
            None => self.recycled_or_panic(i),
        }
    }
}

impl<T> IndexMut<usize> for Chunked<T> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut T {
        let len = self.len;
        match self.chunks[i >> CHUNK_BITS].get_mut(i & MASK) {
            Some(x) => x,
            None => panic!("element {i} of {len} written after it was recycled (or out of range)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_like_a_vec_across_chunks() {
        let mut c = Chunked::new(u64::MAX);
        let mut v = Vec::new();
        for i in 0..(3 * CHUNK + 17) as u64 {
            c.push(i * 7);
            v.push(i * 7);
        }
        assert_eq!(c.len(), v.len());
        for i in [0, 1, CHUNK - 1, CHUNK, 2 * CHUNK + 5, v.len() - 1] {
            assert_eq!(c[i], v[i]);
        }
        c[CHUNK] = 1;
        assert_eq!(c[CHUNK], 1);
        c[CHUNK] = v[CHUNK];
        assert!(c.iter_resident().map(|(_, x)| x).eq(v.iter()));
        assert!(c.iter_resident().all(|(i, x)| c[i] == *x));
    }

    #[test]
    #[should_panic]
    fn out_of_range_panics() {
        let mut c = Chunked::new(0u8);
        c.push(1u8);
        let _ = c[1];
    }

    #[test]
    fn retired_chunks_read_as_the_tombstone_and_their_memory_is_reused() {
        let mut c = Chunked::new(u32::MAX);
        for i in 0..(2 * CHUNK + 3) as u32 {
            c.push(i);
        }
        // Chunk 0 wholly retired, chunk 1 but one element, chunk 2 (the
        // last, still growing) wholly.
        for i in 0..CHUNK {
            c.retire(i);
        }
        for i in CHUNK..2 * CHUNK - 1 {
            c.retire(i);
        }
        for i in 2 * CHUNK..2 * CHUNK + 3 {
            c.retire(i);
        }
        // Retired but not yet recycled: still readable and writable.
        c[5] = 6;
        assert_eq!(c[5], 6);
        c.recycle_retired();
        assert_eq!(c.resident(), CHUNK + 3);
        let resident: Vec<usize> = c.iter_resident().map(|(i, _)| i).collect();
        assert_eq!(resident.len(), CHUNK + 3);
        assert_eq!(resident[0], CHUNK);
        assert_eq!(resident[CHUNK], 2 * CHUNK);
        assert_eq!(c[0], u32::MAX);
        assert_eq!(c[CHUNK - 1], u32::MAX);
        assert_eq!(c[2 * CHUNK - 1], (2 * CHUNK - 1) as u32);
        assert_eq!(c[2 * CHUNK + 2], (2 * CHUNK + 2) as u32);
        // The next chunk takes the recycled memory.
        let before = c.spare.len();
        for i in 0..CHUNK as u32 {
            c.push(i);
        }
        assert_eq!(c.spare.len(), before - 1);
        assert_eq!(c[3 * CHUNK + 1], (CHUNK - 2) as u32);
        assert_eq!(c.len(), 3 * CHUNK + 3);
    }

    #[test]
    #[should_panic(expected = "written after it was recycled")]
    fn writing_a_recycled_element_panics() {
        let mut c = Chunked::new(0u8);
        for _ in 0..CHUNK + 1 {
            c.push(1u8);
        }
        for i in 0..CHUNK {
            c.retire(i);
        }
        c.recycle_retired();
        c[3] = 2;
    }

    #[test]
    #[should_panic]
    fn reading_past_the_end_still_panics_after_recycling() {
        let mut c = Chunked::new(0u8);
        for _ in 0..CHUNK + 1 {
            c.push(1u8);
        }
        for i in 0..CHUNK {
            c.retire(i);
        }
        c.recycle_retired();
        let _ = c[CHUNK + 1];
    }
}
