//! The standard contracts OP's genesis carries as "preinstalls", at the addresses tools assume
//! (viem's OP Stack actions call Multicall3; forge scripts deploy through the deterministic
//! deployment proxy; smart accounts need the ERC-4337 EntryPoint).
//!
//! The runtime code is the canonical one, committed in `contracts/preinstalls/*.hex` (where each
//! file came from, and the code hash it must have, is in that folder's README). Permit2 caches
//! its chain id and EIP-712 domain separator as immutables; as OP's genesis does, both are
//! written for the chain it is installed on.

use alloy::primitives::{Address, B256, Bytes, U256, address, b256, keccak256};
use alloy::sol_types::SolValue;

use crate::{ContractsError, Result};

/// Multicall3.
pub const MULTICALL3: Address = address!("cA11bde05977b3631167028862bE2a173976CA11");
/// Arachnid's deterministic deployment proxy (`CREATE2` factory used by forge scripts).
pub const DETERMINISTIC_DEPLOYMENT_PROXY: Address =
    address!("4e59b44847b379578588920cA78FbF26c0B4956C");
/// Create2Deployer.
pub const CREATE2_DEPLOYER: Address = address!("13b0D85CcB8bf860b6b79AF3029fCA081AE9beF2");
/// Uniswap's Permit2.
pub const PERMIT2: Address = address!("000000000022D473030F116dDEE9F6B43aC78BA3");
/// ERC-4337 EntryPoint v0.7.
pub const ENTRY_POINT_V07: Address = address!("0000000071727De22E5E9d8BAf0edAc6f37da032");
/// The SenderCreator EntryPoint v0.7 calls to deploy accounts (an immutable of its code).
pub const SENDER_CREATOR_V07: Address = address!("EFC2c1444eBCC4Db75e7613d20C6a62fF67A167C");

/// Byte range of Permit2's cached chain id in its runtime code.
const PERMIT2_CHAIN_ID_AT: usize = 6945;
/// Byte range of Permit2's cached domain separator in its runtime code.
const PERMIT2_DOMAIN_SEPARATOR_AT: usize = 6983;

/// One preinstall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preinstall {
    /// Its usual name.
    pub name: &'static str,
    /// Its canonical address.
    pub address: Address,
    /// Its runtime code, for the chain it is installed on.
    pub code: Bytes,
    /// The canonical code hash of the committed code (for Permit2, of Ethereum mainnet's code,
    /// before the chain id is written in).
    pub canonical_hash: B256,
}

/// `(name, address, committed hex, canonical code hash)` of every preinstall.
const TABLE: [(&str, Address, &str, B256); 6] = [
    (
        "Multicall3",
        MULTICALL3,
        include_str!("../../preinstalls/Multicall3.hex"),
        b256!("d5c15df687b16f2ff992fc8d767b4216323184a2bbc6ee2f9c398c318e770891"),
    ),
    (
        "DeterministicDeploymentProxy",
        DETERMINISTIC_DEPLOYMENT_PROXY,
        include_str!("../../preinstalls/DeterministicDeploymentProxy.hex"),
        b256!("2fa86add0aed31f33a762c9d88e807c475bd51d0f52bd0955754b2608f7e4989"),
    ),
    (
        "Create2Deployer",
        CREATE2_DEPLOYER,
        include_str!("../../preinstalls/Create2Deployer.hex"),
        b256!("b0550b5b431e30d38000efb7107aaa0ade03d48a7198a140edda9d27134468b2"),
    ),
    (
        "Permit2",
        PERMIT2,
        include_str!("../../preinstalls/Permit2.hex"),
        b256!("c67d1657868aa5146eaf24fb879fb1fdec3d2d493b3683a61c9c2f4fb2851131"),
    ),
    (
        "EntryPoint v0.7",
        ENTRY_POINT_V07,
        include_str!("../../preinstalls/EntryPoint_v070.hex"),
        b256!("8db5ff695839d655407cc8490bb7a5d82337a86a6b39c3f0258aa6c3b582fc58"),
    ),
    (
        "SenderCreator v0.7",
        SENDER_CREATOR_V07,
        include_str!("../../preinstalls/SenderCreator_v070.hex"),
        b256!("283c9d14378f5f4c4e24045b87d621d48443fa5b4af7dd7180a599b3756a7689"),
    ),
];

