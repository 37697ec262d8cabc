//! L1-origin selection: which L1 block (epoch) the next L2 block names.
//!
//! Rules, as OP's sequencer applies them:
//! - the origin trails the L1 head by a confirmation depth;
//! - it advances at most one epoch per L2 block, and only to a child of the current origin
//!   whose timestamp is not after the L2 block's;
//! - past the max sequencer drift (`l2 time > origin time + drift`) the next origin is taken as
//!   soon as it exists, confirmed or not, and while none exists blocks carry no user
//!   transactions;
//! - when L1 cannot be reached, blocks keep the current origin within the drift;
//! - if the current origin is no longer canonical, the caller must re-pick (reset).

use sprout_protocol::l1_info::L1BlockRef;

/// Read access to L1 the selector needs.
pub trait L1Source {
    /// The error of the source (an RPC failure, say).
    type Error: core::fmt::Display;
    /// The current L1 head.
    fn head(&self) -> Result<L1BlockRef, Self::Error>;
    /// The canonical block at `number`, if L1 has one.
    fn block_by_number(&self, number: u64) -> Result<Option<L1BlockRef>, Self::Error>;
}

/// Selector settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OriginConfig {
    /// L1 blocks an origin must be buried under before it is used.
    pub confirmations: u64,
    /// Seconds an L2 block may run ahead of its origin's timestamp.
    pub max_sequencer_drift: u64,
}

/// The origin of the next L2 block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OriginDecision {
    /// The origin.
    pub origin: L1BlockRef,
    /// Whether this block starts a new epoch (its origin differs from the parent's).
    pub new_epoch: bool,
    /// Whether user transactions may be included (false past the drift).
    pub allow_user_txs: bool,
    /// Whether L1 answered; false means the origin was kept during an outage.
    pub l1_reachable: bool,
}

/// Why no origin can be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// The current origin was reorged out of L1: the chain must be reset to a canonical origin.
    #[error("L1 origin {number} ({hash}) is no longer canonical; reset to a canonical origin")]
    Reorged {
        /// Number of the lost origin.
        number: u64,
        /// Hash of the lost origin.
        hash: alloy_primitives::B256,
    },
}

/// Chooses L1 origins.
#[derive(Clone, Copy, Debug)]
pub struct OriginSelector {
    config: OriginConfig,
}

impl OriginSelector {
    /// A selector with `config`.
    pub const fn new(config: OriginConfig) -> Self {
        Self { config }
    }

