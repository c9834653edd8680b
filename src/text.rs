//! Small string builders for hot paths, where `format!` and `to_string` (which go through the
//! formatting machinery and grow their string several times) cost more than the work itself.

/// Append the decimal digits of `n`.
pub fn push_decimal(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut left = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (left % 10) as u8;
        left /= 10;
        if left == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or("0"));
}

/// Append `n` in decimal, with a `-` when negative.
pub fn push_signed(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_decimal(out, n.unsigned_abs());
}

/// `` `A`, `B` and 3 more ``: the first `shown` names, quoted as code, and how many more.
pub fn names_list(names: &[String], shown: usize) -> String {
    let mut out = String::new();
    for (i, n) in names.iter().take(shown).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('`');
        out.push_str(n);
        out.push('`');
    }
    if names.len() > shown {
        out.push_str(" and ");
        push_decimal(&mut out, (names.len() - shown) as u64);
        out.push_str(" more");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_formatted() {
        for n in [0i64, 1, 9, 10, 99, 100, -1, -10, 65535, i64::MAX, i64::MIN] {
            let mut s = String::from("x");
            push_signed(&mut s, n);
            assert_eq!(s, format!("x{n}"));
        }
        let mut s = String::new();
        push_decimal(&mut s, u64::MAX);
        assert_eq!(s, u64::MAX.to_string());
    }
}
