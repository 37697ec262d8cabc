//! Rolling unsafe blocks back (an L1 reorg of their origin, or derivation replacing them): the
//! state returns to the kept block's and the removed blocks' user transactions go back to the
//! pool.

use super::*;

impl Chain {
    /// Rolls the chain back to block `target` (a reorg of unsafe blocks): the state returns to
    /// that block's, it becomes the head, and the user transactions of the removed blocks go
    /// back to the pool so they can be included again. Blocking.
    pub fn unwind_to(&self, target: u64) -> Result<usize> {
        let _guard = self.produce.lock();
        self.unwind_locked(target)
    }

    pub(super) fn unwind_locked(&self, target: u64) -> Result<usize> {
        let (head, head_hash) = self.head();
        let bodies = self.storage.unwind_to(target)?;
        if bodies.is_empty() {
            return Ok(0);
        }
        let hash = self
            .storage
            .canonical_hash(target)?
            .ok_or_else(|| NodeError::Corrupt(format!("no canonical block {target}")))?;
        let header = self
            .storage
            .header(&hash)?
            .ok_or(NodeError::UnknownBlock(hash))?;
        *self.head.write() = (header.clone(), hash);
        self.resets
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        warn!(
            target: "chain",
            from = head.number,
            from_hash = %head_hash,
            to = target,
            to_hash = %hash,
            "rolled back unsafe blocks"
        );
        let base_fee = self.config.next_base_fee(&header);
        self.pool.set_block_gas_limit(header.gas_limit);
        let spec = self.next_spec();
        let mut returned = 0usize;
        for body in &bodies {
            for raw in &body.transactions {
                if raw.first() == Some(&sprout_protocol::tx::DEPOSIT_TX_TYPE) {
                    continue;
                }
                let Ok(tx) = RecoveredTx::decode(raw) else {
                    continue;
                };
                let pool_tx = self.pool_tx(tx, raw.len(), spec)?;
                if self
                    .pool
                    .add(pool_tx, &PoolState(&self.storage), base_fee)
                    .is_ok()
                {
                    returned += 1;
                }
            }
        }
        self.pool
            .on_block_committed(&PoolState(&self.storage), &[], base_fee);
        debug!(target: "chain", returned, "transactions of rolled-back blocks back in the pool");
        Ok(bodies.len())
    }
}
