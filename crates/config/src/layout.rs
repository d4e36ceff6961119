//! How Codex lays a dataset out in slots (nim-codex `codex/erasure/erasure.nim`,
//! `codex/slots/*`, `codex/codextypes.nim`).
//!
//! A dataset of B blocks of 64 KiB is erasure-coded with the stepped strategy:
//! `rounded = roundUp(B, K)`, `steps = rounded / K`, `blocksCount = steps x (K + M)`.
//! Slot i holds blocks `[i x steps, (i + 1) x steps)`: one block of every
//! EC group, so any M lost slots are recoverable. The on-chain `slotSize` is
//! `64 KiB x nextPowerOfTwo(steps)`: padding blocks are never stored or sent,
//! so a host reserves `slot_size_bytes` but stores `slot_data_bytes`.

/// Codex's block size.
pub const BLOCK_BYTES: u64 = 64 * 1024;

/// The layout of one dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Data blocks of the original dataset (B).
    pub data_blocks: u64,
    /// Blocks per slot (`steps`).
    pub steps: u64,
    /// The on-chain slot size, bytes (padded to a power of two of blocks).
    pub slot_size_bytes: u64,
    /// Bytes a host really stores for one slot.
    pub slot_data_bytes: u64,
    /// K.
    pub k: u32,
    /// M.
    pub m: u32,
}

impl Layout {
    /// The layout of `dataset_bytes` over K data and M parity slots.
    pub fn new(dataset_bytes: u64, k: u32, m: u32) -> Layout {
        let k64 = u64::from(k.max(1));
        let data_blocks = dataset_bytes.div_ceil(BLOCK_BYTES).max(1);
        let rounded = data_blocks.div_ceil(k64) * k64;
        let steps = rounded / k64;
        let padded = steps
            .checked_next_power_of_two()
            .unwrap_or(u64::MAX / BLOCK_BYTES);
        Layout {
            data_blocks,
            steps,
            slot_size_bytes: padded.saturating_mul(BLOCK_BYTES),
            slot_data_bytes: steps * BLOCK_BYTES,
            k,
            m,
        }
    }

    /// Bytes a repair fetches: K slots' worth (one block of K per EC group).
    pub fn repair_bytes(&self) -> u64 {
        self.slot_data_bytes * u64::from(self.k)
    }

    /// Slots (K + M).
    pub fn slots(&self) -> u32 {
        self.k + self.m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of codex-model.md section 4: 10 MiB, nodes 3, tolerance 1.
    #[test]
    fn ten_mib_over_two_plus_one() {
        let l = Layout::new(10 * 1024 * 1024, 2, 1);
        assert_eq!(l.data_blocks, 160);
        assert_eq!(l.steps, 80);
        assert_eq!(l.slot_size_bytes, 8 * 1024 * 1024);
        assert_eq!(l.slot_data_bytes, 5 * 1024 * 1024);
    }

    #[test]
    fn rounding_up_blocks_and_steps() {
        // 1 byte is one block; K = 3 rounds to 3 blocks, 1 step.
        let l = Layout::new(1, 3, 2);
        assert_eq!(
            (l.data_blocks, l.steps, l.slot_size_bytes),
            (1, 1, BLOCK_BYTES)
        );
        // 7 blocks over K = 3: rounded 9, steps 3, padded to 4 blocks.
        let l = Layout::new(7 * BLOCK_BYTES, 3, 2);
        assert_eq!(
            (l.steps, l.slot_size_bytes, l.slot_data_bytes),
            (3, 4 * BLOCK_BYTES, 3 * BLOCK_BYTES)
        );
    }
}
