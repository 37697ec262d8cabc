//! Blocks from gossip: a follower executes the sequencer's signed blocks as they arrive, ahead
//! of derivation, which later confirms each one (it becomes safe) or replaces it.

use alloy_primitives::Bytes;
use sprout_protocol::derive::rollup_fees;

use super::*;

/// What became of a gossiped block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnsafeOutcome {
    /// Executed to its hash and made the head.
    Applied,
    /// The chain already holds it.
    Known,
    /// It is not the head's child: the chain is at `head`, and the block needs its parent first.
    NotNext {
        /// The chain's head number.
        head: u64,
    },
    /// Another block holds its place (the first block at a height wins until L1 decides).
    Conflicts,
}

impl Chain {
    /// Executes the block `header` describes (hash `hash`, `transactions` in EIP-2718 form) on
    /// the head and makes it the new head, if it is the head's child, keeps the chain's rules
    /// (timestamp, base fee, fee recipient, an L1-info deposit first) and executes to exactly
    /// `hash`. A block that does not is refused with the reason and nothing is written.
    /// Blocking.
    pub fn apply_unsafe(
        &self,
        header: &Header,
        hash: B256,
        transactions: &[Bytes],
    ) -> Result<UnsafeOutcome> {
        let _guard = self.produce.lock();
        let (head, head_hash) = self.head();
        let number = header.number;
        if number <= head.number {
            return Ok(match self.storage.canonical_hash(number)? {
                Some(known) if known == hash => UnsafeOutcome::Known,
                _ => UnsafeOutcome::Conflicts,
            });
        }
        if number != head.number + 1 {
            return Ok(UnsafeOutcome::NotNext { head: head.number });
        }
        if header.parent_hash != head_hash {
            return Ok(UnsafeOutcome::Conflicts);
        }
        let refuse = |why: String| Err(NodeError::Unsafe(format!("block {number} {hash}: {why}")));
        let expected_time = head.timestamp + self.config.block_time;
        if header.timestamp != expected_time {
            return refuse(format!(
                "timestamp {} is not the parent's plus the block time ({expected_time})",
                header.timestamp
            ));
        }
        let base_fee = self.config.next_base_fee(&head);
        if header.base_fee_per_gas != Some(base_fee) {
            return refuse(format!(
                "base fee {:?} is not the chain's {base_fee}",
                header.base_fee_per_gas
            ));
        }
        if header.beneficiary != self.config.fee_recipient {
            return refuse(format!(
                "fee recipient {} is not the chain's {}",
                header.beneficiary, self.config.fee_recipient
            ));
        }
        let Some(transactions) = recover_all(transactions) else {
            return refuse("a transaction does not decode or recover".into());
        };
        let Some(l1_info) = transactions.first().and_then(|tx| l1_info_of(&tx.tx)) else {
            return refuse("its first transaction is not an L1-info deposit".into());
        };
        let inputs = BlockEnvInputs {
            beneficiary: header.beneficiary,
            timestamp: header.timestamp,
            gas_limit: header.gas_limit,
            base_fee,
            prev_randao: header.mix_hash,
            extra_data: header.extra_data.clone(),
            parent_beacon_block_root: header.parent_beacon_block_root,
            withdrawals: Some(Vec::new()),
        };
        let mut builder = self.config.executor_at(header.timestamp).builder(
            &head,
            inputs,
            LatestState(&self.storage),
        )?;
        builder.set_rollup_fees(rollup_fees(l1_info));
        for (index, tx) in transactions.into_iter().enumerate() {
            let tx_hash = tx.hash;
            match builder.apply(tx) {
                Ok(()) => {}
                Err(ApplyError::Invalid(err)) => {
                    return refuse(format!(
                        "transaction {index} ({tx_hash}) cannot be included: {err}"
                    ));
                }
                Err(ApplyError::Fatal(err)) => return Err(err.into()),
            }
        }
        let executed = builder.finish(head.state_root, self.storage.as_ref())?;
        if executed.hash != hash {
            return refuse(format!("it executes to {}", executed.hash));
        }
        self.storage.commit_block(&executed)?;
        self.publish(&executed);
        Ok(UnsafeOutcome::Applied)
    }
}
