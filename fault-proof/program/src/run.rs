//! One run: from the agreed output, derive and execute L2 blocks from L1 up to the claimed
//! block, and compare its output root with the claim.

use alloy_consensus::Header;
use alloy_primitives::B256;
use serde::{Deserialize, Serialize};
use sprout_protocol::{
    derive::{L1Provider, L2BlockInfo, Pipeline, Step, execute_derived, recover_transactions},
    l1_block::L1Addresses,
    output::{MESSAGE_PASSER, OUTPUT_VERSION_V0, output_root_v0},
    state_root::TrieState,
};

use crate::{
    ProgramError, Result,
    boot::{BootInfo, ProgramConfig},
    l1::PreimageL1,
    l2::{PreimageL2, first_transaction, read_header},
    oracle::{Oracle, Preimages},
};

/// The program's decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The claim is the output root of the claimed block: exit code 0.
    Valid,
    /// It is not: exit code 1.
    Invalid,
}

impl Verdict {
    /// The exit code of the program in the VM.
    pub fn exit_code(self) -> i32 {
        match self {
            Self::Valid => 0,
            Self::Invalid => 1,
        }
    }
}

/// What a run found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// The decision.
    pub verdict: Verdict,
    /// The boot data it was about.
    pub boot: BootInfo,
    /// The agreed L2 block.
    pub agreed_block: u64,
    /// The last block derived: the claimed block, or an earlier one if L1 up to the head holds
    /// no data for later blocks.
    pub derived_block: u64,
    /// That block's hash.
    pub derived_hash: B256,
    /// Its output root, which the claim is compared with.
    pub computed_output: B256,
}

/// Runs the program against `oracle`.
///
/// The claim is valid when it is the output root of the claimed block. As op-program does, a
/// claimed block that L1 up to the head does not reach is judged by the last block that can be
/// derived; a claim about the agreed block itself, by the agreed output. A claimed block
/// before the agreed one is an error: no game asks that.
pub fn run<O: Oracle>(preimages: &Preimages<O>) -> Result<Outcome> {
    let boot = BootInfo::read(preimages)?;
    let config = ProgramConfig::read(preimages, boot.config_hash, boot.chain_id)?;

    let (agreed_header, agreed_hash) = agreed_block(preimages, boot.agreed_output)?;
    let agreed_first = match agreed_header.number {
        0 => None,
        _ => first_transaction(preimages, agreed_hash, &agreed_header)?,
    };
    let agreed = L2BlockInfo::from_block(
        &agreed_header,
        agreed_hash,
        agreed_first.as_ref(),
        &config.rollup.genesis,
    )?;

    if boot.claimed_block < agreed.number {
        return Err(ProgramError::Boot(alloc::format!(
            "the claimed block {} is before the agreed block {}",
            boot.claimed_block,
            agreed.number
        )));
    }
    let mut l2 = PreimageL2::new(preimages, &agreed_header, agreed_hash);
    let mut head = (agreed_header, agreed_hash);
    if boot.claimed_block > agreed.number {
        let mut l1 = PreimageL1::new(
            preimages,
            boot.l1_head,
            L1Addresses::from_rollup_config(&config.rollup),
        )?;
        // A channel holding the next block's batch was opened at most channel_timeout L1
        // blocks before that batch's inclusion, which is no earlier than the agreed block's
        // origin: derivation reads L1 again from the block after the cursor, one block before
        // that bound.
        let cursor_number = agreed
            .origin
            .number
            .saturating_sub(config.rollup.channel_timeout + 1)
            .max(config.rollup.genesis.l1.number);
        let cursor = l1
            .header_by_number(cursor_number)?
            .ok_or_else(|| {
                ProgramError::Oracle(alloc::format!(
                    "L1 block {cursor_number} is after the L1 head"
                ))
            })?
            .block;
        let l1_limit = l1.head().number;
        let mut pipeline = Pipeline::new(
            config.rollup.clone(),
            agreed,
            cursor,
            agreed.origin.number,
            agreed.system,
        );
        while pipeline.safe().number < boot.claimed_block {
            let attributes = match pipeline.step(&mut l1, l1_limit) {
                Ok(Step::Attributes(attributes)) => attributes,
                Ok(Step::Advanced(_)) => continue,
                // L1 up to the head holds nothing more.
                Ok(Step::Idle) => break,
                Err(err) => return Err(ProgramError::Derive(err)),
            };
            let (parent, _) = &head;
            let (block, _deposit_only) = execute_derived(
                &config.chain,
                parent,
                &attributes,
                recover_transactions(&attributes.transactions),
                TrieState::new(parent.state_root, &l2),
                &l2,
            )?;
            l2.push(&block);
            pipeline.on_safe(attributes.block_info(block.hash));
            head = (block.block.header, block.hash);
        }
    }

    let (header, hash) = head;
    let computed_output = if header.number == agreed.number {
        boot.agreed_output
    } else {
        output_root(&header, hash, &l2)?
    };
    let verdict = if computed_output == boot.claimed_output {
        Verdict::Valid
    } else {
        Verdict::Invalid
    };
    Ok(Outcome {
        verdict,
        boot,
        agreed_block: agreed.number,
        derived_block: header.number,
        derived_hash: hash,
        computed_output,
    })
}

/// The agreed L2 block, from the agreed output root's 128-byte preimage.
fn agreed_block<O: Oracle>(preimages: &Preimages<O>, output: B256) -> Result<(Header, B256)> {
    let preimage = preimages.keccak(output)?;
    if preimage.len() != 128 || preimage[..32] != OUTPUT_VERSION_V0[..] {
        return Err(ProgramError::Malformed {
            what: "agreed output",
            reason: alloc::format!("{} bytes, not a version 0 output", preimage.len()),
        });
    }
    let state_root = B256::from_slice(&preimage[32..64]);
    let block_hash = B256::from_slice(&preimage[96..128]);
    let header = read_header(preimages, block_hash)?;
    if header.state_root != state_root {
        return Err(ProgramError::Malformed {
            what: "agreed output",
            reason: alloc::format!(
                "its state root {state_root} is not block {block_hash}'s {}",
                header.state_root
            ),
        });
    }
    Ok((header, block_hash))
}

/// The v0 output root of a block whose state `l2` holds.
fn output_root<O: Oracle>(header: &Header, hash: B256, l2: &PreimageL2<'_, O>) -> Result<B256> {
    let passer = TrieState::new(header.state_root, l2).storage_root(MESSAGE_PASSER)?;
    Ok(output_root_v0(header.state_root, passer, hash))
}
