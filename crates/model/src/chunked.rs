//! A growable array stored in fixed-size chunks.
//!
//! The model keeps every request it ever made (their ids are never reused:
//! stale events name them), about 50,000 in a simulated year of the
//! base-capacity fleet. In a `Vec`, each doubling copies the whole array
//! into fresh memory; in chunks, pushing never moves an element and every
//! page is touched once. Indexing costs one more load (the chunk table is
//! small and stays in cache).

use std::ops::{Index, IndexMut};

const CHUNK_BITS: u32 = 14;
const CHUNK: usize = 1 << CHUNK_BITS;
const MASK: usize = CHUNK - 1;

/// A growable array of `T` in chunks of 16,384 elements.
#[derive(Clone, Debug)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    /// An empty array.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Number of elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends an element.
    pub(crate) fn push(&mut self, value: T) {
        if self.len & MASK == 0 {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks.last_mut().expect("a chunk").push(value);
        self.len += 1;
    }

    /// The elements in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;
    #[inline]
    fn index(&self, i: usize) -> &T {
        &self.chunks[i >> CHUNK_BITS][i & MASK]
    }
}

impl<T> IndexMut<usize> for Chunked<T> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i >> CHUNK_BITS][i & MASK]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_like_a_vec_across_chunks() {
        let mut c = Chunked::new();
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
        assert!(c.iter().eq(v.iter()));
    }

    #[test]
    #[should_panic]
    fn out_of_range_panics() {
        let mut c = Chunked::new();
        c.push(1u8);
        let _ = c[1];
    }
}