/// Every preinstall, with its code for chain `chain_id`. Each is installed with nonce 1, as OP's
/// genesis does.
pub fn preinstalls(chain_id: u64) -> Result<Vec<Preinstall>> {
    TABLE
        .iter()
        .map(|&(name, address, hex, canonical_hash)| {
            let mut code = alloy::hex::decode(hex.trim())
                .map_err(|e| ContractsError::Preinstall(format!("{name}: bad hex: {e}")))?;
            if keccak256(&code) != canonical_hash {
                return Err(ContractsError::Preinstall(format!(
                    "{name}: the committed code does not hash to {canonical_hash}"
                )));
            }
            if address == PERMIT2 {
                write_word(&mut code, PERMIT2_CHAIN_ID_AT, U256::from(chain_id).into())?;
                write_word(
                    &mut code,
                    PERMIT2_DOMAIN_SEPARATOR_AT,
                    permit2_domain_separator(chain_id),
                )?;
            }
            Ok(Preinstall {
                name,
                address,
                code: code.into(),
                canonical_hash,
            })
        })
        .collect()
}

/// Permit2's EIP-712 domain separator on chain `chain_id`.
pub fn permit2_domain_separator(chain_id: u64) -> B256 {
    keccak256(
        (
            keccak256("EIP712Domain(string name,uint256 chainId,address verifyingContract)"),
            keccak256("Permit2"),
            U256::from(chain_id),
            PERMIT2,
        )
            .abi_encode(),
    )
}

/// Overwrites the `PUSH32` immediate at `at` (the byte after the `0x7f` opcode).
fn write_word(code: &mut [u8], at: usize, word: B256) -> Result<()> {
    if code.get(at.wrapping_sub(1)) != Some(&0x7f) || code.len() < at + 32 {
        return Err(ContractsError::Preinstall(format!(
            "Permit2: no PUSH32 immediate at byte {at}"
        )));
    }
    code[at..at + 32].copy_from_slice(word.as_slice());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_committed_code_has_its_canonical_hash_and_length() {
        let all = preinstalls(1).expect("committed code is canonical");
        let lengths: Vec<(&str, usize)> = all.iter().map(|p| (p.name, p.code.len())).collect();
        assert_eq!(
            lengths,
            [
                ("Multicall3", 3808),
                ("DeterministicDeploymentProxy", 69),
                ("Create2Deployer", 1584),
                ("Permit2", 9152),
                ("EntryPoint v0.7", 16035),
                ("SenderCreator v0.7", 451),
            ]
        );
        // On chain 1 every code is Ethereum mainnet's, Permit2 included.
        for p in &all {
            assert_eq!(keccak256(&p.code), p.canonical_hash, "{}", p.name);
        }
    }

    #[test]
    fn permit2_carries_the_chain_id_and_domain_separator_of_its_chain() {
        // Mainnet's separator, as the template holds it.
        assert_eq!(
            permit2_domain_separator(1),
            b256!("866a5aba21966af95d6c7ab78eb2b2fc913915c28be3b9aa07cc04ff903e3f28")
        );
        let mainnet = preinstalls(1).expect("ok");
        let l2 = preinstalls(901).expect("ok");
        let (a, b) = (&mainnet[3].code, &l2[3].code);
        assert_eq!(a.len(), b.len());
        let differing: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        assert!(
            differing.iter().all(
                |&i| (PERMIT2_CHAIN_ID_AT..PERMIT2_CHAIN_ID_AT + 32).contains(&i)
                    || (PERMIT2_DOMAIN_SEPARATOR_AT..PERMIT2_DOMAIN_SEPARATOR_AT + 32).contains(&i)
            ),
            "only the two immutables change: {differing:?}"
        );
        assert_eq!(
            &b[PERMIT2_CHAIN_ID_AT..PERMIT2_CHAIN_ID_AT + 32],
            B256::from(U256::from(901)).as_slice()
        );
        assert_eq!(
            &b[PERMIT2_DOMAIN_SEPARATOR_AT..PERMIT2_DOMAIN_SEPARATOR_AT + 32],
            permit2_domain_separator(901).as_slice()
        );
        // Everything else is the same for every chain.
        for (x, y) in mainnet
            .iter()
            .zip(&l2)
            .filter(|(p, _)| p.address != PERMIT2)
        {
            assert_eq!(x.code, y.code, "{}", x.name);
        }
    }

    #[test]
    fn entry_point_names_its_sender_creator() {
        let all = preinstalls(901).expect("ok");
        let entry_point = &all[4].code;
        let needle = SENDER_CREATOR_V07.as_slice();
        let hits = entry_point
            .windows(20)
            .filter(|window| *window == needle)
            .count();
        assert_eq!(hits, 2, "the immutable appears at its two uses");
    }
}
