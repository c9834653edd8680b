//! Kubernetes quantities (`250m`, `1`, `1G`, `1Gi`, `1e3`, `+2E`): one grammar and one reading
//! for the flags, the Compose settings, the rules that compare them and the output check.
//!
//! Before this type there were four parsers that disagreed: `--default-memory-limit 1G` passed
//! the flag's check and was then read as 0 by the rule that compared it, and
//! `--pvc-request-size` took `1e3` where `--default-memory-limit` refused it.

use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A quantity as written (printed back unchanged) with its value (compared by value, so
/// `1Gi` > `1G` > `512Mi`).
#[derive(Clone, Debug)]
pub struct Quantity {
    text: String,
    value: f64,
}

impl Quantity {
    /// Any quantity the API server accepts: an optionally signed decimal number, then a binary
    /// (`Ki`…`Ei`), decimal (`n u m k M G T P E`) or exponent (`e3`, `E-2`) suffix.
    pub fn parse(s: &str) -> Result<Quantity, String> {
        value(s)
            .map(|value| Quantity {
                text: s.to_string(),
                value,
            })
            .ok_or_else(|| {
                format!("`{s}` is not a Kubernetes quantity (e.g. 250m, 1, 1G, 256Mi, 1e3)")
            })
    }

    /// A size or an amount of a resource: a quantity that is not negative. This is what
    /// every quantity flag accepts (its clap value parser).
    pub fn non_negative(s: &str) -> Result<Quantity, String> {
        let q = Quantity::parse(s)?;
        if q.value < 0.0 {
            return Err(format!("`{s}` is negative"));
        }
        Ok(q)
    }

    /// The value in base units (bytes, cores).
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The quantity for an object field.
    pub fn to_k8s(&self) -> K8sQuantity {
        K8sQuantity(self.text.clone())
    }
}

/// Whether `s` is a quantity the API server accepts (see [`Quantity::parse`]).
pub fn is_quantity(s: &str) -> bool {
    value(s).is_some()
}

/// Whether `s` is a quantity that is not negative (a size: claims, ephemeral storage).
pub fn is_size(s: &str) -> bool {
    value(s).is_some_and(|v| v >= 0.0)
}

/// The value of a quantity found in an object, for comparing; 0 for text that is not one
/// (the output check refuses such text before anything is written).
pub fn value_of(q: &K8sQuantity) -> f64 {
    value(&q.0).unwrap_or(0.0)
}

fn value(s: &str) -> Option<f64> {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    let end = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (num, suffix) = body.split_at(end);
    if !num.bytes().any(|b| b.is_ascii_digit()) || num.matches('.').count() > 1 {
        return None;
    }
    let num: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exp => {
            let e = exp.strip_prefix(['e', 'E'])?;
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            10f64.powi(e.parse::<i32>().ok()?)
        }
    };
    Some(sign * num * mult)
}

impl FromStr for Quantity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Quantity::parse(s)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.value.partial_cmp(&other.value)
    }
}

impl From<&Quantity> for K8sQuantity {
    fn from(q: &Quantity) -> K8sQuantity {
        q.to_k8s()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_has_its_value() {
        let gi = 1024.0 * 1024.0 * 1024.0;
        for (q, v) in [
            ("1G", 1e9),
            ("1Gi", gi),
            ("1.5Gi", 1.5 * gi),
            ("512Mi", 512.0 * 1024.0 * 1024.0),
            ("500m", 0.5),
            ("2", 2.0),
            ("1e3", 1000.0),
            ("1E3", 1000.0),
            ("1e+3", 1000.0),
            ("5e-1", 0.5),
            ("2E", 2e18),
            ("1Pi", 1024f64.powi(5)),
            ("100k", 1e5),
            ("+1M", 1e6),
            ("-1Ki", -1024.0),
            (".5", 0.5),
            ("1.", 1.0),
            ("10n", 1e-8),
            ("3u", 3e-6),
        ] {
            assert_eq!(Quantity::parse(q).map(|q| q.value()), Ok(v), "{q}");
        }
    }

    #[test]
    fn what_is_not_a_quantity() {
        for bad in [
            "", "1Gb", "1GB", "G", ".", "1.2.3", "1e", "1e+", "1ei", "--1", "1 Gi", "Mi", "1mi",
            "0x10",
        ] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn compared_by_value_printed_as_written() {
        let q = |s: &str| Quantity::parse(s).unwrap();
        // The bug of issue 22: `1G` read as 0 and lost to any request.
        assert!(q("1G") > q("128Mi"));
        assert!(q("1Gi") > q("1G"));
        assert!(q("1e3") == q("1k"));
        assert_eq!(q("1G").to_string(), "1G");
        assert_eq!(q("1e3").to_k8s().0, "1e3");
        assert_eq!(
            Quantity::non_negative("-1Gi").unwrap_err(),
            "`-1Gi` is negative"
        );
        assert!(is_size("0") && !is_size("-1") && is_quantity("-1"));
    }
}
