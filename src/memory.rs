//! Memory: how much the machine lets a run use, and byte counts in words.
//!
//! A scenario whose data or network would not fit is refused before anything large is allocated
//! (`scenario::validate_with_data`, and `data::load` for the data itself), with the estimate and the
//! limit in the message. The limit is, in this order:
//!
//! 1. the environment variable [`LIMIT_VAR`] (`NEURAGENT_MEMORY_LIMIT`): a number of bytes, or a
//!    number with `K`, `M`, `G` or `T` (powers of 1024), e.g. `4G`; `none` turns the check off;
//! 2. otherwise, on Linux, the memory available now: `MemAvailable` from `/proc/meminfo`, or less if
//!    the process's cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes`) leaves less;
//! 3. otherwise no limit (other systems), and only sizes that cannot be addressed are refused.

use std::fmt;

/// Environment variable that sets the memory limit (see the module docs).
pub const LIMIT_VAR: &str = "NEURAGENT_MEMORY_LIMIT";

/// How much memory a run may use, and where that figure comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Bytes.
    pub bytes: u64,
    /// Where the figure comes from.
    pub source: LimitSource,
}

/// Where a [`Limit`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitSource {
    /// The environment variable [`LIMIT_VAR`].
    Environment,
    /// `MemAvailable` in `/proc/meminfo`.
    Available,
    /// The cgroup's limit minus its usage.
    Cgroup,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match self.source {
            LimitSource::Environment => format!("set by {LIMIT_VAR}"),
            LimitSource::Available => {
                format!("available now, MemAvailable in /proc/meminfo; {LIMIT_VAR} overrides it")
            }
            LimitSource::Cgroup => {
                format!("left in this process's cgroup; {LIMIT_VAR} overrides it")
            }
        };
        write!(f, "{} ({source})", Bytes(self.bytes))
    }
}

/// The limit that applies to this process: `Ok(None)` when there is none, `Err` when
/// [`LIMIT_VAR`] is set to something that is not a size.
pub fn limit() -> Result<Option<Limit>, String> {
    if let Ok(value) = std::env::var(LIMIT_VAR) {
        return match parse_size(&value) {
            Some(bytes) => Ok(bytes.map(|bytes| Limit {
                bytes,
                source: LimitSource::Environment,
            })),
            None => Err(format!(
                "{LIMIT_VAR}={value:?} is not a size; expected a number of bytes, a number with \
                 K, M, G or T (powers of 1024) such as 4G, or none"
            )),
        };
    }
    let available = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| mem_available(&text))
        .map(|bytes| Limit {
            bytes,
            source: LimitSource::Available,
        });
    let cgroup = cgroup_room().map(|bytes| Limit {
        bytes,
        source: LimitSource::Cgroup,
    });
    Ok(match (available, cgroup) {
        (Some(a), Some(c)) => Some(if c.bytes < a.bytes { c } else { a }),
        (a, c) => a.or(c),
    })
}

/// `Some(Some(bytes))` for a size, `Some(None)` for `none`, `None` for anything else.
pub fn parse_size(text: &str) -> Option<Option<u64>> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("none") {
        return Some(None);
    }
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = text[digits.len()..].to_ascii_uppercase();
    let shift = match suffix.as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return None,
    };
    let number: u64 = digits.trim().parse().ok()?;
    number.checked_mul(1 << shift).map(Some)
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// What this process's cgroup still allows, when it sets a limit.
fn cgroup_room() -> Option<u64> {
    let read =
        |path: &str| -> Option<u64> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
    // A cgroup v1 without a limit reports a number near 2^63.
    const UNLIMITED: u64 = 1 << 62;
    let (max, current) = match read("/sys/fs/cgroup/memory.max") {
        Some(max) => (max, read("/sys/fs/cgroup/memory.current")?),
        None => (
            read("/sys/fs/cgroup/memory/memory.limit_in_bytes")?,
            read("/sys/fs/cgroup/memory/memory.usage_in_bytes")?,
        ),
    };
    (max < UNLIMITED).then(|| max.saturating_sub(current))
}

/// A byte count written for people: `512 B`, `3.4 MB`, `1.2 GB`, `86 TB` (powers of 1000, as disk
/// and memory sizes are usually quoted, with the exact count when it is small).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bytes(pub u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
        if self.0 < 1000 {
            return write!(f, "{} B", self.0);
        }
        let mut value = self.0 as f64 / 1000.0;
        let mut unit = 0;
        while value >= 1000.0 && unit + 1 < UNITS.len() {
            value /= 1000.0;
            unit += 1;
        }
        if value < 10.0 {
            write!(f, "{value:.1} {}", UNITS[unit])
        } else {
            write!(f, "{value:.0} {}", UNITS[unit])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("4G"), Some(Some(4 << 30)));
        assert_eq!(parse_size(" 512m "), Some(Some(512 << 20)));
        assert_eq!(parse_size("1000"), Some(Some(1000)));
        assert_eq!(parse_size("2TiB"), Some(Some(2 << 40)));
        assert_eq!(parse_size("none"), Some(None));
        assert_eq!(parse_size("4X"), None);
        assert_eq!(parse_size("-1G"), None);
        assert_eq!(parse_size("1.5G"), None);
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_size("99999999999T"), None);
    }

    #[test]
    fn meminfo_gives_available_bytes() {
        let text = "MemTotal:       24684096 kB\nMemFree: 1 kB\nMemAvailable:   24059024 kB\n";
        assert_eq!(mem_available(text), Some(24_059_024 * 1024));
        assert_eq!(mem_available("MemTotal: 3 kB\n"), None);
    }

    #[test]
    fn bytes_read_as_people_write_them() {
        assert_eq!(Bytes(512).to_string(), "512 B");
        assert_eq!(Bytes(3_400_000).to_string(), "3.4 MB");
        assert_eq!(Bytes(36_000_000_000).to_string(), "36 GB");
        assert_eq!(Bytes(u64::MAX).to_string(), "18 EB");
    }

    #[test]
    fn this_machine_has_a_limit_or_none() {
        // Whatever the machine, the answer is a size or an explained error, never a panic.
        match limit() {
            Ok(Some(l)) => assert!(l.bytes > 0, "{l}"),
            Ok(None) => {}
            Err(e) => assert!(e.contains(LIMIT_VAR), "{e}"),
        }
    }
}
