//! The node's network identity: a secp256k1 key kept in a file as 64 hex digits (op-node's
//! `--p2p.priv.path` format), made on first start.

use std::{io::Write, path::Path};

use libp2p::identity::{Keypair, secp256k1};

use crate::{P2pError, Result};

/// Reads the identity key at `path`, or makes one there (owner-only permissions) if there is
/// none.
pub fn load_or_create(path: &Path) -> Result<Keypair> {
    let fail = |reason: String| P2pError::Key {
        path: path.display().to_string(),
        reason,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let text = text.trim();
            let mut bytes = hex::decode(text.strip_prefix("0x").unwrap_or(text))
                .map_err(|e| fail(format!("not hex: {e}")))?;
            let secret = secp256k1::SecretKey::try_from_bytes(&mut bytes)
                .map_err(|e| fail(format!("not a secp256k1 key: {e}")))?;
            Ok(secp256k1::Keypair::from(secret).into())
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let keypair = secp256k1::Keypair::generate();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
            }
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(|e| fail(e.to_string()))?;
            file.write_all(hex::encode(keypair.secret().to_bytes()).as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| fail(e.to_string()))?;
            Ok(keypair.into())
        }
        Err(err) => Err(fail(err.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_and_read_back_as_the_same_peer_id() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("p2p/key");
        let made = load_or_create(&path).expect("made");
        let read = load_or_create(&path).expect("read");
        assert_eq!(made.public().to_peer_id(), read.public().to_peer_id());
        assert!(made.public().to_peer_id().to_string().starts_with("16Uiu2"));
    }

    #[test]
    fn a_garbled_key_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("key");
        std::fs::write(&path, "not a key").expect("write");
        let err = load_or_create(&path).expect_err("refused");
        assert!(err.to_string().contains("not hex"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).expect("kept"), "not a key");
    }
}
