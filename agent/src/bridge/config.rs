//! Where the chain is and who signs: the Portal and L2OutputOracle addresses (from a `sprout up`
//! datadir, a `rollup.json`, or flags), the RPC endpoints and the key.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use alloy::primitives::{Address, B256};
use alloy_signer_local::PrivateKeySigner;
use serde::Deserialize;

use crate::{AgentError, Result};

/// The L1 RPC of a `sprout up` devnet.
pub const DEVNET_L1_RPC_URL: &str = "http://127.0.0.1:8546";
/// The L2 RPC (the sequencer) of a `sprout up` devnet.
pub const DEVNET_L2_RPC_URL: &str = "http://127.0.0.1:8545";

/// The chain's bridge contracts on L1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainAddresses {
    /// The Portal (OptimismPortal 2.x ABI): deposits in, withdrawals out.
    pub portal: Address,
    /// The L2OutputOracle; `None`: read from `Portal.l2Oracle()`.
    pub l2_output_oracle: Option<Address>,
    /// The L1 chain id the rollup config names, checked against the L1 RPC.
    pub l1_chain_id: Option<u64>,
    /// The L2 chain id the rollup config names, checked against the L2 RPC.
    pub l2_chain_id: Option<u64>,
}

/// The fields of OP's `rollup.json` that the bridge reads (the rest is ignored).
#[derive(Debug, Deserialize)]
struct RollupFile {
    deposit_contract_address: Address,
    #[serde(default)]
    l2_output_oracle_address: Option<Address>,
    #[serde(default)]
    l1_chain_id: Option<u64>,
    #[serde(default)]
    l2_chain_id: Option<u64>,
}

/// `devnet.json`, which `sprout up` writes last once a devnet is set up.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DevnetFile {
    contracts: DevnetContracts,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DevnetContracts {
    portal: Address,
    l2_output_oracle: Address,
}

impl ChainAddresses {
    /// Finds the addresses: `portal` (and `l2_output_oracle`) flags first, else the rollup config
    /// at `rollup`, else the devnet `datadir` (`rollup.json`, `devnet.json`). The flag oracle
    /// overrides the file's. Also returns whether they came from a `sprout up` datadir (whose
    /// dev accounts may then sign by default).
    pub fn resolve(
        datadir: &Path,
        rollup: Option<&Path>,
        portal: Option<Address>,
        l2_output_oracle: Option<Address>,
    ) -> Result<(Self, bool)> {
        if let Some(portal) = portal {
            let addresses = Self {
                portal,
                l2_output_oracle,
                l1_chain_id: None,
                l2_chain_id: None,
            };
            return Ok((addresses, false));
        }
        if let Some(path) = rollup {
            let mut addresses = Self::from_rollup_file(path)?;
            addresses.l2_output_oracle = l2_output_oracle.or(addresses.l2_output_oracle);
            return Ok((addresses, false));
        }
        let rollup_path = datadir.join("rollup.json");
        let devnet_path = datadir.join("devnet.json");
        let devnet = devnet_path.exists();
        let mut addresses = if rollup_path.exists() {
            Self::from_rollup_file(&rollup_path)?
        } else if devnet {
            let file: DevnetFile = read_json(&devnet_path, "devnet state")?;
            Self {
                portal: file.contracts.portal,
                l2_output_oracle: Some(file.contracts.l2_output_oracle),
                l1_chain_id: None,
                l2_chain_id: None,
            }
        } else {
            return Err(AgentError::Config(format!(
                "no chain found in {}: run `sprout up` (it writes rollup.json there), or pass --datadir DIR, --rollup rollup.json or --portal ADDRESS",
                datadir.display()
            )));
        };
        addresses.l2_output_oracle = l2_output_oracle.or(addresses.l2_output_oracle);
        Ok((addresses, devnet))
    }

