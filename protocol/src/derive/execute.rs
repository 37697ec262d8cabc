//! Executing derived attributes: the one code path the node's derivation and the fault-proof
//! program both build safe blocks with.

use alloc::{format, vec::Vec};
use alloy_consensus::Header;

use super::{PayloadAttributes, rollup_block_inputs, rollup_fees};
use crate::{
    ChainConfig, ExecutedBlock, ProtocolError, RecoveredTx, Result, SproutTx, StateReader,
    executor::ApplyError, trie::TrieNodeProvider,
};

/// The block `attributes` describe, executed on `parent` (whose state `reader` reads and whose
/// trie `trie` holds): the deposits, then the batch's transactions. If one of those cannot be
/// included (it does not decode, recover or apply), the block is deposit-only instead, as
/// Holocene rules; the second value says so.
///
/// `transactions` are the batch's transactions already recovered (the node recovers them in
/// parallel), or `None` if one of them does not decode or recover; see
/// [`recover_transactions`].
pub fn execute_derived<R: StateReader + Clone, P: TrieNodeProvider + ?Sized>(
    chain: &ChainConfig,
    parent: &Header,
    attributes: &PayloadAttributes,
    transactions: Option<Vec<RecoveredTx>>,
    reader: R,
    trie: &P,
) -> Result<(ExecutedBlock, bool)> {
    if let Some(transactions) = transactions
        && let Some(block) = execute(
            chain,
            parent,
            attributes,
            transactions,
            reader.clone(),
            trie,
        )?
    {
        return Ok((block, false));
    }
    let deposit_only = execute(chain, parent, attributes, Vec::new(), reader, trie)?
        .ok_or_else(|| ProtocolError::InvalidBlock("a deposit-only block failed".into()))?;
    Ok((deposit_only, true))
}

/// Decodes and recovers a batch's transactions in order; `None` if one does not.
pub fn recover_transactions(raw: &[alloy_primitives::Bytes]) -> Option<Vec<RecoveredTx>> {
    raw.iter().map(|tx| RecoveredTx::decode(tx).ok()).collect()
}

/// `None` if a batch transaction cannot be included.
fn execute<R: StateReader, P: TrieNodeProvider + ?Sized>(
    chain: &ChainConfig,
    parent: &Header,
    attributes: &PayloadAttributes,
    transactions: Vec<RecoveredTx>,
    reader: R,
    trie: &P,
) -> Result<Option<ExecutedBlock>> {
    let inputs = rollup_block_inputs(
        chain,
        parent,
        attributes.timestamp,
        &attributes.origin,
        attributes.gas_limit,
    );
    let mut builder = chain
        .executor_at(attributes.timestamp)
        .builder(parent, inputs, reader)?;
    builder.set_rollup_fees(rollup_fees(attributes.l1_info));
    for deposit in &attributes.deposits {
        let tx = SproutTx::Deposit(deposit.clone()).recover()?;
        if let Err(ApplyError::Invalid(err) | ApplyError::Fatal(err)) = builder.apply(tx) {
            return Err(ProtocolError::InvalidBlock(format!(
                "a deposit failed to apply: {err}"
            )));
        }
    }
    for tx in transactions {
        match builder.apply(tx) {
            Ok(()) => {}
            Err(ApplyError::Invalid(_)) => return Ok(None),
            Err(ApplyError::Fatal(err)) => return Err(err),
        }
    }
    Ok(Some(builder.finish(parent.state_root, trie)?))
}
