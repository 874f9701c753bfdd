//! Unique viewers of a show, counted with a HyperLogLog: 1,024 one-byte
//! registers (about 3% standard error) that any gateway can merge with any
//! other's, so the union over every gateway is one register-wise maximum.

/// log2 of the register count.
const PRECISION: u32 = 10;
/// How many registers a sketch has.
pub const REGISTERS: usize = 1 << PRECISION;

/// One sketch of the sessions seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uniques {
    registers: Vec<u8>,
}

impl Default for Uniques {
    fn default() -> Self {
        Self { registers: vec![0; REGISTERS] }
    }
}

impl Uniques {
    /// Counts `session` (again: no change).
    pub fn insert(&mut self, session: &str) {
        let hash = mix(fnv1a(session.as_bytes()));
        let index = (hash >> (64 - PRECISION)) as usize;
        // The rank of the first 1 bit in the remaining 54 bits, from 1.
        let rest = hash << PRECISION;
        let rank = (rest.leading_zeros() + 1).min(64 - PRECISION + 1) as u8;
        self.registers[index] = self.registers[index].max(rank);
    }

    /// Takes in another sketch's sessions; a sketch of the wrong size is ignored.
    pub fn merge(&mut self, registers: &[u8]) {
        if registers.len() == REGISTERS {
            for (mine, theirs) in self.registers.iter_mut().zip(registers) {
                *mine = (*mine).max(*theirs);
            }
        }
    }

    pub fn registers(&self) -> &[u8] {
        &self.registers
    }

    /// About how many distinct sessions were counted.
    pub fn estimate(&self) -> u64 {
        let m = REGISTERS as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let sum: f64 = self.registers.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
        let raw = alpha * m * m / sum;
        let zeros = self.registers.iter().filter(|&&r| r == 0).count();
        // Small ranges: linear counting is the better estimate.
        let estimate = if raw <= 2.5 * m && zeros > 0 { m * (m / zeros as f64).ln() } else { raw };
        estimate.round() as u64
    }
}

/// FNV-1a, 64-bit: the same in every process, so sketches merge.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}

/// The splitmix64 finalizer: spreads FNV's bits over the whole word.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_distinct_sessions_within_a_few_percent_and_merges() {
        for n in [1u64, 10, 1_000, 50_000] {
            let mut sketch = Uniques::default();
            for i in 0..n {
                sketch.insert(&format!("session-{i}"));
                sketch.insert(&format!("session-{i}"));
            }
            let estimate = sketch.estimate() as f64;
            assert!((estimate - n as f64).abs() <= (n as f64 * 0.06).max(1.0), "{n} sessions read as {estimate}");
        }
        let (mut here, mut there) = (Uniques::default(), Uniques::default());
        for i in 0..600 {
            here.insert(&format!("s{i}"));
        }
        for i in 400..1000 {
            there.insert(&format!("s{i}"));
        }
        here.merge(there.registers());
        let union = here.estimate() as f64;
        assert!((union - 1000.0).abs() <= 60.0, "the union of 600 and 600 sharing 200 read as {union}");
    }
}
