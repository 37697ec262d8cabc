//! The chain's transaction admission: decoding, the next block's rules, the L1 data fee, and
//! the pool's view of the latest state.

use super::*;

/// Reads account nonces and balances from the latest flat state, for the pool.
pub(super) struct PoolState<'a>(pub(super) &'a Storage);

impl AccountReader for PoolState<'_> {
    fn nonce_and_balance(&self, who: Address) -> (u64, U256) {
        match self.0.latest_account(&who) {
            Ok(Some(account)) => (account.nonce, account.balance),
            Ok(None) => (0, U256::ZERO),
            Err(err) => {
                warn!(target: "pool", %who, %err, "state read failed; treating account as empty");
                (0, U256::ZERO)
            }
        }
    }
}

impl Chain {
    /// Validates a raw transaction and adds it to the pool. Returns its hash.
    pub fn submit_raw(&self, raw: &[u8]) -> std::result::Result<B256, String> {
        if raw.len() > MAX_TX_SIZE {
            return Err("oversized data".to_string());
        }
        let tx = RecoveredTx::decode(raw).map_err(|err| match err {
            sprout_protocol::ProtocolError::UnsupportedTxType(_) => {
                "transaction type not supported".to_string()
            }
            sprout_protocol::ProtocolError::InvalidSignature => "invalid sender".to_string(),
            other => format!("rlp: {other}"),
        })?;
        let spec = self.next_spec();
        if tx.tx.tx_type() == EIP7702_TX_TYPE && !spec.is_enabled_in(SpecId::PRAGUE) {
            // geth's ErrTxTypeNotSupported: set-code transactions wait for Prague.
            return Err("transaction type not supported".to_string());
        }
        let hash = tx.hash;
        let pool_tx = self
            .pool_tx(tx, raw.len(), spec)
            .map_err(|e| format!("cannot price the L1 data fee: {e}"))?;
        let base_fee = self.next_base_fee();
        self.pool
            .add(pool_tx, &PoolState(&self.storage), base_fee)
            .map_err(|err| err.to_string())?;
        let _ = self.pending.send(hash);
        Ok(hash)
    }

    /// The EVM rules of the next block (its timestamp as the block loop will choose it).
    pub(super) fn next_spec(&self) -> SpecId {
        let (head, _) = self.head();
        let timestamp = if self.rollup.is_some() {
            head.timestamp + self.config.block_time
        } else {
            dev_timestamp(&head)
        };
        self.config.spec_at(timestamp)
    }

    /// `tx` as the pool holds it under the next block's rules `spec`, with its L1 data fee at
    /// the head's L1 fee parameters.
    pub(super) fn pool_tx(
        &self,
        tx: RecoveredTx,
        encoded_len: usize,
        spec: SpecId,
    ) -> Result<PoolTx> {
        let l1_fee = match self.head_l1_info()? {
            Some(info) => info.l1_fee(L1BlockInfo::l1_gas_used(&tx.tx.unsigned_encoding())),
            None => U256::ZERO,
        };
        Ok(PoolTx::new(tx, encoded_len, spec, l1_fee))
    }

    /// In rollup mode, the L1 fee parameters the head block was built with (what the next
    /// block of the same epoch charges); `None` off a rollup or at genesis.
    pub(super) fn head_l1_info(&self) -> Result<Option<L1BlockInfo>> {
        if self.rollup.is_none() {
            return Ok(None);
        }
        let (header, hash) = self.head();
        if let Some((cached, info)) = *self.head_l1_info.read()
            && cached == hash
        {
            return Ok(Some(info));
        }
        if header.number == 0 {
            return Ok(None);
        }
        let body = self
            .storage
            .body(&hash)?
            .ok_or(NodeError::UnknownBlock(hash))?;
        let info = match body.transaction(0)? {
            Some(first) => l1_info_of(&first),
            None => None,
        };
        if let Some(info) = info {
            *self.head_l1_info.write() = Some((hash, info));
        }
        Ok(info)
    }
}

/// The L1 fee parameters of a rollup block, from its first transaction (the L1-info deposit).
pub(super) fn l1_info_of(first: &sprout_protocol::tx::SproutTx) -> Option<L1BlockInfo> {
    match first {
        sprout_protocol::tx::SproutTx::Deposit(deposit) => {
            L1BlockInfo::from_ecotone_calldata(&deposit.input).ok()
        }
        _ => None,
    }
}
