//! Durations as pipelines write them: `90`, `"90s"`, `"4m"`, `"1h30m"`, protojson `"3600s"`.

/// Seconds in a duration; a bare number is seconds. `None` for anything else (templated,
/// negative, unknown unit).
pub fn parse_seconds(value: &str) -> Option<u64> {
    let v = value.trim().trim_matches(['"', '\'']);
    if v.is_empty() {
        return None;
    }
    if let Ok(n) = v.parse::<f64>() {
        return (n >= 0.0 && n.is_finite()).then_some(n.round() as u64);
    }
    let mut total = 0f64;
    let mut number = String::new();
    let mut chars = v.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let mut unit = c.to_string();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let n: f64 = number.parse().ok()?;
        number.clear();
        let factor = match unit.as_str() {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hrs" => 3600.0,
            _ => return None,
        };
        total += n * factor;
        any = true;
    }
    if !number.is_empty() || !any {
        return None;
    }
    Some(total.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::parse_seconds;

    #[test]
    fn durations() {
        assert_eq!(parse_seconds("90"), Some(90));
        assert_eq!(parse_seconds("\"90s\""), Some(90));
        assert_eq!(parse_seconds("4m"), Some(240));
        assert_eq!(parse_seconds("1h30m"), Some(5400));
        assert_eq!(parse_seconds("3600s"), Some(3600));
        assert_eq!(parse_seconds("1.5m"), Some(90));
        assert_eq!(parse_seconds("{{inputs.parameters.t}}"), None);
        assert_eq!(parse_seconds("10 parsecs"), None);
        assert_eq!(parse_seconds("-5"), None);
    }
}
