//! Compose numbers to Kubernetes quantities.

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// Bytes as the largest exact binary suffix: `512m` → `512Mi`, `1.5g` → `1536Mi`. Never the
/// decimal `M`, which in Kubernetes means 10^6.
pub fn bytes(b: i64) -> Quantity {
    let b = b.max(0);
    for (suffix, unit) in [
        ("Ti", 1i64 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ] {
        if b >= unit && b % unit == 0 {
            return Quantity(format!("{}{suffix}", b / unit));
        }
    }
    Quantity(b.to_string())
}

/// CPUs as millicores: `0.5` → `500m`, `2` → `2`.
pub fn cpus(c: f64) -> Quantity {
    let milli = (c * 1000.0).round().max(1.0) as i64;
    if milli % 1000 == 0 {
        Quantity((milli / 1000).to_string())
    } else {
        Quantity(format!("{milli}m"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(bytes(512 * 1024 * 1024).0, "512Mi");
        assert_eq!(bytes(3 << 29).0, "1536Mi");
        assert_eq!(bytes(1000).0, "1000");
        assert_eq!(cpus(0.5).0, "500m");
        assert_eq!(cpus(2.0).0, "2");
        assert_eq!(cpus(0.0001).0, "1m");
    }
}
