//! Metric names as the node writes them (`codex_repostore_bytes_used`)
//! and as the team's dashboards write them (`codexRepostoreBytesUsed`):
//! `compare` matches either, `export --names dashboard` writes the latter.

/// `codexRepostoreBytesUsed` -> `codex_repostore_bytes_used`; a snake-case
/// name is returned as it is.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for (i, ch) in name.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 && !out.ends_with('_') {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// `codex_repostore_bytes_used` -> `codexRepostoreBytesUsed`.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for ch in name.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.push(ch.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ways() {
        for (snake, camel) in [
            ("codex_repostore_bytes_used", "codexRepostoreBytesUsed"),
            (
                "codex_purchases_started_total",
                "codexPurchasesStartedTotal",
            ),
            ("codexsim_node_up", "codexsimNodeUp"),
        ] {
            assert_eq!(camel_case(snake), camel);
            assert_eq!(snake_case(camel), snake);
            assert_eq!(snake_case(snake), snake);
        }
    }
}