    /// The origin for an L2 block at `l2_timestamp` whose parent's origin is `current`.
    pub fn select<S: L1Source>(
        &self,
        current: L1BlockRef,
        l2_timestamp: u64,
        l1: &S,
    ) -> Result<OriginDecision, OriginError> {
        let past_drift = l2_timestamp
            > current
                .timestamp
                .saturating_add(self.config.max_sequencer_drift);
        let stay = |l1_reachable| OriginDecision {
            origin: current,
            new_epoch: false,
            allow_user_txs: !past_drift,
            l1_reachable,
        };
        let (head, canonical, next) = match (
            l1.head(),
            l1.block_by_number(current.number),
            l1.block_by_number(current.number + 1),
        ) {
            (Ok(head), Ok(canonical), Ok(next)) => (head, canonical, next),
            _ => return Ok(stay(false)),
        };
        match canonical {
            Some(block) if block.hash == current.hash => {}
            // The origin's height vanished (L1 rolled back) or holds another block.
            _ => {
                return Err(OriginError::Reorged {
                    number: current.number,
                    hash: current.hash,
                });
            }
        }
        let Some(next) = next else {
            return Ok(stay(true));
        };
        if next.parent_hash != current.hash {
            return Err(OriginError::Reorged {
                number: current.number,
                hash: current.hash,
            });
        }
        let confirmed = next.number.saturating_add(self.config.confirmations) <= head.number;
        if next.timestamp <= l2_timestamp && (confirmed || past_drift) {
            let next_past_drift = l2_timestamp
                > next
                    .timestamp
                    .saturating_add(self.config.max_sequencer_drift);
            return Ok(OriginDecision {
                origin: next,
                new_epoch: true,
                allow_user_txs: !next_past_drift,
                l1_reachable: true,
            });
        }
        Ok(stay(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;
    use std::cell::RefCell;

    /// A hand-made L1: a list of blocks, and a switch to make it unreachable.
    #[derive(Default)]
    struct FakeL1 {
        blocks: RefCell<Vec<L1BlockRef>>,
        down: RefCell<bool>,
    }

    impl FakeL1 {
        fn with_blocks(n: u64, block_time: u64) -> Self {
            let l1 = Self::default();
            for _ in 0..n {
                l1.mine(block_time, 0);
            }
            l1
        }

        fn mine(&self, block_time: u64, salt: u8) {
            let mut blocks = self.blocks.borrow_mut();
            let parent = blocks.last().copied();
            let number = parent.map(|p| p.number + 1).unwrap_or(0);
            let mut hash = [0u8; 32];
            hash[..8].copy_from_slice(&number.to_be_bytes());
            hash[8] = salt;
            blocks.push(L1BlockRef {
                number,
                hash: B256::from(hash),
                parent_hash: parent.map(|p| p.hash).unwrap_or_default(),
                timestamp: number * block_time,
            });
        }

        fn at(&self, n: u64) -> L1BlockRef {
            self.blocks.borrow()[n as usize]
        }
    }

    impl L1Source for FakeL1 {
        type Error = &'static str;
        fn head(&self) -> Result<L1BlockRef, Self::Error> {
            if *self.down.borrow() {
                return Err("connection refused");
            }
            self.blocks.borrow().last().copied().ok_or("empty")
        }
        fn block_by_number(&self, number: u64) -> Result<Option<L1BlockRef>, Self::Error> {
            if *self.down.borrow() {
                return Err("connection refused");
            }
            Ok(self.blocks.borrow().get(number as usize).copied())
        }
    }

    const CONFIG: OriginConfig = OriginConfig {
        confirmations: 2,
        max_sequencer_drift: 30,
    };

    #[test]
    fn advances_one_confirmed_epoch_at_a_time() {
        let l1 = FakeL1::with_blocks(10, 12);
        let selector = OriginSelector::new(CONFIG);
        let d = selector.select(l1.at(0), 20, &l1).expect("selects");
        assert_eq!(d.origin, l1.at(1));
        assert!(d.new_epoch && d.allow_user_txs && d.l1_reachable);
        // L2 far ahead in time still moves one epoch per block, without user txs past the drift.
        let d = selector.select(l1.at(0), 100, &l1).expect("selects");
        assert_eq!(d.origin, l1.at(1));
        assert!(d.new_epoch && !d.allow_user_txs);
        // Block 8 is only one deep under head 9: not confirmed, and within the drift: stay.
        let d = selector
            .select(l1.at(7), 7 * 12 + 12, &l1)
            .expect("selects");
        assert_eq!(d.origin, l1.at(7));
        assert!(!d.new_epoch);
    }

    #[test]
    fn never_moves_to_an_origin_from_the_future() {
        let l1 = FakeL1::with_blocks(10, 12);
        let selector = OriginSelector::new(CONFIG);
        let d = selector.select(l1.at(2), 2 * 12 + 5, &l1).expect("selects");
        assert_eq!(d.origin, l1.at(2));
    }

    #[test]
    fn past_the_drift_blocks_carry_no_user_transactions_until_l1_moves() {
        let l1 = FakeL1::with_blocks(3, 12);
        let selector = OriginSelector::new(CONFIG);
        // L1 frozen at block 2 (head): from origin 2, drift 30 s.
        let origin = l1.at(2);
        let within = selector
            .select(origin, origin.timestamp + 30, &l1)
            .expect("selects");
        assert!(within.allow_user_txs);
        let past = selector
            .select(origin, origin.timestamp + 31, &l1)
            .expect("selects");
        assert_eq!(past.origin, origin);
        assert!(!past.allow_user_txs);
        // L1 produces block 3: taken at once although unconfirmed, because we are past the drift.
        l1.mine(12, 0);
        let d = selector
            .select(origin, origin.timestamp + 31, &l1)
            .expect("selects");
        assert_eq!(d.origin, l1.at(3));
        assert!(d.new_epoch && d.allow_user_txs);
    }

    #[test]
    fn an_l1_outage_keeps_the_origin_within_the_drift() {
        let l1 = FakeL1::with_blocks(10, 12);
        let selector = OriginSelector::new(CONFIG);
        *l1.down.borrow_mut() = true;
        let origin = l1.at(5);
        let d = selector
            .select(origin, origin.timestamp + 10, &l1)
            .expect("keeps origin");
        assert_eq!(d.origin, origin);
        assert!(d.allow_user_txs && !d.l1_reachable);
        let d = selector
            .select(origin, origin.timestamp + 31, &l1)
            .expect("keeps origin");
        assert!(!d.allow_user_txs);
        *l1.down.borrow_mut() = false;
        let d = selector
            .select(origin, origin.timestamp + 31, &l1)
            .expect("selects");
        assert_eq!(d.origin, l1.at(6));
    }

    #[test]
    fn a_reorged_origin_is_reported() {
        let l1 = FakeL1::with_blocks(6, 12);
        let selector = OriginSelector::new(CONFIG);
        let origin = l1.at(5);
        // Replace block 5 with a sibling.
        l1.blocks.borrow_mut().pop();
        l1.mine(12, 7);
        assert_eq!(
            selector.select(origin, origin.timestamp, &l1),
            Err(OriginError::Reorged {
                number: 5,
                hash: origin.hash
            })
        );
    }
}