    fn from_rollup_file(path: &Path) -> Result<Self> {
        let file: RollupFile = read_json(path, "rollup config")?;
        Ok(Self {
            portal: file.deposit_contract_address,
            l2_output_oracle: file.l2_output_oracle_address.filter(|a| !a.is_zero()),
            l1_chain_id: file.l1_chain_id,
            l2_chain_id: file.l2_chain_id,
        })
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T> {
    let raw = std::fs::read(path)
        .map_err(|e| AgentError::Config(format!("cannot read {what} {}: {e}", path.display())))?;
    serde_json::from_slice(&raw)
        .map_err(|e| AgentError::Config(format!("{what} {} is invalid: {e}", path.display())))
}

/// Where the signing key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `--private-key` or `SPROUT_PRIVATE_KEY`.
    Given,
    /// `--private-key-file`.
    File(PathBuf),
    /// Dev account 0 of the devnet mnemonic (a `sprout up` datadir and no key given).
    DevAccount0,
}

/// Parses a hex private key (with or without `0x`).
pub fn parse_private_key(text: &str) -> Result<PrivateKeySigner> {
    let bytes: B256 = text.trim().parse().map_err(|_| {
        AgentError::Config(
            "the private key is not 32 bytes of hex (0x followed by 64 hex digits)".into(),
        )
    })?;
    PrivateKeySigner::from_bytes(&bytes).map_err(|e| {
        AgentError::Config(format!("the private key is not a valid secp256k1 key: {e}"))
    })
}

/// Dev account 0 of the devnet mnemonic (`0xf39F…2266`).
pub fn dev_account_0() -> Result<PrivateKeySigner> {
    sprout_devnet::dev_signers(1)
        .map_err(|e| AgentError::Config(e.to_string()))?
        .pop()
        .ok_or_else(|| AgentError::Config("the devnet mnemonic gave no key".into()))
}

/// The signer: `private_key`, else the key in `key_file`, else (on a devnet datadir) dev
/// account 0, else none.
pub fn resolve_signer(
    private_key: Option<&str>,
    key_file: Option<&Path>,
    devnet: bool,
) -> Result<Option<(PrivateKeySigner, KeySource)>> {
    if let Some(key) = private_key {
        return Ok(Some((parse_private_key(key)?, KeySource::Given)));
    }
    if let Some(path) = key_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AgentError::Config(format!("cannot read the key file {}: {e}", path.display()))
        })?;
        let signer = parse_private_key(&text)
            .map_err(|e| AgentError::Config(format!("key file {}: {e}", path.display())))?;
        return Ok(Some((signer, KeySource::File(path.to_path_buf()))));
    }
    if devnet {
        return Ok(Some((dev_account_0()?, KeySource::DevAccount0)));
    }
    Ok(None)
}

/// What [`Bridge::connect`](super::Bridge::connect) needs.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// L1 JSON-RPC (HTTP).
    pub l1_rpc_url: String,
    /// L2 JSON-RPC (HTTP).
    pub l2_rpc_url: String,
    /// The bridge contracts.
    pub addresses: ChainAddresses,
    /// Who signs; `None` for read-only use (`status`).
    pub signer: Option<PrivateKeySigner>,
    /// Longest wait for a receipt or for a deposit to reach L2.
    pub timeout: Duration,
}

impl BridgeConfig {
    /// A `sprout up` devnet on its default ports.
    pub fn devnet(addresses: ChainAddresses, signer: Option<PrivateKeySigner>) -> Self {
        Self {
            l1_rpc_url: DEVNET_L1_RPC_URL.into(),
            l2_rpc_url: DEVNET_L2_RPC_URL.into(),
            addresses,
            signer,
            timeout: Duration::from_secs(300),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_come_from_flags_then_rollup_file_then_datadir() {
        let dir = tempfile::tempdir().expect("tmp");
        let portal: Address = "0x00000000000000000000000000000000000000a1"
            .parse()
            .expect("a");
        let oracle: Address = "0x00000000000000000000000000000000000000b2"
            .parse()
            .expect("b");
        let missing = ChainAddresses::resolve(dir.path(), None, None, None);
        assert!(
            matches!(&missing, Err(AgentError::Config(m)) if m.contains("sprout up")),
            "{missing:?}"
        );
        std::fs::write(
            dir.path().join("rollup.json"),
            format!(
                r#"{{"deposit_contract_address":"{portal}","l2_output_oracle_address":"{oracle}","l1_chain_id":31337,"l2_chain_id":901,"block_time":1}}"#
            ),
        )
        .expect("write");
        let (found, devnet) =
            ChainAddresses::resolve(dir.path(), None, None, None).expect("rollup");
        assert_eq!(found.portal, portal);
        assert_eq!(found.l2_output_oracle, Some(oracle));
        assert_eq!(found.l1_chain_id, Some(31337));
        assert!(!devnet, "no devnet.json: not a devnet datadir");
        std::fs::write(
            dir.path().join("devnet.json"),
            format!(r#"{{"contracts":{{"portal":"{portal}","l2OutputOracle":"{oracle}"}}}}"#),
        )
        .expect("write");
        assert!(
            ChainAddresses::resolve(dir.path(), None, None, None)
                .expect("devnet")
                .1
        );
        let (flags, devnet) =
            ChainAddresses::resolve(dir.path(), None, Some(oracle), None).expect("flags");
        assert_eq!(
            (flags.portal, flags.l2_output_oracle, devnet),
            (oracle, None, false)
        );
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{}").expect("write");
        assert!(ChainAddresses::resolve(dir.path(), Some(&bad), None, None).is_err());
    }

    #[test]
    fn keys_come_from_the_flag_the_file_or_the_devnet() {
        let key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        let dev = dev_account_0().expect("dev key");
        let (given, source) = resolve_signer(Some(key), None, true)
            .expect("ok")
            .expect("key");
        assert_eq!((given.address(), source), (dev.address(), KeySource::Given));
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("key");
        std::fs::write(&file, format!("{key}\n")).expect("write");
        let (from_file, _) = resolve_signer(None, Some(&file), false)
            .expect("ok")
            .expect("key");
        assert_eq!(from_file.address(), dev.address());
        let (_, source) = resolve_signer(None, None, true).expect("ok").expect("key");
        assert_eq!(source, KeySource::DevAccount0);
        assert!(resolve_signer(None, None, false).expect("ok").is_none());
        assert!(resolve_signer(Some("0x1234"), None, false).is_err());
    }
}
