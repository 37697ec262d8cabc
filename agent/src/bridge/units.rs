//! ETH amounts (parsed from `1ether`, `0.5ether`, `100gwei`, wei) and the UTC times and decimal
//! wei strings the reports and messages show.

use alloy::primitives::{
    U256,
    utils::{format_ether, parse_units},
};

use crate::{AgentError, Result};

/// Parses an amount: `1ether`, `0.5 ether`, `1eth`, `100gwei`, `7wei`, or a plain integer of wei
/// (as cast reads it).
pub fn parse_amount(text: &str) -> Result<U256> {
    let bad = || AgentError::InvalidAmount(text.to_string());
    let lower = text.trim().to_ascii_lowercase();
    let (number, unit) = match lower.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (lower[..i].trim(), lower[i..].trim()),
        None => (lower.as_str(), "wei"),
    };
    let (unit, decimals) = match unit {
        "ether" | "eth" => ("ether", 18),
        "gwei" => ("gwei", 9),
        "wei" => ("wei", 0),
        _ => return Err(bad()),
    };
    // Digits and at most one point, with no more decimals than the unit has (no rounding).
    let fraction = number.split_once('.').map_or("", |(_, f)| f);
    if number.is_empty()
        || !number.chars().all(|c| c.is_ascii_digit() || c == '.')
        || number.matches('.').count() > 1
        || fraction.len() > decimals
        || (decimals == 0 && number.contains('.'))
    {
        return Err(bad());
    }
    let value = parse_units(number, unit).map_err(|_| bad())?;
    Ok(value.get_absolute())
}

/// `1.5` for 1.5 ETH: the amount in ether, trailing zeros cut.
pub fn eth(wei: U256) -> String {
    let text = format_ether(wei);
    match text.split_once('.') {
        Some((int, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                int.to_string()
            } else {
                format!("{int}.{frac}")
            }
        }
        None => text,
    }
}

/// A unix time as `12:04:31 UTC`, with the date in front when it is not `now`'s UTC day.
pub fn utc(time: u64, now: u64) -> String {
    let (days, secs) = (time / 86_400, time % 86_400);
    let clock = format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if days == now / 86_400 {
        return clock;
    }
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {clock}")
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Serializes a `U256` as a decimal string (JSON numbers lose precision past 2^53).
pub(crate) fn decimal<S: serde::Serializer>(value: &U256, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_in_ether_gwei_and_wei() {
        let ether = U256::from(10u64).pow(U256::from(18));
        assert_eq!(parse_amount("1ether").ok(), Some(ether));
        assert_eq!(parse_amount("0.5ether").ok(), Some(ether / U256::from(2)));
        assert_eq!(parse_amount(" 2 ETH ").ok(), Some(ether * U256::from(2)));
        assert_eq!(
            parse_amount("3gwei").ok(),
            Some(U256::from(3_000_000_000u64))
        );
        assert_eq!(parse_amount("42").ok(), Some(U256::from(42)));
        assert_eq!(parse_amount("42wei").ok(), Some(U256::from(42)));
        for bad in [
            "",
            "ether",
            "1 dollar",
            "-1ether",
            "0.5",
            "1.2.3ether",
            "0x10",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn eth_amounts_print_without_trailing_zeros() {
        let ether = U256::from(10u64).pow(U256::from(18));
        assert_eq!(eth(ether), "1");
        assert_eq!(eth(ether * U256::from(3) / U256::from(10)), "0.3");
        assert_eq!(eth(U256::from(1)), "0.000000000000000001");
        assert_eq!(eth(U256::ZERO), "0");
    }

    #[test]
    fn times_print_in_utc_with_the_date_on_another_day() {
        // 2026-11-26 12:04:31 UTC
        let t = 1_795_694_671;
        assert_eq!(utc(t, t - 100), "12:04:31 UTC");
        assert_eq!(utc(t, t - 86_400), "2026-11-26 12:04:31 UTC");
        assert_eq!(utc(0, 86_400 * 2), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400, 0), "2000-02-29 00:00:00 UTC");
    }
}
