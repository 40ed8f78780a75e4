//! Kubernetes resource quantities (`64Gi`, `500m`, `1.5`, `129e6`) as numbers, so that a
//! policy can compare them (`memory_bytes`, `cpu_millicores` in the views).

/// The value of a quantity in base units (bytes, cores, devices). `None` for anything that
/// is not a quantity (templated, empty, an unknown suffix).
pub fn parse(text: &str) -> Option<f64> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(t.len());
    let (number, suffix) = t.split_at(split);
    if number.is_empty() || number == "+" || number == "-" {
        return None;
    }
    let n: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        exp if exp.starts_with(['e', 'E']) => {
            let e: i32 = exp[1..].parse().ok()?;
            10f64.powi(e)
        }
        _ => return None,
    };
    let value = n * factor;
    value.is_finite().then_some(value)
}

/// A number for the JSON view: an integer when it is one (and fits), else a float.
pub fn to_json(value: f64) -> serde_json::Value {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        serde_json::Value::from(value as i64)
    } else {
        serde_json::Number::from_f64(value)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn quantities() {
        assert_eq!(parse("64Gi"), Some(68_719_476_736.0));
        assert_eq!(parse("8G"), Some(8e9));
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse("1.5"), Some(1.5));
        assert_eq!(parse("129e6"), Some(129e6));
        assert_eq!(parse("1Gb"), None);
        assert_eq!(parse("{{inputs.parameters.mem}}"), None);
        assert_eq!(parse(""), None);
    }
}
