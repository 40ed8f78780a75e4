//! Typing of plain scalars the way Kubernetes reads YAML (go-yaml v2, YAML 1.1 rules):
//! `yes`/`on` are booleans and `0644` is octal, unlike YAML 1.2.

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

/// Whether a plain scalar is null (as [`resolve_plain`] types it).
pub(crate) fn is_null_plain(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

pub(crate) fn resolve_plain(text: &str) -> Resolved<'_> {
    if is_null_plain(text) {
        return Resolved::Null;
    }
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false)
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Resolved::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Resolved::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Resolved::Str(text);
    }
    if let Some(i) = parse_int(text) {
        return Resolved::Int(i);
    }
    if looks_like_float(text) {
        if let Ok(f) = text.replace('_', "").parse::<f64>() {
            return Resolved::Float(f);
        }
    }
    Resolved::Str(text)
}

fn parse_int(text: &str) -> Option<i64> {
    let (negative, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() {
        return None;
    }
    let cleaned;
    let body = if body.contains('_') {
        cleaned = body.replace('_', "");
        cleaned.as_str()
    } else {
        body
    };
    let (radix, digits) = if let Some(hex) = body.strip_prefix("0x") {
        (16, hex)
    } else if let Some(bin) = body.strip_prefix("0b") {
        (2, bin)
    } else if let Some(oct) = body.strip_prefix("0o") {
        (8, oct)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i64::from_str_radix(digits, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

fn looks_like_float(text: &str) -> bool {
    let body = text.trim_start_matches(['-', '+']);
    let mut seen_digit = false;
    for (i, c) in body.char_indices() {
        match c {
            '0'..='9' => seen_digit = true,
            '.' | '_' => {}
            'e' | 'E' => {
                let exp = body[i + 1..].trim_start_matches(['-', '+']);
                return seen_digit && !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit());
            }
            _ => return false,
        }
    }
    seen_digit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_typing() {
        assert_eq!(resolve_plain("yes"), Resolved::Bool(true));
        assert_eq!(resolve_plain("off"), Resolved::Bool(false));
        assert_eq!(resolve_plain("0644"), Resolved::Int(420));
        assert_eq!(resolve_plain("0x1F"), Resolved::Int(31));
        assert_eq!(resolve_plain("-12"), Resolved::Int(-12));
        assert_eq!(resolve_plain("1_000"), Resolved::Int(1000));
        assert_eq!(resolve_plain("2.0"), Resolved::Float(2.0));
        assert_eq!(resolve_plain("1e3"), Resolved::Float(1000.0));
        assert_eq!(resolve_plain("~"), Resolved::Null);
        assert_eq!(resolve_plain("3.11"), Resolved::Float(3.11));
        assert_eq!(resolve_plain("1.2.3"), Resolved::Str("1.2.3"));
        assert_eq!(resolve_plain("500m"), Resolved::Str("500m"));
        assert_eq!(resolve_plain("-"), Resolved::Str("-"));
        // go-yaml falls back to a float when an octal literal is invalid.
        assert_eq!(resolve_plain("09"), Resolved::Float(9.0));
    }
}
