//! Block production: the sequencer's loop, and one block built from the pool (on a rollup, on
//! top of the L1 origin's deposits).

use super::*;

impl Chain {
    pub(super) fn block_inputs(&self, parent: &Header) -> BlockEnvInputs {
        BlockEnvInputs {
            beneficiary: self.config.fee_recipient,
            timestamp: dev_timestamp(parent),
            gas_limit: self.config.gas_limit,
            base_fee: self.config.next_base_fee(parent),
            prev_randao: B256::ZERO,
            extra_data: Default::default(),
            parent_beacon_block_root: Some(B256::ZERO),
            withdrawals: Some(Vec::new()),
        }
    }

    /// Builds, executes and commits one block from the pool. Blocking: run it off the async
    /// runtime.
    pub fn produce_block(&self) -> Result<Arc<NewBlock>> {
        let _guard = self.produce.lock();
        let (mut parent, mut parent_hash) = self.head();
        let plan = match &self.rollup {
            Some(rollup) => {
                match rollup.plan(&self.storage, &self.config, &parent, parent_hash) {
                    Err(NodeError::OriginReorged { number, hash }) => {
                        // L1 dropped the origin: go back to the newest block whose origin L1
                        // still has, and build on it.
                        warn!(target: "sequencer", origin = number, %hash, "L1 origin reorged out; rolling back");
                        let keep =
                            rollup.canonical_ancestor(&self.storage, &parent, parent_hash)?;
                        self.unwind_locked(keep)?;
                        (parent, parent_hash) = self.head();
                        Some(rollup.plan(&self.storage, &self.config, &parent, parent_hash)?)
                    }
                    other => Some(other?),
                }
            }
            None => None,
        };
        let inputs = match &plan {
            Some(plan) => plan.inputs.clone(),
            None => self.block_inputs(&parent),
        };
        let base_fee = inputs.base_fee;
        let mut builder = self.config.executor_at(inputs.timestamp).builder(
            &parent,
            inputs,
            LatestState(&self.storage),
        )?;
        let mut allow_user_txs = true;
        if let Some(plan) = plan {
            builder.set_rollup_fees(plan.fees);
            for deposit in plan.deposits {
                match builder.apply(deposit) {
                    Ok(()) => {}
                    Err(ApplyError::Invalid(err) | ApplyError::Fatal(err)) => {
                        return Err(err.into());
                    }
                }
            }
            allow_user_txs = plan.allow_user_txs;
        }
        let mut best = self.pool.best(base_fee);
        let mut evicted = Vec::new();
        while allow_user_txs && builder.gas_remaining() >= 21_000 {
            let Some(tx) = best.next() else { break };
            if tx.tx.tx.gas_limit() > builder.gas_remaining() {
                // Fits a later, emptier block: keep it, and its sender's later nonces behind it.
                best.mark_invalid(tx.tx.sender);
                continue;
            }
            match builder.apply((*tx.tx).clone()) {
                Ok(()) => {}
                Err(ApplyError::Invalid(err)) => {
                    // It would block its sender's later nonces forever: drop it.
                    warn!(target: "sequencer", hash = %tx.tx.hash, sender = %tx.tx.sender,
                        nonce = tx.tx.tx.nonce(), %err,
                        "evicting a transaction the block builder cannot include");
                    best.mark_invalid(tx.tx.sender);
                    evicted.push(tx.tx.hash);
                }
                Err(ApplyError::Fatal(err)) => return Err(err.into()),
            }
        }
        drop(best);
        self.pool.remove(&evicted);
        let executed = builder.finish(parent.state_root, self.storage.as_ref())?;
        debug_assert_eq!(executed.block.header.parent_hash, parent_hash);
        self.storage.commit_block(&executed)?;
        Ok(self.publish(&executed))
    }

    /// Produces a block every block time until `shutdown` resolves.
    pub async fn run_sequencer(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        if self.rollup.is_some() {
            return self.run_rollup_sequencer(shutdown).await;
        }
        let mut ticker = tokio::time::interval(Duration::from_secs(self.config.block_time));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = ticker.tick() => {
                    let chain = self.clone();
                    match tokio::task::spawn_blocking(move || chain.produce_block()).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(err)) => warn!(target: "sequencer", %err, "block production failed; retrying next tick"),
                        Err(err) => warn!(target: "sequencer", %err, "block production task panicked"),
                    }
                }
            }
        }
        info!(target: "sequencer", "stopped");
    }

    /// Rollup blocks have exact timestamps (parent + block time): wait for each block's time,
    /// and catch up without waiting after downtime.
    async fn run_rollup_sequencer(
        self: Arc<Self>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        let mut delay = Duration::ZERO;
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(delay) => {}
            }
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            let next = Duration::from_secs(self.head().0.timestamp + self.config.block_time);
            if next > now {
                delay = next - now;
                continue;
            }
            let chain = self.clone();
            delay = match tokio::task::spawn_blocking(move || chain.produce_block()).await {
                Ok(Ok(_)) => Duration::ZERO,
                Ok(Err(err)) => {
                    warn!(target: "sequencer", %err, "block production failed; retrying");
                    Duration::from_millis(500)
                }
                Err(err) => {
                    warn!(target: "sequencer", %err, "block production task panicked");
                    Duration::from_millis(500)
                }
            };
        }
        info!(target: "sequencer", "stopped");
    }
}

pub(super) fn log_block(block: &ExecutedBlock) {
    info!(
        target: "sequencer",
        number = block.block.header.number,
        hash = %block.hash,
        txs = block.block.body.transactions.len(),
        gas = block.block.header.gas_used,
        "sealed block"
    );
}

/// The timestamp of an off-rollup block after `parent`: now, and always after its parent.
pub(super) fn dev_timestamp(parent: &Header) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    now.max(parent.timestamp + 1)
}
